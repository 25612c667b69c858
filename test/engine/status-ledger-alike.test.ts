import { createHash } from 'node:crypto'
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
import { sampleDigest, sampleLedger } from '../support/sample-ledger.js'

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

test('each property of the ledger schema that may be a map checks each entry on its own: the shape the digest lines rely on', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/ledger.schema.json', import.meta.url), 'utf8')) as { properties: Record<string, Record<string, unknown>> }
  // A map with some digests replaced is checked by its replaced entries alone: only keywords whose check
  // splits by entry (each key by propertyNames, each value by additionalProperties) may hold it.
  const splitting = new Set(['description', 'type', 'propertyNames', 'additionalProperties'])
  const maps = Object.entries(schema.properties).filter(([, sub]) => sub.type === undefined || sub.type === 'object' || (Array.isArray(sub.type) && sub.type.includes('object')))
  expect(maps.map(([key]) => key).sort()).toEqual(['delivered', 'items'])
  for (const [key, sub] of maps) {
    expect(Object.keys(sub).filter((k) => !splitting.has(k)), key).toEqual([])
    expect(sub.type, key).toBe('object')
    expect(typeof sub.additionalProperties, key).toBe('object')
  }
})

/** The text with the digest of `key` in the map under `section` replaced by `digest` (as written: `sha256:...` or any other text). */
function withDigest(text: string, section: string, key: string, digest: string): string {
  const start = text.indexOf(`\n${section}:\n`) + section.length + 3
  const at = text.indexOf(`  ${key}: `, start)
  const end = text.indexOf('\n', at)
  return `${text.slice(0, at)}  ${key}: ${digest}${text.slice(end)}`
}

test('another environment\'s copy whose item digests differ is read against the known one, to what readWrittenLedger reads', () => {
  const shapes: EnvironmentLedger[] = [
    sampleLedger(6),
    sampleLedger(4, { promotion: 7, approvers: [{ login: 'alice', sha: 'abc123' }], rollback: true, previousVersion: '1.2' }),
    // The environment line after the maps: digest lines before it.
    Object.fromEntries(Object.entries(sampleLedger(5)).filter(([k]) => k !== 'environment').concat([['environment', 'dev']])) as unknown as EnvironmentLedger,
  ]
  let taken = 0
  for (const shape of shapes) {
    const text = renderLedger(shape)
    const known = full(bytes(text))!
    expect(known).toBeDefined()
    const variants = [
      withDigest(text, 'items', 'task/app-1', sampleDigest(1001)),
      withDigest(withDigest(text, 'items', 'task/app-0', sampleDigest(1000)), 'delivered', 'task/app-3', sampleDigest(1003)),
      withDigest(withDigest(text, 'items', 'task/app-2', sampleDigest(1002)), 'delivered', 'task/app-2', sampleDigest(1002)),
      // Forms the schema or the written form refuse, of the same length: declined, or read as the full read reads them.
      withDigest(text, 'items', 'task/app-1', `sha256:${'A'.repeat(64)}`),
      withDigest(text, 'items', 'task/app-1', `sha257:${'a'.repeat(64)}`),
      withDigest(text, 'items', 'task/app-1', `"sha256:${'a'.repeat(62)}"`),
      withDigest(text, 'delivered', 'task/app-1', `sha256:${'g'.repeat(64)}`),
      withDigest(text, 'items', 'task/app-1', `sha256:${'0'.repeat(63)}`),
      withDigest(text, 'items', 'task/app-1', `sha256:${'0'.repeat(65)}`),
      text.replace('  task/app-1: ', '  task/app-9: '),
      text.replace(`digest: ${sampleDigest(99)}`, `digest: ${sampleDigest(98)}`),
    ]
    for (const variant of variants) {
      for (const environment of ['dev', 'qa', 'prod', '5', '"x"']) {
        const copy = bytes(variant.replace(/^environment: .*$/m, `environment: ${environment}`))
        const alike = readWrittenLedgerAlike(copy, { bytes: bytes(text), ledger: known }, FILE, 'app.yaml', schemas)
        const own = full(copy)
        if (alike === undefined) continue
        expect(isDeepStrictEqual(alike, own), `${environment}\n${variant}`).toBe(true)
        expect(Object.keys(alike), environment).toEqual(Object.keys(own!))
        expect(Object.keys(alike.items), environment).toEqual(Object.keys(own!.items))
        taken++
      }
    }
    // The valid copies are read against the known one, not declined (three forms, three environments).
    for (const variant of variants.slice(0, 3)) {
      for (const environment of ['dev', 'qa', 'prod']) {
        const copy = bytes(variant.replace(/^environment: .*$/m, `environment: ${environment}`))
        expect(readWrittenLedgerAlike(copy, { bytes: bytes(text), ledger: known }, FILE, 'app.yaml', schemas), environment).toEqual(full(copy))
        expect(full(copy)).toBeDefined()
      }
    }
    // The known ledger is not changed by reading another copy against it.
    expect(full(bytes(text))).toEqual(known)
  }
  expect(taken).toBeGreaterThanOrEqual(27)
})

