import { type Git, GitError, type GitSession } from './git.js'

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

  /**
   * readBlobs for a batch of many objects (MANY_OBJECTS or more): read by a git process of its own that writes
   * its answers into a file, read once it is done, instead of through the pipe of the session, which git
   * writes a few kilobytes at a time, each piece waking this process for a read of its own (thousands for
   * ten thousand small files). The same request, made and answered as the session makes and answers it.
   * A smaller batch, or one made before the session has answered (it finds out which requests git takes),
   * goes through the session.
   */
  async readManyBlobs(specs: readonly string[]): Promise<Map<string, Buffer>> {
    if (specs.length < MANY_OBJECTS || !this.session) return this.readBlobs(specs)
    if (specs.some((spec) => /[\n\r]/.test(spec))) throw new Error('a git object name holds a line break')
    const args = this.buffered ? ['cat-file', '--batch-command', '--buffer'] : ['cat-file', '--batch']
    const input = this.buffered ? `${specs.map((spec) => `contents ${spec}\n`).join('')}flush\n` : `${specs.join('\n')}\n`
    let stdout: Buffer
    try {
      ;({ stdout } = await this.git.run(args, { input, outputToFile: true }))
    } catch (error) {
      // No file to write into (a temporary folder that cannot be made, written or read, e.g. TMPDIR naming
      // no folder): the session reads the batch, as it reads a smaller one. What git refuses is refused.
      if (error instanceof GitError) throw error
      return this.readBlobs(specs)
    }
    return batchBlobs(stdout, specs, args)
  }

  async close(): Promise<void> {
    await this.session?.close()
  }
}

/** The number of objects from which readManyBlobs reads through a file. */
const MANY_OBJECTS = 256

/**
 * The blobs among the answers `out` of `git cat-file` to `specs`, by spec, read as the session's answers are:
 * per spec a header `<id> <type> <size>` (its first three words) and `size` bytes and a line break, or a
 * header ending ` missing` or ` ambiguous`, or one without a size, and nothing after it. Thousands of headers:
 * read here with the runtime's search of a byte array called directly and the size's digits a byte at a time,
 * not through Buffer's methods (each call goes through layers of script); mostly before this loop is compiled,
 * so each header costs a few searches rather than a step of script per byte of its object id.
 */
function batchBlobs(out: Buffer, specs: readonly string[], args: readonly string[]): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>()
  const ended = () => new GitError(`git ${args.join(' ')} ended before answering`, args, 0, '')
  let at = 0
  for (const spec of specs) {
    const newline = indexOfByte.call(out, LF, at)
    if (newline < 0) throw ended()
    const header = at
    at = newline + 1
    // An answer ends with its size, a digit: only a header ending in `g` or `s` is compared with the words.
    const last = out[newline - 1]
    if ((last === LAST_OF_MISSING && endsWith(out, newline, MISSING)) || (last === LAST_OF_AMBIGUOUS && endsWith(out, newline, AMBIGUOUS))) continue
    // The second and third words (split at spaces, as `header.split(' ')`): the type and the size, each
    // found by the runtime's search (the object id before them is forty or sixty-four bytes).
    const typeAt = wordEnd(out, header, newline) + 1
    const sizeAt = wordEnd(out, typeAt, newline) + 1
    let size = 0
    let digits = 0
    for (let i = sizeAt; i < newline && out[i] !== SPACE; i++, digits++) {
      const digit = out[i]! - 0x30
      if (digit < 0 || digit > 9) {
        digits = 0
        break
      }
      size = size * 10 + digit
    }
    if (sizeAt > newline || digits === 0) continue
    if (at + size + 1 > out.length) throw ended()
    if (sizeAt - typeAt === 5 && out[typeAt] === 0x62 && out[typeAt + 1] === 0x6c && out[typeAt + 2] === 0x6f && out[typeAt + 3] === 0x62) {
      blobs.set(spec, out.subarray(at, at + size))
    }
    at += size + 1
  }
  return blobs
}

const LF = 0x0a
const SPACE = 0x20
const MISSING = [...Buffer.from(' missing', 'latin1')]
const AMBIGUOUS = [...Buffer.from(' ambiguous', 'latin1')]
const LAST_OF_MISSING = MISSING[MISSING.length - 1]
const LAST_OF_AMBIGUOUS = AMBIGUOUS[AMBIGUOUS.length - 1]

/** Where the word of `out` from `from` ends: its first space before `end`, else `end`. */
function wordEnd(out: Buffer, from: number, end: number): number {
  if (from >= end) return end
  const space = indexOfByte.call(out, SPACE, from)
  return space < 0 || space > end ? end : space
}

/** Whether the bytes of `out` before `end` are `suffix`. */
function endsWith(out: Buffer, end: number, suffix: readonly number[]): boolean {
  const from = end - suffix.length
  if (from < 0) return false
  for (let i = 0; i < suffix.length; i++) if (out[from + i] !== suffix[i]) return false
  return true
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
    // The paths going through one folder are looked up in one scan of it.
    const byTree = new Map<GitObject, number[]>()
    pending.forEach((_, i) => {
      const tree = trees[i]
      if (tree?.type !== 'tree') return
      const members = byTree.get(tree)
      if (members) members.push(i)
      else byTree.set(tree, [i])
    })
    const next: typeof pending = []
    for (const [tree, members] of byTree) {
      const steps = findTreeEntries(tree.bytes, members.map((i) => pending[i]!.rest), tree.id.length / 2)
      members.forEach((i, j) => {
        const query = pending[i]!
        const step = steps[j]
        if (step === undefined) return
        if (step === 'missing') results[query.index] = 'missing'
        else if (step.rest) next.push({ index: query.index, tree: step.id, rest: step.rest })
        else results[query.index] = { mode: step.mode, id: step.id }
      })
    }
    pending = next
  }
  return results
}

