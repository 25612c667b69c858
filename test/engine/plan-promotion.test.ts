import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import {
  type Bundle,
  type BundleContent,
  type BundleItem,
  serializeBundle,
} from '../../src/core/bundle/bundle.js'
import { canonicalCompact, sha256 } from '../../src/core/bundle/canonical-json.js'
import type { EnvironmentLedger, GantryConfig } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { renderItemFile } from '../../src/core/promotion/environment-content.js'
import {
  type EnvironmentView,
  itemsNeededForPlan,
  type PlanInput,
  planPromotion,
} from '../../src/core/promotion/plan-promotion.js'

/*
 * The planner's rules (docs/file-formats.md, "Apply rules"), one test per rule, with bundles and branch views
 * built in memory: no git, no CLI. The planner is pure, so these inputs are all it ever sees.
 * How the adapter finds other packages' referrers and hand-made folders is tested through the CLI
 * (test/engine/plan-safety.test.ts); what the planner does with them is tested here.
 */

const config: GantryConfig = {
  environments: [
    { name: 'dev', branch: 'env/dev' },
    { name: 'qa', branch: 'env/qa', after: ['dev'] },
    { name: 'prod', branch: 'env/prod', after: ['qa', 'dev'] },
  ],
  kinds: { cal: { update: 'never' }, cred: { delete: 'never' }, flag: { add: 'never' } },
}
const paths = { definitions: 'definitions', packages: 'packages', kinds: 'kinds' }
const encoder = new TextEncoder()

type Ref = BundleItem['references'][number]

function itemOf(id: string, spec: Record<string, unknown>, references: Ref[] = []): BundleItem {
  const [kind, name] = id.split('/') as [string, string]
  const document = { kind, name, spec }
  return { digest: sha256(canonicalCompact(document)), origin: 'declared', document, references }
}

function bundleOf(version: string, items: BundleItem[], extra: Partial<BundleContent> = {}): Bundle {
  const byId: Record<ItemId, BundleItem> = {}
  for (const item of items) byId[`${item.document.kind}/${item.document.name}` as ItemId] = item
  return serializeBundle(
    {
      package: 'p',
      locked: false,
      install: 'merge',
      includeReferences: false,
      dependencies: [],
      instructions: [],
      environments: {},
      items: byId,
      ...extra,
    },
    version,
    { previous: null, added: [], changed: [], removed: [] },
  ).bundle
}

/** The file an earlier apply wrote for `item` (no environment settings). */
function fileOf(item: BundleItem): string {
  return renderItemFile(item.document)
}

function ledgerOf(
  version: string,
  files: Record<string, string>,
  extra: Partial<EnvironmentLedger> = {},
): EnvironmentLedger {
  const items: Record<string, string> = {}
  for (const [id, text] of Object.entries(files)) items[id] = sha256(text)
  return { package: 'p', version, digest: sha256(`p@${version}`), items, ...extra }
}

function viewOf(
  ledgers: EnvironmentLedger[],
  files: Record<string, string>,
  branch = 'env/dev',
): EnvironmentView {
  return {
    branch,
    head: 'f'.repeat(40),
    ledgers: new Map(ledgers.map((l) => [l.package, l])),
    files: new Map(Object.entries(files).map(([id, text]) => [id as ItemId, encoder.encode(text)])),
  }
}

function plan(
  bundle: Bundle,
  view: EnvironmentView,
  options: { env?: string; upstream?: PlanInput['upstream']; enforceOrder?: boolean } = {},
) {
  const env = options.env ?? 'dev'
  return planPromotion({
    bundle,
    digest: sha256(`bundle ${bundle.version}`),
    config,
    paths,
    environment: config.environments.find((e) => e.name === env)!,
    view,
    ...(options.upstream ? { upstream: options.upstream } : {}),
    enforceOrder: options.enforceOrder ?? true,
  })
}

// Rows by item: the order of rows in a plan is the renderers' concern (and is changing), not a planner rule.
const rows = (result: ReturnType<typeof plan>) =>
  result.changes
    .map((c) => [c.item, c.action, c.note])
    .sort((x, y) => String(x[0]).localeCompare(String(y[0])))
const codes = (result: ReturnType<typeof plan>) => result.diagnostics.map((d) => [d.code, d.item])
const written = (result: ReturnType<typeof plan>, id: string) => {
  const text = result.writes.get(`definitions/${id}.yaml`)
  return typeof text === 'string' ? (parse(text) as Record<string, unknown>) : text
}

