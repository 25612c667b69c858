import { join, resolve } from 'node:path'
import { readWorkingTree } from '../adapters/fs/read-working-tree.js'
import { Git, GitError } from '../adapters/git/git.js'
import { readCommitSnapshot, releasedVersionOf } from '../adapters/git/repository-reader.js'
import { WorkingTreeBlobs, workingTreeAt } from '../adapters/git/working-tree-blobs.js'
import type { Diagnostic } from '../core/diagnostics.js'
import type { ReleasedVersion } from '../core/model/released-version.js'
import type { GantryConfig, SourceEntry, SourceModel, SourcePaths } from '../core/model/source-model.js'
import { SchemaRegistry } from '../core/schema/validator.js'
import { CONFIG_FILE, DEFAULT_PATHS, loadConfig, resolvePaths } from '../core/source/load-config.js'
import { loadSource } from '../core/source/load-source.js'
import { DEFAULT_YAML_LIMITS } from '../core/yaml/read-yaml.js'
import { checkFolders } from './safe-files.js'
import { loadPackagesAt } from './scoped-source.js'
import { UsageError } from './errors.js'

/** A source repository opened for a command: its working tree or one commit, plus what git knows. */
export interface OpenRepository {
  dir: string
  git: Git
  isGit: boolean
  config: GantryConfig
  paths: SourcePaths
  model: SourceModel
  /** Findings from loading the files (syntax, schema, names, paths). */
  loadDiagnostics: Diagnostic[]
  released: ReleasedVersion[]
}

export interface OpenOptions {
  /** Read this commit instead of the working tree. */
  commit?: string
  /**
   * With `commit`, the commit HEAD resolves to: each file is read from the working tree when its bytes there
   * are the blob the commit names for it (see WorkingTreeBlobs), from git otherwise. It serves gantry.yaml and
   * the sources read whole with it; with `packages`, the packages' own files are read from git.
   */
  workingTree?: boolean
  /**
   * `commit` is an object id the caller resolved as `<rev>^{commit}` (Git.resolve, or headCommit), which
   * names only a commit: git is not asked again what kind of object it is.
   */
  resolvedCommit?: boolean
  /** Policy from the caller (the default branch) instead of the tree's own gantry.yaml. */
  config?: GantryConfig
  /**
   * False: read gantry.yaml and the tags only; the model holds no kinds, definitions or packages (and
   * loadDiagnostics is empty). For commands that work from a released bundle, which the tag's digest
   * verifies and which carries everything they need: the size of the source then costs them nothing.
   */
  sources?: boolean
  /**
   * With `commit`: load only these packages and what they need (their dependencies, items and the
   * definitions these refer to), read by path from the commit's trees: the rest of the source costs nothing.
   */
  packages?: readonly string[]
  /** With `packages`: only what their bundles hold is needed (a delta, a rebuild), not what checking them needs. */
  contentsOnly?: boolean
  /** Keep every definition's document in memory (work that reads them all); see loadSource. */
  keepDocuments?: boolean
  /**
   * Told the released versions as soon as the tags are listed, before the sources are read: git work the
   * caller will need of them is best started then, while this process is small (a process forked from a large
   * one costs more to start).
   */
  onReleased?: (released: readonly ReleasedVersion[]) => void
  /**
   * The refs as listRefs listed them, taken instead of listing them again: for a caller that needs what the
   * listing tells (the commit HEAD resolves to) before it opens the repository, so that git lists them once.
   */
  refs?: RefListing
}

/** The refs of a repository as openRepository lists them (listRefs): no branches outside a git repository. */
export interface RefListing {
  readonly branches: Branches | undefined
}

/** The one listing of refs openRepository makes, made ahead of it (pass it as `refs`). */
export async function listRefs(git: Git): Promise<RefListing> {
  return { branches: await listBranches(git, true) }
}

/**
 * The commit HEAD resolves to, as `git rev-parse HEAD^{commit}` answers it (Git.resolve). git's for-each-ref
 * marks with %(HEAD) the ref HEAD resolves to (its symbolic refs followed to the end): when that ref is listed
 * and names a commit, its object is the answer, and git is not asked again. Otherwise (a detached HEAD, a
 * branch yet to be born, HEAD on a ref not listed or naming another kind of object, no repository) git is
 * asked, as it always was.
 */
