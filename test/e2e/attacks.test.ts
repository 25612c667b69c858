import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assembleBundle } from '../../src/commands/artifacts.js'
import { openRepository } from '../../src/commands/repository.js'
import { tagMessage } from '../../src/core/bundle/bundle.js'
import { GATE_CHECK } from '../../src/action/promotion/promotion-service.js'
import type { ActionRun } from './action-runner.js'
import { gitAs } from './event-helpers.js'
import { BOT, OWNER, PromotionHub, PromotionRepo, SOURCE_FILES, exampleWorkflows, ledgerFields, tokenOf } from './promotion-harness.js'

// Attacks on the gate by someone with write (or triage) access, and mistakes a new user makes, tried against
// the action from its sources, the example workflows and the local GitHub. Each test is named after the
// attack; a passing test documents that the defence holds.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
  // tess may manage issues and pull requests (close, reopen, labels) but not write.
  hub.github.addUser('tess', { token: tokenOf('tess'), permission: 'triage' })
})
afterAll(async () => {
  await hub?.stop()
})

const GANTRY = { name: 'Gantry', email: 'gantry@users.noreply.local' }

const git = gitAs

/** Does what `act` does, then lets the workflows run for the events it produced. */
async function events(repo: PromotionRepo, what: string, act: () => Promise<unknown>, expectSuccess = true): Promise<ActionRun> {
  const mark = repo.runner.mark()
  await act()
  return repo.drive(repo.runner.since(mark), what, expectSuccess)
}

/** Edits a pull request's body as `login` (the `edited` event goes through the relay). */
function editBody(repo: PromotionRepo, login: string, number: number, edit: (body: string) => string): Promise<ActionRun> {
  const body = edit(repo.issue(number).body ?? '')
  return events(repo, `body of #${number} edited by ${login}`, () =>
    repo.octokit(login).rest.pulls.update({ owner: OWNER, repo: repo.name, pull_number: number, body }),
  )
}

const JOBS_WITH_BEFORE =
  'name: jobs\ndescription: Nightly jobs\nnotes: Drains first.\nitems:\n  - task/nightly\n  - connection/jobs-db\ninstructions:\n  - step: Drain the nightly queue\n    when: before\n'

describe('the marker is a cache', () => {
  it('editing "rollback" into the marker does not drop the before-instructions from the gate', async () => {
    const repo = await hub.repository(['jobs'])
    await repo.change({ 'packages/jobs.yaml': JOBS_WITH_BEFORE })
    const dev = repo.openPromotion('dev', 'jobs').number
    expect(repo.marker(dev)).toMatchObject({ version: '1.1', rollback: false })
    expect(repo.issue(dev).labels).toEqual(['gantry:awaiting-instructions'])

    // olga (write) marks the promotion as a rollback in the hidden marker; nothing is ticked.
    await editBody(repo, 'olga', dev, (b) => b.replace('"rollback":false', '"rollback":true'))
    expect(repo.marker(dev).rollback).toBe(true)
    await repo.reconcile()
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1')
    expect(repo.issue(dev).state).toBe('open')

    // Ticked by a person, it applies.
    await editBody(repo, 'olga', dev, (b) => b.replace('- [ ] Drain the nightly queue', '- [x] Drain the nightly queue'))
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
  })
})

/** The backdoor a writer tries to slip into an environment branch. */
const BACKDOOR = { path: 'backdoor.yaml', text: 'kind: task\nname: backdoor\n' }

/** Pushes `ref` of a clone to the promotion branch, forced, as the clone's owner. */
async function forcePush(dir: string, branch: string): Promise<string> {
  await git(dir, ['push', '--quiet', '--force', 'origin', `HEAD:${branch}`])
  return git(dir, ['rev-parse', 'HEAD'])
}

