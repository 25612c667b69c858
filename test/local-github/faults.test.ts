import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Octokit } from '@octokit/rest'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { startLocalGitHub, type LocalGitHub } from './server.js'
import { octokitFor, scratchDir, statusOf, tryGit } from './test-support.js'

const OWNER = 'acme'
const REPO = 'faults'
const BOT = 'ghs_fault_bot'
const AUTHOR = 'ghp_fault_author'
const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

describe('local GitHub: faults on demand', () => {
  let gh: LocalGitHub
  let bot: Octokit
  let issueNumber = 0
  let pullNumber = 0

  beforeAll(async () => {
    gh = await startLocalGitHub()
    gh.addUser('gantry-bot', { token: BOT, permission: 'write', type: 'Bot' })
    gh.addUser('author', { token: AUTHOR, permission: 'write' })
    await gh.createRepository(OWNER, REPO, { files: { 'README.md': 'faults\n' } })
    await gh.commitFiles(OWNER, REPO, {
      branch: 'feature',
      from: 'main',
      files: { 'a.txt': 'a\n' },
      message: 'Add a',
    })
    pullNumber = (
      await gh.openPullRequestAs('author', OWNER, REPO, { title: 'Add a', head: 'feature', base: 'main' })
    ).number
    bot = octokitFor(gh, BOT)
    issueNumber = (await bot.rest.issues.create({ owner: OWNER, repo: REPO, title: 'Faults' })).data.number
  })

  afterAll(async () => {
    await gh?.stop()
  })

  beforeEach(() => {
    gh.clearFaults()
  })

  const comments = () =>
    gh.getState().repositories[`${OWNER}/${REPO}`]?.comments.filter((c) => c.issueNumber === issueNumber) ??
    []

  it('5xx-after-write: performs the write, then answers 502', async () => {
    const before = comments().length
    const fault = gh.injectFault({ kind: '5xx-after-write', method: 'POST', route: 'issues/create-comment' })
    const failed = await statusOf(
      bot.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issueNumber, body: 'once' }),
    )
    expect(failed.status).toBe(502)
    expect(comments().length).toBe(before + 1)
    expect(fault.hits).toBe(1)
    expect(fault.remaining).toBe(0)
    expect(gh.requests.at(-1)).toMatchObject({
      operationId: 'issues/create-comment',
      status: 502,
      fault: '5xx-after-write',
    })
  })

  it('5xx-after-write with plugin-retry: a POST is retried, so the write happens twice', async () => {
    const RetryingOctokit = Octokit.plugin(retry)
    const client = new RetryingOctokit({
      baseUrl: gh.baseUrl,
      auth: BOT,
      log: silent,
      retry: { retryAfterBaseValue: 1 },
    })
    const before = comments().length
    gh.injectFault({
      kind: '5xx-after-write',
      route: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
      method: 'POST',
    })
    const { status } = await client.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: issueNumber,
      body: 'twice',
    })
    expect(status).toBe(201)
    expect(comments().filter((c) => c.body === 'twice')).toHaveLength(2)
    expect(comments().length).toBe(before + 2)
  })

  it('5xx-before-write: answers 502 and writes nothing', async () => {
    const before = comments().length
    gh.injectFault({ kind: '5xx-before-write', route: 'issues/create-comment', status: 503 })
    const failed = await statusOf(
      bot.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issueNumber, body: 'never' }),
    )
    expect(failed.status).toBe(503)
    expect(comments().length).toBe(before)
  })

  it('secondary-rate-limit: 403 with retry-after that plugin-throttling recognises', async () => {
    gh.injectFault({ kind: 'secondary-rate-limit', route: 'pulls/list', retryAfterSeconds: 7 })
    const raw = await statusOf(bot.rest.pulls.list({ owner: OWNER, repo: REPO }))
    expect(raw.status).toBe(403)
    expect(raw.headers['retry-after']).toBe('7')
    expect(raw.message).toContain('secondary rate limit')

    gh.injectFault({ kind: 'secondary-rate-limit', route: 'pulls/list', retryAfterSeconds: 7 })
    const seen: number[] = []
    const ThrottledOctokit = Octokit.plugin(throttling)
    const client = new ThrottledOctokit({
      baseUrl: gh.baseUrl,
      auth: BOT,
      log: silent,
      throttle: {
        retryAfterBaseValue: 1,
        onSecondaryRateLimit: (retryAfter: number) => {
          seen.push(retryAfter)
          return true
        },
        onRateLimit: () => false,
      },
    })
    const { data } = await client.rest.pulls.list({ owner: OWNER, repo: REPO })
    expect(data.map((p) => p.number)).toEqual([pullNumber])
    expect(seen).toEqual([7])
  })

  it('primary-rate-limit: 403 with x-ratelimit-remaining 0 and a reset time', async () => {
    gh.injectFault({ kind: 'primary-rate-limit', route: /\/pulls$/, retryAfterSeconds: 30, times: 2 })
    const raw = await statusOf(bot.rest.pulls.list({ owner: OWNER, repo: REPO }))
    expect(raw.status).toBe(403)
    expect(raw.headers['x-ratelimit-remaining']).toBe('0')
    expect(Number(raw.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000 + 20)
    expect(raw.message).toContain('API rate limit exceeded')

    const waits: number[] = []
    const ThrottledOctokit = Octokit.plugin(throttling)
    const client = new ThrottledOctokit({
      baseUrl: gh.baseUrl,
      auth: BOT,
      log: silent,
      throttle: {
        onRateLimit: (retryAfter: number) => {
          waits.push(retryAfter)
          return false
        },
        onSecondaryRateLimit: () => false,
      },
    })
    expect((await statusOf(client.rest.pulls.list({ owner: OWNER, repo: REPO }))).status).toBe(403)
    expect(waits[0]).toBeGreaterThan(20)
    expect((await client.rest.pulls.list({ owner: OWNER, repo: REPO })).status).toBe(200)
  })

  it('mergeable-null: the first reads of a pull request answer mergeable null', async () => {
    gh.injectFault({ kind: 'mergeable-null', route: `/repos/${OWNER}/${REPO}/pulls/${pullNumber}`, times: 2 })
    const reads = []
    for (let i = 0; i < 3; i++) {
      const { data } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pullNumber })
      reads.push([data.mergeable, data.mergeable_state])
    }
    expect(reads).toEqual([
      [null, 'unknown'],
      [null, 'unknown'],
      [true, 'clean'],
    ])
  })

  it('token-revoked: the token stops working for the API and for git until restored', async () => {
    const token = 'ghs_short_lived'
    gh.addUser('gantry-bot', { token, permission: 'write', type: 'Bot' })
    const client = octokitFor(gh, token)
    expect((await client.rest.repos.get({ owner: OWNER, repo: REPO })).status).toBe(200)
    // Like Actions' GITHUB_TOKEN, a Bot's token is not a user token.
    expect((await statusOf(client.rest.users.getAuthenticated())).status).toBe(403)
    expect((await octokitFor(gh, AUTHOR).rest.users.getAuthenticated()).data.login).toBe('author')
    gh.injectFault({ kind: 'token-revoked', route: 'issues/create-comment', login: 'gantry-bot' })
    const revoked = await statusOf(
      client.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issueNumber, body: 'x' }),
    )
    expect(revoked.status).toBe(401)
    expect(revoked.message).toContain('Bad credentials')
    expect((await statusOf(client.rest.pulls.list({ owner: OWNER, repo: REPO }))).status).toBe(401)
    const scratch = await scratchDir()
    try {
      const listing = await tryGit(scratch.path, ['ls-remote', gh.gitUrl(OWNER, REPO, token)])
      expect(listing.exitCode).not.toBe(0)
      gh.restoreToken(token)
      expect((await tryGit(scratch.path, ['ls-remote', gh.gitUrl(OWNER, REPO, token)])).exitCode).toBe(0)
    } finally {
      await scratch.remove()
    }
    expect((await client.rest.pulls.list({ owner: OWNER, repo: REPO })).status).toBe(200)
    // Other tokens were never affected.
    expect((await bot.rest.pulls.list({ owner: OWNER, repo: REPO })).status).toBe(200)
  })

  it('faults match by method, route and login, and can be removed', async () => {
    const fault = gh.injectFault({
      kind: '5xx-before-write',
      method: 'GET',
      route: 'repos/get',
      login: 'author',
      times: 5,
    })
    expect((await bot.rest.repos.get({ owner: OWNER, repo: REPO })).status).toBe(200)
    expect((await statusOf(octokitFor(gh, AUTHOR).rest.repos.get({ owner: OWNER, repo: REPO }))).status).toBe(
      502,
    )
    expect(fault.remaining).toBe(4)
    fault.remove()
    expect((await octokitFor(gh, AUTHOR).rest.repos.get({ owner: OWNER, repo: REPO })).status).toBe(200)
  })

  it('stays within GitHub’s API description', () => {
    expect(gh.violations).toEqual([])
  })
})
