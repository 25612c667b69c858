import { printable } from '../names.js'
import { code, hiddenMarker, inert, markdownRow, markdownTable } from './markdown.js'
import { formatTime } from './time.js'

export const DASHBOARD_MARKER = 'dashboard'
export const DASHBOARD_TITLE = 'Gantry dashboard'

/** GitHub refuses an issue body over 65,536 characters; the dashboard keeps well under it. */
export const DASHBOARD_LIMIT = 65_536
const DASHBOARD_BUDGET = DASHBOARD_LIMIT - 2_048

export interface DashboardCell {
  /** APPLIED version, if any. */
  applied?: string
  /** The applied version came by a rollback. */
  rollback?: boolean
  /** A promotion waiting at this environment's door. */
  waiting?: { version: string; status: 'ACCEPTED' | 'SCHEDULED'; number: number; rollback?: boolean }
  /** A newer version that cannot be requested here yet: dependencies not applied in this environment. */
  blocked?: { version: string; missing: string[] }
  /** The latest request for a newer version ended without being applied. */
  ended?: { version: string; status: 'REJECTED' | 'CANCELED'; number: number }
}

export interface DashboardHistoryEntry {
  at: string
  package: string
  version: string
  environment: string
  event: 'APPLIED' | 'ROLLED BACK' | 'REJECTED' | 'CANCELED'
  number?: number
}

export interface DashboardView {
  /** `timezone`: scheduled and historic times of the environment are shown in it (default UTC). */
  environments: { name: string; branch: string; approvals: number; timezone?: string }[]
  packages: { name: string; latest: string | null; cells: Record<string, DashboardCell> }[]
  pending: { package: string; version: string; environment: string; number: number; approvals: number; required: number; waitingFor: string; rollback?: boolean }[]
  scheduled: { package: string; version: string; environment: string; number: number; next: string | null; reason: string; rollback?: boolean }[]
  rejections: { package: string; version: string; environment: string; number: number; status: 'REJECTED' | 'CANCELED'; reason: string }[]
  drift: { environment: string; item: string; message: string; severity: 'error' | 'warning' }[]
  /** Most recent first; the renderer shows the first few. */
  history?: DashboardHistoryEntry[]
  updatedAt: string
}

const LEGEND = '✅ latest applied · `1.2` an older version applied · ↩️ rolled back (after ⏳ or 🕒: a rollback waiting) · ⏳ waiting for approval or instructions · 🕒 scheduled · ⛔ blocked by a dependency · ❌ rejected · 🚫 canceled · `·` not applied'
const MAX_ATTENTION = 100
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
const MAX_HISTORY = 15
const MAX_LIST = 50

/** Whether a package needs someone's eye in any environment: something waits, is blocked, ended, or was rolled back. */
function needsAttention(cells: Record<string, DashboardCell>): boolean {
  return Object.values(cells).some((c) => c.waiting || c.blocked || c.ended || c.rollback)
}

function cellText(cell: DashboardCell | undefined, latest: string | null): string {
  if (!cell) return '·'
  const parts: string[] = []
  if (cell.applied) parts.push(cell.rollback ? `↩️ ${inert(cell.applied)}` : cell.applied === latest ? `✅ ${inert(cell.applied)}` : code(cell.applied))
  if (cell.waiting) parts.push(`${cell.waiting.status === 'SCHEDULED' ? '🕒' : '⏳'}${cell.waiting.rollback ? ' ↩️' : ''} ${inert(cell.waiting.version)} #${cell.waiting.number}`)
  if (cell.blocked) parts.push(`⛔ ${inert(cell.blocked.version)}`)
  if (cell.ended) parts.push(`${cell.ended.status === 'REJECTED' ? '❌' : '🚫'} ${inert(cell.ended.version)} #${cell.ended.number}`)
  return parts.join(' ') || '·'
}

/**
 * The dashboard issue: totals, a small picture (one node per environment, never one per package), what needs
 * attention, the whole matrix folded, what waits for whom, what is scheduled, recent history, what was
 * refused, and drift. Sized for hundreds of packages: the body stays under GitHub's limit.
 */
