import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalGitHub, startLocalGitHub } from '../local-github/server.js'
import { describeReport, type EventReport, WorkflowRunner } from '../local-github/workflows/runner.js'
import type { ActionRun } from './action-runner.js'
import { ENVIRONMENTS, SECRETS, VARS, exampleWorkflows } from './promotion-harness.js'

// The action (from its sources) against the local GitHub: real HTTP, real git, every request checked
// against GitHub's REST API description. alice pushes and opens pull requests; the local GitHub's workflow
// runner runs the workflows of examples/workflows for those events, and the tests look at the Gantry step.
const OWNER = 'acme'
const REPO = 'pipelines'
const run = promisify(execFile)

describe('the action on GitHub events', () => {
  let github: LocalGitHub
  let runner: WorkflowRunner
  let work: string
  const git = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout
  const state = () => github.getState().repositories[`${OWNER}/${REPO}`]!

  /** Does what `act` does as alice, then runs the workflows for its events; the run of the Gantry step. */
  const events = async (what: string, act: () => Promise<unknown>): Promise<{ gantry: ActionRun; reports: EventReport[] }> => {
    const mark = runner.mark()
    await act()
    const reports = runner.since(mark)
    return { gantry: await drive(reports, what), reports }
  }
  const drive = async (reports: EventReport[], what: string): Promise<ActionRun> => {
    const runs = await runner.drive(reports)
    const gantry = runs.flatMap((r) => r.jobs).find((j) => j.gantry)?.gantry
    if (!gantry) throw new Error(`${what}: no Gantry step ran\n${reports.flatMap(describeReport).join('\n')}`)
    expect(runner.violations, 'payloads GitHub would not send').toEqual([])
    return gantry
  }

  beforeAll(async () => {
    github = await startLocalGitHub()
    work = await mkdtemp(join(tmpdir(), 'gantry-e2e-'))
    github.addUser('gantry-bot', { token: 'bot-token', permission: 'write', type: 'Bot' })
    github.addUser('alice', { token: 'alice-token', permission: 'write' })
    await github.createRepository(OWNER, REPO, { empty: true, defaultBranch: 'main' })
    runner = new WorkflowRunner(github, {
      owner: OWNER,
      repo: REPO,
      work,
      secrets: SECRETS,
      environments: ENVIRONMENTS,
      vars: VARS,
      appToken: 'bot-token',
      actionEnv: () => ({ GANTRY_SPACE_WRITES: 'false', 'INPUT_BOT-LOGIN': 'gantry-bot' }),
    })
  })
  afterAll(async () => {
    runner.stop()
    await github.stop()
    await rm(work, { recursive: true, force: true })
  })

  it('releases every package on the first push, and a re-run after a 5xx on create adopts the release', async () => {
    // alice's first push: the integration example and the example workflows.
    const first = join(work, 'first')
    await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, 'alice-token'), first)
    await cp(resolve(import.meta.dirname, '../../examples/integration'), first, { recursive: true })
    for (const [path, text] of Object.entries(await exampleWorkflows())) {
      await mkdir(dirname(join(first, path)), { recursive: true })
      await writeFile(join(first, path), text)
    }
    await git(first, 'checkout', '--quiet', '-b', 'main')
    await git(first, 'add', '--all')
    await git(first, '-c', 'user.name=Alice', '-c', 'user.email=a@example.com', 'commit', '--quiet', '-m', 'Integration processes')
    const fault = github.injectFault({ kind: '5xx-after-write', route: 'repos/create-release', times: 1 })
    const pushed = await events('first push to main', () => git(first, 'push', '--quiet', 'origin', 'main'))
    const released = pushed.gantry
    expect(released.code, released.stdout).toBe(0)
    expect(fault.hits).toBe(1)
    expect(released.outputs.created?.split(' ').sort()).toEqual(['customer-sync@1', 'integration-connections@1', 'order-export@1'])
    // GitHub's "Re-run all jobs" of that push's release run.
    const push = pushed.reports.find((r) => r.name === 'push')!
    const again = await drive([runner.redeliver(push)], 're-run of the first push')
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
    // The pull request's validation run checks out its merge ref (the change merged into main).
    const opened = await events('pull request opened', () =>
      github.openPullRequestAs('alice', OWNER, REPO, { title: '<img src=x> @everyone ${{ github.token }}', head: 'change', base: 'main' }),
    )
    const pr = state().issues.find((i) => i.pull?.headRef === 'change')!
    const broken = opened.gantry
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
    // Validation runs on the workflow's own token (examples/workflows/pull-request.yml), so GitHub records the check
    // as created by github-actions[bot], not by the App.
    expect(checks(brokenHead)).toEqual([expect.objectContaining({ status: 'completed', conclusion: 'failure', creator: 'github-actions[bot]' })])
    expect(checks(brokenHead)[0]!.annotations).toContainEqual(
      expect.objectContaining({ path: scheduleFile, start_line: line, end_line: line, annotation_level: 'failure', title: 'gantry unresolved-reference' }),
    )
    expect(checks(brokenHead)[0]!.summary).toContain('unresolved-reference')
    expect(checks(brokenHead)[0]!.summary).not.toContain('<!-- gantry:')

    await writeFile(join(author, scheduleFile), content)
    await git(author, '-c', 'user.name=Alice', '-c', 'user.email=a@example.com', 'commit', '--quiet', '-am', 'Fix the reference')
    // The push of the fix: the pull request's synchronize event runs the validation again.
    const fixed = (await events('fix pushed', () => git(author, 'push', '--quiet', 'origin', 'change'))).gantry
    expect(fixed.code, fixed.stdout).toBe(0)
    expect(comments()).toHaveLength(1)
    expect(comments()[0]!.body).toContain('no errors')
    expect(checks(await github.resolveRef(OWNER, REPO, 'refs/heads/change'))).toEqual([expect.objectContaining({ conclusion: 'success' })])
    expect(github.violations).toEqual([])
  })
})
