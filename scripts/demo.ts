/**
 * The demo: a local GitHub on loopback with a copy of the scheduler example, and the built action
 * (dist/index.js) run for each event in turn, printing what a user would see on GitHub.
 * Flags: --quiet (print only the checks), --skip-build (CI builds first).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ACTION_BUNDLE, type ActionRun, runAction } from '../test/e2e/action-runner.js'
import { type LocalGitHub, startLocalGitHub } from '../test/local-github/server.js'

const quiet = process.argv.includes('--quiet')
const root = resolve(import.meta.dirname, '..')
const OWNER = 'acme'
const REPO = 'pipelines'
const BOT = 'gantry-bot'
const tokens = { bot: 'bot-token', alice: 'alice-token' }

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
  github.addUser(BOT, { token: tokens.bot, permission: 'write', type: 'Bot' })
  github.addUser('alice', { token: tokens.alice, permission: 'write' })
  await github.createRepository(OWNER, REPO, { fromDirectory: join(root, 'examples/scheduler'), message: 'Initial definitions' })
  say(`Local GitHub at ${github.webUrl}, repository ${OWNER}/${REPO} seeded from examples/scheduler.`)

  const state = () => github.getState().repositories[`${OWNER}/${REPO}`]!
  const checkout = async (name: string, branch: string): Promise<string> => {
    const dir = join(work, name)
    await git(work, 'clone', '--quiet', '--branch', branch, github.gitUrl(OWNER, REPO, tokens.bot), dir)
    return dir
  }
  const repository = { default_branch: 'main', name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } }
  const act = (workspace: string, event: { name: 'push' | 'pull_request'; payload: Record<string, unknown> }): Promise<ActionRun> =>
    runAction(github, { owner: OWNER, repo: REPO, token: tokens.bot, workspace, event })

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
  check(github.violations.length === 0, 'every request was valid against the GitHub REST API description')
  say(`\n${github.requestCount} API requests, all valid against GitHub's REST API description.`)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})
