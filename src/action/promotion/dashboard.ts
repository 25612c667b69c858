import { deriveStatus } from '../../commands/status.js'
import { DASHBOARD_MARKER, DASHBOARD_TITLE, type DashboardView, renderDashboard } from '../../core/render/dashboard.js'
import { hiddenMarker } from '../../core/render/markdown.js'
import { parseRange, satisfies } from '../../core/versions/versions.js'
import { readPromotionMarker } from '../../core/render/promotion-body.js'
import type { PromotionApi } from '../../adapters/github/promotion-api.js'
import type { PromotionService } from './promotion-service.js'

/** Derives the dashboard from ledgers, tags and promotion pull requests, and writes the one issue. */
export async function refreshDashboard(service: PromotionService, api: PromotionApi, now: Date, dryRun: boolean): Promise<DashboardView> {
  const repository = await service.source()
  const status = await deriveStatus(repository)
  const view: DashboardView = {
    environments: repository.config.environments.map((e) => ({ name: e.name, branch: e.branch, approvals: e.approvals ?? 0, ...(e.timezone ? { timezone: e.timezone } : {}) })),
    packages: status.packages.map((p) => ({
      name: p.name,
      latest: p.latest,
      cells: Object.fromEntries(Object.entries(p.environments).map(([env, s]) => [env, { applied: s.version, ...(s.rollback ? { rollback: true } : {}) }])),
    })),
    pending: [],
    scheduled: [],
    rejections: [],
    drift: status.drift.map((d) => ({ environment: d.environment ?? '', item: d.item ?? d.file ?? '', message: d.message, severity: d.severity })),
    history: [],
    updatedAt: now.toISOString(),
  }
  const history = view.history!
  for (const p of status.packages) {
    for (const [env, s] of Object.entries(p.environments)) {
      if (s.appliedAt) history.push({ at: s.appliedAt, package: p.name, version: s.version, environment: env, event: s.rollback ? 'ROLLED BACK' : 'APPLIED' })
    }
  }
  for (const pr of await service.promotions('open')) {
    const assessment = await service.assess(pr.number).catch(async (error: unknown) => {
      // One promotion that cannot be assessed (a bundle failing its digest, say) is shown, not fatal.
      const marker = readPromotionMarker(pr.body)
      if (marker) {
        const waitingFor = `cannot be assessed: ${error instanceof Error ? error.message : String(error)}`
        // The approvals the environment asks for, from the policy: none counted, since nothing could be assessed.
        const required = (await service.source()).config.environments.find((e) => e.name === marker.environment)?.approvals ?? 0
        view.pending.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, approvals: 0, required, waitingFor })
      }
      return undefined
    })
    if (!assessment || (assessment.state !== 'ACCEPTED' && assessment.state !== 'SCHEDULED' && assessment.state !== 'APPLIED')) continue
    const { marker, decision, schedule } = assessment
    const waitingState = assessment.state === 'SCHEDULED' ? 'SCHEDULED' : 'ACCEPTED'
    let row = view.packages.find((p) => p.name === marker.package)
    if (!row) view.packages.push((row = { name: marker.package, latest: marker.version, cells: {} }))
    row.cells[marker.environment] = { ...row.cells[marker.environment], waiting: { version: marker.version, status: waitingState, number: pr.number, ...(marker.rollback ? { rollback: true } : {}) } }
    if (assessment.state === 'SCHEDULED') {
      view.scheduled.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, next: schedule?.next?.toISOString() ?? null, reason: schedule?.reason ?? '', ...(marker.rollback ? { rollback: true } : {}) })
    } else if (decision) {
      const waitingFor = [
        decision.missingApprovals > 0 ? `${decision.missingApprovals} more approval${decision.missingApprovals === 1 ? '' : 's'}` : '',
        decision.unticked.length ? `${decision.unticked.length} instruction${decision.unticked.length === 1 ? '' : 's'} to tick` : '',
      ].filter(Boolean).join(', ') || 'the next run'
      view.pending.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, approvals: decision.approvers.length, required: assessment.environment.approvals ?? 0, waitingFor, ...(marker.rollback ? { rollback: true } : {}) })
    }
  }
  for (const pr of (await service.promotions('closed')).slice(0, 50)) {
    const marker = readPromotionMarker(pr.body)
    if (!marker) continue
    if (pr.merged) {
      // The merge is the apply: its number goes on the ledger's history line for the same version.
      const applied = history.find((h) => h.package === marker.package && h.environment === marker.environment && h.version === marker.version && h.number === undefined)
      if (applied) applied.number = pr.number
      else if (pr.mergedAt) history.push({ at: pr.mergedAt, package: marker.package, version: marker.version, environment: marker.environment, event: marker.rollback ? 'ROLLED BACK' : 'APPLIED', number: pr.number })
      continue
    }
    // How it ended comes from Gantry's own comment, not the body's marker (anyone with write access can edit that).
    const ended = await service.ended(pr.number)
    if (!ended || ended.version !== marker.version) continue
    if (pr.closedAt) history.push({ at: pr.closedAt, package: marker.package, version: marker.version, environment: marker.environment, event: ended.status, number: pr.number })
    if (view.rejections.length < 10) view.rejections.push({ package: marker.package, version: marker.version, environment: marker.environment, number: pr.number, status: ended.status, reason: ended.reason })
    // In the matrix: the latest ended request for a version the environment does not have, unless a newer request is open.
    const row = view.packages.find((p) => p.name === marker.package)
    const cell = row ? (row.cells[marker.environment] ??= {}) : undefined
    if (cell && !cell.ended && !cell.waiting && cell.applied !== marker.version) cell.ended = { version: marker.version, status: ended.status, number: pr.number }
  }
  markBlocked(view, repository)
  history.sort((a, b) => b.at.localeCompare(a.at))
  view.packages.sort((a, b) => a.name.localeCompare(b.name))
  if (!dryRun) await api.upsertIssue(hiddenMarker(DASHBOARD_MARKER), DASHBOARD_TITLE, renderDashboard(view))
  return view
}

/**
 * A package is blocked in an environment when its latest version is the next one there (the environment
 * before it has it, or it is the first) but a dependency the manifest names is not applied there: the
 * promotion cannot be requested until it is. Derived from the default branch's manifests and the ledgers.
 */
export function markBlocked(view: DashboardView, repository: { model: { packages: ReadonlyMap<string, { manifest: { dependencies?: { package: string; version?: string }[] } }> } }): void {
  const applied = (pkg: string, env: string) => view.packages.find((p) => p.name === pkg)?.cells[env]?.applied
  for (const row of view.packages) {
    const manifest = repository.model.packages.get(row.name)?.manifest
    if (!row.latest || !manifest?.dependencies?.length) continue
    view.environments.forEach((env, index) => {
      const cell = row.cells[env.name]
      if (cell?.applied === row.latest || cell?.waiting || cell?.ended) return
      const previous = view.environments[index - 1]
      if (previous && row.cells[previous.name]?.applied !== row.latest) return
      const missing = manifest.dependencies!.filter((d) => {
        const version = applied(d.package, env.name)
        if (!version) return true
        const range = d.version ? parseRange(d.version) : undefined
        return typeof range === 'object' && !satisfies(version, range)
      }).map((d) => (d.version ? `${d.package} ${d.version}` : d.package))
      if (missing.length) row.cells[env.name] = { ...cell, blocked: { version: row.latest!, missing } }
    })
  }
}