const task = itemOf('task/t', { command: 'run.sh' })
const task2 = itemOf('task/t', { command: 'run2.sh' })
const other = itemOf('task/u', { command: 'other.sh' })
const credRef: Ref = { path: ['spec', 'credential'], target: 'cred/db' as ItemId }
const conn = itemOf('conn/db', { host: 'db.dev', credential: 'db' }, [credRef])
const cred = itemOf('cred/db', { path: 'vault://db' })
const credQa = itemOf('cred/db-qa', { path: 'vault://db-qa' })

describe('add, update, delete, keep', () => {
  test('an item not on the branch is added; the ledger records the sha256 of the file as written', () => {
    const result = plan(bundleOf('1', [task]), viewOf([], {}))
    expect(result.ok).toBe(true)
    expect(rows(result)).toEqual([['task/t', 'add', undefined]])
    const text = result.writes.get('definitions/task/t.yaml')!
    expect(text).toBe(fileOf(task))
    expect(result.ledger).toEqual({
      package: 'p',
      version: '1',
      digest: sha256('bundle 1'),
      environment: 'dev',
      locked: false,
      items: { 'task/t': sha256(text) },
      // What the package delivered, before any merge with the branch: here the same file.
      delivered: { 'task/t': sha256(text) },
      rollback: false,
      previousVersion: null,
    })
    expect(result).toMatchObject({
      rollback: false,
      previousVersion: null,
      branch: 'env/dev',
      environment: 'dev',
    })
  })

  test('an owned item with the same bytes after the apply is kept and not written', () => {
    const files = { 'task/t': fileOf(task) }
    const result = plan(bundleOf('1.1', [task]), viewOf([ledgerOf('1', files)], files))
    expect(rows(result)).toEqual([['task/t', 'keep', undefined]])
    expect(result.writes.size).toBe(0)
    expect(result.ledger.items).toEqual({ 'task/t': sha256(fileOf(task)) })
    expect(result.previousVersion).toBe('1')
  })

  test('an owned item that differs is updated with the new document', () => {
    const files = { 'task/t': fileOf(task) }
    const result = plan(bundleOf('1.1', [task2]), viewOf([ledgerOf('1', files)], files))
    expect(rows(result)).toEqual([['task/t', 'update', undefined]])
    expect(result.changes[0]!.fields).toEqual([{ path: 'spec.command', from: 'run.sh', to: 'run2.sh' }])
    expect(written(result, 'task/t')).toEqual(task2.document)
    expect(result.ledger.items['task/t']).toBe(sha256(fileOf(task2)))
  })

  test('install: overwrite deletes an owned item the version no longer has', () => {
    const files = { 'task/t': fileOf(task), 'task/u': fileOf(other) }
    const result = plan(
      bundleOf('2', [task], { install: 'overwrite' }),
      viewOf([ledgerOf('1', files)], files),
    )
    expect(result.ok).toBe(true)
    expect(rows(result)).toEqual([
      ['task/t', 'keep', undefined],
      ['task/u', 'delete', undefined],
    ])
    expect([...result.writes]).toEqual([['definitions/task/u.yaml', null]])
    expect(Object.keys(result.ledger.items)).toEqual(['task/t'])
  })

  test('install: merge keeps an owned item the version dropped, still owned', () => {
    const files = { 'task/t': fileOf(task), 'task/u': fileOf(other) }
    const result = plan(bundleOf('2', [task]), viewOf([ledgerOf('1', files)], files))
    expect(rows(result)).toEqual([
      ['task/t', 'keep', undefined],
      ['task/u', 'keep', 'install: merge keeps dropped items'],
    ])
    expect(result.writes.size).toBe(0)
    expect(result.ledger.items).toEqual({ 'task/t': sha256(fileOf(task)), 'task/u': sha256(fileOf(other)) })
  })

  test('an owned item already gone from the branch is deleted without a write, and no longer owned', () => {
    const files = { 'task/t': fileOf(task), 'task/u': fileOf(other) }
    const result = plan(
      bundleOf('2', [task], { install: 'overwrite' }),
      viewOf([ledgerOf('1', files)], { 'task/t': fileOf(task) }),
    )
    expect(rows(result)).toEqual([
      ['task/t', 'keep', undefined],
      ['task/u', 'delete', undefined],
    ])
    expect(result.writes.size).toBe(0)
    expect(Object.keys(result.ledger.items)).toEqual(['task/t'])
  })

  test('rows come deletions first, then adds, updates, keeps, each by item id; counts match the rows', () => {
    const a = itemOf('task/a', { command: 'a' })
    const b = itemOf('task/b', { command: 'b' })
    const files = { 'task/a': fileOf(a), 'task/b': fileOf(b), 'task/d': fileOf(other), 'task/e': fileOf(other) }
    const result = plan(
      bundleOf('2', [a, itemOf('task/b', { command: 'b2' }), itemOf('task/c', { command: 'c' }), itemOf('task/0', { command: '0' })], {
        install: 'overwrite',
      }),
      viewOf([ledgerOf('1', files)], files),
    )
    expect(result.changes.map((c) => [c.action, c.item])).toEqual([
      ['delete', 'task/d'],
      ['delete', 'task/e'],
      ['add', 'task/0'],
      ['add', 'task/c'],
      ['update', 'task/b'],
      ['keep', 'task/a'],
    ])
    expect(result.counts).toEqual({ add: 2, update: 1, delete: 2, keep: 1 })
  })

  test('the same input gives the same plan', () => {
    const files = { 'task/t': fileOf(task) }
    const input = () => plan(bundleOf('2', [task2, conn, cred]), viewOf([ledgerOf('1', files)], files))
    expect(input()).toEqual(input())
  })
})

