import type { Git, GitSession } from './git.js'

/** A spec that always names the same object: an object id, or an object id followed by `^{tree}`. */
const IMMUTABLE_SPEC = /^(?:[0-9a-f]{40}|[0-9a-f]{64})(?:\^\{tree\})?$/

/** An object as `git cat-file --batch` gives it: its id, type and bytes. */
export interface GitObject {
  id: string
  type: string
  bytes: Buffer
}

/**
 * Objects read through one `git cat-file --batch` process for a whole command, started at the first
 * request: each batch of requests is written at once and answered in order, so reading branches folder by
 * folder and then their files costs no process per step. Close it when done.
 */
export class ObjectReader {
  private session: GitSession | undefined
  /**
   * `--batch-command --buffer` (git 2.36 and later): git writes its answers in large blocks, on `flush`,
   * instead of one write per object; an older git refuses the option and plain `--batch` is used.
   */
  private buffered = true

  /**
   * Tree objects read, by id and by the spec they were asked by when that spec always names the same object
   * (an object id, or an object id followed by `^{tree}`): a folder is read from git once per command, by
   * whichever reading comes first (what is on the branch, then the tree edit writing on top of it).
   */
  private readonly trees = new Map<string, GitObject>()

  constructor(private readonly git: Git) {}

  /** Whether the object `id` was read as a tree by readTrees. */
  isTree(id: string): boolean {
    return this.trees.get(id)?.type === 'tree'
  }

  /**
   * Each spec as `read` gives it, trees answered from those read before: the objects that are trees are
   * kept for the rest of the command. Meant for folders, which a command reads again and again.
   */
  async readTrees(specs: readonly string[]): Promise<(GitObject | undefined)[]> {
    const out: (GitObject | undefined)[] = specs.map((spec) => this.trees.get(spec))
    const unread = [...new Set(specs.filter((_, index) => !out[index]))]
    if (unread.length === 0) return out
    const objects = await this.read(unread)
    const answers = new Map<string, GitObject | undefined>()
    unread.forEach((spec, index) => {
      const object = objects[index]
      answers.set(spec, object)
      if (object?.type !== 'tree') return
      this.trees.set(object.id, object)
      if (IMMUTABLE_SPEC.test(spec)) this.trees.set(spec, object)
    })
    return specs.map((spec, index) => out[index] ?? answers.get(spec))
  }

  /** Each spec (`<rev>:<path>`, a ref expression or an id) as git resolves it; undefined when missing. */
  async read(specs: readonly string[]): Promise<(GitObject | undefined)[]> {
    if (specs.length === 0) return []
    // One request per line: a spec holding a line break would be two requests (none is made of such names).
    if (specs.some((spec) => /[\n\r]/.test(spec))) throw new Error('a git object name holds a line break')
    if (this.session || !this.buffered) return this.answers(specs)
    try {
      return await this.answers(specs)
    } catch (error) {
      // Only the first request can meet a git without the option: it then runs as plain --batch.
      await (this.session as GitSession | undefined)?.close().catch(() => undefined)
      this.session = undefined
      this.buffered = false
      return this.answers(specs).catch(() => {
        throw error
      })
    }
  }

  private async answers(specs: readonly string[]): Promise<(GitObject | undefined)[]> {
    const session = (this.session ??= this.git.session(this.buffered ? ['cat-file', '--batch-command', '--buffer'] : ['cat-file', '--batch']))
    session.write(this.buffered ? `${specs.map((spec) => `contents ${spec}\n`).join('')}flush\n` : `${specs.join('\n')}\n`)
    const out: (GitObject | undefined)[] = []
    for (let i = 0; i < specs.length; i++) {
      const header = await session.readLine()
      // "<id> <type> <size>", or "<spec> missing" / "<spec> ambiguous".
      const [id = '', type = '', size = ''] = header.split(' ')
      if (header.endsWith(' missing') || header.endsWith(' ambiguous') || !/^[0-9]+$/.test(size)) {
        out.push(undefined)
        continue
      }
      const bytes = await session.readBytes(Number(size) + 1)
      out.push({ id, type, bytes: bytes.subarray(0, Number(size)) })
    }
    return out
  }

  /** The blobs among the objects named, by spec, as Git.readBlobs gives them. */
  async readBlobs(specs: readonly string[]): Promise<Map<string, Buffer>> {
    const objects = await this.read(specs)
    const blobs = new Map<string, Buffer>()
    specs.forEach((spec, index) => {
      const object = objects[index]
      if (object?.type === 'blob') blobs.set(spec, object.bytes)
    })
    return blobs
  }

  async close(): Promise<void> {
    await this.session?.close()
  }
}


/**
 * What git finds at `<commit>:<path>` (as `git cat-file` resolves that name): the entry its lookup ends at,
 * with the mode made canonical as git reads it and the object id; `missing` when it finds nothing; `unknown`
 * when this cannot tell as git would (a folder on the way that is not a tree object, a tree git would refuse
 * as malformed, a path git reads relative to the current folder): the caller then asks git itself.
 */
export type PathLookup = { mode: string; id: string } | 'missing' | 'unknown'

