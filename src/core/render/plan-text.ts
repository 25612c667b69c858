import type { Diagnostic } from '../diagnostics.js'
import type { PromotionPlan } from '../promotion/plan-promotion.js'
import { renderDiagnostics } from './diagnostics-text.js'
import { PLAIN, type Style, actionColour, table } from './style.js'
import { formatTime } from './time.js'
import { totalsLine } from './totals.js'

const SIGN: Record<string, string> = { add: '+', update: '~', delete: '-', keep: '=' }
/** Longer values are folded to this many characters, with the rest counted. */
const FOLD = 60

/** A value on one line, folded when long, control characters escaped. */
export function foldValue(value: unknown, width = FOLD): string {
  if (value === undefined) return '(none)'
  const text = (typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value))).replace(
    // JSON.stringify already escapes C0 controls in strings; this covers the rest (C1, bidi, zero-width).
    /[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return text.length > width ? `${text.slice(0, width)}… (${text.length - width} more characters)` : text
}

/**
 * A plan as a person reads it: header, counts, the release date and instructions, then the changed items
 * (deletions first) with the fields that change and the values this environment sets; kept items are
 * counted, not listed.
 */
export function renderPlanText(
  plan: PromotionPlan,
  diagnostics: readonly Diagnostic[],
  style: Style = PLAIN,
  commit?: string,
  alreadyApplied = false,
  verb = 'plan',
  /** The environment's time zone: its release date is shown there, in the one format times take. */
  timeZone = 'UTC',
): string {
  const lines: string[] = []
  const rollback = plan.rollback ? style.yellow(` (rollback from ${plan.previousVersion})`) : ''
  const from = plan.previousVersion && !plan.rollback ? ` (now ${plan.previousVersion})` : ''
  lines.push(style.bold(`${plan.package}@${plan.version} -> ${plan.environment} [${plan.branch}]`) + rollback + from)
  const { counts } = plan
  lines.push(`${counts.add} to add, ${counts.update} to update, ${counts.delete} to delete, ${counts.keep} kept`)
  if (plan.release) lines.push(`release date in ${plan.environment}: ${formatTime(plan.release, timeZone)}`)
  // A rollback re-applies a version whose rollout already asked its before-steps: only those its author marked
  // `rollback: true` are asked again (as the promotion pull request asks them).
  for (const instruction of plan.instructions ?? []) {
    const again = plan.rollback && instruction.when === 'before' && instruction.rollback !== true ? '; done at the original rollout, not asked again for a rollback' : ''
    lines.push(`instruction (${instruction.when} the apply${again}): ${instruction.step}`)
  }
  // Kept items are counted, not listed, except those with a note: what this version does not get its way with
  // (not added under `add: never`, dropped but kept by `install: merge`, edits on the branch kept).
  const shown = plan.changes.filter((c) => c.action !== 'keep' || c.note !== undefined)
  if (shown.length > 0) {
    const rows = [['', 'item', 'action', 'note']]
    // The sign and the action of a change row take the action's colour; field and override rows none.
    const actions = new Map<number, string>()
    for (const change of shown) {
      actions.set(rows.length, change.action)
      rows.push([SIGN[change.action] ?? ' ', change.item, change.action, change.note ?? ''])
      for (const field of change.fields ?? []) {
        rows.push(['', `  ${field.path}`, '', `${foldValue(field.from)} -> ${foldValue(field.to)}`])
      }
      for (const override of change.overrides ?? []) {
        const label = override.kind === 'replace' ? `replaced in ${plan.environment}` : `set in ${plan.environment}`
        const was = override.from === undefined ? '' : ` (source: ${foldValue(override.from)})`
        rows.push(['', `  ${override.path}`, '', `${label}: ${foldValue(override.to)}${was}`])
      }
    }
    lines.push(table(rows, style, (row, column) => (column === 0 || column === 2) && actions.has(row) ? actionColour(style, actions.get(row)!) : undefined))
  }
  const keptQuietly = plan.changes.length - shown.length
  if (keptQuietly > 0) lines.push(style.dim(`${keptQuietly}${keptQuietly < counts.keep ? ' more' : ''} item${keptQuietly === 1 ? ' kept as it is' : 's kept as they are'} (not listed)`))
  if (diagnostics.length > 0) lines.push('', renderDiagnostics(diagnostics, style))
  if (commit) lines.push(style.green(`applied: ${plan.branch} is now at ${commit.slice(0, 12)}`))
  else if (alreadyApplied) lines.push(style.green(`already applied: ${plan.branch} has ${plan.package}@${plan.version}, nothing to change`))
  else if (!plan.ok) lines.push(style.red('refused: nothing was applied'))
  const done = commit !== undefined
  const counted = done
    ? [`${counts.add} added`, `${counts.update} updated`, `${counts.delete} deleted`, `${counts.keep} kept`]
    : [`${counts.add} to add`, `${counts.update} to update`, `${counts.delete} to delete`, `${counts.keep} kept`]
  lines.push(totalsLine(verb, counted, diagnostics, style))
  return lines.join('\n')
}