describe('kind policies', () => {
  test('update: never keeps the branch file of an item on the branch, and owns its bytes as they are', () => {
    const before = itemOf('cal/h', { days: ['2026-12-25'] })
    const edited = renderItemFile({ kind: 'cal', name: 'h', spec: { days: ['2026-12-24'] } })
    const result = plan(
      bundleOf('2', [itemOf('cal/h', { days: ['2027-01-01'] })]),
      viewOf([ledgerOf('1', { 'cal/h': fileOf(before) })], { 'cal/h': edited }),
    )
    expect(result.ok).toBe(true)
    expect(rows(result)).toEqual([['cal/h', 'keep', 'kind policy update: never']])
    expect(result.writes.size).toBe(0)
    expect(result.ledger.items).toEqual({ 'cal/h': sha256(edited) })
  })

  test('update: never still adds an item that is not on the branch', () => {
    const result = plan(bundleOf('1', [itemOf('cal/h', { days: [] })]), viewOf([], {}))
    expect(rows(result)).toEqual([['cal/h', 'add', undefined]])
  })

  test('add: never does not add, and does not own', () => {
    const result = plan(bundleOf('1', [itemOf('flag/f', { on: true })]), viewOf([], {}))
    expect(result.ok).toBe(true)
    expect(rows(result)).toEqual([['flag/f', 'keep', 'kind policy add: never: not added']])
    expect(result.writes.size).toBe(0)
    expect(result.ledger.items).toEqual({})
  })

  test('add: never still updates an owned item on the branch', () => {
    const f1 = itemOf('flag/f', { on: true })
    const files = { 'flag/f': fileOf(f1) }
    const result = plan(
      bundleOf('2', [itemOf('flag/f', { on: false })]),
      viewOf([ledgerOf('1', files)], files),
    )
    expect(rows(result)).toEqual([['flag/f', 'update', undefined]])
  })

  test('delete: never keeps a dropped item under overwrite and under rollback', () => {
    const files = { 'cred/db': fileOf(cred), 'task/t': fileOf(task) }
    for (const [version, install] of [
      ['2', 'overwrite'],
      ['0.9', 'merge'],
    ] as const) {
      const result = plan(bundleOf(version, [task], { install }), viewOf([ledgerOf('1', files)], files))
      expect(rows(result), `${version} ${install}`).toContainEqual([
        'cred/db',
        'keep',
        'kind policy delete: never',
      ])
      expect(result.writes.has('definitions/cred/db.yaml')).toBe(false)
      expect(result.ledger.items['cred/db']).toBe(sha256(fileOf(cred)))
    }
  })
})

