import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { stringify } from 'yaml'
import { type PreviousItems, readPreviousItems } from '../../src/commands/artifacts.js'
import { openRepository } from '../../src/commands/repository.js'
import { bundleContent } from '../../src/core/bundle/bundle.js'
import { packageContents } from '../../src/core/model/package-contents.js'
import { definition, gantryYaml, packageFile, sourceFiles, APP, BASE, KINDS, TOOLS } from '../engine/fixture.js'
import { commitFiles, git, makeGitRepo, tempDir } from '../engine/helpers.js'

// The items of an earlier release, worked out from the model at HEAD (whole, or the part named packages need)
// and what git says differs, must be those a model read whole from the release commit gives, whatever changed
// in between: packages, items, dependencies, includeReferences, gantry.yaml, kind schemas, links.

const temp = tempDir('gantry-attack-earlier-items-12d-')
afterAll(() => temp.cleanup())

type Files = Record<string, string | null>
type Step = Files | ((dir: string) => void)

/** `release` is committed (and tagged by hand, off the default branch when `side`), then `head` on main. */
const cases: { name: string; base?: Files; release?: Step[]; head: Step[]; side?: boolean; sub?: boolean }[] = [
  {
    name: 'an item moved between packages',
    head: [{ ...packageFile({ ...BASE, items: ['cred/db', 'cred/db-qa', 'conn/db'] }), ...packageFile({ ...TOOLS, items: [...TOOLS.items, 'cal/holidays'] }) }],
  },
  { name: 'includeReferences turned on at HEAD', head: [packageFile({ ...APP, includeReferences: true })] },
  {
    name: 'includeReferences on at the release, off at HEAD',
    base: packageFile({ ...APP, includeReferences: true, dependencies: [] }),
    head: [packageFile({ ...APP, includeReferences: false, dependencies: [] })],
  },
  {
    name: 'a dependency dropped at HEAD: its items the same but outside the part HEAD needs',
    head: [packageFile({ ...APP, dependencies: [], includeReferences: true, items: ['task/extract', 'conn/db', 'cred/db'] })],
  },
  {
    name: 'a dependency added at HEAD',
    base: packageFile({ ...APP, dependencies: [] }),
    head: [packageFile(APP)],
  },
  { name: 'a package deleted at HEAD', head: [{ 'packages/tools.yaml': null }] },
  {
    name: 'a package deleted and recreated with other items',
    head: [{ 'packages/tools.yaml': null }, packageFile({ name: 'tools', items: ['cal/holidays'] })],
  },
  {
    name: 'a package renamed at HEAD',
    head: [{ 'packages/tools.yaml': null, ...packageFile({ ...TOOLS, name: 'tools2' }) }],
  },
  {
    name: 'an item deleted at HEAD and another of the same name in another kind',
    head: [{ 'definitions/task/cleanup.yaml': null, ...definition('cal', 'cleanup', { days: [] }), ...packageFile({ ...TOOLS, items: ['cred/tools', 'cal/cleanup'] }) }],
  },
  {
    name: 'an item created after the release that the package lists at both',
    base: packageFile({ ...TOOLS, items: [...TOOLS.items, 'task/later'] }),
    head: [definition('task', 'later', { command: 'l' })],
  },
  { name: 'gantry.yaml changed at HEAD', head: [gantryYaml({ kinds: { cal: { update: 'always' } } })] },
  {
    name: 'a kind schema changed at HEAD',
    head: [{ 'kinds/cal.schema.json': `${JSON.stringify({ ...(KINDS.cal as object), description: 'd' })}\n` }],
  },
  {
    name: 'a definition of a kind added at HEAD',
    head: [{ 'kinds/zz.schema.json': '{"type":"object"}\n', ...definition('zz', 'a', {}), ...packageFile({ ...TOOLS, items: [...TOOLS.items, 'zz/a'] }) }],
  },
  {
    name: 'an item made a symbolic link to an equal file at HEAD',
    head: [
      { 'definitions/task/copy.yaml': stringify({ kind: 'task', name: 'cleanup', spec: { command: 'cleanup.sh' } }) },
      (dir) => {
        git(dir, ['rm', '-q', 'definitions/task/cleanup.yaml', 'definitions/task/copy.yaml'])
        symlinkSync('copy.yaml', join(dir, 'definitions/task/cleanup.yaml'))
        commitFiles(dir, {})
      },
    ],
  },
  {
    name: 'an item with CRLF line ends at HEAD',
    head: [{ 'definitions/cred/tools.yaml': 'kind: cred\r\nname: tools\r\nspec:\r\n  path: vault://kv/tools\r\n' }],
  },
  {
    name: 'an item folder at the release where HEAD has a file',
    side: true,
    release: [{ 'definitions/task/cleanup.yaml': null, 'definitions/task/cleanup.yaml/x.yaml': stringify({ kind: 'task', name: 'x', spec: { command: 'x' } }) }],
    head: [definition('task', 'cleanup', { command: 'c2' })],
  },
  {
    name: 'the release on a side commit with another dependency and the dependency changed',
    side: true,
    release: [{ ...packageFile({ ...APP, dependencies: [{ package: 'tools' }], includeReferences: true }), ...definition('task', 'extract', { command: 'e', conn: 'db' }) }],
    head: [definition('conn', 'db', { host: 'h2', credential: 'db' })],
  },
  {
    name: 'a source in a subfolder, the package changed',
    sub: true,
    head: [{ ...packageFile({ ...TOOLS, items: ['cred/tools'] }), 'other/x.yaml': 'x: 1\n' }],
  },
  {
    name: 'a source in a subfolder, a folder beside it named like a source folder changed',
    sub: true,
    head: [{ '../definitions/task/cleanup.yaml': stringify({ kind: 'task', name: 'cleanup', spec: { command: 'zz' } }) }],
  },
]

