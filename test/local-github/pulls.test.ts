import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Octokit } from '@octokit/rest'
import { BareRepository } from './git-plumbing.js'
import { startLocalGitHub, type LocalGitHub } from './server.js'
import { octokitFor, statusOf } from './test-support.js'

const OWNER = 'acme'
const REPO = 'pulls'
const tokens = {
  bot: 'ghs_pulls_bot',
  author: 'ghp_pulls_author',
  alice: 'ghp_pulls_alice',
  bob: 'ghp_pulls_bob',
}

describe('local GitHub: merge methods, conflicts and review rules', () => {
  let gh: LocalGitHub
  let bot: Octokit
  let alice: Octokit

  beforeAll(async () => {
    gh = await startLocalGitHub()
    gh.addUser('gantry-bot', { token: tokens.bot, permission: 'write', type: 'Bot', readsOrgMembers: true })
    gh.addUser('author', {
      token: tokens.author,
      permission: 'write',
      name: 'Pat Author',
      email: 'pat@example.com',
    })
    gh.addUser('alice', { token: tokens.alice, permission: 'write' })
    gh.addUser('bob', { token: tokens.bob, permission: 'write' })
    gh.addTeam(OWNER, 'approvers', ['alice', 'bob'])
    await gh.createRepository(OWNER, REPO, {
      files: { 'config.yaml': 'a: 1\nb: 2\nc: 3\n', 'definitions/old-name.yaml': 'kind: x\nname: old\n' },
    })
    bot = octokitFor(gh, tokens.bot)
    alice = octokitFor(gh, tokens.alice)
  })

  afterAll(async () => {
    await gh?.stop()
  })

  async function branchWith(branch: string, commits: Record<string, string | null>[]): Promise<string> {
    let sha = ''
    for (const [index, files] of commits.entries()) {
      sha = await gh.commitFiles(OWNER, REPO, {
        branch,
        from: 'main',
        files,
        message: `${branch} ${index + 1}`,
        author: 'author',
      })
    }
    return sha
  }

  it('squash-merges into one commit authored by the pull request author', async () => {
    await branchWith('squash', [{ 'one.txt': '1\n' }, { 'two.txt': '2\n' }])
    const pull = await gh.openPullRequestAs('author', OWNER, REPO, {
      title: 'Squash me',
      head: 'squash',
      base: 'main',
    })
    const before = await gh.resolveRef(OWNER, REPO, 'main')
    const { data } = await bot.rest.pulls.merge({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      merge_method: 'squash',
    })
    const { data: commit } = await bot.rest.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: data.sha })
    expect(commit.parents.map((p) => p.sha)).toEqual([before])
    expect(commit.message).toBe(`Squash me (#${pull.number})\n\n* squash 1\n\n* squash 2`)
    expect(commit.author).toMatchObject({ name: 'Pat Author', email: 'pat@example.com' })
    expect(commit.committer).toMatchObject({ name: 'GitHub', email: 'noreply@github.com' })
    const { data: tree } = await bot.rest.git.getTree({ owner: OWNER, repo: REPO, tree_sha: data.sha })
    expect(tree.tree.map((e) => e.path)).toEqual(['config.yaml', 'definitions', 'one.txt', 'two.txt'])
  })

  it('rebase-merges by replaying each commit onto the base', async () => {
    await branchWith('rebase', [{ 'three.txt': '3\n' }, { 'four.txt': '4\n' }])
    const pull = await gh.openPullRequestAs('author', OWNER, REPO, {
      title: 'Rebase me',
      head: 'rebase',
      base: 'main',
    })
    const before = await gh.resolveRef(OWNER, REPO, 'main')
    const { data } = await bot.rest.pulls.merge({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      merge_method: 'rebase',
    })
    const { data: commits } = await bot.rest.repos.listCommits({
      owner: OWNER,
      repo: REPO,
      sha: 'main',
      per_page: 2,
    })
    expect(commits.map((c) => c.commit.message)).toEqual(['rebase 2', 'rebase 1'])
    expect(commits[0]?.sha).toBe(data.sha)
    expect(commits[1]?.parents.map((p) => p.sha)).toEqual([before])
    const { data: listed } = await bot.rest.pulls.listCommits({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
    })
    expect(listed.map((c) => c.commit.message)).toEqual(['rebase 1', 'rebase 2'])
  })

  it('reports a conflicting pull request as not mergeable and refuses to merge it', async () => {
    await branchWith('left', [{ 'config.yaml': 'a: 1\nb: left\nc: 3\n' }])
    await branchWith('right', [{ 'config.yaml': 'a: 1\nb: right\nc: 3\n' }])
    const left = await gh.openPullRequestAs('author', OWNER, REPO, {
      title: 'Left',
      head: 'left',
      base: 'main',
    })
    const right = await gh.openPullRequestAs('author', OWNER, REPO, {
      title: 'Right',
      head: 'right',
      base: 'main',
    })
    await gh.mergePullRequestAs('gantry-bot', OWNER, REPO, left.number)
    const { data } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: right.number })
    expect(data).toMatchObject({ mergeable: false, mergeable_state: 'dirty' })
    const refused = await statusOf(
      bot.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: right.number }),
    )
    expect(refused.status).toBe(405)
    expect(refused.message).toContain('not mergeable')
  })

  it('lists renamed files with their previous name', async () => {
    await branchWith('rename', [
      { 'definitions/old-name.yaml': null, 'definitions/new-name.yaml': 'kind: x\nname: old\n' },
    ])
    const pull = await gh.openPullRequestAs('author', OWNER, REPO, {
      title: 'Rename',
      head: 'rename',
      base: 'main',
    })
    const { data: files } = await bot.rest.pulls.listFiles({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
    })
    expect(files).toMatchObject([
      {
        filename: 'definitions/new-name.yaml',
        previous_filename: 'definitions/old-name.yaml',
        status: 'renamed',
      },
    ])
  })

  it('counts only the latest decisive review per reviewer; dismissals and pending reviews do not count', async () => {
    gh.protectBranch(OWNER, REPO, 'env/prod', { requiredApprovals: 2 })
    await gh.commitFiles(OWNER, REPO, { branch: 'env/prod', from: 'main', files: {}, message: 'env/prod' })
    await branchWith('promote', [{ 'release.txt': 'base@1\n' }])
    const pull = await gh.openPullRequestAs('gantry-bot', OWNER, REPO, {
      title: 'Promote',
      head: 'promote',
      base: 'env/prod',
    })
    const { data: requested } = await bot.rest.pulls.requestReviewers({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      reviewers: ['alice'],
      team_reviewers: ['approvers'],
    })
    expect(requested.requested_reviewers?.map((u) => u.login)).toEqual(['alice'])
    expect(requested.requested_teams?.map((t) => t.slug)).toEqual(['approvers'])
    const { data: membership } = await bot.rest.teams.getMembershipForUserInOrg({
      org: OWNER,
      team_slug: 'approvers',
      username: 'bob',
    })
    expect(membership.state).toBe('active')

    const { data: approval } = await alice.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      event: 'APPROVE',
    })
    const { data: after } = await bot.rest.pulls.listRequestedReviewers({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
    })
    expect(after.users).toEqual([])

    const pending = await octokitFor(gh, tokens.bob).rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
    })
    expect(pending.data.state).toBe('PENDING')
    expect((await gh.approvalStatus(OWNER, REPO, pull.number)).approvedBy).toEqual(['alice'])
    const { data: reviewsSeenByBot } = await bot.rest.pulls.listReviews({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
    })
    expect(reviewsSeenByBot.map((r) => r.state)).toEqual(['APPROVED'])
    await octokitFor(gh, tokens.bob).rest.pulls.submitReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      review_id: pending.data.id,
      event: 'APPROVE',
    })
    expect(await gh.approvalStatus(OWNER, REPO, pull.number)).toMatchObject({
      approvedBy: ['alice', 'bob'],
      satisfied: true,
    })

    await bot.rest.pulls.dismissReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
      review_id: approval.id,
      message: 'approved the wrong version',
    })
    expect(await gh.approvalStatus(OWNER, REPO, pull.number)).toMatchObject({
      approvedBy: ['bob'],
      satisfied: false,
    })
    const blocked = await statusOf(
      bot.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pull.number }),
    )
    expect(blocked.status).toBe(405)
    expect(blocked.message).toContain('At least 2 approving reviews are required')
  })

  it('reviews paginate like every list', async () => {
    await branchWith('many-reviews', [{ 'many.txt': 'many\n' }])
    const pull = await gh.openPullRequestAs('author', OWNER, REPO, {
      title: 'Many reviews',
      head: 'many-reviews',
      base: 'main',
    })
    for (let i = 0; i < 35; i++)
      await gh.review(i % 2 === 0 ? 'alice' : 'bob', OWNER, REPO, pull.number, 'COMMENT', { body: `r${i}` })
    await gh.review('bob', OWNER, REPO, pull.number, 'APPROVE')
    const first = await bot.rest.pulls.listReviews({ owner: OWNER, repo: REPO, pull_number: pull.number })
    expect(first.data).toHaveLength(30)
    expect(first.headers.link).toContain('page=2>; rel="last"')
    const all = await bot.paginate(bot.rest.pulls.listReviews, {
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
    })
    expect(all).toHaveLength(36)
    expect(all.at(-1)?.state).toBe('APPROVED')
  })

  it('closes, refuses a duplicate on reopen, and ignores a head filter without owner like GitHub', async () => {
    await branchWith('twice', [{ 'twice.txt': '2\n' }])
    const first = await gh.openPullRequestAs('gantry-bot', OWNER, REPO, {
      title: 'First',
      head: 'twice',
      base: 'main',
    })
    await bot.rest.pulls.update({ owner: OWNER, repo: REPO, pull_number: first.number, state: 'closed' })
    const second = await gh.openPullRequestAs('gantry-bot', OWNER, REPO, {
      title: 'Second',
      head: 'twice',
      base: 'main',
    })
    const reopen = await statusOf(
      bot.rest.pulls.update({ owner: OWNER, repo: REPO, pull_number: first.number, state: 'open' }),
    )
    expect(reopen.status).toBe(422)
    expect(reopen.message).toContain('A pull request already exists')

    const { data: byHead } = await bot.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      head: `${OWNER}:twice`,
      state: 'all',
    })
    expect(byHead.map((p) => p.number)).toEqual([second.number, first.number])
    const { data: unfiltered } = await bot.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      head: 'twice',
      state: 'all',
    })
    expect(unfiltered.length).toBeGreaterThan(2)
    const nothing = await statusOf(
      bot.rest.pulls.create({ owner: OWNER, repo: REPO, title: 'x', head: 'main', base: 'main' }),
    )
    expect(nothing.message).toContain('No commits between main and main')
  })

  it('refuses to merge a draft', async () => {
    await branchWith('draft', [{ 'draft.txt': 'd\n' }])
    const { data: pull } = await bot.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      title: 'Draft',
      head: 'draft',
      base: 'main',
      draft: true,
    })
    expect(pull).toMatchObject({ draft: true, mergeable_state: 'draft' })
    expect(
      (await statusOf(bot.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pull.number }))).status,
    ).toBe(405)
  })

  it('updates refs with compare-and-swap only', async () => {
    const state = gh.getState().repositories[`${OWNER}/${REPO}`]
    const repo = new BareRepository(state?.gitDir ?? '')
    const main = (await repo.readRef('refs/heads/main')) ?? ''
    const draft = (await repo.readRef('refs/heads/draft')) ?? ''
    expect(await repo.updateRef('refs/heads/main', draft, draft)).toBe(false)
    expect(await repo.readRef('refs/heads/main')).toBe(main)
    expect(await repo.updateRef('refs/heads/main', main, null)).toBe(false)
  })

  it('stays within GitHub’s API description', () => {
    expect(gh.violations).toEqual([])
  })
})