describe('merge and overwrite of a file changed on the branch', () => {
  const applied = itemOf('conn/x', { host: 'a', options: { pool: 1 } })
  const handEdited = renderItemFile({
    kind: 'conn',
    name: 'x',
    spec: { host: 'hand', extra: 'kept', options: { pool: 1, tls: true } },
  })
  const next = itemOf('conn/x', { host: 'b', options: { pool: 2 } })
  const view = () => viewOf([ledgerOf('1', { 'conn/x': fileOf(applied) })], { 'conn/x': handEdited })

  test('install: merge keeps keys only on the branch; the package wins where both have one', () => {
    const result = plan(bundleOf('2', [next]), view())
    expect(rows(result)).toEqual([['conn/x', 'update', 'merged: keys added on the branch are kept']])
    expect(written(result, 'conn/x')).toEqual({
      kind: 'conn',
      name: 'x',
      spec: { host: 'b', extra: 'kept', options: { pool: 2, tls: true } },
    })
    expect(result.ledger.items['conn/x']).toBe(sha256(result.writes.get('definitions/conn/x.yaml')!))
  })

  test('install: overwrite writes the package’s document as is', () => {
    const result = plan(bundleOf('2', [next], { install: 'overwrite' }), view())
    expect(rows(result)).toEqual([['conn/x', 'update', undefined]])
    expect(written(result, 'conn/x')).toEqual(next.document)
  })

  // With the ledger's record of what the last apply delivered, as every apply writes it now.
  const recorded = () =>
    viewOf([ledgerOf('1', { 'conn/x': fileOf(applied) }, { delivered: { 'conn/x': sha256(fileOf(applied)) } })], {
      'conn/x': handEdited,
    })

  test('install: merge of a file edited since the last apply (recorded) keeps the branch’s keys', () => {
    const result = plan(bundleOf('2', [next]), recorded())
    expect(rows(result)).toEqual([['conn/x', 'update', 'merged: keys added on the branch are kept']])
    expect(written(result, 'conn/x')).toEqual({
      kind: 'conn',
      name: 'x',
      spec: { host: 'b', extra: 'kept', options: { pool: 2, tls: true } },
    })
  })

  test('install: merge of an item the version leaves unchanged keeps the branch’s edits as they are', () => {
    const result = plan(bundleOf('2', [applied]), recorded())
    expect(rows(result)).toEqual([['conn/x', 'keep', 'unchanged by this version; edits on the branch are kept']])
    expect(result.writes.size).toBe(0)
    expect(result.ledger.items).toEqual({ 'conn/x': sha256(handEdited) })
    expect(result.ledger.delivered).toEqual({ 'conn/x': sha256(fileOf(applied)) })
  })

  test('install: overwrite puts back the package’s document over edits, even when the version leaves the item unchanged', () => {
    const result = plan(bundleOf('2', [applied], { install: 'overwrite' }), recorded())
    expect(rows(result)).toEqual([['conn/x', 'update', undefined]])
    expect(written(result, 'conn/x')).toEqual(applied.document)
    expect(result.ledger.items).toEqual({ 'conn/x': sha256(fileOf(applied)) })
  })

  test('install: merge of a file untouched since the last apply takes the package’s document: dropped keys go', () => {
    const result = plan(
      bundleOf('2', [itemOf('conn/x', { host: 'a' })]),
      viewOf([ledgerOf('1', { 'conn/x': fileOf(applied) }, { delivered: { 'conn/x': sha256(fileOf(applied)) } })], { 'conn/x': fileOf(applied) }),
    )
    expect(rows(result)).toEqual([['conn/x', 'update', undefined]])
    expect(written(result, 'conn/x')).toEqual({ kind: 'conn', name: 'x', spec: { host: 'a' } })
  })
})

describe('name conflicts', () => {
  test('an item on the branch that belongs to another package is refused, and not written', () => {
    const q = { ...ledgerOf('1', { 'task/t': fileOf(task) }), package: 'q' }
    const result = plan(bundleOf('1', [task2]), viewOf([q], { 'task/t': fileOf(task) }))
    expect(result.ok).toBe(false)
    expect(codes(result)).toEqual([['name-conflict', 'task/t']])
    expect(result.diagnostics[0]!.message).toBe('task/t already exists in dev and belongs to package q')
    expect(result.diagnostics[0]!.at).toEqual({ item: 'task/t', path: ['name'] })
    expect(result.changes).toEqual([])
    expect(result.writes.size).toBe(0)
  })

  test('an item created by hand on the branch is refused, with the file to delete', () => {
    const result = plan(bundleOf('1', [task]), viewOf([], { 'task/t': fileOf(task) }))
    expect(codes(result)).toEqual([['name-conflict', 'task/t']])
    expect(result.diagnostics[0]!.message).toContain('nobody (it was created by hand)')
    expect(result.diagnostics[0]!.hint).toBe('delete definitions/task/t.yaml on env/dev or rename the item')
  })
})

