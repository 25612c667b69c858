/**
 * The demo: a local GitHub on loopback with a copy of the scheduler example and the workflows of
 * examples/workflows, as a user would copy them. It drives the lifecycle only by producing events (pushes,
 * a pull request, reviews, edits, comments, scheduled ticks, a manual run); the local GitHub's workflow
 * runner decides what runs, with the built action (dist/index.js) as the Gantry step. For each event it
 * prints which workflow and job ran, or why none did, and what a user would see on GitHub.
 * Flags: --quiet (print only the checks), --skip-build (CI builds first).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Octokit } from '@octokit/rest'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cp, mkdir, readdir } from 'node:fs/promises'
import { ACTION_BUNDLE, type ActionRun } from '../test/e2e/action-runner.js'
import { type LocalGitHub, startLocalGitHub } from '../test/local-github/server.js'
import type { RepositoryRecord } from '../test/local-github/types.js'
import { ACTIONS_BOT, WorkflowRunner, describeReport } from '../test/local-github/workflows/runner.js'
import { pathToFileURL } from 'node:url'

/** Preloaded into each Gantry step's process: sets its clock (GANTRY_TEST_CLOCK). */
const TEST_CLOCK = pathToFileURL(resolve(import.meta.dirname, '../test/e2e/test-clock.mjs')).href

const quiet = process.argv.includes('--quiet')
const root = resolve(import.meta.dirname, '..')
const OWNER = 'acme'
const REPO = 'pipelines'
const BOT = 'gantry-bot'
const tokens = { bot: 'bot-token', alice: 'alice-token' }
/** Something happens on GitHub; the workflows run; returns the run of the first Gantry step it led to. */
type Happen = (
  what: string,
  act: () => Promise<unknown>,
  options?: { fails?: boolean; none?: boolean },
) => Promise<ActionRun>

const say = (text = '') => {
  if (!quiet) console.log(text)
}
const step = (n: number, title: string) => say(`\n\u001b[1m── ${n}. ${title}\u001b[0m`)
const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `   │ ${l}`)
    .join('\n')
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`demo check failed: ${what}`)
  if (quiet) console.log(`ok: ${what}`)
}

// Asynchronous on purpose: the local GitHub answers from this same process.
async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Alice',
      GIT_AUTHOR_EMAIL: 'alice@example.com',
      GIT_COMMITTER_NAME: 'Alice',
      GIT_COMMITTER_EMAIL: 'alice@example.com',
    },
  })
  return stdout
}

