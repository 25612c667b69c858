import type { Git, TreeEntry } from './git.js'

/**
 * Writes a new tree from `base` with files added, replaced (content) or removed (null), touching only the
 * folders on the changed paths: the cost follows the change, not the size of the tree.
 */
export async function editTree(git: Git, base: string | undefined, writes: ReadonlyMap<string, string | null>): Promise<string> {
  return editFolder(git, base, [...writes.entries()].map(([path, content]) => ({ parts: path.split('/'), content })))
}

async function editFolder(git: Git, tree: string | undefined, changes: { parts: string[]; content: string | null }[]): Promise<string> {
  const entries = new Map<string, TreeEntry>()
  if (tree) for (const entry of await git.listTree(tree)) entries.set(entry.path, entry)
  const byChild = new Map<string, { parts: string[]; content: string | null }[]>()
  for (const change of changes) {
    const [head, ...rest] = change.parts
    if (rest.length === 0) {
      if (change.content === null) entries.delete(head!)
      else entries.set(head!, { mode: '100644', type: 'blob', sha: await git.writeBlob(change.content), size: 0, path: head! })
    } else {
      const list = byChild.get(head!) ?? []
      list.push({ parts: rest, content: change.content })
      byChild.set(head!, list)
    }
  }
  for (const [name, list] of byChild) {
    const existing = entries.get(name)
    const subtree = await editFolder(git, existing?.type === 'tree' ? existing.sha : undefined, list)
    if (subtree === EMPTY_TREE) entries.delete(name)
    else entries.set(name, { mode: '040000', type: 'tree', sha: subtree, size: 0, path: name })
  }
  return git.makeTree([...entries.values()])
}

/** The object id git gives the empty tree. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'