describe('hand-made content in the way', () => {
  test('a folder where the item’s file goes is name-conflict, naming what is there; nothing written or deleted', () => {
    const files = { 'task/t': fileOf(task), 'task/u': fileOf(other) }
    const view: EnvironmentView = {
      ...viewOf([ledgerOf('1', files)], { 'task/u': fileOf(other) }),
      obstructed: new Map([['task/t' as ItemId, 'a folder is at definitions/task/t.yaml']]),
    }
    const result = plan(bundleOf('2', [task2, other]), view)
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => [d.code, d.item, d.message])).toEqual([
      ['name-conflict', 'task/t', 'task/t cannot be written in dev: a folder is at definitions/task/t.yaml on env/dev, made by hand'],
    ])
    expect(result.writes.has('definitions/task/t.yaml')).toBe(false)
    expect(rows(result)).toEqual([['task/u', 'keep', undefined]])
  })
})

describe('other installed packages', () => {
  const files = { 'task/t': fileOf(task), 'task/u': fileOf(other) }
  const withReferrers = (referrers: [string, { package: string; item: string }[]][]): EnvironmentView => ({
    ...viewOf([ledgerOf('1', files)], files),
    referrers: new Map(referrers.map(([id, list]) => [id as ItemId, list.map((r) => ({ package: r.package, item: r.item as ItemId }))])),
  })

  test('deleting an item another package refers to is unresolved-in-environment, naming the referrer', () => {
    const result = plan(bundleOf('2', [task], { install: 'overwrite' }), withReferrers([['task/u', [{ package: 'q', item: 'job/x' }]]]))
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => [d.code, d.item, d.target, d.message])).toEqual([
      ['unresolved-in-environment', 'task/u', 'task/u', 'p@2 would delete task/u, which job/x of package q refers to in dev'],
    ])
  })

  test('a referrer in the package itself does not block the deletion', () => {
    const result = plan(bundleOf('2', [task], { install: 'overwrite' }), withReferrers([['task/u', [{ package: 'p', item: 'task/t' }]]]))
    expect(result.ok).toBe(true)
    expect(rows(result)).toContainEqual(['task/u', 'delete', undefined])
  })
})

describe('dependencies', () => {
  const dependent = (version?: string) =>
    bundleOf('1', [task], { dependencies: [{ package: 'base', ...(version ? { version } : {}) }] })
  const base = (version: string) => ({ ...ledgerOf(version, {}), package: 'base' })

  test('a dependency not applied in the environment is missing-dependency, at the dependency', () => {
    const result = plan(dependent('>=1'), viewOf([], {}))
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => [d.code, d.at])).toEqual([
      ['missing-dependency', { path: ['dependencies', 0, 'package'] }],
    ])
  })

  test('a dependency applied at a version outside the range is dependency-version', () => {
    const result = plan(dependent('>=2'), viewOf([base('1.9')], {}))
    expect(result.diagnostics.map((d) => [d.code, d.at, d.message])).toEqual([
      [
        'dependency-version',
        { path: ['dependencies', 0, 'version'] },
        'p needs base >=2, but dev has base@1.9',
      ],
    ])
  })

  test('versions compare numerically: 1.10 satisfies >=1.9, 1.9 does not satisfy >=1.10', () => {
    expect(plan(dependent('>=1.9'), viewOf([base('1.10')], {})).diagnostics).toEqual([])
    expect(codes(plan(dependent('>=1.10'), viewOf([base('1.9')], {})))).toEqual([
      ['dependency-version', undefined],
    ])
  })

  test('<= holds for the bound itself and below, not above', () => {
    expect(plan(dependent('<=1.2'), viewOf([base('1.2')], {})).diagnostics).toEqual([])
    expect(plan(dependent('<=1.2'), viewOf([base('1.1')], {})).diagnostics).toEqual([])
    expect(codes(plan(dependent('<=1.2'), viewOf([base('1.3')], {})))).toEqual([
      ['dependency-version', undefined],
    ])
    expect(codes(plan(dependent('<=1.2'), viewOf([base('1.10')], {})))).toEqual([
      ['dependency-version', undefined],
    ])
  })

  test('no version range: any applied version will do, but one must be applied', () => {
    expect(plan(dependent(), viewOf([base('0.1')], {})).ok).toBe(true)
    const missing = plan(dependent(), viewOf([], {}))
    expect(missing.ok).toBe(false)
    expect(missing.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['missing-dependency', 'p needs base, which is not applied in dev'],
    ])
  })

  test('a range that does not parse cannot be satisfied', () => {
    expect(codes(plan(dependent('>=banana'), viewOf([base('1')], {})))).toEqual([
      ['dependency-version', undefined],
    ])
  })
})

