/** Expected failures are data: a diagnostic says what is wrong, where, and what to do. */

export type Severity = 'error' | 'warning'

/** Stable diagnostic codes (SPEC section 8); more may be added, none renamed. */
export type DiagnosticCode =
  | 'yaml-syntax'
  | 'duplicate-key'
  | 'input-too-large'
  | 'forbidden-key'
  | 'unsafe-path'
  | 'schema'
  | 'unknown-kind'
  | 'invalid-name'
  | 'path-mismatch'
  | 'duplicate-definition'
  | 'missing-item'
  | 'unresolved-reference'
  | 'missing-dependency'
  | 'dependency-version'
  | 'dependency-cycle'
  | 'version-exists'
  | 'unknown-environment'
  | 'name-conflict'
  | 'locked-item-modified'
  | 'replacement-target-missing'
  | 'replacement-kind-mismatch'
  | 'invalid-override'
  | 'unresolved-in-environment'
  | 'digest-mismatch'
  | 'environment-order'
  | 'unknown-version'
  | 'local-customization'
  | 'unowned-item'
  | 'ignored-file'
  | 'unsafe-schema'
  | 'invalid-ledger'
  | 'more-findings'
  | 'merged-outside-gantry'

export interface Diagnostic {
  severity: Severity
  code: DiagnosticCode
  message: string
  file?: string
  line?: number
  column?: number
  package?: string
  item?: string
  environment?: string
  hint?: string
}

export interface Position {
  line: number
  column: number
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0
  let warnings = 0
  for (const d of diagnostics) {
    if (d.severity === 'error') errors++
    else warnings++
  }
  return { errors, warnings }
}

/** Sort for stable output: by file, then line, then column, then code. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  )
}
