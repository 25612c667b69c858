import { describe, expect, test } from 'vitest'
import {
  type Bundle,
  type BundleItem,
  deltaBetween,
  parseTagMessage,
  serializeBundle,
  tagMessage,
} from '../../src/core/bundle/bundle.js'
import { canonicalJson, sha256 } from '../../src/core/bundle/canonical-json.js'
import type { EnvironmentLedger, GantryConfig } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import {
  environmentDocument,
  mergeDocuments,
  renderItemFile,
} from '../../src/core/promotion/environment-content.js'
import { type EnvironmentView, planPromotion } from '../../src/core/promotion/plan-promotion.js'
import {
  bumpFromNotes,
  compareVersions,
  latestVersion,
  nextVersion,
  parseRange,
  satisfies,
} from '../../src/core/versions/versions.js'
import { readYaml } from '../../src/core/yaml/read-yaml.js'

describe('versions', () => {
  test('compare numerically, segment by segment; a missing segment is 0', () => {
    expect(compareVersions('1.10', '1.9')).toBe(1)
    expect(compareVersions('1.9', '1.10')).toBe(-1)
    expect(compareVersions('1', '1.0')).toBe(0)
    expect(compareVersions('2', '1.99')).toBe(1)
    expect(latestVersion(['1', '1.9', '1.10', '1.2'])).toBe('1.10')
    expect(latestVersion([])).toBeUndefined()
  })

  test('next version: dot counts the second segment, semver bumps what the notes ask', () => {
    expect(nextVersion(undefined, 'dot')).toBe('1')
    expect(nextVersion('1', 'dot')).toBe('1.1')
    expect(nextVersion('1.9', 'dot')).toBe('1.10')
    expect(nextVersion('7.3', 'dot')).toBe('7.4')
    expect(nextVersion(undefined, 'semver')).toBe('1.0.0')
    expect(nextVersion('1.2.3', 'semver')).toBe('1.2.4')
    expect(nextVersion('1.2.3', 'semver', 'minor')).toBe('1.3.0')
    expect(nextVersion('1.2.3', 'semver', 'major')).toBe('2.0.0')
    expect(bumpFromNotes(undefined)).toBe('patch')
    expect(bumpFromNotes('fix a typo')).toBe('patch')
    expect(bumpFromNotes('adds a field #minor')).toBe('minor')
    expect(bumpFromNotes('BREAKING: renamed')).toBe('major')
  })

  test('ranges: exact, comparators, caret, tilde, star and alternatives', () => {
    const holds = (range: string, version: string) => {
      const parsed = parseRange(range)
      if (typeof parsed === 'string') throw new Error(parsed)
      return satisfies(version, parsed)
    }
    expect(holds('1.2', '1.2')).toBe(true)
    expect(holds('1.2', '1.2.0')).toBe(true)
    expect(holds('1.2', '1.3')).toBe(false)
    expect(holds('>=1.1', '1.10')).toBe(true)
    expect(holds('>=1.1 <2', '2')).toBe(false)
    expect(holds('>=1.1 <2', '1.99')).toBe(true)
    expect(holds('<=1.2', '1.2')).toBe(true)
    expect(holds('<=1.2', '1.2.0')).toBe(true)
    expect(holds('<=1.2', '1.1.9')).toBe(true)
    expect(holds('<=1.2', '1.2.1')).toBe(false)
    expect(holds('<=1.2', '1.10')).toBe(false)
    expect(holds('>1.2', '1.2')).toBe(false)
    expect(holds('>1.2', '1.10')).toBe(true)
    expect(holds('^1', '1.10')).toBe(true)
    expect(holds('^1', '2.0')).toBe(false)
    expect(holds('~1.2', '1.2.9')).toBe(true)
    expect(holds('~1.2', '1.3')).toBe(false)
    expect(holds('*', '0.1')).toBe(true)
    expect(holds('1 || >=3', '2')).toBe(false)
    expect(holds('1 || >=3', '3.1')).toBe(true)
    expect(parseRange('>=banana')).toEqual(expect.any(String))
    expect(parseRange('1 ||')).toEqual(expect.any(String))
  })
})

