import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, sep } from 'node:path'
import { UsageError } from './errors.js'

/**
 * Reading and writing files that a repository's content can influence (the build folder, the source folders'
 * parents) without following a symbolic link: a committed `.gantry` link must not send a write, or a read,
 * outside the repository.
 */

/** A bundle read back from the build folder is refused past this size (a link to /dev/zero, a planted file). */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024

// Never follow a link at the last step; never block on a FIFO. Both flags are absent on Windows.
const NO_FOLLOW = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)

/** A path Gantry will not read or write: a link, or something other than a file or folder where one belongs. */
export class UnsafePathError extends UsageError {
  override name = 'UnsafePathError'
}

function unsafePath(dir: string, path: string, message: string): UnsafePathError {
  const shown = relative(dir, path) || path
  return new UnsafePathError(message, [
    {
      severity: 'error',
      code: 'unsafe-path',
      file: shown,
      message,
      hint: `remove ${shown} (Gantry never reads or writes through a symbolic link) and run the command again`,
    },
  ])
}

/**
 * The folders from the repository down to `path`'s parent, those inside the repository: each is checked
 * with lstat, so a committed `.gantry` or `.gantry/build` that is a link cannot send a read or a write
 * elsewhere. Folders above the repository (an absolute --out elsewhere) are the caller's choice.
 */
function foldersInside(dir: string, path: string): string[] {
  const rel = relative(dir, dirname(path))
  // Outside is `..` or `../...`: a folder named `..out` is inside, and is checked like any other.
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return []
  const parts = rel.split(sep)
  return parts.map((_, i) => join(dir, ...parts.slice(0, i + 1)))
}

/**
 * Checks, with lstat, every folder between `dir` and `path` (not `path` itself): a link among them is
 * refused (UnsafePathError). Returns false when one is missing; with `create`, missing ones are made.
 */
export async function checkFolders(dir: string, path: string, create: boolean): Promise<boolean> {
  for (const folder of foldersInside(dir, path)) {
    let stat
    try {
      stat = await lstat(folder)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      if (!create) return false
      await mkdir(folder)
      continue
    }
    if (stat.isSymbolicLink())
      throw unsafePath(
        dir,
        folder,
        `${relative(dir, folder)} is a symbolic link: Gantry does not read or write through it`,
      )
    if (!stat.isDirectory()) throw unsafePath(dir, folder, `${relative(dir, folder)} is not a folder`)
  }
  return true
}

/** The bytes of a bundle file, or undefined when there is none; a link or an oversized file is refused. */
export async function readBundleFile(
  dir: string,
  file: string,
  maxBytes = MAX_BUNDLE_BYTES,
): Promise<string | undefined> {
  if (!(await checkFolders(dir, file, false))) return undefined
  let handle
  try {
    handle = await open(file, constants.O_RDONLY | NO_FOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    // O_NOFOLLOW answers ELOOP for a link (EMLINK on some BSDs).
    if (code === 'ELOOP' || code === 'EMLINK')
      throw unsafePath(
        dir,
        file,
        `${relative(dir, file) || file} is a symbolic link: Gantry does not read through it`,
      )
    throw error
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw unsafePath(dir, file, `${relative(dir, file) || file} is not a regular file`)
    if (stat.size > maxBytes)
      throw unsafePath(
        dir,
        file,
        `${relative(dir, file) || file} is ${stat.size} bytes, over the ${maxBytes}-byte limit for a bundle`,
      )
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}

/**
 * readBundleFile for a file whose folders the caller checked already (checkFolders, once for a folder it reads
 * many bundles from), read synchronously: hundreds of files read through the thread pool cost several times
 * the same reads made directly. The same refusals: a link, not a regular file, over `maxBytes`.
 */
export function readCheckedBundleFileSync(dir: string, file: string, maxBytes = MAX_BUNDLE_BYTES): string | undefined {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | NO_FOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP' || code === 'EMLINK')
      throw unsafePath(dir, file, `${relative(dir, file) || file} is a symbolic link: Gantry does not read through it`)
    throw error
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw unsafePath(dir, file, `${relative(dir, file) || file} is not a regular file`)
    if (stat.size > maxBytes)
      throw unsafePath(dir, file, `${relative(dir, file) || file} is ${stat.size} bytes, over the ${maxBytes}-byte limit for a bundle`)
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

/**
 * writeBundleFile for a file whose folders the caller checked and made already (checkFolders, once for a
 * folder it writes many bundles to), written synchronously: the same temporary file opened with O_EXCL |
 * O_NOFOLLOW, then renamed over the bundle, so a link in its place is replaced, not followed.
 */
export function writeCheckedBundleFileSync(file: string, content: string): void {
  renameSync(writeTemporaryBundleFileSync(file, content), file)
}

/**
 * The first half of writeCheckedBundleFileSync: `content` written to the temporary file beside `file`,
 * whose name it returns, for the caller to rename over `file` later (or remove).
 */
export function writeTemporaryBundleFileSync(file: string, content: string): string {
  const temporary = `${file}.${process.pid}.tmp`
  const create = () => openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o644)
  let fd: number
  try {
    fd = create()
  } catch (error) {
    // Something is there already (left by a process of the same id, or a link put in its way): removed, never
    // followed, and made again. Asked only when the exclusive create fails, not looked for before each one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    unlinkSync(temporary)
    fd = create()
  }
  try {
    writeFileSync(fd, content)
  } finally {
    closeSync(fd)
  }
  return temporary
}

/**
 * Writes a bundle: through no link (folders checked, the file opened with O_EXCL | O_NOFOLLOW), under a
 * temporary name, then renamed, so a reader never sees half a bundle and a link in its place is replaced,
 * not followed.
 */
export async function writeBundleFile(dir: string, file: string, content: string): Promise<void> {
  await checkFolders(dir, file, true)
  await mkdir(dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.tmp`
  await unlink(temporary).catch(() => undefined)
  const handle = await open(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW,
    0o644,
  )
  try {
    await handle.writeFile(content)
  } finally {
    await handle.close()
  }
  await rename(temporary, file)
}
