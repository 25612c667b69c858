import type { Diagnostic, DiagnosticCode } from '../diagnostics.js'

/**
 * One cause as text output shows it: the diagnostics that say what is wrong (`causes`, shown in full) and the
 * ones that only follow from them (`folded`, counted and named by the item they concern).
 */
export interface DiagnosticGroup {
  causes: Diagnostic[]
  folded: Diagnostic[]
}

/**
 * Findings about a reference that cannot resolve. When the package's dependency is missing in the environment,
 * its items are absent there, so these follow from the missing dependency.
 */
const FOLLOWS_FROM_MISSING_DEPENDENCY: ReadonlySet<DiagnosticCode> = new Set(['unresolved-in-environment', 'replacement-target-missing'])

/**
 * Codes whose hint names the one thing to fix (the item referred to, the kind schema to add, the package to
 * promote): findings of one of these codes with the same hint in the same environment share their cause.
 */
const ONE_FIX_PER_HINT: ReadonlySet<DiagnosticCode> = new Set([
  'unresolved-reference',
  'unresolved-in-environment',
  'replacement-target-missing',
  'unknown-kind',
])

/** A group folds only when that saves lines: one consequence is shown as it is. */
const MIN_FOLDED = 2

/**
 * Groups diagnostics by root cause, for text output (JSON output lists every diagnostic):
 *
 * 1. `missing-dependency` of package P in environment E is a cause; every `unresolved-in-environment` and
 *    `replacement-target-missing` finding of P in E follows from it (P's missing dependencies are shown
 *    together, the consequences folded under them).
 * 2. Of the rest, findings of a code in ONE_FIX_PER_HINT with the same severity, environment and hint have one
 *    cause (the missing item `credential/db` that 21 definitions refer to, the missing schema of a kind): the
 *    first is shown, the others folded under it.
 *
 * A group folds only when at least MIN_FOLDED diagnostics would be folded. The order of the input is kept:
 * each group sits where its first cause was.
 */
export function foldDiagnostics(diagnostics: readonly Diagnostic[]): DiagnosticGroup[] {
  const key = (...parts: (string | undefined)[]) => JSON.stringify(parts)
  const missing = new Map<string, Diagnostic[]>()
  for (const d of diagnostics) {
    if (d.code !== 'missing-dependency') continue
    const k = key(d.package, d.environment)
    missing.set(k, [...(missing.get(k) ?? []), d])
  }
  const consequences = new Map<string, Diagnostic[]>()
  const sameFix = new Map<string, Diagnostic[]>()
  for (const d of diagnostics) {
    const k = key(d.package, d.environment)
    if (FOLLOWS_FROM_MISSING_DEPENDENCY.has(d.code) && missing.has(k)) consequences.set(k, [...(consequences.get(k) ?? []), d])
    else if (ONE_FIX_PER_HINT.has(d.code) && d.hint) {
      const h = key(d.code, d.severity, d.environment, d.hint)
      sameFix.set(h, [...(sameFix.get(h) ?? []), d])
    }
  }
  const groupOf = new Map<Diagnostic, DiagnosticGroup | null>()
  for (const [k, causes] of missing) {
    const folded = consequences.get(k) ?? []
    if (folded.length < MIN_FOLDED) continue
    const group = { causes, folded }
    causes.forEach((d, i) => groupOf.set(d, i === 0 ? group : null))
    for (const d of folded) groupOf.set(d, null)
  }
  for (const members of sameFix.values()) {
    const free = members.filter((d) => !groupOf.has(d))
    if (free.length - 1 < MIN_FOLDED) continue
    const group = { causes: [free[0]!], folded: free.slice(1) }
    free.forEach((d, i) => groupOf.set(d, i === 0 ? group : null))
  }
  const groups: DiagnosticGroup[] = []
  for (const d of diagnostics) {
    const group = groupOf.get(d)
    if (group === undefined) groups.push({ causes: [d], folded: [] })
    else if (group !== null) groups.push(group)
  }
  return groups
}

/** How many diagnostics text output folds away. */
export function foldedCount(diagnostics: readonly Diagnostic[]): number {
  return foldDiagnostics(diagnostics).reduce((n, g) => n + g.folded.length, 0)
}
