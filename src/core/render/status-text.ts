import { renderDiagnostics } from './diagnostics-text.js'
import { PLAIN, type Style, table } from './style.js'
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
  const lines = [table([header, ...rows], style)]
  const missing = status.environments.filter((e) => !e.head)
  if (missing.length) lines.push(style.dim(`no branch yet: ${missing.map((e) => e.branch).join(', ')} (created by the first apply)`))
  if (status.drift.length) lines.push('', style.bold('drift'), renderDiagnostics(status.drift, style))
  return lines.join('\n')
}
