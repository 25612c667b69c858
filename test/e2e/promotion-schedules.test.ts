import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { produce } from './event-helpers.js'
import { INSIDE_WINDOW, OWNER, PromotionHub, type PromotionRepo, ledgerFields } from './promotion-harness.js'

// Release windows, freezes and cancellations of scheduled promotions into prod (Mon-Thu 00:00-01:00 in
// New York, frozen 2026-12-20 to 2027-01-03), and the lock check on hand-made pull requests into qa.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  await hub?.stop()
})

/** jobs@1 applied in qa by quinn's approval; its promotion into prod open. */
async function jobsWaitingForProd(repo: PromotionRepo): Promise<number> {
  await repo.approve('quinn', repo.openPromotion('qa', 'jobs').number)
  expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1')
  return repo.openPromotion('prod', 'jobs').number
}

/** Both prod approvals, then the run of the second review. */
async function approveForProd(repo: PromotionRepo, number: number): Promise<void> {
  await repo.review('paula', number)
  await repo.review('ravi', number)
  await repo.reviewRun('ravi', number)
}

const scheduleNote = (repo: PromotionRepo, number: number) =>
  repo.comments(number).filter((c) => c.includes('gantry:note-schedule'))

describe('scheduled promotions', () => {
  it('approved outside the window: SCHEDULED, untouched by runs outside it, applied by the first run inside it', async () => {
    const repo = await hub.repository(['jobs'])
    const prod = await jobsWaitingForProd(repo)

    await repo.approve('paula', prod)
    expect(repo.issue(prod).labels).toEqual(['gantry:awaiting-approval'])
    await repo.approve('ravi', prod)
    expect(repo.issue(prod).state).toBe('open')
    expect(repo.issue(prod).labels).toEqual(['gantry:scheduled'])
    const notes = scheduleNote(repo, prod)
    expect(notes).toHaveLength(1)
    // The next opening: Wednesday 25 November, 00:00 in New York.
    expect(notes[0]).toContain('**SCHEDULED**')
    expect(notes[0]).toContain('2026-11-25T05:00:00.000Z')
    expect(notes[0]).toContain('outside the windows')

    repo.now = '2026-11-24T20:00:00Z'
    await repo.reconcile()
    expect(await repo.ledger('prod', 'jobs')).toBeUndefined()
    expect(repo.issue(prod).state).toBe('open')
    expect(scheduleNote(repo, prod)).toHaveLength(1)

    repo.now = INSIDE_WINDOW
    await repo.reconcile()
    expect(repo.issue(prod).pull?.merged).toBe(true)
    expect(repo.issue(prod).labels).toEqual(['gantry:applied'])
    // The SCHEDULED note says that it applied.
    expect(scheduleNote(repo, prod)).toHaveLength(1)
    expect(scheduleNote(repo, prod)[0]).toContain('**APPLIED**')
    const ledger = ledgerFields(await repo.ledger('prod', 'jobs'))
    expect(ledger).toMatchObject({
      version: '1',
      promotion: String(prod),
      appliedAt: INSIDE_WINDOW.replace('Z', '.000Z'),
    })
    expect(ledger.approvers.sort()).toEqual(['paula', 'ravi'])
    expect(repo.promotions('prod', 'jobs')).toHaveLength(1)
    expect(repo.dashboard()?.body).toContain('### Scheduled releases\n\n_nothing_')
    expect(hub.github.violations).toEqual([])
  })

  it('/gantry cancel on a SCHEDULED promotion: CANCELED, closed, and never applied or reopened by later runs', async () => {
    const repo = await hub.repository(['jobs'])
    const prod = await jobsWaitingForProd(repo)
    await approveForProd(repo, prod)
    expect(repo.issue(prod).labels).toEqual(['gantry:scheduled'])

    await repo.command('olga', prod, '/gantry cancel')
    const canceled = repo.issue(prod)
    expect(canceled.state).toBe('closed')
    expect(canceled.pull?.merged).toBe(false)
    expect(canceled.labels).toEqual(['gantry:canceled'])
    expect(repo.marker(prod)).toMatchObject({ status: 'CANCELED', reason: 'canceled' })
    expect(repo.comments(prod).filter((c) => c.startsWith('Canceled by `olga`'))).toHaveLength(1)

    repo.now = INSIDE_WINDOW
    await repo.reconcile()
    await repo.reconcile()
    expect(await repo.ledger('prod', 'jobs')).toBeUndefined()
    expect(repo.promotions('prod', 'jobs').map((p) => [p.number, p.state])).toEqual([[prod, 'closed']])
    const dashboard = repo.dashboard()?.body ?? ''
    expect(dashboard).toMatch(
      new RegExp(`\\| #${prod} \\| \`jobs\` \`1\` \\| prod \\| CANCELED \\| canceled \\|`),
    )
    expect(hub.github.violations).toEqual([])
  })

  it('a freeze holds a due release inside a window until the freeze ends', async () => {
    const repo = await hub.repository(['jobs'])
    const prod = await jobsWaitingForProd(repo)
    // Monday 21 December 2026, 00:30 in New York: inside the window, but in the year-end freeze.
    repo.now = '2026-12-21T05:30:00Z'
    await approveForProd(repo, prod)
    expect(repo.issue(prod).labels).toEqual(['gantry:scheduled'])
    const note = scheduleNote(repo, prod)[0] ?? ''
    expect(note).toContain('frozen until 2027-01-03: Year-end close')
    // Monday 4 January 2027, 00:00 in New York: the first window after the freeze.
    expect(note).toContain('2027-01-04T05:00:00.000Z')

    repo.now = '2026-12-28T05:30:00Z'
    await repo.reconcile()
    expect(await repo.ledger('prod', 'jobs')).toBeUndefined()
    expect(repo.issue(prod).state).toBe('open')

    repo.now = '2027-01-04T05:30:00Z'
    await repo.reconcile()
    expect(repo.issue(prod).pull?.merged).toBe(true)
    expect(ledgerFields(await repo.ledger('prod', 'jobs'))).toMatchObject({
      version: '1',
      promotion: String(prod),
    })
    expect(hub.github.violations).toEqual([])
  })
})

