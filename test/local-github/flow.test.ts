import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Octokit } from '@octokit/rest'
import { startLocalGitHub, type LocalGitHub } from './server.js'
import { commitAll, git, octokitFor, scratchDir, statusOf, tryGit, writeFiles } from './test-support.js'

const OWNER = 'acme'
const REPO = 'definitions'
const tokens = {
  bot: 'ghs_bot_token',
  author: 'ghp_author_token',
  alice: 'ghp_alice_token',
  bob: 'ghp_bob_token',
  reader: 'ghp_reader_token',
}

describe('local GitHub: a pull request from push to release, over real HTTP and real git', () => {
  let gh: LocalGitHub
  let scratch: Awaited<ReturnType<typeof scratchDir>>
  let work: string
  let author: Octokit
  let alice: Octokit
  let bot: Octokit
  let pullNumber = 0
  let firstHead = ''

  beforeAll(async () => {
    gh = await startLocalGitHub()
    scratch = await scratchDir()
    gh.addUser('gantry-bot', { token: tokens.bot, permission: 'write', type: 'Bot' })
    gh.addUser('author', { token: tokens.author, permission: 'write' })
    gh.addUser('alice', { token: tokens.alice, permission: 'write' })
    gh.addUser('bob', { token: tokens.bob, permission: 'write' })
    gh.addUser('reader', { token: tokens.reader, permission: 'read' })
    const seed = `${scratch.path}/seed`
    await writeFiles(seed, {
      'gantry.yaml': 'environments: [dev, qa, prod]\n',
      'definitions/agent/linux.yaml': 'kind: agent\nname: linux\n',
    })
    await gh.createRepository(OWNER, REPO, { fromDirectory: seed, branches: ['env/dev', 'env/qa'] })
    author = octokitFor(gh, tokens.author)
    alice = octokitFor(gh, tokens.alice)
    bot = octokitFor(gh, tokens.bot)
    work = `${scratch.path}/work`
  })

  afterAll(async () => {
    await gh?.stop()
    await scratch?.remove()
  })

  it('clones over smart HTTP with a token and pushes a branch', async () => {
    await git(scratch.path, ['clone', '--quiet', gh.gitUrl(OWNER, REPO, tokens.author), work])
    expect(await git(work, ['ls-files'])).toContain('definitions/agent/linux.yaml')
    await git(work, ['checkout', '--quiet', '-b', 'feature/one'])
    firstHead = await commitAll(
      work,
      { 'definitions/agent/windows.yaml': 'kind: agent\nname: windows\n' },
      'Add windows agent',
    )
    await git(work, ['push', '--quiet', 'origin', 'feature/one'])
    expect(await gh.resolveRef(OWNER, REPO, 'refs/heads/feature/one')).toBe(firstHead)
    expect(gh.gitRequests.some((r) => r.service === 'receive-pack' && r.status === 200)).toBe(true)
  })

  it('takes a push larger than git’s post buffer (a chunked request body)', async () => {
    const big = `${scratch.path}/big`
    await git(scratch.path, ['clone', '--quiet', gh.gitUrl(OWNER, REPO, tokens.author), big])
    await writeFiles(big, { 'big.txt': randomBytes(1_500_000).toString('base64') })
    await git(big, ['add', '--all'])
    await git(big, ['commit', '--quiet', '-m', 'Big file'])
    await git(big, ['push', '--quiet', 'origin', 'HEAD:refs/heads/big'])
    expect(await gh.resolveRef(OWNER, REPO, 'refs/heads/big')).toBe(await git(big, ['rev-parse', 'HEAD']))
  })

  it('refuses a push from a read-only user (403) and an unknown token (401)', async () => {
    await git(work, ['remote', 'add', 'reader', gh.gitUrl(OWNER, REPO, tokens.reader)])
    const denied = await tryGit(work, ['push', 'reader', 'HEAD:refs/heads/sneaky'])
    expect(denied.exitCode).not.toBe(0)
    expect(denied.stderr).toMatch(/403/)
    const unknown = await tryGit(scratch.path, ['ls-remote', gh.gitUrl(OWNER, REPO, 'not-a-token')])
    expect(unknown.exitCode).not.toBe(0)
    expect(unknown.stderr).toMatch(/Authentication failed|401/)
    expect(await gh.resolveRef(OWNER, REPO, 'refs/heads/sneaky')).toBeNull()
    // Reading is fine for the read-only user.
    const listed = await git(scratch.path, ['ls-remote', gh.gitUrl(OWNER, REPO, tokens.reader)])
    expect(listed).toContain('refs/heads/feature/one')
  })

  it('opens a pull request and refuses a second one for the same head and base', async () => {
    const { data: pull } = await author.rest.pulls.create({
      owner: OWNER,
      repo: REPO,
      title: 'Add the windows agent',
      head: 'feature/one',
      base: 'main',
      body: 'Adds `agent/windows`.',
    })
    pullNumber = pull.number
    expect(pull).toMatchObject({
      state: 'open',
      merged: false,
      draft: false,
      head: { ref: 'feature/one', sha: firstHead },
      base: { ref: 'main' },
      user: { login: 'author' },
      body: 'Adds `agent/windows`.',
    })
    expect(pull.html_url).toBe(`${gh.webUrl}/${OWNER}/${REPO}/pull/${pull.number}`)
    const duplicate = await statusOf(
      author.rest.pulls.create({
        owner: OWNER,
        repo: REPO,
        title: 'Again',
        head: `${OWNER}:feature/one`,
        base: 'main',
      }),
    )
    expect(duplicate.status).toBe(422)
    expect(duplicate.message).toContain('A pull request already exists')

    const { data: open } = await bot.rest.pulls.list({
      owner: OWNER,
      repo: REPO,
      head: `${OWNER}:feature/one`,
      base: 'main',
    })
    expect(open.map((p) => p.number)).toEqual([pullNumber])
    const { data: files } = await bot.rest.pulls.listFiles({
      owner: OWNER,
      repo: REPO,
      pull_number: pullNumber,
    })
    expect(files).toMatchObject([
      { filename: 'definitions/agent/windows.yaml', status: 'added', additions: 2 },
    ])
    const { data: full } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pullNumber })
    expect(full).toMatchObject({ mergeable: true, mergeable_state: 'clean', commits: 1, changed_files: 1 })
  })

  it('blocks the merge until approved, and refuses self-approval', async () => {
    gh.protectBranch(OWNER, REPO, 'main', { requiredApprovals: 1 })
    const { data: blocked } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pullNumber })
    expect(blocked.mergeable_state).toBe('blocked')
    const refused = await statusOf(
      bot.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pullNumber }),
    )
    expect(refused.status).toBe(405)
    expect(refused.message).toContain('approving review is required')

    const self = await statusOf(
      author.rest.pulls.createReview({ owner: OWNER, repo: REPO, pull_number: pullNumber, event: 'APPROVE' }),
    )
    expect(self.status).toBe(422)
    expect(self.message).toContain('Can not approve your own pull request')
    // A read-only user's approval does not count either.
    await octokitFor(gh, tokens.reader).rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pullNumber,
      event: 'APPROVE',
    })
    expect((await gh.approvalStatus(OWNER, REPO, pullNumber)).approvedBy).toEqual([])

    const { data: approval } = await alice.rest.pulls.createReview({
      owner: OWNER,
      repo: REPO,
      pull_number: pullNumber,
      event: 'APPROVE',
    })
    expect(approval).toMatchObject({ state: 'APPROVED', commit_id: firstHead, user: { login: 'alice' } })
    expect((await gh.approvalStatus(OWNER, REPO, pullNumber)).satisfied).toBe(true)
  })

  it('does not count an approval of an older head, and answers 409 to a merge with a stale sha', async () => {
    const secondHead = await commitAll(
      work,
      { 'definitions/agent/windows.yaml': 'kind: agent\nname: windows\nos: 2022\n' },
      'Pin the OS',
    )
    await git(work, ['push', '--quiet', 'origin', 'feature/one'])
    const { data: moved } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pullNumber })
    expect(moved.head.sha).toBe(secondHead)
    expect(moved.mergeable_state).toBe('blocked')

    await gh.review('bob', OWNER, REPO, pullNumber, 'APPROVE')
    const stale = await statusOf(
      bot.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pullNumber, sha: firstHead }),
    )
    expect(stale.status).toBe(409)
    expect(stale.message).toContain('Head branch was modified')
    expect(await gh.resolveRef(OWNER, REPO, 'main')).not.toBe(secondHead)

    // The latest decisive review counts: bob asks for changes, then approves again.
    await gh.review('bob', OWNER, REPO, pullNumber, 'REQUEST_CHANGES')
    expect((await gh.approvalStatus(OWNER, REPO, pullNumber)).satisfied).toBe(false)
    await gh.review('bob', OWNER, REPO, pullNumber, 'APPROVE')
    expect(await gh.approvalStatus(OWNER, REPO, pullNumber)).toMatchObject({
      approvedBy: ['bob'],
      satisfied: true,
    })
  })

  it('merges for real, and the merge is visible to git fetch', async () => {
    const { data: result } = await bot.rest.pulls.merge({
      owner: OWNER,
      repo: REPO,
      pull_number: pullNumber,
      sha: await git(work, ['rev-parse', 'HEAD']),
      merge_method: 'merge',
    })
    expect(result.merged).toBe(true)
    const again = await statusOf(bot.rest.pulls.merge({ owner: OWNER, repo: REPO, pull_number: pullNumber }))
    expect(again.status).toBe(405)

    await git(work, ['fetch', '--quiet', 'origin'])
    expect(await git(work, ['rev-parse', 'origin/main'])).toBe(result.sha)
    expect(await git(work, ['log', '-1', '--format=%s', 'origin/main'])).toBe(
      `Merge pull request #${pullNumber} from ${OWNER}/feature/one`,
    )
    expect(await git(work, ['show', 'origin/main:definitions/agent/windows.yaml'])).toContain('os: 2022')
    expect((await git(work, ['rev-list', '--parents', '-1', 'origin/main'])).split(' ')).toHaveLength(3)

    const { data: merged } = await bot.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: pullNumber })
    expect(merged).toMatchObject({
      state: 'closed',
      merged: true,
      merge_commit_sha: result.sha,
      merged_by: { login: 'gantry-bot' },
    })
    expect(merged.merged_at).not.toBeNull()
    const state = gh.getState().repositories[`${OWNER}/${REPO}`]
    expect(state?.issues.find((i) => i.number === pullNumber)?.pull?.merged).toBe(true)
  })

  it('creates an annotated tag through the API that git fetch --tags sees', async () => {
    const main = await gh.resolveRef(OWNER, REPO, 'main')
    const { data: tag } = await bot.rest.git.createTag({
      owner: OWNER,
      repo: REPO,
      tag: 'base@1',
      message: 'base 1\n\ndigest: sha256:abc',
      object: main ?? '',
      type: 'commit',
      tagger: { name: 'Gantry', email: 'gantry@example.com', date: '2024-05-01T10:00:00Z' },
    })
    await bot.rest.git.createRef({ owner: OWNER, repo: REPO, ref: 'refs/tags/base@1', sha: tag.sha })
    const exists = await statusOf(
      bot.rest.git.createRef({ owner: OWNER, repo: REPO, ref: 'refs/tags/base@1', sha: tag.sha }),
    )
    expect(exists.status).toBe(422)
    expect(exists.message).toContain('Reference already exists')

    const { data: ref } = await bot.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'tags/base@1' })
    expect(ref.object).toMatchObject({ type: 'tag', sha: tag.sha })
    const { data: read } = await bot.rest.git.getTag({ owner: OWNER, repo: REPO, tag_sha: tag.sha })
    expect(read).toMatchObject({
      tag: 'base@1',
      object: { sha: main, type: 'commit' },
      tagger: { name: 'Gantry', date: '2024-05-01T10:00:00Z' },
    })
    expect(read.message).toContain('digest: sha256:abc')
    const { data: matching } = await bot.rest.git.listMatchingRefs({
      owner: OWNER,
      repo: REPO,
      ref: 'tags/base@',
    })
    expect(matching.map((r) => r.ref)).toEqual(['refs/tags/base@1'])

    await git(work, ['fetch', '--quiet', '--tags', 'origin'])
    expect(await git(work, ['cat-file', '-t', 'base@1'])).toBe('tag')
    expect(await git(work, ['rev-parse', 'base@1^{commit}'])).toBe(main)
  })

  it('moves refs only by fast-forward unless forced, with compare-and-swap', async () => {
    const main = (await gh.resolveRef(OWNER, REPO, 'main')) ?? ''
    const devBefore = (await gh.resolveRef(OWNER, REPO, 'env/dev')) ?? ''
    await bot.rest.git.updateRef({ owner: OWNER, repo: REPO, ref: 'heads/env/dev', sha: main })
    expect(await gh.resolveRef(OWNER, REPO, 'env/dev')).toBe(main)
    const backwards = await statusOf(
      bot.rest.git.updateRef({ owner: OWNER, repo: REPO, ref: 'heads/env/dev', sha: devBefore }),
    )
    expect(backwards.status).toBe(422)
    expect(backwards.message).toContain('not a fast forward')
    await bot.rest.git.updateRef({
      owner: OWNER,
      repo: REPO,
      ref: 'heads/env/dev',
      sha: devBefore,
      force: true,
    })
    expect(await gh.resolveRef(OWNER, REPO, 'env/dev')).toBe(devBefore)
    await bot.rest.git.deleteRef({ owner: OWNER, repo: REPO, ref: 'heads/feature/one' })
    expect(
      (await statusOf(bot.rest.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/feature/one' }))).status,
    ).toBe(404)
  })

  it('serves contents, commits and comparisons from the repository', async () => {
    const { data: file } = await bot.rest.repos.getContent({
      owner: OWNER,
      repo: REPO,
      path: 'definitions/agent/windows.yaml',
      ref: 'main',
    })
    if (Array.isArray(file) || file.type !== 'file') throw new Error('expected a file')
    expect(Buffer.from(file.content, 'base64').toString()).toContain('os: 2022')
    const { data: dir } = await bot.rest.repos.getContent({
      owner: OWNER,
      repo: REPO,
      path: 'definitions/agent',
    })
    expect(Array.isArray(dir) ? dir.map((e) => e.name) : []).toEqual(['linux.yaml', 'windows.yaml'])
    expect(
      (await statusOf(bot.rest.repos.getContent({ owner: OWNER, repo: REPO, path: 'missing.yaml' }))).status,
    ).toBe(404)

    const { data: comparison } = await bot.rest.repos.compareCommits({
      owner: OWNER,
      repo: REPO,
      base: 'env/dev',
      head: 'main',
    })
    expect(comparison).toMatchObject({ status: 'ahead', ahead_by: 3, behind_by: 0 })
    expect(comparison.files?.map((f) => f.filename)).toEqual(['definitions/agent/windows.yaml'])
    const { data: commit } = await bot.rest.repos.getCommit({ owner: OWNER, repo: REPO, ref: 'main' })
    expect(commit.parents).toHaveLength(2)

    const { data: written } = await bot.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: REPO,
      path: '.gantry/installed/base.yaml',
      branch: 'env/dev',
      message: 'Record base 1',
      content: Buffer.from('package: base\nversion: "1"\n').toString('base64'),
    })
    await git(work, ['fetch', '--quiet', 'origin'])
    expect(await git(work, ['show', 'origin/env/dev:.gantry/installed/base.yaml'])).toContain('package: base')
    expect(written.commit.sha).toBe(await git(work, ['rev-parse', 'origin/env/dev']))
  })

  it('keeps releases, uploads assets and serves their bytes', async () => {
    const { data: release } = await bot.rest.repos.createRelease({
      owner: OWNER,
      repo: REPO,
      tag_name: 'base@1',
      name: 'base 1',
      body: 'First release',
    })
    expect(release.upload_url).toBe(
      `${gh.webUrl}/api/uploads/repos/${OWNER}/${REPO}/releases/${release.id}/assets{?name,label}`,
    )
    const duplicate = await statusOf(
      bot.rest.repos.createRelease({ owner: OWNER, repo: REPO, tag_name: 'base@1' }),
    )
    expect(duplicate.status).toBe(422)
    expect(duplicate.message).toContain('already_exists')

    const bundle = Buffer.from(JSON.stringify({ package: 'base', version: '1' }))
    const { data: asset } = await bot.rest.repos.uploadReleaseAsset({
      owner: OWNER,
      repo: REPO,
      release_id: release.id,
      url: release.upload_url,
      name: 'base-1.gantry.json',
      data: bundle as unknown as string,
      headers: { 'content-type': 'application/json', 'content-length': bundle.length },
    })
    expect(asset).toMatchObject({ name: 'base-1.gantry.json', size: bundle.length, state: 'uploaded' })

    const { data: bytes } = await bot.request('GET /repos/{owner}/{repo}/releases/assets/{asset_id}', {
      owner: OWNER,
      repo: REPO,
      asset_id: asset.id,
      headers: { accept: 'application/octet-stream' },
    })
    expect(Buffer.from(bytes as unknown as ArrayBuffer).equals(bundle)).toBe(true)
    const download = await fetch(asset.browser_download_url)
    expect(Buffer.from(await download.arrayBuffer()).equals(bundle)).toBe(true)

    const { data: byTag } = await bot.rest.repos.getReleaseByTag({ owner: OWNER, repo: REPO, tag: 'base@1' })
    expect(byTag.assets.map((a) => a.name)).toEqual(['base-1.gantry.json'])
    expect(
      (await statusOf(bot.rest.repos.getReleaseByTag({ owner: OWNER, repo: REPO, tag: 'base@2' }))).status,
    ).toBe(404)

    // A release for a new tag creates the tag at target_commitish, as GitHub does.
    await bot.rest.repos.createRelease({
      owner: OWNER,
      repo: REPO,
      tag_name: 'base@2',
      target_commitish: 'env/dev',
    })
    expect(await gh.resolveRef(OWNER, REPO, 'refs/tags/base@2')).toBe(
      await gh.resolveRef(OWNER, REPO, 'env/dev'),
    )
  })

  it('paginates 250 comments with Link headers', async () => {
    const { data: issue } = await bot.rest.issues.create({
      owner: OWNER,
      repo: REPO,
      title: 'Gantry dashboard',
    })
    for (let i = 1; i <= 249; i++) await gh.comment('gantry-bot', OWNER, REPO, issue.number, `comment ${i}`)
    await bot.rest.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: issue.number,
      body: 'comment 250',
    })
    gh.resetRequestLog()
    const first = await bot.rest.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: issue.number,
      per_page: 100,
    })
    expect(first.data).toHaveLength(100)
    expect(first.headers.link).toContain('rel="next"')
    expect(first.headers.link).toMatch(/page=3>; rel="last"/)
    const all = await bot.paginate(bot.rest.issues.listComments, {
      owner: OWNER,
      repo: REPO,
      issue_number: issue.number,
      per_page: 100,
    })
    expect(all).toHaveLength(250)
    expect(all.at(-1)?.body).toBe('comment 250')
    expect(gh.requestCount).toBe(4)
    const defaults = await bot.rest.issues.listComments({
      owner: OWNER,
      repo: REPO,
      issue_number: issue.number,
    })
    expect(defaults.data).toHaveLength(30)
  })

  it('labels issues and pull requests, creating labels on first use', async () => {
    const { data: labels } = await bot.rest.issues.addLabels({
      owner: OWNER,
      repo: REPO,
      issue_number: pullNumber,
      labels: ['gantry', 'env:dev'],
    })
    expect(labels.map((l) => l.name)).toEqual(['gantry', 'env:dev'])
    const { data: remaining } = await bot.rest.issues.removeLabel({
      owner: OWNER,
      repo: REPO,
      issue_number: pullNumber,
      name: 'env:dev',
    })
    expect(remaining.map((l) => l.name)).toEqual(['gantry'])
    const { data: pulls } = await bot.rest.pulls.list({ owner: OWNER, repo: REPO, state: 'closed' })
    expect(pulls[0]?.labels.map((l) => l.name)).toEqual(['gantry'])
    const { data: issues } = await bot.rest.issues.listForRepo({
      owner: OWNER,
      repo: REPO,
      state: 'all',
      labels: 'gantry',
    })
    expect(issues.map((i) => i.number)).toEqual([pullNumber])
    const created = await statusOf(
      bot.rest.issues.createLabel({ owner: OWNER, repo: REPO, name: 'Gantry', color: 'ff0000' }),
    )
    expect(created.status).toBe(422)
  })

  it('records check runs and statuses', async () => {
    const main = (await gh.resolveRef(OWNER, REPO, 'main')) ?? ''
    const { data: run } = await bot.rest.checks.create({
      owner: OWNER,
      repo: REPO,
      name: 'gantry/validate',
      head_sha: main,
      status: 'in_progress',
    })
    await bot.rest.checks.update({
      owner: OWNER,
      repo: REPO,
      check_run_id: run.id,
      conclusion: 'failure',
      output: {
        title: '1 error',
        summary: 'bad',
        annotations: [
          { path: 'a.yaml', start_line: 1, end_line: 1, annotation_level: 'failure', message: 'x' },
        ],
      },
    })
    const { data: runs } = await bot.rest.checks.listForRef({ owner: OWNER, repo: REPO, ref: 'main' })
    expect(runs.check_runs[0]).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { annotations_count: 1 },
    })
    const pat = await statusOf(
      author.rest.checks.create({ owner: OWNER, repo: REPO, name: 'x', head_sha: main }),
    )
    expect(pat.status).toBe(403)

    await bot.rest.repos.createCommitStatus({
      owner: OWNER,
      repo: REPO,
      sha: main,
      state: 'pending',
      context: 'gantry',
    })
    await bot.rest.repos.createCommitStatus({
      owner: OWNER,
      repo: REPO,
      sha: main,
      state: 'success',
      context: 'gantry',
    })
    const { data: combined } = await bot.rest.repos.getCombinedStatusForRef({
      owner: OWNER,
      repo: REPO,
      ref: 'main',
    })
    expect(combined).toMatchObject({ state: 'success', total_count: 1 })
  })

  it('answered every request within GitHub’s API description', () => {
    expect(gh.violations).toEqual([])
  })
})
