import { execFile } from 'node:child_process'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalGitHub, startLocalGitHub } from '../local-github/server.js'
import { runAction } from './action-runner.js'

// The action (from its sources) against the local GitHub, with names and notes in the repository that try to
// write workflow commands into its log: a line starting with `::` is a command to the runner, and
// `::stop-commands::<token>` would silence every later command of the step (Gantry's annotations included).
const OWNER = 'acme'
const REPO = 'pipelines'
const repository = { default_branch: 'main', name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } }
const run = promisify(execFile)

const INJECTED = '::error::injected\n::stop-commands::tok3n\n  ::set-output name=x::y'

/** Lines the runner would read as workflow commands that are not Gantry's own (groups, its annotations). */
function foreignCommands(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^\s*::/.test(line))
    .filter((line) => !/^::(group::[A-Za-z ]+|endgroup::|(error|warning|notice)( title=gantry [a-z-]+(,file=[^:]*)?(,line=\d+)?(,col=\d+)?)?::.*)$/.test(line))
}

describe('the action log with hostile names and notes', () => {
  let github: LocalGitHub
  let work: string
  const git = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout
  const author = async (cwd: string, ...args: string[]) => git(cwd, '-c', 'user.name=Alice', '-c', 'user.email=a@example.com', ...args)
  const checkout = async (name: string, branch: string) => {
    const dir = join(work, name)
    await git(work, 'clone', '--quiet', '--branch', branch, github.gitUrl(OWNER, REPO, 'bot-token'), dir)
    return dir
  }

  beforeAll(async () => {
    github = await startLocalGitHub()
    work = await mkdtemp(join(tmpdir(), 'gantry-e2e-log-'))
    github.addUser('gantry-bot', { token: 'bot-token', permission: 'write', type: 'Bot' })
    github.addUser('alice', { token: 'alice-token', permission: 'write' })
    await github.createRepository(OWNER, REPO, { fromDirectory: resolve(import.meta.dirname, '../../examples/integration') })
  })
  afterAll(async () => {
    await github.stop()
    await rm(work, { recursive: true, force: true })
  })

  it('a pull request with a definition named ::error:: and notes holding ::stop-commands::: only Gantry’s commands in the log', async () => {
    const dir = join(work, 'alice')
    await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, 'alice-token'), dir)
    await git(dir, 'checkout', '--quiet', '-b', 'hostile')
    const manifest = join(dir, 'packages/customer-sync.yaml')
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace(/^notes: .*$/m, `notes: ${JSON.stringify(INJECTED)}`))
    await mkdir(join(dir, 'definitions/mapping'), { recursive: true })
    // The file name, the name inside and the description all carry commands.
    await writeFile(join(dir, 'definitions/mapping/::error::name.yaml'), `kind: mapping\nname: ${JSON.stringify(INJECTED)}\ndescription: ${JSON.stringify(INJECTED)}\nspec: {}\n`)
    await author(dir, 'add', '.')
    await author(dir, 'commit', '--quiet', '-m', INJECTED)
    await git(dir, 'push', '--quiet', 'origin', 'hostile')
    const pr = await github.openPullRequestAs('alice', OWNER, REPO, { title: INJECTED.split('\n')[0]!, head: 'hostile', base: 'main' })
    const head = await github.resolveRef(OWNER, REPO, 'refs/heads/hostile')
    const validated = await runAction(github, {
      owner: OWNER,
      repo: REPO,
      token: 'bot-token',
      inputs: { 'bot-login': 'gantry-bot' },
      workspace: await checkout('pr', 'hostile'),
      event: { name: 'pull_request', payload: { number: pr.number, pull_request: { number: pr.number, head: { sha: head, ref: 'hostile' }, base: { ref: 'main' } }, repository } },
    })
    expect(validated.code, validated.stdout).toBe(1)
    expect(validated.annotations.some((a) => a.file === 'definitions/mapping/::error::name.yaml')).toBe(true)
    expect(foreignCommands(validated.stdout)).toEqual([])
    expect(foreignCommands(validated.stderr)).toEqual([])
  })

  it('a release whose notes and workflow file names hold ::stop-commands:: and ::error::: only Gantry’s commands in the log, nothing raw', async () => {
    const dir = join(work, 'main')
    await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, 'alice-token'), dir)
    const manifest = join(dir, 'packages/customer-sync.yaml')
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace(/^notes: .*$/m, `notes: ${JSON.stringify(INJECTED)}`))
    // Two workflows that take the relay's input: the action names both in a warning, file names as committed.
    const relay = 'on:\n  workflow_dispatch:\n    inputs:\n      pull-request: {}\njobs: {}\n'
    await mkdir(join(dir, '.github/workflows'), { recursive: true })
    await writeFile(join(dir, '.github/workflows/relay.yml'), relay)
    await writeFile(join(dir, '.github/workflows/zz-relay\u001b[2J\u202e\n::stop-commands::tok3n.yml'), relay)
    await author(dir, 'add', '.')
    await author(dir, 'commit', '--quiet', '-m', INJECTED)
    await git(dir, 'push', '--quiet', 'origin', 'main')
    const released = await runAction(github, {
      owner: OWNER,
      repo: REPO,
      token: 'bot-token',
      inputs: { 'bot-login': 'gantry-bot' },
      workspace: await checkout('push', 'main'),
      event: { name: 'push', payload: { ref: 'refs/heads/main', repository } },
    })
    expect(released.code, released.stdout).toBe(0)
    expect(released.outputs.created?.split(' ')).toContain('customer-sync@1')
    expect(released.annotations.find((a) => a.level === 'warning' && /several workflows/.test(a.message))?.message).toContain('zz-relay\\u001b[2J\\u202e\n::stop-commands::tok3n.yml')
    // Raw escape sequences and bidirectional controls from names never reach the log.
    expect(['\u001b', '\u202e'].filter((c) => released.stdout.includes(c))).toEqual([])
    expect(foreignCommands(released.stdout)).toEqual([])
    expect(foreignCommands(released.stderr)).toEqual([])
  })
})
