import type { Bundle } from '../bundle/bundle.js'
import type { Environment } from '../model/source-model.js'
import type { PromotionPlan } from '../promotion/plan-promotion.js'
import { renderInstructionChecklist } from '../promotion/approvals.js'
import type { PromotionMarker } from '../promotion/promotion-request.js'
import { code, hiddenMarker, inert, inertBlock, readMarker } from './markdown.js'
import { renderPlanMarkdown } from './plan-markdown.js'
import { formatTime } from './time.js'

export const PROMOTION_MARKER = 'promotion'

export function promotionBranch(environment: string, pkg: string): string {
  return `gantry/promote/${environment}/${pkg}`
}

export function promotionTitle(marker: PromotionMarker): string {
  return `Promote ${marker.package}@${marker.version} to ${marker.environment}${marker.rollback ? ' (rollback)' : ''}`
}

/** Where a promotion comes from, as the promotion service knows it; every field optional. */
export interface PromotionProvenance {
  /** Pull requests into the default branch that made this version (since the previous release). */
  pullRequests?: { number: number; title?: string; url?: string }[]
  /** The GitHub Release of `<package>@<version>`. */
  releaseUrl?: string
  /** GitHub's compare view from the version the environment runs to this one. */
  compareUrl?: string
}

/** GitHub refuses a pull request body over 65,536 characters; the body stays under this with room to spare. */
export const BODY_LIMIT = 65_536
const BODY_BUDGET = BODY_LIMIT - 4_096

/**
 * The `before` steps a reviewer must tick. A rollback re-applies an older version whose rollout already
 * asked them: it asks again only the steps whose author marked them `rollback: true`.
 */
export function instructionsToTick(bundle: Bundle, rollback: boolean): string[] {
  return bundle.instructions.filter((i) => i.when === 'before' && (!rollback || i.rollback === true)).map((i) => i.step)
}

/**
 * The promotion pull request's body: what, where from, why, the before-instructions to tick, the plan (counts,
 * deletions first, what each change changes, keeps folded), the checks, when it may apply, and the hidden marker.
 * The plan is capped so the body stays under GitHub's limit; `fullPlanUrl` links the rest (see docs/action.md).
 */
