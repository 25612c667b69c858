import { existsSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { GANTRY_IDENTITY, Git } from '../adapters/git/git.js'
import { readReleasedVersions } from '../adapters/git/repository-reader.js'
import { type BundleContent, type SerializedBundle, bundleFileName, contentDigest, deltaBetween, serializeBundle, tagMessage } from '../core/bundle/bundle.js'
import { sha256 } from '../core/bundle/canonical-json.js'
import { type Diagnostic, countBySeverity, sortDiagnostics } from '../core/diagnostics.js'
import { type ReleasedVersion, releasesByPackage, versionsOf } from '../core/model/released-version.js'
import type { PackageContents } from '../core/model/package-contents.js'
import { validatePackages } from '../core/validate/validate-local.js'
import { type VersioningScheme, bumpFromNotes, compareVersions, latestVersion, nextVersion, sameVersion } from '../core/versions/versions.js'
import { type CommitDiffs, DEFAULT_OUT_DIR, type EarlyReads, type PreviousItems, type ReusedBundle, packageBundleContent, previousRelease, readChangesEarly, readPreviousItems, reusableBundles } from './artifacts.js'
import { UsageError } from './errors.js'
import { type OpenRepository, headCommit, listRefs, openRepository } from './repository.js'
import { checkFolders, readCheckedBundleFileSync, writeBundleFile, writeCheckedBundleFileSync, writeTemporaryBundleFileSync } from './safe-files.js'

export interface BuildOptions {
  repo: string
  packages: string[]
  all: boolean
  debug: boolean
  out?: string
  /** Called as packages are built: (phase, done, total). */
  onProgress?: (phase: string, done: number, total: number) => void
}

export interface BuiltArtifact {
  package: string
  version: string
  digest: string
  file: string
  tag: string | null
  created: boolean
  debug: boolean
  /** The bundle's bytes, for whoever uploads them. */
  bytes: string
  notes?: string
  delta: { previous: string | null; added: string[]; changed: string[]; removed: string[] }
}

export interface BuildResult {
  ok: boolean
  artifacts: BuiltArtifact[]
  diagnostics: Diagnostic[]
}

/**
 * What `--format json` reports of an artifact: every field but its bytes and notes, in the same order. The
 * bytes are not read: those of a bundle this build made are read back from its file when asked for.
 */
export function reportedArtifact(artifact: BuiltArtifact): Omit<BuiltArtifact, 'bytes' | 'notes'> {
  const fields: Record<string, unknown> = {}
  for (const key of Object.keys(artifact) as (keyof BuiltArtifact)[]) if (key !== 'bytes' && key !== 'notes') fields[key] = artifact[key]
  return fields as Omit<BuiltArtifact, 'bytes' | 'notes'>
}

/**
 * Builds packages into bundles. A release build reads the HEAD commit (the one the tag will name), gives a
 * new version only when the content changed, and tags it; a debug build reads the working tree and is never
 * tagged.
 */
export async function buildPackages(options: BuildOptions): Promise<BuildResult> {
  // A build stopped by SIGINT or SIGTERM removes the temporary files of its bundles (and the folders it made
  // for them), then stops as the signal would have stopped it.
  const stopped: { discard?: () => void } = {}
  const onSignal = (signal: NodeJS.Signals) => {
    stopped.discard?.()
    process.kill(process.pid, signal)
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await build(options, stopped)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

async function build(options: BuildOptions, stopped: { discard?: () => void }): Promise<BuildResult> {
  // The commit is fixed first: every read below (the packages, their earlier releases) is of this commit. The
  // refs are listed before anything else, once for the whole build (openRepository takes the listing): they
  // tell the commit when HEAD is on a listed branch (see headCommit).
  const git = new Git(resolve(options.repo))
  const refs = await listRefs(git)
  const head = options.debug ? undefined : await headCommit(git, refs)
  // Reading the whole repository, a build makes bundles of every package it builds: keep the documents.
  // Unless earlier release bundles are in the output folder: a rebuild takes most of them as they are
  // (reusableBundles), and the few documents it needs are read again when asked for. Either way the
  // bundles are the same; only the memory and the time differ.
  const earlier = !options.debug && (await hasReleaseBundles(resolve(options.repo, options.out ?? DEFAULT_OUT_DIR)))
  const keepDocuments = !earlier
  // The paths that differ between a release commit and HEAD, asked of git once for all uses below.
  const diffs: CommitDiffs = new Map()
  const reads: EarlyReads = new Map()
  // A fresh build of every package makes again the bundles of what was released, each with its delta to the
  // release before: what git is asked of those earlier releases is asked before the sources are read.
  const onReleased = options.all && !options.debug && !earlier && head ? (released: readonly ReleasedVersion[]) => readChangesEarly(git, earlierReleaseCommits(released), head, diffs, reads) : undefined
  const open = (only?: readonly string[]) =>
    openRepository(
      options.repo,
      options.debug
        ? { keepDocuments: true, refs }
        : { ...(head ? { commit: head, resolvedCommit: true } : { commit: 'HEAD' }), workingTree: true, ...(only ? { packages: only } : { keepDocuments }), ...(onReleased && !only ? { onReleased } : {}), refs },
    )
  // Building named packages reads only them and what they need (dependencies, items, referenced
  // definitions), so its cost follows those packages, not the size of the repository. Whenever that finds
  // anything to refuse, the whole repository is read and checked as before, so refusals say the same.
  const scoped = !options.debug && !options.all && head !== undefined && options.packages.length > 0
  let repository = await open(scoped ? options.packages : undefined)
  // Whether the model holds every definition and package of the commit, or only what named packages need.
  let whole = !scoped
  if (!options.debug && !repository.isGit) throw new UsageError(`${repository.dir} is not a git repository; release builds tag a commit (use --debug to build without one)`)
  if (!options.debug && !head) throw new UsageError('the repository has no commit yet')
  const names = options.all ? [...repository.model.packages.keys()].sort() : options.packages
  if (names.length === 0) throw new UsageError('name the packages to build, or pass --all')
  // A package is built only when its files and references are sound.
  // Whether the packages have a dependency cycle anywhere: what each holds is then worked out alone.
  let cycles = false
  // What each package holds, worked out by the checks of a model and used again for its bundles.
  const contentsOf = new WeakMap<OpenRepository, Map<string, PackageContents>>()
  const refusals = (from: OpenRepository): Diagnostic[] => {
    const contents = new Map<string, PackageContents>()
    contentsOf.set(from, contents)
    const found = [...from.loadDiagnostics, ...validatePackages(from.model, from.released, contents)]
    if (found.some((d) => d.code === 'dependency-cycle')) cycles = true
    return found.filter((d) => d.severity === 'error' && (d.package === undefined || names.includes(d.package)))
  }
  let diagnostics = names.some((name) => !repository.model.packages.has(name)) ? undefined : refusals(repository)
  if (scoped && (diagnostics === undefined || diagnostics.length > 0)) {
    repository = await open()
    whole = true
    diagnostics = undefined
  }
  for (const name of names) {
    if (repository.model.packages.has(name)) continue
    // A package file that is there but does not load (a YAML syntax error, a schema error) is not a package
    // that "does not exist": its findings are the answer, with file, line and column.
    const file = new RegExp(`^${escapeRegExp(repository.paths.packages)}/${escapeRegExp(name)}\\.ya?ml$`)
    const broken = repository.loadDiagnostics.filter((d) => d.severity === 'error' && d.file !== undefined && file.test(d.file))
    if (broken.length > 0) return { ok: false, artifacts: [], diagnostics: sortDiagnostics(broken) }
    throw new UsageError(`package ${name} does not exist`)
  }
  diagnostics ??= refusals(repository)
  if (diagnostics.length > 0) return { ok: false, artifacts: [], diagnostics: sortDiagnostics(diagnostics) }

  const scheme = (repository.config.versioning ?? 'dot') as VersioningScheme
  // Relative to the repository, like the default; an absolute folder as it is.
  const outDir = resolve(repository.dir, options.out ?? DEFAULT_OUT_DIR)
  const progress = options.onProgress ?? (() => {})

  // A rebuild of what was released: bundles whose inputs git shows unchanged since their tag, with their
  // file in the output folder as tagged, are taken as they are (see reusableBundles).
  const reused = !earlier || !head ? new Map<string, ReusedBundle>() : await reusableBundles(repository, names, head, outDir, diffs)

  // Plan, then write: every bundle is made and checked against its tag before any file or tag is written, so a
  // build that refuses (a tag naming another bundle, a version taken by other content) leaves nothing behind.
  // Each bundle is made as soon as its delta can be: its content decides its version, the version the release
  // its delta is taken against. Only what is written is kept of it (its bytes, digest and delta), not the
  // documents, so that a build of every package holds one package's documents at a time besides the model.
  const ready: ({ name: string; version: string; built: Built; existing?: ReleasedVersion; written?: true } | undefined)[] = []
  // Each bundle made is written as soon as it is made, to the temporary file beside its own, and renamed into
  // place once every bundle is made and checked (removed if the build refuses): its bytes are not held until
  // then. Held, hundreds of strings of tens of kilobytes each outlive collections of the young generation,
  // which copy them to the old one while the build goes on; written at once, each is let go once hashed.
  const temporaries = new Set<string>()
  // The folders of the output folder that this build makes, innermost first: removed again if it refuses.
  const madeFolders: string[] = []
  let early = false
  const discard = () => {
    for (const temporary of temporaries) {
      try {
        unlinkSync(temporary)
      } catch {
        // Gone already: nothing to remove.
      }
    }
    temporaries.clear()
    for (const folder of madeFolders) {
      try {
        rmdirSync(folder)
      } catch {
        // Not empty (something else was put there meanwhile), or gone: left as it is.
      }
    }
    madeFolders.length = 0
  }
  if (names.some((name) => !reused.has(name))) {
    try {
      early = await prepareOutput(repository.dir, outDir, madeFolders)
    } catch {
      // An output folder that cannot be used (a file or a link in its way, no room): the bundles are held until
      // they are written, where the folder's error is raised as before, after any refusal is reported.
      discard()
    }
  }
  stopped.discard = discard
  const make = (at: number, name: string, content: BundleContent, digestOfContent: string, version: string, existing: ReleasedVersion | undefined, previous: ReleasedVersion | undefined) => {
    const delta = deltaBetween(previous?.version ?? null, previous ? previousCache.get(`${previous.commit}:${name}`) : undefined, content.items)
    const { bytes, digest, fileName, bundle } = serializeBundle(content, version, delta, options.debug, digestOfContent)
    if (!options.debug && existing && existing.digest !== digest) {
      const tag = `${name}@${version}`
      diagnostics.push({ severity: 'error', code: 'digest-mismatch', package: name, file: tag, message: `digest mismatch for ${tag} (expected ${existing.digest ?? 'none'}, got ${digest})`, hint: 'the tag was not made from this content by gantry build' })
      return
    }
    let temporary: string | undefined
    if (early) {
      try {
        temporaries.add((temporary = writeTemporaryBundleFileSync(join(outDir, fileName), bytes)))
      } catch {
        // Not written (no room, no right): this bundle and the rest are held, and the error comes again, as
        // before, when they are written after every refusal is reported.
        early = false
        temporary = undefined
      }
    }
    ready[at] = { name, version, built: { ...(temporary ? { temporary } : { bytes }), digest, fileName, bundle: { contentDigest: bundle.contentDigest, delta: bundle.delta } }, ...(existing ? { existing } : {}) }
  }
  // Bundles whose delta is taken against an earlier release: made once the items of those releases are read,
  // each earlier commit opened once for all its packages.
  const waiting: { at: number; name: string; content: BundleContent; digestOfContent: string; version: string; existing?: ReleasedVersion; previous: ReleasedVersion }[] = []
  const previousCache: PreviousItems = new Map()
  const contentsCache = contentsOf.get(repository) ?? new Map<string, PackageContents>()
  // Each package's releases, sorted out of all the tags once rather than once per package.
  const releases = releasesByPackage(repository.released)
  // Every bundle made, or refused; a failure removes the temporary files written so far.
  const makeAll = async (): Promise<void> => {
    for (const [index, name] of names.entries()) {
      progress(`building ${name}`, index, names.length)
      const again = reused.get(name)
      if (again) {
        // The file holds these bytes already: nothing to write.
        const version = again.release.version
        const built = { bytes: again.bytes, digest: again.release.digest!, fileName: bundleFileName(name, version), bundle: { contentDigest: again.release.contentDigest!, delta: again.delta } }
        ready[index] = { name, version, built, existing: again.release, written: true }
        continue
      }
      const pkg = repository.model.packages.get(name)!
      const released = releases.get(name) ?? []
      const latest = latestVersion(released.map((r) => r.version))
      // What a dependency holds is worked out once for all the packages that depend on it; a cycle cuts each
      // package's view of it short differently, so then each is worked out on its own as before.
      const { content, diagnostics: problems } = packageBundleContent(repository, name, cycles ? new Map() : contentsCache)
      if (!content) {
        diagnostics.push(...problems)
        continue
      }
      const digestOfContent = contentDigest(content)
      const explicit = pkg.manifest.version
      // Unchanged content keeps the newest version; a commit that already carries a tag of this content (a
      // rebuild of an older release) keeps that version rather than tagging the old content again.
      const existing = explicit
        ? released.find((r) => sameVersion(r.version, explicit))
        : (released.find((r) => r.version === latest && r.contentDigest === digestOfContent) ??
          released.find((r) => r.commit === head && r.contentDigest === digestOfContent))
      if (existing && existing.contentDigest !== digestOfContent) {
        diagnostics.push({ severity: 'error', code: 'version-exists', package: name, file: pkg.file, ...pkg.parsed.positionOf(['version']), message: `${name}@${explicit} is already released with other content`, hint: 'remove version: or pick a new version' })
        continue
      }
      const version = existing?.version ?? explicit ?? nextVersion(latest, scheme, bumpFromNotes(pkg.manifest.notes))
      const previous = previousRelease(released, name, version)
      if (previous) waiting.push({ at: index, name, content, digestOfContent, version, ...(existing ? { existing } : {}), previous })
      else make(index, name, content, digestOfContent, version, existing, undefined)
    }
    await readPreviousItems(
      repository,
      waiting.map((w) => ({ commit: w.previous.commit, package: w.name })),
      previousCache,
      head,
      whole,
      diffs,
      reads,
    )
    for (const w of waiting.splice(0)) make(w.at, w.name, w.content, w.digestOfContent, w.version, w.existing, w.previous)
  }
  try {
    await makeAll()
  } catch (error) {
    discard()
    throw error
  }
  if (countBySeverity(diagnostics).errors > 0) {
    discard()
    return { ok: false, artifacts: [], diagnostics: sortDiagnostics(diagnostics) }
  }

  let artifacts: BuiltArtifact[] = []
  const pending: { index: number; name: string; commit: string; message: string }[] = []
  let foldersReady: string | undefined
  for (const [index, entry] of ready.entries()) {
    if (!entry) continue
    const { name, version, built, existing, written } = entry
    progress(`writing ${name}`, index, ready.length)
    const pkg = repository.model.packages.get(name)!
    const file = join(outDir, built.fileName)
    if (built.temporary) {
      try {
        renameSync(built.temporary, file)
      } catch (error) {
        discard()
        throw error
      }
      temporaries.delete(built.temporary)
    } else if (!written) {
      // The folders are the same for every bundle: checked (and made) once, then each file written directly.
      foldersReady ??= (await checkFolders(repository.dir, file, true), await mkdir(dirname(file), { recursive: true }), dirname(file))
      if (foldersReady === dirname(file)) writeCheckedBundleFileSync(file, built.bytes!)
      else await writeBundleFile(repository.dir, file, built.bytes!)
    }
    let created = false
    let tag: string | null = null
    let text = built.bytes
    if (!options.debug) {
      tag = `${name}@${version}`
      if (!existing) {
        // Written with the others after the loop, in one batch.
        pending.push({ index: artifacts.length, name: tag, commit: head!, message: tagMessage(name, version, built.digest, built.bundle.contentDigest, pkg.manifest.notes) })
        created = true
      }
    }
    artifacts.push({
      package: name,
      version,
      digest: built.digest,
      file: relative(process.cwd(), file) || file,
      tag,
      created,
      debug: options.debug,
      // Those of a bundle written as it was made are read back from its file, and checked, when asked for.
      get bytes() {
        return (text ??= writtenBytes(repository.dir, file, built.digest))
      },
      ...(pkg.manifest.notes ? { notes: pkg.manifest.notes } : {}),
      delta: built.bundle.delta,
    })
  }
  progress('built', ready.length, ready.length)
  const results = await repository.git.createAnnotatedTags(pending, GANTRY_IDENTITY)
  const lost = new Set<number>()
  let current: Awaited<ReturnType<typeof readReleasedVersions>> | undefined
  for (const [i, t] of pending.entries()) {
    if (results[i]) continue
    // Someone tagged it between our read and our write: adopt it only if it is the same content.
    const artifact = artifacts[t.index]!
    current ??= await readReleasedVersions(repository.git)
    const again = versionsOf(current, artifact.package).find((r) => r.version === artifact.version)
    artifact.created = false
    if (again?.digest !== artifact.digest) {
      lost.add(t.index)
      diagnostics.push({ severity: 'error', code: 'version-exists', package: artifact.package, message: `${t.name} was created meanwhile with other content`, hint: 'build again' })
    }
  }
  if (lost.size > 0) artifacts = artifacts.filter((_, i) => !lost.has(i))
  return { ok: countBySeverity(diagnostics).errors === 0, artifacts, diagnostics: sortDiagnostics(diagnostics) }
}

/**
 * Checks and makes the output folder (its folders inside the repository through no link), noting in `made`
 * the folders it makes, innermost first. False when the folder is not the one bundles are written to
 * directly (never: the name of a bundle holds no folder).
 */
async function prepareOutput(dir: string, outDir: string, made: string[]): Promise<boolean> {
  for (let folder = outDir; !existsSync(folder) && dirname(folder) !== folder; folder = dirname(folder)) made.push(folder)
  const probe = join(outDir, bundleFileName('probe', '1'))
  await checkFolders(dir, probe, true)
  await mkdir(outDir, { recursive: true })
  removeAbandonedTemporaries(outDir)
  return dirname(probe) === outDir
}

/** A bundle's temporary file (writeTemporaryBundleFileSync): the bundle's name, the id of the process writing it. */
const TEMPORARY_BUNDLE = /^[^/]+\.gantry\.json\.(\d+)\.tmp$/

/**
 * Removes from the output folder the temporary bundle files of builds whose process is gone (killed with
 * SIGKILL, or by a power loss): no build of a running process names them, and nothing takes them for bundles.
 * Those of a process still running (another build at the same time) are left to it.
 */
function removeAbandonedTemporaries(outDir: string): void {
  let names: string[]
  try {
    names = readdirSync(outDir)
  } catch {
    return
  }
  for (const name of names) {
    const pid = TEMPORARY_BUNDLE.exec(name)?.[1]
    if (pid === undefined || Number(pid) === process.pid || running(Number(pid))) continue
    try {
      unlinkSync(join(outDir, name))
    } catch {
      // Removed meanwhile, or not ours to remove: left.
    }
  }
}

/** Whether a process of this id runs (one of another user's counts as running). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The bytes of a bundle this build wrote, read back from its file: refused when they are not the ones written. */
function writtenBytes(dir: string, file: string, digest: string): string {
  const text = readCheckedBundleFileSync(dir, file)
  if (text === undefined || sha256(text) !== digest) throw new Error(`${file} changed after the build wrote it: nothing was uploaded from it; build again`)
  return text
}

/**
 * The commits whose items the deltas of a rebuild with nothing changed are taken against: for each package
 * released twice or more, its release before the newest. The few most shared, at most EARLY_COMMITS: a guess
 * to start git on early, never more than a few processes.
 */
function earlierReleaseCommits(released: readonly ReleasedVersion[]): string[] {
  const byPackage = new Map<string, ReleasedVersion[]>()
  for (const r of released) byPackage.set(r.package, [...(byPackage.get(r.package) ?? []), r])
  const count = new Map<string, number>()
  for (const versions of byPackage.values()) {
    if (versions.length < 2) continue
    const commit = versions.sort((a, b) => compareVersions(b.version, a.version))[1]!.commit
    count.set(commit, (count.get(commit) ?? 0) + 1)
  }
  return [...count].sort((a, b) => b[1] - a[1]).slice(0, EARLY_COMMITS).map(([commit]) => commit)
}

const EARLY_COMMITS = 4

/** Whether `folder` holds any release bundle (a hint for memory only: nothing is read from it here). */
async function hasReleaseBundles(folder: string): Promise<boolean> {
  try {
    return (await readdir(folder)).some((name) => name.endsWith('.gantry.json') && !name.endsWith('-debug.gantry.json'))
  } catch {
    return false
  }
}

/** What is written and reported of a bundle, made now or read back as it was made before. */
type Built = Pick<SerializedBundle, 'digest' | 'fileName'> & {
  bundle: Pick<SerializedBundle['bundle'], 'contentDigest' | 'delta'>
  /** Its bytes, held when it is not written yet, or read back from its file as it is (reused). */
  bytes?: string
  /** The temporary file it was written to, as it was made. */
  temporary?: string
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
