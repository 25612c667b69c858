import type { Bundle } from '../bundle/bundle.js'
import type { Environment } from '../model/source-model.js'
import type { PromotionPlan } from '../promotion/plan-promotion.js'
import { renderInstructionChecklist } from '../promotion/approvals.js'
import type { PromotionMarker } from '../promotion/promotion-request.js'
import { code, hiddenMarker, inert, markdownTable, readMarker } from './markdown.js'

export const PROMOTION_MARKER = 'promotion'

export function promotionBranch(environment: string, pkg: string): string {
  return `gantry/promote/${environment}/${pkg}`
}

export function promotionTitle(marker: PromotionMarker): string {
  return `Promote ${marker.package}@${marker.version} to ${marker.environment}${marker.rollback ? ' (rollback)' : ''}`
}

/**
 * The promotion pull request's body: what, why, the before-instructions to tick, the item-by-item plan with
 * replacements, the checks, when it may apply, and the hidden marker later runs read back.
 */
export function renderPromotionBody(input: {
  marker: PromotionMarker
  bundle: Bundle
  plan: PromotionPlan
  environment: Environment
}): string {
  const { marker, bundle, plan, environment } = input
  const lines = [hiddenMarker(PROMOTION_MARKER, markerData(marker))]
  const from = marker.from ? `${code(marker.from)} → ${code(marker.version)}` : `first version in ${inert(marker.environment)}: ${code(marker.version)}`
  lines.push(`## ${inert(marker.package)} ${code(marker.version)} → ${inert(marker.environment)}`, '', from)
  if (marker.rollback) lines.push('', `> ⚠️ **Rollback** from ${code(marker.from ?? '')}: items the newer version added are removed.`)
  if (bundle.notes) lines.push('', '### Version notes', '', ...bundle.notes.trim().split(/\r?\n/).map((l) => `> ${inert(l, 2000)}`))
  const before = bundle.instructions.filter((i) => i.when === 'before')
  const after = bundle.instructions.filter((i) => i.when === 'after')
  if (before.length) lines.push('', '### Before applying (tick each one; the promotion waits for all of them)', '', renderInstructionChecklist(before.map((i) => i.step)))
  if (after.length) lines.push('', '### After applying', '', ...after.map((i) => `- ${inert(i.step, 2000)}`))
  lines.push('', '### Plan', '')
  const rows = plan.changes.map((c) => {
    const replaced = c.replaced ? Object.entries(c.replaced).map(([a, b]) => `${code(a)} → ${code(b)}`).join(', ') : ''
    return [code(c.item), c.action, [c.note ? inert(c.note) : '', replaced].filter(Boolean).join('; ')]
  })
  lines.push(rows.length ? markdownTable(['item', 'action', 'note'], rows) : '_no items_')
  lines.push('', '### Checks', '')
  const deps = bundle.dependencies.map((d) => `${code(d.package)} ${d.version ? code(d.version) : ''}`.trim())
  lines.push(`- ✅ dependencies applied in ${inert(environment.name)}${deps.length ? `: ${deps.join(', ')}` : ' (none)'}`)
  lines.push(`- ✅ every reference resolves in ${inert(environment.name)} after the apply`)
  lines.push(`- ✅ bundle verified against the digest in the tag: ${code(marker.digest)}`)
  lines.push('', '### When it applies', '')
  const approvals = environment.approvals ?? 0
  const who = environment.reviewers?.length ? ` from ${environment.reviewers.map((r) => code(r)).join(', ')}` : ''
  lines.push(`- approvals: ${approvals}${who}, on the current head`)
  if (marker.releaseAt) lines.push(`- release date: ${code(marker.releaseAt)}`)
  if (environment.windows?.length) lines.push(`- windows: ${environment.windows.map(code).join(', ')} (${inert(environment.timezone ?? 'UTC')})`)
  for (const f of environment.freezes ?? []) lines.push(`- frozen ${code(f.from)} to ${code(f.to)}${f.reason ? `: ${inert(f.reason)}` : ''}`)
  lines.push('', '---', '_Comment `/gantry reject <reason>` to reject, `/gantry cancel` to cancel a scheduled promotion, `/gantry retry` to ask again._')
  return lines.join('\n')
}

function markerData(marker: PromotionMarker): Record<string, string | number | boolean | null> {
  const data: Record<string, string | number | boolean | null> = {
    package: marker.package,
    version: marker.version,
    environment: marker.environment,
    digest: marker.digest,
    from: marker.from,
    rollback: marker.rollback,
    releaseAt: marker.releaseAt,
    requestedBy: marker.requestedBy,
  }
  if (marker.status) data.status = marker.status
  if (marker.reason) data.reason = marker.reason
  return data
}

/** The marker of a promotion body, or undefined when the body is not one of ours. */
export function readPromotionMarker(body: string | null | undefined): PromotionMarker | undefined {
  const data = readMarker(body, PROMOTION_MARKER)
  if (!data || typeof data.package !== 'string' || typeof data.version !== 'string' || typeof data.environment !== 'string') return undefined
  const str = (v: unknown) => (typeof v === 'string' ? v : null)
  const status = data.status === 'REJECTED' || data.status === 'CANCELED' || data.status === 'SUPERSEDED' ? data.status : undefined
  return {
    package: data.package,
    version: data.version,
    environment: data.environment,
    digest: str(data.digest) ?? '',
    from: str(data.from),
    rollback: data.rollback === true,
    releaseAt: str(data.releaseAt),
    requestedBy: str(data.requestedBy) ?? 'unknown',
    ...(status ? { status } : {}),
    ...(typeof data.reason === 'string' ? { reason: data.reason } : {}),
  }
}

/** Replaces the marker in a body, keeping everything else (ticked boxes included). */
export function withMarker(body: string, marker: PromotionMarker): string {
  const line = hiddenMarker(PROMOTION_MARKER, markerData(marker))
  const re = new RegExp(`<!-- gantry:${PROMOTION_MARKER} \\{.*?\\} -->`)
  return re.test(body) ? body.replace(re, () => line) : `${line}\n${body}`
}
