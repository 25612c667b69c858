import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { stringify } from 'yaml'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import { openRepository } from '../../src/commands/repository.js'
import { referringKinds } from '../../src/commands/status.js'
import { DEFAULT_YAML_LIMITS } from '../../src/core/yaml/read-yaml.js'
import { KINDS, apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, commitToBranch, tempDir } from './helpers.js'

// Status finds the references of installed items with each kind's schema as it is, once the schema is within
// Gantry's limits on kind schemas; the loader every command uses (every check, then ajv's compile) decides
// whether the schema is usable only when a reference does not resolve. A broken schema reports no reference,
// as it always did.

const temp = tempDir('gantry-status-kinds-')
afterAll(() => temp.cleanup())

interface StatusJson {
  drift: { code: string; item?: string; message: string }[]
}

const taskSchema = KINDS.task as { properties: Record<string, unknown> }
/** Kind schemas of `task` the loader refuses, each for another reason, with its reference to conn kept. */
const BROKEN: Record<string, string> = {
  'unknown format': JSON.stringify({ ...taskSchema, properties: { ...taskSchema.properties, command: { type: 'string', format: 'no-such-format' } } }),
  'meta-schema': JSON.stringify({ ...taskSchema, properties: { ...taskSchema.properties, command: { type: 'string', minLength: 'long' } } }),
  'duplicate key': JSON.stringify(taskSchema).replace('"type":"object"', '"type":"object","type":"object"'),
  'no such definition': JSON.stringify({ ...taskSchema, properties: { ...taskSchema.properties, command: { $ref: '#/definitions/none' } } }),
  'kind name of x-gantry-ref': JSON.stringify({ ...taskSchema, properties: { ...taskSchema.properties, other: { type: 'string', 'x-gantry-ref': 'Not A Kind' } } }),
  'pattern outside RE2': JSON.stringify({ ...taskSchema, properties: { ...taskSchema.properties, command: { type: 'string', pattern: '(?=a)b' } } }),
}

async function appliedRepo(name: string): Promise<string> {
  const repo = join(temp.dir, name)
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const pkg of ['base', 'app', 'tools']) expectExit(await apply(repo, pkg, 'dev'), 0)
  // task/extract (app) refers to a connection that is not on the branch.
  commitToBranch(repo, 'env/dev', { 'definitions/task/extract.yaml': stringify({ kind: 'task', name: 'extract', spec: { command: 'extract.sh', conn: 'gone' } }) })
  return repo
}

const unresolved = (json: StatusJson) => json.drift.filter((d) => d.code === 'unresolved-in-environment').map((d) => d.item)

test('a reference that does not resolve is reported with a usable schema, and not with a schema the loader refuses', async () => {
  const repo = await appliedRepo('broken')
  expect(unresolved((await cliJson<StatusJson>(repo, ['status'])).json)).toEqual(['task/extract'])
  for (const [why, text] of Object.entries(BROKEN)) {
    writeFileSync(join(repo, 'kinds/task.schema.json'), text)
    const { json } = await cliJson<StatusJson>(repo, ['status'])
    expect(unresolved(json), why).toEqual([])
    // Every other finding as with the usable schema.
    expect(json.drift.map((d) => d.code), why).toContain('local-customization')
    const validate = await cliJson<{ ok: boolean }>(repo, ['validate'])
    expect(validate.json.ok, why).toBe(false)
  }
})

test('the loader (and its compile) runs only for a kind with a reference that does not resolve', async () => {
  const repo = await appliedRepo('lazy')
  const repository = await openRepository(repo, { sources: false })
  const snapshot = await readWorkingTree(repository.dir, [repository.paths.kinds], DEFAULT_YAML_LIMITS.maxBytes)
  const kinds = referringKinds(snapshot, repository)
  // Found with as they are: nothing compiled.
  expect(kinds.schema('task')).toEqual(KINDS.task)
  expect(kinds.schema('conn')).toEqual(KINDS.conn)
  expect(kinds.schema('cal')).toBeUndefined()
  expect(repository.model.schemas.kindNames()).toEqual([])
  // Asked whether it is usable: loaded as every command loads it.
  expect(kinds.usable('task')).toBe(true)
  expect(repository.model.schemas.kindNames()).toEqual(['task'])

  // A broken schema: found with until the loader refuses it, then no schema.
  writeFileSync(join(repo, 'kinds/task.schema.json'), BROKEN['unknown format']!)
  const again = await openRepository(repo, { sources: false })
  const broken = referringKinds(await readWorkingTree(again.dir, [again.paths.kinds], DEFAULT_YAML_LIMITS.maxBytes), again)
  expect(broken.schema('task')).toBeDefined()
  expect(broken.usable('task')).toBe(false)
  expect(broken.schema('task')).toBeUndefined()
  // A schema past Gantry's limits goes to the loader at once.
  writeFileSync(join(repo, 'kinds/task.schema.json'), BROKEN['pattern outside RE2']!)
  const third = await openRepository(repo, { sources: false })
  expect(referringKinds(await readWorkingTree(third.dir, [third.paths.kinds], DEFAULT_YAML_LIMITS.maxBytes), third).schema('task')).toBeUndefined()
})
