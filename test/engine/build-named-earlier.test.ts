import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { definition, packageFile, sourceFiles } from './fixture.js'
import { commitFiles, git, gitProcesses, makeGitRepo, tagDigest, tempDir } from './helpers.js'

// A build of named packages reads at HEAD only what they need; the items of the release before each new
// version are then worked out from that part of the model and what git says differs between the release's
// commit and HEAD: the differing files and those the model at HEAD does not hold are read from the release's
// commit, in rounds, and nothing else of it. Its bundles are those of a build of every package, byte for byte.

const temp = tempDir('gantry-build-named-earlier-')
afterAll(() => temp.cleanup())

/**
 * task/a<i> -> task/b<i> -> conn/db<i> -> cred/x<i>; chain<i> declares task/a<i> and includes what it
 * reaches; listed<i> declares task/b<i>, conn/db<i> and cred/x<i> without including anything.
 */
function chains(count: number): Record<string, string> {
  const files: Record<string, string> = {}
  for (let i = 0; i < count; i++) {
    Object.assign(
      files,
      definition('task', `a${i}`, { command: `a${i}.sh`, successors: [`b${i}`] }),
      definition('task', `b${i}`, { command: `b${i}.sh`, conn: `db${i}` }),
      definition('conn', `db${i}`, { host: `db${i}.example.com`, credential: `x${i}` }),
      definition('cred', `x${i}`, { path: `vault://kv/x${i}` }),
      packageFile({ name: `chain${i}`, items: [`task/a${i}`], includeReferences: true }),
      packageFile({ name: `chain-on-base${i}`, items: [`task/a${i}`], includeReferences: true, dependencies: [{ package: 'base' }] }),
      packageFile({ name: `listed${i}`, items: [`task/b${i}`, `conn/db${i}`, `cred/x${i}`], dependencies: [{ package: 'base' }] }),
    )
  }
  return files
}

/**
 * Every task/b<i> turned to base's conn/db: at HEAD the chains no longer reach conn/db<i> or cred/x<i>, which
 * a build of them at HEAD therefore never reads, but which they held at the release before.
 */
function change(count: number): Record<string, string> {
  const files: Record<string, string> = {}
  for (let i = 0; i < count; i++) Object.assign(files, definition('task', `b${i}`, { command: `b${i}.sh`, conn: 'db' }))
  return files
}

const bundles = (repo: string) => {
  const folder = join(repo, '.gantry/build')
  return new Map(readdirSync(folder).sort().map((file) => [file, readFileSync(join(folder, file))]))
}

describe('a build of named packages reading the release before each new version', () => {
  test.each([
    { sub: '', label: 'at the top of its git repository' },
    { sub: 'source', label: 'in a folder of its git repository' },
  ])('reads from that commit only what differs or is not at HEAD, and makes the bundles of a whole build ($label)', async ({ sub }) => {
    const count = 3
    const top = join(temp.dir, `named${sub ? '-sub' : ''}`)
    const repo = sub ? join(top, sub) : top
    // In a folder, the source's files are committed in the git repository above it, beside another project's.
    const put = (files: Record<string, string>) => commitFiles(top, Object.fromEntries(Object.entries(files).map(([path, text]) => [sub ? `${sub}/${path}` : path, text])))
    makeGitRepo(top, sub ? { 'README.md': 'Another project beside the source.\n' } : sourceFiles())
    if (sub) put(sourceFiles())
    put(chains(count))
    const names = Array.from({ length: count }, (_, i) => [`chain${i}`, `chain-on-base${i}`, `listed${i}`]).flat().sort()
    const first = await buildPackages({ repo, packages: names, all: false, debug: false })
    expect(first.diagnostics).toEqual([])
    const released = git(repo, ['rev-parse', 'HEAD'])
    put(change(count))
    // Another checkout of the same commits and first tags, where every package is built: the reference.
    const whole = join(temp.dir, `whole${sub ? '-sub' : ''}`)
    git(temp.dir, ['clone', '-q', top, whole])
    const wholeRepo = sub ? join(whole, sub) : whole
    git(wholeRepo, ['checkout', '-q', released])
    expect((await buildPackages({ repo: wholeRepo, packages: [], all: true, debug: false })).diagnostics).toEqual([])
    git(wholeRepo, ['checkout', '-q', 'main'])

    // The chains alone: what they held at the release (conn/db<i>, cred/x<i>) is nowhere in the model at HEAD.
    const chained = names.filter((name) => name.startsWith('chain'))
    const { result, argv } = await gitProcesses(temp.dir, () => buildPackages({ repo, packages: chained, all: false, debug: false }))
    expect(result.diagnostics).toEqual([])
    expect(result.artifacts.filter((a) => a.created).map((a) => a.package).sort()).toEqual(chained)
    const listed = await buildPackages({ repo, packages: names.filter((name) => name.startsWith('listed')), all: false, debug: false })
    expect(listed.diagnostics).toEqual([])
    result.artifacts.push(...listed.artifacts)
    const all = await buildPackages({ repo: wholeRepo, packages: [], all: true, debug: false })
    expect(all.diagnostics).toEqual([])

    // The same bundles, deltas and tags as the build of every package.
    const mine = bundles(repo)
    const theirs = bundles(wholeRepo)
    for (const [file, bytes] of mine) expect(theirs.get(file)?.equals(bytes), file).toBe(true)
    for (const a of result.artifacts) {
      expect(a.delta, a.package).toEqual(all.artifacts.find((b) => b.package === a.package)!.delta)
      expect(tagDigest(repo, `${a.package}@${a.version}`)).toBe(tagDigest(wholeRepo, `${a.package}@${a.version}`))
    }
    expect(result.artifacts.find((a) => a.package === 'chain0')!.delta).toEqual({ previous: '1', added: ['conn/db', 'cred/db'], changed: ['task/b0'], removed: ['conn/db0', 'cred/x0'] })
    expect(result.artifacts.find((a) => a.package === 'listed0')!.delta).toEqual({ previous: '1', added: [], changed: ['task/b0'], removed: [] })

    // The release's commit is named by one process listing what differs, then one listing the files read
    // from it per round: task/b<i>, then conn/db<i> (reached at that commit only), then cred/x<i>. The same
    // for any number of packages; no process reads that commit's kinds, gantry.yaml or packages.
    const naming = argv.filter((args) => args.some((a) => a.includes(released)))
    expect(naming.map((args) => args[args.indexOf(repo) + 1 + (args.includes('--literal-pathspecs') ? 1 : 0)])).toEqual(['diff-tree', 'ls-tree', 'ls-tree', 'ls-tree'])
  })
})
