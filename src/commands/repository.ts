import { resolve } from 'node:path'
import { readWorkingTree } from '../adapters/fs/read-working-tree.js'
import { Git } from '../adapters/git/git.js'
import { readCommitSnapshot, readReleasedVersions } from '../adapters/git/repository-reader.js'
import type { Diagnostic } from '../core/diagnostics.js'
import type { ReleasedVersion } from '../core/model/released-version.js'
import type { GantryConfig, SourceEntry, SourceModel, SourcePaths } from '../core/model/source-model.js'
import { SchemaRegistry } from '../core/schema/validator.js'
import { CONFIG_FILE, loadConfig, resolvePaths } from '../core/source/load-config.js'
import { loadSource } from '../core/source/load-source.js'
import { DEFAULT_YAML_LIMITS } from '../core/yaml/read-yaml.js'
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
  /** Policy from the caller (the default branch) instead of the tree's own gantry.yaml. */
  config?: GantryConfig
  /**
   * False: read gantry.yaml and the tags only; the model holds no kinds, definitions or packages (and
   * loadDiagnostics is empty). For commands that work from a released bundle, which the tag's digest
   * verifies and which carries everything they need: the size of the source then costs them nothing.
   */
  sources?: boolean
}

/**
 * Loads gantry.yaml (fatal when unreadable: exit 2), then every kind, definition and package unless
 * `sources` is false. With `commit`, reads that commit instead of the working tree.
 */
export async function openRepository(dirArg: string, options: OpenOptions = {}): Promise<OpenRepository> {
  const dir = resolve(dirArg)
  const git = new Git(dir)
  const isGit = await git.isRepository()
  const maxBytes = DEFAULT_YAML_LIMITS.maxBytes
  const read = async (roots: string[]): Promise<Map<string, SourceEntry>> =>
    options.commit ? readCommitSnapshot(git, options.commit, roots, maxBytes) : readWorkingTree(dir, roots, maxBytes)

  const schemas = new SchemaRegistry()
  const configSnapshot = await read([CONFIG_FILE])
  const loaded = loadConfig(configSnapshot, schemas)
  // Policy comes from the caller when given (the default branch), never from the tree being validated.
  const config = options.config ?? loaded.config
  if (!config) throw new UsageError(`cannot read ${CONFIG_FILE} in ${dir}`, loaded.diagnostics)
  const paths = options.config ? resolvePaths(config) : loaded.paths
  const { model, diagnostics } =
    options.sources === false
      ? { model: { config, paths, schemas, definitions: new Map(), packages: new Map() }, diagnostics: [] }
      : loadSource(await read([paths.kinds, paths.definitions, paths.packages]), config, paths, schemas)
  const released = isGit ? await readReleasedVersions(git) : []
  return { dir, git, isGit, config, paths, model, loadDiagnostics: diagnostics, released }
}

/** gantry.yaml as it is at `ref` (the default branch): the policy that gates pull requests. */
export async function readConfigAt(dirArg: string, ref: string): Promise<GantryConfig> {
  const git = new Git(resolve(dirArg))
  const commit = await git.resolve(ref)
  if (!commit) throw new UsageError(`cannot find ${ref} to read the policy from; fetch it first`)
  const schemas = new SchemaRegistry()
  const loaded = loadConfig(await readCommitSnapshot(git, commit, [CONFIG_FILE], DEFAULT_YAML_LIMITS.maxBytes), schemas)
  if (!loaded.config) throw new UsageError(`cannot read ${CONFIG_FILE} on ${ref}`, loaded.diagnostics)
  return loaded.config
}
