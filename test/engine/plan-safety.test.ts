import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { apply, build, definition, expectExit, makeSourceRepo, packageFile, plan } from './fixture.js'
import { cli, cliJson, commitFiles, commitToBranch, git, head, ledgerOn, show, showYaml, tempDir } from './helpers.js'

const temp = tempDir('gantry-plan-safety-')
afterAll(() => temp.cleanup())

type Doc = { kind: string; name: string; spec: Record<string, unknown> }
const item = (repo: string, id: string) => showYaml<Doc>(repo, 'env/dev', `definitions/${id}.yaml`)
const actions = (json: { changes: { item: string; action: string }[] }) =>
  Object.fromEntries(json.changes.map((c) => [c.item, c.action]))
const codes = (json: { diagnostics: { code: string }[] }) => json.diagnostics.map((d) => d.code)

let count = 0
function repoWith(files: Record<string, string | null> = {}): string {
  const repo = join(temp.dir, `r${++count}`)
  makeSourceRepo(repo)
  if (Object.keys(files).length > 0) commitFiles(repo, files)
  return repo
}

describe('install: merge keeps what the environment added', () => {
  test('a key added on the branch survives a changing version, then an unchanged one (keep), then a re-apply', async () => {
    const repo = repoWith({
      ...definition('conn', 'm', { host: 'm.example.com', port: 1000 }),
      ...definition('cred', 'x', { path: 'vault://x' }),
      ...packageFile({ name: 'mrg', items: ['conn/m', 'cred/x'] }),
    })
    expectExit(await build(repo, ['mrg']), 0)
    expectExit(await apply(repo, 'mrg', 'dev'), 0)
    commitToBranch(repo, 'env/dev', {
      'definitions/conn/m.yaml': 'kind: conn\nname: m\nspec:\n  host: m.example.com\n  port: 1000\n  tuned: true\n',
    })
    // 1.1 changes conn/m: merged, the added key kept.
    commitFiles(repo, definition('conn', 'm', { host: 'm.example.com', port: 2000 }))
    expectExit(await build(repo, ['mrg']), 0)
    expectExit(await apply(repo, 'mrg', 'dev'), 0)
    expect(item(repo, 'conn/m')!.spec).toEqual({ host: 'm.example.com', port: 2000, tuned: true })
    // 1.2 changes only cred/x: conn/m is not changed by the version, so it is kept as the branch has it.
    commitFiles(repo, definition('cred', 'x', { path: 'vault://x2' }))
    expectExit(await build(repo, ['mrg']), 0)
    const planned = await plan(repo, 'mrg', 'dev')
    expect(actions(planned.json)).toEqual({ 'conn/m': 'keep', 'cred/x': 'update' })
    expectExit(await apply(repo, 'mrg', 'dev'), 0)
    expect(item(repo, 'conn/m')!.spec).toEqual({ host: 'm.example.com', port: 2000, tuned: true })
    // An unrelated hand edit, then the same version again: nothing of conn/m is lost.
    commitToBranch(repo, 'env/dev', { 'definitions/cred/x.yaml': 'kind: cred\nname: x\nspec:\n  path: vault://hand\n' })
    const again = await plan(repo, 'mrg', 'dev')
    expect(actions(again.json)['conn/m']).toBe('keep')
    expectExit(await apply(repo, 'mrg', 'dev'), 0)
    expect(item(repo, 'conn/m')!.spec).toEqual({ host: 'm.example.com', port: 2000, tuned: true })
    // 1.3 changes conn/m again: still merged, the key still there.
    commitFiles(repo, definition('conn', 'm', { host: 'm.example.com', port: 3000 }))
    expectExit(await build(repo, ['mrg']), 0)
    expectExit(await apply(repo, 'mrg', 'dev'), 0)
    expect(item(repo, 'conn/m')!.spec).toEqual({ host: 'm.example.com', port: 3000, tuned: true })
    expect(Object.keys(ledgerOn(repo, 'env/dev', 'mrg')!.delivered ?? {})).toEqual(['conn/m', 'cred/x'])
  })
})

