import { deriveStatus } from '../../commands/status.js'
import { DASHBOARD_MARKER, DASHBOARD_TITLE, type DashboardView, renderDashboard } from '../../core/render/dashboard.js'
import { hiddenMarker } from '../../core/render/markdown.js'
import { readPromotionMarker } from '../../core/render/promotion-body.js'
import type { PromotionApi } from '../../adapters/github/promotion-api.js'
import type { PromotionService } from './promotion-service.js'

/** Derives the dashboard from ledgers, tags and promotion pull requests, and writes the one issue. */
export async function refreshDashboard(service: PromotionService, api: PromotionApi, now: Date, dryRun: boolean): Promise<DashboardView> {
  const repository = await service.source()
  const status = await deriveStatus(repository)
  const view: DashboardView = {
    environments: repository.config.environments.map((e) => ({ name: e.name, branch: e.branch, approvals: e.approvals ?? 0 })),
    packages: status.packages.map((p) => ({
      name: p.name,
      latest: p.latest,
      cells: Object.fromEntries(Object.entries(p.environments).map(([env, s]) => [env, { applied: s.version }])),
    })),
    pending: [],
    scheduled: [],
    rejections: [],
    drift: status.drift.map((d) => ({ environment: d.environment ?? '', item: d.item ?? d.file ?? '', message: d.message, severity: d.severity })),
    updatedAt: now.toISOString(),
  }
  for (const pr of await service.promotions('open')) {
    const assessment = await service.assess(pr.number).catch((error: unknown) => {
      // One promotion that cannot be assessed (a bundle failing its digest, say) is shown, not fatal.
      const marker = readPromotionMarker(pr.body)
      if (marker) {
        const waitingFor = `cannot be assessed: ${error instanceof Error ? error.message : String(error)}`
        view.pending.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, approvals: 0, required: 0, waitingFor })
      }
      return undefined
    })
    if (!assessment || (assessment.state !== 'ACCEPTED' && assessment.state !== 'SCHEDULED' && assessment.state !== 'APPLIED')) continue
    const { marker, decision, schedule } = assessment
    const waitingState = assessment.state === 'SCHEDULED' ? 'SCHEDULED' : 'ACCEPTED'
    let row = view.packages.find((p) => p.name === marker.package)
    if (!row) view.packages.push((row = { name: marker.package, latest: marker.version, cells: {} }))
    row.cells[marker.environment] = { ...row.cells[marker.environment], waiting: { version: marker.version, status: waitingState, number: pr.number } }
    if (assessment.state === 'SCHEDULED') {
      view.scheduled.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, next: schedule?.next?.toISOString() ?? null, reason: schedule?.reason ?? '' })
    } else if (decision) {
      const waitingFor = [
        decision.missingApprovals > 0 ? `${decision.missingApprovals} more approval${decision.missingApprovals === 1 ? '' : 's'}` : '',
        decision.unticked.length ? `${decision.unticked.length} instruction${decision.unticked.length === 1 ? '' : 's'} to tick` : '',
      ].filter(Boolean).join(', ') || 'the next run'
      view.pending.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, approvals: decision.approvers.length, required: assessment.environment.approvals ?? 0, waitingFor })
    }
  }
  for (const pr of (await service.promotions('closed')).slice(0, 50)) {
    const marker = readPromotionMarker(pr.body)
    if (!marker || pr.merged || (marker.status !== 'REJECTED' && marker.status !== 'CANCELED')) continue
    if (view.rejections.length < 10) view.rejections.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, status: marker.status, reason: marker.reason ?? '' })
  }
  view.packages.sort((a, b) => a.name.localeCompare(b.name))
  if (!dryRun) await api.upsertIssue(hiddenMarker(DASHBOARD_MARKER), DASHBOARD_TITLE, renderDashboard(view))
  return view
}