test('random changes of digest lines are declined, or read to what readWrittenLedger reads', () => {
  const text = renderLedger(sampleLedger(6))
  const known = full(bytes(text))!
  const next = random(29)
  const alphabet = '0123456789abcdefABg: "x\n'
  let taken = 0
  for (let round = 0; round < 2000; round++) {
    const chars = [...text]
    // Characters of the digest lines of the maps (from the first map on): the same length, other bytes.
    const from = text.indexOf('\nitems:\n')
    for (let e = 1 + Math.floor(next() * 3); e > 0; e--) {
      const at = from + Math.floor(next() * (text.length - from))
      chars[at] = alphabet[Math.floor(next() * alphabet.length)]!
    }
    const variant = bytes(chars.join(''))
    const alike = readWrittenLedgerAlike(variant, { bytes: bytes(text), ledger: known }, FILE, 'app.yaml', schemas)
    const own = full(variant)
    if (alike === undefined) continue
    expect(isDeepStrictEqual(alike, own), chars.join('')).toBe(true)
    taken++
  }
  // Many changes hit the digits of a digest with a digit: those are read against the known ledger.
  expect(taken).toBeGreaterThan(100)
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

test('status reads each environment\'s own item digests from a copy of a ledger that differs in them', async () => {
  const repo = join(temp.dir, 'digests')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const env of ['dev', 'qa']) for (const pkg of ['base', 'app']) expectExit(await apply(repo, pkg, env), 0)
  const ledger = show(repo, 'env/dev', '.gantry/installed/app.yaml')!
  const item = /^ {2}([a-z0-9./-]+): sha256:[0-9a-f]{64}$/m.exec(ledger.slice(ledger.indexOf('\nitems:\n')))![1]!
  const file = `definitions/${item}.yaml`
  // On qa the item is changed by hand, and the ledger says so: the same text as dev's but for that digest and
  // the environment line. Read against dev's ledger, qa's own digest must be what status compares.
  const changed = `${show(repo, 'env/qa', file)!}# changed on qa\n`
  const digest = `sha256:${createHash('sha256').update(changed).digest('hex')}`
  const qaLedger = ledger
    .replace(/^environment: .*$/m, 'environment: qa')
    .replace(new RegExp(`^( {2}${item.replace(/[.]/g, '\\.')}): sha256:[0-9a-f]{64}$`, 'm'), `$1: ${digest}`)
  expect(qaLedger).not.toBe(ledger.replace(/^environment: .*$/m, 'environment: qa'))
  commitToBranch(repo, 'env/qa', { [file]: changed, '.gantry/installed/app.yaml': qaLedger })
  const clean = await cliJson<{ drift: { code: string; environment: string; item: string }[] }>(repo, ['status'])
  expect(clean.code).toBe(0)
  expect(clean.json.drift.filter((d) => d.item === item)).toEqual([])
  // dev's file on qa again: now it differs from what qa's ledger says, and only there.
  commitToBranch(repo, 'env/qa', { [file]: show(repo, 'env/dev', file)! })
  const drifted = await cliJson<{ drift: { code: string; environment: string; item: string }[] }>(repo, ['status'])
  expect(drifted.json.drift.filter((d) => d.item === item).map((d) => [d.code, d.environment])).toEqual([['local-customization', 'qa']])
})