describe('references and replacements', () => {
  test('a reference to an item of this package, or one already on the branch, resolves', () => {
    expect(plan(bundleOf('1', [conn, cred]), viewOf([], {})).diagnostics).toEqual([])
    const q = { ...ledgerOf('1', { 'cred/db': fileOf(cred) }), package: 'q' }
    expect(plan(bundleOf('1', [conn]), viewOf([q], { 'cred/db': fileOf(cred) })).diagnostics).toEqual([])
  })

  test('a reference to nothing is unresolved-in-environment, at the referring path', () => {
    const result = plan(bundleOf('1', [conn]), viewOf([], {}))
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => [d.code, d.item, d.target, d.at])).toEqual([
      ['unresolved-in-environment', 'conn/db', 'cred/db', { item: 'conn/db', path: ['spec', 'credential'] }],
    ])
  })

  test('a reference to an item this version deletes does not resolve', () => {
    const u = itemOf('task/u', { command: 'u' })
    const tRef = itemOf('task/t', { command: 't', next: 'u' }, [
      { path: ['spec', 'next'], target: 'task/u' as ItemId },
    ])
    const dropped = { 'task/t': fileOf(task), 'task/u': fileOf(u) }
    const result = plan(
      bundleOf('2', [tRef], { install: 'overwrite' }),
      viewOf([ledgerOf('1', dropped)], dropped),
    )
    expect(codes(result)).toEqual([['unresolved-in-environment', 'task/t']])
  })

  test('replace rewrites the reference to the target’s name and names the replacement on the row', () => {
    const result = plan(
      bundleOf('1', [conn, cred, credQa], {
        environments: { dev: { replace: { 'cred/db': 'cred/db-qa' } } },
      }),
      viewOf([], {}),
    )
    expect(result.ok).toBe(true)
    expect(result.changes.find((c) => c.item === 'conn/db')!.replaced).toEqual({ 'cred/db': 'cred/db-qa' })
    expect(written(result, 'conn/db')).toEqual({
      kind: 'conn',
      name: 'db',
      spec: { host: 'db.dev', credential: 'db-qa' },
    })
  })

  test('a replacement applies only in its own environment', () => {
    const bundle = bundleOf('1', [conn, cred, credQa], {
      environments: { qa: { replace: { 'cred/db': 'cred/db-qa' } } },
    })
    const result = plan(bundle, viewOf([], {}))
    expect(written(result, 'conn/db')).toEqual(conn.document)
    expect(result.changes.find((c) => c.item === 'conn/db')!.replaced).toBeUndefined()
  })

  test('set overrides dotted paths after replacements, in the written file only', () => {
    const result = plan(
      bundleOf('1', [conn, cred], {
        environments: { dev: { set: { 'conn/db': { 'spec.host': 'db.override', 'spec.options.pool': 4 } } } },
      }),
      viewOf([], {}),
    )
    expect(written(result, 'conn/db')).toEqual({
      kind: 'conn',
      name: 'db',
      spec: { host: 'db.override', credential: 'db', options: { pool: 4 } },
    })
    expect(conn.document.spec).toEqual({ host: 'db.dev', credential: 'db' })
  })

  test('set overrides that cannot be applied safely are invalid-override, at the key, and never written', () => {
    const listed = itemOf('task/l', { command: 'l', successors: ['a'] })
    const result = plan(
      bundleOf('1', [listed], {
        environments: {
          dev: {
            set: {
              'task/l': {
                'spec.successors.2': 'two past the end',
                'spec.successors.1.name': 'inside an entry that is not there',
                'spec.successors.1': 'the next entry is fine',
                description: 42,
                'spec.__proto__.polluted': true,
                'name': 'renamed',
              },
            },
          },
        },
      }),
      viewOf([], {}),
    )
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => [d.code, d.at, d.message])).toEqual([
      ['invalid-override', { path: ['environments', 'dev', 'set', 'task/l', 'spec.successors.2'], key: true }, 'dev cannot set spec.successors.2 of task/l: spec.successors has 1 entries: index 2 is out of range'],
      ['invalid-override', { path: ['environments', 'dev', 'set', 'task/l', 'spec.successors.1.name'], key: true }, 'dev cannot set spec.successors.1.name of task/l: spec.successors has 1 entries: index 1 is out of range'],
      ['invalid-override', { path: ['environments', 'dev', 'set', 'task/l', 'description'], key: true }, 'dev cannot set description of task/l: description must be set to a string'],
      ['invalid-override', { path: ['environments', 'dev', 'set', 'task/l', 'spec.__proto__.polluted'], key: true }, 'dev cannot set spec.__proto__.polluted of task/l: __proto__ cannot be set'],
      ['invalid-override', { path: ['environments', 'dev', 'set', 'task/l', 'name'], key: true }, 'dev cannot set name of task/l: only spec.<field> and description can be set, not name'],
    ])
    // Only the override that can be applied is: the others never reach the file.
    expect(written(result, 'task/l')).toEqual({ kind: 'task', name: 'l', spec: { command: 'l', successors: ['a', 'the next entry is fine'] } })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test('a replacement target that will not exist is replacement-target-missing, and the reference is unresolved', () => {
    const result = plan(
      bundleOf('1', [conn, cred], { environments: { dev: { replace: { 'cred/db': 'cred/db-qa' } } } }),
      viewOf([], {}),
    )
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => [d.code, d.item, d.at, d.viaReplacement])).toEqual([
      [
        'replacement-target-missing',
        'cred/db-qa',
        { path: ['environments', 'dev', 'replace', 'cred/db'] },
        undefined,
      ],
      ['unresolved-in-environment', 'conn/db', { item: 'conn/db', path: ['spec', 'credential'] }, true],
    ])
  })

  test('an overwrite version that drops the item the environment’s replace points at is refused', () => {
    const target = itemOf('task/target', { command: 'x' })
    const referrer = itemOf('task/t', { command: 't', next: 'orig' }, [
      { path: ['spec', 'next'], target: 'task/orig' as ItemId },
    ])
    const orig = itemOf('task/orig', { command: 'o' })
    const environments = { dev: { replace: { 'task/orig': 'task/target' } } }
    const v1 = plan(bundleOf('1', [referrer, orig, target], { environments }), viewOf([], {}))
    expect(v1.ok).toBe(true)
    const branch: Record<string, string> = {}
    for (const [file, text] of v1.writes) branch[file.replace(/^definitions\/(.*)\.yaml$/, '$1')] = text!
    const result = plan(
      bundleOf('2', [referrer, orig], { install: 'overwrite', environments }),
      viewOf([{ ...v1.ledger, digest: sha256('bundle 1') }], branch),
    )
    expect(result.ok).toBe(false)
    expect(rows(result)).toContainEqual(['task/target', 'delete', undefined])
    expect(codes(result)).toEqual([
      ['replacement-target-missing', 'task/target'],
      ['unresolved-in-environment', 'task/t'],
    ])
  })

  test('the items the plan reads: the version’s items, their references after replacement, targets, what it owned', () => {
    const bundle = bundleOf('1', [conn], { environments: { dev: { replace: { 'cred/db': 'cred/db-qa' } } } })
    expect(itemsNeededForPlan(bundle, 'dev', ledgerOf('0.9', { 'task/old': 'x' }))).toEqual([
      'conn/db',
      'cred/db-qa',
      'task/old',
    ])
    expect(itemsNeededForPlan(bundle, 'qa', undefined)).toEqual(['conn/db', 'cred/db'])
  })
})

