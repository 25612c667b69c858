import { versionsOf } from '../../core/model/released-version.js'
import { compareVersions } from '../../core/versions/versions.js'
import type { PromotionService, RequestOutcome } from './promotion-service.js'

const COMMAND_LOOKBACK_DAYS = 7

export interface ReconcileOutcome {
  decided: { number: number; state: string }[]
  requested: { package: string; version: string; outcomes: RequestOutcome[] }[]
  recorded: number
  /** Promotions that could not be looked at (say, a bundle that fails its digest); the others went on. */
  errors: string[]
}

/**
 * The scheduled run: decide every open promotion (due SCHEDULED ones apply), finish the bookkeeping of
 * merged ones, and open the promotions that are due (the latest version of each package, where its `after`
 * environments have it). Everything is derived from git and GitHub, so a dropped run is caught up here.
 */
export async function reconcile(service: PromotionService): Promise<ReconcileOutcome> {
  const outcome: ReconcileOutcome = { decided: [], requested: [], recorded: 0, errors: [] }
  const attempt = async (what: string, step: () => Promise<void>) => {
    try {
      await step()
    } catch (error) {
      // Without credentials nothing else can succeed: stop here, the next run finishes.
      if (unauthorized(error)) throw error
      outcome.errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  // Commands whose runs were dropped (workflow concurrency replaces pending runs), first: a rejection must win
  // over an approval waiting to merge. Commands older than a week are left unanswered.
  for (const number of await service.commandTargets(COMMAND_LOOKBACK_DAYS)) {
    await attempt(`#${number}`, async () => {
      await service.handleCommands(number)
    })
  }
  for (const pr of await service.promotions('open')) {
    await attempt(`#${pr.number}`, async () => {
      const decided = await service.decide(pr.number)
      outcome.decided.push({ number: pr.number, state: decided.state })
    })
  }
  for (const { pr, marker } of await service.unrecorded()) {
    await attempt(`#${pr.number}`, async () => {
      await service.record(pr, marker)
      outcome.recorded++
    })
  }
  const repository = await service.source()
  for (const pkg of [...new Set(repository.released.map((r) => r.package))].sort()) {
    const latest = versionsOf(repository.released, pkg).sort((a, b) => compareVersions(b.version, a.version))[0]
    if (!latest) continue
    await attempt(`${pkg}@${latest.version}`, async () => {
      const outcomes = await service.request(pkg, latest.version, undefined, 'schedule')
      if (outcomes.length) outcome.requested.push({ package: pkg, version: latest.version, outcomes })
    })
  }
  return outcome
}

function unauthorized(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ('status' in e && (e as { status: unknown }).status === 401) return true
  }
  return false
}
