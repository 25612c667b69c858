import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { editTree } from '../../src/adapters/git/tree-editor.js'
import { buildPackages } from '../../src/commands/build.js'
import { bundleContent, contentDigest } from '../../src/core/bundle/bundle.js'
import { canonicalCompact, sha256 } from '../../src/core/bundle/canonical-json.js'
import type { PackageContents } from '../../src/core/model/package-contents.js'
import type { Definition } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { definition, makeSourceRepo, packageFile } from '../engine/fixture.js'
import { commitFiles, git, tempDir } from '../engine/helpers.js'

// A rebuild works out the items of each earlier release from the model at HEAD and the files git lists as
// differing since that release's commit. Whatever the history, the bundles, versions, deltas and tags must be
// those of a build that reads the earlier commit on its own: a build of the same packages by name, which
// reads each earlier commit by path, is the reference.

const temp = tempDir('gantry-build-diff-review-')
afterAll(() => temp.cleanup())

interface Outcome {
  artifacts: { package: string; version: string; created: boolean; digest: string; tag: string | null }[]
  bundles: Record<string, string>
  tags: string[]
}

async function buildOutcome(repo: string, named: boolean): Promise<Outcome> {
  const names = readdirSync(join(repo, 'packages'))
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.replace(/\.ya?ml$/, ''))
    .sort()
  const result = await buildPackages({ repo, packages: named ? names : [], all: !named, debug: false })
  expect(result.diagnostics).toEqual([])
  const folder = join(repo, '.gantry/build')
  const bundles: Record<string, string> = {}
  for (const file of readdirSync(folder).sort()) bundles[file] = readFileSync(join(folder, file), 'utf8')
  const tags = git(repo, ['for-each-ref', '--format=%(refname) %(*objectname) %(contents)', 'refs/tags'])
    .split('\n')
    .sort()
  return {
    artifacts: result.artifacts.map((a) => ({ package: a.package, version: a.version, created: a.created, digest: a.digest, tag: a.tag })).sort((a, b) => a.package.localeCompare(b.package)),
    bundles,
    tags,
  }
}

/**
 * A repository with a first release of every package, then `history` committed (each a commit), built with
 * --all (the earlier commits read through git's diff) and, in a copy, by name (read by path): the same.
 */
async function sameAsReadWhole(
  name: string,
  history: Record<string, string | null>[],
  setup: (repo: string) => void = () => {},
  initial: Record<string, string | null> = {},
): Promise<Outcome> {
  const repo = join(temp.dir, name)
  makeSourceRepo(repo)
  setup(repo)
  commitFiles(repo, initial, 'initial extras')
  const first = await buildPackages({ repo, packages: [], all: true, debug: false })
  expect(first.diagnostics).toEqual([])
  rmSync(join(repo, '.gantry/build'), { recursive: true })
  for (const files of history) commitFiles(repo, files)
  const copy = `${repo}-named`
  cpSync(repo, copy, { recursive: true, verbatimSymlinks: true })
  const fast = await buildOutcome(repo, false)
  const reference = await buildOutcome(copy, true)
  expect(fast).toEqual(reference)
  return fast
}

const deltaOf = (outcome: Outcome, file: string) => (JSON.parse(outcome.bundles[file]!) as { delta: unknown }).delta

