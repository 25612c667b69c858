import { renderDiagnostics } from './diagnostics-text.js'
import { PLAIN, type Style, stateColour, table } from './style.js'
import { plural, totalsLine } from './totals.js'
import type { Diagnostic } from '../diagnostics.js'

export interface StatusView {
  environments: { name: string; branch: string; head: string | null }[]
  packages: { name: string; latest: string | null; environments: Record<string, { status: string; version: string; rollback?: boolean }> }[]
  drift: Diagnostic[]
}

/** The package x environment matrix. */
export function renderStatusText(status: StatusView, style: Style = PLAIN): string {
  const header = ['package', 'latest', ...status.environments.map((e) => e.name)]
  const rows = status.packages.map((p) => [
    p.name,
    p.latest ?? '-',
    ...status.environments.map((e) => {
      const s = p.environments[e.name]
      return s ? `${s.version} ${s.status}${s.rollback ? ' (rollback)' : ''}` : '-'
    }),
  ])
  const fixed = 2
  const lines = [
    table([header, ...rows], style, (row, column) => {
      if (column < fixed) return undefined
      const s = status.packages[row - 1]?.environments[status.environments[column - fixed]!.name]
      return s ? stateColour(style, s.rollback ? 'rollback' : s.status) : style.dim
    }),
  ]
  const missing = status.environments.filter((e) => !e.head)
  if (missing.length) lines.push(style.dim(`no branch yet: ${missing.map((e) => e.branch).join(', ')} (created by the first apply)`))
  if (status.drift.length) lines.push('', style.bold('drift'), renderDiagnostics(status.drift, style))
  const cells = status.packages.flatMap((p) => Object.values(p.environments))
  const byState = new Map<string, number>()
  for (const s of cells) byState.set(s.status, (byState.get(s.status) ?? 0) + 1)
  const rollbacks = cells.filter((s) => s.rollback).length
  const counted = [
    plural(status.packages.length, 'package'),
    plural(status.environments.length, 'environment'),
    ...[...byState].map(([state, n]) => `${n} ${state}`),
    ...(rollbacks > 0 ? [plural(rollbacks, 'rollback')] : []),
  ]
  lines.push(totalsLine('status', counted, status.drift, style))
  return lines.join('\n')
}
