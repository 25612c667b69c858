import type { Diagnostic } from '../diagnostics.js'
import type { PlannedChange, PromotionPlan } from '../promotion/plan-promotion.js'
import { code, hiddenMarker, htmlText, inert, markdownTable } from './markdown.js'
import { changeDetail, countsText, planCounts, sortedChanges } from './plan-markdown.js'

export const VALIDATION_MARKER = 'validation'

export interface DebugArtifactView {
  package: string
  version: string
  digest: string
  delta: { added: string[]; changed: string[]; removed: string[] }
}

export interface ValidationReport {
  diagnostics: readonly Diagnostic[]
  plans: readonly PromotionPlan[]
  debugBuilds: readonly DebugArtifactView[]
  /** Packages the pull request touches (directly or through their items). */
  touched: readonly string[]
  headSha: string
  /** Files the pull request changes: findings in them are this change's even outside a touched package. */
  changedFiles?: readonly string[]
  /**
   * Items this pull request changes (definition edited, added or removed; named or dropped in a manifest).
   * Each environment then shows only their rows; undefined: every change of the touched packages.
   */
  changedItems?: readonly string[]
}

const MAX_ROWS = 50
const MAX_NAMES = 10

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * The sticky pull-request comment. Errors lead; warnings only for what this pull request touches (the rest
 * counted); debug builds with the items they change; per environment only the rows this change would change.
 */
export function renderValidationComment(report: ValidationReport): string {
  const mine = touchedBy(report)
  const { errors, warnings } = reportedFindings(report)
  const otherWarnings = report.diagnostics.length - errors.length - warnings.length
  const lines: string[] = [hiddenMarker(VALIDATION_MARKER, { head: report.headSha })]
  const verdict = errors.length > 0 ? `❌ **Gantry found ${plural(errors.length, 'error')}**` : '✅ **Gantry: no errors**'
  lines.push(`${verdict}${warnings.length ? `, ${plural(warnings.length, 'warning')}` : ''} at ${code(report.headSha.slice(0, 12))}`)
  if (report.touched.length) lines.push('', `Packages in this pull request: ${report.touched.map((p) => code(p)).join(', ')}`)
  if (errors.length) {
    // Every error is shown, wherever it is: any of them fails the check, and a change can break a package it does not touch.
    lines.push('', `### ❌ Errors (${errors.length})`, '', findingsTable(errors, mine))
    if (errors.length > MAX_ROWS) lines.push('', `…and ${errors.length - MAX_ROWS} more errors in the job summary.`)
  }
  if (warnings.length) {
    lines.push('', `<details><summary>⚠️ ${plural(warnings.length, 'warning')} in what this pull request touches</summary>`, '', findingsTable(warnings, mine), '', '</details>')
  }
  if (otherWarnings) lines.push('', `_${plural(otherWarnings, 'warning')} about packages this pull request does not touch: listed in the job summary only._`)
  if (report.debugBuilds.length > 0) {
    lines.push('', '### Debug builds', '')
    lines.push(markdownTable(['package', 'version', 'digest', 'items changed since the last release'], report.debugBuilds.map((b) => [code(b.package), code(b.version), code(b.digest.slice(0, 19)), deltaNames(b.delta)])))
  }
  const sections = environmentSections(report)
  if (sections.length) lines.push('', '### What this change would change in each environment', '', ...sections)
  return lines.join('\n')
}

/** Whether a finding is about what the pull request touches: its packages, or a file it changes. */
function touchedBy(report: Pick<ValidationReport, 'touched' | 'changedFiles'>): (d: Diagnostic) => boolean {
  return (d) => (d.package !== undefined ? report.touched.includes(d.package) : true) || (d.file !== undefined && (report.changedFiles ?? []).includes(d.file))
}

/**
 * The findings the comment, the check run and the annotations report: every error (any of them fails the
 * check, and a change can break a package it does not touch), and the warnings about what the pull request
 * touches. The other warnings are counted, and listed in the job summary.
 */
export function reportedFindings(report: Pick<ValidationReport, 'diagnostics' | 'touched' | 'changedFiles'>): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  const mine = touchedBy(report)
  return {
    errors: report.diagnostics.filter((d) => d.severity === 'error'),
    warnings: report.diagnostics.filter((d) => d.severity !== 'error' && mine(d)),
  }
}

/** The job summary: the comment, then every finding (the comment folds away those about other packages). */
export function renderValidationSummary(report: ValidationReport): string {
  const comment = renderValidationComment(report)
  if (report.diagnostics.length === 0) return comment
  return `${comment}\n\n### All findings (${report.diagnostics.length})\n\n${findingsTable(report.diagnostics, () => true, Number.POSITIVE_INFINITY)}`
}

function findingsTable(diagnostics: readonly Diagnostic[], mine: (d: Diagnostic) => boolean, max = MAX_ROWS): string {
  const rows = diagnostics.slice(0, max).map((d) => [
    d.severity === 'error' ? '❌' : '⚠️',
    code(d.code),
    d.file ? code(`${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}`) : d.package ? code(d.package) : '',
    `${inert(d.message)}${d.hint ? `<br>_${inert(d.hint)}_` : ''}${mine(d) ? '' : '<br>_(in a package this pull request does not touch)_'}`,
  ])
  return markdownTable(['', 'code', 'where', 'message'], rows)
}

/** `➕ task/a, task/b · ✏️ task/c · ➖ task/d`: the items by name, a few of each. */
function deltaNames(delta: DebugArtifactView['delta']): string {
  const names = (sign: string, items: string[]) => (items.length ? `${sign} ${items.slice(0, MAX_NAMES).map((i) => code(i)).join(', ')}${items.length > MAX_NAMES ? ` +${items.length - MAX_NAMES} more` : ''}` : '')
  return [names('➕', delta.added), names('✏️', delta.changed), names('➖', delta.removed)].filter(Boolean).join(' · ') || 'no item changes'
}

function environmentSections(report: ValidationReport): string[] {
  const changed = report.changedItems ? new Set(report.changedItems) : undefined
  const byEnv = new Map<string, { plan: PromotionPlan; rows: PlannedChange[]; others: number }[]>()
  for (const plan of report.plans) {
    if (!report.touched.includes(plan.package)) continue
    const moving = sortedChanges(plan.changes).filter((c) => c.action !== 'keep')
    const rows = changed ? moving.filter((c) => changed.has(c.item)) : moving
    byEnv.set(plan.environment, [...(byEnv.get(plan.environment) ?? []), { plan, rows, others: moving.length - rows.length }])
  }
  const out: string[] = []
  for (const [env, plans] of byEnv) {
    const rows = plans.flatMap((p) => p.rows.map((c) => ({ pkg: p.plan.package, c })))
    const counts = planCounts(rows.map((r) => r.c))
    const others = plans.reduce((n, p) => n + p.others, 0)
    const summary = `<b>${htmlText(env)}</b>: ${rows.length ? countsText({ ...counts, keep: 0 }).replace(/ · 0 kept$/, '') : 'no change from this pull request'}${others ? ` (and ${others} from earlier versions not yet promoted there)` : ''}`
    out.push(`<details><summary>${summary}</summary>`, '')
    const table = rows.slice(0, MAX_ROWS).map(({ pkg, c }) => [code(pkg), `${c.action}`, code(c.item), changeDetail(c, env)])
    out.push(table.length ? markdownTable(['package', 'action', 'item', 'what changes'], table) : '_nothing to show_')
    if (rows.length > MAX_ROWS) out.push('', `…and ${rows.length - MAX_ROWS} more.`)
    out.push('', '</details>')
  }
  return out
}
