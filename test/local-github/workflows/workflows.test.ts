// The local GitHub runs the example workflows for the events it produces; these tests follow events on
// promotion pull requests through the relay on the environment branches.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { OWNER, PromotionHub, ledgerFields } from '../../e2e/promotion-harness.js'
import { RELAY_WORKFLOW_PATH, relayWorkflow } from '../../../src/core/promotion/relay-workflow.js'
import { ACTIONS_BOT, DEPENDABOT, describeReport, type WorkflowRun } from './runner.js'

// Each test runs the action several times (a release, decisions): allow for a busy machine.
vi.setConfig({ testTimeout: 180_000 })

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
  })

  it('the old design: with no workflow on the environment branch, a review of a promotion starts nothing; the scheduled run writes the relay back', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // env/qa as Gantry created environment branches before the relay: no .github/workflows there.
    await hub.github.commitFiles(OWNER, repo.name, {
      branch: 'env/qa',
      files: { [RELAY_WORKFLOW_PATH]: null },
      message: 'An environment branch without workflows',
      author: 'ada',
    })
    const mark = repo.runner.mark()
    await repo.review('quinn', qa)
    const [review] = repo.runner.since(mark).filter((r) => r.name === 'pull_request_review')
    const runs = await repo.runner.drive([review!])
    expect(runs).toEqual([])
    expect(describeReport(review!).join('\n')).toMatch(/no workflow takes pull_request_review/)
    expect(await repo.ledger('qa', 'jobs')).toBeUndefined()

    await repo.reconcile()
    expect(await repo.file('env/qa', RELAY_WORKFLOW_PATH)).toBe(relayWorkflow())
  })

  it('a pull request from Dependabot passes without secrets: a dry run with github.token, no comment', async () => {
    const repo = await hub.repository(['jobs'])
    hub.github.addUser(DEPENDABOT, { token: 'dependabot-token', permission: 'write', type: 'Bot' })
    const validate = await openPullRequest(repo, DEPENDABOT, 'dependabot/npm_and_yarn/left-pad-2', {
      'package.json': '{ "devDependencies": { "left-pad": "2.0.0" } }\n',
    })
    expect(validate.actor).toBe(DEPENDABOT)
    expect(validate.secrets).toEqual({})
    expect(validate.jobs.map((j) => [j.id, j.result, j.steps.map((s) => `${s.id}:${s.outcome}`)])).toEqual([
      ['validate', 'success', ['__actions_checkout:success', 'gantry:success']],
    ])
    expect(validate.jobs[0]!.gantry!.stdout).toMatch(/gantry validate/)
    expect(repo.comments(Number((validate.payload as { number: number }).number))).toEqual([])
  })

  it('a pull request of the repository is validated with the workflow’s token; its own workflow cannot reach the App’s key', async () => {
    const repo = await hub.repository(['jobs'])
    const validate = await openPullRequest(repo, 'olga', 'notes', { 'NOTES.md': 'Notes\n' })
    const number = Number((validate.payload as { number: number }).number)
    expect(validate.jobs.map((j) => [j.id, j.result])).toEqual([['validate', 'success']])
    const comments = repo.state().comments.filter((c) => c.issueNumber === number)
    expect(comments.map((c) => [c.user, c.body.includes('gantry:validation')])).toEqual([[ACTIONS_BOT, true]])

    // pull_request runs read their workflows from the merge ref, which the pull request's author writes:
    // one naming the gantry environment is refused it (its GITHUB_REF is refs/pull/<n>/merge).
    const text = (await repo.file('main', '.github/workflows/pull-request.yml'))!
    const minting = text.replace(
      '    runs-on: ubuntu-latest\n    steps:\n',
      '    runs-on: ubuntu-latest\n    environment: gantry\n    steps:\n      - uses: actions/create-github-app-token@v2\n        with:\n          app-id: ${{ vars.GANTRY_APP_ID }}\n          private-key: ${{ secrets.GANTRY_APP_PRIVATE_KEY }}\n',
    )
    expect(minting).not.toBe(text)
    const refused = await openPullRequest(repo, 'olga', 'tooling', { '.github/workflows/pull-request.yml': minting })
    expect(refused.jobs).toEqual([
      expect.objectContaining({
        id: 'validate',
        result: 'failure',
        reason: expect.stringMatching(/^Branch "refs\/pull\/\d+\/merge" is not allowed to deploy to gantry/),
        steps: [],
      }),
    ])
  })
})

/** Pushes a branch with these files as `login`, opens a pull request from it into main, and runs what that starts. */
async function openPullRequest(
  repo: Awaited<ReturnType<PromotionHub['repository']>>,
  login: string,
  branch: string,
  files: Record<string, string>,
): Promise<WorkflowRun> {
  const mark = repo.runner.mark()
  await hub.github.commitFiles(OWNER, repo.name, { branch, from: 'main', files, message: `Change on ${branch}`, author: login })
  await hub.github.openPullRequestAs(login, OWNER, repo.name, { head: branch, base: 'main', title: `Change on ${branch}` })
  const runs = await repo.runner.drive(repo.runner.since(mark))
  return runs.find((r) => r.path === '.github/workflows/pull-request.yml' && r.event === 'pull_request')!
}

describe('concurrency', () => {
  const comments = async (repo: Awaited<ReturnType<PromotionHub['repository']>>, number: number) => {
    const mark = repo.runner.mark()
    await hub.github.comment('olga', OWNER, repo.name, number, 'Looks right to me')
    await hub.github.comment('quinn', OWNER, repo.name, number, '/gantry reject Wrong host')
    await hub.github.comment('olga', OWNER, repo.name, number, 'Fair enough')
    return repo.runner.drive(repo.runner.since(mark))
  }

  it('a /gantry command is not dropped when later comments arrive while its run waits', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const runs = await comments(repo, qa)
    expect(runs.filter((r) => r.status === 'canceled')).toEqual([])
    expect(repo.issue(qa).labels).toEqual(['gantry:rejected'])
  })

  it('a group keyed by the pull request number (the earlier design) drops the pending /gantry command', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    const text = (await repo.file('main', '.github/workflows/promotion.yml'))!
    const keyed = text.replace(
      /group: >-\n[\s\S]*?\n {2}cancel-in-progress/,
      'group: gantry-promotion-${{ github.event.pull_request.number || github.event.issue.number || github.run_id }}\n  cancel-in-progress',
    )
    expect(keyed).not.toBe(text)
    await hub.github.commitFiles(OWNER, repo.name, {
      branch: 'main',
      files: { '.github/workflows/promotion.yml': keyed },
      message: 'Concurrency per pull request',
      author: 'ada',
    })
    const runs = await comments(repo, qa)
    const reject = runs.find((r) => (r.payload.comment as { body: string }).body.startsWith('/gantry'))!
    expect(reject.status).toBe('canceled')
    expect(repo.issue(qa).labels).toEqual(['gantry:awaiting-approval'])
  })
})
afterAll(() => {
  if (process.env.GANTRY_TIMINGS) for (const line of timings) console.log(line)
})
const timings: string[] = []
export function noteTimings(reports: { name: string; runs: { path: string; ms?: number }[] }[]): void {
  for (const r of reports) for (const run of r.runs) timings.push(`${r.name} ${run.path} ${run.ms ?? '-'}ms`)
}
