import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalGitHub, type LocalGitHub } from './server.js'
import { commitAll, git, octokitFor, scratchDir, statusOf, tryGit } from './test-support.js'

// GitHub's rules that Gantry's gate relies on, each as GitHub documents it (see rules.ts for the names).
const OWNER = 'acme'
const tokens = {
  bot: 'ghs_rules_bot',
  other: 'ghs_rules_other_app',
  admin: 'ghp_rules_admin',
  maintainer: 'ghp_rules_maintainer',
  alice: 'ghp_rules_alice',
  bob: 'ghp_rules_bob',
  tria: 'ghp_rules_tria',
  reader: 'ghp_rules_reader',
  outsider: 'ghp_rules_outsider',
}

let gh: LocalGitHub
let scratch: Awaited<ReturnType<typeof scratchDir>>
let counter = 0

beforeAll(async () => {
  gh = await startLocalGitHub()
  scratch = await scratchDir()
  gh.addUser('gantry-bot', { token: tokens.bot, permission: 'write', type: 'Bot', readsOrgMembers: true })
  gh.addUser('other-app', { token: tokens.other, permission: 'write', type: 'Bot' })
  gh.addUser('admin', { token: tokens.admin, permission: 'admin' })
  gh.addUser('maintainer', { token: tokens.maintainer, permission: 'maintain' })
  gh.addUser('alice', { token: tokens.alice, permission: 'write' })
  gh.addUser('bob', { token: tokens.bob, permission: 'write' })
  gh.addUser('tria', { token: tokens.tria, permission: 'triage' })
  gh.addUser('reader', { token: tokens.reader, permission: 'read' })
  gh.addUser('outsider', { token: tokens.outsider, permission: 'read' })
  gh.addTeam(OWNER, 'approvers', ['alice', 'bob'])
})

afterAll(async () => {
  await gh?.stop()
  await scratch?.remove()
})

/** A new repository with env/dev and env/qa, and a clone of it for `token`. */
async function repository(token = tokens.alice): Promise<{ name: string; work: string }> {
  const name = `rules-${++counter}`
  await gh.createRepository(OWNER, name, { files: { 'ledger.yaml': 'version: 1\n' }, branches: ['env/dev', 'env/qa'] })
  const work = `${scratch.path}/${name}`
  await git(scratch.path, ['clone', '--quiet', gh.gitUrl(OWNER, name, token), work])
  return { name, work }
}

/** A pull request from a new branch `from` into `base`, by alice. */
async function pullInto(name: string, base: string, from: string): Promise<number> {
  await gh.commitFiles(OWNER, name, { branch: from, from: base, files: { [`${from}.txt`]: `${from}\n` }, message: from, author: 'alice' })
  return (await gh.openPullRequestAs('alice', OWNER, name, { title: from, head: from, base })).number
}

