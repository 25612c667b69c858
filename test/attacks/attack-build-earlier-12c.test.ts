import { readFileSync, readdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { stringify } from 'yaml'
import { buildPackages } from '../../src/commands/build.js'
import { definition, packageFile, sourceFiles } from '../engine/fixture.js'
import { commitFiles, git, makeGitRepo, tempDir } from '../engine/helpers.js'

// The release before a new version may be any commit a tag names, one Gantry never built: a tag pushed by hand
// onto a commit off the default branch. What a build of named packages works out of it (from the model at HEAD
// and what git says differs) must be what a build of every package reads there, byte for byte: the same
// bundles, deltas and digests, whatever that commit holds.

const temp = tempDir('gantry-attack-build-earlier-12c-')
afterAll(() => temp.cleanup())

type Files = Record<string, string | null>
const yml = (kind: string, name: string, spec: object) => ({
  [`definitions/${kind}/${name}.yml`]: stringify({ kind, name, spec }),
})
const MP = packageFile({ name: 'mp', items: ['task/cleanup', 'cred/tools'] })
const gitlink = (path: string) => (dir: string) => {
  const head = git(dir, ['rev-parse', 'HEAD'])
  git(dir, ['rm', '-q', '-r', path])
  git(dir, ['update-index', '--add', '--cacheinfo', `160000,${head},${path}`])
  git(dir, ['commit', '-qm', 'gitlink'])
}
const link = (path: string, target: string) => (dir: string) => {
  git(dir, ['rm', '-q', '-r', path])
  symlinkSync(target, join(dir, path))
  commitFiles(dir, {})
}

/** The package mp at a hand-tagged commit holding `forged`; HEAD then changes cred/tools or task/cleanup. */
const cases: { name: string; forged: Files | ((dir: string) => void); base?: Files; change?: Files }[] = [
  {
    name: 'an item in a .yml file only',
    forged: { ...yml('task', 'cleanup', { command: 'yml.sh' }), 'definitions/task/cleanup.yaml': null },
  },
  { name: 'an item in a .yml file beside its .yaml', forged: yml('task', 'cleanup', { command: 'yml.sh' }) },
  {
    name: 'a file holding another item than its path names',
    forged: {
      'definitions/task/cleanup.yaml': stringify({ kind: 'task', name: 'other', spec: { command: 'o' } }),
    },
  },
  {
    name: 'an item in a file its path does not name, unchanged at HEAD',
    forged: {
      'definitions/task/zz.yaml': stringify({ kind: 'task', name: 'cleanup', spec: { command: 'o' } }),
      'definitions/task/cleanup.yaml': null,
    },
  },
  {
    name: 'an item declared twice',
    forged: {
      'definitions/task/zz.yaml': stringify({ kind: 'task', name: 'cleanup', spec: { command: 'dup' } }),
    },
  },
  { name: 'a document against its kind schema', forged: definition('task', 'cleanup', { bogus: 1 }) },
  {
    name: 'a document with __proto__, -0 and numbers past 2^53',
    forged: {
      'definitions/task/cleanup.yaml':
        'kind: task\nname: cleanup\nspec:\n  command: c\n  __proto__: {a: 1}\n  x: -0\n  y: 123456789012345678901234567890\n  z: 1e400\n',
    },
  },
  {
    name: 'a YAML syntax error',
    forged: { 'definitions/cred/tools.yaml': 'kind: cred\nname: tools\nspec: {path: [\n' },
  },
  {
    name: 'the package in a .yml file',
    forged: { 'packages/mp.yaml': null, 'packages/mp.yml': stringify({ name: 'mp', items: ['cred/tools'] }) },
  },
  {
    name: 'the package in a file of another name',
    forged: {
      'packages/mp.yaml': null,
      'packages/zz.yaml': stringify({ name: 'mp', items: ['cred/tools'] }),
    },
  },
  {
    name: 'the package file naming another package',
    forged: { 'packages/mp.yaml': stringify({ name: 'zz', items: ['cred/tools'] }) },
  },
  { name: 'a missing item', forged: { 'definitions/cred/tools.yaml': null } },
  {
    name: 'an item of a kind with no schema',
    forged: {
      'definitions/zzk/a.yaml': stringify({ kind: 'zzk', name: 'a', spec: {} }),
      ...packageFile({ name: 'mp', items: ['task/cleanup', 'zzk/a'] }),
    },
  },
  {
    name: 'a dependency cycle',
    base: packageFile({ name: 'np', items: ['cal/holidays'] }),
    forged: packageFile({ name: 'np', items: ['cal/holidays'], dependencies: [{ package: 'mp' }] }),
  },
  {
    name: 'a reference to nothing, included',
    forged: {
      ...packageFile({ name: 'mp', items: ['task/extract'], includeReferences: true }),
      ...definition('task', 'extract', { command: 'e', conn: 'nothere' }),
    },
  },
  {
    name: 'a symbolic link for an item',
    forged: link('definitions/task/cleanup.yaml', '../cred/tools.yaml'),
  },
  { name: 'a symbolic link for a kind folder', forged: link('definitions/cred', 'task') },
  { name: 'a gitlink for an item', forged: gitlink('definitions/task/cleanup.yaml') },
  { name: 'a gitlink for a kind folder', forged: gitlink('definitions/cred') },
]

const bundles = (repo: string) => {
  const folder = join(repo, '.gantry/build')
  return new Map(
    readdirSync(folder)
      .sort()
      .map((file) => [file, readFileSync(join(folder, file))]),
  )
}

describe('a build of named packages whose earlier release is a commit tagged by hand', () => {
  test.each(cases)('$name: the bundles of a build of every package', async ({ name, forged, base }) => {
    const repo = join(temp.dir, name.replace(/[^a-z0-9]+/gi, '-'))
    makeGitRepo(repo, { ...sourceFiles(), ...MP, ...base } as Record<string, string>)
    git(repo, ['checkout', '-q', '-b', 'side'])
    if (typeof forged === 'function') forged(repo)
    else commitFiles(repo, forged)
    git(repo, ['tag', 'mp@1'])
    git(repo, ['checkout', '-q', 'main'])
    git(repo, ['branch', '-q', '-D', 'side'])
    // HEAD changes one of mp's items (the other is the same object as before the forged commit).
    commitFiles(repo, {
      ...definition('cred', 'tools', { path: 'vault://kv/tools2' }),
      ...definition('task', 'cleanup', { command: 'cleanup2.sh' }),
    })
    commitFiles(repo, definition('task', 'cleanup', { command: 'cleanup.sh' }))

    const whole = join(temp.dir, `${name.replace(/[^a-z0-9]+/gi, '-')}-whole`)
    git(temp.dir, ['clone', '-q', repo, whole])
    git(whole, ['fetch', '-q', 'origin', 'refs/tags/*:refs/tags/*'])
    const named = await buildPackages({ repo, packages: ['mp'], all: false, debug: false })
    const all = await buildPackages({ repo: whole, packages: [], all: true, debug: false })
    expect(named.diagnostics).toEqual([])
    expect(all.diagnostics).toEqual([])
    const mine = named.artifacts.find((a) => a.package === 'mp')!
    const theirs = all.artifacts.find((a) => a.package === 'mp')!
    expect(mine.version).toBe('1.1')
    expect(mine.delta).toEqual(theirs.delta)
    expect(mine.digest).toBe(theirs.digest)
    const file = 'mp-1.1.gantry.json'
    expect(bundles(repo).get(file)?.equals(bundles(whole).get(file)!), file).toBe(true)
  })
})

describe('a build that refuses one bundle', () => {
  // Every bundle is made and checked against its tag before any is written: a bundle made at once (no earlier
  // release) and one made after its earlier release is read are not written when a later one is refused.
  test.each([
    { label: 'named packages', packages: ['fresh', 'base', 'tools'], all: false },
    { label: 'every package', packages: [], all: true },
  ])('writes no file and no tag ($label)', async ({ packages, all }) => {
    const repo = join(temp.dir, `refused-${all ? 'all' : 'named'}`)
    makeGitRepo(repo, sourceFiles())
    expect((await buildPackages({ repo, packages: [], all: true, debug: false })).diagnostics).toEqual([])
    // tools@1 tagged again with its content digest and another bundle digest.
    const commit = git(repo, ['rev-parse', 'tools@1^{commit}'])
    const content = /^content: (\S+)$/m.exec(git(repo, ['tag', '-l', '--format=%(contents)', 'tools@1']))![1]!
    git(repo, ['tag', '-d', 'tools@1'])
    git(repo, [
      'tag',
      '-a',
      'tools@1',
      commit,
      '-m',
      `tools@1\n\ndigest: sha256:${'0'.repeat(64)}\ncontent: ${content}\n`,
    ])
    commitFiles(repo, {
      ...definition('cred', 'db', { path: 'vault://kv/db2' }),
      ...packageFile({ name: 'fresh', items: ['cal/holidays'] }),
    })
    const files = readdirSync(join(repo, '.gantry/build')).sort()
    const tags = git(repo, ['tag', '--list'])
    const result = await buildPackages({ repo, packages, all, debug: false })
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => d.code)).toEqual(['digest-mismatch'])
    expect(readdirSync(join(repo, '.gantry/build')).sort()).toEqual(files)
    expect(git(repo, ['tag', '--list'])).toBe(tags)
  })
})
