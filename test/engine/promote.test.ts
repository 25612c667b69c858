import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { applyCommand, planCommand } from '../../src/commands/promote.js'
import { sha256 } from '../../src/core/bundle/canonical-json.js'
import {
  APP,
  BASE,
  TOOLS,
  apply,
  build,
  definition,
  expectExit,
  makeSourceRepo,
  packageFile,
  plan,
} from './fixture.js'
import {
  addBareOrigin,
  cli,
  cliJson,
  commitFiles,
  commitToBranch,
  exampleRepo,
  git,
  head,
  ledgerOn,
  show,
  showBytes,
  showYaml,
  tagDigest,
  tempDir,
  workspaceState,
} from './helpers.js'

const temp = tempDir('gantry-promote-')
afterAll(() => temp.cleanup())

type Doc = { kind: string; name: string; spec: Record<string, unknown> }
const item = (repo: string, branch: string, id: string) =>
  showYaml<Doc>(repo, branch, `definitions/${id}.yaml`)
const actions = (json: { changes: { item: string; action: string }[] }) =>
  Object.fromEntries(json.changes.map((c) => [c.item, c.action]))
const codes = (json: { diagnostics: { code: string }[] }) => json.diagnostics.map((d) => d.code)

/**
 * A source repository with every package built at version 1: built once, then copied whole (working tree,
 * .git with its tags, the built bundles) for each test group, which is the same repository without the cost.
 */
let template: Promise<string> | undefined
async function builtRepo(name: string): Promise<string> {
  template ??= (async () => {
    const dir = join(temp.dir, 'template')
    makeSourceRepo(dir)
    expectExit(await build(dir), 0)
    return dir
  })()
  const repo = join(temp.dir, name)
  cpSync(await template, repo, { recursive: true })
  return repo
}

