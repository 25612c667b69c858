import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startLocalGitHub, type LocalGitHub } from './server.js'
import { commitAll, git, octokitFor, scratchDir, statusOf, tryGit } from './test-support.js'

const OWNER = 'acme'
const REPO = 'protected'
const tokens = {
  bot: 'ghs_protect_bot',
  admin: 'ghp_protect_admin',
  alice: 'ghp_protect_alice',
  bob: 'ghp_protect_bob',
}

describe('local GitHub: branch protection beyond approvals', () => {
  let gh: LocalGitHub
  let scratch: Awaited<ReturnType<typeof scratchDir>>

  beforeAll(async () => {
    gh = await startLocalGitHub()
    scratch = await scratchDir()
    gh.addUser('gantry-bot', { token: tokens.bot, permission: 'write', type: 'Bot' })
    gh.addUser('admin', { token: tokens.admin, permission: 'admin' })
    gh.addUser('alice', { token: tokens.alice, permission: 'write' })
    gh.addUser('bob', { token: tokens.bob, permission: 'write' })
    await gh.createRepository(OWNER, REPO, {
      files: { 'ledger.yaml': 'version: 1\n' },
      branches: ['env/prod', 'env/dev'],
    })
    gh.protectBranch(OWNER, REPO, 'env/prod', { requiredApprovals: 1, requireLastPushApproval: true })
    gh.protectBranch(OWNER, REPO, 'env/dev', { requiredApprovals: 1, allowDirectPushes: true })
  })

  afterAll(async () => {
    await gh?.stop()
    await scratch?.remove()
  })

  it('refuses direct pushes to a branch that requires reviews, over git and over the API', async () => {
    const work = `${scratch.path}/bot`
    await git(scratch.path, [
      'clone',
      '--quiet',
      '--branch',
      'env/prod',
      gh.gitUrl(OWNER, REPO, tokens.bot),
      work,
    ])
    const sha = await commitAll(work, { 'ledger.yaml': 'version: 2\n' }, 'Hand edit')
    const pushed = await tryGit(work, ['push', 'origin', 'HEAD:env/prod'])
    expect(pushed.exitCode).not.toBe(0)
    expect(pushed.stderr).toContain('GH006: Protected branch update failed for refs/heads/env/prod.')

    await git(work, ['push', '--quiet', 'origin', 'HEAD:refs/heads/hand-edit'])
    const bot = octokitFor(gh, tokens.bot)
    const refused = await statusOf(
      bot.rest.git.updateRef({ owner: OWNER, repo: REPO, ref: 'heads/env/prod', sha }),
    )
    expect(refused.status).toBe(422)
    expect(refused.message).toContain('Protected branch update failed')
    // A protected branch that allows direct pushes takes them.
    await git(work, ['push', '--quiet', '--force', 'origin', 'HEAD:env/dev'])
    expect(await gh.resolveRef(OWNER, REPO, 'env/dev')).toBe(sha)
  })

  it('lets admins push directly unless protection is enforced for admins', async () => {
    const work = `${scratch.path}/admin`
    await git(scratch.path, [
      'clone',
      '--quiet',
      '--branch',
      'env/prod',
      gh.gitUrl(OWNER, REPO, tokens.admin),
      work,
    ])
    const sha = await commitAll(work, { 'ledger.yaml': 'version: 3\n' }, 'Admin fix')
    await git(work, ['push', '--quiet', 'origin', 'HEAD:env/prod'])
    expect(await gh.resolveRef(OWNER, REPO, 'env/prod')).toBe(sha)
    const pushes = gh.getState().repositories[`${OWNER}/${REPO}`]?.pushes ?? []
    expect(pushes.at(-1)).toMatchObject({
      ref: 'refs/heads/env/prod',
      after: sha,
      login: 'admin',
      via: 'git',
    })

    gh.protectBranch(OWNER, REPO, 'env/prod', {
      requiredApprovals: 1,
      requireLastPushApproval: true,
      enforceAdmins: true,
    })
    await commitAll(work, { 'ledger.yaml': 'version: 4\n' }, 'Admin again')
    expect((await tryGit(work, ['push', 'origin', 'HEAD:env/prod'])).exitCode).not.toBe(0)
  })

  it('does not count the approval of the last pusher when the rule asks for it', async () => {
    await gh.commitFiles(OWNER, REPO, {
      branch: 'promote/prod',
      from: 'env/prod',
      files: { 'ledger.yaml': 'version: 5\n' },
      message: 'Promote',
      author: 'gantry-bot',
    })
    const pull = await gh.openPullRequestAs('gantry-bot', OWNER, REPO, {
      title: 'Promote',
      head: 'promote/prod',
      base: 'env/prod',
    })
    // Alice pushes to the promotion branch, then approves it: her approval does not count.
    const work = `${scratch.path}/alice`
    await git(scratch.path, [
      'clone',
      '--quiet',
      '--branch',
      'promote/prod',
      gh.gitUrl(OWNER, REPO, tokens.alice),
      work,
    ])
    await commitAll(work, { 'ledger.yaml': 'version: 6\n' }, 'Tweak', 'Alice')
    await git(work, ['push', '--quiet', 'origin', 'promote/prod'])
    await gh.review('alice', OWNER, REPO, pull.number, 'APPROVE')
    expect(await gh.approvalStatus(OWNER, REPO, pull.number)).toMatchObject({
      approvedBy: [],
      satisfied: false,
    })
    await gh.review('bob', OWNER, REPO, pull.number, 'APPROVE')
    expect(await gh.approvalStatus(OWNER, REPO, pull.number)).toMatchObject({
      approvedBy: ['bob'],
      satisfied: true,
    })
    const { data } = await octokitFor(gh, tokens.bot).rest.pulls.merge({
      owner: OWNER,
      repo: REPO,
      pull_number: pull.number,
    })
    expect(data.merged).toBe(true)
    const pushes = gh.getState().repositories[`${OWNER}/${REPO}`]?.pushes ?? []
    expect(pushes.at(-1)).toMatchObject({
      ref: 'refs/heads/env/prod',
      after: data.sha,
      login: 'gantry-bot',
      via: 'merge',
    })
  })

  it('stays within GitHub’s API description', () => {
    expect(gh.violations).toEqual([])
  })
})
