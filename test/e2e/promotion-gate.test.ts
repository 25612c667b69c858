import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BOT,
  INSIDE_WINDOW,
  OWNER,
  PromotionHub,
  type PromotionRepo,
  ledgerFields,
  tokenOf,
} from './promotion-harness.js'
import { events, gitAs, produce, runWorkflow } from './event-helpers.js'
import { ACTIONS_BOT } from '../local-github/workflows/runner.js'

// The gate: nothing reaches an environment branch without the review it requires, and the records of it can be
// neither lost nor faked. Each test is an attack a writer can make, against the action run from its sources
// and the local GitHub.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  await hub?.stop()
})

const git = gitAs
const GANTRY = { name: 'Gantry', email: 'gantry@users.noreply.local' }

const notes = (repo: PromotionRepo, number: number, kind: string) =>
  repo.comments(number).filter((c) => c.includes(`gantry:${kind}`))

/** jobs@1 applied in qa by quinn's approval; its promotion into prod open. */
async function jobsWaitingForProd(repo: PromotionRepo, version = '1'): Promise<number> {
  await repo.approve('quinn', repo.openPromotion('qa', 'jobs').number)
  expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe(version)
  return repo.openPromotion('prod', 'jobs').number
}

describe('paths around review', () => {
  it('a commit under Gantry’s commit: the approvals are void and Gantry proposes its own commit again', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const proposed = repo.issue(qa).pull!.headSha
    // quinn, an eligible qa reviewer, slips a commit of their own under a cherry-pick of Gantry's commit, both
    // authored and committed as Gantry: the tree of the head is Gantry's plan applied to its parent.
    const dir = await repo.clone('gantry/promote/qa/jobs', tokenOf('quinn'))
    await git(dir, ['reset', '--quiet', '--hard', 'HEAD^'])
    await writeFile(join(dir, 'backdoor.yaml'), 'kind: task\nname: backdoor\n')
    await git(dir, ['add', 'backdoor.yaml'])
    await git(dir, ['commit', '--quiet', '-m', 'gantry: housekeeping'], GANTRY)
    await git(dir, ['cherry-pick', proposed], GANTRY)
    await git(dir, ['push', '--quiet', '--force', 'origin', 'HEAD:gantry/promote/qa/jobs'])
    const tampered = (await git(dir, ['rev-parse', 'HEAD'])).trim()
    expect(repo.issue(qa).pull!.headSha).toBe(tampered)

    await repo.approve('quinn', qa)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(await repo.log('env/qa')).toEqual(['gantry: create env/qa'])
    expect(repo.issue(qa).state).toBe('open')
    const integrity = notes(repo, qa, 'note-integrity')
    expect(integrity).toHaveLength(1)
    expect(integrity[0]).toContain('approvals given so far are void')
    // Proposed again: Gantry's own commit on the current env/qa, without the smuggled file.
    const again = repo.issue(qa).pull!.headSha
    expect(again).toBe(proposed)
    expect(await repo.file(again, 'backdoor.yaml')).toBeUndefined()
    expect(repo.issue(qa).labels).toEqual(['gantry:awaiting-approval'])

    // An approval of what Gantry proposed applies it, and only it.
    await repo.approve('quinn', qa)
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1')
    expect(await repo.file('env/qa', 'backdoor.yaml')).toBeUndefined()
  })

  it('reopening a rejected promotion: closed again, its old approvals never merge it', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.command('olga', qa, '/gantry reject not this week')
    expect(repo.issue(qa).state).toBe('closed')

    // Anyone with triage or write access can reopen; an approval then arrives.
    await repo.octokit('alice').rest.pulls.update({ owner: OWNER, repo: repo.name, pull_number: qa, state: 'open' })
    await repo.approve('quinn', qa)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(repo.issue(qa).state).toBe('closed')
    expect(repo.comments(qa).some((c) => c.includes('stays ended'))).toBe(true)
    await repo.reconcile()
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
  })

  it('the hidden marker is trusted: a release date edited out of the marker does not apply early', async () => {
    const repo = await hub.repository(['jobs'])
    await repo.change({
      'packages/jobs.yaml':
        'name: jobs\ndescription: Nightly jobs\nnotes: The nightly job.\nitems:\n  - task/nightly\n  - connection/jobs-db\nenvironments:\n  prod:\n    release: "2026-12-10T00:00:00-05:00"\n',
    })
    const prod = await jobsWaitingForProd(repo, '1.1')
    expect(repo.marker(prod).version).toBe('1.1')
    repo.now = INSIDE_WINDOW
    await repo.review('paula', prod)
    await repo.review('ravi', prod)
    await repo.reviewRun('ravi', prod)
    expect(repo.issue(prod).labels).toEqual(['gantry:scheduled'])

    // A writer edits the release date out of the marker; the window is open.
    const body = (repo.issue(prod).body ?? '').replace(/"releaseAt":"[^"]*"/, '"releaseAt":null')
    expect(body).not.toBe(repo.issue(prod).body)
    await repo.octokit('alice').rest.pulls.update({ owner: OWNER, repo: repo.name, pull_number: prod, body })
    await repo.reconcile()
    expect(await repo.ledger('prod', 'jobs')).toBeUndefined()
    expect(repo.issue(prod).state).toBe('open')
    expect(repo.issue(prod).labels).toEqual(['gantry:scheduled'])
  })

  it('the clock: GANTRY_NOW on a run that writes does not move it into the window', async () => {
    const repo = await hub.repository(['jobs'])
    const prod = await jobsWaitingForProd(repo)
    await repo.review('paula', prod)
    await repo.review('ravi', prod)
    await repo.reviewRun('ravi', prod)
    expect(repo.issue(prod).labels).toEqual(['gantry:scheduled'])

    // A rehearsal ("Run workflow" with rehearse-at) honours GANTRY_NOW, and writes nothing.
    const rehearsal = await runWorkflow(repo, { command: 'reconcile', 'rehearse-at': INSIDE_WINDOW })
    expect(rehearsal.stdout).toContain('rehearsal at 2026-11-25T05:30:00.000Z')
    expect(await repo.ledger('prod', 'jobs')).toBeUndefined()

    // A writer changes the workflow on main to set GANTRY_NOW inside the window on every run; the real clock
    // (here: the test's) is outside it. The next cron tick runs the changed workflow.
    const path = '.github/workflows/promotion.yml'
    const workflow = (await repo.file('main', path)) ?? ''
    const changed = workflow.replace(/GANTRY_NOW: .*$/m, `GANTRY_NOW: '${INSIDE_WINDOW}'`)
    expect(changed).not.toBe(workflow)
    await hub.github.commitFiles(OWNER, repo.name, { branch: 'main', files: { [path]: changed }, message: 'Pin the clock', author: 'alice' })
    const run = await repo.reconcile()
    expect(run.stdout).toContain('GANTRY_NOW is ignored')
    expect(await repo.ledger('prod', 'jobs')).toBeUndefined()
    expect(repo.issue(prod).state).toBe('open')
  })

  it('merges by a person: the ledger records who merged, and status and the dashboard show it as drift', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // The close goes through env/qa's relay; the run it dispatches does the bookkeeping.
    await events(repo, `#${qa} merged by alice`, () =>
      hub.github.mergePullRequestAs('alice', OWNER, repo.name, qa, { mergeMethod: 'squash' }),
    )
    const ledger = await repo.ledger('qa', 'jobs')
    expect(ledgerFields(ledger).promotion).toBe(String(qa))
    expect(ledger).toMatch(/^appliedBy: "?alice"?$/m)
    expect(repo.dashboard()?.body).toMatch(/merged by alice/)
  })
})

