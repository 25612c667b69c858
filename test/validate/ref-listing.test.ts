import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { readReleasedVersions } from '../../src/adapters/git/repository-reader.js'
import { buildPackages } from '../../src/commands/build.js'
import { openRepository } from '../../src/commands/repository.js'
import { exampleRepo, git, gitProcesses, tempDir } from '../engine/helpers.js'

// Opening a repository lists its branches and its tags in one `git for-each-ref`: the released versions read
// so are those readReleasedVersions reads on its own, annotated, lightweight and foreign tags alike.

const temp = tempDir('gantry-ref-listing-')
afterAll(() => temp.cleanup())

describe('opening a repository', () => {
  it('reads the branches and the released versions in one git process', async () => {
    const repo = join(temp.dir, 'repo')
    exampleRepo('scheduler', repo)
    const built = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(built.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    // A tag that is not a version, a lightweight tag named as one, and a tag whose message spans lines.
    git(repo, ['tag', 'not-a-version'])
    git(repo, ['tag', 'lightweight@9.9.9'])
    git(repo, ['tag', '-a', 'notes@1.0.0', '-m', 'first line\n\nsecond line\n'])

    const { result, argv } = await gitProcesses(temp.dir, () => openRepository(repo))
    const listings = argv.filter((args) => args.includes('for-each-ref'))
    expect(listings).toHaveLength(1)
    expect(listings[0]).toEqual(expect.arrayContaining(['refs/heads/', 'refs/remotes/origin/', 'refs/tags/']))
    const alone = await readReleasedVersions(new Git(repo))
    expect(alone.length).toBeGreaterThan(2)
    expect(alone.some((v) => v.digest !== undefined)).toBe(true)
    expect(result.released).toEqual(alone)
  })
})