/**
 * The lookups of many paths of one commit, from the folders read through `reader`: each folder is read once
 * for all the paths going through it (and for the rest of the command), a level of folders in one request.
 * Modelled on git's lookup of a path in a tree (get_tree_entry in git's tree-walk.c): a folder's entries are
 * scanned in their order for the rest of the path, entries with longer names skipped, the scan stopped at the
 * first entry whose name sorts after it; an entry named as the path ends the lookup; one named as the next
 * part of the path is gone down into when its mode is a folder's, and ends the lookup with nothing otherwise.
 */
export async function lookUpPaths(reader: ObjectReader, commit: string, paths: readonly string[]): Promise<PathLookup[]> {
  const results: PathLookup[] = paths.map(() => 'unknown')
  // git reads a path starting with ./ or ../ from the folder it runs in: those are left to git.
  const plain = (path: string) => path !== '' && !/^\.\.?(\/|$)/.test(path)
  let pending: { index: number; tree: string; rest: Buffer }[] = []
  paths.forEach((path, index) => {
    if (plain(path)) pending.push({ index, tree: `${commit}^{tree}`, rest: Buffer.from(path, 'utf8') })
  })
  while (pending.length > 0) {
    const trees = await reader.readTrees(pending.map((query) => query.tree))
    const next: typeof pending = []
    pending.forEach((query, i) => {
      const tree = trees[i]
      if (tree?.type !== 'tree') return
      const step = findTreeEntry(tree.bytes, query.rest, tree.id.length / 2)
      if (step === undefined) return
      if (step === 'missing') results[query.index] = 'missing'
      else if (step.rest) next.push({ index: query.index, tree: step.id, rest: step.rest })
      else results[query.index] = { mode: step.mode, id: step.id }
    })
    pending = next
  }
  return results
}

/**
 * One step of git's lookup of `name` in the tree `body` (find_tree_entry in tree-walk.c): the entry it ends at,
 * or the folder to go on in with the rest of the name, or `missing`. Undefined where git's reading of the
 * entries scanned would refuse them (decode_tree_entry: a short tree, a mode that is not octal digits, an
 * empty name), and for modes longer than git reads them.
 */
function findTreeEntry(
  body: Buffer,
  name: Buffer,
  idLength: number,
): { mode: string; id: string; rest?: Buffer } | 'missing' | undefined {
  if (idLength !== 20 && idLength !== 32) return undefined
  const size = body.length
  const wanted = name.length
  // A folder of 50,000 entries is scanned for each file looked up in it, once per command (so mostly before
  // the scan is compiled): the end of each name is found by the runtime, and names are compared only when
  // their first bytes agree.
  if (size > 0 && (size < idLength + 3 || body[size - idLength - 1] !== 0)) return undefined
  let at = 0
  while (at < size) {
    if (size - at < idLength + 3) return undefined
    let mode = 0
    let k = at
    for (; k < size && body[k] !== 0x20; k++) {
      const digit = body[k]! - 0x30
      if (digit < 0 || digit > 7 || k - at >= 6) return undefined
      mode = mode * 8 + digit
    }
    if (k === at || k >= size) return undefined
    const nameStart = k + 1
    const nul = body.indexOf(0, nameStart)
    if (nul <= nameStart || nul + 1 + idLength > size) return undefined
    at = nul + 1 + idLength
    const length = nul - nameStart
    if (length > wanted) continue
    // memcmp of the name looked up with the entry's name, over the entry's length.
    let order = name[0]! - body[nameStart]!
    if (order === 0 && length > 1) order = name.compare(body, nameStart + 1, nul, 1, length)
    if (order > 0) continue
    // git reads the next entry before comparing this one (update_tree_entry in find_tree_entry): whatever
    // this entry decides, a next entry git refuses makes git refuse the lookup.
    if (at < size && !entryDecodes(body, at)) return undefined
    if (order < 0) return 'missing'
    const id = body.toString('hex', nul + 1, at)
    if (length === wanted) return { mode: canonicalMode(mode), id }
    if (name[length] !== 0x2f) continue
    if ((mode & 0o170000) !== 0o040000) return 'missing'
    if (length + 1 === wanted) return { mode: '040000', id }
    return { mode: '040000', id, rest: name.subarray(length + 1) }
  }
  return 'missing'
}

/**
 * Whether git's reading of the entry at `at` accepts it (decode_tree_entry: a mode of octal digits, at most
 * six here as above, and a name that is not empty); the NUL ending its name was checked with the tree's.
 */
function entryDecodes(body: Buffer, at: number): boolean {
  let k = at
  for (; k < body.length && body[k] !== 0x20; k++) if (body[k]! < 0x30 || body[k]! > 0x37 || k - at >= 6) return false
  return k > at && k + 1 < body.length && body[k + 1] !== 0
}

/** A mode as git reads it from a tree (canon_mode): a file executable or not, a link, a folder, else a submodule. */
export function canonicalMode(mode: number): string {
  switch (mode & 0o170000) {
    case 0o100000:
      return mode & 0o100 ? '100755' : '100644'
    case 0o120000:
      return '120000'
    case 0o040000:
      return '040000'
    default:
      return '160000'
  }
}
