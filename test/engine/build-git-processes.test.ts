import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { makeSourceRepo, sourceFiles } from './fixture.js'
import { git, gitProcesses, makeGitRepo, tempDir } from './helpers.js'

// A release build reads the commit HEAD resolves to. `rev-parse HEAD^{commit}` answers only with a commit, so
// its type is not asked of git again; gantry.yaml is listed and read with the folders its paths default to,
// in the listing and the read of the sources, and a gantry.yaml naming folders of its own has those read.

const temp = tempDir('gantry-build-processes-')
afterAll(() => temp.cleanup())

const bundles = (repo: string) => new Map(readdirSync(join(repo, '.gantry/build')).map((f) => [f, readFileSync(join(repo, '.gantry/build', f), 'utf8')]))

describe('the git processes of a release build', () => {
  test('one listing and one read of gantry.yaml with the sources, and no question of what HEAD is', async () => {
    const repo = join(temp.dir, 'defaults')
    makeSourceRepo(repo)
    const head = git(repo, ['rev-parse', 'HEAD'])
    const { result, argv } = await gitProcesses(temp.dir, () => buildPackages({ repo, packages: [], all: true, debug: false }))
    expect(result.diagnostics).toEqual([])
    expect(result.artifacts.length).toBeGreaterThan(0)
    expect(argv.filter((args) => args.includes('cat-file') && args.includes('-t'))).toEqual([])
    const listings = argv.filter((args) => args.includes('ls-tree') && args.includes(head))
    expect(listings.length).toBe(1)
    expect(listings[0]!.slice(listings[0]!.indexOf('--') + 1)).toEqual(['gantry.yaml', 'kinds', 'definitions', 'packages'])

    // A fresh checkout builds the same bundles, none new.
    const first = bundles(repo)
    rmSync(join(repo, '.gantry/build'), { recursive: true })
    const again = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(again.artifacts.every((a) => !a.created)).toBe(true)
    expect(bundles(repo)).toEqual(first)
  })

  test('gantry.yaml naming folders of its own: those are read, not the default ones', async () => {
    // The same sources under src/, and at the default folders a package that does not load and a definition
    // it would need: read from there, the build would refuse or hold another package.
    const moved: Record<string, string> = {}
    for (const [path, content] of Object.entries(sourceFiles())) {
      if (path === 'gantry.yaml') {
        moved[path] = stringify({ ...(parse(content) as Record<string, unknown>), paths: { kinds: 'src/kinds', definitions: 'src/definitions', packages: 'src/packages' } })
      } else if (/^(kinds|definitions|packages)\//.test(path)) moved[`src/${path}`] = content
      else moved[path] = content
    }
    const repo = join(temp.dir, 'own-paths')
    makeGitRepo(repo, { ...moved, 'packages/stray.yaml': 'name: stray\nitems: [cred/nowhere]\nnot-a-field: 1\n', 'definitions/cred/nowhere.yaml': 'kind: cred\n' })
    const result = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(result.diagnostics).toEqual([])
    expect(result.artifacts.map((a) => a.package)).not.toContain('stray')

    // The same bundles as the same sources at the default folders.
    const plain = join(temp.dir, 'plain')
    makeSourceRepo(plain)
    const reference = await buildPackages({ repo: plain, packages: [], all: true, debug: false })
    expect(result.artifacts.map((a) => [a.package, a.version, a.digest])).toEqual(reference.artifacts.map((a) => [a.package, a.version, a.digest]))
  })
})
