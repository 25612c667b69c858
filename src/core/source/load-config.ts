import type { Diagnostic } from '../diagnostics.js'
import type { GantryConfig, SourcePaths, SourceSnapshot } from '../model/source-model.js'
import { explainInvalidName, isValidName } from '../names.js'
import { schedulePolicyProblems } from '../schedule/release-schedule.js'
import type { SchemaRegistry } from '../schema/validator.js'
import { type YamlLimits, DEFAULT_YAML_LIMITS } from '../yaml/read-yaml.js'
import { readEntry } from './read-entry.js'

export const CONFIG_FILE = 'gantry.yaml'

export interface LoadedConfig {
  config?: GantryConfig
  paths: SourcePaths
  diagnostics: Diagnostic[]
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
    if (typeof folder === 'string' && folder.split('/').some((s) => s === '.' || s === '..')) {
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
  return { config, paths: resolvePaths(config), diagnostics }
}
