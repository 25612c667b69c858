import type { ChangeAction, PlannedChange } from '../promotion/plan-promotion.js'
import { code, htmlText, inert, markdownTable } from './markdown.js'

export type PlanCounts = Record<ChangeAction, number>

const ORDER: Record<ChangeAction, number> = { delete: 0, add: 1, update: 2, keep: 3 }
const SIGN: Record<ChangeAction, string> = { delete: '➖', add: '➕', update: '✏️', keep: '＝' }

export function planCounts(changes: readonly PlannedChange[]): PlanCounts {
  const counts: PlanCounts = { add: 0, update: 0, delete: 0, keep: 0 }
  for (const c of changes) counts[c.action] += 1
  return counts
}

/** `2 deleted · 3 added · 1 updated · 14 kept`: the order rows are listed in. */
export function countsText(counts: PlanCounts): string {
  return `${counts.delete} deleted · ${counts.add} added · ${counts.update} updated · ${counts.keep} kept`
}

/** Changes in reading order: deletions first, then adds, updates, keeps; by item within each. */
export function sortedChanges(changes: readonly PlannedChange[]): PlannedChange[] {
  return [...changes].sort((a, b) => ORDER[a.action] - ORDER[b.action] || a.item.localeCompare(b.item))
}

const FOLD_AT = 60
const MAX_FIELDS = 8

/** A value in a table cell: short ones in a code span, long ones folded (first characters, the rest on a click). */
function value(v: unknown): string {
  if (v === undefined) return '_(none)_'
  const text = typeof v === 'string' ? v : JSON.stringify(v)
  if (text.length <= FOLD_AT) return code(text)
  const full = text.length > 2000 ? `${text.slice(0, 2000)}…` : text
  return `<details><summary><code>${htmlText(text.slice(0, 40))}…</code> (${text.length} characters)</summary><code>${htmlText(full)}</code></details>`
}

/** What a row changes, in one cell: fields old → new, this environment's overrides and replacements, the note. */
export function changeDetail(c: PlannedChange, environment: string): string {
  const parts: string[] = []
  const overridden = new Set((c.overrides ?? []).map((o) => o.path))
  const fields = c.fields ?? []
  for (const f of fields.slice(0, MAX_FIELDS)) {
    const mark = overridden.has(f.path) ? ` (set by ${inert(environment)})` : ''
    parts.push(`${code(f.path)}: ${value(f.from)} → ${value(f.to)}${mark}`)
  }
  if (fields.length > MAX_FIELDS) parts.push(`_+${fields.length - MAX_FIELDS} more fields_`)
  for (const o of c.overrides ?? []) {
    if (fields.some((f) => f.path === o.path)) continue
    parts.push(o.kind === 'replace' ? `${code(o.path)}: ${value(o.from)} replaced by ${value(o.to)} in ${inert(environment)}` : `${code(o.path)} = ${value(o.to)} (set by ${inert(environment)})`)
  }
  const replaced = Object.entries(c.replaced ?? {}).filter(([from, to]) => !(c.overrides ?? []).some((o) => o.kind === 'replace' && o.from === from && o.to === to))
  if (replaced.length) parts.push(`replaced: ${replaced.map(([a, b]) => `${code(a)} → ${code(b)}`).join(', ')}`)
  if (c.note) parts.push(`_${inert(c.note)}_`)
  if (!parts.length && c.action === 'delete') parts.push(`removed from ${inert(environment)}`)
  return parts.join('<br>')
}

export interface PlanMarkdown {
  markdown: string
  /** Rows (other than keeps) shown; the rest only in the full plan. */
  shown: number
  total: number
}

/**
 * The plan as Markdown: counts on top, deletions first, each change with what it changes; the items kept as
 * they are folded into one `<details>`. Stops adding rows at `budget` characters (the caller links the rest).
 */
export function renderPlanMarkdown(changes: readonly PlannedChange[], environment: string, budget = Number.POSITIVE_INFINITY, options: { packageColumn?: string } = {}): PlanMarkdown {
  const sorted = sortedChanges(changes)
  const counts = planCounts(sorted)
  const moving = sorted.filter((c) => c.action !== 'keep')
  const keeps = sorted.filter((c) => c.action === 'keep')
  const lines = [`**${countsText(counts)}**`, '']
  const header = [...(options.packageColumn ? ['package'] : []), '', 'item', 'what changes']
  const rows: string[][] = []
  let size = lines.join('\n').length + 200
  for (const c of moving) {
    const row = [...(options.packageColumn ? [code(options.packageColumn)] : []), `${SIGN[c.action]} ${c.action}`, code(c.item), changeDetail(c, environment)]
    const length = row.join(' | ').length + 4
    if (size + length > budget) break
    size += length
    rows.push(row)
  }
  if (moving.length) lines.push(markdownTable(header, rows))
  else lines.push('_No item changes._')
  if (rows.length < moving.length) lines.push('', `_…and ${moving.length - rows.length} more changes, in the full plan._`)
  if (keeps.length) {
    // A kept item with a note is one this version does not get its way with (not added under `add: never`,
    // dropped but kept by `install: merge`, edits on the branch kept): listed one a line, with the reason.
    const noted = keeps.filter((c) => c.note)
    const plain = keeps.filter((c) => !c.note).map((c) => code(c.item)).join(', ')
    const list = [...noted.map((c) => `- ${code(c.item)}: _${inert(c.note!)}_`), ...(plain ? [noted.length ? `- ${plain}` : plain] : [])].join('\n')
    const kept = size + list.length < budget ? list : '_listed in the full plan_'
    const why = noted.length ? ` (${noted.length} with a reason)` : ''
    lines.push('', `<details><summary>${keeps.length} item${keeps.length === 1 ? ' kept as it is' : 's kept as they are'}${why}</summary>`, '', kept, '', '</details>')
  }
  return { markdown: lines.join('\n'), shown: rows.length, total: moving.length }
}
