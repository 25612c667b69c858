import type { Diagnostic } from '../diagnostics.js'
import type { GantryConfig, SourcePaths, SourceSnapshot } from '../model/source-model.js'
import type { Position } from '../diagnostics.js'
import { explainInvalidName, isValidName, isWindowsDeviceName, printable } from '../names.js'
import { schedulePolicyProblems } from '../schedule/release-schedule.js'
import type { SchemaRegistry } from '../schema/validator.js'
import { type YamlLimits, DEFAULT_YAML_LIMITS } from '../yaml/read-yaml.js'
import { readEntry } from './read-entry.js'

export const CONFIG_FILE = 'gantry.yaml'

export interface LoadedConfig {
  config?: GantryConfig
  paths: SourcePaths
  diagnostics: Diagnostic[]
  /** Where a value of gantry.yaml is written, for checks made later against git (a branch that is a link). */
  positionOf?: (path: readonly (string | number)[]) => Position
}

/** Folders Gantry or git own: source folders inside them would be read from, or written over, by tools. */
const RESERVED_FOLDERS = ['.git', '.gantry']

/** Branches under this name are Gantry's promotion branches (`gantry/promote/<environment>/<package>`). */
const PROMOTION_NAMESPACE = 'gantry'

const PATH_KEYS = ['definitions', 'packages', 'kinds'] as const
type PathKey = (typeof PATH_KEYS)[number]

/**
 * Source folders that are the same or one inside another: files of one would be read as the other's (every
 * package as a definition). One finding per folder that overlaps an earlier one, at the line of the later
 * of the two as written (a folder left at its default has no line).
 */
function overlappingPaths(config: GantryConfig, positionOf: (path: readonly (string | number)[]) => Position): Diagnostic[] {
  const paths = resolvePaths(config)
  const written = (key: PathKey) => config.paths?.[key] !== undefined
  const relation = (a: string, b: string) => (a === b ? 'is the same folder as' : a.startsWith(`${b}/`) ? 'is inside' : b.startsWith(`${a}/`) ? 'holds' : undefined)
  const diagnostics: Diagnostic[] = []
  const reported = new Set<PathKey>()
  PATH_KEYS.forEach((key, index) => {
    for (const other of PATH_KEYS.slice(0, index)) {
      if (!relation(paths[key], paths[other])) continue
      const later = written(key) && (!written(other) || positionOf(['paths', key]).line >= positionOf(['paths', other]).line)
      const [at, peer] = later ? [key, other] : [other, key]
      if (reported.has(at)) continue
      reported.add(at)
      diagnostics.push({
        severity: 'error',
        code: 'unsafe-path',
        file: CONFIG_FILE,
        ...positionOf(['paths', at]),
        message: `paths.${at} "${printable(paths[at])}" ${relation(paths[at], paths[peer])} paths.${peer} "${printable(paths[peer])}": the files of one would be read as the other's`,
        hint: 'give definitions, packages and kinds folders of their own, side by side',
      })
      break
    }
  })
  return diagnostics
}

export function resolvePaths(config: GantryConfig | undefined): SourcePaths {
  return {
    definitions: config?.paths?.definitions ?? 'definitions',
    packages: config?.paths?.packages ?? 'packages',
    kinds: config?.paths?.kinds ?? 'kinds',
  }
}

