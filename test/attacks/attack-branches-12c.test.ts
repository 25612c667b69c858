import { afterAll, describe, expect, test } from 'vitest'
import { join } from 'node:path'
import { UsageError } from '../../src/commands/errors.js'
import { openRepository } from '../../src/commands/repository.js'
import { apply, build, makeSourceRepo } from '../engine/fixture.js'
import { git, tempDir, tryGit } from '../engine/helpers.js'

// An environment branch that is a symbolic ref is refused: it would read and write another branch. git lists no
// symbolic ref whose target does not exist (for-each-ref leaves broken refs out), so such a ref is not refused;
// a write through it would create the branch it names. Gantry writes the ref it names, never through it.

const temp = tempDir('gantry-attack-branches-12c-')
afterAll(() => temp.cleanup())

describe('an environment branch that is a symbolic ref to a branch not there', () => {
  test('an apply writes the environment branch itself, not the branch it names', async () => {
    const repo = join(temp.dir, 'dangling')
    makeSourceRepo(repo)
    expect((await build(repo)).code).toBe(0)
    // As a CI checkout leaves it: HEAD detached, no local default branch.
    git(repo, ['checkout', '-q', '--detach'])
    git(repo, ['branch', '-q', '-D', 'main'])
    git(repo, ['symbolic-ref', 'refs/heads/env/dev', 'refs/heads/main'])
    const applied = await apply(repo, 'base', 'dev')
    // The apply would have created refs/heads/main holding the environment's commit.
    expect(tryGit(repo, ['rev-parse', '-q', '--verify', 'refs/heads/main'])).toBeUndefined()
    expect(tryGit(repo, ['symbolic-ref', '-q', 'refs/heads/env/dev'])).toBeUndefined()
    if (applied.code === 0) expect(git(repo, ['rev-parse', 'refs/heads/env/dev'])).toBe(applied.json.commit)
    else expect(JSON.stringify(applied.json)).toMatch(/symbolic ref to refs\/heads\/main/)
  })

  test('a tag that is such a symbolic ref is not written through (held)', async () => {
    const repo = join(temp.dir, 'dangling-tag')
    makeSourceRepo(repo)
    git(repo, ['symbolic-ref', 'refs/tags/tools@1', 'refs/heads/release'])
    const built = await build(repo, ['tools'])
    expect(tryGit(repo, ['rev-parse', '-q', '--verify', 'refs/heads/release'])).toBeUndefined()
    if (built.code === 0) expect(built.json.artifacts.map((a) => a.package)).toEqual(['tools'])
  })
})

describe("origin's HEAD through a chain of symbolic refs", () => {
  // git from 2.46 lists a symbolic ref's own target (%(symref) one step), earlier versions the end of the
  // chain; symbolic-ref, which the default branch was read with before, follows it to the end.
  test('names the branch at the end of the chain as the default branch', async () => {
    const repo = join(temp.dir, 'chain')
    makeSourceRepo(repo)
    git(repo, ['update-ref', 'refs/remotes/origin/env/prod', 'HEAD'])
    git(repo, ['symbolic-ref', 'refs/remotes/origin/alias', 'refs/remotes/origin/env/prod'])
    git(repo, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/alias'])
    const failure = await openRepository(repo, { sources: false }).then(
      () => undefined,
      (error: UsageError) => error,
    )
    expect(failure?.diagnostics?.map((d) => d.message)).toEqual([
      expect.stringMatching(/uses the default branch env\/prod/),
    ])
  })
})