describe('a rebuild reading earlier releases through git diff-tree', () => {
  it('a definition moved to another kind folder, and one renamed', async () => {
    const outcome = await sameAsReadWhole('moved', [
      {
        'definitions/cred/tools.yaml': null,
        ...definition('conn', 'tools', { host: 'tools.example.com' }),
        'definitions/task/cleanup.yaml': null,
        ...definition('task', 'cleanup2', { command: 'cleanup.sh' }),
        ...packageFile({ name: 'tools', notes: 'Independent tools.', items: ['conn/tools', 'task/cleanup2'] }),
      },
    ])
    expect(deltaOf(outcome, 'tools-1.1.gantry.json')).toEqual({ previous: '1', added: ['conn/tools', 'task/cleanup2'], changed: [], removed: ['cred/tools', 'task/cleanup'] })
  })

  it('a dependency deleted, dependencies and includeReferences changed', async () => {
    await sameAsReadWhole(
      'dependencies',
      [
        {
          ...packageFile({ name: 'app', notes: 'The extract task.', items: ['task/extract'], includeReferences: true }),
          ...packageFile({ name: 'chain', items: ['task/extract'], includeReferences: true }),
          'packages/helper.yaml': null,
        },
        { ...definition('conn', 'db', { host: 'db2.example.com', credential: 'db-qa' }) },
      ],
      () => {},
      {
        ...packageFile({ name: 'helper', items: ['cred/db'] }),
        ...packageFile({ name: 'chain', items: ['task/extract'], includeReferences: true, dependencies: [{ package: 'helper' }] }),
      },
    )
  })

  it('a definition deleted and the same id made again at its path with other content', async () => {
    await sameAsReadWhole('recreated', [
      { 'definitions/cred/tools.yaml': null, ...packageFile({ name: 'tools', items: ['task/cleanup'] }) },
      { ...definition('cred', 'tools', { path: 'vault://kv/tools2' }), ...packageFile({ name: 'tools', notes: 'Independent tools.', items: ['cred/tools', 'task/cleanup'] }) },
    ])
  })

  it('links and files beside the source folders that changed', async () => {
    await sameAsReadWhole(
      'links',
      [{ 'README.md': 'changed\n', 'docs/target.yaml': 'x: 2\n', ...definition('cred', 'tools', { path: 'vault://kv/tools3' }) }],
      (repo) => {
        mkdirSync(join(repo, 'docs'), { recursive: true })
        symlinkSync('../docs/target.yaml', join(repo, 'docs/link.yaml'))
      },
      { 'README.md': 'first\n', 'docs/target.yaml': 'x: 1\n' },
    )
  })

  it('configured source folders', async () => {
    const repo = join(temp.dir, 'configured')
    makeSourceRepo(repo)
    // Move the source into configured folders.
    for (const [from, to] of [
      ['definitions', 'src/defs'],
      ['packages', 'src/pkgs'],
      ['kinds', 'schemas'],
    ] as const) {
      mkdirSync(join(repo, to, '..'), { recursive: true })
      git(repo, ['mv', from, to])
    }
    const config = readFileSync(join(repo, 'gantry.yaml'), 'utf8') + stringify({ paths: { definitions: 'src/defs', packages: 'src/pkgs', kinds: 'schemas' } })
    commitFiles(repo, { 'gantry.yaml': config })
    const first = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(first.diagnostics).toEqual([])
    rmSync(join(repo, '.gantry/build'), { recursive: true })
    commitFiles(repo, {
      'src/defs/cred/tools.yaml': stringify({ kind: 'cred', name: 'tools', spec: { path: 'vault://kv/other' } }),
      'src/pkgs/tools.yaml': stringify({ name: 'tools', notes: 'Independent tools.', items: ['cred/tools', 'task/cleanup', 'cred/db'] }),
    })
    const copy = `${repo}-named`
    cpSync(repo, copy, { recursive: true })
    const names = ['app', 'base', 'tools']
    const fast = await buildPackages({ repo, packages: [], all: true, debug: false })
    const reference = await buildPackages({ repo: copy, packages: names, all: false, debug: false })
    expect(fast.diagnostics).toEqual([])
    expect(fast.artifacts.map((a) => [a.package, a.version, a.bytes])).toEqual(reference.artifacts.map((a) => [a.package, a.version, a.bytes]))
    const tools = JSON.parse(fast.artifacts.find((a) => a.package === 'tools')!.bytes) as { delta: unknown }
    expect(tools.delta).toEqual({ previous: '1', added: ['cred/db'], changed: ['cred/tools'], removed: [] })
  })
})