const apply = (dir: string, steps: Step[]) => {
  for (const step of steps) {
    if (typeof step === 'function') step(dir)
    else commitFiles(dir, step)
  }
}

/** Every package's items at `commit` from a model read whole there. */
async function oracle(dir: string, commit: string): Promise<Map<string, unknown>> {
  const then = await openRepository(dir, { commit })
  const found = new Map<string, unknown>()
  const cache = new Map()
  for (const [name, pkg] of [...then.model.packages].sort()) found.set(name, bundleContent(pkg.manifest, packageContents(then.model, pkg, cache)).items)
  return found
}

describe('the items of an earlier release, from the model at HEAD and what differs', () => {
  test.each(cases)('$name', async ({ name, base, release = [], head, side, sub }) => {
    const repo = join(temp.dir, name.replace(/[^a-z0-9]+/gi, '-'))
    const files = { ...sourceFiles(), ...base } as Record<string, string>
    const prefixed = sub ? Object.fromEntries(Object.entries(files).map(([k, v]) => [`src/${k}`, v])) : files
    makeGitRepo(repo, prefixed)
    const dir = sub ? join(repo, 'src') : repo
    if (side) git(repo, ['checkout', '-q', '-b', 'side'])
    apply(dir, release)
    const commit = git(repo, ['rev-parse', 'HEAD'])
    if (side) git(repo, ['checkout', '-q', 'main'])
    apply(dir, head)
    const at = git(repo, ['rev-parse', 'HEAD'])
    mkdirSync(dir, { recursive: true })

    const expected = await oracle(dir, commit)
    const names = [...new Set([...expected.keys(), 'tools2', 'nothere'])].sort()
    const wanted = names.map((pkg) => ({ commit, package: pkg }))
    const items = (cache: PreviousItems) => new Map(names.map((n) => [n, cache.get(`${commit}:${n}`)]))
    // What a delta needs of the earlier release: each item's digest (the oracle's records hold more).
    const digestsOf = (records: object) =>
      Object.fromEntries(Object.entries(records as Record<string, { digest: string }>).map(([id, { digest }]) => [id, { digest }]))
    const want = new Map(names.map((n) => [n, digestsOf(expected.get(n) ?? {})]))

    const whole = await openRepository(dir, { commit: at })
    const fromWhole: PreviousItems = new Map()
    await readPreviousItems(whole, wanted, fromWhole, at, true)
    expect(items(fromWhole)).toEqual(want)

    // A build of each package alone, as a build of named packages reads HEAD.
    for (const pkg of names) {
      const part = await openRepository(dir, { commit: at, packages: [pkg] })
      const fromPart: PreviousItems = new Map()
      await readPreviousItems(part, [{ commit, package: pkg }], fromPart, at, false)
      expect(fromPart.get(`${commit}:${pkg}`), pkg).toEqual(want.get(pkg))
    }
  })
})
