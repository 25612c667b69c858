import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { makeSourceRepo, sourceFiles } from './fixture.js'
import { commitFiles, git, gitProcesses, makeGitRepo, tempDir } from './helpers.js'

// A release build reads the commit HEAD resolves to. The listing of the refs names it when HEAD is on a listed
// branch (for-each-ref's %(HEAD) marks the ref HEAD resolves to); otherwise `rev-parse HEAD^{commit}` is asked.
// Either answers only with a commit, so its type is not asked of git again; gantry.yaml is listed and read with
// the folders its paths default to, in the listing and the read of the sources, and a gantry.yaml naming
// folders of its own has those read.

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
    // HEAD is on main: the one listing of the refs names its commit, and git is not asked what HEAD is.
    expect(argv.filter((args) => args.includes('for-each-ref')).length).toBe(1)
    expect(argv.filter((args) => args.includes('rev-parse'))).toEqual([])
    expect(result.artifacts.every((a) => git(repo, ['rev-parse', `${a.tag!}^{commit}`]) === head)).toBe(true)
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

  test('HEAD on a symbolic ref to a branch: the commit of the branch it leads to, from the listing', async () => {
    // main moves on; HEAD -> alias -> release, at the first commit.
    const repo = join(temp.dir, 'linked-head')
    const first = makeSourceRepo(repo)
    commitFiles(repo, {}, 'later')
    git(repo, ['branch', 'release', first])
    git(repo, ['symbolic-ref', 'refs/heads/alias', 'refs/heads/release'])
    git(repo, ['symbolic-ref', 'HEAD', 'refs/heads/alias'])
    const { result, argv } = await gitProcesses(temp.dir, () => buildPackages({ repo, packages: [], all: true, debug: false }))
    expect(result.diagnostics).toEqual([])
    expect(result.artifacts.length).toBeGreaterThan(0)
    expect(argv.filter((args) => args.includes('rev-parse'))).toEqual([])
    for (const artifact of result.artifacts) expect(git(repo, ['rev-parse', `${artifact.tag!}^{commit}`]), artifact.tag!).toBe(first)
  })

  test('named packages read again whole (a refusal): the one listing of the refs serves both reads', async () => {
    const repo = join(temp.dir, 'named-again')
    makeSourceRepo(repo)
    commitFiles(repo, { 'packages/app.yaml': 'name: app\nitems: [cred/nowhere]\n' })
    const { result, argv } = await gitProcesses(temp.dir, () => buildPackages({ repo, packages: ['app'], all: false, debug: false }))
    expect(result.ok).toBe(false)
    expect(result.diagnostics.length).toBeGreaterThan(0)
    expect(argv.filter((args) => args.includes('for-each-ref')).length).toBe(1)
    expect(argv.filter((args) => args.includes('rev-parse'))).toEqual([])
  })

  // What the listing does not name is asked of git as before: a detached HEAD, and a branch whose ref holds a
  // tag object (written by hand: git refuses to), which rev-parse peels to its commit.
  test.each(['detached', 'tag object'])('HEAD %s: git is asked what HEAD is, and the tags name that commit', async (how) => {
    const repo = join(temp.dir, how.replace(' ', '-'))
    const first = makeSourceRepo(repo)
    commitFiles(repo, {}, 'later')
    if (how === 'detached') git(repo, ['checkout', '-q', '--detach', first])
    else {
      git(repo, ['tag', '-a', '-m', 'by hand', 'by-hand', first])
      writeFileSync(join(repo, '.git/refs/heads/odd'), `${git(repo, ['rev-parse', 'refs/tags/by-hand'])}\n`)
      git(repo, ['symbolic-ref', 'HEAD', 'refs/heads/odd'])
    }
    const { result, argv } = await gitProcesses(temp.dir, () => buildPackages({ repo, packages: [], all: true, debug: false }))
    expect(result.diagnostics).toEqual([])
    expect(result.artifacts.length).toBeGreaterThan(0)
    expect(argv.filter((args) => args.includes('rev-parse')).map((args) => args.slice(args.indexOf('rev-parse')))).toEqual([['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']])
    for (const artifact of result.artifacts) expect(git(repo, ['rev-parse', `${artifact.tag!}^{commit}`]), artifact.tag!).toBe(first)
  })
})
