import { execFileSync } from 'node:child_process'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse, stringify } from 'yaml'
import type { LogResult } from '../../src/commands/history.js'
import { type LedgerRevision, ledgerHistory } from '../../src/core/model/ledger-history.js'
import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import { BASE, apply, build, definition, expectExit, gantryYaml, makeSourceRepo, packageFile } from '../engine/fixture.js'
import { cli, cliJson, commitFiles, git, show, tempDir, tryGit } from '../engine/helpers.js'

const temp = tempDir('gantry-log-')
afterAll(() => temp.cleanup())

const LEDGER = '.gantry/installed/base.yaml'
/** What `gantry apply` records as the one who applied (src/commands/promote.ts). */
const LOCAL_USER = process.env.GITHUB_ACTOR ?? userInfo().username

/**
 * A commit on `branch` that sets the ledger, written with git plumbing under the author given: what a squash
 * merge by GitHub, Gantry's record commit after it, or a hand edit put on an environment branch.
 */
function commitLedger(repo: string, branch: string, ledger: object, author: string, date: string): string {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: author,
    GIT_AUTHOR_EMAIL: `${author.toLowerCase()}@example.invalid`,
    GIT_COMMITTER_NAME: author,
    GIT_COMMITTER_EMAIL: `${author.toLowerCase()}@example.invalid`,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_INDEX_FILE: join(repo, '.git', 'log-test-index'),
  }
  const g = (args: string[], input?: string) => execFileSync('git', ['-C', repo, ...args], { env, input }).toString().trim()
  const parent = tryGit(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])
  g(parent ? ['read-tree', parent] : ['read-tree', '--empty'])
  const blob = g(['hash-object', '-w', '--stdin'], stringify(ledger))
  g(['update-index', '--add', '--cacheinfo', `100644,${blob},${LEDGER}`])
  const commit = g(['commit-tree', g(['write-tree']), ...(parent ? ['-p', parent] : []), '-m', 'ledger'])
  g(['update-ref', `refs/heads/${branch}`, commit, ...(parent ? [parent] : [])])
  return commit
}

let repo: string
let v1Ledger: Record<string, unknown>
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, 'base', 'dev'), 0)
  v1Ledger = parse(show(repo, 'env/dev', LEDGER)!) as Record<string, unknown>
  commitFiles(repo, {
    ...definition('cred', 'extra', { path: 'vault://extra' }),
    ...packageFile({ ...BASE, items: [...BASE.items, 'cred/extra'] }),
  })
  expectExit(await build(repo, ['base']), 0)
  expectExit(await apply(repo, 'base@1.1', 'dev'), 0)
  expectExit(await apply(repo, 'base@1', 'dev'), 0)
  // qa gets base@1 through a promotion: GitHub's squash merge (its author is whatever the commit says), then
  // Gantry's record of the promotion, then a hand edit of the ledger.
  expectExit(await apply(repo, 'base@1', 'qa'), 0)
  const { appliedBy: _b, appliedAt: _a, promotion: _p, approvers: _r, ...bare } = v1Ledger
  commitLedger(repo, 'env/qa', { ...bare, environment: 'qa' }, 'Mallory', '2026-11-02T09:00:00Z')
})

