import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { runCli } from '../support/cli.js'
import { git, makeGitRepo, removeTempDirs, tempDir } from '../support/fixtures.js'
import { baseRepo } from './base-repo.js'

// No environment may use the default branch: origin's HEAD when it is known, else the branch checked out
// (the pull requests' base). Each way of knowing it, read from real git repositories.

afterAll(removeTempDirs)

const withProdOn = (branch: string) =>
  baseRepo({
    'gantry.yaml': stringify({
      versioning: 'dot',
      environments: [
        { name: 'dev', branch: 'env/dev' },
        { name: 'prod', branch },
      ],
    }),
  })

async function findings(dir: string): Promise<{ code: number; refused: [string, number | undefined][] }> {
  const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
  const json = run.json<{ diagnostics: { code: string; line?: number; message: string }[] }>()
  return {
    code: run.code,
    refused: json.diagnostics.filter((d) => /default branch/.test(d.message)).map((d) => [d.code, d.line]),
  }
}

describe('the default branch', () => {
  it('is the branch checked out when origin has no HEAD', async () => {
    const dir = withProdOn('trunk')
    makeGitRepo(dir)
    git(dir, ['checkout', '-q', '-b', 'trunk'])
    expect(await findings(dir)).toEqual({ code: 2, refused: [['invalid-name', 6]] })
  })

  it("is origin's HEAD before the branch checked out", async () => {
    const origin = withProdOn('main')
    makeGitRepo(origin)
    const clone = tempDir()
    git(clone, ['clone', '-q', origin, '.'])
    git(clone, ['checkout', '-q', '-b', 'feature'])
    expect(await findings(clone)).toEqual({ code: 2, refused: [['invalid-name', 6]] })
    // Checked out, the branch an environment uses is not the default when origin's HEAD names another.
    git(clone, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/feature'])
    git(clone, ['push', '-q', 'origin', 'feature'])
    git(clone, ['fetch', '-q', 'origin'])
    git(clone, ['checkout', '-q', 'main'])
    expect((await findings(clone)).refused).toEqual([])
  })

  it("is origin's HEAD even when the branch it names was pruned", async () => {
    const origin = withProdOn('old-main')
    makeGitRepo(origin)
    const clone = tempDir()
    git(clone, ['clone', '-q', origin, '.'])
    git(clone, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/old-main'])
    expect((await findings(clone)).refused).toEqual([['invalid-name', 6]])
  })

  it('is the branch HEAD names before its first commit', async () => {
    const dir = withProdOn('start')
    git(dir, ['init', '-q', '-b', 'start'])
    expect(await findings(dir)).toEqual({ code: 2, refused: [['invalid-name', 6]] })
  })

  it('is the branch checked out in a linked worktree, not the main one', async () => {
    const dir = withProdOn('side')
    makeGitRepo(dir, { branches: ['side'] })
    const worktree = `${tempDir()}/tree`
    git(dir, ['worktree', 'add', '-q', worktree, 'side'])
    git(worktree, ['checkout', '-q', '-f', 'main', '--', '.'])
    expect((await findings(worktree)).refused).toEqual([['invalid-name', 6]])
    expect((await findings(dir)).refused).toEqual([])
  })

  it('is not asked for outside a git repository', async () => {
    const dir = withProdOn('main')
    expect(await findings(dir)).toEqual({ code: 0, refused: [] })
  })
})
