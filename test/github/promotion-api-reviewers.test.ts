import { Octokit } from '@octokit/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOctokit } from '../../src/adapters/github/octokit.js'
import { PromotionApi } from '../../src/adapters/github/promotion-api.js'
import { type LocalGitHub, startLocalGitHub } from '../local-github/server.js'

// The environment's reviewers are requested on a promotion pull request; the local GitHub refuses a request
// naming anyone who is not a collaborator, as GitHub does.
describe('requesting the environment’s reviewers', () => {
  let github: LocalGitHub
  let api: PromotionApi
  const pull = async (number: number) => github.getState().repositories['acme/defs']!.issues.find((i) => i.number === number)!.pull!

  beforeAll(async () => {
    github = await startLocalGitHub()
    github.addUser('gantry-bot', { token: 'bot-token', permission: 'write', type: 'Bot' })
    github.addUser('alice', { token: 'alice-token', permission: 'write' })
    github.addUser('sam', { token: 'sam-token', permission: 'write' })
    github.addTeam('acme', 'admins', ['sam'])
    await github.createRepository('acme', 'defs', { files: { 'README.md': 'defs\n' } })
    api = new PromotionApi(createOctokit({ token: 'bot-token', baseUrl: github.baseUrl }), { owner: 'acme', repo: 'defs' }, 'gantry-bot')
  })
  afterAll(() => github.stop())

  async function openPull(branch: string): Promise<number> {
    const alice = new Octokit({ baseUrl: github.baseUrl, auth: 'alice-token' })
    const main = (await github.resolveRef('acme', 'defs', 'main'))!
    await alice.rest.git.createRef({ owner: 'acme', repo: 'defs', ref: `refs/heads/${branch}`, sha: main })
    await alice.rest.repos.createOrUpdateFileContents({ owner: 'acme', repo: 'defs', path: `${branch}.txt`, message: branch, content: Buffer.from(branch).toString('base64'), branch })
    return (await github.openPullRequestAs('gantry-bot', 'acme', 'defs', { title: branch, head: branch, base: 'main', body: '' })).number
  }

  it('one name GitHub refuses (not a collaborator, a team that does not exist) does not leave the others unasked', async () => {
    const number = await openPull('stale-names')
    await api.requestReviewers(number, ['qa-leads', 'sam', '@acme/admins', '@acme/gone'])
    expect((await pull(number)).requestedReviewers).toEqual(['sam'])
    expect((await pull(number)).requestedTeams).toEqual(['admins'])
    expect(github.violations).toEqual([])
  })

  it('all names valid: one request asks them all', async () => {
    const number = await openPull('valid-names')
    await api.requestReviewers(number, ['sam', '@acme/admins', 'gantry-bot'])
    expect((await pull(number)).requestedReviewers).toEqual(['sam'])
    expect((await pull(number)).requestedTeams).toEqual(['admins'])
  })
})