describe('gantry log: versions with dates, and each environment history with who applied and approved', () => {
  test('JSON: release dates, and per environment the applies and rollbacks, newest first, by whom', async () => {
    const { code, json } = await cliJson<LogResult>(repo, ['log', 'base'])
    expect(code).toBe(0)
    expect(json.versions.map((v) => [v.version, v.released])).toEqual([
      ['1.1', git(repo, ['for-each-ref', '--format=%(creatordate:iso-strict)', 'refs/tags/base@1.1'])],
      ['1', git(repo, ['for-each-ref', '--format=%(creatordate:iso-strict)', 'refs/tags/base@1'])],
    ])
    expect(Object.keys(json.history)).toEqual(['dev', 'qa', 'prod'])
    expect(json.history.dev!.map((e) => [e.action, e.version, e.previousVersion, e.by, e.source])).toEqual([
      ['rollback', '1', '1.1', LOCAL_USER, 'cli'],
      ['apply', '1.1', '1', LOCAL_USER, 'cli'],
      ['apply', '1', null, LOCAL_USER, 'cli'],
    ])
    const devLog = git(repo, ['log', '--format=%H', 'env/dev']).split('\n')
    expect(json.history.dev!.map((e) => e.commit)).toEqual(devLog)
    expect(json.history.dev![0]!.at).toBe(parse(show(repo, 'env/dev', LEDGER)!).appliedAt)
    // The squash merge has no record yet: its author is only what the commit claims, and said to be so.
    expect(json.history.qa![0]).toMatchObject({ action: 'edit', by: 'Mallory <mallory@example.invalid>', source: 'git', at: '2026-11-02T09:00:00+00:00' })
    expect(json.history.prod).toEqual([])
    // The JSON contract of `log` keeps its fields.
    expect(Object.keys(json).sort()).toEqual(['history', 'package', 'versions'])
    expect(json.versions[0]).toMatchObject({ tag: 'base@1.1', environments: {} })
    expect(json.versions[1]).toMatchObject({ tag: 'base@1', environments: { dev: 'APPLIED', qa: 'APPLIED' } })
  })

  test('a promotion recorded by Gantry after its merge is one apply, by GitHub record: merged by Gantry, approved by the reviewers', async () => {
    const approver = { login: 'alice', sha: 'a'.repeat(40) }
    const ledger = parse(show(repo, 'env/qa', LEDGER)!) as Record<string, unknown>
    // A new branch: the promotion's squash merge (authored by anyone), then Gantry's record commit.
    const { appliedBy: _b, appliedAt: _a, promotion: _p, approvers: _r, ...bare } = ledger
    commitLedger(repo, 'env/prod', { ...bare, environment: 'prod' }, 'Mallory', '2026-11-03T09:00:00Z')
    commitLedger(repo, 'env/prod', { ...bare, environment: 'prod', promotion: 12, approvers: [approver], appliedBy: 'gantry', appliedAt: '2026-11-03T09:00:05Z' }, 'Gantry', '2026-11-03T09:01:00Z')
    const { json } = await cliJson<LogResult>(repo, ['log', 'base'])
    const prod = json.history.prod!
    expect(prod).toEqual([
      {
        action: 'apply',
        version: '1',
        previousVersion: null,
        at: '2026-11-03T09:00:05Z',
        // The commit that applied it (the merge), not the bookkeeping commit after it.
        commit: git(repo, ['rev-parse', 'env/prod~1']),
        by: 'gantry',
        source: 'github',
        approvers: [approver],
        promotion: 12,
      },
    ])

    // Text shows each environment's times in its time zone.
    const config = parse(gantryYaml()['gantry.yaml']!) as { environments: { name: string; timezone?: string }[] }
    config.environments.find((e) => e.name === 'prod')!.timezone = 'America/New_York'
    commitFiles(repo, { 'gantry.yaml': stringify(config) })
    const text = await cli(repo, ['log', 'base'])
    const lines = text.stdout.split('\n')
    const at = lines.indexOf('history in prod')
    expect(at).toBeGreaterThan(0)
    expect(lines[at + 1]).toMatch(
      /^ {2}2026-11-03 04:00 America\/New_York {2}apply {5}base@1 {2}merged by Gantry, approved by alice \(as GitHub recorded it\) {2}#12 {2}[0-9a-f]{12}$/,
    )
    expect(lines[lines.indexOf('history in dev') + 1]).toMatch(
      new RegExp(`^  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC  rollback  base@1 \\(from 1\\.1\\)  by ${LOCAL_USER} \\(gantry apply, user name not verified\\)  [0-9a-f]{12}$`),
    )
    expect(lines[lines.indexOf('history in qa') + 1]).toContain('edit      base@1  by Mallory <mallory@example.invalid> (git author, not verified)')
    expect(lines.at(-2)).toBe('log: 2 versions, 4 applies, 1 rollback, 1 hand edit in 3 environments')
  })
})

describe('ledgerHistory: revisions of a ledger become applies, rollbacks, edits and removals', () => {
  const ledger = (version: string, extra: Record<string, unknown> = {}) =>
    ({ package: 'base', version, digest: `sha256:${version.replace('.', '').padStart(64, '0')}`, items: {}, ...extra }) as EnvironmentLedger
  const revision = (n: number, l: EnvironmentLedger | null | undefined): LedgerRevision => ({
    commit: String(n).repeat(40).slice(0, 40),
    committedAt: `2026-11-0${n}T00:00:00+00:00`,
    author: 'Someone <s@example.invalid>',
    ledger: l,
  })

  test('a rollback, a deleted ledger and one that does not validate, each said so, by the git author where nothing records it', () => {
    const entries = ledgerHistory([
      revision(1, ledger('1', { appliedBy: 'ann', appliedAt: '2026-11-01T10:00:00Z', promotion: null })),
      revision(2, ledger('1.1', { appliedBy: 'ann', appliedAt: '2026-11-02T10:00:00Z' })),
      revision(3, ledger('1', { appliedBy: 'bob', appliedAt: '2026-11-03T10:00:00Z', rollback: true, previousVersion: '1.1' })),
      revision(4, undefined),
      revision(5, null),
    ])
    expect(entries.map((e) => [e.action, e.version, e.previousVersion, e.by, e.source, e.at])).toEqual([
      ['remove', null, null, 'Someone <s@example.invalid>', 'git', '2026-11-05T00:00:00+00:00'],
      ['edit', null, '1', 'Someone <s@example.invalid>', 'git', '2026-11-04T00:00:00+00:00'],
      ['rollback', '1', '1.1', 'bob', 'cli', '2026-11-03T10:00:00Z'],
      ['apply', '1.1', '1', 'ann', 'cli', '2026-11-02T10:00:00Z'],
      ['apply', '1', null, 'ann', 'cli', '2026-11-01T10:00:00Z'],
    ])
  })

  test('a valid ledger deleted is a removal of its version; a deletion with nothing before it is no entry', () => {
    const entries = ledgerHistory([
      revision(1, null),
      revision(2, ledger('1', { appliedBy: 'ann', appliedAt: '2026-11-02T10:00:00Z' })),
      revision(3, null),
    ])
    expect(entries.map((e) => [e.action, e.version, e.previousVersion, e.by, e.source, e.commit])).toEqual([
      ['remove', null, '1', 'Someone <s@example.invalid>', 'git', '3'.repeat(40)],
      ['apply', '1', null, 'ann', 'cli', '2'.repeat(40)],
    ])
  })
})