describe('paths around review', () => {
  it('a merge commit over Gantry’s commit, authored as Gantry: the approvals are void, Gantry’s commit is proposed again', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const proposed = repo.issue(qa).pull!.headSha
    // quinn merges a side commit (the backdoor, on env/qa) into Gantry's commit, all as Gantry's identity.
    const dir = await repo.clone('gantry/promote/qa/jobs', tokenOf('quinn'))
    await git(dir, ['checkout', '--quiet', '-b', 'side', 'origin/env/qa'])
    await writeFile(join(dir, BACKDOOR.path), BACKDOOR.text)
    await git(dir, ['add', BACKDOOR.path], GANTRY)
    await git(dir, ['commit', '--quiet', '-m', 'gantry: housekeeping'], GANTRY)
    await git(dir, ['checkout', '--quiet', 'gantry/promote/qa/jobs'])
    await git(dir, ['merge', '--quiet', '--no-ff', '-m', 'gantry: merge', 'side'], GANTRY)
    const merge = await forcePush(dir, 'gantry/promote/qa/jobs')
    expect(repo.issue(qa).pull!.headSha).toBe(merge)

    await repo.approve('quinn', qa)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(await repo.file('env/qa', BACKDOOR.path)).toBeUndefined()
    expect(repo.issue(qa).pull!.headSha).toBe(proposed)
    expect(repo.comments(qa).some((c) => c.includes('gantry:note-integrity'))).toBe(true)
  })

  it('Gantry’s commit rebuilt on a parent of the attacker’s (its tree is Gantry’s plan on that parent): void', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const proposed = repo.issue(qa).pull!.headSha
    // olga puts the backdoor on env/qa's head in a commit of her own, then re-applies Gantry's exact change on it.
    const dir = await repo.clone('gantry/promote/qa/jobs', tokenOf('olga'))
    await git(dir, ['reset', '--quiet', '--hard', 'origin/env/qa'])
    await writeFile(join(dir, BACKDOOR.path), BACKDOOR.text)
    await git(dir, ['add', BACKDOOR.path])
    await git(dir, ['commit', '--quiet', '-m', 'Housekeeping'], { name: 'Olga', email: 'olga@example.com' })
    await git(dir, ['cherry-pick', proposed], GANTRY)
    await forcePush(dir, 'gantry/promote/qa/jobs')

    // An eligible reviewer who did not push approves what the pull request shows.
    await repo.approve('rita', qa)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(await repo.file('env/qa', BACKDOOR.path)).toBeUndefined()
    expect(repo.issue(qa).pull!.headSha).toBe(proposed)
  })

  it('force-push back to Gantry’s commit after an approval of another head: that approval does not count', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const proposed = repo.issue(qa).pull!.headSha
    const dir = await repo.clone('gantry/promote/qa/jobs', tokenOf('olga'))
    await writeFile(join(dir, 'notes.txt'), 'harmless\n')
    await git(dir, ['add', 'notes.txt'])
    await git(dir, ['commit', '--quiet', '-m', 'Notes'], { name: 'Olga', email: 'olga@example.com' })
    const other = await forcePush(dir, 'gantry/promote/qa/jobs')
    // quinn approves olga's head; its run sees a head that is not Gantry's and proposes Gantry's again.
    await repo.review('quinn', qa, 'APPROVE', { commitId: other })
    await repo.reviewRun('quinn', qa)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(repo.issue(qa).pull!.headSha).toBe(proposed)
    // olga puts her commit back and then Gantry's again: the head is Gantry's, approved by nobody.
    await git(dir, ['push', '--quiet', '--force', 'origin', `${other}:gantry/promote/qa/jobs`])
    await events(repo, 'force-push back', () => git(dir, ['push', '--quiet', '--force', 'origin', `${proposed}:gantry/promote/qa/jobs`]))
    await repo.reconcile()
    expect(repo.issue(qa).pull!.headSha).toBe(proposed)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(repo.issue(qa).labels).toEqual(['gantry:awaiting-approval'])
  })

  it('a push over an approved Gantry commit and an approval of that head: Gantry’s commit comes back and applies on the approval it had, not on the other head’s', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const proposed = repo.issue(qa).pull!.headSha
    // rita approves Gantry's commit; before any run sees it, olga pushes over it and quinn approves hers.
    await repo.review('rita', qa)
    const dir = await repo.clone('gantry/promote/qa/jobs', tokenOf('olga'))
    await writeFile(join(dir, 'notes.txt'), 'harmless\n')
    await git(dir, ['add', 'notes.txt'])
    await git(dir, ['commit', '--quiet', '-m', 'Notes'], { name: 'Olga', email: 'olga@example.com' })
    const other = await forcePush(dir, 'gantry/promote/qa/jobs')
    await repo.review('quinn', qa, 'APPROVE', { commitId: other })
    await repo.reviewRun('quinn', qa)
    // olga's head is not merged: env/qa has not moved, so Gantry's commit is the one it proposed first, by
    // SHA, and rita's approval of that very commit counts again; quinn's (of another head) does not.
    expect(repo.comments(qa).some((c) => c.includes('gantry:note-integrity'))).toBe(true)
    expect(repo.issue(qa).pull!.headSha).toBe(proposed)
    const ledger = ledgerFields(await repo.ledger('qa', 'jobs'))
    expect(ledger.version).toBe('1')
    expect(ledger.approvers).toEqual(['rita'])
    expect(await repo.file('env/qa', 'notes.txt')).toBeUndefined()
  })

  it('an approval on an older head of a superseded promotion does not apply the newer version', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const v1 = repo.issue(qa).pull!.headSha
    await repo.review('quinn', qa)
    // jobs@1.1 is released before quinn's approval is seen: the same pull request now proposes 1.1.
    await repo.change({ 'packages/jobs.yaml': 'name: jobs\ndescription: Nightly jobs\nnotes: Second.\nitems:\n  - task/nightly\n  - connection/jobs-db\n' })
    expect(repo.openPromotion('qa', 'jobs').number).toBe(qa)
    expect(repo.marker(qa).version).toBe('1.1')
    expect(repo.issue(qa).pull!.headSha).not.toBe(v1)
    await repo.reviewRun('quinn', qa)
    await repo.reconcile()
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(repo.issue(qa).state).toBe('open')
  })
})