export function renderDashboard(view: DashboardView): string {
  const cells = view.packages.flatMap((p) => Object.values(p.cells))
  const total = (test: (c: DashboardCell) => unknown) => cells.filter(test).length
  const tally = {
    waiting: total((c) => c.waiting?.status === 'ACCEPTED'),
    scheduled: total((c) => c.waiting?.status === 'SCHEDULED'),
    blocked: total((c) => c.blocked),
    rejected: total((c) => c.ended),
    rollback: total((c) => c.rollback),
  }
  const lines = [hiddenMarker(DASHBOARD_MARKER), `_Kept current by Gantry on every run; last update ${formatTime(view.updatedAt)}._`, '']
  lines.push(
    `**${plural(view.packages.length, 'package')} × ${plural(view.environments.length, 'environment')}** · ⏳ ${tally.waiting} waiting for approval or instructions · 🕒 ${tally.scheduled} scheduled · ⛔ ${tally.blocked} blocked · ❌ ${tally.rejected} rejected or canceled · ↩️ ${tally.rollback} rolled back${view.drift.length ? ` · ⚠️ ${view.drift.length} drift` : ''}`,
    '',
  )
  lines.push('### Pipeline', '', '```mermaid', ...mermaid(view), '```', '')

  const header = ['package', 'latest', ...view.environments.map((e) => inert(e.name))]
  const row = (p: DashboardView['packages'][number]) => [code(p.name), p.latest ? inert(p.latest) : '–', ...view.environments.map((e) => cellText(p.cells[e.name], p.latest))]
  const attention = view.packages.filter((p) => needsAttention(p.cells))
  lines.push(`### Needs attention (${attention.length})`, '')
  lines.push(attention.length ? markdownTable(header, attention.slice(0, MAX_ATTENTION).map(row)) : '_nothing_')
  if (attention.length > MAX_ATTENTION) lines.push('', `…and ${attention.length - MAX_ATTENTION} more, in the full matrix below.`)
  lines.push('')

  const rest = sections(view)
  // The full matrix gets what the other sections leave of the budget; what does not fit is counted.
  const budget = DASHBOARD_BUDGET - [...lines, ...rest].join('\n').length - 1_000
  const matrix: string[] = []
  let size = 0
  for (const p of view.packages) {
    const line = markdownRow(row(p))
    if (size + line.length > budget) break
    size += line.length + 1
    matrix.push(line)
  }
  lines.push(`<details><summary>All ${plural(view.packages.length, 'package')} × ${plural(view.environments.length, 'environment')}</summary>`, '', LEGEND, '')
  lines.push(matrix.length ? [markdownTable(header, []), ...matrix].join('\n') : '_no packages_')
  if (matrix.length < view.packages.length) lines.push('', `…and ${view.packages.length - matrix.length} more packages: run \`gantry status\` for all of them.`)
  lines.push('', '</details>', '')
  return [...lines, ...rest].join('\n')
}

