import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalGitHub, startLocalGitHub } from '../local-github/server.js'
import { runAction } from './action-runner.js'

// The validation of a pull request on the scheduler example before anything is promoted: every package has
// warnings in every environment (dependencies not applied there), and the pull request touches one package.
const OWNER = 'acme'
const REPO = 'scheduler'
const repository = { default_branch: 'main', name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } }
const run = promisify(execFile)

describe('the validation of a pull request, where GitHub shows checks', () => {
  let github: LocalGitHub
  let work: string
  const git = async (cwd: string, ...args: string[]) => (await run('git', args, { cwd })).stdout
  const state = () => github.getState().repositories[`${OWNER}/${REPO}`]!

  beforeAll(async () => {
    github = await startLocalGitHub()
    work = await mkdtemp(join(tmpdir(), 'gantry-check-'))
    github.addUser('gantry-bot', { token: 'bot-token', permission: 'write', type: 'Bot' })
    github.addUser('alice', { token: 'alice-token', permission: 'write' })
    await github.createRepository(OWNER, REPO, { fromDirectory: resolve(import.meta.dirname, '../../examples/scheduler') })
  })
  afterAll(async () => {
    await github.stop()
    await rm(work, { recursive: true, force: true })
  })

  it('the check, the annotations and the comment report the same findings: errors, and warnings about this change', async () => {
    const author = join(work, 'alice')
    await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, 'alice-token'), author)
    await git(author, 'checkout', '--quiet', '-b', 'change')
    const file = 'definitions/task/extract-invoices.yaml'
    const content = await readFile(join(author, file), 'utf8')
    await writeFile(join(author, file), content.replace(/credential: .*/, 'credential: no-such-credential'))
    await git(author, '-c', 'user.name=Alice', '-c', 'user.email=a@example.com', 'commit', '--quiet', '-am', 'Point the extract at another credential')
    await git(author, 'push', '--quiet', 'origin', 'change')
    const pr = await github.openPullRequestAs('alice', OWNER, REPO, { title: 'Another credential', head: 'change', base: 'main' })
    const head = await github.resolveRef(OWNER, REPO, 'refs/heads/change')
    const workspace = join(work, 'checkout')
    await git(work, 'clone', '--quiet', '--branch', 'change', github.gitUrl(OWNER, REPO, 'bot-token'), workspace)
    const payload = { number: pr.number, pull_request: { number: pr.number, head: { sha: head, ref: 'change' }, base: { ref: 'main' } }, repository }
    const result = await runAction(github, { owner: OWNER, repo: REPO, token: 'bot-token', inputs: { 'bot-login': 'gantry-bot' }, workspace, event: { name: 'pull_request', payload } })
    expect(result.code).toBe(1)

    const comment = state().comments.find((c) => c.issueNumber === pr.number)!.body
    const shown = Number(/Gantry found 1 error\*\*, (\d+) warnings/.exec(comment)![1])
    const others = Number(/_(\d+) warnings about packages this pull request does not touch/.exec(comment)![1])
    expect(others).toBeGreaterThan(0)
    const [check] = state().checkRuns.filter((c) => c.name === 'Gantry validation' && c.headSha === head)
    expect(check).toMatchObject({ status: 'completed', conclusion: 'failure', title: `1 error, ${shown} warnings (and ${others} about packages this pull request does not touch)` })
    const annotations = check!.annotations as { path: string; annotation_level: string }[]
    expect(annotations).toHaveLength(1 + shown)
    expect(annotations[0]).toMatchObject({ path: file, annotation_level: 'failure' })
    // The workflow's own annotations (ten of a kind shown per step) are spent on the same findings.
    expect(result.annotations.filter((a) => a.file !== undefined)).toHaveLength(1 + shown)
    expect(github.violations).toEqual([])
  })
})