describe('rulesets: restrict updates and creations, with bypass actors', () => {
  it('refuses a push to env/** by anyone but the bypass actor, over git with GH013 and over the API', async () => {
    const { name, work } = await repository()
    gh.addRuleset(OWNER, name, { name: 'environments', target: 'branch', include: ['env/**'], bypass: ['gantry-bot'], restrictUpdates: true })
    await git(work, ['checkout', '--quiet', 'env/dev'])
    const sha = await commitAll(work, { 'ledger.yaml': 'version: 2\n' }, 'Hand edit')

    const pushed = await tryGit(work, ['push', 'origin', 'HEAD:env/dev'])
    expect(pushed.exitCode).not.toBe(0)
    expect(pushed.stderr).toContain('GH013: Repository rule violations found for refs/heads/env/dev.')
    expect(pushed.stderr).toContain('- Cannot update this protected ref.')
    expect(pushed.stderr).toContain(`/${OWNER}/${name}/rules?ref=refs%2Fheads%2Fenv%2Fdev`)
    expect(await gh.resolveRef(OWNER, name, 'env/dev')).not.toBe(sha)

    // Even an admin is bound unless named as a bypass actor.
    await git(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/hand-edit'])
    const admin = octokitFor(gh, tokens.admin)
    const refused = await statusOf(admin.rest.git.updateRef({ owner: OWNER, repo: name, ref: 'heads/env/dev', sha }))
    expect(refused.status).toBe(422)
    expect(refused.message).toContain('Repository rule violations found')

    // The bypass actor pushes.
    await git(work, ['push', '--quiet', gh.gitUrl(OWNER, name, tokens.bot), 'HEAD:env/dev'])
    expect(await gh.resolveRef(OWNER, name, 'env/dev')).toBe(sha)
    // A branch the set does not match takes pushes.
    await git(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/feature'])
    expect(gh.violations).toEqual([])
  })

  it('refuses merges through the API into a restricted branch, except by the bypass actor', async () => {
    const { name } = await repository()
    gh.addRuleset(OWNER, name, { name: 'environments', target: 'branch', include: ['env/**'], bypass: ['gantry-bot'], restrictUpdates: true })
    const number = await pullInto(name, 'env/qa', 'change-qa')
    const alice = octokitFor(gh, tokens.alice)
    const refused = await statusOf(alice.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number }))
    expect(refused.status).toBe(405)
    expect(refused.message).toContain('Cannot update this protected ref.')
    const bot = octokitFor(gh, tokens.bot)
    const { data } = await bot.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number })
    expect(data.merged).toBe(true)
    // GitHub records who merged.
    const { data: pull } = await alice.rest.pulls.get({ owner: OWNER, repo: name, pull_number: number })
    expect(pull.merged_by?.login).toBe('gantry-bot')
  })

  it('limits tags matching *@* to the bot: creations refused for others with GH013', async () => {
    const { name, work } = await repository()
    gh.addRuleset(OWNER, name, {
      name: 'versions',
      target: 'tag',
      include: ['*@*'],
      bypass: ['gantry-bot'],
      restrictCreations: true,
      restrictUpdates: true,
      restrictDeletions: true,
    })
    await git(work, ['tag', 'jobs@9'])
    const pushed = await tryGit(work, ['push', 'origin', 'refs/tags/jobs@9'])
    expect(pushed.exitCode).not.toBe(0)
    expect(pushed.stderr).toContain('GH013: Repository rule violations found for refs/tags/jobs@9.')
    expect(pushed.stderr).toContain('- Cannot create ref due to creations being restricted.')
    expect(await gh.resolveRef(OWNER, name, 'refs/tags/jobs@9')).toBeNull()

    const head = await git(work, ['rev-parse', 'HEAD'])
    const alice = octokitFor(gh, tokens.alice)
    const viaApi = await statusOf(alice.rest.git.createRef({ owner: OWNER, repo: name, ref: 'refs/tags/jobs@10', sha: head }))
    expect(viaApi.status).toBe(422)

    await git(work, ['tag', 'v1'])
    await git(work, ['push', '--quiet', 'origin', 'refs/tags/v1'])
    await git(work, ['push', '--quiet', gh.gitUrl(OWNER, name, tokens.bot), 'refs/tags/jobs@9'])
    expect(await gh.resolveRef(OWNER, name, 'refs/tags/jobs@9')).toBe(head)
    const deleted = await tryGit(work, ['push', 'origin', ':refs/tags/jobs@9'])
    expect(deleted.stderr).toContain('- Cannot delete this protected ref.')
  })

  it('requires reviews through a ruleset: a merge without the approvals is 405', async () => {
    const { name } = await repository()
    gh.addRuleset(OWNER, name, { name: 'reviews', target: 'branch', include: ['env/qa'], bypass: [], requiredApprovals: 1 })
    const number = await pullInto(name, 'env/qa', 'reviewed')
    const bot = octokitFor(gh, tokens.bot)
    const refused = await statusOf(bot.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number }))
    expect(refused.status).toBe(405)
    expect(refused.message).toContain('At least 1 approving review is required')
    await gh.review('bob', OWNER, name, number, 'APPROVE')
    expect((await bot.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number })).data.merged).toBe(true)
  })
})