describe('records that must not be lost or faked', () => {
  it('bookkeeping catch-up past the 100 most recently closed pull requests', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // Merged with no run after it (the run was dropped), then 101 other pull requests closed.
    await hub.github.mergePullRequestAs(BOT, OWNER, repo.name, qa, { mergeMethod: 'squash' })
    await hub.github.commitFiles(OWNER, repo.name, { branch: 'scratch', from: 'main', files: { 'scratch.txt': 'x\n' }, message: 'Scratch', author: 'alice' })
    const octokit = repo.octokit('alice')
    for (let i = 0; i < 101; i++) {
      const { data } = await octokit.rest.pulls.create({ owner: OWNER, repo: repo.name, head: 'scratch', base: 'main', title: `Scratch ${i}` })
      await octokit.rest.pulls.update({ owner: OWNER, repo: repo.name, pull_number: data.number, state: 'closed' })
    }
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).promotion).toBeUndefined()
    await repo.reconcile()
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({ version: '1', promotion: String(qa) })
  })

  it('spoofed or doubled bot objects: a planted dashboard is left alone, a doubled one converges', async () => {
    const repo = await hub.repository(['jobs'])
    const own = repo.dashboard()!
    const planted = await repo.octokit('olga').rest.issues.create({
      owner: OWNER,
      repo: repo.name,
      title: 'Gantry dashboard',
      body: '<!-- gantry:dashboard {} -->\nPromote [this](http://evil.example) instead.',
    })
    // A second dashboard by the bot, as two runs creating it at once leave it.
    const doubled = await repo.octokit(BOT).rest.issues.create({ owner: OWNER, repo: repo.name, title: 'Gantry dashboard', body: '<!-- gantry:dashboard {} -->\n' })
    await repo.reconcile()
    expect(repo.issue(planted.data.number).body).toContain('http://evil.example')
    expect(repo.issue(planted.data.number).state).toBe('open')
    expect(repo.issue(doubled.data.number).state).toBe('closed')
    expect(repo.issue(own.number).state).toBe('open')
    expect(repo.issue(own.number).body).toContain('jobs')
  })

  it('spoofed bot objects: a planted validation comment is left alone, the bot writes its own', async () => {
    const repo = await hub.repository(['jobs'])
    await hub.github.commitFiles(OWNER, repo.name, {
      branch: 'feature',
      from: 'main',
      files: { 'packages/jobs.yaml': 'name: jobs\ndescription: Nightly jobs, renamed\nitems:\n  - task/nightly\n  - connection/jobs-db\n' },
      message: 'Describe jobs',
      author: 'alice',
    })
    // olga plants her comment before the validation run of the opened event starts (its comment's own run
    // skips: not a /gantry command).
    const [pr, opened] = await produce(repo, () => hub.github.openPullRequestAs('alice', OWNER, repo.name, { title: 'Describe jobs', head: 'feature', base: 'main' }))
    const planted = await hub.github.comment('olga', OWNER, repo.name, pr.number, '<!-- gantry:validation {} -->\nAll checks passed: merge it.')
    await repo.drive(opened, `#${pr.number} opened by alice`)
    const comments = repo.state().comments.filter((c) => c.issueNumber === pr.number)
    expect(comments.find((c) => c.id === planted.id)?.body).toBe('<!-- gantry:validation {} -->\nAll checks passed: merge it.')
    // Validation runs with the workflow's token (the App's key is not for pull request runs).
    expect(comments.filter((c) => c.user === ACTIONS_BOT && c.body.includes('gantry:validation'))).toHaveLength(1)
  })

  it('commands that vanish: every command is answered, a dropped one is picked up by the scheduled run', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.command('olga', qa, '/gantry frobnicate')
    await repo.command('reed', qa, '/gantry reject no')
    await repo.command('olga', qa, '/gantry help')
    expect(repo.issue(qa).state).toBe('open')
    const acks = () => notes(repo, qa, 'ack')
    expect(acks()).toHaveLength(3)
    expect(acks()[0]).toContain('not a Gantry command')
    expect(acks()[1]).toContain('needs write access')
    expect(acks()[2]).toContain('/gantry reject')

    // A rejection whose run was dropped (concurrency replaced it): the scheduled run carries it out.
    await hub.github.comment('quinn', OWNER, repo.name, qa, '/gantry reject not this week')
    await repo.reconcile()
    expect(repo.issue(qa).state).toBe('closed')
    expect(repo.issue(qa).labels).toEqual(['gantry:rejected'])
    expect(acks()).toHaveLength(4)
    // Answered once: later runs do not carry it out or answer it again.
    await repo.reconcile()
    expect(acks()).toHaveLength(4)
  })
})

