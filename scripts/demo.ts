/**
 * The demo: a local GitHub on loopback with a copy of the scheduler example, and the built action
 * (dist/index.js) run for each event in turn, printing what a user would see on GitHub.
 * Flags: --quiet (print only the checks), --skip-build (CI builds first).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Octokit } from '@octokit/rest'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ACTION_BUNDLE, type ActionRun, runAction } from '../test/e2e/action-runner.js'
import { type LocalGitHub, startLocalGitHub } from '../test/local-github/server.js'
import type { RepositoryRecord } from '../test/local-github/types.js'

const quiet = process.argv.includes('--quiet')
const root = resolve(import.meta.dirname, '..')
const OWNER = 'acme'
const REPO = 'pipelines'
const BOT = 'gantry-bot'
const tokens = { bot: 'bot-token', alice: 'alice-token' }
type Act = (
  workspace: string,
  event: { name: 'push' | 'pull_request' | 'pull_request_review' | 'issue_comment' | 'schedule' | 'workflow_dispatch'; payload: Record<string, unknown> },
  options?: { inputs?: Record<string, string>; env?: Record<string, string> },
) => Promise<ActionRun>
const repository = { default_branch: 'main', name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } }

const say = (text = '') => {
  if (!quiet) console.log(text)
}
const step = (n: number, title: string) => say(`\n\u001b[1m── ${n}. ${title}\u001b[0m`)
const indent = (text: string) => text.split('\n').map((l) => `   │ ${l}`).join('\n')
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`demo check failed: ${what}`)
  if (quiet) console.log(`ok: ${what}`)
}

// Asynchronous on purpose: the local GitHub answers from this same process.
async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.com', GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.com' },
  })
  return stdout
}

async function main(): Promise<void> {
  if (!existsSync(ACTION_BUNDLE)) throw new Error('dist/index.js is missing: run npm run build (npm run demo does)')
  // The demo runs the built bundle, as a workflow would; the tests run the sources.
  process.env.GANTRY_ACTION = 'dist'
  const github = await startLocalGitHub()
  const work = await mkdtemp(join(tmpdir(), 'gantry-demo-'))
  try {
    await runDemo(github, work)
  } finally {
    await github.stop()
    await rm(work, { recursive: true, force: true })
  }
}

async function runDemo(github: LocalGitHub, work: string): Promise<void> {
  github.addUser(BOT, { token: tokens.bot, permission: 'write', type: 'Bot', readsOrgMembers: true })
  github.addUser('alice', { token: tokens.alice, permission: 'write' })
  await github.createRepository(OWNER, REPO, { fromDirectory: join(root, 'examples/scheduler'), message: 'Initial definitions' })
  say(`Local GitHub at ${github.webUrl}, repository ${OWNER}/${REPO} seeded from examples/scheduler.`)

  const state = () => github.getState().repositories[`${OWNER}/${REPO}`]!
  const checkout = async (name: string, branch: string): Promise<string> => {
    const dir = join(work, name)
    await git(work, 'clone', '--quiet', '--branch', branch, github.gitUrl(OWNER, REPO, tokens.bot), dir)
    return dir
  }
  // The local GitHub has no secondary rate limits: no need to space writes as on github.com.
  const act: Act = (workspace, event, options = {}) =>
    runAction(github, { owner: OWNER, repo: REPO, token: tokens.bot, workspace, event, ...options, env: { GANTRY_SPACE_WRITES: 'false', ...options.env } })

  step(1, 'The first push to main: every package is built, tagged and released')
  const first = await act(await checkout('run-1', 'main'), { name: 'push', payload: { ref: 'refs/heads/main', repository } })
  if (first.code !== 0) say(first.stdout + first.stderr)
  check(first.code === 0, 'the release run succeeds')
  say(indent(first.outputs.created ? `created: ${first.outputs.created}` : first.stdout))
  check((first.outputs.created ?? '').split(' ').length === 6, 'six packages tagged at version 1')

  step(2, 'Alice opens a pull request whose task refers to a credential that does not exist')
  const author = join(work, 'alice')
  await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, tokens.alice), author)
  await git(author, 'checkout', '--quiet', '-b', 'archive-invoices')
  await writeFile(
    join(author, 'definitions/task/archive-invoices.yaml'),
    'kind: task\nname: archive-invoices\ndescription: Move invoices older than a year to cold storage\nspec:\n  type: command\n  command: python3 /opt/etl/billing/archive.py\n  agent: etl-pool\n  credential: billing-archive\n',
  )
  const billing = await readFile(join(author, 'packages/billing.yaml'), 'utf8')
  await writeFile(join(author, 'packages/billing.yaml'), billing.replace(/^items:\n/m, 'items:\n  - task/archive-invoices\n'))
  await git(author, 'add', '-A')
  await git(author, 'commit', '--quiet', '-m', 'billing: archive old invoices')
  await git(author, 'push', '--quiet', 'origin', 'archive-invoices')
  const pr = await github.openPullRequestAs('alice', OWNER, REPO, { title: 'Archive old invoices @everyone <b>now</b>', head: 'archive-invoices', base: 'main', body: 'Adds an archive task.' })
  const prPayload = async () => {
    const head = (await github.resolveRef(OWNER, REPO, 'refs/heads/archive-invoices'))!
    return { action: 'synchronize', number: pr.number, pull_request: { number: pr.number, head: { sha: head, ref: 'archive-invoices' }, base: { ref: 'main' } }, repository }
  }
  const broken = await act(await checkout('run-2', 'archive-invoices'), { name: 'pull_request', payload: await prPayload() })
  const comments = () => state().comments.filter((c) => c.issueNumber === pr.number && c.user === BOT)
  check(broken.code !== 0, 'the check fails on the broken reference')
  check(comments().length === 1 && comments()[0]!.body.includes('unresolved-reference'), 'one comment reports unresolved-reference')
  const annotation = broken.annotations.find((a) => a.message.includes('billing-archive'))
  check(annotation?.file === 'definitions/task/archive-invoices.yaml' && annotation.line === 8, 'an annotation points at definitions/task/archive-invoices.yaml:8')
  say(`   The pull request comment (#${pr.number}):`)
  say(indent(comments()[0]!.body))

  step(3, 'Alice pushes a fix: the same comment is updated')
  await writeFile(join(author, 'definitions/task/archive-invoices.yaml'), (await readFile(join(author, 'definitions/task/archive-invoices.yaml'), 'utf8')).replace('billing-archive', 'billing-db'))
  await git(author, 'commit', '--quiet', '-am', 'Use the billing database credential')
  await git(author, 'push', '--quiet', 'origin', 'archive-invoices')
  const fixed = await act(await checkout('run-3', 'archive-invoices'), { name: 'pull_request', payload: await prPayload() })
  check(fixed.code === 0, 'the check passes')
  check(comments().length === 1 && comments()[0]!.body.includes('no errors'), 'still one comment, now without errors')
  say(indent(comments()[0]!.body))

  step(4, 'The pull request is merged: billing@1.1 is built, tagged and released')
  await github.mergePullRequestAs('alice', OWNER, REPO, pr.number, { mergeMethod: 'merge' })
  const release = await act(await checkout('run-4', 'main'), { name: 'push', payload: { ref: 'refs/heads/main', repository } })
  check(release.code === 0 && release.outputs.created === 'billing@1.1', 'billing@1.1 is the one new version')
  const tags = (await git(work, 'ls-remote', '--tags', github.gitUrl(OWNER, REPO, tokens.bot))).split('\n').filter((l) => l && !l.endsWith('^{}')).map((l) => l.split('refs/tags/')[1])
  say(indent(`tags: ${tags.join(', ')}`))
  const releases = state().releases.filter((r) => r.tagName === 'billing@1.1')
  const assets = state().assets.filter((a) => a.releaseId === releases[0]?.id)
  check(releases.length === 1 && assets.length === 1 && assets[0]!.name === 'billing-1.1.gantry.json', 'one release with the bundle attached')
  say(indent(`release billing@1.1, assets: ${assets.map((a) => a.name).join(', ')}\n${releases[0]!.body ?? ''}`))

  step(5, 'The release job runs again (a re-run): nothing is duplicated')
  const rerun = await act(await checkout('run-5', 'main'), { name: 'push', payload: { ref: 'refs/heads/main', repository } })
  check(rerun.code === 0 && (rerun.outputs.created ?? '') === '', 'the re-run creates nothing')
  check(state().releases.length === 7 && state().assets.length === 7, 'still seven releases, seven assets')

  await promotionLifecycle(github, work, act, state)
  check(github.violations.length === 0, 'every request was valid against the GitHub REST API description')
  say(`\n${github.requestCount} API requests, all valid against GitHub's REST API description.`)
}


/** The second half: qa review and apply, prod scheduled and applied when due, a rejection, a rollback. */
async function promotionLifecycle(github: LocalGitHub, work: string, act: Act, state: () => RepositoryRecord): Promise<void> {
  for (const [login, token] of [['qa-lead', 'qa-token'], ['sam', 'sam-token'], ['dana-ops', 'dana-token'], ['ravi', 'ravi-token']] as const) {
    github.addUser(login, { token, permission: 'write' })
  }
  github.addTeam('acme', 'scheduler-admins', ['sam'])
  github.addTeam('acme', 'release-managers', ['ravi'])
  let runs = 0
  const workspace = async () => {
    const dir = join(work, `promote-${++runs}`)
    await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, tokens.bot), dir)
    return dir
  }
  // Tuesday 24 November 2026, 10:00 in New York: outside prod's window (Mon-Thu 00:00-01:00).
  let now = '2026-11-24T15:00:00Z'
  const run = async (event: Parameters<Act>[1], inputs?: Record<string, string>) => {
    const result = await act(await workspace(), event, { env: { GANTRY_NOW: now }, ...(inputs ? { inputs } : {}) })
    if (result.code !== 0) say(result.stdout + result.stderr)
    check(result.code === 0, `the ${event.name} run succeeds`)
    return result
  }
  const pulls = () => state().issues.filter((i) => i.pull && i.pull.headRef.startsWith('gantry/promote/'))
  const openPromotion = (env: string, pkg: string) => pulls().find((p) => p.state === 'open' && p.pull!.headRef === `gantry/promote/${env}/${pkg}`)
  const prPayload = (number: number) => {
    const pr = state().issues.find((i) => i.number === number)!
    return { number, pull_request: { number, head: { sha: pr.pull!.headSha, ref: pr.pull!.headRef }, base: { ref: pr.pull!.baseRef } }, repository }
  }
  const approve = async (login: string, env: string, pkg: string) => {
    const pr = openPromotion(env, pkg)
    check(pr !== undefined, `a promotion of ${pkg} into ${env} is open`)
    await github.review(login, OWNER, REPO, pr!.number, 'APPROVE')
    return run({ name: 'pull_request_review', payload: { action: 'submitted', review: { state: 'approved', user: { login } }, ...prPayload(pr!.number) } })
  }
  const ledger = async (env: string, pkg: string) => {
    const head = await github.resolveRef(OWNER, REPO, `refs/heads/env/${env}`)
    if (!head) return undefined
    return git(work, '--git-dir', join(github.root, OWNER, `${REPO}.git`), 'show', `${head}:.gantry/installed/${pkg}.yaml`).catch(() => undefined)
  }

  const asSam = new Octokit({ baseUrl: github.baseUrl, auth: 'sam-token' })
  const tick = async (env: string, pkg: string) => {
    const pr = openPromotion(env, pkg)
    check(pr !== undefined, `a promotion of ${pkg} into ${env} is open`)
    await asSam.rest.pulls.update({ owner: OWNER, repo: REPO, pull_number: pr!.number, body: (pr!.body ?? '').replace(/- \[ \]/g, '- [x]') })
    return run({ name: 'pull_request', payload: { action: 'edited', ...prPayload(pr!.number) } })
  }
  const reconcile = () => run({ name: 'schedule', payload: { schedule: '*/30 * * * *', repository } })

  step(6, 'dev needs no approval, but before-instructions must be ticked; the scheduled run opens what is due')
  const devOpen = pulls().filter((p) => p.state === 'open' && p.pull!.baseRef === 'env/dev')
  say(indent(devOpen.map((p) => `#${p.number} ${p.title}: ${p.labels.join(', ')}`).join('\n')))
  check((await ledger('dev', 'platform-base')) !== undefined, 'platform-base (no instructions) went to dev on its own')
  const shared = openPromotion('dev', 'shared-connections')!
  say(`   The body of #${shared.number}:`)
  say(indent(shared.body ?? ''))
  await tick('dev', 'shared-connections')
  await tick('dev', 'hr-payroll')
  await reconcile()
  await tick('dev', 'billing')
  await reconcile()
  check((await ledger('dev', 'billing'))?.includes('version: "1.1"') === true, 'env/dev has billing@1.1')

  step(7, 'qa: sam (of @acme/scheduler-admins) approves; billing also needs its instructions ticked')
  await approve('sam', 'qa', 'shared-connections')
  await tick('qa', 'shared-connections')
  await approve('sam', 'qa', 'platform-base')
  await approve('sam', 'qa', 'billing')
  check(openPromotion('qa', 'billing') !== undefined, 'billing stays open: its before-instructions are not ticked')
  await tick('qa', 'billing')
  check((await ledger('qa', 'billing'))?.includes('version: "1.1"') === true, 'billing@1.1 is APPLIED in qa')
  check((await ledger('qa', 'billing'))?.includes('login: sam') === true, 'the qa ledger records sam as approver, with the SHA')
  say(indent((await ledger('qa', 'billing')) ?? ''))

  step(8, 'qa: the hr-payroll promotion is rejected with a reason')
  const hr = openPromotion('qa', 'hr-payroll')!
  await github.comment('qa-lead', OWNER, REPO, hr.number, '/gantry reject The payroll calendar misses the January bank holiday')
  await run({ name: 'issue_comment', payload: { action: 'created', issue: { number: hr.number, pull_request: {} }, comment: { body: '/gantry reject The payroll calendar misses the January bank holiday', user: { login: 'qa-lead' } }, repository } })
  const rejected = state().issues.find((i) => i.number === hr.number)!
  check(rejected.state === 'closed' && (rejected.body ?? '').includes('"status":"REJECTED"'), 'hr-payroll is REJECTED, its pull request closed, the reason kept')

  step(9, 'prod: two approvals arrive outside the window, so the promotions are SCHEDULED')
  for (const pkg of ['shared-connections', 'platform-base']) {
    await approve('dana-ops', 'prod', pkg)
    await approve('ravi', 'prod', pkg)
    if (pkg === 'shared-connections') await tick('prod', pkg)
    check(openPromotion('prod', pkg)?.labels.includes('gantry:scheduled') === true, `${pkg} is SCHEDULED in prod`)
  }
  now = '2026-11-25T05:30:00Z' // Wednesday 00:30 in New York: inside the window
  await reconcile()
  check((await ledger('prod', 'shared-connections')) !== undefined, 'the scheduled run applied shared-connections in prod')
  await reconcile()
  await approve('dana-ops', 'prod', 'billing')
  await approve('ravi', 'prod', 'billing')
  await tick('prod', 'billing')
  check(openPromotion('prod', 'billing')?.labels.includes('gantry:scheduled') === true, 'billing is approved early and SCHEDULED for its release date, 1 December')
  now = '2026-12-01T05:10:00Z' // Tuesday 1 December, 00:10 in New York
  await reconcile()
  check((await ledger('prod', 'billing'))?.includes('version: "1.1"') === true, 'billing@1.1 is APPLIED in prod on its release date')

  step(10, 'A rollback by manual run: billing@1 into dev removes what 1.1 added')
  await run({ name: 'workflow_dispatch', payload: { inputs: { package: 'billing', version: '1', environment: 'dev' }, repository } }, { command: 'promote', package: 'billing', version: '1', environment: 'dev' })
  const rollback = openPromotion('dev', 'billing')!
  say(indent(rollback.body ?? ''))
  await tick('dev', 'billing')
  const devLedger = (await ledger('dev', 'billing')) ?? ''
  check(devLedger.includes('version: "1"') && devLedger.includes('rollback: true'), 'env/dev has billing@1 again, recorded as a rollback')
  check(!devLedger.includes('task/archive-invoices'), 'the task 1.1 added is gone from dev')

  step(11, 'The dashboard issue: what is where')
  const dashboard = state().issues.find((i) => !i.pull && (i.body ?? '').includes('gantry:dashboard'))
  check(dashboard !== undefined, 'one dashboard issue')
  say(indent(dashboard!.body ?? ''))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
