import { join, resolve } from 'node:path'
import {
  BUNDLE_FORMAT,
  type SerializedBundle,
  type Bundle,
  type BundleContent,
  type BundleDelta,
  bundleContent,
  bundleFileName,
  itemDigests,
  deltaBetween,
  serializeBundle,
} from '../core/bundle/bundle.js'
import { sha256 } from '../core/bundle/canonical-json.js'
import type { Diagnostic } from '../core/diagnostics.js'
import { type PackageContents, packageContents } from '../core/model/package-contents.js'
import { type ReleasedVersion, versionsOf } from '../core/model/released-version.js'
import { compareVersions, latestVersion, sameVersion } from '../core/versions/versions.js'
import type { Definition, PackageSource, SourceEntry, SourceModel } from '../core/model/source-model.js'
import { CONFIG_FILE, DEFAULT_PATHS } from '../core/source/load-config.js'
import { loadSource } from '../core/source/load-source.js'
import { DEFAULT_YAML_LIMITS } from '../core/yaml/read-yaml.js'
import { UsageError } from './errors.js'
import { loadPackagesAt } from './scoped-source.js'
import { readCommitFiles } from '../adapters/git/repository-reader.js'
import { type ItemId, parseItemId } from '../core/names.js'
import { itemPath } from '../core/promotion/plan-promotion.js'
import { type OpenRepository, openRepository } from './repository.js'
import { UnsafePathError, checkFolders, readBundleFile, readCheckedBundleFileSync } from './safe-files.js'

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
  /** Shared by the packages of one build: only where no dependency cycle cuts a package short. */
  contentsCache = new Map<string, PackageContents>(),
): { content?: BundleContent; diagnostics: Diagnostic[] } {
  const pkg = repository.model.packages.get(pkgName)
  if (!pkg) return { diagnostics: [{ severity: 'error', code: 'missing-item', message: `package ${pkgName} does not exist` }] }
  const contents = packageContents(repository.model, pkg, contentsCache)
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
  /** Whether `repository` holds the whole model at `at` (every definition and package), not a part of it. */
  whole = false,
  /** The paths git says differ between two commits, shared by the reads of one build (see differingPaths). */
  diffs: CommitDiffs = new Map(),
  /** Files of earlier commits read ahead (see readChangesEarly). */
  reads: EarlyReads = new Map(),
): Promise<void> {
  const byCommit = new Map<string, Set<string>>()
  for (const { commit, package: name } of wanted) {
    if (cache.has(`${commit}:${name}`)) continue
    byCommit.set(commit, (byCommit.get(commit) ?? new Set()).add(name))
  }
  for (const [commit, all] of byCommit) {
    const names = at ? await itemsFromChanges(repository, commit, at, whole, all, cache, diffs, reads) : all
    if (names.size === 0) continue
    const then = await openAt(repository, commit, [...names].sort(), at)
    const contentsCache = new Map<string, PackageContents>()
    for (const name of names) {
      const thenPkg = then.model.packages.get(name)
      const items = thenPkg ? itemDigests(packageContents(then.model, thenPkg, contentsCache)) : {}
      cache.set(`${commit}:${name}`, items)
    }
  }
}

/**
 * The paths under the source that differ between two commits (`git diff-tree --relative`, paths relative
 * to the source's folder in its git repository), kept by pair for the rest of the build: the reused
 * bundles and the deltas of one build ask about the same release commits. Undefined when git cannot
 * compare them.
 */
export type CommitDiffs = Map<string, Promise<string[] | undefined>>

export function differingPaths(git: OpenRepository['git'], from: string, to: string, diffs: CommitDiffs): Promise<string[] | undefined> {
  const key = `${from}..${to}`
  let found = diffs.get(key)
  if (!found) {
    found = git
      .run(['diff-tree', '-r', '-z', '--relative', '--no-renames', '--name-only', from, to], { okCodes: [128] })
      .then((out) => (out.code === 0 ? out.stdout.toString('utf8').split('\0').filter(Boolean) : undefined))
    // Asked ahead of its use, maybe never awaited: a failure is thrown where it is awaited, never left unhandled.
    found.catch(() => undefined)
    diffs.set(key, found)
  }
  return found
}

