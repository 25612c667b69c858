import { createHash } from 'node:crypto'
import { GitError, type Git } from './git.js'
import { ObjectReader, indexOfByte } from './object-reader.js'

/**
 * Writes a new tree from `base` (a tree or a commit) with files added, replaced (content) or removed (null),
 * touching only the folders on the changed paths: the cost follows the change, not the size of the tree.
 *
 * Three git processes whatever the number of files and folders: hash-object for every blob, cat-file
 * reading the base's folders, hash-object for every new folder; with the caller's object reader, its cat-file
 * reads the folders it has not read already. A changed folder is its base tree object with the changed
 * entries spliced in at their place in git's order, the runs of untouched entries kept as slices of it: a folder of 50,000 files costs one walk of its bytes, which are hashed and handed to git as
 * those slices, never copied into a new buffer, nor parsed, printed and parsed again. The ids git returns
 * for the new folders are checked against the ids their parents were given.
 */
export async function editTree(
  git: Git,
  base: string | undefined,
  writes: ReadonlyMap<string, string | null>,
  /**
   * Reads the base's folders through this process, answering from the folders it already read (the
   * caller's, kept open by it); without it, a process of the edit's own.
   */
  objects?: ObjectReader,
): Promise<string> {
  const contents = [...new Set([...writes.values()].filter((c): c is string => c !== null))]
  const ids = await git.writeObjects(contents)
  const blobs = new Map(contents.map((content, index) => [content, ids[index]!]))
  const root: Folder = { files: new Map(), folders: new Map() }
  for (const [path, content] of writes) {
    const parts = path.split('/').map((part) => Buffer.from(part, 'utf8'))
    let folder = root
    for (const part of parts.slice(0, -1)) {
      const key = part.toString('latin1')
      let child = folder.folders.get(key)
      if (!child) {
        child = { name: part, files: new Map(), folders: new Map() }
        folder.folders.set(key, child)
      }
      folder = child
    }
    const name = parts[parts.length - 1]!
    folder.files.set(name.toString('latin1'), { name, blob: content === null ? null : blobs.get(content)! })
  }

  const written: { body: Buffer[]; id: string }[] = []
  const reader = base ? (objects ?? new ObjectReader(git)) : undefined
  let format = ids[0] ? formatOf(ids[0]) : undefined
  try {
    const edit = async (
      folder: Folder,
      spec: string | undefined,
      isRoot: boolean,
    ): Promise<string | null> => {
      const tree = reader && spec ? await readTree(reader, spec) : undefined
      if (tree) format ??= formatOf(tree.id)
      const body = tree?.body ?? Buffer.alloc(0)
      // One change per name. A name both written or removed as a file and written into as a folder becomes
      // a folder holding only what is written into it, as it always has.
      const changes = new Map<string, Change>()
      for (const [key, { name, blob }] of folder.files)
        changes.set(key, { name, entry: blob === null ? null : { mode: '100644', id: blob } })
      for (const [key, child] of folder.folders) {
        const existing = folder.files.has(key) ? undefined : findEntry(body, child.name!, format)
        const id = await edit(child, existing?.tree ? existing.id : undefined, false)
        changes.set(key, { name: child.name!, entry: id === null ? null : { mode: '40000', id } })
      }
      const next = splice(body, [...changes.values()], format)
      const size = next.reduce((total, chunk) => total + chunk.length, 0)
      // A folder left without entries is dropped from its parent (git has no empty folders); the empty
      // tree's id depends on the object format, so emptiness is judged by the bytes.
      if (size === 0 && !isRoot) return null
      format ??= await objectFormat(git)
      const id = hashTree(next, size, format)
      written.push({ body: next, id })
      return id
    }
    const rootId = (await edit(root, base ? `${base}^{tree}` : undefined, true))!
    const actual = await git.writeObjects(
      written.map((w) => w.body),
      'tree',
    )
    written.forEach((w, index) => {
      if (actual[index] !== w.id)
        throw new GitError(
          `git wrote a tree as ${actual[index]}, expected ${w.id}`,
          ['hash-object', '-t', 'tree'],
          0,
          '',
        )
    })
    return rootId
  } finally {
    if (reader !== objects) await reader?.close()
  }
}

