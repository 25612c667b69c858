import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Octokit } from '@octokit/rest'
import { operationTable } from './openapi-validator.js'
import { routes } from './routes/index.js'
import { startLocalGitHub, type LocalGitHub } from './server.js'
import { octokitFor, statusOf, untypedRequest } from './test-support.js'

const OWNER = 'acme'
const REPO = 'validation'
const TOKEN = 'ghs_validation_bot'

describe('local GitHub: requests are checked against GitHub’s REST API description', () => {
  let gh: LocalGitHub
  let bot: Octokit

  beforeAll(async () => {
    gh = await startLocalGitHub()
    gh.addUser('gantry-bot', { token: TOKEN, permission: 'write', type: 'Bot' })
    await gh.createRepository(OWNER, REPO, { files: { 'README.md': 'validation\n' }, branches: ['feature'] })
    bot = octokitFor(gh, TOKEN)
  })

  afterAll(async () => {
    await gh?.stop()
  })

  beforeEach(() => {
    gh.clearViolations()
  })

  it('implements exactly the operations it carries from the description', () => {
    const described = operationTable()
      .operations.map((op) => op.operationId)
      .sort()
    expect(Object.keys(routes).sort()).toEqual(described)
  })

  it('refuses an invalid body with 422 and records the violation', async () => {
    const refused = await statusOf(
      untypedRequest(bot, 'POST /repos/{owner}/{repo}/pulls', {
        owner: OWNER,
        repo: REPO,
        head: 'feature',
        base: 'main',
        title: 'x',
        draft: 'yes',
      }),
    )
    expect(refused.status).toBe(422)
    expect(refused.message).toContain('Invalid request')
    expect(gh.violations).toMatchObject([
      { kind: 'invalid-body', operationId: 'pulls/create', method: 'POST' },
    ])
    expect(gh.getState().repositories[`${OWNER}/${REPO}`]?.issues).toEqual([])
  })

  it('names a missing required field like GitHub does', async () => {
    const refused = await statusOf(
      untypedRequest(bot, 'POST /repos/{owner}/{repo}/git/refs', {
        owner: OWNER,
        repo: REPO,
        ref: 'refs/heads/x',
      }),
    )
    expect(refused.status).toBe(422)
    expect(refused.message).toContain(`"sha" wasn't supplied`)
    expect(gh.violations).toHaveLength(1)
  })

  it('refuses an invalid query parameter', async () => {
    const refused = await statusOf(
      untypedRequest(bot, 'GET /repos/{owner}/{repo}/pulls', { owner: OWNER, repo: REPO, state: 'merged' }),
    )
    expect(refused.status).toBe(422)
    expect(gh.violations).toMatchObject([{ kind: 'invalid-parameters', operationId: 'pulls/list' }])
  })

  it('answers 404 to a path parameter of the wrong type', async () => {
    const refused = await statusOf(
      untypedRequest(bot, 'GET /repos/{owner}/{repo}/pulls/{pull_number}', {
        owner: OWNER,
        repo: REPO,
        pull_number: 'abc',
      }),
    )
    expect(refused.status).toBe(404)
    expect(gh.violations).toMatchObject([{ kind: 'invalid-parameters', operationId: 'pulls/get' }])
  })

  it('answers 404 to a route GitHub does not have', async () => {
    const refused = await statusOf(
      bot.request('GET /repos/{owner}/{repo}/promotions', { owner: OWNER, repo: REPO }),
    )
    expect(refused.status).toBe(404)
    expect(gh.violations).toMatchObject([
      { kind: 'unknown-route', path: `/api/v3/repos/${OWNER}/${REPO}/promotions` },
    ])
  })

  it('answers 501 to a GitHub route the local GitHub does not implement', async () => {
    const refused = await statusOf(
      bot.request('GET /repos/{owner}/{repo}/actions/runs', { owner: OWNER, repo: REPO }),
    )
    expect(refused.status).toBe(501)
    expect(gh.violations).toMatchObject([{ kind: 'not-implemented' }])
  })

  it('accepts uploads only on the uploads path', async () => {
    const { data: release } = await bot.rest.repos.createRelease({ owner: OWNER, repo: REPO, tag_name: 'v1' })
    const wrongHost = await statusOf(
      bot.request('POST /repos/{owner}/{repo}/releases/{release_id}/assets{?name,label}', {
        owner: OWNER,
        repo: REPO,
        release_id: release.id,
        name: 'a.txt',
        data: 'a',
        baseUrl: gh.baseUrl,
        headers: { 'content-type': 'text/plain' },
      }),
    )
    expect(wrongHost.status).toBe(404)
    expect(gh.violations).toMatchObject([{ kind: 'unknown-route' }])
    gh.clearViolations()
    const missingName = await statusOf(
      fetch(`${gh.webUrl}/api/uploads/repos/${OWNER}/${REPO}/releases/${release.id}/assets`, {
        method: 'POST',
        headers: { authorization: `token ${TOKEN}`, 'content-type': 'text/plain' },
        body: 'a',
      }).then((res) => {
        if (!res.ok) throw Object.assign(new Error(res.statusText), { status: res.status })
      }),
    )
    expect(missingName.status).toBe(422)
    expect(gh.violations).toMatchObject([
      { kind: 'invalid-parameters', operationId: 'repos/upload-release-asset' },
    ])
  })

  it('refuses a body that is not JSON', async () => {
    const res = await fetch(`${gh.baseUrl}/repos/${OWNER}/${REPO}/issues`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"title": ',
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { message: string }).message).toBe('Problems parsing JSON')
    expect(gh.violations).toMatchObject([{ kind: 'unparsable-body' }])
  })

  it('answers 401 to an unknown token, without a violation', async () => {
    const refused = await statusOf(octokitFor(gh, 'nope').rest.repos.get({ owner: OWNER, repo: REPO }))
    expect(refused.status).toBe(401)
    expect(gh.violations).toEqual([])
  })

  it('in lenient mode, records the violation but answers anyway', async () => {
    const lenient = await startLocalGitHub({ lenientValidation: true })
    try {
      lenient.addUser('gantry-bot', { token: TOKEN, permission: 'write', type: 'Bot' })
      await lenient.createRepository(OWNER, REPO, { files: { 'README.md': 'x\n' } })
      const client = octokitFor(lenient, TOKEN)
      const { status } = (await untypedRequest(client, 'POST /repos/{owner}/{repo}/issues', {
        owner: OWNER,
        repo: REPO,
        title: 'x',
        labels: 'not-an-array',
      })) as { status: number }
      expect(status).toBe(201)
      expect(lenient.violations).toMatchObject([{ kind: 'invalid-body', operationId: 'issues/create' }])
    } finally {
      await lenient.stop()
    }
  })
})