describe('locked packages', () => {
  const files = { 'task/t': fileOf(task) }
  const hand = renderItemFile({ kind: 'task', name: 't', spec: { command: 'by hand' } })

  test('an owned item changed on the branch is locked-item-modified; deleted, too', () => {
    const changed = plan(
      bundleOf('2', [task2], { locked: true }),
      viewOf([ledgerOf('1', files, { locked: true })], { 'task/t': hand }),
    )
    expect(changed.ok).toBe(false)
    expect(codes(changed)).toEqual([['locked-item-modified', 'task/t']])
    expect(changed.diagnostics[0]!.message).toBe(
      'task/t of locked package p was changed on env/dev outside a promotion',
    )
    const deleted = plan(
      bundleOf('2', [task2], { locked: true }),
      viewOf([ledgerOf('1', files, { locked: true })], {}),
    )
    expect(deleted.diagnostics.map((d) => d.message)).toEqual([
      'task/t of locked package p was deleted on env/dev outside a promotion',
    ])
  })

  test('a locked package whose items are as applied goes ahead', () => {
    const result = plan(
      bundleOf('2', [task2], { locked: true }),
      viewOf([ledgerOf('1', files, { locked: true })], files),
    )
    expect(result.ok).toBe(true)
    expect(result.ledger.locked).toBe(true)
  })

  test('an unlocked package edited by hand is not drift', () => {
    const result = plan(
      bundleOf('2', [task2]),
      viewOf([ledgerOf('1', files, { locked: false })], { 'task/t': hand }),
    )
    expect(result.diagnostics).toEqual([])
  })

  test('a new version with locked: false does not unlock what the locked version installed', () => {
    const result = plan(
      bundleOf('2', [task2], { locked: false }),
      viewOf([ledgerOf('1', files, { locked: true })], { 'task/t': hand }),
    )
    expect(result.ok).toBe(false)
    expect(codes(result)).toEqual([['locked-item-modified', 'task/t']])
  })

  test('a ledger without locked takes the bundle’s', () => {
    const result = plan(
      bundleOf('2', [task2], { locked: true }),
      viewOf([ledgerOf('1', files)], { 'task/t': hand }),
    )
    expect(codes(result)).toEqual([['locked-item-modified', 'task/t']])
  })
})

