import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import { events, produce, pushEvent, rerun } from './event-helpers.js'
import {
  BOT,
  OWNER,
  PromotionHub,
  type PromotionRepo,
  SOURCE_FILES,
  ledgerFields,
  task,
  tokenOf,
} from './promotion-harness.js'

// Runs that overlap, repeat or meet a person's push, and a rejected promotion asked for again.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  hub?.github.clearFaults()
  await hub?.stop()
})

const CLI = resolve(import.meta.dirname, '../../src/cli/index.ts')
const nightly11 = { 'definitions/task/nightly.yaml': task('nightly', 'run-nightly --all', 'jobs-db') }

/** The version each promotion pull request of (env, pkg) proposes, by number. */
const proposed = (repo: PromotionRepo, env: string, pkg: string) =>
  repo.promotions(env, pkg).map((p) => [p.number, repo.marker(p.number).version, p.state])

describe('races and repeats', () => {
  it('one version asked for three times at once, and again later: one promotion per (package, environment)', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // alice pushes a change to main, and builds and tags jobs@1.1 herself (gantry build, then git push of the
    // tag) before the release run of her push starts.
    const [, mainPush] = await produce(repo, () =>
      hub.github.commitFiles(OWNER, repo.name, {
        branch: 'main',
        files: nightly11,
        message: 'Nightly runs everything',
        author: 'alice',
      }),
    )
    const builder = await repo.clone('main', tokenOf('alice'))
    await promisify(execFile)(process.execPath, [
      '--import',
      import.meta.resolve('tsx'),
      CLI,
      'build',
      'jobs',
      '--repo',
      builder,
    ])
    const [, tagPush] = await produce(repo, () =>
      repo.git(builder, 'push', '--quiet', 'origin', 'refs/tags/jobs@1.1'),
    )

    // At once: the release run of the push to main, the promotion run of the tag push, and ada's manual run
    // asking for jobs@1.1.
    await Promise.all([
      repo.drive(mainPush, 'push to main'),
      repo.drive(tagPush, 'tag push'),
      repo.dispatch({ package: 'jobs', version: '1.1' }),
    ])
    // Later, the runs of both pushes re-run (GitHub's "Re-run all jobs").
    await rerun(repo, tagPush[0]!)
    await rerun(repo, mainPush[0]!)
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
    expect(proposed(repo, 'dev', 'jobs').filter(([, version]) => version === '1.1')).toHaveLength(1)
    expect(proposed(repo, 'qa', 'jobs')).toEqual([[qa, '1.1', 'open']])
    expect(await repo.log('env/dev')).toHaveLength(5)
    expect(await repo.tags()).toEqual(['jobs@1', 'jobs@1.1'])
    expect(hub.github.violations).toEqual([])
  })

  it('a newer version while an older promotion is open: the same pull request, SUPERSEDED, earlier approvals void', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const old = repo.issue(qa).pull!.headSha
    // quinn approves jobs@1, but before any run acts on it jobs@1.1 is released.
    await repo.review('quinn', qa)
    await repo.change(nightly11)

    expect(proposed(repo, 'qa', 'jobs')).toEqual([[qa, '1.1', 'open']])
    expect(repo.issue(qa).pull!.headSha).not.toBe(old)
    expect(repo.issue(qa).labels).toEqual(['gantry:awaiting-approval'])
    expect(repo.comments(qa).filter((c) => c.includes('**SUPERSEDED**'))).toEqual([
      '`jobs@1` is **SUPERSEDED** by `1.1`: earlier approvals no longer count.',
    ])
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    // The release's run of the old approval (or any later run) still finds it void.
    await repo.reviewRun('quinn', qa)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()

    await repo.approve('quinn', qa)
    const ledger = ledgerFields(await repo.ledger('qa', 'jobs'))
    expect(ledger).toMatchObject({ version: '1.1', promotion: String(qa), approvers: ['quinn'] })
    expect(await repo.ledger('qa', 'jobs')).not.toContain(old)
    expect(hub.github.violations).toEqual([])
  })

  it('two packages approved into one environment at once: both land', async () => {
    const repo = await hub.repository(['jobs', 'reports'])
    const jobs = repo.openPromotion('qa', 'jobs').number
    const reports = repo.openPromotion('qa', 'reports').number
    await repo.review('quinn', jobs)
    await repo.review('rita', reports)
    await Promise.all([repo.reviewRun('quinn', jobs), repo.reviewRun('rita', reports)])

    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({
      version: '1',
      promotion: String(jobs),
      approvers: ['quinn'],
    })
    expect(ledgerFields(await repo.ledger('qa', 'reports'))).toMatchObject({
      version: '1',
      promotion: String(reports),
      approvers: ['rita'],
    })
    // Both packages' items are on env/qa as version 1 has them.
    for (const file of ['definitions/task/nightly.yaml', 'definitions/task/weekly-report.yaml'])
      expect(parse((await repo.file('env/qa', file)) ?? 'missing'), file).toEqual(parse(SOURCE_FILES[file]!))
    expect(
      repo
        .promotions('prod')
        .map((p) => p.pull!.headRef)
        .sort(),
    ).toEqual(['gantry/promote/prod/jobs', 'gantry/promote/prod/reports'])
    expect(hub.github.violations).toEqual([])
  })

  it('a person pushes to the bot’s branch while the bot updates it: the update is refused, nothing re-created', async () => {
    const repo = await hub.repository(['jobs'])
    await repo.approve('quinn', repo.openPromotion('qa', 'jobs').number)
    const prod = repo.openPromotion('prod', 'jobs').number
    await repo.change(nightly11)
    const qa = repo.openPromotion('qa', 'jobs').number

    // Applying jobs@1.1 in qa updates the prod promotion; the run is held up (a rate limit) just before the
    // bot lists the prod promotion and pushes, and olga pushes to the branch in that moment.
    await repo.review('quinn', qa)
    const pause = hub.github.injectFault({
      kind: 'secondary-rate-limit',
      route: 'pulls/list',
      login: BOT,
      times: 1,
      retryAfterSeconds: 5,
    })
    const running = repo.reviewRun('quinn', qa)
    await vi.waitFor(() => expect(pause.hits).toBe(1), { timeout: 600_000, interval: 10 })
    const pushed = await hub.github.commitFiles(OWNER, repo.name, {
      branch: 'gantry/promote/prod/jobs',
      files: { 'notes.txt': 'checked by olga\n' },
      message: 'Note',
      author: 'olga',
    })
    const run = await running

    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1.1')
    expect(run.stdout).toContain('gantry/promote/prod/jobs moved on origin since it was read')
    expect(await repo.head('gantry/promote/prod/jobs')).toBe(pushed)
    expect(proposed(repo, 'prod', 'jobs')).toEqual([[prod, '1', 'open']])
    expect(repo.comments(prod).filter((c) => c.includes('SUPERSEDED'))).toEqual([])
    expect(hub.github.violations).toEqual([])
  })

  it('rejected, then /gantry retry, then approved: a new request, applied; automation alone never re-opens it', async () => {
    const repo = await hub.repository(['jobs'])
    const rejected = repo.openPromotion('qa', 'jobs')
    await repo.command('quinn', rejected.number, '/gantry reject Wait for the new database')
    expect(repo.issue(rejected.number).state).toBe('closed')
    await repo.reconcile()
    // The release run that made jobs@1 re-run, and the tag pushed again by alice (deleted, then pushed): the
    // promotion run of a tag push.
    await rerun(repo, pushEvent(repo, 'refs/heads/main'))
    const tagger = await repo.clone('main', tokenOf('alice'))
    await repo.git(tagger, 'push', '--quiet', 'origin', ':refs/tags/jobs@1')
    await events(repo, 'tag jobs@1 pushed again by alice', () =>
      repo.git(tagger, 'push', '--quiet', 'origin', 'refs/tags/jobs@1'),
    )
    expect(proposed(repo, 'qa', 'jobs')).toEqual([[rejected.number, '1', 'closed']])

    await repo.command('rita', rejected.number, '/gantry retry')
    const retried = repo.openPromotion('qa', 'jobs')
    expect(retried.number).not.toBe(rejected.number)
    // The same deterministic apply commit, in a new pull request: reviews belong to the pull request, so the
    // approvals start from zero.
    expect(retried.pull!.headSha).toBe(rejected.pull!.headSha)
    expect(repo.state().reviews.filter((r) => r.pullNumber === retried.number)).toEqual([])
    expect(retried.labels).toEqual(['gantry:awaiting-approval'])
    expect(repo.marker(rejected.number)).toMatchObject({
      status: 'REJECTED',
      reason: 'Wait for the new database',
    })

    await repo.approve('quinn', retried.number)
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({
      version: '1',
      promotion: String(retried.number),
      approvers: ['quinn'],
    })
    expect(repo.issue(rejected.number).pull?.merged).toBe(false)
    expect(hub.github.violations).toEqual([])
  })
})