describe('required status checks', () => {
  it('counts a check required from a specific app only when that app created it', async () => {
    const { name } = await repository()
    gh.protectBranch(OWNER, name, 'env/qa', { requiredApprovals: 0, requiredStatusChecks: [{ context: 'lock-check', app: 'gantry-bot' }] })
    const number = await pullInto(name, 'env/qa', 'checked')
    const head = (await gh.resolveRef(OWNER, name, 'checked'))!
    const merge = () => octokitFor(gh, tokens.alice).rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number })

    expect((await statusOf(merge())).message).toContain('Required status check "lock-check" is expected.')
    // A commit status of the same name, by a person, does not satisfy it.
    await octokitFor(gh, tokens.alice).rest.repos.createCommitStatus({ owner: OWNER, repo: name, sha: head, state: 'success', context: 'lock-check' })
    expect((await statusOf(merge())).status).toBe(405)
    // Nor does a check run of that name by another app.
    await octokitFor(gh, tokens.other).rest.checks.create({ owner: OWNER, repo: name, name: 'lock-check', head_sha: head, status: 'completed', conclusion: 'success' })
    expect((await statusOf(merge())).status).toBe(405)
    // A failing run by the app does not either; its success does.
    const bot = octokitFor(gh, tokens.bot)
    await bot.rest.checks.create({ owner: OWNER, repo: name, name: 'lock-check', head_sha: head, status: 'completed', conclusion: 'failure' })
    expect((await statusOf(merge())).status).toBe(405)
    await bot.rest.checks.create({ owner: OWNER, repo: name, name: 'lock-check', head_sha: head, status: 'completed', conclusion: 'success' })
    expect((await merge()).data.merged).toBe(true)
  })

  it('takes a plain status when no app is named', async () => {
    const { name } = await repository()
    gh.protectBranch(OWNER, name, 'env/dev', { requiredApprovals: 0, requiredStatusChecks: [{ context: 'ci' }] })
    const number = await pullInto(name, 'env/dev', 'status-only')
    const head = (await gh.resolveRef(OWNER, name, 'status-only'))!
    const alice = octokitFor(gh, tokens.alice)
    expect((await statusOf(alice.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number }))).status).toBe(405)
    await alice.rest.repos.createCommitStatus({ owner: OWNER, repo: name, sha: head, state: 'success', context: 'ci' })
    expect((await alice.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number })).data.merged).toBe(true)
  })
})

describe('roles: read, triage, write, maintain, admin', () => {
  it('lets triage label, close and reopen, but not push, merge, edit others’ text or approve', async () => {
    const { name, work } = await repository()
    const number = await pullInto(name, 'env/dev', 'triaged')
    const tria = octokitFor(gh, tokens.tria)
    await tria.rest.issues.addLabels({ owner: OWNER, repo: name, issue_number: number, labels: ['needs-work'] })
    await tria.rest.issues.update({ owner: OWNER, repo: name, issue_number: number, state: 'closed' })
    await tria.rest.issues.update({ owner: OWNER, repo: name, issue_number: number, state: 'open' })
    const pull = gh.getState().repositories[`${OWNER}/${name}`]!.issues.find((i) => i.number === number)!
    expect(pull).toMatchObject({ state: 'open', stateReason: 'reopened', labels: ['needs-work'] })

    expect((await statusOf(tria.rest.issues.update({ owner: OWNER, repo: name, issue_number: number, body: 'mine now' }))).status).toBe(403)
    expect((await statusOf(tria.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number }))).status).toBe(403)
    const reader = octokitFor(gh, tokens.reader)
    expect((await statusOf(reader.rest.issues.addLabels({ owner: OWNER, repo: name, issue_number: number, labels: ['x'] }))).status).toBe(403)

    gh.protectBranch(OWNER, name, 'env/dev', { requiredApprovals: 1 })
    await gh.review('tria', OWNER, name, number, 'APPROVE')
    expect((await gh.approvalStatus(OWNER, name, number)).approvedBy).toEqual([])

    const pushed = await tryGit(work, ['push', gh.gitUrl(OWNER, name, tokens.tria), 'HEAD:refs/heads/by-triage'])
    expect(pushed.exitCode).not.toBe(0)
    expect(pushed.stderr).toContain('Permission to')
    const { data: level } = await tria.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: name, username: 'tria' })
    expect(level.role_name).toBe('triage')
    expect(level.user?.permissions).toMatchObject({ pull: true, triage: true, push: false, maintain: false, admin: false })
  })

  it('lets maintain push and merge, and counts its approval', async () => {
    const { name, work } = await repository()
    await git(work, ['push', '--quiet', gh.gitUrl(OWNER, name, tokens.maintainer), 'HEAD:refs/heads/by-maintainer'])
    gh.protectBranch(OWNER, name, 'env/dev', { requiredApprovals: 1 })
    const number = await pullInto(name, 'env/dev', 'maintained')
    await gh.review('maintainer', OWNER, name, number, 'APPROVE')
    expect((await gh.approvalStatus(OWNER, name, number)).approvedBy).toEqual(['maintainer'])
    const maintainer = octokitFor(gh, tokens.maintainer)
    expect((await maintainer.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number })).data.merged).toBe(true)
    const { data: level } = await maintainer.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: name, username: 'maintainer' })
    expect(level.user?.permissions).toMatchObject({ push: true, maintain: true, admin: false })
  })
})

