import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs'
import { join, sep } from 'node:path'
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
    // A name that is not UTF-8 is listed with U+FFFD for each byte that cannot be decoded, as git's paths are
    // read from a commit; that string names no file, so such a file is opened by the bytes of its name.
    const undecoded = entries.some((entry) => entry.name.includes('\uFFFD'))
      ? namesAsBytes(join(root, relative))
      : undefined
    for (const entry of entries) {
      // One flat string (a joined array), not a pair of strings to copy into one at its first comparison: the
      // paths are sorted, compared and kept as keys for as long as the repository is open.
      const path = [relative, entry.name].join('/')
      if (undecoded?.has(entry.name)) {
        const bytes = undecoded.get(entry.name)
        // Two names that decode alike, or a folder so named, cannot be read by the decoded name: refused.
        if (!bytes || !entry.isFile()) {
          snapshot.set(path, entry.isSymbolicLink() ? { type: 'symlink' } : { type: 'other' })
          continue
        }
        files.byBytes.set(path, Buffer.concat([Buffer.from(`${join(root, relative)}/`), bytes]))
      }
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
  /** The path, as bytes, of each listed file whose name is not UTF-8, by the name it is known by. */
  readonly byBytes = new Map<string, Buffer>()
  /** Where the quick read puts a file before its bytes are copied out (see readQuickly). */
  private quick: Buffer | undefined
  /**
   * `join(root, relative)` for a relative path that normalizing leaves as it is (see pathOf): the root as
   * join writes it, then the path. Undefined on Windows, where join also turns `/` into `\`.
   */
  private readonly prefix: string | undefined

  constructor(
    private readonly root: string,
    private readonly maxBytes: number,
  ) {
    this.prefix = sep === '/' ? join(root, 'x').slice(0, -1) : undefined
  }

  /**
   * The path a file is opened by: join(root, relative), without normalizing again a path the folder listing
   * made (`folder/name`, no `.`, `..` or empty segment), which join would leave unchanged: thousands of
   * files, each normalized character by character. Any other path goes through join.
   */
  private pathOf(relative: string): string {
    const clean =
      this.prefix !== undefined &&
      relative.length > 0 &&
      relative.charCodeAt(0) !== 0x2f &&
      relative.charCodeAt(0) !== 0x2e &&
      relative.charCodeAt(relative.length - 1) !== 0x2f &&
      !relative.includes('//') &&
      !relative.includes('/.')
    return clean ? this.prefix + relative : join(this.root, relative)
  }

  /** What the file is now: its bytes, or why they are not read; undefined when it is gone. */
  read(relative: string): SourceEntry | undefined {
    let fd: number
    try {
      fd = openSync(
        (this.byBytes.size > 0 ? this.byBytes.get(relative) : undefined) ?? this.pathOf(relative),
        OPEN_FLAGS,
      )
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
   * What only a superuser can do is not told apart here: a device put in a listed file's place after the
   * listing, or mounted over one (a folder lists a mount point as the file it covers), reads as what its
   * first read gives, and so does a size-0 procfs file (/proc/kallsyms gives about 4 KiB per read). The
   * careful read called these `other` or empty. A pull request can make none of them: git stores no device
   * and no mount; the accepted cost of one call fewer per file (test/attacks/attack-quick-read-12f-*).
   */
  private readQuickly(fd: number): Buffer | undefined {
    const quick = (this.quick ??= Buffer.allocUnsafe(Math.min(this.maxBytes + 1, QUICK_BYTES)))
    const n = readAtStart(fd, quick, 0)
    if (n === undefined || n === 0 || n === quick.length) return undefined
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

/**
 * One read of an open file from its offset 0 (pread) into `into` from `at` to its end: the number of bytes
 * read, or undefined when the file refuses such a read (a FIFO or a terminal: ESPIPE; a folder: EISDIR).
 */
function readAtStart(fd: number, into: Buffer, at: number): number | undefined {
  try {
    return readSync(fd, into, at, into.length - at, 0)
  } catch {
    return undefined
  }
}

/**
 * The file at `path` opened and read as readWorkingTree reads a small file (see WorkingTreeFiles.readQuickly):
 * opened without following a link at its end and without waiting on a FIFO, then one read from offset 0 into
 * `into` from `at` to its end. The number of bytes read (a regular file reads short only at its end: fewer
 * than there was room for is the whole file); undefined when the file cannot be opened or read so (gone, a
 * link, a folder, a FIFO, no permission). For a caller that checks what it reads against what it expects.
 */
export function readFileOnce(path: string, into: Buffer, at: number): number | undefined {
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch {
    return undefined
  }
  try {
    return readAtStart(fd, into, at)
  } finally {
    try {
      closeSync(fd)
    } catch {
      // A close that fails (EIO, EINTR on some network file systems) leaves what was read as it is: the caller
      // checks those bytes.
    }
  }
}

/**
 * The entries of a folder whose names are not UTF-8, by their decoded names (U+FFFD for each undecodable
 * byte): the bytes of the name, or null where two names decode to the same string.
 */
function namesAsBytes(folder: string): Map<string, Buffer | null> {
  const names = new Map<string, Buffer | null>()
  const decoded = new Set<string>()
  for (const bytes of readdirSync(folder, { encoding: 'buffer' })) {
    const name = bytes.toString('utf8')
    if (Buffer.from(name).equals(bytes)) decoded.add(name)
    else names.set(name, names.has(name) ? null : bytes)
  }
  // A UTF-8 name holding U+FFFD itself that an undecodable one reads as: neither can be told by its name.
  for (const name of decoded) if (names.has(name)) names.set(name, null)
  return names
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
