import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { deltaBetween } from '../../src/core/bundle/bundle.js'
import { sha256 } from '../../src/core/bundle/canonical-json.js'
import { definition, makeSourceRepo, packageFile } from './fixture.js'
import { commitFiles, git, gitProcesses, tagDigest, tempDir } from './helpers.js'

// A build of every package works out each new version's delta from the items of the release before it, at
// that release's commit. With the whole repository read at HEAD, that commit is read by what git says
// differs between the two: the differing files alone, in a fixed number of git processes whatever the
// number of packages, and the deltas are those of the bundles themselves.

const temp = tempDir('gantry-build-earlier-')
afterAll(() => temp.cleanup())

type BundleFile = { version: string; items: Record<string, { digest: string }>; delta: { previous: string | null; added: string[]; changed: string[]; removed: string[] } }

/** task/a<i> -> task/b<i> -> conn/db<i> -> cred/x<i>; chain<i> declares task/a<i> and includes what it reaches. */
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
      // The same chain beside base, which provides conn/db and cred/db once task/b<i> reaches them.
      packageFile({ name: `chain-on-base${i}`, items: [`task/a${i}`], includeReferences: true, dependencies: [{ package: 'base' }] }),
    )
  }
  return files
}

/** Every chain's task/b<i> turned to base's conn/db: what each chain reaches changes; tools drops an item. */
function change(count: number): Record<string, string | null> {
  const files: Record<string, string | null> = {}
  for (let i = 0; i < count; i++) Object.assign(files, definition('task', `b${i}`, { command: `b${i}.sh`, conn: 'db' }))
  Object.assign(files, packageFile({ name: 'tools', notes: 'Independent tools.', items: ['cred/tools'] }), { 'definitions/task/cleanup.yaml': null })
  return files
}

describe('a build reading the release before each new version', () => {
  test('reads that commit in two git processes, and the deltas are those of the bundles', async () => {
    const count = 4
    const repo = join(temp.dir, 'chains')
    makeSourceRepo(repo)
    commitFiles(repo, chains(count))
    const first = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(first.diagnostics).toEqual([])
    const released = git(repo, ['rev-parse', 'HEAD'])
    const folder = join(repo, '.gantry/build')
    // A fresh checkout: no build folder (the first bundles are kept here to check the deltas against).
    const earlier = new Map(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')]))
    rmSync(folder, { recursive: true })
    commitFiles(repo, change(count))

    const { result, argv } = await gitProcesses(temp.dir, () => buildPackages({ repo, packages: [], all: true, debug: false }))
    expect(result.diagnostics).toEqual([])
    // Every chain and tools have a new version; base and app are unchanged.
    const created = result.artifacts.filter((a) => a.created).map((a) => a.package)
    expect(created.sort()).toEqual([...Array.from({ length: count }, (_, i) => [`chain${i}`, `chain-on-base${i}`]).flat(), 'tools'].sort())
    // The earlier commit is named by one process listing what differs and one listing the differing files.
    expect(argv.filter((args) => args.some((a) => a.includes(released))).length).toBe(2)

    const read = (file: string) => JSON.parse(earlier.get(file) ?? readFileSync(join(folder, file), 'utf8')) as BundleFile
    for (const artifact of result.artifacts) {
      const bundle = read(`${artifact.package}-${artifact.version}.gantry.json`)
      const before = bundle.delta.previous ? read(`${artifact.package}-${bundle.delta.previous}.gantry.json`).items : undefined
      expect(bundle.delta, artifact.package).toEqual(deltaBetween(bundle.delta.previous, before, bundle.items))
      expect(sha256(readFileSync(join(folder, `${artifact.package}-${artifact.version}.gantry.json`))), artifact.package).toBe(tagDigest(repo, `${artifact.package}@${artifact.version}`))
    }
    // What the chains reach moved from their own connection and credential to base's.
    expect(read('chain0-1.1.gantry.json').delta).toEqual({ previous: '1', added: ['conn/db', 'cred/db'], changed: ['task/b0'], removed: ['conn/db0', 'cred/x0'] })
    // Beside base, base provides them: the chain holds neither.
    expect(read('chain-on-base0-1.1.gantry.json').delta).toEqual({ previous: '1', added: [], changed: ['task/b0'], removed: ['conn/db0', 'cred/x0'] })
    expect(read('tools-1.1.gantry.json').delta).toEqual({ previous: '1', added: [], changed: [], removed: ['task/cleanup'] })

    // A build of the same commit from nothing makes the same bytes.
    const bytes = new Map(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f))]))
    rmSync(folder, { recursive: true })
    const again = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(again.artifacts.every((a) => !a.created)).toBe(true)
    for (const file of readdirSync(folder)) expect(readFileSync(join(folder, file)).equals(bytes.get(file)!), file).toBe(true)
  })
})