describe('merges and limits', () => {
  it('answers 405 when the base branch moved during the merge, and leaves the pull request open', async () => {
    const { name } = await repository()
    const number = await pullInto(name, 'env/dev', 'raced')
    gh.injectFault({ kind: 'base-moved', route: 'pulls/merge' })
    const alice = octokitFor(gh, tokens.alice)
    const refused = await statusOf(alice.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number }))
    expect(refused.status).toBe(405)
    expect(refused.message).toContain('Base branch was modified. Review and try the merge again.')
    const { data } = await alice.rest.pulls.get({ owner: OWNER, repo: name, pull_number: number })
    expect(data).toMatchObject({ state: 'open', merged: false, merged_by: null })
    expect((await alice.rest.pulls.merge({ owner: OWNER, repo: name, pull_number: number })).data.merged).toBe(true)
  })

  it('refuses bodies over 65,536 characters on issues, pull requests and comments with 422', async () => {
    const { name } = await repository()
    const alice = octokitFor(gh, tokens.alice)
    const limit = 'x'.repeat(65_536)
    const over = `${limit}y`
    const refusedIssue = await statusOf(alice.rest.issues.create({ owner: OWNER, repo: name, title: 't', body: over }))
    expect(refusedIssue.status).toBe(422)
    expect(refusedIssue.message).toContain('body is too long (maximum is 65536 characters)')
    const { data: issue } = await alice.rest.issues.create({ owner: OWNER, repo: name, title: 't', body: limit })
    expect((await statusOf(alice.rest.issues.update({ owner: OWNER, repo: name, issue_number: issue.number, body: over }))).status).toBe(422)
    expect((await statusOf(alice.rest.issues.createComment({ owner: OWNER, repo: name, issue_number: issue.number, body: over }))).status).toBe(422)
    const { data: comment } = await alice.rest.issues.createComment({ owner: OWNER, repo: name, issue_number: issue.number, body: limit })
    expect((await statusOf(alice.rest.issues.updateComment({ owner: OWNER, repo: name, comment_id: comment.id, body: over }))).status).toBe(422)

    await gh.commitFiles(OWNER, name, { branch: 'long', from: 'main', files: { 'a.txt': 'a\n' }, message: 'a', author: 'alice' })
    const refusedPull = await statusOf(alice.rest.pulls.create({ owner: OWNER, repo: name, title: 'p', head: 'long', base: 'main', body: over }))
    expect(refusedPull.status).toBe(422)
    const { data: pull } = await alice.rest.pulls.create({ owner: OWNER, repo: name, title: 'p', head: 'long', base: 'main', body: limit })
    expect((await statusOf(alice.rest.pulls.update({ owner: OWNER, repo: name, pull_number: pull.number, body: over }))).status).toBe(422)
    // Characters, not bytes: 65,536 two-byte characters pass.
    await alice.rest.issues.createComment({ owner: OWNER, repo: name, issue_number: issue.number, body: 'é'.repeat(65_536) })
    gh.clearViolations()
  })

  it('reads team membership only with the right permission', async () => {
    const membership = (token: string) =>
      octokitFor(gh, token).rest.teams.getMembershipForUserInOrg({ org: OWNER, team_slug: 'approvers', username: 'bob' })
    expect((await membership(tokens.bot)).data.state).toBe('active')
    expect((await membership(tokens.alice)).data.state).toBe('active')
    // An App without the organization permission "Members: read", like Actions' GITHUB_TOKEN: 403.
    const app = await statusOf(membership(tokens.other))
    expect(app.status).toBe(403)
    expect(app.message).toContain('Resource not accessible by integration')
    // Someone outside the organization does not see its teams.
    expect((await statusOf(membership(tokens.outsider))).status).toBe(404)
    const list = await statusOf(octokitFor(gh, tokens.other).rest.teams.listMembersInOrg({ org: OWNER, team_slug: 'approvers' }))
    expect(list.status).toBe(403)
  })
})

