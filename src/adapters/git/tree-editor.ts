import type { Git, TreeEntry } from './git.js'

/**
 * Writes a new tree from `base` with files added, replaced (content) or removed (null), touching only the
 * folders on the changed paths: the cost follows the change, not the size of the tree.
 */
export async function editTree(git: Git, base: string | undefined, writes: ReadonlyMap<string, string | null>): Promise<string> {
  return (await editFolder(git, base, [...writes.entries()].map(([path, content]) => ({ parts: path.split('/'), content })))).sha
}

/** A folder left without entries is dropped from its parent (git has no empty folders). The empty tree's id
 * depends on the object format (sha1, sha256), so emptiness is judged by the entries, not by an id. */
async function editFolder(
  git: Git,
  tree: string | undefined,
  changes: { parts: string[]; content: string | null }[],
): Promise<{ sha: string; empty: boolean }> {
  const entries = new Map<string, TreeEntry>()
  if (tree) for (const entry of await git.listTree(tree)) entries.set(entry.path, entry)
  const byChild = new Map<string, { parts: string[]; content: string | null }[]>()
  for (const change of changes) {
    const [head, ...rest] = change.parts
    if (rest.length === 0) {
      if (change.content === null) entries.delete(head!)
      else entries.set(head!, { mode: '100644', type: 'blob', sha: await git.writeBlob(change.content), path: head! })
    } else {
      const list = byChild.get(head!) ?? []
      list.push({ parts: rest, content: change.content })
      byChild.set(head!, list)
    }
  }
  for (const [name, list] of byChild) {
    const existing = entries.get(name)
    const subtree = await editFolder(git, existing?.type === 'tree' ? existing.sha : undefined, list)
    if (subtree.empty) entries.delete(name)
    else entries.set(name, { mode: '040000', type: 'tree', sha: subtree.sha, path: name })
  }
  return { sha: await git.makeTree([...entries.values()]), empty: entries.size === 0 }
}
