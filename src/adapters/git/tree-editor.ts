import type { Git, GitSession } from './git.js'

/**
 * Writes a new tree from `base` (a tree or a commit) with files added, replaced (content) or removed (null),
 * touching only the folders on the changed paths: the cost follows the change, not the size of the tree.
 *
 * Three git processes whatever the number of files and folders: one hash-object for every blob, one
 * cat-file reading the base's folders, one mktree writing the new ones.
 */
export async function editTree(
  git: Git,
  base: string | undefined,
  writes: ReadonlyMap<string, string | null>,
): Promise<string> {
  const contents = [...new Set([...writes.values()].filter((c): c is string => c !== null))]
  const ids = await git.writeBlobs(contents)
  const blobs = new Map(contents.map((content, index) => [content, ids[index]!]))
  const changes = [...writes].map(([path, content]) => ({
    parts: path.split('/').map(bytes),
    blob: content === null ? null : blobs.get(content)!,
  }))
  const reader = base ? git.session(['cat-file', '--batch']) : undefined
  // Every entry is read from the base tree or written by this edit: the existence check mktree makes
  // without --missing would look up each of them, which costs as much as the folders are large.
  const writer = git.session(['mktree', '-z', '--missing', '--batch'])
  try {
    const root = await editFolder(reader, writer, base ? `${base}^{tree}` : undefined, changes, true)
    return root.sha
  } finally {
    await Promise.all([reader?.close(), writer.close()])
  }
}

interface Entry {
  mode: string
  type: 'blob' | 'tree' | 'commit'
  sha: string
}

/**
 * Names are handled as byte strings (one character per byte) so that a name that is not UTF-8 is written
 * back exactly as it was read.
 */
const bytes = (name: string): string => Buffer.from(name, 'utf8').toString('latin1')

/** A folder left without entries is dropped from its parent (git has no empty folders). */
async function editFolder(
  reader: GitSession | undefined,
  writer: GitSession,
  tree: string | undefined,
  changes: { parts: string[]; blob: string | null }[],
  root: boolean,
): Promise<{ sha: string; empty: boolean }> {
  const entries = reader && tree ? await readTree(reader, tree) : new Map<string, Entry>()
  const byChild = new Map<string, { parts: string[]; blob: string | null }[]>()
  for (const change of changes) {
    const [head, ...rest] = change.parts
    if (rest.length === 0) {
      if (change.blob === null) entries.delete(head!)
      else entries.set(head!, { mode: '100644', type: 'blob', sha: change.blob })
    } else {
      const list = byChild.get(head!) ?? []
      list.push({ parts: rest, blob: change.blob })
      byChild.set(head!, list)
    }
  }
  for (const [name, list] of byChild) {
    const existing = entries.get(name)
    const subtree = await editFolder(
      reader,
      writer,
      existing?.type === 'tree' ? existing.sha : undefined,
      list,
      false,
    )
    if (subtree.empty) entries.delete(name)
    else entries.set(name, { mode: '040000', type: 'tree', sha: subtree.sha })
  }
  // The empty tree's id depends on the object format (sha1, sha256): emptiness is judged by the entries.
  if (entries.size === 0 && !root) return { sha: '', empty: true }
  let input = ''
  for (const [name, e] of entries) input += `${e.mode} ${e.type} ${e.sha}\t${name}\0`
  writer.write(Buffer.from(`${input}\0`, 'latin1'))
  return { sha: (await writer.readLine()).trim(), empty: entries.size === 0 }
}

/** The entries of a tree read through cat-file --batch; a missing object, or one that is not a tree, is empty. */
async function readTree(reader: GitSession, spec: string): Promise<Map<string, Entry>> {
  reader.write(`${spec}\n`)
  const header = (await reader.readLine()).split(' ')
  const entries = new Map<string, Entry>()
  if (header.length !== 3) return entries
  const [id, type, size] = header as [string, string, string]
  const body = await reader.readBytes(Number(size) + 1)
  if (type !== 'tree') return entries
  // Tree entries: "<octal mode> <name>\0" and the raw object id, as long as the id's hex form halves.
  const idLength = id.length / 2
  let offset = 0
  const end = body.length - 1
  while (offset < end) {
    const space = body.indexOf(0x20, offset)
    const nul = body.indexOf(0, space + 1)
    const mode = body.toString('latin1', offset, space).padStart(6, '0')
    const name = body.toString('latin1', space + 1, nul)
    const sha = body.toString('hex', nul + 1, nul + 1 + idLength)
    entries.set(name, { mode, type: mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob', sha })
    offset = nul + 1 + idLength
  }
  return entries
}