interface Folder {
  name?: Buffer
  files: Map<string, { name: Buffer; blob: string | null }>
  folders: Map<string, Folder>
}

interface Change {
  name: Buffer
  /** null: remove whatever the folder holds under this name. */
  entry: { mode: string; id: string } | null
}

type ObjectFormat = 'sha1' | 'sha256'

const formatOf = (id: string): ObjectFormat => (id.length === 64 ? 'sha256' : 'sha1')
const idBytes = (format: ObjectFormat | undefined): number => (format === 'sha256' ? 32 : 20)

async function objectFormat(git: Git): Promise<ObjectFormat> {
  const out = (await git.text(['rev-parse', '--show-object-format'])).trim()
  return out === 'sha256' ? 'sha256' : 'sha1'
}

function hashTree(body: readonly Buffer[], size: number, format: ObjectFormat): string {
  const hash = createHash(format).update(`tree ${size}\0`)
  for (const chunk of body) hash.update(chunk)
  return hash.digest('hex')
}

/** A tree object; undefined when missing or not a tree. */
async function readTree(reader: ObjectReader, spec: string): Promise<{ id: string; body: Buffer } | undefined> {
  const [object] = await reader.readTrees([spec])
  return object?.type === 'tree' ? { id: object.id, body: object.bytes } : undefined
}

/**
 * Entries of a tree object are "<octal mode> <name>\0<raw id>", sorted by name with a folder's name read
 * as if it ended in "/": an entry's sort key is its name followed by "/" (folder) or "\0" (anything else).
 * A folder's mode is 40000 (040000 from some old tools); every other mode has six digits.
 */
const nameStartOf = (body: Buffer, start: number): number =>
  body[start + 5] === 0x20 ? start + 6 : start + 7
const isFolder = (body: Buffer, start: number): boolean =>
  body[start] === 0x34 || (body[start] === 0x30 && body[start + 1] === 0x34)

function nameEndOf(body: Buffer, nameStart: number): number {
  const nameEnd = indexOfByte.call(body, 0, nameStart)
  if (nameEnd < 0) throw malformed()
  return nameEnd
}

/** Compares the key of the entry whose name spans [start, end) with the key of `name` as a file or a folder. */
function compareKey(
  body: Buffer,
  start: number,
  end: number,
  entryTree: boolean,
  name: Buffer,
  tree: boolean,
): number {
  const length = end - start
  const common = length < name.length ? length : name.length
  for (let k = 0; k < common; k++) {
    const difference = body[start + k]! - name[k]!
    if (difference !== 0) return difference
  }
  const a = length > common ? body[start + common]! : entryTree ? 0x2f : 0
  const b = name.length > common ? name[common]! : tree ? 0x2f : 0
  return a - b
}

function findEntry(
  body: Buffer,
  name: Buffer,
  format: ObjectFormat | undefined,
): { id: string; tree: boolean } | undefined {
  for (let offset = 0; offset < body.length;) {
    const nameStart = nameStartOf(body, offset)
    const nameEnd = nameEndOf(body, nameStart)
    const tree = isFolder(body, offset)
    const end = nameEnd + 1 + idBytes(format)
    if (compareKey(body, nameStart, nameEnd, tree, name, tree) === 0)
      return { id: body.toString('hex', nameEnd + 1, end), tree }
    // Past both places the name could sort to: it is not there.
    if (
      compareKey(body, nameStart, nameEnd, tree, name, false) > 0 &&
      compareKey(body, nameStart, nameEnd, tree, name, true) > 0
    )
      return undefined
    offset = end
  }
  return undefined
}

