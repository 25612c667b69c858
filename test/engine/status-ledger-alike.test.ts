import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import { readWrittenLedger, readWrittenLedgerAlike } from '../../src/core/promotion/ledger-read.js'
import { renderLedger } from '../../src/core/promotion/plan-promotion.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, commitToBranch, show, tempDir } from './helpers.js'
import { seededRandom as random } from '../support/seeded-random.js'
import { sampleLedger } from '../support/sample-ledger.js'

// A package's ledger is the same text on every environment it is applied to but for its `environment:` line:
// status reads and checks one of them whole, and the others against it (readWrittenLedgerAlike). Each must be
// what readWrittenLedger makes of its own bytes (the same value, or declined), whatever the line holds.

const temp = tempDir('gantry-status-ledger-alike-')
afterAll(() => temp.cleanup())

const bytes = (text: string) => new TextEncoder().encode(text)
const FILE = '.gantry/installed/app.yaml'
const schemas = new SchemaRegistry()
const full = (text: Uint8Array) => readWrittenLedger(text, FILE, 'app.yaml', schemas)

test('the ledger schema checks each top-level property on its own: the shape readWrittenLedgerAlike relies on', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/ledger.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>
  // Annotations, and the keywords whose check splits by property. Anything else (allOf, if, dependencies,
  // minProperties...) could tie one property's validity to another's: the alike read would then be wrong.
  const splitting = new Set(['$schema', '$id', 'title', 'description', 'type', 'additionalProperties', 'required', 'properties'])
  expect(Object.keys(schema).filter((key) => !splitting.has(key))).toEqual([])
  expect(schema.type).toBe('object')
  expect(schema.additionalProperties).toBe(false)
  expect(Object.keys(schema.properties as object)).toContain('environment')
})

/** The environment values tried: forms the read takes, and forms it must decline (as readWrittenLedger does). */
const ENVIRONMENTS = [
  'qa', 'prod', 'eu-west.1', '"quoted qa"', '"with: colon"', '"a\\"b"', "'single'", '42', '1.5', '1e5', '0x1f', '007', 'null', 'Null', '~',
  'true', 'True', 'false', '[]', '{}', '[qa]', '{a: b}', '', ' ', 'qa ', 'a: b', 'qa # comment', '&anchor qa', '*alias', '!!str qa', 'ä', 'q\ta',
  'qa\r', 'x'.repeat(1010), 'x'.repeat(1011), 'x'.repeat(2000), '"unterminated', '-', '- qa', '?', 'qa:', '@qa', '.5', '1.2.3', 'sha256:abc',
]

test('another environment\'s copy is read to what readWrittenLedger reads from its own bytes, or declined', () => {
  const shapes: EnvironmentLedger[] = [
    sampleLedger(6),
    sampleLedger(0, { items: {}, delivered: {} }),
    sampleLedger(3, { promotion: 7, approvers: [{ login: 'alice', sha: 'abc123' }], rollback: true, previousVersion: '1.2' }),
  ]
  let taken = 0
  for (const shape of shapes) {
    const text = renderLedger(shape)
    const known = full(bytes(text))!
    expect(known).toBeDefined()
    for (const environment of ENVIRONMENTS) {
      const variant = bytes(text.replace(/^environment: .*$/m, `environment: ${environment}`))
      const alike = readWrittenLedgerAlike(variant, { bytes: bytes(text), ledger: known }, FILE, 'app.yaml', schemas)
      const own = full(variant)
      expect(alike, environment).toEqual(own)
      if (own) {
        // The same keys in the same order, as the full read builds them.
        expect(Object.keys(alike!), environment).toEqual(Object.keys(own))
        taken++
      }
    }
    // Against another file name: declined, as readWrittenLedger declines it.
    expect(readWrittenLedgerAlike(bytes(text.replace('environment: dev', 'environment: qa')), { bytes: bytes(text), ledger: known }, '.gantry/installed/other.yaml', 'other.yaml', schemas)).toBeUndefined()
  }
  expect(taken).toBeGreaterThan(20)
})

test('any other difference than the environment line is declined, or read to what readWrittenLedger reads', () => {
  const text = renderLedger(sampleLedger(6))
  const known = full(bytes(text))!
  const next = random(13)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
  const pieces = ['\n', ' ', ':', '"', 'qa', 'environment: ', 'environment: qa\n', '  ', '- ', 'sha256:', '0', 'x', '#', '\t']
  let declined = 0
  for (let round = 0; round < 2000; round++) {
    let variant = text
    const edits = 1 + Math.floor(next() * 3)
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(next() * (variant.length + 1))
      const cut = next() < 0.5 ? Math.floor(next() * 4) : 0
      variant = variant.slice(0, at) + (next() < 0.8 ? pick(pieces) : '') + variant.slice(at + cut)
    }
    const alike = readWrittenLedgerAlike(bytes(variant), { bytes: bytes(text), ledger: known }, FILE, 'app.yaml', schemas)
    const own = full(bytes(variant))
    if (alike === undefined) declined++
    else expect(isDeepStrictEqual(alike, own), variant).toBe(true)
  }
  // Most edits fall outside the environment line: the comparison above is not all declines.
  expect(declined).toBeGreaterThan(1000)
  expect(declined).toBeLessThan(2000)
})

interface StatusJson {
  ok: boolean
  packages: { name: string; environments: Record<string, { version: string }> }[]
}

test('status refuses a ledger whose environment line the schema refuses, though its copy on another branch is valid', async () => {
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const env of ['dev', 'qa']) for (const pkg of ['base', 'app']) expectExit(await apply(repo, pkg, env), 0)
  const ok = await cliJson<StatusJson>(repo, ['status'])
  expect(ok.code).toBe(0)
  expect(Object.keys(ok.json.packages.find((p) => p.name === 'app')!.environments).sort()).toEqual(['dev', 'qa'])
  // On qa, the same text as on dev but for an environment that is a number: the ledger schema refuses it.
  const dev = show(repo, 'env/dev', '.gantry/installed/app.yaml')!
  commitToBranch(repo, 'env/qa', { '.gantry/installed/app.yaml': dev.replace(/^environment: .*$/m, 'environment: 5') })
  const refused = await cliJson(repo, ['status'])
  expect(refused.code).not.toBe(0)
  expect(JSON.stringify(refused.json)).toContain('.gantry/installed/app.yaml on env/qa is not a valid ledger')
})