export async function headCommit(git: Git, refs: RefListing): Promise<string | undefined> {
  return refs.branches?.head ?? git.resolve('HEAD')
}

/**
 * Loads gantry.yaml (fatal when unreadable: exit 2), then every kind, definition and package unless
 * `sources` is false. With `commit`, reads that commit instead of the working tree.
 */
export async function openRepository(dirArg: string, options: OpenOptions = {}): Promise<OpenRepository> {
  const dir = resolve(dirArg)
  const git = new Git(dir)
  // One listing of the branches and tags answers whether this is a git repository, which branch is the
  // default, which branches are symbolic refs, and which versions are released (see listBranches). One the
  // caller made already (`refs`) is taken as it is.
  const branches = options.refs ? options.refs.branches : await listBranches(git, true)
  const isGit = branches !== undefined
  if (branches) options.onReleased?.(branches.released)
  // The default branch is asked of git (when for-each-ref does not tell it) before the sources are read,
  // not after: the same answer, from a smaller process.
  const defaultName = branches ? defaultBranch(git, branches) : undefined
  // Awaited below, after the reads; an error thrown before then is not left unhandled.
  defaultName?.catch(() => undefined)
  const maxBytes = DEFAULT_YAML_LIMITS.maxBytes
  // `listOnly`: the working tree's files are read as they are loaded, not all first.
  const checkedOut = options.commit && options.workingTree ? workingTreeAt(dir) : undefined
  const workingTree = checkedOut !== undefined ? new WorkingTreeBlobs(checkedOut) : undefined
  const read = async (roots: string[], listOnly = false): Promise<Map<string, SourceEntry>> =>
    options.commit ? readCommitSnapshot(git, options.commit, roots, maxBytes, undefined, workingTree) : readWorkingTree(dir, roots, maxBytes, { listOnly })

  if (options.commit && !options.resolvedCommit) await expectCommit(git, options.commit)
  const schemas = new SchemaRegistry()
  // At a commit, gantry.yaml is listed and read together with the folders its paths default to: one listing
  // and one read instead of two each when gantry.yaml keeps the default paths; with paths of its own, the
  // folders it names are read after it, as before.
  const atCommit = options.commit !== undefined && options.sources !== false && !options.packages
  const first = atCommit ? await read([CONFIG_FILE, DEFAULT_PATHS.kinds, DEFAULT_PATHS.definitions, DEFAULT_PATHS.packages]) : undefined
  const configSnapshot = first ? entriesUnder(first, [CONFIG_FILE]) : await read([CONFIG_FILE])
  // The sources' entries of the first read, taken out of it rather than copied: nothing else reads it.
  const sourcesOf = (all: Map<string, SourceEntry>, roots: readonly string[]) => {
    for (const path of all.keys()) if (!under(path, roots)) all.delete(path)
    return all
  }
  const loaded = loadConfig(configSnapshot, schemas, DEFAULT_YAML_LIMITS, defaultName ? { defaultBranch: await defaultName } : {})
  // Policy comes from the caller when given (the default branch), never from the tree being validated.
  const config = options.config ?? loaded.config
  if (!config) throw new UsageError(`cannot read ${CONFIG_FILE} in ${dir}`, loaded.diagnostics)
  if (branches) refuseLinkedBranches(branches, config, options.config ? undefined : loaded.positionOf)
  const paths = options.config ? resolvePaths(config) : loaded.paths
  // The working-tree reader never follows a link it meets, but the folders above a configured root
  // (`src` of `paths.definitions: src/defs`) are reached by path: check them first.
  if (!options.commit && options.sources !== false) {
    for (const root of [paths.kinds, paths.definitions, paths.packages]) await checkFolders(dir, join(dir, root), false)
  }
  const { model, diagnostics } =
    options.sources === false
      ? { model: { config, paths, schemas, definitions: new Map(), packages: new Map() }, diagnostics: [] }
      : options.commit && options.packages
        ? await loadPackagesAt(git, options.commit, paths, options.packages, maxBytes, (snapshot, kinds) => loadSource(snapshot, config, paths, kinds), !options.contentsOnly)
        : loadSource(
            first && samePaths(paths, DEFAULT_PATHS) ? sourcesOf(first, [paths.kinds, paths.definitions, paths.packages]) : await read([paths.kinds, paths.definitions, paths.packages], true),
            config,
            paths,
            schemas,
            DEFAULT_YAML_LIMITS,
            { keepDocuments: options.keepDocuments ?? false },
          )
  const released = branches?.released ?? []
  return { dir, git, isGit, config, paths, model, loadDiagnostics: diagnostics, released }
}


