import { code, hiddenMarker, inert, markdownTable } from './markdown.js'

export const DASHBOARD_MARKER = 'dashboard'
export const DASHBOARD_TITLE = 'Gantry dashboard'

export interface DashboardCell {
  /** APPLIED version, if any. */
  applied?: string
  /** A promotion waiting at this environment's door. */
  waiting?: { version: string; status: 'ACCEPTED' | 'SCHEDULED'; number: number }
}

export interface DashboardView {
  environments: { name: string; branch: string; approvals: number }[]
  packages: { name: string; latest: string | null; cells: Record<string, DashboardCell> }[]
  pending: { package: string; version: string; environment: string; number: number; approvals: number; required: number; waitingFor: string }[]
  scheduled: { package: string; version: string; environment: string; number: number; next: string | null; reason: string }[]
  rejections: { package: string; version: string; environment: string; number: number; status: 'REJECTED' | 'CANCELED'; reason: string }[]
  drift: { environment: string; item: string; message: string; severity: 'error' | 'warning' }[]
  updatedAt: string
}

/** The dashboard issue: the matrix, what waits for whom, what is scheduled, what was refused, and a picture. */
export function renderDashboard(view: DashboardView): string {
  const lines = [hiddenMarker(DASHBOARD_MARKER), `_Kept current by Gantry on every run; last update ${code(view.updatedAt)}._`, '']
  lines.push('### Pipeline', '', '```mermaid', ...mermaid(view), '```', '')
  lines.push('### Packages', '')
  const header = ['package', 'latest', ...view.environments.map((e) => e.name)]
  const rows = view.packages.map((p) => [
    code(p.name),
    p.latest ? code(p.latest) : '–',
    ...view.environments.map((e) => {
      const cell = p.cells[e.name]
      const applied = cell?.applied ? `${code(cell.applied)} APPLIED` : '–'
      const waiting = cell?.waiting ? `<br>${code(cell.waiting.version)} ${cell.waiting.status} (#${cell.waiting.number})` : ''
      return applied + waiting
    }),
  ])
  lines.push(markdownTable(header, rows), '')
  lines.push('### Waiting for approval', '')
  lines.push(
    view.pending.length
      ? markdownTable(
          ['promotion', 'package', 'environment', 'approvals', 'waiting for'],
          view.pending.map((p) => [`#${p.number}`, `${code(p.package)} ${code(p.version)}`, inert(p.environment), `${p.approvals}/${p.required}`, inert(p.waitingFor)]),
        )
      : '_nothing_',
    '',
  )
  lines.push('### Scheduled releases', '')
  lines.push(
    view.scheduled.length
      ? markdownTable(
          ['promotion', 'package', 'environment', 'applies at', 'why not now'],
          view.scheduled.map((s) => [`#${s.number}`, `${code(s.package)} ${code(s.version)}`, inert(s.environment), s.next ? code(s.next) : '–', inert(s.reason)]),
        )
      : '_nothing_',
    '',
  )
  lines.push('### Recent rejections and cancellations', '')
  lines.push(
    view.rejections.length
      ? markdownTable(
          ['promotion', 'package', 'environment', 'status', 'reason'],
          view.rejections.map((r) => [`#${r.number}`, `${code(r.package)} ${code(r.version)}`, inert(r.environment), r.status, inert(r.reason)]),
        )
      : '_none_',
  )
  if (view.drift.length) {
    lines.push('', '### Drift on environment branches', '')
    lines.push(markdownTable(['', 'environment', 'item', 'what'], view.drift.map((d) => [d.severity === 'error' ? '❌' : '⚠️', inert(d.environment), code(d.item), inert(d.message)])))
  }
  return lines.join('\n')
}

/** Environments left to right, each with the versions it runs; what waits at its door points into it. */
function mermaid(view: DashboardView): string[] {
  const out = ['flowchart LR']
  const id = (s: string) => s.replace(/[^a-zA-Z0-9]/g, '_')
  const label = (s: string) => s.replace(/"/g, '#quot;')
  view.environments.forEach((env, index) => {
    const running = view.packages.filter((p) => p.cells[env.name]?.applied).map((p) => `${p.name} ${p.cells[env.name]!.applied}`)
    const body = [`<b>${env.name}</b>`, ...running.slice(0, 12), ...(running.length > 12 ? [`+${running.length - 12} more`] : [])]
    out.push(`  ${id(`env_${env.name}`)}["${label(body.join('<br/>'))}"]`)
    if (index > 0) out.push(`  ${id(`env_${view.environments[index - 1]!.name}`)} --> ${id(`env_${env.name}`)}`)
    for (const p of view.packages) {
      const waiting = p.cells[env.name]?.waiting
      if (!waiting) continue
      const node = id(`wait_${env.name}_${p.name}`)
      out.push(`  ${node}(["${label(`${p.name} ${waiting.version}<br/>${waiting.status}`)}"]) -.-> ${id(`env_${env.name}`)}`)
    }
  })
  return out
}
