import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BOT, OWNER, PromotionHub, ledgerFields, tokenOf } from './promotion-harness.js'

// GitHub failing under the built action: rate limits, 5xx after the write, a revoked token, and a run that
// stopped between a merge and its bookkeeping. Each time: a clear outcome and no duplicate object.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  hub?.github.clearFaults()
  await hub?.stop()
})

describe('GitHub faults', () => {
  it('rate limits on the merge and on opening the next promotion: the run waits as told, then does each once', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const primary = hub.github.injectFault({
      kind: 'primary-rate-limit',
      route: 'pulls/merge',
      times: 1,
      retryAfterSeconds: 1,
    })
    const secondary = hub.github.injectFault({
      kind: 'secondary-rate-limit',
      route: 'pulls/create',
      times: 1,
      retryAfterSeconds: 1,
    })
    const run = await repo.approve('quinn', qa)
    expect([primary.hits, secondary.hits]).toEqual([1, 1])
    expect(run.stdout).toMatch(
      /^rate limit on PUT \/repos\/\{owner\}\/\{repo\}\/pulls\/\{pull_number\}\/merge: retry after \d+s$/m,
    )
    expect(run.stdout).toContain('secondary rate limit on POST /repos/{owner}/{repo}/pulls: retry after 1s')
    expect(repo.issue(qa).pull?.merged).toBe(true)
    expect(await repo.log('env/qa')).toEqual([
      `gantry: record promotion #${qa} of jobs@1 in qa`,
      'Promote jobs@1 to qa',
      'gantry: create env/qa',
    ])
    expect(repo.promotions('prod', 'jobs')).toHaveLength(1)
    expect(repo.openPromotion('prod', 'jobs').labels).toEqual(['gantry:awaiting-approval'])
    expect(hub.github.violations).toEqual([])
  })

  it('5xx after the write on merge, pull request, comment and issue: the retries adopt what exists', async () => {
    const dashboard = hub.github.injectFault({ kind: '5xx-after-write', route: 'issues/create', times: 1 })
    const repo = await hub.repository(['jobs', 'reports'])
    expect(dashboard.hits).toBe(1)
    expect(
      repo
        .state()
        .issues.filter((i) => !i.pull)
        .map((i) => i.title),
    ).toEqual(['Gantry dashboard'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const merge = hub.github.injectFault({ kind: '5xx-after-write', route: 'pulls/merge', times: 1 })
    const create = hub.github.injectFault({ kind: '5xx-after-write', route: 'pulls/create', times: 1 })
    await repo.approve('quinn', qa)
    expect([merge.hits, create.hits]).toEqual([1, 1])
    // One merge and one record on env/qa; one promotion into prod.
    expect(await repo.log('env/qa')).toEqual([
      `gantry: record promotion #${qa} of jobs@1 in qa`,
      'Promote jobs@1 to qa',
      'gantry: create env/qa',
    ])
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({
      version: '1',
      promotion: String(qa),
      approvers: ['quinn'],
    })
    const prod = repo.openPromotion('prod', 'jobs').number
    expect(repo.promotions('prod', 'jobs')).toHaveLength(1)

    // The note that says when a scheduled promotion applies: one comment.
    const note = hub.github.injectFault({ kind: '5xx-after-write', route: 'issues/create-comment', times: 1 })
    await repo.review('paula', prod)
    await repo.approve('ravi', prod)
    expect(note.hits).toBe(1)
    expect(repo.issue(prod).labels).toEqual(['gantry:scheduled'])
    expect(repo.comments(prod)).toHaveLength(1)

    // The rejection comment: one.
    const reports = repo.openPromotion('qa', 'reports').number
    const rejection = hub.github.injectFault({
      kind: '5xx-after-write',
      route: 'issues/create-comment',
      login: BOT,
      times: 1,
    })
    await repo.command('quinn', reports, '/gantry reject The weekly report needs a new host')
    expect(rejection.hits).toBe(1)
    expect(repo.issue(reports).state).toBe('closed')
    expect(repo.comments(reports).filter((c) => c.startsWith('Rejected by'))).toHaveLength(1)
    expect(hub.github.violations).toEqual([])
  })

  it('a token revoked mid-run: the run fails cleanly, and a re-run with the token restored finishes the job once', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.review('quinn', qa)
    // Revoked after the merge and its record, when the next environment's promotion is being opened.
    const fault = hub.github.injectFault({ kind: 'token-revoked', route: 'pulls/create', times: 1 })
    const failed = await repo.reviewRun('quinn', qa, 'approved', { expectSuccess: false })
    expect(fault.hits).toBe(1)
    expect(failed.code).not.toBe(0)
    expect(failed.stdout).toMatch(/::error::.*Bad credentials/)
    // A failed run leaves a job summary too: what it did before it stopped, and why it stopped.
    expect(failed.summary).toContain(`Applied [#${qa}](`)
    expect(failed.summary).toMatch(/\*\*Could not proceed:\*\*\n- .*Bad credentials/)
    expect(repo.issue(qa).pull?.merged).toBe(true)
    expect(repo.promotions('prod', 'jobs')).toEqual([])

    hub.github.restoreToken(tokenOf(BOT))
    await repo.reviewRun('quinn', qa)
    await repo.reviewRun('quinn', qa)
    expect(await repo.log('env/qa')).toEqual([
      `gantry: record promotion #${qa} of jobs@1 in qa`,
      'Promote jobs@1 to qa',
      'gantry: create env/qa',
    ])
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({
      version: '1',
      promotion: String(qa),
      approvers: ['quinn'],
    })
    expect(repo.promotions('prod', 'jobs')).toHaveLength(1)
    expect(repo.openPromotion('prod', 'jobs').labels).toEqual(['gantry:awaiting-approval'])
    expect(hub.github.violations).toEqual([])
  })

  it('a crash between the merge and the bookkeeping: the next run records it without merging again', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs')
    await repo.review('quinn', qa.number)
    // The merge happened, and the run that made it stopped there.
    await hub.github.mergePullRequestAs('ada', OWNER, repo.name, qa.number, {
      sha: qa.pull!.headSha,
      mergeMethod: 'squash',
      commitTitle: 'Promote jobs@1 to qa',
    })
    const merged = await repo.head('env/qa')
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({ version: '1', approvers: [] })
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).promotion).toBeUndefined()

    await repo.reconcile()
    const ledger = ledgerFields(await repo.ledger('qa', 'jobs'))
    expect(ledger).toMatchObject({
      version: '1',
      promotion: String(qa.number),
      approvers: ['quinn'],
      appliedAt: repo.issue(qa.number).pull!.mergedAt,
    })
    expect((await repo.ledger('qa', 'jobs')) ?? '').toContain(`sha: ${qa.pull!.headSha}`)
    expect(await repo.log('env/qa')).toEqual([
      `gantry: record promotion #${qa.number} of jobs@1 in qa`,
      'Promote jobs@1 to qa',
      'gantry: create env/qa',
    ])
    expect(await repo.file('env/qa~1', '.gantry/installed/jobs.yaml')).toBe(
      await repo.file(merged!, '.gantry/installed/jobs.yaml'),
    )
    expect(repo.promotions('prod', 'jobs')).toHaveLength(1)

    const recorded = await repo.head('env/qa')
    await repo.reconcile()
    expect(await repo.head('env/qa')).toBe(recorded)
    expect(repo.promotions('qa', 'jobs')).toHaveLength(1)
    expect(hub.github.violations).toEqual([])
  })
})
