import { join, resolve } from 'node:path'
import {
  type SerializedBundle,
  type Bundle,
  type BundleContent,
  bundleContent,
  bundleFileName,
  deltaBetween,
  serializeBundle,
} from '../core/bundle/bundle.js'
import { sha256 } from '../core/bundle/canonical-json.js'
import type { Diagnostic } from '../core/diagnostics.js'
import { type PackageContents, packageContents } from '../core/model/package-contents.js'
import { type ReleasedVersion, versionsOf } from '../core/model/released-version.js'
import { compareVersions, sameVersion } from '../core/versions/versions.js'
import type { SourceModel } from '../core/model/source-model.js'
import { CONFIG_FILE } from '../core/source/load-config.js'
import { loadSource } from '../core/source/load-source.js'
import { DEFAULT_YAML_LIMITS } from '../core/yaml/read-yaml.js'
import { UsageError } from './errors.js'
import { loadPackagesAt } from './scoped-source.js'
import { type OpenRepository, openRepository } from './repository.js'
import { UnsafePathError, readBundleFile } from './safe-files.js'

export const DEFAULT_OUT_DIR = '.gantry/build'

/** The released version just below `version`, the one a bundle's delta is taken against. */
export function previousRelease(released: readonly ReleasedVersion[], pkg: string, version: string): ReleasedVersion | undefined {
  return versionsOf(released, pkg)
    .filter((r) => compareVersions(r.version, version) < 0)
    .sort((a, b) => compareVersions(b.version, a.version))[0]
}

/** What a package holds as a bundle, from `repository` (a working tree or a commit), without version or delta. */
export function packageBundleContent(
  repository: OpenRepository,
  pkgName: string,
): { content?: BundleContent; diagnostics: Diagnostic[] } {
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
  return { content: bundleContent(pkg.manifest, contents), diagnostics: [] }
}

/** The items (digests only) of released versions, keyed `<commit>:<package>`, for the deltas of new bundles. */
export type PreviousItems = Map<string, Record<string, { digest: string }>>

/**
 * Reads the items of `wanted` packages at their release commits into `cache`: each commit is opened once,
 * for all the packages wanted there, and only those packages (and what they need) are read from it.
 */
export async function readPreviousItems(
  repository: OpenRepository,
  wanted: readonly { commit: string; package: string }[],
  cache: PreviousItems,
  /** The commit `repository` was read at, if any. */
  at?: string,
): Promise<void> {
  const byCommit = new Map<string, Set<string>>()
  for (const { commit, package: name } of wanted) {
    if (cache.has(`${commit}:${name}`)) continue
    byCommit.set(commit, (byCommit.get(commit) ?? new Set()).add(name))
  }
  for (const [commit, names] of byCommit) {
    const then = await openAt(repository, commit, [...names].sort(), at)
    const contentsCache = new Map<string, PackageContents>()
    for (const name of names) {
      const thenPkg = then.model.packages.get(name)
      const items = thenPkg ? bundleContent(thenPkg.manifest, packageContents(then.model, thenPkg, contentsCache)).items : {}
      cache.set(`${commit}:${name}`, items)
    }
  }
}

/**
 * Only `names` (what their contents need) at `commit`. With the same gantry.yaml as at `at`, the commit
 * `repository` was read at, its policy and paths are taken as they are: nothing of the commit is read but
 * the packages' files.
 */
async function openAt(repository: OpenRepository, commit: string, names: string[], at: string | undefined): Promise<{ model: SourceModel }> {
  if (at) {
    const out = await repository.git.run(['rev-parse', '--verify', '-q', `${commit}:${CONFIG_FILE}`, `${at}:${CONFIG_FILE}`], { okCodes: [1, 128] })
    const [then, now] = out.stdout.toString().trim().split('\n')
    if (out.code === 0 && then && then === now) {
      const { config, paths } = repository
      const { model } = await loadPackagesAt(repository.git, commit, paths, names, DEFAULT_YAML_LIMITS.maxBytes, (snapshot, kinds) => loadSource(snapshot, config, paths, kinds), false)
      return { model }
    }
  }
  return openRepository(repository.dir, { commit, packages: names, contentsOnly: true })
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
  previousCache: PreviousItems = new Map(),
): Promise<{ bundle?: SerializedBundle; diagnostics: Diagnostic[] }> {
  const { content, diagnostics } = packageBundleContent(repository, pkgName)
  if (!content) return { diagnostics }
  const previous = previousRelease(repository.released, pkgName, version)
  if (previous) await readPreviousItems(repository, [{ commit: previous.commit, package: pkgName }], previousCache)
  const previousItems = previous ? previousCache.get(`${previous.commit}:${pkgName}`) : undefined
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
    // Only this package (and what it needs) is read from the tag's commit.
    const then = await openRepository(repository.dir, { commit: release.commit, packages: [release.package], contentsOnly: true })
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