describe('an apply does not delete what another installed package refers to', () => {
  test('overwrite release dropping an item another package refers to: unresolved-in-environment, nothing written', async () => {
    const repo = repoWith({
      ...definition('task', 'user', { command: 'u.sh', conn: 'shared' }),
      ...definition('conn', 'shared', { host: 'shared.example.com' }),
      ...definition('conn', 'other', { host: 'other.example.com' }),
      ...packageFile({ name: 'prov', install: 'overwrite', items: ['conn/shared', 'conn/other'] }),
      ...packageFile({ name: 'user', items: ['task/user'], dependencies: [{ package: 'prov' }] }),
    })
    expectExit(await build(repo, ['prov', 'user']), 0)
    expectExit(await apply(repo, 'prov', 'dev'), 0)
    expectExit(await apply(repo, 'user', 'dev'), 0)
    commitFiles(repo, packageFile({ name: 'prov', install: 'overwrite', items: ['conn/other'] }))
    expectExit(await build(repo, ['prov']), 0)
    const before = head(repo, 'env/dev')
    const refused = await apply(repo, 'prov', 'dev')
    expectExit(refused, 1)
    expect(codes(refused.json)).toEqual(['unresolved-in-environment'])
    expect(refused.json.diagnostics[0]!.message).toContain('task/user of package user')
    expect(refused.json.diagnostics[0]!.message).toContain('conn/shared')
    expect(head(repo, 'env/dev')).toBe(before)
    expect(show(repo, 'env/dev', 'definitions/conn/shared.yaml')).toContain('host: shared.example.com')
  })

  test('a rollback that would remove an item another package now refers to is refused', async () => {
    const repo = repoWith({
      ...definition('conn', 'p1', { host: 'p1.example.com' }),
      ...packageFile({ name: 'prov', items: ['conn/p1'] }),
    })
    expectExit(await build(repo, ['prov']), 0)
    commitFiles(repo, {
      ...definition('conn', 'p2', { host: 'p2.example.com' }),
      ...definition('task', 'late', { command: 'l.sh', conn: 'p2' }),
      ...packageFile({ name: 'prov', items: ['conn/p1', 'conn/p2'] }),
      ...packageFile({ name: 'late', items: ['task/late'], dependencies: [{ package: 'prov' }] }),
    })
    expectExit(await build(repo, ['prov', 'late']), 0)
    expectExit(await apply(repo, 'prov@1.1', 'dev'), 0)
    expectExit(await apply(repo, 'late', 'dev'), 0)
    const before = head(repo, 'env/dev')
    const refused = await apply(repo, 'prov@1', 'dev')
    expectExit(refused, 1)
    expect(refused.json.diagnostics).toEqual([
      expect.objectContaining({ code: 'unresolved-in-environment', item: 'conn/p2' }),
    ])
    expect(head(repo, 'env/dev')).toBe(before)
  })
})

describe('remote validation against a branch that does not exist yet', () => {
  test('gives the same findings as an empty branch', async () => {
    const repo = repoWith()
    const missing = await cliJson<{ diagnostics: { code: string; package?: string }[] }>(repo, ['validate', '--env', 'dev'])
    commitToBranch(repo, 'env/dev', {}, 'empty')
    expect(git(repo, ['ls-tree', 'env/dev'])).toBe('')
    const empty = await cliJson<{ diagnostics: { code: string; package?: string }[] }>(repo, ['validate', '--env', 'dev'])
    expect(empty.json.diagnostics.length).toBeGreaterThan(0)
    expect(missing.json.diagnostics).toEqual(empty.json.diagnostics)
    expect(missing.code).toBe(empty.code)
  })
})