async function main(): Promise<void> {
  if (!existsSync(ACTION_BUNDLE))
    throw new Error('dist/index.js is missing: run npm run build (npm run demo does)')
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
  await github.createRepository(OWNER, REPO, { empty: true })
  // The clock of the Gantry steps, set in their process by test/e2e/test-clock.mjs (the action honours GANTRY_NOW
  // only in dry run). Tuesday 24 November 2026, 10:00 in New York.
  const clock = { now: '2026-11-24T15:00:00Z' }
  const runner = new WorkflowRunner(github, {
    owner: OWNER,
    repo: REPO,
    work,
    // The App's key is a stand-in (the App-token step is mocked and yields the bot's token), kept as
    // docs/action.md says: a secret of the `gantry` environment, which only main and `*@*` tags may use.
    environments: {
      gantry: { secrets: { GANTRY_APP_PRIVATE_KEY: 'demo-private-key' }, branches: ['main'], tags: ['*@*'] },
    },
    vars: { GANTRY_APP_ID: '1' },
    appToken: tokens.bot,
    scheduleActor: 'alice',
    // The local GitHub has no secondary rate limits: no need to space writes as on github.com.
    actionEnv: () => ({ GANTRY_TEST_CLOCK: clock.now, NODE_OPTIONS: `--import=${TEST_CLOCK}`, GANTRY_SPACE_WRITES: 'false', 'INPUT_BOT-LOGIN': BOT }),
  })
  const happen: Happen = async (what, act, options = {}) => {
    const mark = runner.mark()
    await act()
    // The runs these events start, and the runs those dispatch (the relay's), as GitHub would run them. The
    // events Gantry's own writes cause (pushes of its branches and tags, its pull requests and comments) start
    // runs whose jobs skip a bot's events: the demo leaves them out.
    const roots = runner.since(mark)
    await runner.drive(roots)
    const reports = runner.since(mark).filter((r) => roots.includes(r) || r.causedBy !== undefined)
    say(`   ${what}`)
    for (const r of reports) {
      say(
        `   → ${r.name}${r.action ? ` ${r.action}` : ''} by ${r.sender}${'ref' in r.source && r.source.ref ? ` (${r.source.ref})` : ''}`,
      )
      for (const line of describeReport(r)) say(`   ${line}`)
    }
    const runs = reports.flatMap((r) => r.runs)
    const gantry = runs.flatMap((r) => r.jobs).find((j) => j.gantry)?.gantry
    if (options.none) {
      check(!gantry, `${what}: no Gantry step runs`)
      return undefined as unknown as ActionRun
    }
    if (!gantry) throw new Error(`demo check failed: ${what}: no Gantry step ran`)
    if ((gantry.code !== 0) !== Boolean(options.fails)) say(gantry.stdout + gantry.stderr)
    check(
      (gantry.code === 0) === !options.fails,
      `${what}: the Gantry step ${options.fails ? 'fails' : 'succeeds'}`,
    )
    if (runner.violations.length > 0) console.error(runner.violations.join('\n'))
    check(runner.violations.length === 0, `${what}: every event payload matches GitHub's webhook schemas`)
    return gantry
  }

  const state = () => github.getState().repositories[`${OWNER}/${REPO}`]!
  const author = join(work, 'alice')

  step(
    1,
    'Alice pushes the definitions and the example workflows to main: every package is built, tagged and released',
  )
  await cp(join(root, 'examples/scheduler'), author, { recursive: true })
  await mkdir(join(author, '.github/workflows'), { recursive: true })
  for (const name of (await readdir(join(root, 'examples/workflows'))).filter((n) => n.endsWith('.yml')))
    await cp(join(root, 'examples/workflows', name), join(author, '.github/workflows', name))
  await git(author, 'init', '--quiet', '--initial-branch', 'main')
  await git(author, 'add', '-A')
  await git(author, 'commit', '--quiet', '-m', 'Initial definitions and workflows')
  await git(author, 'remote', 'add', 'origin', github.gitUrl(OWNER, REPO, tokens.alice))
  const first = await happen('git push origin main', () => git(author, 'push', '--quiet', 'origin', 'main'))
  say(indent(`created: ${first.outputs.created ?? ''}`))
  check((first.outputs.created ?? '').split(' ').length === 6, 'six packages tagged at version 1')

  step(2, 'Alice opens a pull request whose task refers to a credential that does not exist')
  await git(author, 'checkout', '--quiet', '-b', 'archive-invoices')
  await writeFile(
    join(author, 'definitions/task/archive-invoices.yaml'),
    'kind: task\nname: archive-invoices\ndescription: Move invoices older than a year to cold storage\nspec:\n  type: command\n  command: python3 /opt/etl/billing/archive.py\n  agent: etl-pool\n  credential: billing-archive\n',
  )
  const billing = await readFile(join(author, 'packages/billing.yaml'), 'utf8')
  await writeFile(
    join(author, 'packages/billing.yaml'),
    billing.replace(/^items:\n/m, 'items:\n  - task/archive-invoices\n'),
  )
  await git(author, 'add', '-A')
  await git(author, 'commit', '--quiet', '-m', 'billing: archive old invoices')
  await happen(
    'git push origin archive-invoices',
    () => git(author, 'push', '--quiet', 'origin', 'archive-invoices'),
    { none: true },
  )
  let number = 0
  const broken = await happen(
    'Alice opens the pull request',
    async () => {
      number = (
        await github.openPullRequestAs('alice', OWNER, REPO, {
          title: 'Archive old invoices @everyone <b>now</b>',
          head: 'archive-invoices',
          base: 'main',
          body: 'Adds an archive task.',
        })
      ).number
    },
    { fails: true },
  )
  // Validation comments with the workflow's own token (the App's key is not for pull request runs).
  const comments = () => state().comments.filter((c) => c.issueNumber === number && c.user === ACTIONS_BOT)
  check(
    comments().length === 1 && comments()[0]!.body.includes('unresolved-reference'),
    'one comment reports unresolved-reference',
  )
  const annotation = broken.annotations.find((a) => a.message.includes('billing-archive'))
  check(
    annotation?.file === 'definitions/task/archive-invoices.yaml' && annotation.line === 8,
    'an annotation points at definitions/task/archive-invoices.yaml:8',
  )
  say(`   The pull request comment (#${number}):`)
  say(indent(comments()[0]!.body))

  step(3, 'Alice pushes a fix: the same comment is updated')
  await writeFile(
    join(author, 'definitions/task/archive-invoices.yaml'),
    (await readFile(join(author, 'definitions/task/archive-invoices.yaml'), 'utf8')).replace(
      'billing-archive',
      'billing-db',
    ),
  )
  await git(author, 'commit', '--quiet', '-am', 'Use the billing database credential')
  await happen('git push origin archive-invoices (synchronize)', () =>
    git(author, 'push', '--quiet', 'origin', 'archive-invoices'),
  )
  check(
    comments().length === 1 && comments()[0]!.body.includes('no errors'),
    'still one comment, now without errors',
  )
  say(indent(comments()[0]!.body))

  step(4, 'Alice merges the pull request: billing@1.1 is built, tagged and released')
  const mark = runner.mark()
  const release = await happen('Alice presses Merge', () =>
    github.mergePullRequestAs('alice', OWNER, REPO, number, { mergeMethod: 'merge' }),
  )
  check(release.outputs.created === 'billing@1.1', 'billing@1.1 is the one new version')
  const tags = (await git(work, 'ls-remote', '--tags', github.gitUrl(OWNER, REPO, tokens.bot)))
    .split('\n')
    .filter((l) => l && !l.endsWith('^{}'))
    .map((l) => l.split('refs/tags/')[1])
  say(indent(`tags: ${tags.join(', ')}`))
  const releases = state().releases.filter((r) => r.tagName === 'billing@1.1')
  const assets = state().assets.filter((a) => a.releaseId === releases[0]?.id)
  check(
    releases.length === 1 && assets.length === 1 && assets[0]!.name === 'billing-1.1.gantry.json',
    'one release with the bundle attached',
  )
  say(
    indent(
      `release billing@1.1, assets: ${assets.map((a) => a.name).join(', ')}\n${releases[0]!.body ?? ''}`,
    ),
  )

  step(5, 'The release run is re-run: nothing is duplicated')
  const push = runner
    .since(mark)
    .find((r) => r.name === 'push' && 'ref' in r.source && r.source.ref === 'refs/heads/main')!
  const rerun = await happen('Re-run all jobs of that push', async () => runner.redeliver(push))
  check((rerun.outputs.created ?? '') === '', 'the re-run creates nothing')
  check(state().releases.length === 7 && state().assets.length === 7, 'still seven releases, seven assets')

  await promotionLifecycle(github, work, happen, state, clock, runner)
  check(github.violations.length === 0, 'every request was valid against the GitHub REST API description')
  say(`\n${github.requestCount} API requests, all valid against GitHub's REST API description.`)
}