const within = (root: string, path: string) => path === root || path.startsWith(`${root}/`)

/**
 * Files of earlier commits read ahead of their use (see readChangesEarly), by commit: the files asked for
 * and what reading them gave, undefined when the read ahead was not made or failed.
 */
export type EarlyReads = Map<string, Promise<{ files: readonly string[]; snapshot: Map<string, SourceEntry> } | undefined>>


/** The files a definition (`<definitions>/<kind>/<name>.yaml`) or a package (`<packages>/<name>.yaml`) is read from, at the default folders. */
const SOURCE_FILE = new RegExp(`^(${DEFAULT_PATHS.definitions}/[^/]+/[^/]+|${DEFAULT_PATHS.packages}/[^/]+)\\.yaml$`)

/**
 * Starts, for each of `commits`, the reads itemsFromChanges makes of it against `at` with the whole model
 * (the paths that differ, then the differing files of the sources' folders), as if gantry.yaml kept the
 * default folders: git is asked while this process is small, before the sources at `at` are loaded, instead
 * of once they are. Only a guess of what will be asked: itemsFromChanges takes a read only when it asks for
 * the same files of the same commit, and reads them itself otherwise; a read that fails is left to it.
 */
export function readChangesEarly(git: OpenRepository['git'], commits: Iterable<string>, at: string, diffs: CommitDiffs, reads: EarlyReads): void {
  const { definitions, kinds, packages } = DEFAULT_PATHS
  for (const commit of commits) {
    if (commit === at || reads.has(commit)) continue
    const read = differingPaths(git, commit, at, diffs).then(async (differing) => {
      if (!differing || differing.some((path) => path === CONFIG_FILE || within(kinds, path))) return undefined
      const files = differing.filter((path) => within(definitions, path) || within(packages, path))
      // A file there that no definition or package is named by (`packages/web/index.js` of a workspace) says
      // these folders may hold something else than the sources (gantry.yaml naming folders of its own): not
      // read ahead, as what may be many files would be read for nothing.
      if (!files.every((path) => SOURCE_FILE.test(path))) return undefined
      return { files, snapshot: await readCommitFiles(git, commit, files, DEFAULT_YAML_LIMITS.maxBytes) }
    })
    reads.set(
      commit,
      read.catch(() => undefined),
    )
  }
}

/**
 * The items at `commit` of every package among `names`, from the model `repository` holds at `at` (the
 * whole model, or the part of it named packages need, see loadPackagesAt) and the paths git says differ
 * between the two commits (`git diff-tree`: mode and object id of every path, whole subtrees that are the
 * same skipped unread). A definition or a package loads only from the one path its id names, with
 * gantry.yaml and the kind schemas: with those the same at both commits, a definition or a package at
 * `commit` is the one of `at` when its file is not among the differing paths (absent at `at` and `whole`:
 * absent); otherwise, or when a part of the model does not hold it, its file is read from `commit` and
 * loaded alone, as a whole-repository load would load it (absent there: absent). What each package holds,
 * includeReferences and dependencies included, is worked out on that model, and every definition or package
 * the working out asks for and does not know is read in the next round (with the whole model, every
 * differing file is read in the first, and there is no other): the same lookups as on a model read whole
 * from `commit`, with one `git diff-tree` per pair of commits and two processes per round of reading.
 * Nothing but git objects decides what is the same. Returns the packages left to read from the commit
 * itself (all of them when git cannot compare the commits, gantry.yaml or a kind schema differs, or a file
 * at `commit` holds an item other than its path names).
 */