describe('ended promotions and look-alikes', () => {
  it('reopening a canceled promotion by triage: closed again, and approvals after it apply nothing', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.command('olga', qa, '/gantry cancel')
    expect(repo.issue(qa).labels).toEqual(['gantry:canceled'])

    // tess (triage) reopens it through the issues API, as the triage role may.
    await events(repo, 'reopened by tess', () =>
      repo.octokit('tess').rest.issues.update({ owner: OWNER, repo: repo.name, issue_number: qa, state: 'open' }),
    )
    expect(repo.issue(qa).state).toBe('closed')
    expect(repo.comments(qa).some((c) => c.includes('stays ended'))).toBe(true)
    // Reopened again, and approved before any run sees it.
    await repo.octokit('tess').rest.issues.update({ owner: OWNER, repo: repo.name, issue_number: qa, state: 'open' })
    await repo.approve('quinn', qa)
    await repo.reconcile()
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(repo.issue(qa).state).toBe('closed')
    expect(repo.issue(qa).pull!.merged).toBe(false)
  })

  it('/gantry reject and /gantry cancel by triage: answered, nothing done (the commands need write access)', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.command('tess', qa, '/gantry reject not by me')
    await repo.command('tess', qa, '/gantry cancel')
    expect(repo.issue(qa).state).toBe('open')
    expect(repo.issue(qa).labels).toEqual(['gantry:awaiting-approval'])
    const refusals = repo.comments(qa).filter((c) => c.includes('has `triage` access to this repository'))
    expect(refusals).toHaveLength(2)
    expect(refusals[0]).toContain('needs write access (write, maintain or admin)')
  })

  it('a look-alike promotion pull request from Gantry’s own branch: never merged, and Gantry still proposes its own', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs')
    await repo.command('olga', qa.number, '/gantry cancel')
    // olga opens her own pull request from the promotion branch, with the promotion's body and marker.
    const lookAlike = await hub.github.openPullRequestAs('olga', OWNER, repo.name, {
      title: qa.title,
      head: 'gantry/promote/qa/jobs',
      base: 'env/qa',
      body: (qa.body ?? '').replace(/"status":"CANCELED"[^}]*?(?=,"|})/, ''),
    })
    // Its runs get the lock check (it changes a ledger outside promotion), which fails them.
    await repo.review('quinn', lookAlike.number)
    const checked = await repo.reviewRun('quinn', lookAlike.number, 'approved', { expectSuccess: false })
    expect(checked.stdout).toContain('NOT_A_PROMOTION')
    expect(repo.issue(lookAlike.number).pull!.merged).toBe(false)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    // A relay-style dispatch naming it decides nothing either.
    await events(
      repo,
      'dispatch naming the look-alike',
      () =>
        repo.octokit('olga').rest.actions.createWorkflowDispatch({ owner: OWNER, repo: repo.name, workflow_id: 'promotion.yml', ref: 'main', inputs: { 'pull-request': String(lookAlike.number) } }),
      false,
    )
    expect(repo.issue(lookAlike.number).pull!.merged).toBe(false)

    // Someone asks for jobs@1 in qa again: Gantry opens its own request, whatever the look-alike does.
    await repo.command('ada', qa.number, '/gantry retry')
    const own = repo.promotions('qa', 'jobs').filter((p) => p.state === 'open' && p.user === BOT)
    expect(own).toHaveLength(1)
    expect(repo.issue(lookAlike.number).state).toBe('closed')
    expect(repo.comments(lookAlike.number).some((c) => c.includes('only Gantry opens pull requests from it'))).toBe(true)
    await repo.approve('quinn', own[0]!.number)
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1')
  })

  it('a crafted pull-request input on a manual run: refused, nothing written', async () => {
    const repo = await hub.repository(['jobs'])
    const qaBefore = await repo.head('env/qa')
    const run = await events(
      repo,
      'dispatch with a crafted input',
      () =>
        repo.octokit('olga').rest.actions.createWorkflowDispatch({ owner: OWNER, repo: repo.name, workflow_id: 'promotion.yml', ref: 'main', inputs: { 'pull-request': '1 || true' } }),
      false,
    )
    expect(run.code).not.toBe(0)
    expect(`${run.stdout}${run.stderr}`).toContain('must be a pull request number')
    expect(await repo.head('env/qa')).toBe(qaBefore)
  })
})

