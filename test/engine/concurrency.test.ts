import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { applyCommand } from '../../src/commands/promote.js'
import { sha256 } from '../../src/core/bundle/canonical-json.js'
import { build, expectExit, makeSourceRepo } from './fixture.js'
import {
  commitToBranch,
  git,
  head,
  ledgerOn,
  showBytes,
  spawnCli,
  tempDir,
  workspaceState,
} from './helpers.js'

const temp = tempDir('gantry-concurrency-')
afterAll(() => temp.cleanup())

const BASE_ITEMS = ['cal/holidays', 'conn/db', 'cred/db', 'cred/db-qa']
const TOOLS_ITEMS = ['cred/tools', 'task/cleanup']

/** One built repository, copied for every scenario so that each starts from the same tags and bundles. */
let template: string
beforeAll(async () => {
  template = join(temp.dir, 'template')
  makeSourceRepo(template)
  expectExit(await build(template), 0)
})

let copies = 0
function freshCopy(): string {
  const dir = join(temp.dir, `copy-${++copies}`)
  cpSync(template, dir, { recursive: true })
  return dir
}

/** Every item of both packages is on the branch, and each ledger's digests are those of the files there. */
function expectBothApplied(repo: string): void {
  for (const [pkg, items] of [
    ['base', BASE_ITEMS],
    ['tools', TOOLS_ITEMS],
  ] as const) {
    const ledger = ledgerOn(repo, 'env/dev', pkg)
    expect(ledger, `${pkg} ledger`).toBeDefined()
    expect(Object.keys(ledger!.items)).toEqual(items)
    for (const id of items)
      expect(ledger!.items[id]).toBe(sha256(showBytes(repo, 'env/dev', `definitions/${id}.yaml`)!))
  }
}

describe('two processes applying to one environment branch at once', () => {
  // Odd rounds start without env/dev (both race to create it), even rounds with a branch that exists.
  test.each([1, 2, 3, 4, 5])('round %i: both packages land, one commit each, nothing lost', async (round) => {
    const repo = freshCopy()
    const start =
      round % 2 === 0
        ? commitToBranch(repo, 'env/dev', { '.gantry/README.md': 'dev\n' }, 'start dev')
        : undefined
    const before = workspaceState(repo)
    const [a, b] = await Promise.all([
      spawnCli(['apply', 'base', '--env', 'dev', '--repo', repo]),
      spawnCli(['apply', 'tools', '--env', 'dev', '--repo', repo]),
    ])
    expect(a.code, a.stdout + a.stderr).toBe(0)
    expect(b.code, b.stdout + b.stderr).toBe(0)
    expectBothApplied(repo)
    const commits = git(repo, ['rev-list', '--first-parent', start ? `${start}..env/dev` : 'env/dev']).split(
      '\n',
    )
    expect(commits).toHaveLength(2)
    expect(
      git(repo, ['log', '--format=%s', 'env/dev'])
        .split('\n')
        .filter((s) => s.startsWith('gantry: apply'))
        .sort(),
    ).toEqual(['gantry: apply base@1 to dev', 'gantry: apply tools@1 to dev'])
    expect(workspaceState(repo)).toEqual(before)
  })

  test('the same package twice at once: one commit, the other finds it applied', async () => {
    const repo = freshCopy()
    const runs = await Promise.all([
      spawnCli(['apply', 'tools', '--env', 'dev', '--repo', repo, '--format', 'json']),
      spawnCli(['apply', 'tools', '--env', 'dev', '--repo', repo, '--format', 'json']),
    ])
    for (const run of runs) expect(run.code, run.stderr).toBe(0)
    const outputs = runs.map((r) => JSON.parse(r.stdout) as { commit?: string; alreadyApplied?: boolean })
    expect(outputs.filter((o) => o.commit).length).toBe(1)
    expect(outputs.filter((o) => o.alreadyApplied).length).toBe(1)
    expect(git(repo, ['rev-list', '--count', 'env/dev'])).toBe('1')
  })
})

