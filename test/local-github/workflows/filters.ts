// The `on:` filters, as GitHub documents them ("Workflow syntax for GitHub Actions", on.<event>.types,
// on.<push|pull_request>.<branches|tags|paths>, and the "Filter pattern cheat sheet").
import type { EventsConfig } from '@actions/workflow-parser/model/workflow-template'

/**
 * One filter pattern as a regular expression: `*` matches any characters but `/`, `**` any characters, `?`
 * zero or one of the preceding character, `+` one or more of it, `[...]` a class; the rest literally.
 */
export function patternRegExp(pattern: string): RegExp {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        out += '.*'
        i++
      } else out += '[^/]*'
    } else if (c === '?' || c === '+') out += c
    else if (c === '[') {
      const end = pattern.indexOf(']', i)
      if (end < 0) out += '\\['
      else {
        out += pattern.slice(i, end + 1)
        i = end
      }
    } else out += c.replace(/[.^$(){}|\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

/**
 * Whether a name passes a list of patterns: a name matches when the last pattern that applies to it is a
 * positive one (`!` negates a pattern; order matters).
 */
export function matchesPatterns(name: string, patterns: readonly string[]): boolean {
  let matched = false
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!')
    if (patternRegExp(negated ? pattern.slice(1) : pattern).test(name)) matched = !negated
  }
  return matched
}

function include(name: string, positive?: readonly string[], ignore?: readonly string[]): boolean {
  if (positive) return matchesPatterns(name, positive)
  if (ignore) return !matchesPatterns(name, ignore)
  return true
}

/** `paths` / `paths-ignore`: some changed file must pass (paths), or some file must not be ignored. */
function pathsPass(
  files: readonly string[] | undefined,
  paths?: readonly string[],
  ignore?: readonly string[],
): boolean {
  if (!paths && !ignore) return true
  if (!files) return true
  if (paths) return files.some((f) => matchesPatterns(f, paths))
  return files.some((f) => !matchesPatterns(f, ignore!))
}

/** The activity types an event triggers by default when `types` is not given. */
const DEFAULT_TYPES: Record<string, readonly string[]> = {
  pull_request: ['opened', 'synchronize', 'reopened'],
  pull_request_target: ['opened', 'synchronize', 'reopened'],
}

export interface FilterSubject {
  name: string
  action?: string
  /** push: the full ref (refs/heads/x, refs/tags/y). pull_request(_target): the base branch's ref. */
  ref?: string
  /** push, pull_request: the changed files (undefined: unknown, paths filters pass). */
  files?: readonly string[]
}

/** Whether `on:` starts this workflow for the event; when not, the reason. */
export function eventFilter(
  on: EventsConfig,
  event: FilterSubject,
): { ok: true } | { ok: false; reason: string } {
  const config = on[event.name] as
    | {
        types?: string[]
        branches?: string[]
        'branches-ignore'?: string[]
        tags?: string[]
        'tags-ignore'?: string[]
        paths?: string[]
        'paths-ignore'?: string[]
      }
    | undefined
  if (config === undefined) return { ok: false, reason: `no \`on: ${event.name}\`` }
  if (event.name === 'schedule' || event.name === 'workflow_dispatch') return { ok: true }
  const types = config.types ?? DEFAULT_TYPES[event.name]
  if (event.action && types && !types.includes(event.action))
    return { ok: false, reason: `\`${event.name}\` types ${types.join(', ')} do not include ${event.action}` }
  if (event.name === 'push') {
    const ref = event.ref ?? ''
    const isTag = ref.startsWith('refs/tags/')
    const name = ref.replace(/^refs\/(heads|tags)\//, '')
    const branchFilter = config.branches !== undefined || config['branches-ignore'] !== undefined
    const tagFilter = config.tags !== undefined || config['tags-ignore'] !== undefined
    // Only branch filters: tag pushes do not run it; only tag filters: branch pushes do not.
    if (isTag) {
      if (!tagFilter && branchFilter)
        return { ok: false, reason: 'push: branch filters only, and this is a tag' }
      if (!include(name, config.tags, config['tags-ignore']))
        return { ok: false, reason: `push: tag ${name} does not match` }
      // Path filters are not evaluated for pushes of tags.
      return { ok: true }
    }
    if (!branchFilter && tagFilter)
      return { ok: false, reason: 'push: tag filters only, and this is a branch' }
    if (!include(name, config.branches, config['branches-ignore']))
      return {
        ok: false,
        reason: `push: branch ${name} does not match ${(config.branches ?? config['branches-ignore'] ?? []).join(', ')}`,
      }
    if (!pathsPass(event.files, config.paths, config['paths-ignore']))
      return { ok: false, reason: 'push: no changed file matches the paths filter' }
    return { ok: true }
  }
  if (event.name === 'pull_request' || event.name === 'pull_request_target') {
    const base = (event.ref ?? '').replace(/^refs\/heads\//, '')
    if (!include(base, config.branches, config['branches-ignore']))
      return {
        ok: false,
        reason: `${event.name}: base ${base} does not match ${(config.branches ?? config['branches-ignore'] ?? []).join(', ')}`,
      }
    if (!pathsPass(event.files, config.paths, config['paths-ignore']))
      return { ok: false, reason: `${event.name}: no changed file matches the paths filter` }
  }
  return { ok: true }
}