describe('what GitHub fires: everything through events', () => {
  it('a merge by a person: the relay of the close records who merged, in the run the merge starts', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // No ruleset on env/** here (the mistake of a new user): alice presses Merge without an approval.
    await events(repo, 'merge by alice', () => hub.github.mergePullRequestAs('alice', OWNER, repo.name, qa, { mergeMethod: 'squash' }))
    const ledger = await repo.ledger('qa', 'jobs')
    expect(ledgerFields(ledger)).toMatchObject({ version: '1', promotion: String(qa) })
    expect(ledger).toMatch(/^appliedBy: "?alice"?$/m)
    expect(repo.dashboard()?.body).toMatch(/merged by alice/)
  })

  it('a dismissal: the relay of the dismissed review leaves the promotion waiting', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.review('quinn', qa)
    const reviews = await repo.octokit('ada').rest.pulls.listReviews({ owner: OWNER, repo: repo.name, pull_number: qa })
    await events(repo, 'dismissal by ada', () =>
      repo.octokit('ada').rest.pulls.dismissReview({ owner: OWNER, repo: repo.name, pull_number: qa, review_id: reviews.data.at(-1)!.id, message: 'Wrong promotion' }),
    )
    // quinn's approval's own run comes after the dismissal: nothing applies.
    await repo.reviewRun('quinn', qa)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()
    expect(repo.issue(qa).labels).toEqual(['gantry:awaiting-approval'])
  })

  it('two runs at once (the scheduled run and an approval’s run): merged once, recorded once, labelled applied', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.review('quinn', qa)
    await Promise.all([repo.reconcile(), repo.reviewRun('quinn', qa)])
    expect(repo.issue(qa).pull!.merged).toBe(true)
    const ledger = ledgerFields(await repo.ledger('qa', 'jobs'))
    expect(ledger).toMatchObject({ version: '1', promotion: String(qa), approvers: ['quinn'] })
    expect((await repo.log('env/qa')).filter((s) => s.startsWith('gantry: record promotion'))).toHaveLength(1)
    expect(repo.issue(qa).labels).toEqual(['gantry:applied'])
    expect(repo.comments(qa).filter((c) => c.includes('gantry:note-merge'))).toEqual([])
    expect(repo.promotions('prod', 'jobs').filter((p) => p.state === 'open')).toHaveLength(1)
  })
})

