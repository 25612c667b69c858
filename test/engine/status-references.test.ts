import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { KINDS, apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cli, cliJson, commitToBranch, show, tempDir } from './helpers.js'

const temp = tempDir('gantry-status-refs-')
afterAll(() => temp.cleanup())

interface StatusJson {
  ok: boolean
  drift: { severity: string; code: string; item?: string; environment?: string; file?: string; package?: string; line?: number; column?: number; message: string }[]
}

let repo: string
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, 'base', 'dev'), 0)
  expectExit(await apply(repo, 'app', 'dev'), 0)
})

test('status reports a reference of an installed item to an item that is not on the branch (exit 1)', async () => {
  const clean = await cliJson<StatusJson>(repo, ['status'])
  expect(clean.json.drift.filter((d) => d.code === 'unresolved-in-environment')).toEqual([])
  // The connection app's task uses is deleted by hand on env/dev.
  commitToBranch(repo, 'env/dev', { 'definitions/conn/db.yaml': null })
  const { code, json } = await cliJson<StatusJson>(repo, ['status'])
  expect(code).toBe(1)
  expect(json.ok).toBe(false)
  const broken = json.drift.filter((d) => d.code === 'unresolved-in-environment')
  const line = show(repo, 'env/dev', 'definitions/task/extract.yaml')!.split('\n').findIndex((l) => l.includes('conn: db')) + 1
  expect(broken).toEqual([
    expect.objectContaining({
      severity: 'error',
      environment: 'dev',
      package: 'app',
      item: 'task/extract',
      file: 'definitions/task/extract.yaml',
      line,
      column: 9,
      message: 'task/extract of package app refers to conn/db, which is not on env/dev',
    }),
  ])
  const text = await cli(repo, ['status'])
  expect(text.stdout).toMatch(/definitions\/task\/extract\.yaml:\d+:9: error unresolved-in-environment \[dev\]/)
})

test('status finds a reference reached through a $ref of the kind schema, and none through a schema the loader refuses', async () => {
  // conn/db is still missing on env/dev (the test above deleted it). The task schema now names its
  // connection through $defs: the reference is found as before.
  const task = KINDS.task as { properties: Record<string, unknown> }
  const throughDefs = { ...task, properties: { ...task.properties, conn: { $ref: '#/$defs/connection' } }, $defs: { connection: { type: 'string', 'x-gantry-ref': 'conn' } } }
  writeFileSync(join(repo, 'kinds/task.schema.json'), JSON.stringify(throughDefs, null, 2))
  const found = await cliJson<StatusJson>(repo, ['status'])
  expect(found.json.drift.filter((d) => d.code === 'unresolved-in-environment').map((d) => d.item)).toEqual(['task/extract'])
  // A schema that does not compile ("type" names no JSON type) is no kind: its items' references are not
  // looked for, as with every other command that loads it.
  writeFileSync(join(repo, 'kinds/task.schema.json'), JSON.stringify({ ...throughDefs, type: 'record' }, null, 2))
  const refused = await cliJson<StatusJson>(repo, ['status'])
  expect(refused.json.drift.filter((d) => d.code === 'unresolved-in-environment')).toEqual([])
  writeFileSync(join(repo, 'kinds/task.schema.json'), `${JSON.stringify(KINDS.task, null, 2)}\n`)
})

test('status reports a reference of an installed item to a name no item can have, instead of stopping', async () => {
  // Anyone with push rights can write any text on an environment branch: conn: Bad Name is no item id.
  const extract = show(repo, 'env/dev', 'definitions/task/extract.yaml')!
  commitToBranch(repo, 'env/dev', { 'definitions/task/extract.yaml': extract.replace('conn: db', 'conn: Bad Name') })
  const { code, json } = await cliJson<StatusJson>(repo, ['status'])
  expect(code).toBe(1)
  const broken = json.drift.filter((d) => d.code === 'unresolved-in-environment' && d.environment === 'dev')
  expect(broken).toEqual([
    expect.objectContaining({
      item: 'task/extract',
      file: 'definitions/task/extract.yaml',
      column: 9,
      message: 'task/extract of package app refers to "conn/Bad Name", which is no item name, on env/dev',
    }),
  ])
  commitToBranch(repo, 'env/dev', { 'definitions/task/extract.yaml': extract })
})

test('status places each unresolved reference of one item object shared by two environments, in the order found', async () => {
  expectExit(await apply(repo, 'base', 'qa'), 0)
  expectExit(await apply(repo, 'app', 'qa'), 0)
  // The same text by hand on both branches (one object): four references, of which the successors gone-one and
  // gone-two resolve on neither branch, and conn/db only on env/qa (the first test deleted it on env/dev).
  const text = ['kind: task', 'name: extract', 'spec:', '  command: extract.sh', '  conn: db', '  successors:', '    - gone-one', '    - extract', '    - gone-two', ''].join('\n')
  commitToBranch(repo, 'env/dev', { 'definitions/task/extract.yaml': text })
  commitToBranch(repo, 'env/qa', { 'definitions/task/extract.yaml': text })
  const { code, json } = await cliJson<StatusJson>(repo, ['status'])
  expect(code).toBe(1)
  const broken = json.drift.filter((d) => d.code === 'unresolved-in-environment').map(({ environment, line, column, message }) => ({ environment, line, column, message }))
  expect(broken).toEqual([
    { environment: 'dev', line: 5, column: 9, message: 'task/extract of package app refers to conn/db, which is not on env/dev' },
    { environment: 'dev', line: 7, column: 7, message: 'task/extract of package app refers to task/gone-one, which is not on env/dev' },
    { environment: 'dev', line: 9, column: 7, message: 'task/extract of package app refers to task/gone-two, which is not on env/dev' },
    { environment: 'qa', line: 7, column: 7, message: 'task/extract of package app refers to task/gone-one, which is not on env/qa' },
    { environment: 'qa', line: 9, column: 7, message: 'task/extract of package app refers to task/gone-two, which is not on env/qa' },
  ])
})