describe('canonical JSON, bundles and tag messages', () => {
  test('the same data in any key order gives the same bytes', () => {
    const a = canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 'x' }, skipped: undefined })
    const b = canonicalJson({ a: { c: 'x', d: [{ y: 2, z: 1 }] }, b: 1 })
    expect(a).toBe(b)
    expect(a).toBe(
      '{\n  "a": {\n    "c": "x",\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    )
  })

  test('the tag message carries digest, content digest and notes, and reads back', () => {
    const digest = sha256('bundle')
    const content = sha256('content')
    const message = tagMessage(
      'billing',
      '1.2',
      digest,
      content,
      'Adds invoice export.\n\nSecond paragraph.\n',
    )
    expect(message.split('\n')[0]).toBe('billing@1.2')
    expect(parseTagMessage(message)).toEqual({
      digest,
      content,
      notes: 'Adds invoice export.\n\nSecond paragraph.',
    })
    expect(parseTagMessage(tagMessage('billing', '1', digest, content))).toEqual({ digest, content })
    expect(parseTagMessage('billing@1\n\nhand-made tag\n')).toEqual({})
  })

  test('delta: added, changed, removed, each sorted', () => {
    expect(
      deltaBetween(
        '1',
        { 'a/x': { digest: '1' }, 'a/y': { digest: '1' }, 'a/z': { digest: '1' } },
        { 'a/y': { digest: '2' }, 'a/z': { digest: '1' }, 'a/b': { digest: '1' } },
      ),
    ).toEqual({
      previous: '1',
      added: ['a/b'],
      changed: ['a/y'],
      removed: ['a/x'],
    })
    expect(deltaBetween(null, undefined, { 'a/x': { digest: '1' } })).toEqual({
      previous: null,
      added: ['a/x'],
      changed: [],
      removed: [],
    })
  })
})