describe('versions', () => {
  it('a tag with a newer version on an old commit of main, its digest computed right: old content is not a newer version', async () => {
    const repo = await hub.repository(['jobs'])
    await repo.change({ 'packages/jobs.yaml': 'name: jobs\ndescription: Nightly jobs\nnotes: Second.\nitems:\n  - task/nightly\n  - connection/jobs-db\n' })
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
    // No tag ruleset (the mistake of a new user). olga builds jobs@1's content as 1.2, exactly as gantry build
    // would, and pushes the annotated tag on jobs@1's commit, which is on main's history.
    const dir = await repo.clone('main', tokenOf('olga'))
    const old = await git(dir, ['rev-parse', 'jobs@1^{commit}'])
    const then = await openRepository(dir, { commit: old })
    const { bundle } = await assembleBundle(then, 'jobs', '1.2', false)
    const message = tagMessage('jobs', '1.2', bundle!.digest, bundle!.bundle.contentDigest)
    await git(dir, ['tag', '-a', 'jobs@1.2', old, '-m', message], { name: 'Olga', email: 'olga@example.com' })
    const tagged = await events(repo, 'tag pushed by olga', () => git(dir, ['push', '--quiet', 'origin', 'refs/tags/jobs@1.2']), false)
    expect(tagged.code).not.toBe(0)
    expect(`${tagged.stdout}${tagged.stderr}`).toContain('jobs@1.2 is not released')
    await repo.reconcile()
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
    expect(repo.promotions(undefined, undefined).filter((p) => p.state === 'open' && repo.marker(p.number).version === '1.2')).toEqual([])
  })
})

/** The guide's ruleset on the environment branches (docs/action.md, "Permissions and protection", point 1). */
function environmentRuleset(repo: PromotionRepo): void {
  hub.github.addRuleset(OWNER, repo.name, {
    name: 'environments',
    target: 'branch',
    include: ['env/**'],
    bypass: [BOT],
    restrictCreations: true,
    restrictUpdates: true,
    restrictDeletions: true,
    blockForcePushes: true,
  })
}

/** A workflow olga pushes on a branch of her own: it mints the App's token and force-pushes env/qa with it. */
const HIJACK = (environment: string) => `name: Tooling
on: push
jobs:
  tooling:
    runs-on: ubuntu-latest
${environment}    steps:
      - id: app
        uses: actions/create-github-app-token@v2
        with:
          app-id: \${{ vars.GANTRY_APP_ID }}
          private-key: \${{ secrets.GANTRY_APP_PRIVATE_KEY }}
      - uses: actions/checkout@v4
        with:
          token: \${{ steps.app.outputs.token }}
      - run: |
          echo 'kind: task' > backdoor.yaml
          git add backdoor.yaml
          git -c user.name=Olga -c user.email=olga@example.com commit --quiet -m Tooling
          git push --quiet --force origin HEAD:refs/heads/env/qa
`

