import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalGitHub, startLocalGitHub } from '../local-github/server.js'
import { runAction } from './action-runner.js'

// The action (from its sources) against the local GitHub: real HTTP, real git, every request checked
// against GitHub's REST API description.
const OWNER = 'acme'
const REPO = 'pipelines'
const repository = { default_branch: 'main', name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } }
const run = promisify(execFile)

describe('the action on GitHub events', () => {
  let github: LocalGitHub
  let work: string
  const git = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout
  const checkout = async (name: string, branch: string) => {
    const dir = join(work, name)
    await git(work, 'clone', '--quiet', '--branch', branch, github.gitUrl(OWNER, REPO, 'bot-token'), dir)
    return dir
  }
  const state = () => github.getState().repositories[`${OWNER}/${REPO}`]!

  beforeAll(async () => {
    github = await startLocalGitHub()
    work = await mkdtemp(join(tmpdir(), 'gantry-e2e-'))
    github.addUser('gantry-bot', { token: 'bot-token', permission: 'write', type: 'Bot' })
    github.addUser('alice', { token: 'alice-token', permission: 'write' })
    await github.createRepository(OWNER, REPO, { fromDirectory: resolve(import.meta.dirname, '../../examples/integration') })
  })
  afterAll(async () => {
    await github.stop()
    await rm(work, { recursive: true, force: true })
  })

  it('releases every package on the first push, and a re-run after a 5xx on create adopts the release', async () => {
    const fault = github.injectFault({ kind: '5xx-after-write', route: 'repos/create-release', times: 1 })
    const first = await runAction(github, { owner: OWNER, repo: REPO, token: 'bot-token', inputs: { 'bot-login': 'gantry-bot' }, workspace: await checkout('push-1', 'main'), event: { name: 'push', payload: { ref: 'refs/heads/main', repository } } })
    expect(first.code, first.stdout).toBe(0)
    expect(fault.hits).toBe(1)
    expect(first.outputs.created?.split(' ').sort()).toEqual(['customer-sync@1', 'integration-connections@1', 'order-export@1'])
    const again = await runAction(github, { owner: OWNER, repo: REPO, token: 'bot-token', inputs: { 'bot-login': 'gantry-bot' }, workspace: await checkout('push-2', 'main'), event: { name: 'push', payload: { ref: 'refs/heads/main', repository } } })
    expect(again.code, again.stdout).toBe(0)
    expect(again.outputs.created ?? '').toBe('')
    expect(state().releases.map((r) => r.tagName).sort()).toEqual(['customer-sync@1', 'integration-connections@1', 'order-export@1'])
    expect(state().assets.map((a) => a.name).sort()).toEqual(['customer-sync-1.gantry.json', 'integration-connections-1.gantry.json', 'order-export-1.gantry.json'])
    const tag = await git(work, 'ls-remote', '--tags', github.gitUrl(OWNER, REPO, 'bot-token'), 'order-export@1')
    expect(tag).toMatch(/refs\/tags\/order-export@1/)
    expect(github.violations).toEqual([])
  })

  it('comments once on a pull request, annotates the broken line, and updates the same comment after a fix', async () => {
    const author = join(work, 'alice')
    await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, 'alice-token'), author)
    await git(author, 'checkout', '--quiet', '-b', 'change')
    const scheduleFile = (await git(author, 'ls-files', 'definitions/schedule')).trim().split('\n')[0]!
    const target = (await readFile(join(author, scheduleFile), 'utf8')).match(/^ {2}process: (.+)$/m)
    expect(target, 'the example schedule refers to a process').not.toBeNull()
    const content = await readFile(join(author, scheduleFile), 'utf8')
    await writeFile(join(author, scheduleFile), content.replace(`process: ${target![1]}`, 'process: no-such-process'))
    await git(author, '-c', 'user.name=Alice', '-c', 'user.email=a@example.com', 'commit', '--quiet', '-am', 'Point the schedule at @everyone <script>${{ secrets.X }}</script>')
    await git(author, 'push', '--quiet', 'origin', 'change')
    const pr = await github.openPullRequestAs('alice', OWNER, REPO, { title: '<img src=x> @everyone ${{ github.token }}', head: 'change', base: 'main' })
    const payload = async () => ({ number: pr.number, pull_request: { number: pr.number, head: { sha: await github.resolveRef(OWNER, REPO, 'refs/heads/change'), ref: 'change' }, base: { ref: 'main' } }, repository })

    const broken = await runAction(github, { owner: OWNER, repo: REPO, token: 'bot-token', inputs: { 'bot-login': 'gantry-bot' }, workspace: await checkout('pr-1', 'change'), event: { name: 'pull_request', payload: await payload() } })
    expect(broken.code).toBe(1)
    const line = content.split('\n').findIndex((l) => l.startsWith('  process: ')) + 1
    expect(broken.annotations).toContainEqual(expect.objectContaining({ level: 'error', file: scheduleFile, line }))
    const comments = () => state().comments.filter((c) => c.issueNumber === pr.number)
    expect(comments()).toHaveLength(1)
    expect(comments()[0]!.body).toContain('unresolved-reference')
    expect(comments()[0]!.body).not.toMatch(/<img|<script|@everyone|\$\{\{/)
    expect(broken.summary).toContain('unresolved-reference')
    // A check of its own on the head, where the merge box lists checks, every finding at its line.
    const checks = (sha: string | null) => state().checkRuns.filter((c) => c.name === 'Gantry validation' && c.headSha === sha)
    const brokenHead = await github.resolveRef(OWNER, REPO, 'refs/heads/change')
    expect(checks(brokenHead)).toEqual([expect.objectContaining({ status: 'completed', conclusion: 'failure', creator: 'gantry-bot' })])
    expect(checks(brokenHead)[0]!.annotations).toContainEqual(
      expect.objectContaining({ path: scheduleFile, start_line: line, end_line: line, annotation_level: 'failure', title: 'gantry unresolved-reference' }),
    )
    expect(checks(brokenHead)[0]!.summary).toContain('unresolved-reference')
    expect(checks(brokenHead)[0]!.summary).not.toContain('<!-- gantry:')

    await writeFile(join(author, scheduleFile), content)
    await git(author, '-c', 'user.name=Alice', '-c', 'user.email=a@example.com', 'commit', '--quiet', '-am', 'Fix the reference')
    await git(author, 'push', '--quiet', 'origin', 'change')
    const fixed = await runAction(github, { owner: OWNER, repo: REPO, token: 'bot-token', inputs: { 'bot-login': 'gantry-bot' }, workspace: await checkout('pr-2', 'change'), event: { name: 'pull_request', payload: await payload() } })
    expect(fixed.code, fixed.stdout).toBe(0)
    expect(comments()).toHaveLength(1)
    expect(comments()[0]!.body).toContain('no errors')
    expect(checks(await github.resolveRef(OWNER, REPO, 'refs/heads/change'))).toEqual([expect.objectContaining({ conclusion: 'success' })])
    expect(github.violations).toEqual([])
  })
})
