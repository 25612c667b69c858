import { lstatSync } from 'node:fs'
import { basename, dirname, join, sep } from 'node:path'
import { digestOf } from '../../core/hash.js'
import { readFileOnce } from '../fs/read-working-tree.js'

/**
 * The files of a working tree taken as the blobs a commit's tree names, when their bytes are those blobs.
 *
 * git names an object by the hash of its data behind the prefix `<type> <size>\0` (gitformat-loose(5): "The
 * object ID of the object is the SHA-1 or SHA-256 (as appropriate) hash of the uncompressed data", prefix and
 * data; `git hash-object` computes it for a file): SHA-1, 40 hexadecimal digits, or SHA-256, 64 of them, in
 * a repository made with `extensions.objectFormat = sha256`. A file whose bytes hash to the id the tree names
 * for its path holds exactly that blob's bytes, whatever made it (a checkout, an edit undone): it is used as
 * read, and nothing else is asked of git for it. A file that does not (edited, converted by `core.autocrlf`
 * or an `eol` attribute, a smudge filter, an LFS pointer, left out of a sparse checkout, gone, a link, a FIFO
 * or a folder in its place) is read from git, as every file was. The bytes hashed are the bytes
 * kept: the one buffer read is checked, then copied out, with nothing read again in between.
 *
 * git writes no blob whose bytes are half of a SHA-1 collision attack (it hashes with collision detection
 * since 2.13), so a committed blob cannot have been made to share its id with other bytes.
 */
export class WorkingTreeBlobs {
  /** The bytes of a file after their header (see read); grown for a larger file, then kept for the next. */
  private scratch = Buffer.allocUnsafe(64 * 1024)
  /** `join(root, path)` for a plain path (see plainPath): the root as join writes it, then the path. */
  private readonly prefix: string | undefined

  constructor(private readonly root: string) {
    this.prefix = sep === '/' ? join(root, 'x').slice(0, -1) : undefined
  }

  /**
   * The bytes of the file at `path` (relative to the root, as `git ls-tree` lists it from the folder it runs
   * in) when they are the blob `id` of `size` bytes; undefined otherwise, and for a path that is not a plain
   * relative path (see plainPath).
   */
  read(path: string, id: string, size: number): Buffer | undefined {
    const algorithm = id.length === 40 ? 'sha1' : id.length === 64 ? 'sha256' : undefined
    if (!algorithm || !plainPath(path) || !Number.isSafeInteger(size) || size < 0) return undefined
    const header = `blob ${size}\0`
    // Room for one byte more than the blob: a file that is longer reads more than `size` bytes.
    const needed = header.length + size + 1
    if (this.scratch.length < needed) this.scratch = Buffer.allocUnsafe(needed)
    const scratch = this.scratch
    const at = scratch.write(header, 0, 'latin1')
    const n = readFileOnce(this.prefix !== undefined ? this.prefix + path : join(this.root, path), scratch, at)
    if (n !== size) return undefined
    if (digestOf(algorithm, scratch.subarray(0, at + size), 'hex') !== id) return undefined
    // A copy of the bytes just hashed: the buffer is read into again for the next file.
    const bytes = Buffer.allocUnsafe(size)
    scratch.copy(bytes, 0, at, at + size)
    return bytes
  }
}

/**
 * A path that names the same file joined to the root on every system: relative, segments neither empty nor
 * `.` or `..`, no NUL, and decoded from git's bytes as they are (U+FFFD stands for bytes that are no UTF-8:
 * the string then names another file); on Windows no `\` or `:` either, which it reads as separators or
 * drives. git's trees hold no other paths (git fsck refuses the rest), but a tree can be written by hand.
 */
function plainPath(path: string): boolean {
  if (path === '' || UNPLAIN.test(path)) return false
  return sep === '/' || !/[\\:]/.test(path)
}

const UNPLAIN = /^\/|\/$|\/\/|(?:^|\/)\.\.?(?:\/|$)|[\0\uFFFD]/

/**
 * The folder to read files from for the commit HEAD resolves to, when `dir` is in a working tree as git
 * finds one: a `.git` (folder or file) in `dir` or a folder above it, with neither GIT_DIR nor GIT_WORK_TREE
 * set (git's discovery of a repository; see git(1), GIT_DIR). `dir` itself, since `git -C <dir> ls-tree`
 * lists paths from there. Undefined otherwise (a bare repository, a repository named by the environment):
 * every file is then read from git. Only a saving rides on this answer: what is read is checked by its hash.
 */
export function workingTreeAt(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GIT_DIR !== undefined || env.GIT_WORK_TREE !== undefined) return undefined
  for (let folder = dir; ; folder = dirname(folder)) {
    // Inside a repository's .git folder there is no working tree (git runs there as in a bare repository).
    if (basename(folder) === '.git') return undefined
    if (exists(join(folder, '.git'))) return dir
    if (dirname(folder) === folder) return undefined
  }
}

function exists(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined
  } catch {
    return false
  }
}
