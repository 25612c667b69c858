import { lstat, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { SourceEntry } from '../../core/model/source-model.js'

/**
 * Reads the given files and folders of a working directory into a snapshot. Links are recorded, never
 * followed; files over `maxBytes` are recorded with their size, never read.
 */
export async function readWorkingTree(
  root: string,
  roots: readonly string[],
  maxBytes: number,
): Promise<Map<string, SourceEntry>> {
  const snapshot = new Map<string, SourceEntry>()
  const visit = async (relative: string): Promise<void> => {
    const absolute = join(root, relative)
    let stat
    try {
      stat = await lstat(absolute)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    if (stat.isSymbolicLink()) snapshot.set(relative, { type: 'symlink' })
    else if (stat.isDirectory()) {
      const names = (await readdir(absolute)).sort()
      for (const name of names) await visit(`${relative}/${name}`)
    } else if (!stat.isFile()) snapshot.set(relative, { type: 'other' })
    else if (stat.size > maxBytes) snapshot.set(relative, { type: 'too-large', size: stat.size })
    else snapshot.set(relative, { type: 'file', bytes: await readFile(absolute) })
  }
  for (const entry of roots) await visit(entry)
  return snapshot
}