describe('hand-made content where the package puts a file', () => {
  test('a folder at the file path, or a file where a folder is needed: name-conflict, nothing deleted', async () => {
    const repo = repoWith()
    expectExit(await build(repo, ['base', 'tools']), 0)
    commitToBranch(repo, 'env/dev', {
      'definitions/conn/db.yaml/notes.txt': 'kept by hand\n',
      'definitions/task': 'a file where the task folder goes\n',
    })
    const before = head(repo, 'env/dev')
    const base = await apply(repo, 'base', 'dev')
    expectExit(base, 1)
    expect(base.json.diagnostics).toEqual([expect.objectContaining({ code: 'name-conflict', item: 'conn/db' })])
    expect(base.json.diagnostics[0]!.message).toContain('a folder is at definitions/conn/db.yaml')
    const tools = await apply(repo, 'tools', 'dev')
    expectExit(tools, 1)
    expect(tools.json.diagnostics).toEqual([expect.objectContaining({ code: 'name-conflict', item: 'task/cleanup' })])
    expect(tools.json.diagnostics[0]!.message).toContain('a file is at definitions/task')
    expect(head(repo, 'env/dev')).toBe(before)
    expect(show(repo, 'env/dev', 'definitions/conn/db.yaml/notes.txt')).toBe('kept by hand\n')
  })
})

describe('environment overrides are checked against the kind schema before any write', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a list length', { 'task/list': { 'spec.successors.length': 100000000 } }, /successors is a list: length is not an index/],
    ['a negative index', { 'task/list': { 'spec.successors.-1': 'x' } }, /-1 is not an index/],
    ['a huge index', { 'task/list': { 'spec.successors.4294967296': 'x' } }, /not an index|out of range/],
    ['an index past the end', { 'task/list': { 'spec.successors.5': 'x' } }, /has 1 entries: index 5 is out of range/],
    ['the kind', { 'task/list': { kind: 'conn' } }, /only spec.<field> and description can be set, not kind/],
    ['the name', { 'task/list': { name: 'other' } }, /not name/],
    ['spec as a scalar', { 'task/list': { spec: 5 } }, /spec must stay a mapping/],
    ['a value the schema refuses', { 'task/list': { 'spec.command': 7 } }, /does not satisfy the task kind schema/],
    ['a field the schema does not have', { 'task/list': { 'spec.bogus': true } }, /does not satisfy the task kind schema/],
  ]
  for (const [what, set, message] of cases) {
    test(`set on ${what}: invalid-override at the package file's line, nothing written`, async () => {
      const manifest = { name: 'lst', items: ['task/list', 'task/cleanup'], environments: { dev: { set } } }
      const repo = repoWith({
        ...definition('task', 'list', { command: 'l.sh', successors: ['cleanup'] }),
        ...packageFile(manifest),
      })
      const validated = await cliJson<{ diagnostics: { code: string; file?: string; line?: number; message: string }[] }>(repo, [
        'validate',
        '--env',
        'dev',
      ])
      const finding = validated.json.diagnostics.find((d) => d.code === 'invalid-override')
      expect(finding, JSON.stringify(validated.json.diagnostics)).toBeDefined()
      expect(finding!.message).toMatch(message)
      expect(finding!.file).toBe('packages/lst.yaml')
      // The line of the environments.dev.set entry in the package file.
      const lines = show(repo, 'HEAD', 'packages/lst.yaml')!.split('\n')
      expect(lines[finding!.line! - 1]).toMatch(/task\/list|spec|kind|name/)
      expect(validated.code).toBe(1)
      // Reported once (local validation), and build refuses to release it: no tag, no branch.
      expect(validated.json.diagnostics.filter((d) => d.code === 'invalid-override')).toHaveLength(1)
      const built = await build(repo, ['lst'])
      expectExit(built, 1)
      expect(codes(built.json)).toContain('invalid-override')
      expect(git(repo, ['tag', '--list'])).not.toContain('lst@')
      expect(head(repo, 'refs/heads/env/dev')).toBeUndefined()
    })
  }

  test('replace mapping to another kind: replacement-kind-mismatch', async () => {
    const repo = repoWith(
      packageFile({ name: 'bad', items: ['conn/db', 'cred/db', 'task/cleanup'], environments: { dev: { replace: { 'cred/db': 'task/cleanup' } } } }),
    )
    const validated = await cliJson<{ diagnostics: { code: string; file?: string }[] }>(repo, ['validate', '--env', 'dev'])
    expect(validated.json.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'replacement-kind-mismatch', file: 'packages/bad.yaml' }),
    )
  })
})

