/**
 * Package versions. `dot` counts 1, 1.1, 1.2 ... 1.9, 1.10; `semver` is major.minor.patch. Both compare
 * numerically segment by segment (a missing segment is 0), so one comparator and one range syntax serve both.
 */
export type VersioningScheme = 'dot' | 'semver'

const VERSION = /^(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,2}$/

export function isVersion(value: string): boolean {
  return VERSION.test(value)
}

function segments(version: string): number[] {
  return version.split('.').map(Number)
}

export function compareVersions(a: string, b: string): number {
  const x = segments(a)
  const y = segments(b)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0)
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return 0
}

/** `1`, `1.0` and `1.0.0` are one version: a missing segment is 0. Tags and explicit versions compare so. */
export function sameVersion(a: string, b: string): boolean {
  return compareVersions(a, b) === 0
}

export function latestVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined
  for (const v of versions) if (best === undefined || compareVersions(v, best) > 0) best = v
  return best
}

export type SemverBump = 'major' | 'minor' | 'patch'

/** The semver bump asked for by version notes: "BREAKING" or "#major", "#minor"; patch otherwise. */
export function bumpFromNotes(notes: string | undefined): SemverBump {
  if (!notes) return 'patch'
  if (/\bBREAKING\b|#major\b/.test(notes)) return 'major'
  if (/#minor\b/.test(notes)) return 'minor'
  return 'patch'
}

/** The version after `latest` (or the first version when there is none). */
export function nextVersion(latest: string | undefined, scheme: VersioningScheme, bump: SemverBump = 'patch'): string {
  const next = countUp(latest, scheme, bump)
  // Segments have at most 9 digits (well inside Number.MAX_SAFE_INTEGER): a tag past that could not be read back.
  if (!isVersion(next)) throw new RangeError(`${latest ?? 'no version'} has no next version: ${next} has a segment over 9 digits; set version: explicitly`)
  return next
}

function countUp(latest: string | undefined, scheme: VersioningScheme, bump: SemverBump): string {
  if (scheme === 'dot') {
    if (latest === undefined) return '1'
    const [major = 0, minor = 0] = segments(latest)
    return `${major}.${minor + 1}`
  }
  if (latest === undefined) return '1.0.0'
  const [major = 0, minor = 0, patch = 0] = segments(latest)
  if (bump === 'major') return `${major + 1}.0.0`
  if (bump === 'minor') return `${major}.${minor + 1}.0`
  return `${major}.${minor}.${patch + 1}`
}

type Comparator = { op: '>=' | '>' | '<=' | '<' | '='; version: string }

/** A parsed range: alternatives (`||`) of comparator sets (space-separated, all must hold). */
export interface VersionRange {
  source: string
  alternatives: Comparator[][]
}

/**
 * Parses `1.2`, `=1.2`, `>=1.1`, `>=1.1 <2`, `^1.2` (same major), `~1.2` (same major.minor), `*`, and `||`
 * between alternatives. Returns an error message for anything else.
 */
export function parseRange(source: string): VersionRange | string {
  const alternatives: Comparator[][] = []
  for (const part of source.split('||')) {
    const tokens = part.trim().split(/\s+/).filter(Boolean)
    if (tokens.length === 0) return `"${source}" has an empty alternative`
    const set: Comparator[] = []
    for (const token of tokens) {
      if (token === '*' || token === 'x') continue
      const m = /^(>=|<=|>|<|=|\^|~)?(.+)$/.exec(token)
      const op = m?.[1]
      const version = m?.[2] ?? ''
      if (!isVersion(version)) return `"${token}" is not a version comparator (try 1.2, >=1.1, <2, ^1, ~1.2)`
      if (op === '^' || op === '~') {
        const parts = segments(version)
        const keep = op === '^' ? 1 : 2
        const upper = parts.slice(0, keep)
        while (upper.length < keep) upper.push(0)
        upper[keep - 1] = (upper[keep - 1] ?? 0) + 1
        set.push({ op: '>=', version }, { op: '<', version: upper.join('.') })
      } else set.push({ op: (op ?? '=') as Comparator['op'], version })
    }
    alternatives.push(set)
  }
  return { source, alternatives }
}

export function satisfies(version: string, range: VersionRange): boolean {
  return range.alternatives.some((set) =>
    set.every(({ op, version: bound }) => {
      const c = compareVersions(version, bound)
      switch (op) {
        case '>=':
          return c >= 0
        case '>':
          return c > 0
        case '<=':
          return c <= 0
        case '<':
          return c < 0
        default:
          return c === 0
      }
    }),
  )
}