// The content digest is put together from the items' compact JSON kept beside the items record: the bytes
// must be those of the content serialized whole, as a reader of the bundle serializes what it parsed.
describe('the content digest of a bundle', () => {
  const definitionOf = (id: string, spec: Record<string, unknown>, references: { path: (string | number)[]; target: string }[] = []): Definition => {
    const [kind = '', name = ''] = id.split('/')
    const targets = references.map((r) => r.target as ItemId)
    return {
      id: id as ItemId,
      kind,
      name,
      file: `definitions/${id}.yaml`,
      document: { kind, name, spec },
      parsed: undefined as unknown as Definition['parsed'],
      references: references.map((r) => ({ ...r, target: r.target as ItemId, position: { line: 1, column: 1 } })),
      referenceCount: targets.length,
      referenceTarget: (index: number) => targets[index]!,
    }
  }
  const contentsOf = (definitions: Definition[]): PackageContents =>
    ({ items: new Map(definitions.map((d, i) => [d.id, { definition: d, origin: i % 2 ? 'included' : 'declared' }])), missing: [] }) as unknown as PackageContents
  const readerDigest = (content: unknown) => sha256(canonicalCompact(JSON.parse(JSON.stringify(content))))
  const manifest = { name: 'p', notes: 'n', items: [], environments: { qa: { set: { 'task/a': { 'spec.x': 1 } } } }, instructions: [{ step: 's' }] }

  const odd = JSON.parse('{"__proto__": {"x": 1}, "10": "ten", "2": [-0, 1e308, 9007199254740993, 5e-324], "b": "\\ud800", "a": "\\udfff\\ud83d\\ude00", "": null, "Z": {"9": 1, "a": true, "08": 2}}') as Record<string, unknown>
  const cases: Record<string, Definition[]> = {
    'ordinary ids, keys that read as array indexes inside documents': [definitionOf('task/b', odd), definitionOf('task/a', { x: -0, y: [odd] }, [{ path: ['spec', 'y', 0], target: 'conn/db' }])],
    'ids that sort by UTF-16 code units, not code points': [definitionOf('task/\uff01', { a: 1 }), definitionOf('task/\u{1f600}', { a: 2 }), definitionOf('task/\u00e9', { a: 3 }), definitionOf('task/Z', { a: 4 })],
    'ids with lone surrogates': [definitionOf('task/\ud800', { a: 1 }), definitionOf('task/\udfff', { a: 2 })],
    'ids that read as array indexes': [definitionOf('10', { a: 1 }), definitionOf('2', { a: 2 }), definitionOf('task/a', { a: 3 })],
    'no items': [],
  }
  for (const [name, definitions] of Object.entries(cases)) {
    it(name, () => {
      const content = bundleContent(manifest as never, contentsOf(definitions))
      expect(contentDigest(content)).toBe(readerDigest(content))
    })
  }
})

// A changed folder is written from slices of its old tree object and the new entries: the trees must be
// those git writes from an index holding the same files.
describe('the trees an apply writes', () => {
  /** The same writes made by git: read-tree, update-index, write-tree, with an index of its own. */
  const byGit = (dir: string, base: string, writes: ReadonlyMap<string, string | null>): string => {
    const env = { GIT_INDEX_FILE: join(dir, `.git/review-index-${Math.random().toString(36).slice(2)}`) }
    git(dir, ['read-tree', base], { env })
    // One update-index for every change: mode 0 removes a path.
    const zero = '0'.repeat(base.length)
    const lines = [...writes].map(([path, content]) => (content === null ? `0 ${zero}\t${path}` : `100644 ${git(dir, ['hash-object', '-w', '--stdin'], { input: content })}\t${path}`))
    git(dir, ['update-index', '--add', '--remove', '--index-info'], { env, input: `${lines.join('\n')}\n` })
    return git(dir, ['write-tree'], { env })
  }
  for (const format of ['sha1', 'sha256'] as const) {
    it(`names that sort differently as folders and files, thousands of entries (${format})`, async () => {
      const dir = join(temp.dir, `trees-${format}`)
      git(temp.dir, ['init', '-q', `--object-format=${format}`, dir])
      const env = { GIT_INDEX_FILE: join(dir, '.git/review-base-index') }
      const blob = git(dir, ['hash-object', '-w', '--stdin'], { input: 'kind: task\n' })
      const names = [
        'foo', 'foo-bar', 'foo.yaml', 'foo0', 'foo/inner.yaml', 'foo/only/one.yaml', 'a.b/c', 'a-b', 'ab', '\u00e9t\u00e9.yaml', 'z\u{1f600}.yaml',
        ...Array.from({ length: 4000 }, (_, i) => `bulk/x${(i * 7919) % 4000}${i % 3 ? '.yaml' : ''}`),
        'bulk/x17/deep.yaml',
      ].filter((n) => n !== 'foo')
      const index = names.map((n) => `100644 ${blob}\t${n}`).join('\n')
      git(dir, ['update-index', '--add', '--index-info'], { env, input: `${index}\n` })
      const base = git(dir, ['commit-tree', git(dir, ['write-tree'], { env }), '-m', 'base'])
      const writes = new Map<string, string | null>([
        ['foo-/new.yaml', 'a\n'],
        ['foo.d/new.yaml', 'b\n'],
        ['foo.yaml', 'c\n'],
        ['foo-a', 'd\n'],
        ['foo/only/one.yaml', null],
        ['foo/inner.yaml', 'e\n'],
        ['foo/inner', 'e2\n'],
        ['a.b/d', 'f\n'],
        ['a', 'g\n'],
        ['bulk/x0', null],
        ['bulk/x17.yaml', 'h\n'],
        ['bulk/x17/deeper.yaml', 'i\n'],
        ['bulk/x3999.yaml', 'j\n'],
        ['bulk/x3999', 'k\n'],
        ['bulk/\u00e9', 'l\n'],
        ['bulk/~', 'm\n'],
        ['bulk/ ', 'n\n'],
        ['z\u{1f600}.yaml', null],
      ])
      expect(await editTree(new Git(dir), base, writes)).toBe(byGit(dir, base, writes))
      // Every entry of a large folder removed but one, and one written beside it.
      const emptied = new Map<string, string | null>(names.filter((n) => n.startsWith('bulk/') && n !== 'bulk/x1').map((n) => [n, null]))
      emptied.set('bulk/x1-new', 'o\n')
      expect(await editTree(new Git(dir), base, emptied)).toBe(byGit(dir, base, emptied))
    })
  }
})