function sections(view: DashboardView): string[] {
  const out: string[] = []
  const zone = (env: string) => view.environments.find((e) => e.name === env)?.timezone ?? 'UTC'
  const list = <T>(title: string, items: readonly T[], header: string[], row: (t: T) => string[], empty = '_nothing_') => {
    out.push(`### ${title}${items.length ? ` (${items.length})` : ''}`, '')
    out.push(items.length ? markdownTable(header, items.slice(0, MAX_LIST).map(row)) : empty)
    if (items.length > MAX_LIST) out.push('', `…and ${items.length - MAX_LIST} more.`)
    out.push('')
  }
  // A rollback waiting is said so where people decide on it: it removes what the newer version added.
  const what = (e: { package: string; version: string; rollback?: boolean }) => `${code(e.package)} ${code(e.version)}${e.rollback ? ' ↩️ rollback' : ''}`
  // An environment that needs no approval waits only for instructions: it is not shown as awaiting approval.
  list('Waiting for approval or instructions', view.pending, ['promotion', 'package', 'environment', 'approvals', 'waiting for'], (p) => [`#${p.number}`, what(p), inert(p.environment), p.required > 0 ? `${p.approvals}/${p.required}` : 'none needed', inert(p.waitingFor)])
  list('Scheduled releases', view.scheduled, ['promotion', 'package', 'environment', 'applies at', 'why not now'], (s) => [`#${s.number}`, what(s), inert(s.environment), s.next ? formatTime(s.next, zone(s.environment)) : '–', inert(s.reason)])
  const blocked = view.packages.flatMap((p) => Object.entries(p.cells).filter(([, c]) => c.blocked).map(([env, c]) => ({ pkg: p.name, env, blocked: c.blocked! })))
  if (blocked.length) list('Blocked', blocked, ['package', 'environment', 'waits for'], (b) => [`${code(b.pkg)} ${code(b.blocked.version)}`, inert(b.env), b.blocked.missing.map((m) => code(m)).join(', ')])
  list('Recent history', (view.history ?? []).slice(0, MAX_HISTORY), ['when', 'package', 'environment', 'what', 'promotion'], (h) => [formatTime(h.at, zone(h.environment)), `${code(h.package)} ${code(h.version)}`, inert(h.environment), h.event === 'ROLLED BACK' ? '↩️ ROLLED BACK' : h.event, h.number ? `#${h.number}` : '–'], '_none yet_')
  list('Recent rejections and cancellations', view.rejections, ['promotion', 'package', 'environment', 'status', 'reason'], (r) => [`#${r.number}`, `${code(r.package)} ${code(r.version)}`, inert(r.environment), r.status, inert(r.reason)], '_none_')
  if (view.drift.length) list('Drift on environment branches', view.drift, ['', 'environment', 'item', 'what'], (d) => [d.severity === 'error' ? '❌' : '⚠️', inert(d.environment), code(d.item), inert(d.message)])
  return out
}

/**
 * A label in double quotes, with Mermaid's entity codes (`#35;`, decimal) for what its syntax or GitHub's
 * HTML would read: quotes, `#`, HTML and Markdown characters; an @ is kept from mentioning.
 */
function label(text: string): string {
  return printable(text.replace(/\r\n|\r|\n/g, ' '))
    .replace(/["#&<>[\]*_`~\\|]/g, (c) => `#${c.charCodeAt(0)};`)
    .replace(/(^|[^A-Za-z0-9])@(?=[A-Za-z0-9])/g, '$1@\u200d')
}

/**
 * Environments left to right, each a node with its totals; what waits at an environment's door is one node
 * pointing into it. Node ids are positional (`e0`, `w0`), never made from names, so no two names can meet
 * in one node whatever characters they hold; the picture stays as wide as the pipeline and one node tall.
 */
function mermaid(view: DashboardView): string[] {
  const out = ['flowchart LR']
  view.environments.forEach((env, index) => {
    const applied = view.packages.filter((p) => p.cells[env.name]?.applied).length
    const latest = view.packages.filter((p) => p.latest && p.cells[env.name]?.applied === p.latest).length
    out.push(`  e${index}["${label(env.name)}<br/>${applied} applied · ${latest} at latest"]`)
    if (index > 0) out.push(`  e${index - 1} --> e${index}`)
    const count = (test: (c: DashboardCell) => unknown) => view.packages.filter((p) => p.cells[env.name] && test(p.cells[env.name]!)).length
    const waiting = [
      [count((c) => c.waiting?.status === 'ACCEPTED'), '⏳ waiting'],
      [count((c) => c.waiting?.status === 'SCHEDULED'), '🕒 scheduled'],
      [count((c) => c.blocked), '⛔ blocked'],
      [count((c) => c.ended), '❌ ended'],
    ].filter(([n]) => (n as number) > 0)
    if (waiting.length) out.push(`  w${index}(["${waiting.map(([n, what]) => `${n} ${what}`).join('<br/>')}"]) -.-> e${index}`)
  })
  return out
}
