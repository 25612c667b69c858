import type { Diagnostic } from '../diagnostics.js'
import type { PromotionPlan } from '../promotion/plan-promotion.js'
import { renderDiagnostics } from './diagnostics-text.js'
import { PLAIN, type Style, table } from './style.js'

const SIGN: Record<string, string> = { add: '+', update: '~', delete: '-', keep: '=' }

/** A plan as a person reads it: header, item table, findings. */
export function renderPlanText(
  plan: PromotionPlan,
  diagnostics: readonly Diagnostic[],
  style: Style = PLAIN,
  commit?: string,
  alreadyApplied = false,
): string {
  const lines: string[] = []
  const rollback = plan.rollback ? style.yellow(` (rollback from ${plan.previousVersion})`) : ''
  const from = plan.previousVersion && !plan.rollback ? ` (now ${plan.previousVersion})` : ''
  lines.push(style.bold(`${plan.package}@${plan.version} -> ${plan.environment} [${plan.branch}]`) + rollback + from)
  const rows = [['', 'item', 'action', 'note']]
  for (const change of plan.changes) {
    const replaced = change.replaced ? Object.entries(change.replaced).map(([a, b]) => `${a} -> ${b}`).join(', ') : ''
    rows.push([SIGN[change.action] ?? ' ', change.item, change.action, [change.note, replaced].filter(Boolean).join('; ')])
  }
  lines.push(table(rows, style))
  const counts = ['add', 'update', 'delete', 'keep'].map((a) => `${plan.changes.filter((c) => c.action === a).length} ${a}`)
  lines.push(style.dim(counts.join(', ')))
  if (diagnostics.length > 0) lines.push('', renderDiagnostics(diagnostics, style))
  if (commit) lines.push(style.green(`applied: ${plan.branch} is now at ${commit.slice(0, 12)}`))
  else if (alreadyApplied) lines.push(style.green(`already applied: ${plan.branch} has ${plan.package}@${plan.version}, nothing to change`))
  else if (!plan.ok) lines.push(style.red('refused: nothing was applied'))
  return lines.join('\n')
}