describe('two builds at once', () => {
  test('one tags the version, the other adopts the same tag; both exit 0', async () => {
    const repo = join(temp.dir, 'builds')
    makeSourceRepo(repo)
    const runs = await Promise.all([
      spawnCli(['build', 'tools', '--repo', repo, '--format', 'json']),
      spawnCli(['build', 'tools', '--repo', repo, '--format', 'json']),
    ])
    for (const run of runs) expect(run.code, run.stdout + run.stderr).toBe(0)
    const artifacts = runs.map(
      (r) =>
        (JSON.parse(r.stdout) as { artifacts: { version: string; digest: string; created: boolean }[] })
          .artifacts[0]!,
    )
    expect(artifacts.map((a) => a.version)).toEqual(['1', '1'])
    expect(artifacts[0]!.digest).toBe(artifacts[1]!.digest)
    expect(artifacts.filter((a) => a.created).length).toBe(1)
    expect(git(repo, ['tag', '--list'])).toBe('tools@1')
    expect(sha256(readFileSync(join(repo, '.gantry/build/tools-1.gantry.json')))).toBe(artifacts[0]!.digest)
  })
})

describe('compare-and-swap', () => {
  afterEach(() => vi.restoreAllMocks())

  test('update-ref refuses to move a branch that is not where it was read, or to create one that exists', async () => {
    const repo = freshCopy()
    const first = commitToBranch(repo, 'env/dev', { 'a.txt': 'a\n' })
    const second = commitToBranch(repo, 'env/dev', { 'b.txt': 'b\n' })
    const gitRepo = new Git(repo)
    expect(await gitRepo.updateRef('refs/heads/env/dev', first, first)).toBe(false)
    expect(await gitRepo.updateRef('refs/heads/env/dev', first, undefined)).toBe(false)
    expect(head(repo, 'refs/heads/env/dev')).toBe(second)
    expect(await gitRepo.updateRef('refs/heads/env/dev', first, second)).toBe(true)
    expect(await gitRepo.updateRef('refs/heads/env/new', first, undefined)).toBe(true)
    expect(head(repo, 'refs/heads/env/new')).toBe(first)
  })

  test('when another apply moves the branch between plan and update-ref, the apply plans again on top of it', async () => {
    const repo = freshCopy()
    commitToBranch(repo, 'env/dev', { '.gantry/README.md': 'dev\n' }, 'start dev')
    const original = Git.prototype.updateRef
    let intruder: string | undefined
    const spy = vi.spyOn(Git.prototype, 'updateRef').mockImplementationOnce(async function (
      this: Git,
      ref,
      next,
      expected,
    ) {
      const other = await applyCommand({ repo, target: 'tools', environment: 'dev' })
      intruder = other.commit
      return original.call(this, ref, next, expected)
    })
    const result = await applyCommand({ repo, target: 'base', environment: 'dev' })
    expect(result.ok).toBe(true)
    expect(result.replanned).toBe(1)
    expect(spy).toHaveBeenCalledTimes(3)
    expect(intruder).toMatch(/^[0-9a-f]{40}$/)
    expect(head(repo, 'refs/heads/env/dev')).toBe(result.commit)
    expect(git(repo, ['rev-parse', `${result.commit}^`])).toBe(intruder)
    expectBothApplied(repo)
  })

  test('when a hand edit moves the branch between plan and update-ref, the new plan refuses instead of overwriting', async () => {
    const repo = freshCopy()
    commitToBranch(repo, 'env/dev', { '.gantry/README.md': 'dev\n' }, 'start dev')
    const original = Git.prototype.updateRef
    let handEdit: string | undefined
    vi.spyOn(Git.prototype, 'updateRef').mockImplementationOnce(async function (
      this: Git,
      ref,
      next,
      expected,
    ) {
      handEdit = commitToBranch(repo, 'env/dev', {
        'definitions/cred/tools.yaml': 'kind: cred\nname: tools\nspec:\n  path: vault://by-hand\n',
      })
      return original.call(this, ref, next, expected)
    })
    const result = await applyCommand({ repo, target: 'tools', environment: 'dev' })
    expect(result.ok).toBe(false)
    expect(result.commit).toBeUndefined()
    expect(result.replanned).toBe(1)
    expect(result.diagnostics.map((d) => d.code)).toEqual(['name-conflict'])
    expect(head(repo, 'refs/heads/env/dev')).toBe(handEdit)
    expect(showBytes(repo, 'env/dev', 'definitions/cred/tools.yaml')!.toString()).toContain('by-hand')
    expect(ledgerOn(repo, 'env/dev', 'tools')).toBeUndefined()
  })

  test('a branch that keeps moving ends in an error, never in an overwrite', async () => {
    const repo = freshCopy()
    vi.spyOn(Git.prototype, 'updateRef').mockResolvedValue(false)
    await expect(applyCommand({ repo, target: 'tools', environment: 'dev' })).rejects.toThrow(/kept moving/)
    expect(head(repo, 'refs/heads/env/dev')).toBeUndefined()
  })
})