async function itemsFromChanges(
  repository: OpenRepository,
  commit: string,
  at: string,
  /** Whether `repository` holds the whole model at `at`, not a part of it. */
  whole: boolean,
  names: ReadonlySet<string>,
  cache: PreviousItems,
  diffs: CommitDiffs,
  reads: EarlyReads,
): Promise<Set<string>> {
  const { model, paths, git, config } = repository
  const left = new Set(names)
  const differing = await differingPaths(git, commit, at, diffs)
  if (!differing || differing.some((path) => path === CONFIG_FILE || within(paths.kinds, path))) return left
  const changed = new Set(differing)
  const packagePath = (name: string) => `${paths.packages}/${name}.yaml`
  const definitionPath = (id: ItemId) => (parseItemId(id) ? itemPath(paths, id) : undefined)
  // What is known at `commit`: by key, and the files read from it (what is not in the maps is absent there).
  const then = { definitions: new KnownMap<ItemId, Definition>(), packages: new KnownMap<string, PackageSource>() }
  const read = new Set<string>()
  const wanted = new Set<string>()
  then.definitions.resolve = (id) => known(definitionPath(id), model.definitions.get(id))
  then.packages.resolve = (name) => known(packagePath(name), model.packages.get(name))
  // The value at `commit` of a key not met yet: the one at `at` when its file is the same object (nothing
  // when the whole model at `at` does not hold it), nothing when the file was read from `commit` and did
  // not hold it; otherwise its file is wanted.
  function known<V extends { file: string }>(file: string | undefined, now: V | undefined): V | undefined {
    if (file === undefined || read.has(file)) return undefined
    if (!changed.has(file)) {
      if (now && now.file === file) return now
      if (whole) return undefined
    }
    wanted.add(file)
    return undefined
  }
  const thenModel: SourceModel = { ...model, definitions: then.definitions, packages: then.packages }
  // With the whole model, only the differing files can hold anything new: all read at once, in one round.
  let files = whole ? differing.filter((path) => within(paths.definitions, path) || within(paths.packages, path)) : []
  for (;;) {
    if (files.length === 0) {
      wanted.clear()
      const contentsCache = new Map<string, PackageContents>()
      for (const name of names) {
        const pkg = thenModel.packages.get(name)
        if (pkg) packageContents(thenModel, pkg, contentsCache)
      }
      if (wanted.size === 0) break
      files = [...wanted].sort()
    }
    // The files read ahead when they are the ones asked for (the first round with the whole model).
    const early = await reads.get(commit)
    reads.delete(commit)
    const snapshot = early && sameFiles(early.files, files) ? early.snapshot : await readCommitFiles(git, commit, files, DEFAULT_YAML_LIMITS.maxBytes)
    const loaded = loadSource(snapshot, config, paths, model.schemas).model
    for (const file of files) read.add(file)
    files = []
    for (const [id, definition] of loaded.definitions) {
      if (definition.file !== definitionPath(id) || then.definitions.holds(id)) return left
      then.definitions.set(id, definition)
    }
    for (const [name, pkg] of loaded.packages) {
      if (pkg.file !== packagePath(name) || then.packages.holds(name)) return left
      then.packages.set(name, pkg)
    }
  }
  const contentsCache = new Map<string, PackageContents>()
  for (const name of names) {
    const pkg = thenModel.packages.get(name)
    cache.set(`${commit}:${name}`, pkg ? itemDigests(packageContents(thenModel, pkg, contentsCache)) : {})
    left.delete(name)
  }
  return left
}

const sameFiles = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((file, i) => file === b[i])

/**
 * A map that asks `resolve` for a key it does not hold, and keeps what it answers: the model at an earlier
 * commit, filled as the working out of packages' contents looks things up.
 */
class KnownMap<K, V> extends Map<K, V> {
  resolve: (key: K) => V | undefined = () => undefined

  override get(key: K): V | undefined {
    if (super.has(key)) return super.get(key)
    const value = this.resolve(key)
    if (value !== undefined) super.set(key, value)
    return value
  }

  override has(key: K): boolean {
    return this.get(key) !== undefined
  }

  /** Whether the key is held already, without asking. */
  holds(key: K): boolean {
    return super.has(key)
  }
}

