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
import { readCommitFiles } from '../adapters/git/repository-reader.js'
import { type ItemId, parseItemId } from '../core/names.js'
import { itemPath } from '../core/promotion/plan-promotion.js'
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
  for (const [commit, all] of byCommit) {
    const names = at ? await itemsFromObjects(repository, commit, at, all, cache) : all
    if (names.size === 0) continue
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
 * The items at `commit` of the packages among `names` whose files git says are the same objects there as at
 * `at` (the commit `repository` holds), except for some of their items: gantry.yaml, every kind schema and
 * the manifest the same, no includeReferences. Their items are then those of `repository`, but for the item
 * files that differ, which alone are read and loaded from `commit`. Whether anything is the same is decided
 * by object ids (mode and id of each file), never by dates. Returns the packages left to read the long way.
 */
async function itemsFromObjects(
  repository: OpenRepository,
  commit: string,
  at: string,
  names: ReadonlySet<string>,
  cache: PreviousItems,
): Promise<Set<string>> {
  const { model, paths, git, config } = repository
  const left = new Set(names)
  const candidates = [...names].filter((name) => {
    const pkg = model.packages.get(name)
    return pkg && !pkg.manifest.includeReferences && pkg.file === `${paths.packages}/${name}.yaml`
  })
  if (candidates.length === 0) return left
  const files = [CONFIG_FILE, paths.kinds]
  for (const name of candidates) {
    const pkg = model.packages.get(name)!
    files.push(pkg.file, ...pkg.manifest.items.filter((id) => parseItemId(id)).map((id) => itemPath(paths, id as ItemId)))
  }
  const objects = async (treeish: string) => {
    const found = new Map<string, string>()
    for (let start = 0; start < files.length; start += 1000) {
      const entries = await git.listTree(treeish, { recursive: true, paths: files.slice(start, start + 1000), literal: true })
      for (const e of entries) found.set(e.path, `${e.mode} ${e.sha}`)
    }
    return found
  }
  const [then, now] = [await objects(commit), await objects(at)]
  const same = (path: string) => then.get(path) === now.get(path)
  const under = (root: string) => new Set([...then.keys(), ...now.keys()].filter((p) => p.startsWith(`${root}/`)))
  if (!same(CONFIG_FILE) || ![...under(paths.kinds)].every(same)) return left
  const differing: string[] = []
  const reuse = candidates.filter((name) => same(model.packages.get(name)!.file))
  for (const name of reuse) for (const id of model.packages.get(name)!.manifest.items) if (parseItemId(id) && !same(itemPath(paths, id as ItemId))) differing.push(itemPath(paths, id as ItemId))
  // The differing files loaded as a whole-repository load would, with the kinds already compiled at `at`.
  const loaded = differing.length > 0 ? loadSource(await readCommitFiles(git, commit, differing, DEFAULT_YAML_LIMITS.maxBytes), config, paths, model.schemas).model.definitions : new Map()
  for (const name of reuse) {
    const pkg = model.packages.get(name)!
    const definitions: SourceModel['definitions'] = new Map()
    for (const id of pkg.manifest.items as ItemId[]) {
      if (!parseItemId(id)) continue
      const definition = same(itemPath(paths, id)) ? model.definitions.get(id) : loaded.get(id)
      if (definition) definitions.set(id, definition)
    }
    // Without includeReferences a package holds its declared items that load: dependencies play no part.
    const thenModel: SourceModel = { ...model, definitions, packages: new Map([[name, pkg]]) }
    cache.set(`${commit}:${name}`, bundleContent(pkg.manifest, packageContents(thenModel, pkg)).items)
    left.delete(name)
  }
  return left
}

/**
 * Only `names` (what their contents need) at `commit`. With the same gantry.yaml as at `at`, the commit
 * `repository` was read at, its policy and paths are taken as they are: nothing of the commit is read but
 * the packages' files.
 */
async function openAt(repository: OpenRepository, commit: string, names: string[], at: string | undefined): Promise<{ model: SourceModel }> {
  if (at) {
    const out = await repository.git.run(['rev-parse', `${commit}:${CONFIG_FILE}`, `${at}:${CONFIG_FILE}`], { okCodes: [1, 128] })
    const [then, now] = out.stdout.toString().trim().split('\n')
    if (out.code === 0 && then && then === now) {
      const { config, paths } = repository
      const { model } = await loadPackagesAt(repository.git, commit, paths, names, DEFAULT_YAML_LIMITS.maxBytes, (snapshot, kinds) => loadSource(snapshot, config, paths, kinds), false, { commit: at, model: repository.model })
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