/** Reads and checks gantry.yaml: schema, then the environment graph (unique names and branches, known `after`, no cycle). */
export function loadConfig(
  snapshot: SourceSnapshot,
  schemas: SchemaRegistry,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
  options: { defaultBranch?: string } = {},
): LoadedConfig {
  const read = readEntry(snapshot, CONFIG_FILE, limits)
  if (!read.parsed) {
    const diagnostics = read.diagnostics.length
      ? read.diagnostics
      : [
          {
            severity: 'error' as const,
            code: 'schema' as const,
            file: CONFIG_FILE,
            message: `${CONFIG_FILE} not found at the repository root`,
            hint: 'create gantry.yaml (see docs/file-formats.md) or pass --repo with the repository folder',
          },
        ]
    return { paths: resolvePaths(undefined), diagnostics }
  }
  const parsed = read.parsed
  const diagnostics = schemas.validateBuiltIn('config', parsed)
  if (diagnostics.length > 0) return { paths: resolvePaths(undefined), diagnostics }
  const config = parsed.value as GantryConfig
  for (const [key, folder] of Object.entries(config.paths ?? {})) {
    // The schema's pattern allows "." and ".." segments, which would read outside the repository.
    if (typeof folder !== 'string') continue
    const reserved = folder.split('/').find((s) => RESERVED_FOLDERS.includes(s.toLowerCase()))
    if (reserved !== undefined) {
      diagnostics.push({
        severity: 'error',
        code: 'unsafe-path',
        file: CONFIG_FILE,
        ...parsed.positionOf(['paths', key]),
        message: `paths.${key} "${printable(folder)}" is inside ${reserved}, which ${reserved === '.git' ? 'git' : 'Gantry'} owns`,
        hint: 'keep sources in their own folder, outside .git and .gantry',
      })
    }
    // GitHub reads .github at the root of every branch: its workflows folder, CODEOWNERS, dependabot.yml.
    // Definitions written there on environment branches would be taken as workflows of those branches.
    if (folder.split('/')[0] === '.github') {
      diagnostics.push({
        severity: 'error',
        code: 'unsafe-path',
        file: CONFIG_FILE,
        ...parsed.positionOf(['paths', key]),
        message: `paths.${key} "${printable(folder)}" is inside .github, which GitHub reads for workflows and repository settings`,
        hint: 'keep sources in their own folder, outside .git, .gantry and .github',
      })
    }
    if (folder.split('/').some((s) => s === '.' || s === '..')) {
      diagnostics.push({
        severity: 'error',
        code: 'unsafe-path',
        file: CONFIG_FILE,
        ...parsed.positionOf(['paths', key]),
        message: `paths.${key} "${folder}" leaves the repository folder`,
        hint: 'name a folder inside the repository, without "." or ".." segments',
      })
    }
  }
  diagnostics.push(...overlappingPaths(config, (path) => parsed.positionOf(path)))
  const names = new Map<string, number>()
  const branches = new Map<string, number>()
  config.environments.forEach((env, index) => {
    if (!isValidName(env.name)) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'name']),
        message: `environment name ${explainInvalidName(env.name)}`,
      })
    }
    if (env.branch.split('/').some((part) => isWindowsDeviceName(part))) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'branch']),
        message: `branch "${printable(env.branch)}" has a part that is a device name on Windows (con, prn, aux, nul, com1-9, lpt1-9)`,
        hint: 'git keeps each branch as a file named after it: such a branch cannot exist on a Windows clone',
      })
    }
    // Promotion pull requests come from gantry/promote/<env>/<package>; git keeps refs as files and folders, so
    // a branch `gantry` cannot exist beside them, and one under gantry/ could be taken for (or block) one of them.
    if (env.branch === PROMOTION_NAMESPACE || env.branch.startsWith(`${PROMOTION_NAMESPACE}/`)) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'branch']),
        message: `branch "${printable(env.branch)}" of environment "${env.name}" is in ${PROMOTION_NAMESPACE}/, where Gantry keeps its promotion branches`,
        hint: 'name environment branches outside gantry/, such as env/<environment>',
      })
    }
    if (options.defaultBranch !== undefined && env.branch === options.defaultBranch) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'branch']),
        message: `environment "${env.name}" uses the default branch ${printable(env.branch)}: an apply would commit onto the sources`,
        hint: 'give each environment a branch of its own, such as env/<environment>',
      })
    }
    if (env.branch.split('/').some((part) => part.includes('..') || part.endsWith('.lock'))) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'branch']),
        message: `branch "${env.branch}" is not a valid git branch name (".." or a part ending in ".lock")`,
      })
    }
    if (names.has(env.name)) {
      diagnostics.push({
        severity: 'error',
        code: 'schema',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'name']),
        message: `environment "${env.name}" is declared twice`,
      })
    }
    names.set(env.name, index)
    if (branches.has(env.branch)) {
      diagnostics.push({
        severity: 'error',
        code: 'schema',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'branch']),
        message: `branch "${env.branch}" is used by two environments`,
      })
    }
    branches.set(env.branch, index)
  })
  // git keeps refs as files and folders: refs/heads/env/dev cannot be a file and the folder of env/dev/hotfix.
  config.environments.forEach((env, index) => {
    const outer = config.environments.find((other) => env.branch.startsWith(`${other.branch}/`))
    if (outer) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, 'branch']),
        message: `branch "${printable(env.branch)}" is inside branch "${printable(outer.branch)}" of environment "${outer.name}": git cannot hold both`,
        hint: 'name environment branches side by side, such as env/dev and env/dev-hotfix',
      })
    }
  })
  config.environments.forEach((env, index) => {
    ;(env.after ?? []).forEach((before, j) => {
      if (!names.has(before)) {
        diagnostics.push({
          severity: 'error',
          code: 'unknown-environment',
          file: CONFIG_FILE,
          ...parsed.positionOf(['environments', index, 'after', j]),
          message: `environment "${env.name}" comes after "${before}", which is not declared`,
          hint: `declare it or remove it; environments: ${[...names.keys()].join(', ')}`,
        })
      } else if ((names.get(before) ?? 0) >= index) {
        diagnostics.push({
          severity: 'error',
          code: 'schema',
          file: CONFIG_FILE,
          ...parsed.positionOf(['environments', index, 'after', j]),
          message: `environment "${env.name}" comes after "${before}", which is declared later`,
          hint: 'list environments in promotion order',
        })
      }
    })
    for (const problem of schedulePolicyProblems(env)) {
      diagnostics.push({
        severity: 'error',
        code: 'schema',
        file: CONFIG_FILE,
        ...parsed.positionOf(['environments', index, ...problem.path]),
        message: `environment "${env.name}": ${problem.message}`,
        hint: 'fix the time zone, window or freeze: promotions into this environment are evaluated with it',
      })
    }
  })
  if (diagnostics.length > 0) return { paths: resolvePaths(undefined), diagnostics }
  return { config, paths: resolvePaths(config), diagnostics, positionOf: (path) => parsed.positionOf(path) }
}