/**
 * Only `names` (what their contents need) at `commit`. With the same gantry.yaml as at `at`, the commit
 * `repository` was read at, its policy and paths are taken as they are: nothing of the commit is read but
 * the packages' files.
 */
async function openAt(repository: OpenRepository, commit: string, names: string[], at: string | undefined): Promise<{ model: SourceModel }> {
  if (at) {
    const out = await repository.git.run(['rev-parse', `${commit}:./${CONFIG_FILE}`, `${at}:./${CONFIG_FILE}`], { okCodes: [1, 128] })
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

/** A bundle written by an earlier build that a rebuild takes as it is: its bytes, digest and delta. */
export interface ReusedBundle {
  release: ReleasedVersion
  bytes: string
  delta: BundleDelta
}

/**
 * The bundles a release build of `names` at `head` would make again byte for byte, read from `outDir`
 * instead of made again. A package qualifies when the release its build would keep (the newest version, or
 * the one its manifest names) was tagged at a commit from which nothing the bundle is made of differs at
 * `head` (decided by git: gantry.yaml, the kind schemas, the package's file and its items' files, compared
 * by `git diff-tree`, no content read), and the bundle file of that version is there with the tag's digest,
 * version, content digest and previous version. Anything else (includeReferences, whose items follow
 * references; a package file named otherwise; a file missing, changed or a link) is built the long way,
 * which compares the bytes it makes with the tag as always.
 */
export async function reusableBundles(
  repository: OpenRepository,
  names: readonly string[],
  head: string,
  outDir: string,
  diffs: CommitDiffs = new Map(),
): Promise<Map<string, ReusedBundle>> {
  const { model, paths, git, released } = repository
  const reused = new Map<string, ReusedBundle>()
  // A file's key: its folder under definitions (the kind) or packages, and its name up to the first dot.
  // Coarser than a path (x.yaml and x.yml, x.y.yaml and x.yaml share one): a key touched makes every item
  // or package of that key count as changed, never the other way round.
  const keyOf = (path: string): string => {
    const [first = '', second = ''] = path.split('/')
    return `${first}/${second.split('.')[0]}`
  }
  const itemKey = (id: string): string | undefined => (parseItemId(id) ? `d:${keyOf(itemPath(paths, id as ItemId).slice(paths.definitions.length + 1))}` : undefined)
  const packageKey = (name: string) => `p:${name.split('.')[0]}`
  /**
   * The keys of every file the package's content is made of: its manifest and declared items; with
   * includeReferences, every definition its references reach (and their targets, there or not), and the
   * manifests and items of its dependencies, which decide what it does not include. Undefined when that
   * cannot be told from file names.
   */
  const inputsOf = (name: string): string[] | undefined => {
    const keys: string[] = []
    const reach = (ids: readonly string[], follow: boolean): boolean => {
      const queue = [...ids]
      const seen = new Set<string>()
      while (queue.length > 0) {
        const id = queue.pop()!
        if (seen.has(id)) continue
        seen.add(id)
        const key = itemKey(id)
        if (!key) return false
        keys.push(key)
        const definition = model.definitions.get(id as ItemId)
        if (follow && definition) queue.push(...definition.references.map((r) => r.target))
      }
      return true
    }
    const packages = [name]
    const seen = new Set<string>()
    while (packages.length > 0) {
      const current = packages.pop()!
      if (seen.has(current)) continue
      seen.add(current)
      keys.push(packageKey(current))
      const pkg = model.packages.get(current)
      if (!pkg) continue
      if (pkg.file !== `${paths.packages}/${current}.yaml`) return undefined
      const follow = pkg.manifest.includeReferences === true
      if (!reach(pkg.manifest.items, follow)) return undefined
      // What a dependency provides is left out of an including package: its own inputs count too.
      if (model.packages.get(name)!.manifest.includeReferences) packages.push(...(pkg.manifest.dependencies ?? []).map((d) => d.package))
    }
    return keys
  }
  const byCommit = new Map<string, { name: string; release: ReleasedVersion; inputs: string[] }[]>()
  for (const name of names) {
    const pkg = model.packages.get(name)
    // A declared item that is not there is the long way's finding to make.
    if (!pkg || pkg.manifest.items.some((id) => !model.definitions.has(id as ItemId))) continue
    const versions = versionsOf(released, name)
    const explicit = pkg.manifest.version
    // The release the build keeps when the content is unchanged (see buildPackages).
    const latest = latestVersion(versions.map((r) => r.version))
    const release = explicit ? versions.find((r) => sameVersion(r.version, explicit)) : versions.find((r) => r.version === latest)
    if (!release?.digest || !release.contentDigest) continue
    const inputs = inputsOf(name)
    if (!inputs) continue
    byCommit.set(release.commit, [...(byCommit.get(release.commit) ?? []), { name, release, inputs }])
  }
  let foldersChecked: boolean | undefined
  for (const [commit, wanted] of byCommit) {
    const changed = new Set<string>()
    let shared = false
    if (commit !== head) {
      const differing = await differingPaths(git, commit, head, diffs)
      if (!differing) continue
      for (const path of differing) {
        if (path === CONFIG_FILE || path === paths.kinds || path.startsWith(`${paths.kinds}/`)) shared = true
        if (path.startsWith(`${paths.definitions}/`)) changed.add(`d:${keyOf(path.slice(paths.definitions.length + 1))}`)
        if (path.startsWith(`${paths.packages}/`)) changed.add(packageKey(path.slice(paths.packages.length + 1)))
      }
    }
    // gantry.yaml (paths, policy) and the kind schemas (references, checks) shape every bundle.
    if (shared) continue
    for (const { name, release, inputs } of wanted) {
      if (inputs.some((key) => changed.has(key))) continue
      let bytes: string | undefined
      try {
        const file = join(outDir, bundleFileName(name, release.version))
        // The folders are the same for every bundle: checked once.
        foldersChecked ??= await checkFolders(repository.dir, file, false)
        bytes = foldersChecked ? readCheckedBundleFileSync(repository.dir, file) : undefined
      } catch (error) {
        if (error instanceof UnsafePathError) continue
        throw error
      }
      if (bytes === undefined || sha256(bytes) !== release.digest) continue
      const bundle = topLevelFields(bytes, ['format', 'package', 'version', 'contentDigest', 'debug', 'delta']) as Partial<Bundle> | undefined
      if (!bundle) continue
      const previous = previousRelease(released, name, release.version)
      if (
        bundle.format !== BUNDLE_FORMAT ||
        bundle.package !== name ||
        bundle.version !== release.version ||
        bundle.contentDigest !== release.contentDigest ||
        bundle.debug !== false ||
        !bundle.delta ||
        bundle.delta.previous !== (previous?.version ?? null)
      )
        continue
      reused.set(name, { release, bytes, delta: bundle.delta })
    }
  }
  return reused
}

/**
 * Some top-level fields of a bundle's canonical JSON (see canonicalJson), each parsed alone: a bundle of
 * tens of thousands of lines is not parsed whole for its version and delta. In two-space indented JSON a
 * line that starts with two spaces and a quote is a key of the top object (a string holds no line break),
 * and its value runs to the next such line. Undefined for text not in that form.
 */
function topLevelFields(text: string, keys: readonly string[]): Record<string, unknown> | undefined {
  if (!text.startsWith('{\n') || !text.endsWith('\n}\n')) return undefined
  const fields: Record<string, unknown> = {}
  for (const key of keys) {
    const marker = `\n  ${JSON.stringify(key)}: `
    // A key comes once; those after "items", the bulk of a bundle, are found sooner from the end.
    const at = key > 'items' ? text.lastIndexOf(marker) : text.indexOf(marker)
    if (at < 0) continue
    const start = at + marker.length
    const next = text.indexOf('\n  "', start)
    const end = next < 0 ? text.length - 3 : next
    const value = text.slice(start, end)
    try {
      fields[key] = JSON.parse(next < 0 ? value : value.replace(/,$/, ''))
    } catch {
      return undefined
    }
  }
  return fields
}