export function renderPromotionBody(input: {
  marker: PromotionMarker
  bundle: Bundle
  plan: PromotionPlan
  environment: Environment
  provenance?: PromotionProvenance
  /** Where the whole plan can be read when the body shows only part of it (the job summary of the run). */
  fullPlanUrl?: string
  /** The run's clock, to say whether the release date has passed. */
  now?: Date
  /** For tests: the character budget of the body (default: under GitHub's 65,536). */
  budget?: number
}): string {
  const { marker, bundle, plan, environment } = input
  const zone = environment.timezone ?? 'UTC'
  const head: string[] = [hiddenMarker(PROMOTION_MARKER, markerData(marker))]
  const from = marker.from ? `${code(marker.from)} → ${code(marker.version)}` : `first version in ${inert(marker.environment)}: ${code(marker.version)}`
  head.push(`## ${inert(marker.package)} ${code(marker.version)} → ${inert(marker.environment)}`, '', from)
  if (marker.rollback) head.push('', `> [!WARNING]`, `> **Rollback** from ${code(marker.from ?? '')} to ${code(marker.version)}: items the newer version added are removed, and automation does not promote a newer version here again until someone asks.`)
  head.push('', ...provenanceLines(marker, input.provenance))
  if (bundle.notes) head.push('', '### Version notes', '', ...inertBlock(bundle.notes.trim()).split('\n').map((l) => (l ? `> ${l}` : '>')))
  const toTick = instructionsToTick(bundle, marker.rollback)
  const notAsked = bundle.instructions.filter((i) => i.when === 'before' && !toTick.includes(i.step))
  const after = bundle.instructions.filter((i) => i.when === 'after')
  if (toTick.length) head.push('', '### Before applying (tick each one; the promotion waits for all of them)', '', renderInstructionChecklist(toTick))
  if (notAsked.length) head.push('', '### Before-instructions of the original rollout (not asked again for a rollback)', '', ...notAsked.map((i) => `- ${inert(i.step, 2000)}`))
  if (after.length) head.push('', '### After applying', '', ...after.map((i) => `- ${inert(i.step, 2000)}`))

  const tail: string[] = ['', '### Checks', '']
  const deps = bundle.dependencies.map((d) => `${code(d.package)} ${d.version ? code(d.version) : ''}`.trim())
  tail.push(`- ✅ dependencies applied in ${inert(environment.name)}${deps.length ? `: ${deps.join(', ')}` : ' (none)'}`)
  tail.push(`- ✅ every reference resolves in ${inert(environment.name)} after the apply`)
  tail.push(`- ✅ bundle verified against the digest in the tag: ${code(marker.digest)}`)
  tail.push('', '### When it applies', '')
  const approvals = environment.approvals ?? 0
  const who = environment.reviewers?.length ? ` from ${environment.reviewers.map((r) => code(r)).join(', ')}` : ''
  tail.push(approvals > 0 ? `- approvals: ${approvals}${who}, on the current head` : '- approvals: none needed in this environment')
  if (marker.releaseAt) {
    const passed = input.now ? (new Date(marker.releaseAt).getTime() <= input.now.getTime() ? ' (passed)' : ' (not yet: it waits until then)') : ''
    tail.push(`- release date: ${formatTime(marker.releaseAt, zone)}${passed}`)
  }
  if (environment.windows?.length) tail.push(`- windows: ${environment.windows.map((w) => code(w)).join(', ')} (${inert(zone)})`)
  // Freezes are whole days in the environment's zone, first to last day included.
  for (const f of environment.freezes ?? []) tail.push(`- frozen ${inert(f.from)} to ${inert(f.to)} (${inert(zone)})${f.reason ? `: ${inert(f.reason)}` : ''}`)
  tail.push('', '---', '_Comment `/gantry reject <reason>` to reject, `/gantry cancel` to cancel a scheduled promotion, `/gantry retry` to ask again._')

  const budget = Math.min(input.budget ?? BODY_BUDGET, BODY_BUDGET)
  const planHead = ['', '### Plan', '']
  const fixed = [...head, ...planHead, ...tail].join('\n').length + 400
  const compose = (planBudget: number): string => {
    const rendered = renderPlanMarkdown(plan.changes, environment.name, Math.max(0, planBudget))
    const planLines = [rendered.markdown]
    if (rendered.shown < rendered.total) {
      planLines.push('', `> [!NOTE]`, `> This body shows ${rendered.shown} of ${rendered.total} changes (GitHub limits a pull request body to ${BODY_LIMIT.toLocaleString('en-US')} characters). ${input.fullPlanUrl ? `The full plan is in [the job summary of the run that wrote this body](${input.fullPlanUrl}); ` : ''}the **Files changed** tab shows every item's exact change.`)
    }
    return [...head, ...planHead, ...planLines, ...tail].join('\n')
  }
  // The plan's budget is an estimate (escapes, the note): shrink it by any overshoot until the body fits.
  let planBudget = budget - fixed
  let body = compose(planBudget)
  for (let tries = 0; body.length > budget && tries < 5; tries++) {
    planBudget -= body.length - budget + 200
    body = compose(planBudget)
  }
  return body
}

function provenanceLines(marker: PromotionMarker, provenance: PromotionProvenance | undefined): string[] {
  const lines = [`- requested by: ${inert(marker.requestedBy)}${marker.rollback ? ' (a **rollback**)' : ''}`]
  if (provenance?.releaseUrl) lines.push(`- release: [${inert(`${marker.package}@${marker.version}`)}](${provenance.releaseUrl})`)
  if (provenance?.compareUrl) lines.push(`- compare: [${inert(marker.from ? `${marker.package}@${marker.from}...${marker.package}@${marker.version}` : `${marker.package}@${marker.version}`)}](${provenance.compareUrl})`)
  const prs = provenance?.pullRequests ?? []
  if (prs.length) lines.push(`- source pull requests: ${prs.slice(0, 30).map((p) => `#${p.number}${p.title ? ` ${inert(p.title, 120)}` : ''}`).join('; ')}${prs.length > 30 ? ` and ${prs.length - 30} more` : ''}`)
  return lines
}

/** The whole plan for a job summary or a check run: no cap, every row. */
export function renderFullPlan(marker: PromotionMarker, plan: PromotionPlan, environment: Environment): string {
  return [`## Plan: ${inert(marker.package)} ${code(marker.version)} → ${inert(environment.name)}`, '', renderPlanMarkdown(plan.changes, environment.name).markdown].join('\n')
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