describe('the App key', () => {
  // The examples keep GANTRY_APP_PRIVATE_KEY as a secret of the `gantry` environment, which only main and
  // `*@*` tags may deploy to (docs/action.md, "Permissions and protection"); the harness sets it up that way.
  it('a workflow pushed on a branch by a writer, to mint the App token and rewrite env/qa: it gets no key and rewrites nothing', async () => {
    const repo = await hub.repository(['jobs'])
    environmentRuleset(repo)
    const qaBefore = await repo.head('env/qa')
    const mark = repo.runner.mark()
    await hub.github.commitFiles(OWNER, repo.name, { branch: 'tooling', from: 'main', files: { '.github/workflows/tooling.yml': HIJACK('') }, message: 'Tooling', author: 'olga' })
    const runs = await repo.runner.drive(repo.runner.since(mark))
    const job = runs.flatMap((r) => r.jobs).find((j) => j.id === 'tooling')
    expect(job).toMatchObject({ result: 'failure', reason: expect.stringMatching(/private-key/) })
    expect(job?.steps.map((s) => `${s.id}:${s.outcome}`)).toEqual(['app:failure', '__actions_checkout:skipped', '__run:skipped'])
    expect(await repo.head('env/qa')).toBe(qaBefore)
    expect(await repo.file('env/qa', 'backdoor.yaml')).toBeUndefined()
  })

  it('the same workflow naming the gantry environment, and the promotion workflow run from a branch: refused the environment', async () => {
    const repo = await hub.repository(['jobs'])
    environmentRuleset(repo)
    const qaBefore = await repo.head('env/qa')
    let mark = repo.runner.mark()
    await hub.github.commitFiles(OWNER, repo.name, { branch: 'tooling', from: 'main', files: { '.github/workflows/tooling.yml': HIJACK('    environment: gantry\n') }, message: 'Tooling', author: 'olga' })
    let runs = await repo.runner.drive(repo.runner.since(mark))
    const job = runs.flatMap((r) => r.jobs).find((j) => j.id === 'tooling')
    expect(job).toMatchObject({ result: 'failure', reason: expect.stringMatching(/^Branch "tooling" is not allowed to deploy to gantry/), steps: [] })

    // "Run workflow" on promotion.yml from her branch (a copy she may have changed): the job is refused too.
    mark = repo.runner.mark()
    await repo.octokit('olga').rest.actions.createWorkflowDispatch({ owner: OWNER, repo: repo.name, workflow_id: 'promotion.yml', ref: 'tooling', inputs: { command: 'reconcile' } })
    runs = await repo.runner.drive(repo.runner.since(mark))
    expect(runs.map((r) => [r.path, r.ref, r.jobs.map((j) => `${j.id}:${j.result}`)])).toEqual([['.github/workflows/promotion.yml', 'refs/heads/tooling', ['promote:failure']]])
    expect(runs[0]!.jobs[0]!.reason).toMatch(/^Branch "tooling" is not allowed to deploy to gantry/)
    expect(await repo.head('env/qa')).toBe(qaBefore)
  })
})

describe('the required check of the guide', () => {
  it('a writer’s pull request into env/qa, and a promotion not yet approved, cannot satisfy the required Gantry promotion check; Gantry’s merge does', async () => {
    const repo = await hub.repository(['jobs'])
    // Point 4 of the guide in docs/action.md on its own (updates not restricted): the check it names, from the App.
    expect(GATE_CHECK).toBe('Gantry promotion')
    hub.github.addRuleset(OWNER, repo.name, { name: 'checks', target: 'branch', include: ['env/**'], bypass: [BOT], requiredStatusChecks: [{ context: GATE_CHECK, app: BOT }] })
    const qa = repo.openPromotion('qa', 'jobs').number
    await hub.github.commitFiles(OWNER, repo.name, { branch: 'hotfix', from: 'env/qa', files: { [BACKDOOR.path]: BACKDOOR.text }, message: 'Hotfix', author: 'olga' })
    const hotfix = await hub.github.openPullRequestAs('olga', OWNER, repo.name, { head: 'hotfix', base: 'env/qa', title: 'Hotfix' })
    const merge = (number: number) => repo.octokit('olga').rest.pulls.merge({ owner: OWNER, repo: repo.name, pull_number: number })
    await expect(merge(hotfix.number)).rejects.toMatchObject({ status: 405, message: expect.stringContaining('Required status check "Gantry promotion" is expected') })
    await expect(merge(qa)).rejects.toMatchObject({ status: 405, message: expect.stringContaining('Required status check "Gantry promotion" is expected') })
    expect(await repo.file('env/qa', BACKDOOR.path)).toBeUndefined()

    const head = repo.issue(qa).pull!.headSha
    await repo.approve('quinn', qa)
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1')
    expect(repo.state().checkRuns.filter((r) => r.name === GATE_CHECK && r.headSha === head).map((r) => [r.creator, r.status, r.conclusion])).toEqual([[BOT, 'completed', 'success']])
  })
})