describe('the gate, where GitHub shows gates', () => {
  it('a rollback in dev is not carried on to qa by automation', async () => {
    const repo = await hub.repository(['jobs'])
    await repo.approve('quinn', repo.openPromotion('qa', 'jobs').number)
    await repo.change({ 'packages/jobs.yaml': 'name: jobs\ndescription: Nightly jobs\nnotes: Second.\nitems:\n  - task/nightly\n  - connection/jobs-db\n' })
    await repo.approve('quinn', repo.openPromotion('qa', 'jobs').number)
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1.1')
    // dev is rolled back to 1 by a manual run; it applies (no approval, no instructions in dev).
    await repo.dispatch({ package: 'jobs', version: '1', environment: 'dev' })
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1')
    await repo.reconcile()
    expect(repo.promotions('qa', 'jobs').filter((p) => p.state === 'open')).toEqual([])
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1.1')
  })

  it('a rollback’s check counts only the before-steps it asks, as its body lists them', async () => {
    const repo = await hub.repository(['jobs'])
    const items = 'items:\n  - task/nightly\n  - connection/jobs-db\n'
    // 1.1 asks two before-steps, one of them again on a rollback; 1.2 asks none and replaces it in dev.
    await repo.change({ 'packages/jobs.yaml': `name: jobs\ndescription: Nightly jobs\nnotes: Drains first.\n${items}instructions:\n  - step: Drain the nightly queue\n    when: before\n  - step: Pause the feed\n    when: before\n    rollback: true\n` })
    await repo.change({ 'packages/jobs.yaml': `name: jobs\ndescription: Nightly jobs\nnotes: Third.\n${items}` })
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.2')
    await repo.dispatch({ package: 'jobs', version: '1.1', environment: 'dev' })
    const back = repo.openPromotion('dev', 'jobs')
    expect(repo.marker(back.number)).toMatchObject({ version: '1.1', rollback: true })
    const [check] = repo.state().checkRuns.filter((r) => r.name === 'Gantry promotion' && r.headSha === back.pull!.headSha)
    expect(check!.title).toBe('Waiting for 1 instruction to tick')
    expect(check!.summary).toContain('- Instructions: 0 of 1 ticked')
  })

  it('provenance: the body names the pull requests the version came from, those that touched the package only', async () => {
    const repo = await hub.repository(['jobs'])
    // As GitHub's squash merges leave them on main: `<title> (#<number>)`.
    await repo.change({ 'README.md': 'Pipelines.\n' }, 'Say what this repository is (#41)')
    await repo.change({ 'packages/jobs.yaml': 'name: jobs\ndescription: Nightly jobs\nnotes: Second.\nitems:\n  - task/nightly\n  - connection/jobs-db\n' }, 'Ship the jobs database connection (#42)')
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
    const qa = repo.openPromotion('qa', 'jobs')
    expect(repo.marker(qa.number).version).toBe('1.1')
    expect(qa.body).toContain('- source pull requests: #42 Ship the jobs database connection\n')
    expect(qa.body).not.toContain('#41')
  })

  it('a check run per promotion head, the environment’s reviewers requested, labels to the end, a job summary', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs')
    expect(qa.pull!.requestedReviewers.sort()).toEqual(['quinn', 'reed', 'rita'])
    const gate = (sha: string) => repo.state().checkRuns.filter((r) => r.name === 'Gantry promotion' && r.headSha === sha)
    expect(gate(qa.pull!.headSha)).toEqual([expect.objectContaining({ status: 'in_progress', title: 'Waiting for 1 more approval' })])
    expect(gate(qa.pull!.headSha)[0]!.summary).toContain('Approvals: 0 of 1 (reviewers: `quinn`, `rita`, `reed`)')

    const run = await repo.approve('quinn', qa.number)
    expect(repo.issue(qa.number).labels).toEqual(['gantry:applied'])
    expect(gate(qa.pull!.headSha)).toEqual([expect.objectContaining({ status: 'completed', conclusion: 'success' })])
    // Who approved, not only who may.
    expect(gate(qa.pull!.headSha)[0]!.summary).toContain('Approvals: 1 of 1, by `quinn` (reviewers: ')
    expect(run.summary).toContain(`Applied [#${qa.number}](`)
    const prod = repo.openPromotion('prod', 'jobs')
    expect(run.summary).toContain(`Opened [#${prod.number}](`)
    expect(prod.pull!.requestedReviewers).toEqual(['paula'])
    expect(prod.pull!.requestedTeams).toEqual(['release-managers'])
    expect(gate(prod.pull!.headSha)[0]!.summary).toContain('Window: `Mon-Thu 00:00-01:00`')
    // An environment that needs no approval says so, rather than "0 of 0".
    const dev = repo.state().issues.find((i) => i.pull?.headRef === 'gantry/promote/dev/jobs')!
    expect(gate(dev.pull!.headSha)[0]!.summary).toContain('- Approvals: none needed in this environment')
  })
})
