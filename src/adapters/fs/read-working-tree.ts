import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { FileSource, SourceEntry } from '../../core/model/source-model.js'

// A file swapped for a link after its folder was listed fails to open instead of being followed; a FIFO in
// its place does not block the open. Both flags are absent on Windows, where links are not followed anyway.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/**
 * Files under this size are read in one call, without a stat (see WorkingTreeFiles.readQuickly): nearly all
 * of a repository's files, where the stat and its Stats object cost a third of the read.
 */
const QUICK_BYTES = 64 * 1024

/**
 * Reads the given files and folders of a working directory into a snapshot. Links are recorded, never
 * followed; files over `maxBytes` are recorded with their size, never read. Each file can be read again by
 * its path, the same way, for the positions of findings (see FileSource): what was read is not kept.
 *
 * `listOnly`: the files found in folders are read when a loader reads them (SourceEntry `read`), not now: a
 * repository's files then never all sit in memory at once. Files named in `roots` are read now.
 *
 * Synchronous on purpose: thousands of small files read one awaited call at a time spend most of their time
 * waiting on the thread pool, and a folder listing already tells each entry's type without a stat per file.
 */
export async function readWorkingTree(
  root: string,
  roots: readonly string[],
  maxBytes: number,
  options: { listOnly?: boolean } = {},
): Promise<Map<string, SourceEntry>> {
  const snapshot = new Map<string, SourceEntry>()
  const files = new WorkingTreeFiles(root, maxBytes)
  const readFile = (relative: string): void => {
    const entry = files.read(relative)
    if (entry) snapshot.set(relative, entry)
  }
  const visitFolder = (relative: string): void => {
    const entries = readdirSync(join(root, relative), { withFileTypes: true })
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const path = `${relative}/${entry.name}`
      if (entry.isSymbolicLink()) snapshot.set(path, { type: 'symlink' })
      else if (entry.isDirectory()) visitFolder(path)
      else if (!entry.isFile()) snapshot.set(path, { type: 'other' })
      else if (options.listOnly) snapshot.set(path, new ListedFile(files, path))
      else readFile(path)
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

/**
 * The files of a working tree, read by path. Kept apart from readWorkingTree: a closure made inside it would
 * hold every variable its closures share, the snapshot and all its bytes among them.
 */
class WorkingTreeFiles implements FileSource {
  /** Where the quick read puts a file before its bytes are copied out (see readQuickly). */
  private quick: Buffer | undefined

  constructor(
    private readonly root: string,
    private readonly maxBytes: number,
  ) {}

  /** What the file is now: its bytes, or why they are not read; undefined when it is gone. */
  read(relative: string): SourceEntry | undefined {
    let fd: number
    try {
      fd = openSync(join(this.root, relative), OPEN_FLAGS)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return undefined
      // O_NOFOLLOW refuses a link with ELOOP (EMLINK on some BSDs): it became a link after the listing.
      if (code !== 'ELOOP' && code !== 'EMLINK') throw error
      return { type: 'symlink' }
    }
    try {
      const bytes = this.readQuickly(fd)
      if (bytes) return { type: 'file', bytes, again: this }
      const stat = fstatSync(fd)
      if (!stat.isFile()) return { type: 'other' }
      if (stat.size > this.maxBytes) return { type: 'too-large', size: stat.size }
      return { type: 'file', bytes: readOpen(fd, stat.size), again: this }
    } finally {
      closeSync(fd)
    }
  }

  /**
   * The bytes of a small regular file read in one call, without asking its type and size first; undefined
   * whenever that one read cannot tell the file is such a file, read whole: the careful read above then asks
   * (fstat), and answers as it always does.
   *
   * The read is at offset 0 (pread): a FIFO or a terminal refuses it (ESPIPE) instead of giving up data that
   * would then be lost, a folder refuses it too (EISDIR); 0 bytes (an empty file) also go to the careful read,
   * which tells an empty file from a device with nothing to give. A regular file reads short only at its
   * end, so a read that does not fill the buffer has the whole file; one that fills it may have more (over the
   * size limit, or just larger than the buffer): it never costs more memory than the buffer, whatever the file.
   * A device (which only a superuser makes) reads like a file here; the listing already calls one `other`,
   * and one put in a listed file's place after the listing reads as its first bytes.
   */
  private readQuickly(fd: number): Buffer | undefined {
    const quick = (this.quick ??= Buffer.allocUnsafe(Math.min(this.maxBytes + 1, QUICK_BYTES)))
    let n: number
    try {
      n = readSync(fd, quick, 0, quick.length, 0)
    } catch {
      return undefined
    }
    if (n === 0 || n === quick.length) return undefined
    // A copy: the buffer is read into again for the next file.
    const bytes = Buffer.allocUnsafe(n)
    quick.copy(bytes, 0, 0, n)
    return bytes
  }

  readAgain(relative: string): Uint8Array | undefined {
    try {
      const entry = this.read(relative)
      return entry?.type === 'file' ? entry.bytes : undefined
    } catch {
      return undefined
    }
  }
}

/** A file listed in its folder, read when asked (and not kept: each reader reads it once). */
class ListedFile {
  readonly type = 'file'
  constructor(
    private readonly files: WorkingTreeFiles,
    private readonly path: string,
  ) {}

  get again(): FileSource {
    return this.files
  }

  read(): SourceEntry | undefined {
    return this.files.read(this.path)
  }

  get bytes(): Uint8Array {
    const entry = this.read()
    if (entry?.type !== 'file') throw new Error(`${this.path} is no longer a regular file that can be read`)
    return entry.bytes
  }
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