describe('a Gantry source in a folder of a larger git repository', () => {
  // git diff-tree names paths from the top of the repository; Gantry's source paths are from its folder.
  it('rebuilds the delta of a changed definition as when the earlier commit is read whole', async () => {
    const top = join(temp.dir, 'mono')
    const repo = join(top, 'ops')
    makeSourceRepo(top)
    // The source moved into ops/ of the same repository.
    mkdirSync(repo)
    for (const entry of ['.gitignore', 'gantry.yaml', 'definitions', 'packages', 'kinds']) git(top, ['mv', entry, `ops/${entry}`])
    commitFiles(top, {}, 'move into ops')
    const first = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(first.diagnostics).toEqual([])
    rmSync(join(repo, '.gantry/build'), { recursive: true })
    commitFiles(top, {
      'ops/definitions/cred/tools.yaml': stringify({ kind: 'cred', name: 'tools', spec: { path: 'vault://kv/other' } }),
    })
    const copy = join(temp.dir, 'mono-named')
    cpSync(top, copy, { recursive: true })
    const fast = await buildPackages({ repo, packages: [], all: true, debug: false })
    const reference = await buildPackages({ repo: join(copy, 'ops'), packages: ['app', 'base', 'tools'], all: false, debug: false })
    const delta = (result: typeof fast) => (JSON.parse(result.artifacts.find((a) => a.package === 'tools')!.bytes) as { delta: unknown }).delta
    expect(delta(reference)).toEqual({ previous: '1', added: [], changed: ['cred/tools'], removed: [] })
    expect(delta(fast)).toEqual({ previous: '1', added: [], changed: ['cred/tools'], removed: [] })
    expect(fast.artifacts.map((a) => [a.package, a.version, a.bytes])).toEqual(reference.artifacts.map((a) => [a.package, a.version, a.bytes]))
  })
})

describe('a Gantry source in a folder of a larger git repository, rebuilt beside its build folder', () => {
  // The bundles a rebuild takes from the build folder as they are: those whose files git shows unchanged.
  it('gives a changed package a new version', async () => {
    const top = join(temp.dir, 'mono-reuse')
    const repo = join(top, 'ops')
    makeSourceRepo(top)
    mkdirSync(repo)
    for (const entry of ['.gitignore', 'gantry.yaml', 'definitions', 'packages', 'kinds']) git(top, ['mv', entry, `ops/${entry}`])
    commitFiles(top, {}, 'move into ops')
    const first = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(first.diagnostics).toEqual([])
    commitFiles(top, { 'ops/definitions/cred/tools.yaml': stringify({ kind: 'cred', name: 'tools', spec: { path: 'vault://kv/other' } }) })
    const again = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(again.diagnostics).toEqual([])
    expect(again.artifacts.map((a) => [a.package, a.version, a.created])).toEqual([
      ['app', '1', false],
      ['base', '1', false],
      ['tools', '1.1', true],
    ])
  })
})