describe('the lock check on pull requests into an environment branch', () => {
  it('fails on a change to a locked package’s item or a ledger, and passes with a warning on an unlocked one', async () => {
    const repo = await hub.repository(['base', 'jobs'])
    await repo.approve('quinn', repo.openPromotion('qa', 'base').number)
    await repo.approve('quinn', repo.openPromotion('qa', 'jobs').number)
    expect(ledgerFields(await repo.ledger('qa', 'base')).version).toBe('1')
    const before = await repo.head('env/qa')

    const handMade = async (branch: string, files: Record<string, string>) => {
      await hub.github.commitFiles(OWNER, repo.name, {
        branch,
        from: 'env/qa',
        files,
        message: 'Hotfix in qa',
        author: 'olga',
      })
      // Opened, it goes through env/qa's relay; the run it dispatches gives it the lock check.
      const [pr, opened] = await produce(repo, () =>
        hub.github.openPullRequestAs('olga', OWNER, repo.name, { title: 'Hotfix', head: branch, base: 'env/qa' }),
      )
      return { number: pr.number, run: await repo.drive(opened, `#${pr.number} opened by olga`, false) }
    }

    const locked = await handMade('hotfix-warehouse', {
      'definitions/connection/warehouse.yaml':
        'kind: connection\nname: warehouse\nspec:\n  host: other.internal\n',
      '.gantry/installed/base.yaml': 'package: base\nversion: "9"\n',
    })
    expect(locked.run.code).not.toBe(0)
    const errors = locked.run.annotations.filter((a) => a.level === 'error')
    expect(errors).toContainEqual(
      expect.objectContaining({
        file: 'definitions/connection/warehouse.yaml',
        message: expect.stringContaining('locked package base'),
      }),
    )
    expect(errors).toContainEqual(expect.objectContaining({ file: '.gantry/installed/base.yaml' }))
    const lockedComments = repo.comments(locked.number)
    expect(lockedComments).toHaveLength(1)
    expect(lockedComments[0]).toContain('❌')

    const unlocked = await handMade('hotfix-jobs-db', {
      'definitions/connection/jobs-db.yaml':
        'kind: connection\nname: jobs-db\nspec:\n  host: jobs-db-2.internal\n',
    })
    expect(unlocked.run.code, unlocked.run.stdout).toBe(0)
    expect(unlocked.run.annotations.filter((a) => a.level === 'error')).toEqual([])
    expect(unlocked.run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        file: 'definitions/connection/jobs-db.yaml',
        message: expect.stringContaining('customized by hand'),
      }),
    )
    expect(repo.comments(unlocked.number)).toHaveLength(1)
    expect(repo.comments(unlocked.number)[0]).toContain('⚠️')

    // The check reports; it neither merges nor closes anything.
    expect(await repo.head('env/qa')).toBe(before)
    expect([repo.issue(locked.number).state, repo.issue(unlocked.number).state]).toEqual(['open', 'open'])
    expect(hub.github.violations).toEqual([])
  })
})