const samePaths = (a: SourcePaths, b: SourcePaths) => a.kinds === b.kinds && a.definitions === b.definitions && a.packages === b.packages

/** The entries of a snapshot that a listing of `roots` alone gives: each root itself, and what is under it. */
function entriesUnder(snapshot: ReadonlyMap<string, SourceEntry>, roots: readonly string[]): Map<string, SourceEntry> {
  const out = new Map<string, SourceEntry>()
  for (const path of snapshot.keys()) if (under(path, roots)) out.set(path, snapshot.get(path)!)
  return out
}

/** Whether `path` is one of `roots` or under one of them. */
function under(path: string, roots: readonly string[]): boolean {
  for (const root of roots) if (path.startsWith(root) && (path.length === root.length || path.charCodeAt(root.length) === 0x2f)) return true
  return false
}

/** gantry.yaml as it is at `ref` (the default branch): the policy that gates pull requests. */
export async function readConfigAt(dirArg: string, ref: string): Promise<GantryConfig> {
  const git = new Git(resolve(dirArg))
  const commit = await git.resolve(ref)
  if (!commit) throw new UsageError(`cannot find ${ref} to read the policy from; fetch it first`)
  const schemas = new SchemaRegistry()
  // The policy's own branch is the default branch: no environment may use it.
  const defaultName = ref.replace(/^refs\/remotes\/origin\/|^refs\/heads\/|^origin\//, '')
  const loaded = loadConfig(await readCommitSnapshot(git, commit, [CONFIG_FILE], DEFAULT_YAML_LIMITS.maxBytes), schemas, DEFAULT_YAML_LIMITS, { defaultBranch: defaultName })
  if (!loaded.config) throw new UsageError(`cannot read ${CONFIG_FILE} on ${ref}`, loaded.diagnostics)
  const branches = await listBranches(git)
  if (branches) refuseLinkedBranches(branches, loaded.config, loaded.positionOf)
  return loaded.config
}

/** A tag can point at any object (a blob, a tree): say what it is rather than "gantry.yaml not found". */
async function expectCommit(git: Git, object: string): Promise<void> {
  const result = await git.run(['cat-file', '-t', `${object}^{}`], { okCodes: [1, 128] })
  const type = result.stdout.toString().trim()
  if (result.code !== 0) throw new UsageError(`${object} is not an object in this repository`)
  if (type !== 'commit') {
    throw new UsageError(`${object.slice(0, 12)} is a ${type}, not a commit: a tag pointing at it was not made by gantry build`)
  }
}

/** The local and origin's branches, as one `git for-each-ref` lists them. */
interface Branches {
  /** The symbolic refs among them: ref, target. */
  linked: Map<string, string>
  /** The branch HEAD is a symbolic ref to, when it is one of them (`%(HEAD)`). */
  checkedOut?: string
  /** The commit HEAD resolves to, when the ref `%(HEAD)` marks is listed and its object is a commit (see headCommit). */
  head?: string
  /** With tags asked for: every version an annotated tag records, as readReleasedVersions reads them. */
  released: ReleasedVersion[]
}

/**
 * What `git for-each-ref` says of each ref: %(HEAD), refname, symref, then for tags what readReleasedVersions
 * reads (object type, the object it peels to, the object, the message of an annotated tag); records end in
 * NUL NUL newline, since a tag's message holds newlines.
 */
const REF_FORMAT =
  '%(HEAD)%00%(refname)%00%(symref)%00%(objecttype)%00%(*objectname)%00%(objectname)%00%(if:equals=tag)%(objecttype)%(then)%(contents)%(end)%00%00'
const TAGS = 'refs/tags/'

/**
 * The branches of the repository (refs/heads/, refs/remotes/origin/), and with `tags` its released versions
 * (refs/tags/), or undefined when `dir` is not in a git repository: one process where asking
 * `rev-parse --git-dir`, then `symbolic-ref HEAD` for the default branch, then the symbolic refs, then the
 * tags took four.
 */
async function listBranches(git: Git, tags = false): Promise<Branches | undefined> {
  let out: string
  const patterns = ['refs/heads/', 'refs/remotes/origin/', ...(tags ? [TAGS] : [])]
  try {
    const result = await git.run(['for-each-ref', `--format=${REF_FORMAT}`, ...patterns], { okCodes: [128] })
    if (result.code !== 0) {
      // Not a repository; or one whose refs git cannot list, which fails again, in full, as before.
      if (!(await git.isRepository())) return undefined
      await git.run(['for-each-ref', ...patterns])
    }
    out = result.stdout.toString('utf8')
  } catch (error) {
    // git that cannot start: no repository, as `rev-parse --git-dir` failing to start answers.
    if (error instanceof GitError && error.exitCode === null && !(await git.isRepository())) return undefined
    throw error
  }
  const branches: Branches = { linked: new Map(), released: [] }
  for (const record of out.split('\0\0\n')) {
    const [head = '', ref = '', target = '', type = '', peeled = '', object = '', message = ''] = record.split('\0')
    if (!ref) continue
    if (head === '*' && type === 'commit') branches.head = object
    if (ref.startsWith(TAGS)) {
      const version = releasedVersionOf(ref.slice(TAGS.length), type, peeled, object, message)
      if (version) branches.released.push(version)
      continue
    }
    if (target) branches.linked.set(ref, target)
    if (head === '*') branches.checkedOut = ref
  }
  return branches
}

/** The default branch: origin's HEAD when it is known, else the branch checked out. */
async function defaultBranch(git: Git, branches: Branches): Promise<string | undefined> {
  const shortName = (ref: string) => ref.replace(/^refs\/remotes\/origin\//, '').replace(/^refs\/heads\//, '')
  // git before 2.46 gives %(symref) resolved to the end of a chain of symbolic refs, later versions one step
  // (the ref's own target): followed here through the refs listed, as `symbolic-ref` follows it.
  let originHead = branches.linked.get('refs/remotes/origin/HEAD')
  for (let step = 0; originHead && branches.linked.has(originHead) && step < 10; step++) originHead = branches.linked.get(originHead)
  if (originHead) return shortName(originHead)
  // for-each-ref leaves out a symbolic ref whose target is gone (origin's HEAD after its branch was pruned):
  // asked directly. HEAD on a branch not yet made (no commit), or outside the branches listed, likewise.
  const asked = async (ref: string) => {
    const result = await git.run(['symbolic-ref', '-q', ref], { okCodes: [1, 128] })
    const target = result.stdout.toString().trim()
    return result.code === 0 && target ? shortName(target) : undefined
  }
  return (await asked('refs/remotes/origin/HEAD')) ?? (branches.checkedOut ? shortName(branches.checkedOut) : await asked('HEAD'))
}

/**
 * An environment branch that is a symbolic ref would read and write another branch (`env/prod` -> `main`):
 * refused, at the environment's line of gantry.yaml when it is known.
 */
function refuseLinkedBranches(
  branches: Branches,
  config: GantryConfig,
  positionOf: ((path: readonly (string | number)[]) => { line: number; column: number }) | undefined,
): void {
  const linked = branches.linked
  const diagnostics: Diagnostic[] = []
  config.environments.forEach((env, index) => {
    for (const ref of [`refs/heads/${env.branch}`, `refs/remotes/origin/${env.branch}`]) {
      const target = linked.get(ref)
      if (!target) continue
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file: CONFIG_FILE,
        ...(positionOf ? positionOf(['environments', index, 'branch']) : {}),
        environment: env.name,
        message: `branch ${env.branch} of environment "${env.name}" is a symbolic ref to ${target}`,
        hint: `delete the symbolic ref (git symbolic-ref --delete ${ref}); an environment branch must be a branch of its own`,
      })
      break
    }
  })
  if (diagnostics.length > 0) throw new UsageError(`an environment branch is a symbolic ref`, diagnostics)
}