/** The second half: qa review and apply, prod scheduled and applied when due, a rejection, a rollback. */
async function promotionLifecycle(
  github: LocalGitHub,
  work: string,
  happen: Happen,
  state: () => RepositoryRecord,
  clock: { now: string },
  runner: WorkflowRunner,
): Promise<void> {
  for (const [login, token] of [
    ['qa-lead', 'qa-token'],
    ['sam', 'sam-token'],
    ['dana-ops', 'dana-token'],
    ['ravi', 'ravi-token'],
  ] as const) {
    github.addUser(login, { token, permission: 'write' })
  }
  github.addTeam('acme', 'scheduler-admins', ['sam'])
  github.addTeam('acme', 'release-managers', ['ravi'])
  const pulls = () => state().issues.filter((i) => i.pull && i.pull.headRef.startsWith('gantry/promote/'))
  const openPromotion = (env: string, pkg: string) =>
    pulls().find((p) => p.state === 'open' && p.pull!.headRef === `gantry/promote/${env}/${pkg}`)
  const approve = async (login: string, env: string, pkg: string) => {
    const pr = openPromotion(env, pkg)
    check(pr !== undefined, `a promotion of ${pkg} into ${env} is open`)
    return happen(`${login} approves #${pr!.number} (${pkg} into ${env})`, () =>
      github.review(login, OWNER, REPO, pr!.number, 'APPROVE'),
    )
  }
  const ledger = async (env: string, pkg: string) => {
    const head = await github.resolveRef(OWNER, REPO, `refs/heads/env/${env}`)
    if (!head) return undefined
    return git(
      work,
      '--git-dir',
      join(github.root, OWNER, `${REPO}.git`),
      'show',
      `${head}:.gantry/installed/${pkg}.yaml`,
    ).catch(() => undefined)
  }

  const asSam = new Octokit({ baseUrl: github.baseUrl, auth: 'sam-token' })
  const asAlice = new Octokit({ baseUrl: github.baseUrl, auth: tokens.alice })
  const tick = async (env: string, pkg: string) => {
    const pr = openPromotion(env, pkg)
    check(pr !== undefined, `a promotion of ${pkg} into ${env} is open`)
    return happen(`sam ticks the instructions of #${pr!.number} (${pkg} into ${env})`, () =>
      asSam.rest.pulls.update({
        owner: OWNER,
        repo: REPO,
        pull_number: pr!.number,
        body: (pr!.body ?? '').replace(/- \[ \]/g, '- [x]'),
      }),
    )
  }
  const reconcile = () => happen(`The cron ticks (${clock.now})`, async () => runner.schedule())

  step(
    6,
    'dev needs no approval, but before-instructions must be ticked; the scheduled run opens what is due',
  )
  const devOpen = pulls().filter((p) => p.state === 'open' && p.pull!.baseRef === 'env/dev')
  say(indent(devOpen.map((p) => `#${p.number} ${p.title}: ${p.labels.join(', ')}`).join('\n')))
  check(
    (await ledger('dev', 'platform-base')) !== undefined,
    'platform-base (no instructions) went to dev on its own',
  )
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
  check(
    openPromotion('qa', 'billing') !== undefined,
    'billing stays open: its before-instructions are not ticked',
  )
  await tick('qa', 'billing')
  check((await ledger('qa', 'billing'))?.includes('version: "1.1"') === true, 'billing@1.1 is APPLIED in qa')
  check(
    (await ledger('qa', 'billing'))?.includes('login: sam') === true,
    'the qa ledger records sam as approver, with the SHA',
  )
  say(indent((await ledger('qa', 'billing')) ?? ''))

  step(8, 'qa: the hr-payroll promotion is rejected with a reason')
  const hr = openPromotion('qa', 'hr-payroll')!
  await happen(`qa-lead comments /gantry reject on #${hr.number}`, () =>
    github.comment(
      'qa-lead',
      OWNER,
      REPO,
      hr.number,
      '/gantry reject The payroll calendar misses the January bank holiday',
    ),
  )
  const rejected = state().issues.find((i) => i.number === hr.number)!
  check(
    rejected.state === 'closed' && rejected.labels.includes('gantry:rejected'),
    'hr-payroll is REJECTED, its pull request closed',
  )

  step(9, 'prod: two approvals arrive outside the window, so the promotions are SCHEDULED')
  for (const pkg of ['shared-connections', 'platform-base']) {
    await approve('dana-ops', 'prod', pkg)
    await approve('ravi', 'prod', pkg)
    if (pkg === 'shared-connections') await tick('prod', pkg)
    check(
      openPromotion('prod', pkg)?.labels.includes('gantry:scheduled') === true,
      `${pkg} is SCHEDULED in prod`,
    )
  }
  clock.now = '2026-11-25T05:30:00Z' // Wednesday 00:30 in New York: inside the window
  await reconcile()
  check(
    (await ledger('prod', 'shared-connections')) !== undefined,
    'the scheduled run applied shared-connections in prod',
  )
  await reconcile()
  await approve('dana-ops', 'prod', 'billing')
  await approve('ravi', 'prod', 'billing')
  await tick('prod', 'billing')
  check(
    openPromotion('prod', 'billing')?.labels.includes('gantry:scheduled') === true,
    'billing is approved early and SCHEDULED for its release date, 1 December',
  )
  clock.now = '2026-12-01T05:10:00Z' // Tuesday 1 December, 00:10 in New York
  await reconcile()
  check(
    (await ledger('prod', 'billing'))?.includes('version: "1.1"') === true,
    'billing@1.1 is APPLIED in prod on its release date',
  )

  step(10, 'A rollback by manual run: billing@1 into dev removes what 1.1 added, once its rollback step is ticked')
  await happen('Alice runs promotion.yml (Run workflow: package billing, version 1, environment dev)', () =>
    asAlice.rest.actions.createWorkflowDispatch({
      owner: OWNER,
      repo: REPO,
      workflow_id: 'promotion.yml',
      ref: 'main',
      inputs: { command: 'promote', package: 'billing', version: '1', environment: 'dev' },
    }),
  )
  const rollback = openPromotion('dev', 'billing')!
  say(indent(rollback.body ?? ''))
  await tick('dev', 'billing')
  const devLedger = (await ledger('dev', 'billing')) ?? ''
  check(
    devLedger.includes('version: "1"') && devLedger.includes('rollback: true'),
    'env/dev has billing@1 again, recorded as a rollback',
  )
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
