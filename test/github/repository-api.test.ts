import { Octokit } from '@octokit/rest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOctokit } from '../../src/adapters/github/octokit.js'
import { RepositoryApi } from '../../src/adapters/github/repository-api.js'
import { type LocalGitHub, startLocalGitHub } from '../local-github/server.js'

// Writes that GitHub may perform before answering 5xx: the retry or the re-run adopts, never duplicates.
describe('RepositoryApi against faults', () => {
  let github: LocalGitHub
  let api: RepositoryApi
  let issue: number
  const state = () => github.getState().repositories['acme/defs']!

  beforeAll(async () => {
    github = await startLocalGitHub()
    github.addUser('bot', { token: 'bot-token', permission: 'write', type: 'Bot' })
    github.addUser('alice', { token: 'alice-token', permission: 'write' })
    await github.createRepository('acme', 'defs', { files: { 'README.md': 'defs\n' } })
    const alice = new Octokit({ baseUrl: github.baseUrl, auth: 'alice-token' })
    issue = (await alice.rest.issues.create({ owner: 'acme', repo: 'defs', title: 'a pull request stand-in' })).data.number
    await alice.rest.git.createRef({ owner: 'acme', repo: 'defs', ref: 'refs/tags/pkg@1', sha: (await github.resolveRef('acme', 'defs', 'main'))! })
    api = new RepositoryApi(createOctokit({ token: 'bot-token', baseUrl: github.baseUrl }), { owner: 'acme', repo: 'defs' })
  })
  afterAll(() => github.stop())

  it('a comment written before a 502 is adopted, then updated in place', async () => {
    const fault = github.injectFault({ kind: '5xx-after-write', route: 'issues/create-comment', times: 1 })
    const first = await api.upsertComment(issue, '<!-- sticky -->', '<!-- sticky --> first')
    expect(fault.hits).toBe(1)
    expect(first.created).toBe(false)
    const second = await api.upsertComment(issue, '<!-- sticky -->', '<!-- sticky --> second')
    expect(second.id).toBe(first.id)
    const comments = state().comments.filter((c) => c.issueNumber === issue)
    expect(comments.map((c) => c.body)).toEqual(['<!-- sticky --> second'])
  })

  it('a release and its asset written before a 502 are adopted: one release, one asset', async () => {
    const releaseFault = github.injectFault({ kind: '5xx-after-write', route: 'repos/create-release', times: 1 })
    const assetFault = github.injectFault({ kind: '5xx-after-write', route: 'repos/upload-release-asset', times: 1 })
    const input = { tag: 'pkg@1', name: 'pkg@1', body: 'notes', assetName: 'pkg-1.gantry.json', asset: '{"a":1}\n' }
    await api.ensureRelease(input, await api.listReleases())
    expect([releaseFault.hits, assetFault.hits]).toEqual([1, 1])
    const again = await api.ensureRelease(input, await api.listReleases())
    expect(again).toMatchObject({ created: false, assetUploaded: false })
    expect(state().releases.map((r) => r.tagName)).toEqual(['pkg@1'])
    expect(state().assets.map((a) => a.name)).toEqual(['pkg-1.gantry.json'])
    expect(github.violations).toEqual([])
  })
})