describe('a first apply to dev', () => {
  let repo: string
  let before: ReturnType<typeof workspaceState>
  let applied: Awaited<ReturnType<typeof apply>>
  beforeAll(async () => {
    repo = await builtRepo('first')
    before = workspaceState(repo)
    applied = await apply(repo, 'base', 'dev')
  })

  test('plan shows every item as added and writes nothing', async () => {
    const repo2 = await builtRepo('first-plan')
    const planned = await plan(repo2, 'base', 'dev')
    expectExit(planned, 0)
    expect(planned.json).toMatchObject({
      ok: true,
      package: 'base',
      version: '1',
      environment: 'dev',
      rollback: false,
    })
    expect(actions(planned.json)).toEqual({
      'cal/holidays': 'add',
      'conn/db': 'add',
      'cred/db': 'add',
      'cred/db-qa': 'add',
    })
    expect(planned.json.commit).toBeUndefined()
    const text = await cli(repo2, ['plan', 'base', '--env', 'dev'])
    expect(text.code).toBe(0)
    const lines = text.stdout.split('\n')
    expect(lines[0]).toBe('base@1 -> dev [env/dev]')
    expect(lines).toContainEqual(expect.stringMatching(/^\+\s+conn\/db\s+add/))
    // Counts on top, under the header.
    expect(lines[1]).toBe('4 to add, 0 to update, 0 to delete, 0 kept')
    expect(head(repo2, 'refs/heads/env/dev')).toBeUndefined()
  })

  test('creates the environment branch with one commit holding the items as built', () => {
    expectExit(applied, 0)
    expect(applied.json.commit).toMatch(/^[0-9a-f]{40}$/)
    expect(head(repo, 'refs/heads/env/dev')).toBe(applied.json.commit)
    expect(git(repo, ['rev-list', '--count', 'env/dev'])).toBe('1')
    expect(item(repo, 'env/dev', 'conn/db')).toEqual({
      kind: 'conn',
      name: 'db',
      spec: { host: 'db.dev.example.com', port: 5432, credential: 'db' },
    })
    expect(git(repo, ['ls-tree', '-r', '--name-only', 'env/dev']).split('\n')).toEqual([
      '.gantry/installed/base.yaml',
      'definitions/cal/holidays.yaml',
      'definitions/conn/db.yaml',
      'definitions/cred/db-qa.yaml',
      'definitions/cred/db.yaml',
    ])
  })

  test('leaves the working tree, the index and HEAD alone', () => {
    expect(workspaceState(repo)).toEqual(before)
    expect(git(repo, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main')
  })

  test('writes a ledger: package, version, digest of the tag, the sha256 of every applied file, the source commit', () => {
    const ledger = ledgerOn(repo, 'env/dev', 'base')!
    expect(ledger).toMatchObject({
      package: 'base',
      version: '1',
      digest: tagDigest(repo, 'base@1'),
      environment: 'dev',
      rollback: false,
      previousVersion: null,
    })
    expect(ledger.sourceCommit).toBe(git(repo, ['rev-parse', 'base@1^{commit}']))
    expect(Object.keys(ledger.items)).toEqual(['cal/holidays', 'conn/db', 'cred/db', 'cred/db-qa'])
    for (const [id, digest] of Object.entries(ledger.items))
      expect(digest).toBe(sha256(showBytes(repo, 'env/dev', `definitions/${id}.yaml`)!))
    expect(ledger.appliedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
  })

  test('applying the same version again makes no commit', async () => {
    const again = await apply(repo, 'base@1', 'dev')
    expectExit(again, 0)
    expect(again.json.alreadyApplied).toBe(true)
    expect(again.json.commit).toBeUndefined()
    expect(actions(again.json)).toEqual({
      'cal/holidays': 'keep',
      'conn/db': 'keep',
      'cred/db': 'keep',
      'cred/db-qa': 'keep',
    })
    expect(head(repo, 'refs/heads/env/dev')).toBe(applied.json.commit)
  })

  test('a new version updates changed items in one commit; a calendar (update: never) is added once and then kept', async () => {
    commitFiles(repo, {
      ...definition('conn', 'db', { host: 'db.dev.example.com', port: 5433, credential: 'db' }),
      ...definition('cal', 'holidays', { days: ['2026-12-25', '2027-01-01'] }),
    })
    expectExit(await build(repo, ['base']), 0)
    const previous = head(repo, 'refs/heads/env/dev')!
    const operatorsCalendar = show(repo, 'env/dev', 'definitions/cal/holidays.yaml')
    const planned = await plan(repo, 'base', 'dev')
    expect(planned.json.version).toBe('1.1')
    expect(actions(planned.json)).toEqual({
      'cal/holidays': 'keep',
      'conn/db': 'update',
      'cred/db': 'keep',
      'cred/db-qa': 'keep',
    })
    expect(planned.json.changes.find((c) => c.item === 'cal/holidays')!.note).toMatch(/update: never/)

    const result = await apply(repo, 'base', 'dev')
    expectExit(result, 0)
    expect(git(repo, ['rev-parse', `${result.json.commit}^`])).toBe(previous)
    expect(git(repo, ['rev-list', '--count', `${previous}..env/dev`])).toBe('1')
    expect(item(repo, 'env/dev', 'conn/db')!.spec.port).toBe(5433)
    expect(show(repo, 'env/dev', 'definitions/cal/holidays.yaml')).toBe(operatorsCalendar)
    expect(git(repo, ['diff', '--name-only', previous, 'env/dev']).split('\n')).toEqual([
      '.gantry/installed/base.yaml',
      'definitions/conn/db.yaml',
    ])
    const ledger = ledgerOn(repo, 'env/dev', 'base')!
    expect(ledger).toMatchObject({
      version: '1.1',
      previousVersion: '1',
      digest: tagDigest(repo, 'base@1.1'),
    })
    expect(ledger.items['cal/holidays']).toBe(
      sha256(showBytes(repo, 'env/dev', 'definitions/cal/holidays.yaml')!),
    )
    expect(workspaceState(repo).status).toBe(before.status)
  })

  test('the command functions give the same plan the CLI prints', async () => {
    const planned = await planCommand({ repo, target: 'app', environment: 'dev' })
    expect(planned.ok).toBe(true)
    expect(planned.plan!.changes.map((c) => [c.item, c.action])).toEqual([['task/extract', 'add']])
    expect(planned.plan!.writes.get('definitions/task/extract.yaml')).toContain('command: extract.sh')
    const result = await applyCommand({
      repo,
      target: 'app',
      environment: 'dev',
      appliedBy: 'tester',
      now: () => new Date('2026-01-02T03:04:05Z'),
    })
    expect(result.ok).toBe(true)
    expect(result.replanned).toBe(0)
    expect(ledgerOn(repo, 'env/dev', 'app')).toMatchObject({
      appliedBy: 'tester',
      appliedAt: '2026-01-02T03:04:05.000Z',
      promotion: null,
    })
    expect(head(repo, 'refs/heads/env/dev')).toBe(result.commit)
  })
})

describe('a ledger changed on the branch by hand', () => {
  test('applying the same version again writes the ledger back: a matching version alone is not "already applied"', async () => {
    const repo = await builtRepo('ledger-edit')
    expectExit(await apply(repo, 'base', 'dev'), 0)
    const text = show(repo, 'env/dev', '.gantry/installed/base.yaml')!
    const forged = text.replace(/^digest: sha256:[0-9a-f]{64}$/m, `digest: sha256:${'0'.repeat(64)}`)
    expect(forged).not.toBe(text)
    const edited = commitToBranch(repo, 'env/dev', { '.gantry/installed/base.yaml': forged })
    const again = await apply(repo, 'base@1', 'dev')
    expectExit(again, 0)
    expect(again.json.alreadyApplied).toBeUndefined()
    expect(git(repo, ['rev-parse', `${again.json.commit as string}^`])).toBe(edited)
    expect(head(repo, 'refs/heads/env/dev')).toBe(again.json.commit)
    expect(ledgerOn(repo, 'env/dev', 'base')!.digest).toBe(tagDigest(repo, 'base@1'))
  })
})

describe('environments: order, replacements and overrides', () => {
  let repo: string
  beforeAll(async () => {
    repo = await builtRepo('environments')
  })

  test('prod is refused until qa has the same version (environment-order), and nothing is written', async () => {
    const refused = await apply(repo, 'base', 'qa')
    expectExit(refused, 1)
    expect(codes(refused.json)).toEqual(['environment-order'])
    expect(head(repo, 'refs/heads/env/qa')).toBeUndefined()

    expectExit(await apply(repo, 'base', 'dev'), 0)
    expectExit(await apply(repo, 'base', 'qa'), 0)
    // A newer version in dev and qa does not let prod skip it: prod needs what qa has.
    const prodEarly = await apply(repo, 'base', 'prod')
    expectExit(prodEarly, 0)
    commitFiles(repo, definition('cred', 'db', { path: 'vault://kv/db-2' }))
    expectExit(await build(repo, ['base']), 0)
    expectExit(await apply(repo, 'base@1.1', 'dev'), 0)
    const prodHead = head(repo, 'refs/heads/env/prod')
    const skipping = await apply(repo, 'base@1.1', 'prod')
    expectExit(skipping, 1)
    expect(skipping.json.diagnostics[0]).toMatchObject({ code: 'environment-order' })
    expect(skipping.json.diagnostics[0]!.message).toContain('qa')
    expect(head(repo, 'refs/heads/env/prod')).toBe(prodHead)
    expect(ledgerOn(repo, 'env/prod', 'base')!.version).toBe('1')
  })

  test('qa gets its replacement credential and its overridden host; dev and prod keep theirs', async () => {
    const qa = item(repo, 'env/qa', 'conn/db')!
    expect(qa.spec).toEqual({ host: 'db.qa.example.com', port: 5432, credential: 'db-qa' })
    expect(item(repo, 'env/dev', 'conn/db')!.spec).toMatchObject({
      host: 'db.dev.example.com',
      credential: 'db',
    })
    expect(item(repo, 'env/prod', 'conn/db')!.spec).toEqual({
      host: 'db.dev.example.com',
      port: 6432,
      credential: 'db',
    })
    const planned = await plan(repo, 'base@1', 'qa')
    expect(planned.json.changes.find((c) => c.item === 'conn/db')).toMatchObject({
      action: 'keep',
      replaced: { 'cred/db': 'cred/db-qa' },
    })
    // The ledger digest is of the file as applied in qa, not as built.
    expect(ledgerOn(repo, 'env/qa', 'base')!.items['conn/db']).toBe(
      sha256(showBytes(repo, 'env/qa', 'definitions/conn/db.yaml')!),
    )
  })

  test('an unknown environment cannot run: exit 2', async () => {
    const run = await cli(repo, ['apply', 'base', '--env', 'staging'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('unknown environment staging')
    expect((await cli(repo, ['apply', 'base'])).code).toBe(2)
    expect((await cli(repo, ['apply', 'base@9', '--env', 'dev'])).code).toBe(2)
  })
})

describe('the scheduler example in qa', () => {
  test('billing-db points at the qa credential and the qa host on env/qa', async () => {
    const repo = join(temp.dir, 'scheduler')
    exampleRepo('scheduler', repo)
    expectExit(await build(repo, ['shared-connections']), 0)
    expectExit(await apply(repo, 'shared-connections', 'dev'), 0)
    const qa = await apply(repo, 'shared-connections', 'qa')
    expectExit(qa, 0)
    const file = 'connection/billing-db'
    expect(item(repo, 'env/dev', file)!.spec).toMatchObject({
      credential: 'billing-db',
      host: 'billing-db-replica.dev.internal.example.com',
    })
    expect(item(repo, 'env/qa', file)!.spec).toMatchObject({
      credential: 'billing-db-qa',
      host: 'billing-db-replica.qa.internal.example.com',
    })
    expect(item(repo, 'env/qa', 'connection/exports-bucket')!.spec.bucket).toBe('acme-scheduler-exports-qa')
    expect(qa.json.changes.find((c) => c.item === file)).toMatchObject({
      action: 'add',
      replaced: { 'credential/billing-db': 'credential/billing-db-qa' },
    })
    // The environment branch already had the README of make-example-repo: it is kept.
    expect(show(repo, 'env/qa', '.gantry/README.md')).toContain('Environment qa')
  })
})

describe('install modes', () => {
  let repo: string
  beforeAll(async () => {
    repo = join(temp.dir, 'install')
    makeSourceRepo(repo)
    commitFiles(repo, {
      ...definition('cred', 'a', { path: 'vault://a' }),
      ...definition('cred', 'b', { path: 'vault://b' }),
      ...definition('cred', 'c', { path: 'vault://c' }),
      ...definition('cred', 'd', { path: 'vault://d' }),
      ...definition('conn', 'm', { host: 'm.example.com', port: 1000 }),
      ...definition('cred', 'm2', { path: 'vault://m2' }),
      ...definition('task', 'ovr-only', { command: 'only.sh' }),
      ...packageFile({
        name: 'ovr',
        install: 'overwrite',
        items: ['cred/a', 'cred/b', 'cred/c', 'task/ovr-only'],
      }),
      ...packageFile({ name: 'mrg', items: ['conn/m', 'cred/m2'] }),
    })
    expectExit(await build(repo, ['ovr', 'mrg']), 0)
    expectExit(await apply(repo, 'ovr', 'dev'), 0)
    expectExit(await apply(repo, 'mrg', 'dev'), 0)
  })

  test('overwrite: keep the unchanged, update the changed, add the new, delete the dropped', async () => {
    commitFiles(repo, {
      ...definition('cred', 'b', { path: 'vault://b2' }),
      ...packageFile({ name: 'ovr', install: 'overwrite', items: ['cred/a', 'cred/b', 'cred/d'] }),
    })
    expectExit(await build(repo, ['ovr']), 0)
    const planned = await plan(repo, 'ovr', 'dev')
    expect(actions(planned.json)).toEqual({
      'cred/a': 'keep',
      'cred/b': 'update',
      'cred/c': 'delete',
      'cred/d': 'add',
      'task/ovr-only': 'delete',
    })
    expect(item(repo, 'env/dev', 'task/ovr-only')).toEqual({
      kind: 'task',
      name: 'ovr-only',
      spec: { command: 'only.sh' },
    })
    const otherPackage = showBytes(repo, 'env/dev', 'definitions/conn/m.yaml')
    const result = await apply(repo, 'ovr', 'dev')
    expectExit(result, 0)
    expect(show(repo, 'env/dev', 'definitions/cred/c.yaml')).toBeUndefined()
    // The folder the last task left is gone too: no empty tree on the branch.
    expect(git(repo, ['ls-tree', '-d', '--name-only', 'env/dev:definitions']).split('\n')).toEqual([
      'conn',
      'cred',
    ])
    expect(item(repo, 'env/dev', 'cred/d')!.spec.path).toBe('vault://d')
    expect(item(repo, 'env/dev', 'cred/b')!.spec.path).toBe('vault://b2')
    expect(Object.keys(ledgerOn(repo, 'env/dev', 'ovr')!.items)).toEqual(['cred/a', 'cred/b', 'cred/d'])
    // Another package's items are not touched.
    expect(showBytes(repo, 'env/dev', 'definitions/conn/m.yaml')).toEqual(otherPackage)
    expect(otherPackage).toBeDefined()
  })

  test('merge: a key the package itself dropped is not kept when nobody changed the file on the branch', async () => {
    commitFiles(repo, {
      ...definition('conn', 'n', { host: 'n.example.com', port: 1000, options: { pool: 3 } }),
      ...packageFile({ name: 'mrg2', items: ['conn/n'] }),
    })
    expectExit(await build(repo, ['mrg2']), 0)
    expectExit(await apply(repo, 'mrg2', 'dev'), 0)
    commitFiles(repo, definition('conn', 'n', { host: 'n.example.com', port: 1000 }))
    expectExit(await build(repo, ['mrg2']), 0)
    const planned = await plan(repo, 'mrg2', 'dev')
    expect(actions(planned.json)).toEqual({ 'conn/n': 'update' })
    expectExit(await apply(repo, 'mrg2', 'dev'), 0)
    expect(item(repo, 'env/dev', 'conn/n')!.spec).toEqual({ host: 'n.example.com', port: 1000 })
  })

  test('merge: keys added on the branch are kept, package values win on conflicts, dropped items stay', async () => {
    const edited = item(repo, 'env/dev', 'conn/m')!
    commitToBranch(repo, 'env/dev', {
      'definitions/conn/m.yaml': `kind: conn\nname: m\nspec:\n  host: hand.example.com\n  port: 1000\n  options:\n    pool: 3\n  tuned: true\n`,
    })
    expect(edited.spec.host).toBe('m.example.com')
    commitFiles(repo, {
      ...definition('conn', 'm', { host: 'm.example.com', port: 2000 }),
      ...packageFile({ name: 'mrg', items: ['conn/m'] }),
    })
    expectExit(await build(repo, ['mrg']), 0)
    const droppedBefore = showBytes(repo, 'env/dev', 'definitions/cred/m2.yaml')
    expect(item(repo, 'env/dev', 'cred/m2')).toEqual({
      kind: 'cred',
      name: 'm2',
      spec: { path: 'vault://m2' },
    })
    const planned = await plan(repo, 'mrg', 'dev')
    expect(actions(planned.json)).toEqual({ 'conn/m': 'update', 'cred/m2': 'keep' })
    expect(planned.json.changes.find((c) => c.item === 'conn/m')!.note).toMatch(/merged/)
    expectExit(await apply(repo, 'mrg', 'dev'), 0)
    expect(item(repo, 'env/dev', 'conn/m')!.spec).toEqual({
      host: 'm.example.com',
      port: 2000,
      options: { pool: 3 },
      tuned: true,
    })
    expect(showBytes(repo, 'env/dev', 'definitions/cred/m2.yaml')).toEqual(droppedBefore)
    const ledger = ledgerOn(repo, 'env/dev', 'mrg')!
    expect(Object.keys(ledger.items)).toEqual(['conn/m', 'cred/m2'])
    expect(ledger.items['conn/m']).toBe(sha256(showBytes(repo, 'env/dev', 'definitions/conn/m.yaml')!))
  })
})

describe('refusals: nothing is written', () => {
  let repo: string
  beforeAll(async () => {
    repo = await builtRepo('refusals')
  })

  const refusedWith = async (target: string, env: string, code: string) => {
    const branch = `refs/heads/env/${env}`
    const before = head(repo, branch)
    const result = await apply(repo, target, env)
    expectExit(result, 1)
    expect(result.json.ok).toBe(false)
    expect(codes(result.json)).toContain(code)
    expect(result.json.commit).toBeUndefined()
    expect(head(repo, branch)).toBe(before)
    return result.json
  }

  test('missing-dependency: app before base', async () => {
    const json = await refusedWith('app', 'dev', 'missing-dependency')
    expect(json.diagnostics[0]!.message).toContain('base')
    expect(head(repo, 'refs/heads/env/dev')).toBeUndefined()
    const text = await cli(repo, ['apply', 'app', '--env', 'dev'])
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/error missing-dependency \[dev\]/)
    expect(text.stdout).toContain('refused: nothing was applied')
  })

  test('name-conflict: an unowned file of the same name on the branch', async () => {
    commitToBranch(repo, 'env/dev', {
      'definitions/cred/db.yaml': 'kind: cred\nname: db\nspec:\n  path: vault://by-hand\n',
    })
    const json = await refusedWith('base', 'dev', 'name-conflict')
    expect(json.diagnostics.find((d) => d.code === 'name-conflict')).toMatchObject({ item: 'cred/db' })
    expect(show(repo, 'env/dev', 'definitions/cred/db.yaml')).toContain('by-hand')
    commitToBranch(repo, 'env/dev', { 'definitions/cred/db.yaml': null })
    expectExit(await apply(repo, 'base', 'dev'), 0)
  })

  test('name-conflict: an item another package owns', async () => {
    commitFiles(repo, packageFile({ name: 'dup', items: ['cred/db'] }))
    expectExit(await build(repo, ['dup']), 0)
    const json = await refusedWith('dup', 'dev', 'name-conflict')
    expect(json.diagnostics[0]!.message).toContain('package base')
  })

  test('dependency-version, then unresolved-in-environment, then both resolved by promoting base', async () => {
    commitFiles(repo, {
      ...definition('conn', 'db2', { host: 'db2.example.com', credential: 'db' }),
      ...packageFile({ ...BASE, items: [...BASE.items, 'conn/db2'] }),
    })
    expectExit(await build(repo, ['base']), 0)
    commitFiles(repo, packageFile({ ...APP, dependencies: [{ package: 'base', version: '>=1.1' }] }))
    expectExit(await build(repo, ['app']), 0)
    const dependency = await refusedWith('app@1.1', 'dev', 'dependency-version')
    expect(dependency.diagnostics[0]!.message).toContain('base@1')

    commitFiles(repo, {
      ...packageFile(APP),
      ...definition('task', 'extract', { command: 'extract.sh', conn: 'db2' }),
    })
    expectExit(await build(repo, ['app']), 0)
    const unresolved = await refusedWith('app@1.2', 'dev', 'unresolved-in-environment')
    expect(unresolved.diagnostics[0]).toMatchObject({ item: 'task/extract' })
    expect(unresolved.diagnostics[0]!.message).toContain('conn/db2')

    expectExit(await apply(repo, 'base@1.1', 'dev'), 0)
    expectExit(await apply(repo, 'app@1.2', 'dev'), 0)
    expect(item(repo, 'env/dev', 'task/extract')!.spec.conn).toBe('db2')
  })

  test('replacement-target-missing: a replacement whose target is not in the environment', async () => {
    commitFiles(repo, {
      ...definition('conn', 'db-dev', { host: 'db-dev.example.com' }),
      ...packageFile({ ...APP, environments: { dev: { replace: { 'conn/db': 'conn/db-dev' } } } }),
      ...definition('task', 'extract', { command: 'extract.sh', conn: 'db' }),
    })
    expectExit(await build(repo, ['app']), 0)
    const json = await refusedWith('app', 'dev', 'replacement-target-missing')
    expect(json.diagnostics.find((d) => d.code === 'replacement-target-missing')!.message).toContain(
      'conn/db-dev',
    )
  })

  test('digest-mismatch: a tampered bundle file is refused; without the file it is rebuilt from the tag', async () => {
    const file = join(repo, '.gantry/build/tools-1.gantry.json')
    const original = readFileSync(file, 'utf8')
    writeFileSync(file, original.replace('vault://kv/tools', 'vault://kv/evil'))
    const json = await refusedWith('tools', 'dev', 'digest-mismatch')
    expect(json.changes).toEqual([])
    expect((await plan(repo, 'tools', 'dev')).code).toBe(1)
    rmSync(file)
    expectExit(await apply(repo, 'tools', 'dev'), 0)
    expect(item(repo, 'env/dev', 'cred/tools')!.spec.path).toBe('vault://kv/tools')
    expect(ledgerOn(repo, 'env/dev', 'tools')!.digest).toBe(tagDigest(repo, 'tools@1'))
  })

  test('digest-mismatch: a tag made by hand, whose message does not describe the content, is refused', async () => {
    const forged = `tools@5\n\ndigest: sha256:${'0'.repeat(64)}\ncontent: sha256:${'0'.repeat(64)}\n`
    git(repo, ['tag', '-a', 'tools@5', '-m', forged, 'HEAD'])
    const json = await refusedWith('tools@5', 'dev', 'digest-mismatch')
    expect(json.diagnostics[0]!.message).toContain('tools@5')
    git(repo, ['tag', '-d', 'tools@5'])
  })

  test('digest-mismatch: a tag made by hand with no digest in its message is refused, never taken on trust', async () => {
    git(repo, ['tag', '-a', 'tools@6', '-m', 'tools@6\n\nmade by hand\n', 'HEAD'])
    const json = await refusedWith('tools@6', 'dev', 'digest-mismatch')
    expect(json.diagnostics[0]!.message).toContain('digest mismatch for tools@6 (expected a digest in the tag message, got sha256:')
    git(repo, ['tag', '-d', 'tools@6'])
  })

  test('locked-item-modified: a hand edit of a locked package item refuses the next version', async () => {
    commitFiles(repo, packageFile({ ...TOOLS, locked: true }))
    expectExit(await build(repo, ['tools']), 0)
    expectExit(await apply(repo, 'tools', 'dev'), 0)
    const edit = commitToBranch(repo, 'env/dev', {
      'definitions/cred/tools.yaml': 'kind: cred\nname: tools\nspec:\n  path: vault://by-hand\n',
    })
    commitFiles(repo, definition('task', 'cleanup', { command: 'cleanup.sh --all' }))
    expectExit(await build(repo, ['tools']), 0)
    const json = await refusedWith('tools', 'dev', 'locked-item-modified')
    expect(json.diagnostics.find((d) => d.code === 'locked-item-modified')).toMatchObject({
      item: 'cred/tools',
    })
    expect(head(repo, 'refs/heads/env/dev')).toBe(edit)
    expect(show(repo, 'env/dev', 'definitions/task/cleanup.yaml')).not.toContain('--all')
    // Restoring the file lets the promotion through.
    const ledger = ledgerOn(repo, 'env/dev', 'tools')!
    commitToBranch(repo, 'env/dev', {
      'definitions/cred/tools.yaml': show(repo, `${edit}^`, 'definitions/cred/tools.yaml')!,
    })
    expect(sha256(showBytes(repo, 'env/dev', 'definitions/cred/tools.yaml')!)).toBe(
      ledger.items['cred/tools'],
    )
    expectExit(await apply(repo, 'tools', 'dev'), 0)
    expect(show(repo, 'env/dev', 'definitions/task/cleanup.yaml')).toContain('--all')
  })
})

describe('rollback', () => {
  let repo: string
  beforeAll(async () => {
    repo = await builtRepo('rollback')
    commitFiles(repo, {
      ...definition('cred', 'extra', { path: 'vault://extra' }),
      ...definition('conn', 'db', {
        host: 'db.dev.example.com',
        port: 6000,
        credential: 'db',
        options: { pool: 9 },
      }),
      ...packageFile({ ...BASE, items: [...BASE.items, 'cred/extra'] }),
    })
    expectExit(await build(repo, ['base']), 0)
    expectExit(await apply(repo, 'base@1', 'dev'), 0)
    expectExit(await apply(repo, 'base@1.1', 'dev'), 0)
  })

  test('apply of an older version removes what the newer one added and records rollback: true', async () => {
    expect(item(repo, 'env/dev', 'cred/extra')).toEqual({
      kind: 'cred',
      name: 'extra',
      spec: { path: 'vault://extra' },
    })
    const planned = await plan(repo, 'base@1', 'dev')
    expect(planned.json).toMatchObject({ rollback: true, previousVersion: '1.1', version: '1' })
    expect(actions(planned.json)).toMatchObject({ 'cred/extra': 'delete', 'conn/db': 'update' })
    const result = await apply(repo, 'base@1', 'dev')
    expectExit(result, 0)
    expect(show(repo, 'env/dev', 'definitions/cred/extra.yaml')).toBeUndefined()
    // Exactly the older document: a key the newer version added does not survive the (merge) rollback.
    expect(item(repo, 'env/dev', 'conn/db')!.spec).toEqual({
      host: 'db.dev.example.com',
      port: 5432,
      credential: 'db',
    })
    expect(ledgerOn(repo, 'env/dev', 'base')).toMatchObject({
      version: '1',
      rollback: true,
      previousVersion: '1.1',
      digest: tagDigest(repo, 'base@1'),
    })
    expect(Object.keys(ledgerOn(repo, 'env/dev', 'base')!.items)).not.toContain('cred/extra')
    expect(git(repo, ['log', '-1', '--format=%s', 'env/dev'])).toContain('rollback')
    const status = await cliJson<{
      packages: { name: string; latest: string; environments: Record<string, unknown> }[]
    }>(repo, ['status'])
    expect(status.json.packages.find((p) => p.name === 'base')).toMatchObject({
      latest: '1.1',
      environments: { dev: { status: 'APPLIED', version: '1', rollback: true } },
    })
  })

  test('a rollback is not held back by after:', async () => {
    expectExit(await apply(repo, 'base@1.1', 'dev'), 0)
    expectExit(await apply(repo, 'base@1.1', 'qa'), 0)
    expectExit(await apply(repo, 'base@1.1', 'prod'), 0)
    // qa still has 1.1; prod goes back to 1 on its own.
    const result = await apply(repo, 'base@1', 'prod')
    expectExit(result, 0)
    expect(result.json.rollback).toBe(true)
    expect(ledgerOn(repo, 'env/prod', 'base')!.version).toBe('1')
    expect(ledgerOn(repo, 'env/qa', 'base')!.version).toBe('1.1')
  })
})

describe('an environment branch that is checked out', () => {
  test('is not moved under the working tree: the apply cannot run (exit 2) and nothing changes', async () => {
    const repo = await builtRepo('checked-out')
    const start = commitToBranch(repo, 'env/dev', { '.gantry/README.md': 'dev\n' }, 'start dev')
    const worktree = join(temp.dir, 'checked-out-dev')
    git(repo, ['worktree', 'add', '-q', worktree, 'env/dev'])
    const run = await cli(repo, ['apply', 'base', '--env', 'dev'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('checked out')
    expect(head(repo, 'refs/heads/env/dev')).toBe(start)
    expect(git(worktree, ['status', '--porcelain'])).toBe('')
    // plan still works: it writes nothing.
    expect((await plan(repo, 'base', 'dev')).code).toBe(0)
    git(repo, ['worktree', 'remove', worktree])
    expectExit(await apply(repo, 'base', 'dev'), 0)
  })
})

describe('repositories in the sha256 object format', () => {
  test('build, apply, re-apply and delete work the same', async () => {
    const repo = join(temp.dir, 'sha256')
    git(temp.dir, ['init', '-q', '--object-format=sha256', '-b', 'main', repo])
    makeSourceRepo(repo)
    expect(git(repo, ['rev-parse', 'HEAD'])).toHaveLength(64)
    expectExit(await build(repo), 0)
    const first = await apply(repo, 'tools', 'dev')
    expectExit(first, 0)
    expect(first.json.commit).toHaveLength(64)
    expect((await apply(repo, 'tools', 'dev')).json.alreadyApplied).toBe(true)
    commitFiles(repo, { ...packageFile({ ...TOOLS, install: 'overwrite', items: ['cred/tools'] }) })
    expectExit(await build(repo, ['tools']), 0)
    expectExit(await apply(repo, 'tools', 'dev'), 0)
    expect(git(repo, ['ls-tree', '-r', '--name-only', 'env/dev']).split('\n')).toEqual([
      '.gantry/installed/tools.yaml',
      'definitions/cred/tools.yaml',
    ])
  })
})

describe('environment branches known only from origin', () => {
  test('the first apply starts the local branch from origin/<branch> and pushes nothing', async () => {
    const repo = await builtRepo('origin')
    commitToBranch(repo, 'env/dev', { '.gantry/README.md': 'dev\n' }, 'start dev')
    const origin = addBareOrigin(repo)
    const remote = head(repo, 'refs/remotes/origin/env/dev')!
    git(repo, ['branch', '-q', '-D', 'env/dev'])
    expect(head(repo, 'refs/heads/env/dev')).toBeUndefined()

    const result = await apply(repo, 'base', 'dev')
    expectExit(result, 0)
    expect(git(repo, ['rev-parse', 'env/dev^'])).toBe(remote)
    expect(show(repo, 'env/dev', '.gantry/README.md')).toBe('dev\n')
    expect(head(repo, 'refs/remotes/origin/env/dev')).toBe(remote)
    expect(git(origin, ['rev-parse', 'refs/heads/env/dev'])).toBe(remote)
  })
})