describe('after: ordering and rollback', () => {
  const upstream = (entries: Record<string, string | undefined>) =>
    new Map(Object.entries(entries).map(([env, v]) => [env, v === undefined ? undefined : ledgerOf(v, {})]))

  test('each after environment must have the same version applied; each one lacking it is named', () => {
    const result = plan(bundleOf('1.1', [task]), viewOf([], {}), {
      env: 'prod',
      upstream: upstream({ qa: '1', dev: undefined }),
    })
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      'p@1.1 must be applied in qa before prod (qa has 1)',
      'p@1.1 must be applied in dev before prod (dev has no version)',
    ])
    expect(result.diagnostics.map((d) => d.code)).toEqual(['environment-order', 'environment-order'])
  })

  test('applied everywhere before: no finding; order not enforced: no finding', () => {
    const bundle = bundleOf('1.1', [task])
    expect(
      plan(bundle, viewOf([], {}), { env: 'prod', upstream: upstream({ qa: '1.1', dev: '1.1' }) }).ok,
    ).toBe(true)
    expect(plan(bundle, viewOf([], {}), { env: 'prod', enforceOrder: false }).ok).toBe(true)
  })

  test('1.10 proposed over 1.9 is an upgrade and must follow the order; 1.9 over 1.10 is a rollback that need not', () => {
    const up = plan(
      bundleOf('1.10', [task2]),
      viewOf([ledgerOf('1.9', { 'task/t': fileOf(task) })], { 'task/t': fileOf(task) }),
      {
        env: 'qa',
        upstream: upstream({ dev: '1.9' }),
      },
    )
    expect(up.rollback).toBe(false)
    expect(up.ledger.rollback).toBe(false)
    expect(codes(up)).toEqual([['environment-order', undefined]])

    const down = plan(
      bundleOf('1.9', [task]),
      viewOf([ledgerOf('1.10', { 'task/t': fileOf(task2) })], { 'task/t': fileOf(task2) }),
      {
        env: 'qa',
        upstream: upstream({ dev: '1.10' }),
      },
    )
    expect(down.rollback).toBe(true)
    expect(down.ok).toBe(true)
    expect(down.ledger).toMatchObject({ version: '1.9', rollback: true, previousVersion: '1.10' })
  })

  test('rollback deletes what the newer version added, whatever install says', () => {
    const files = { 'task/t': fileOf(task), 'task/u': fileOf(other) }
    const result = plan(bundleOf('1', [task]), viewOf([ledgerOf('2', files)], files))
    expect(result.rollback).toBe(true)
    expect(rows(result)).toEqual([
      ['task/t', 'keep', undefined],
      ['task/u', 'delete', 'rollback removes what the newer version added'],
    ])
    expect([...result.writes]).toEqual([['definitions/task/u.yaml', null]])
  })

  test('re-applying the same version is not a rollback', () => {
    const files = { 'task/t': fileOf(task) }
    const result = plan(bundleOf('1', [task]), viewOf([ledgerOf('1', files)], files))
    expect(result.rollback).toBe(false)
    expect(result.previousVersion).toBe('1')
  })
})