describe('pull request refs', () => {
  it('keeps refs/pull/<n>/head at the head, fetchable, and refuses pushes to it', async () => {
    const { name, work } = await repository()
    const number = await pullInto(name, 'env/dev', 'fetched')
    await git(work, ['fetch', '--quiet', 'origin', `+refs/pull/${number}/head:refs/remotes/pr/${number}`])
    expect(await git(work, ['rev-parse', `refs/remotes/pr/${number}`])).toBe(await gh.resolveRef(OWNER, name, 'fetched'))
    const moved = await gh.commitFiles(OWNER, name, { branch: 'fetched', files: { 'more.txt': 'more\n' }, message: 'more', author: 'alice' })
    expect(await gh.resolveRef(OWNER, name, `refs/pull/${number}/head`)).toBe(moved)
    const pushed = await tryGit(work, ['push', '--force', 'origin', `HEAD:refs/pull/${number}/head`])
    expect(pushed.exitCode).not.toBe(0)
    expect(pushed.stderr).toContain('deny updating a hidden ref')
  })
})

describe('releases: drafts and immutable releases', () => {
  it('hides drafts from readers, takes uploads on a draft and refuses them once an immutable release is published', async () => {
    const { name } = await repository()
    gh.setImmutableReleases(OWNER, name, true)
    const bot = octokitFor(gh, tokens.bot)
    const { data: draft } = await bot.rest.repos.createRelease({ owner: OWNER, repo: name, tag_name: 'jobs@1', draft: true })
    expect(draft.immutable).toBe(false)
    expect(await gh.resolveRef(OWNER, name, 'refs/tags/jobs@1')).toBeNull()
    const reader = octokitFor(gh, tokens.reader)
    expect((await statusOf(reader.rest.repos.getRelease({ owner: OWNER, repo: name, release_id: draft.id }))).status).toBe(404)
    expect((await statusOf(bot.rest.repos.getReleaseByTag({ owner: OWNER, repo: name, tag: 'jobs@1' }))).status).toBe(404)

    const upload = (file: string) =>
      bot.rest.repos.uploadReleaseAsset({
        owner: OWNER,
        repo: name,
        release_id: draft.id,
        name: file,
        url: draft.upload_url,
        data: '{}',
        headers: { 'content-type': 'application/json', 'content-length': 2 },
      })
    const { data: asset } = await upload('jobs@1.bundle.json')
    const { data: published } = await bot.rest.repos.updateRelease({ owner: OWNER, repo: name, release_id: draft.id, draft: false })
    expect(published).toMatchObject({ draft: false, immutable: true })
    expect(published.assets.map((a) => a.name)).toEqual(['jobs@1.bundle.json'])
    expect(await gh.resolveRef(OWNER, name, 'refs/tags/jobs@1')).not.toBeNull()

    const late = await statusOf(upload('late.json'))
    expect(late.status).toBe(422)
    expect(late.message).toContain('Cannot upload assets to an immutable release.')
    expect((await statusOf(bot.rest.repos.deleteReleaseAsset({ owner: OWNER, repo: name, asset_id: asset.id }))).status).toBe(422)

    // Without the setting, a published release still takes uploads.
    gh.setImmutableReleases(OWNER, name, false)
    const { data: mutable } = await bot.rest.repos.createRelease({ owner: OWNER, repo: name, tag_name: 'jobs@2' })
    expect(mutable.immutable).toBe(false)
    await bot.rest.repos.uploadReleaseAsset({
      owner: OWNER,
      repo: name,
      release_id: mutable.id,
      name: 'after.json',
      url: mutable.upload_url,
      data: '{}',
      headers: { 'content-type': 'application/json', 'content-length': 2 },
    })
    expect(gh.violations).toEqual([])
  })
})
