// The local GitHub runs the example workflows for the events it produces; these tests follow events on
// promotion pull requests through the relay on the environment branches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BOT, OWNER, PromotionHub, ledgerFields } from '../../e2e/promotion-harness.js'
import { ACTIONS_BOT, describeReport } from './runner.js'

let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  await hub.stop()
})

describe('events on promotion pull requests', () => {
  it('an approval of a promotion applies it in the run the review starts, through the relay', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const mark = repo.runner.mark()
    await repo.approve('quinn', qa)
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1')
    const [review, dispatch] = repo.runner.since(mark)
    expect(review?.name).toBe('pull_request_review')
    expect(review?.runs.map((r) => [r.event, r.path, r.jobs.map((j) => `${j.id}:${j.result}`)])).toEqual([
      ['pull_request_review', '.github/workflows/gantry-relay.yml', ['relay:success']],
    ])
    expect(dispatch).toMatchObject({
      name: 'workflow_dispatch',
      sender: ACTIONS_BOT,
      causedBy: review!.runs[0]!.id,
    })
    expect(
      dispatch?.runs.map((r) => [r.path, r.inputs['pull-request'], r.jobs.map((j) => `${j.id}:${j.result}`)]),
    ).toEqual([['.github/workflows/promotion.yml', String(qa), ['promote:success']]])
    expect(repo.runner.violations).toEqual([])
    noteTimings(repo.runner.reports)
    void BOT
    void OWNER
    void describeReport
  })
})
afterAll(() => {
  if (process.env.GANTRY_TIMINGS) for (const line of timings) console.log(line)
})
const timings: string[] = []
export function noteTimings(reports: { name: string; runs: { path: string; ms?: number }[] }[]): void {
  for (const r of reports) for (const run of r.runs) timings.push(`${r.name} ${run.path} ${run.ms ?? '-'}ms`)
}
