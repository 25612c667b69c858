import { versionsOf } from '../../core/model/released-version.js'
import { compareVersions } from '../../core/versions/versions.js'
import type { PromotionService, RequestOutcome } from './promotion-service.js'

export interface ReconcileOutcome {
  decided: { number: number; state: string }[]
  requested: { package: string; version: string; outcomes: RequestOutcome[] }[]
  recorded: number
}

/**
 * The scheduled run: decide every open promotion (due SCHEDULED ones apply), finish the bookkeeping of
 * merged ones, and open the promotions that are due (the latest version of each package, where its `after`
 * environments have it). Everything is derived from git and GitHub, so a dropped run is caught up here.
 */
export async function reconcile(service: PromotionService): Promise<ReconcileOutcome> {
  const outcome: ReconcileOutcome = { decided: [], requested: [], recorded: 0 }
  for (const pr of await service.promotions('open')) {
    const decided = await service.decide(pr.number)
    outcome.decided.push({ number: pr.number, state: decided.state })
  }
  for (const pr of await service.promotions('closed')) {
    if (!pr.merged) continue
    const assessment = await service.assess(pr.number)
    if (assessment) {
      await service.record(pr, assessment.marker)
      outcome.recorded++
    }
  }
  const repository = await service.source()
  for (const pkg of [...new Set(repository.released.map((r) => r.package))].sort()) {
    const latest = versionsOf(repository.released, pkg).sort((a, b) => compareVersions(b.version, a.version))[0]
    if (!latest) continue
    const outcomes = await service.request(pkg, latest.version, undefined, 'schedule')
    if (outcomes.length) outcome.requested.push({ package: pkg, version: latest.version, outcomes })
  }
  return outcome
}