type TreeStep = { mode: string; id: string; rest?: Buffer } | 'missing' | undefined

/**
 * The runtime's search of a byte array, called directly (Buffer's indexOf goes through layers of script first):
 * the scans of folders run mostly before they are compiled.
 */
export const indexOfByte = Uint8Array.prototype.indexOf

/**
 * One step of git's lookup of each of `names` in the tree `body` (find_tree_entry in tree-walk.c): the entry it
 * ends at, or the folder to go on in with the rest of the name, or `missing`. Undefined where git's reading of
 * the entries scanned would refuse them (decode_tree_entry: a short tree, a mode that is not octal digits, an
 * empty name), and for modes longer than git reads them. The names are looked up in one scan of the entries,
 * each ending at the entry its own scan would end at and unaffected by the entries after it.
 */
function findTreeEntries(body: Buffer, names: readonly Buffer[], idLength: number): TreeStep[] {
  const steps: TreeStep[] = names.map(() => undefined)
  if (idLength !== 20 && idLength !== 32) return steps
  const size = body.length
  if (size > 0 && (size < idLength + 3 || body[size - idLength - 1] !== 0)) return steps
  let open = names.map((_, i) => i)
  let at = 0
  while (open.length > 0) {
    let first = 0x100
    let longest = 0
    for (const i of open) {
      first = Math.min(first, names[i]![0]!)
      longest = Math.max(longest, names[i]!.length)
    }
    at = skipEntries(body, at, idLength, first, longest)
    // An entry git cannot read: every name whose scan reaches it is refused (left undefined).
    if (at < 0) return steps
    if (at === size) break
    const start = at
    let space = start
    while (body[space] !== 0x20) space++
    const nameStart = space + 1
    const nul = indexOfByte.call(body, 0, nameStart)
    const length = nul - nameStart
    at = nul + 1 + idLength
    for (const i of open) {
      const name = names[i]!
      if (length > name.length) continue
      // memcmp of the name looked up with the entry's name, over the entry's length.
      let order = name[0]! - body[nameStart]!
      if (order === 0 && length > 1) order = name.compare(body, nameStart + 1, nul, 1, length)
      if (order > 0) continue
      // git reads the next entry before comparing this one (update_tree_entry in find_tree_entry): whatever
      // this entry decides, a next entry git refuses makes git refuse the lookup.
      const step = at < size && !entryDecodes(body, at) ? undefined : stepAt(body, name, order, start, space, nul, length, at)
      if (step === 'next') continue
      steps[i] = step
      open = open.filter((j) => j !== i)
    }
  }
  for (const i of open) steps[i] = 'missing'
  return steps
}

/**
 * The offset of the first entry from `at` on that a scan for names no longer than `longest`, none starting with
 * a byte below `first`, does not pass over (git's scan skips an entry with a longer name or a smaller first
 * byte); the end of the tree when there is none; -1 at an entry git cannot read. A folder of 50,000 entries is
 * scanned once per command, mostly before the scan is compiled: an entry costs the reading of its mode, the
 * runtime's search for the end of its name, and two comparisons, in a loop kept small so that it is compiled
 * once, early, and never thrown back by a path it had not taken yet (the entries it stops at are read by the
 * caller).
 */
function skipEntries(body: Buffer, from: number, idLength: number, first: number, longest: number): number {
  const size = body.length
  let at = from
  while (at < size) {
    if (size - at < idLength + 3) return -1
    let k = at
    let c = body[k]
    while (c !== 0x20) {
      if (c === undefined || (c & 0xf8) !== 0x30 || k - at === 6) return -1
      c = body[++k]
    }
    if (k === at) return -1
    const nul = indexOfByte.call(body, 0, k + 1)
    if (nul <= k + 1 || nul + 1 + idLength > size) return -1
    if (nul - k - 1 <= longest && body[k + 1]! >= first) return at
    at = nul + 1 + idLength
  }
  return at
}

/** Where the scan for `name` ends at the entry [start, end) whose mode ends at `space` and name at `nul`, or `next`. */
function stepAt(body: Buffer, name: Buffer, order: number, start: number, space: number, nul: number, length: number, end: number): TreeStep | 'next' {
  if (order < 0) return 'missing'
  let mode = 0
  for (let d = start; d < space; d++) mode = mode * 8 + body[d]! - 0x30
  const id = body.toString('hex', nul + 1, end)
  if (length === name.length) return { mode: canonicalMode(mode), id }
  if (name[length] !== 0x2f) return 'next'
  if ((mode & 0o170000) !== 0o040000) return 'missing'
  if (length + 1 === name.length) return { mode: '040000', id }
  return { mode: '040000', id, rest: name.subarray(length + 1) }
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
