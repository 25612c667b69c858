import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { SourceEntry } from '../../core/model/source-model.js'

// A file swapped for a link after its folder was listed fails to open instead of being followed; a FIFO in
// its place does not block the open. Both flags are absent on Windows, where links are not followed anyway.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/**
 * Reads the given files and folders of a working directory into a snapshot. Links are recorded, never
 * followed; files over `maxBytes` are recorded with their size, never read.
 *
 * Synchronous on purpose: thousands of small files read one awaited call at a time spend most of their time
 * waiting on the thread pool, and a folder listing already tells each entry's type without a stat per file.
 */
export async function readWorkingTree(
  root: string,
  roots: readonly string[],
  maxBytes: number,
): Promise<Map<string, SourceEntry>> {
  const snapshot = new Map<string, SourceEntry>()
  const readFile = (relative: string): void => {
    let fd: number
    try {
      fd = openSync(join(root, relative), OPEN_FLAGS)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return
      // O_NOFOLLOW refuses a link with ELOOP (EMLINK on some BSDs): it became a link after the listing.
      if (code !== 'ELOOP' && code !== 'EMLINK') throw error
      snapshot.set(relative, { type: 'symlink' })
      return
    }
    try {
      const stat = fstatSync(fd)
      if (!stat.isFile()) snapshot.set(relative, { type: 'other' })
      else if (stat.size > maxBytes) snapshot.set(relative, { type: 'too-large', size: stat.size })
      else snapshot.set(relative, { type: 'file', bytes: readOpen(fd, stat.size) })
    } finally {
      closeSync(fd)
    }
  }
  const visitFolder = (relative: string): void => {
    const entries = readdirSync(join(root, relative), { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const path = `${relative}/${entry.name}`
      if (entry.isSymbolicLink()) snapshot.set(path, { type: 'symlink' })
      else if (entry.isDirectory()) visitFolder(path)
      else if (entry.isFile()) readFile(path)
      else snapshot.set(path, { type: 'other' })
    }
  }
  for (const relative of roots) {
    let stat
    try {
      stat = lstatSync(join(root, relative))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw error
    }
    if (stat.isSymbolicLink()) snapshot.set(relative, { type: 'symlink' })
    else if (stat.isDirectory()) visitFolder(relative)
    else if (stat.isFile()) readFile(relative)
    else snapshot.set(relative, { type: 'other' })
  }
  return snapshot
}

/** The bytes of an open file of `size` bytes, as far as they go: its size is already known, not asked again. */
function readOpen(fd: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size)
  let read = 0
  while (read < size) {
    const n = readSync(fd, bytes, read, size - read, read)
    if (n === 0) break
    read += n
  }
  return read < size ? bytes.subarray(0, read) : bytes
}