/**
 * Files in the source folders that look meant as sources but are not read: `.YAML`, `.Yml` or
 * `.Schema.JSON` (file names are case-sensitive in git, so they would be skipped without a word).
 */
export function ignoredSourceFiles(files: readonly string[], paths: SourcePaths): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  for (const file of files) {
    // Most names end in lower case: never misnamed, whatever the folder (thousands of files).
    if (file.endsWith('.yaml') || file.endsWith('.yml') || file.endsWith('.schema.json')) continue
    const yamlFolder = file.startsWith(`${paths.definitions}/`) || file.startsWith(`${paths.packages}/`)
    const kindFolder = file.startsWith(`${paths.kinds}/`)
    const misnamed =
      (yamlFolder && /\.ya?ml$/i.test(file) && !/\.ya?ml$/.test(file)) ||
      (kindFolder && /\.schema\.json$/i.test(file) && !/\.schema\.json$/.test(file))
    if (!misnamed) continue
    diagnostics.push({
      severity: 'error',
      code: 'ignored-file',
      file,
      line: 1,
      column: 1,
      message: `${printable(file)} is not read: its extension is not lower case`,
      hint: kindFolder ? 'rename it to <kind>.schema.json' : 'rename it to end in .yaml',
    })
  }
  return diagnostics
}

/** The folders of the sources when gantry.yaml does not name its own. */
export const DEFAULT_PATHS = resolvePaths(undefined)