describe('environment branches', () => {
  it('an environment branch created by a person before Gantry creates it: refused by the guide’s ruleset', async () => {
    const repo = await hub.repository(['jobs'])
    environmentRuleset(repo)
    expect(await repo.head('env/prod')).toBeNull()
    // olga creates env/prod holding a ledger that says jobs@1 is there already, and a backdoor.
    const dir = await repo.clone('env/dev', tokenOf('olga'))
    await writeFile(join(dir, BACKDOOR.path), BACKDOOR.text)
    await git(dir, ['add', '.'])
    await git(dir, ['commit', '--quiet', '-m', 'Prepare prod'], { name: 'Olga', email: 'olga@example.com' })
    const pushed = await git(dir, ['push', 'origin', 'HEAD:refs/heads/env/prod']).then(
      () => '',
      (error: { stderr?: string }) => error.stderr ?? 'refused',
    )
    expect(pushed).toContain('Cannot create ref due to creations being restricted.')
    expect(await repo.head('env/prod')).toBeNull()
    // Gantry creates it when jobs@1 reaches qa.
    await repo.approve('quinn', repo.openPromotion('qa', 'jobs').number)
    expect(await repo.log('env/prod')).toEqual(['gantry: create env/prod'])
    expect(repo.openPromotion('prod', 'jobs').state).toBe('open')
  })
})

describe('commands', () => {
  it('a command edited into someone else’s comment is not carried out in their name', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // quinn writes a remark (no command: no run); olga, who has write access, edits it into a rejection.
    const remark = await hub.github.comment('quinn', OWNER, repo.name, qa, 'Looks fine to me')
    await new Promise((r) => setTimeout(r, 1100)) // GitHub's timestamps have whole seconds
    await repo.octokit('olga').rest.issues.updateComment({ owner: OWNER, repo: repo.name, comment_id: remark.id, body: '/gantry reject quinn says no' })
    await repo.reconcile()
    expect(repo.issue(qa).state).toBe('open')
    expect(repo.comments(qa).filter((c) => c.startsWith('Rejected by'))).toEqual([])
    const acks = repo.comments(qa).filter((c) => c.includes('gantry:ack'))
    expect(acks).toHaveLength(1)
    expect(acks[0]).toContain('edited after it was written')
    // A command as written still works.
    await repo.command('quinn', qa, '/gantry reject not this week')
    expect(repo.issue(qa).labels).toEqual(['gantry:rejected'])
  })
})

describe('a new user', () => {
  it('copies the promotion workflow under another name: the relay dispatches that file, and an approval applies in its own run', async () => {
    const files: Record<string, string> = {}
    for (const [path, text] of Object.entries(await exampleWorkflows()))
      files[path === '.github/workflows/promotion.yml' ? '.github/workflows/gantry-promotion.yml' : path] = text
    const name = 'renamed-workflow'
    await hub.github.createRepository(OWNER, name, { files: { ...SOURCE_FILES, ...files } })
    const repo = new PromotionRepo(hub, name)
    await repo.push()
    const qa = repo.openPromotion('qa', 'jobs').number
    expect(await repo.file('env/qa', '.github/workflows/gantry-relay.yml')).toContain('/actions/workflows/gantry-promotion.yml/dispatches')
    await repo.approve('quinn', qa)
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).version).toBe('1')
  })
})