/**
 * The tree with `changes` applied, as the slices of `body` and the new entries it is made of, in order:
 * every entry named by a change is removed (whatever its type), the changes that write something are
 * inserted at their place in git's order, and the runs of entries in between are kept as they are. Each
 * entry before the last change is compared once, with the next change.
 */
function splice(body: Buffer, changes: Change[], format: ObjectFormat | undefined): Buffer[] {
  if (changes.length === 0) return [body]
  const idLength = idBytes(format)
  // Both keys a changed name may have in the base are removed; a removal sorts before an insertion of the
  // same key, so that the new entry takes the old one's place.
  const operations = changes
    .flatMap((c) => [
      { name: c.name, tree: false, insert: undefined as Buffer | undefined },
      { name: c.name, tree: true, insert: undefined as Buffer | undefined },
      ...(c.entry
        ? [
            {
              name: c.name,
              tree: c.entry.mode === '40000',
              insert: Buffer.concat([
                Buffer.from(`${c.entry.mode} `),
                c.name,
                Buffer.from([0]),
                Buffer.from(c.entry.id, 'hex'),
              ]),
            },
          ]
        : []),
    ])
    .sort((x, y) => compareKeys(x.name, x.tree, y.name, y.tree) || (x.insert ? 1 : 0) - (y.insert ? 1 : 0))
  const chunks: Buffer[] = []
  let copyFrom = 0
  let cursor = 0
  const end = body.length
  for (const operation of operations) {
    // Skip the entries that sort before this change; stop at the first that does not, and remove it when it
    // has the change's key.
    cursor = firstNotBelow(body, cursor, operation.name, operation.tree ? 0x2f : 0, idLength)
    if (cursor < end) {
      const nameStart = nameStartOf(body, cursor)
      const nameEnd = nameEndOf(body, nameStart)
      if (!operation.insert && compareKey(body, nameStart, nameEnd, isFolder(body, cursor), operation.name, operation.tree) === 0) {
        chunks.push(body.subarray(copyFrom, cursor))
        cursor = nameEnd + 1 + idLength
        copyFrom = cursor
      }
    }
    if (operation.insert) {
      chunks.push(body.subarray(copyFrom, cursor), operation.insert)
      copyFrom = cursor
    }
  }
  chunks.push(body.subarray(copyFrom))
  return chunks
}

/**
 * The offset of the first entry from `from` on whose key does not sort before `name` followed by `last` ("/"
 * for a folder, else nothing); the end of the tree when there is none. A folder of tens of thousands of
 * entries is walked once per edit, mostly before the walk is compiled: each entry's key is compared with the
 * change's (as compareKey does) while its name is read, the rest of the name found by the runtime, in a loop
 * kept small so that it is compiled once, early (the entry it stops at is read by the caller).
 */
function firstNotBelow(body: Buffer, from: number, name: Buffer, last: number, idLength: number): number {
  const end = body.length
  const length = name.length
  let cursor = from
  while (cursor < end) {
    let at = nameStartOf(body, cursor)
    let order = 0
    for (let k = 0; ; k++, at++) {
      if (at >= end) throw malformed()
      const a = body[at]!
      if (a === 0) {
        // The entry's name ends here: its key goes on with "/" (a folder) or nothing.
        order = (isFolder(body, cursor) ? 0x2f : 0) - (k < length ? name[k]! : last)
        break
      }
      if (k === length) {
        order = a - last
        break
      }
      if (a !== name[k]) {
        order = a - name[k]!
        break
      }
    }
    if (order >= 0) return cursor
    const nameEnd = body[at] === 0 ? at : indexOfByte.call(body, 0, at)
    if (nameEnd < 0) throw malformed()
    cursor = nameEnd + 1 + idLength
  }
  return cursor
}

const malformed = () => new GitError('git returned a malformed tree object', ['cat-file', '--batch'], 0, '')

function compareKeys(a: Buffer, aTree: boolean, b: Buffer, bTree: boolean): number {
  return compareKey(a, 0, a.length, aTree, b, bTree)
}