describe('the plan shows what the environment changes', () => {
  test('overrides and replacements on every row; updates with old and new values; counts on top; keeps folded; deletions first', async () => {
    const repo = repoWith({
      ...definition('cred', 'gone', { path: 'vault://gone' }),
      ...packageFile({
        name: 'shown',
        install: 'overwrite',
        items: ['conn/db', 'cred/db', 'cred/db-qa', 'cred/gone', 'cred/tools'],
        instructions: [{ step: 'Tell the DBA', when: 'before' }],
        environments: {
          dev: {
            replace: { 'cred/db': 'cred/db-qa' },
            set: { 'conn/db': { 'spec.port': 7000, 'spec.options': { note: 'x'.repeat(200) } } },
            release: '2026-12-01T00:00:00-05:00',
          },
        },
      }),
    })
    expectExit(await build(repo, ['shown']), 0)
    const first = await plan(repo, 'shown', 'dev')
    expectExit(first, 0)
    const conn = first.json.changes.find((c) => c.item === 'conn/db') as unknown as { overrides: unknown[] }
    expect(conn.overrides).toEqual([
      { path: 'spec.credential', kind: 'replace', from: 'cred/db', to: 'cred/db-qa' },
      { path: 'spec.options', kind: 'set', to: { note: 'x'.repeat(200) } },
      { path: 'spec.port', kind: 'set', from: 5432, to: 7000 },
    ])
    expectExit(await apply(repo, 'shown', 'dev'), 0)
    commitFiles(repo, {
      ...definition('cred', 'tools', { path: 'vault://tools-2' }),
      ...packageFile({
        name: 'shown',
        install: 'overwrite',
        items: ['conn/db', 'cred/db', 'cred/db-qa', 'cred/tools'],
        instructions: [{ step: 'Tell the DBA', when: 'before' }],
        environments: { dev: { replace: { 'cred/db': 'cred/db-qa' }, set: { 'conn/db': { 'spec.port': 7000 } }, release: '2026-12-01T00:00:00-05:00' } },
      }),
    })
    expectExit(await build(repo, ['shown']), 0)
    const second = await cliJson<{ counts: unknown; changes: { item: string; action: string; fields?: unknown }[] }>(repo, [
      'plan',
      'shown',
      '--env',
      'dev',
    ])
    expect(second.json.counts).toEqual({ add: 0, update: 2, delete: 1, keep: 2 })
    expect(second.json.changes.map((c) => [c.action, c.item])).toEqual([
      ['delete', 'cred/gone'],
      ['update', 'conn/db'],
      ['update', 'cred/tools'],
      ['keep', 'cred/db'],
      ['keep', 'cred/db-qa'],
    ])
    expect(second.json.changes.find((c) => c.item === 'cred/tools')!.fields).toEqual([
      { path: 'spec.path', from: 'vault://kv/tools', to: 'vault://tools-2' },
    ])
    expect(second.json.changes.find((c) => c.item === 'conn/db')!.fields).toEqual([
      { path: 'spec.options', from: { note: 'x'.repeat(200) } },
    ])
    const text = await cli(repo, ['plan', 'shown', '--env', 'dev'])
    const lines = text.stdout.split('\n')
    expect(lines[1]).toBe('0 to add, 2 to update, 1 to delete, 2 kept')
    expect(text.stdout).toContain('release date in dev: 2026-12-01 05:00 UTC')
    expect(text.stdout).toContain('instruction (before the apply): Tell the DBA')
    expect(text.stdout).toMatch(/spec\.path\s+"vault:\/\/kv\/tools" -> "vault:\/\/tools-2"/)
    expect(text.stdout).toMatch(/spec\.port\s+set in dev: 7000 \(source: 5432\)/)
    expect(text.stdout).toMatch(/spec\.credential\s+replaced in dev: "cred\/db-qa" \(source: "cred\/db"\)/)
    // The long value is folded, the rest counted.
    expect(text.stdout).toMatch(/spec\.options\s+\{"note":"x+… \(\d+ more characters\) -> \(none\)/)
    expect(text.stdout).toContain('2 items kept as they are (not listed)')
    expect(lines.findIndex((l) => l.includes('cred/gone'))).toBeLessThan(lines.findIndex((l) => l.includes('cred/tools')))
    expect(lines.some((l) => /\bcred\/db-qa\s+keep/.test(l))).toBe(false)
  })
})