describe('environment content', () => {
  const conn: BundleItem = {
    digest: 'sha256:x',
    origin: 'declared',
    document: {
      kind: 'conn',
      name: 'db',
      spec: { host: 'dev', credential: 'db', options: { pool: 1 }, list: ['a', 'b'] },
    },
    references: [{ path: ['spec', 'credential'], target: 'cred/db' }],
  }

  test('replacements rewrite references to the target name; set overrides dotted paths; the bundle is not changed', () => {
    const doc = environmentDocument(
      conn,
      {
        replace: { 'cred/db': 'cred/db-qa' },
        set: { 'conn/db': { 'spec.host': 'qa', 'spec.options.pool': 4, 'spec.new.deep': true } },
      },
      'conn/db',
    )
    expect(doc.spec).toEqual({
      host: 'qa',
      credential: 'db-qa',
      options: { pool: 4 },
      list: ['a', 'b'],
      new: { deep: true },
    })
    expect(conn.document.spec.host).toBe('dev')
    expect(environmentDocument(conn, undefined, 'conn/db')).toEqual(conn.document)
  })

  test('merge keeps keys only on the branch, the package wins on conflicts, arrays are replaced', () => {
    expect(
      mergeDocuments(
        { spec: { host: 'hand', extra: 1, list: ['x'] } },
        { spec: { host: 'pkg', list: ['a'] } },
      ),
    ).toEqual({
      spec: { host: 'pkg', extra: 1, list: ['a'] },
    })
  })

  test('item files read back as the same data: strings that look like numbers, booleans or null stay strings', () => {
    const spec = {
      country: 'no',
      version: '1.10',
      octal: '010',
      hex: '0x1F',
      nothing: 'null',
      tilde: '~',
      flag: 'true',
      count: 3,
      ratio: 1.5,
      off: false,
      empty: null,
      nested: { list: ['1.0', 2] },
    }
    const document = { kind: 'cal', name: 'x', spec }
    const text = renderItemFile(document)
    expect(readYaml('definitions/cal/x.yaml', new TextEncoder().encode(text)).parsed?.value).toEqual(document)
    expect(text).toMatch(/version: ["']1\.10["']/)
  })
})

describe('the planner, without git', () => {
  const config: GantryConfig = {
    environments: [
      { name: 'dev', branch: 'env/dev' },
      { name: 'prod', branch: 'env/prod', after: ['dev'] },
    ],
    kinds: { cred: { delete: 'never' }, flag: { add: 'never' } },
  }
  const paths = { definitions: 'definitions', packages: 'packages', kinds: 'kinds' }
  const itemOf = (
    id: ItemId,
    spec: Record<string, unknown>,
    references: BundleItem['references'] = [],
  ): BundleItem => {
    const [kind, name] = id.split('/') as [string, string]
    const document = { kind, name, spec }
    return { digest: sha256(JSON.stringify(document)), origin: 'declared', document, references }
  }
  const bundleOf = (
    version: string,
    items: Record<ItemId, BundleItem>,
    extra: Partial<Bundle> = {},
  ): Bundle =>
    serializeBundle(
      {
        package: 'p',
        locked: false,
        install: 'overwrite',
        includeReferences: false,
        dependencies: [],
        instructions: [],
        environments: {},
        items,
        ...extra,
      },
      version,
      { previous: null, added: [], changed: [], removed: [] },
    ).bundle
  const view = (ledgers: EnvironmentLedger[], files: Record<string, string>): EnvironmentView => ({
    branch: 'env/dev',
    head: 'f'.repeat(40),
    ledgers: new Map(ledgers.map((l) => [l.package, l])),
    files: new Map(Object.entries(files).map(([id, text]) => [id as ItemId, new TextEncoder().encode(text)])),
  })
  const plan = (bundle: Bundle, v: EnvironmentView, env = 'dev') =>
    planPromotion({
      bundle,
      digest: sha256('b'),
      config,
      paths,
      environment: config.environments.find((e) => e.name === env)!,
      view: v,
      enforceOrder: true,
    })

  test('delete: never keeps a dropped credential under overwrite; add: never does not add', () => {
    const credFile = renderItemFile({ kind: 'cred', name: 'old', spec: { path: 'v' } })
    const ledger: EnvironmentLedger = {
      package: 'p',
      version: '1',
      digest: sha256('a'),
      items: { 'cred/old': sha256(credFile) },
    }
    const result = plan(
      bundleOf('2', {
        'flag/f': itemOf('flag/f', { on: true }),
        'task/t': itemOf('task/t', { command: 'x' }),
      }),
      view([ledger], { 'cred/old': credFile }),
    )
    expect(result.ok).toBe(true)
    // Rows in reading order: adds before keeps.
    expect(result.changes.map((c) => [c.item, c.action, c.note])).toEqual([
      ['task/t', 'add', undefined],
      ['cred/old', 'keep', 'kind policy delete: never'],
      ['flag/f', 'keep', 'kind policy add: never: not added'],
    ])
    expect([...result.writes.keys()]).toEqual(['definitions/task/t.yaml'])
    expect(result.ledger.items).toEqual({
      'cred/old': sha256(credFile),
      'task/t': sha256(result.writes.get('definitions/task/t.yaml')!),
    })
  })

  test('the same input gives the same plan', () => {
    const bundle = bundleOf('1', { 'task/t': itemOf('task/t', { command: 'x' }) })
    const a = plan(bundle, view([], {}))
    const b = plan(bundle, view([], {}))
    expect(a).toEqual(b)
  })

  test('environment-order names the environment that lacks the version', () => {
    const result = plan(bundleOf('1', { 'task/t': itemOf('task/t', { command: 'x' }) }), view([], {}), 'prod')
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => [d.code, d.environment])).toEqual([['environment-order', 'prod']])
  })

  test('a reference to an item another package installed resolves; one to nothing does not', () => {
    const other: EnvironmentLedger = {
      package: 'q',
      version: '1',
      digest: sha256('q'),
      items: { 'conn/db': sha256('c') },
    }
    const refs = [{ path: ['spec', 'conn'], target: 'conn/db' as ItemId }]
    const ok = plan(
      bundleOf('1', { 'task/t': itemOf('task/t', { conn: 'db' }, refs) }),
      view([other], { 'conn/db': 'c' }),
    )
    expect(ok.diagnostics).toEqual([])
    const missing = plan(bundleOf('1', { 'task/t': itemOf('task/t', { conn: 'db' }, refs) }), view([], {}))
    expect(missing.diagnostics.map((d) => [d.code, d.item, d.target])).toEqual([
      ['unresolved-in-environment', 'task/t', 'conn/db'],
    ])
    expect(missing.diagnostics[0]!.at).toEqual({ item: 'task/t', path: ['spec', 'conn'] })
  })

  test('a released version whose overrides cannot be applied is refused before any write (invalid-override)', () => {
    const bundle = bundleOf(
      '1',
      { 'task/t': itemOf('task/t', { command: 'x', successors: ['a'] }) },
      { environments: { dev: { set: { 'task/t': { 'spec.successors.length': 100000000, kind: 'conn' } } } } },
    )
    const result = plan(bundle, view([], {}))
    expect(result.ok).toBe(false)
    // The apply writes nothing for a plan that is not ok; the planned file never grows the list.
    expect(result.writes.get('definitions/task/t.yaml')).toBe('kind: task\nname: t\nspec:\n  command: x\n  successors:\n    - a\n')
    expect(result.diagnostics.map((d) => [d.code, d.at?.path])).toEqual([
      ['invalid-override', ['environments', 'dev', 'set', 'task/t', 'spec.successors.length']],
      ['invalid-override', ['environments', 'dev', 'set', 'task/t', 'kind']],
    ])
  })
})
