import { constants } from 'node:fs'
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import {
  type SerializedBundle,
  type Bundle,
  bundleContent,
  bundleFileName,
  deltaBetween,
  serializeBundle,
} from '../core/bundle/bundle.js'
import { sha256 } from '../core/bundle/canonical-json.js'
import type { Diagnostic } from '../core/diagnostics.js'
import { packageContents } from '../core/model/package-contents.js'
import { type ReleasedVersion, versionsOf } from '../core/model/released-version.js'
import { compareVersions, sameVersion } from '../core/versions/versions.js'
import { UsageError } from './errors.js'
import { type OpenRepository, openRepository } from './repository.js'

export const DEFAULT_OUT_DIR = '.gantry/build'

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
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return []
  const parts = rel.split(sep)
  return parts.map((_, i) => join(dir, ...parts.slice(0, i + 1)))
}

async function checkFolders(dir: string, path: string, create: boolean): Promise<boolean> {
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
    if (stat.isSymbolicLink()) throw unsafePath(dir, folder, `${relative(dir, folder)} is a symbolic link: Gantry does not read or write through it`)
    if (!stat.isDirectory()) throw unsafePath(dir, folder, `${relative(dir, folder)} is not a folder`)
  }
  return true
}

/** The bytes of a bundle file, or undefined when there is none; a link or an oversized file is refused. */
export async function readBundleFile(dir: string, file: string, maxBytes = MAX_BUNDLE_BYTES): Promise<string | undefined> {
  if (!(await checkFolders(dir, file, false))) return undefined
  let handle
  try {
    handle = await open(file, constants.O_RDONLY | NO_FOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    // O_NOFOLLOW answers ELOOP for a link (EMLINK on some BSDs).
    if (code === 'ELOOP' || code === 'EMLINK') throw unsafePath(dir, file, `${relative(dir, file) || file} is a symbolic link: Gantry does not read through it`)
    throw error
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw unsafePath(dir, file, `${relative(dir, file) || file} is not a regular file`)
    if (stat.size > maxBytes) throw unsafePath(dir, file, `${relative(dir, file) || file} is ${stat.size} bytes, over the ${maxBytes}-byte limit for a bundle`)
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
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
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o644)
  try {
    await handle.writeFile(content)
  } finally {
    await handle.close()
  }
  await rename(temporary, file)
}

/** The released version just below `version`, the one a bundle's delta is taken against. */
export function previousRelease(released: readonly ReleasedVersion[], pkg: string, version: string): ReleasedVersion | undefined {
  return versionsOf(released, pkg)
    .filter((r) => compareVersions(r.version, version) < 0)
    .sort((a, b) => compareVersions(b.version, a.version))[0]
}

/**
 * Assembles the bundle of `pkg` as it is in `repository` (a working tree or a commit), as `version`, with
 * its delta to the previous release (rebuilt from that release's commit).
 */
export async function assembleBundle(
  repository: OpenRepository,
  pkgName: string,
  version: string,
  debug: boolean,
  previousCache = new Map<string, Record<string, { digest: string }>>(),
): Promise<{ bundle?: SerializedBundle; diagnostics: Diagnostic[] }> {
  const pkg = repository.model.packages.get(pkgName)
  if (!pkg) return { diagnostics: [{ severity: 'error', code: 'missing-item', message: `package ${pkgName} does not exist` }] }
  const contents = packageContents(repository.model, pkg)
  if (contents.missing.length > 0) {
    return {
      diagnostics: [
        { severity: 'error', code: 'missing-item', file: pkg.file, package: pkgName, message: `package ${pkgName} lists ${contents.missing.join(', ')}, which do not exist` },
      ],
    }
  }
  const content = bundleContent(pkg.manifest, contents)
  const previous = previousRelease(repository.released, pkgName, version)
  let previousItems: Record<string, { digest: string }> | undefined
  if (previous) {
    const key = `${previous.commit}:${pkgName}`
    previousItems = previousCache.get(key)
    if (!previousItems) {
      const then = await openRepository(repository.dir, { commit: previous.commit })
      const thenPkg = then.model.packages.get(pkgName)
      previousItems = thenPkg ? bundleContent(thenPkg.manifest, packageContents(then.model, thenPkg)).items : {}
      previousCache.set(key, previousItems)
    }
  }
  const delta = deltaBetween(previous?.version ?? null, previousItems, content.items)
  return { bundle: serializeBundle(content, version, delta, debug), diagnostics: [] }
}

export interface VerifiedBundle {
  bundle: Bundle
  digest: string
  release: ReleasedVersion
  /** Where the bytes came from: the build folder, or rebuilt from the tag's commit. */
  source: 'file' | 'rebuilt'
}

/** The tagged version of a package: newest when `version` is undefined. */
export function findRelease(repository: OpenRepository, pkg: string, version: string | undefined): ReleasedVersion {
  const versions = versionsOf(repository.released, pkg).sort((a, b) => compareVersions(b.version, a.version))
  const release = version === undefined ? versions[0] : versions.find((r) => sameVersion(r.version, version))
  if (!release) {
    const known = versions.map((r) => r.version).join(', ') || 'none'
    throw new UsageError(
      version === undefined
        ? `${pkg} has no released version; run gantry build ${pkg} first`
        : `${pkg}@${version} is not released (released versions: ${known})`,
    )
  }
  return release
}

/**
 * Loads a released version's bundle and checks its bytes against the digest in the tag: from the build
 * folder when it is there, else rebuilt from the tag's commit. A mismatch is refused.
 */
export async function loadVerifiedBundle(
  repository: OpenRepository,
  release: ReleasedVersion,
  outDir = DEFAULT_OUT_DIR,
): Promise<{ verified?: VerifiedBundle; diagnostics: Diagnostic[] }> {
  const file = resolve(repository.dir, outDir, bundleFileName(release.package, release.version))
  let source: VerifiedBundle['source'] = 'file'
  let bytes: string | undefined
  try {
    bytes = await readBundleFile(repository.dir, file)
  } catch (error) {
    if (error instanceof UnsafePathError) return { diagnostics: error.diagnostics }
    throw error
  }
  if (bytes === undefined) {
    source = 'rebuilt'
    const then = await openRepository(repository.dir, { commit: release.commit })
    const { bundle, diagnostics } = await assembleBundle(then, release.package, release.version, false)
    if (!bundle) return { diagnostics }
    bytes = bundle.bytes
  }
  const actual = sha256(bytes)
  if (!release.digest || actual !== release.digest) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: 'digest-mismatch',
          package: release.package,
          file: source === 'file' ? join(outDir, bundleFileName(release.package, release.version)) : release.tag,
          message: `digest mismatch for ${release.tag} (expected ${release.digest ?? 'a digest in the tag message'}, got ${actual})`,
          hint:
            source === 'file'
              ? `the bundle file was changed after the build: delete it to rebuild it from the tag, then try again`
              : 'the tag does not describe this content: it was not made by gantry build',
        },
      ],
    }
  }
  return { verified: { bundle: JSON.parse(bytes) as Bundle, digest: actual, release, source }, diagnostics: [] }
}
