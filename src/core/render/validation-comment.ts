import type { Diagnostic } from '../diagnostics.js'
import { countBySeverity } from '../diagnostics.js'
import type { PromotionPlan } from '../promotion/plan-promotion.js'
import { code, hiddenMarker, inert, markdownTable } from './markdown.js'

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
}

const MAX_ROWS = 50

/** The sticky pull-request comment: findings, debug builds, and per environment what each package would change. */
export function renderValidationComment(report: ValidationReport): string {
  const { errors, warnings } = countBySeverity(report.diagnostics)
  const lines: string[] = [hiddenMarker(VALIDATION_MARKER, { head: report.headSha })]
  const verdict = errors > 0 ? `❌ **Gantry found ${errors} error${errors === 1 ? '' : 's'}**` : '✅ **Gantry: no errors**'
  lines.push(`${verdict}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''} at ${code(report.headSha.slice(0, 12))}`)
  if (report.touched.length) lines.push('', `Packages in this pull request: ${report.touched.map(code).join(', ')}`)
  if (report.diagnostics.length > 0) {
    lines.push('', '### Findings', '')
    const rows = report.diagnostics.slice(0, MAX_ROWS).map((d) => [
      d.severity === 'error' ? '❌' : '⚠️',
      code(d.code),
      d.file ? code(`${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}`) : '',
      `${inert(d.message)}${d.hint ? `<br>_${inert(d.hint)}_` : ''}`,
    ])
    lines.push(markdownTable(['', 'code', 'where', 'message'], rows))
    if (report.diagnostics.length > MAX_ROWS) lines.push('', `…and ${report.diagnostics.length - MAX_ROWS} more (see the job summary).`)
  }
  if (report.debugBuilds.length > 0) {
    lines.push('', '### Debug builds', '')
    lines.push(
      markdownTable(
        ['package', 'version', 'digest', 'delta'],
        report.debugBuilds.map((b) => [code(b.package), code(b.version), code(b.digest.slice(0, 19)), `+${b.delta.added.length} ~${b.delta.changed.length} -${b.delta.removed.length}`]),
      ),
    )
  }
  const byEnv = new Map<string, PromotionPlan[]>()
  for (const plan of report.plans) if (report.touched.includes(plan.package)) byEnv.set(plan.environment, [...(byEnv.get(plan.environment) ?? []), plan])
  if (byEnv.size > 0) {
    lines.push('', '### What each environment would get', '')
    for (const [env, plans] of byEnv) {
      lines.push(`<details><summary><b>${inert(env)}</b></summary>`, '')
      const rows: string[][] = []
      for (const plan of plans) {
        for (const c of plan.changes.filter((c) => c.action !== 'keep').slice(0, MAX_ROWS)) {
          const replaced = c.replaced ? Object.entries(c.replaced).map(([a, b]) => `${code(a)} → ${code(b)}`).join(', ') : ''
          rows.push([code(plan.package), code(c.item), c.action, [c.note ? inert(c.note) : '', replaced].filter(Boolean).join('; ')])
        }
      }
      lines.push(rows.length ? markdownTable(['package', 'item', 'action', 'note'], rows) : '_no changes_', '', '</details>')
    }
  }
  return lines.join('\n')
}
