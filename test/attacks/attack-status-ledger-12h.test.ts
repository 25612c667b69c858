import { afterEach, expect, test } from 'vitest'
import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import { readWrittenLedger, writtenLedgerValue } from '../../src/core/promotion/ledger-read.js'
import { renderLedger } from '../../src/core/promotion/plan-promotion.js'
import { ledgerProblems } from '../../src/core/schema/ledger-check.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'
import { fullYamlValue } from '../support/full-yaml-value.js'
import { seededRandom as random } from '../support/seeded-random.js'
import { sampleDigest, sampleLedger } from '../support/sample-ledger.js'

// Status reads ledgers "as Gantry writes them" without the YAML parser (readWrittenLedger). A ledger lives on
// an environment branch that anyone with push rights edits by hand: every byte is hostile. Whatever the quick
// read takes must be exactly what the full read (readYaml, then ledgerProblems) makes of the same bytes, with
// nothing to report; everything else it must decline. Here both reads meet texts that look like Gantry's
// ledgers and are not quite: YAML features, number-like and null-like scalars, keys reaching prototypes,
// byte-level damage; hand-written, then a seeded random volume of mutations of rendered ledgers.

const FILE = '.gantry/installed/app.yaml'
const schemas = new SchemaRegistry()
const encode = (text: string) => new TextEncoder().encode(text)

afterEach(() => {
  setYamlReader('fast')
})

const fullValue = (bytes: Uint8Array, mode: 'fast' | 'positional') => fullYamlValue(FILE, bytes, mode)

/** The ledger status gets from the full read (readLedgers' path), or undefined when it reports a problem. */
function fullLedger(bytes: Uint8Array, fileName = 'app.yaml'): EnvironmentLedger | undefined {
  const { ledger, diagnostics } = ledgerProblems(readYaml(FILE, bytes), fileName, 'env/dev', schemas)
  return diagnostics.length === 0 ? ledger : undefined
}

/** Key order, types and values: what any output built from the value can show. */
const shape = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? `#num:${v}` : v))

interface Verdict {
  taken: boolean
  ledgerTaken: boolean
}

/**
 * The promise, for one text: the quick value is the full read's value (both modes of readYaml), and a ledger
 * the quick read takes is the ledger the full read checks with nothing to report. Returns what was taken.
 */
function check(bytes: Uint8Array, label: string): Verdict {
  const quick = writtenLedgerValue(bytes)
  if (quick !== undefined) {
    const fast = fullValue(bytes, 'fast')
    const positional = fullValue(bytes, 'positional')
    expect(fast, `${label}: readYaml reports a problem the quick read did not see`).toBeDefined()
    expect(positional, `${label}: the positional read reports a problem the quick read did not see`).toBeDefined()
    expect(shape(quick), label).toBe(shape(fast!.value))
    expect(shape(quick), label).toBe(shape(positional!.value))
    expect(Object.getPrototypeOf(quick)).toBe(Object.getPrototypeOf(fast!.value))
  }
  const ledger = readWrittenLedger(bytes, FILE, 'app.yaml', schemas)
  if (ledger !== undefined) {
    const full = fullLedger(bytes)
    expect(full, `${label}: the full read refuses a ledger the quick read takes`).toBeDefined()
    expect(shape(ledger), label).toBe(shape(full))
    // Another file name: the quick read declines it, as ledgerProblems refuses it.
    expect(readWrittenLedger(bytes, '.gantry/installed/other.yaml', 'other.yaml', schemas)).toBeUndefined()
  }
  return { taken: quick !== undefined, ledgerTaken: ledger !== undefined }
}

const digest = sampleDigest

const ledger = (overrides: Record<string, unknown> = {}): EnvironmentLedger => sampleLedger(4, overrides)

const BASE = renderLedger(ledger())
const WITH_APPROVERS = renderLedger(
  ledger({ promotion: 42, approvers: [{ login: 'alice', sha: 'abc123' }, { login: 'bob', sha: '0123abcd' }] }),
)

test('the base texts are taken (else nothing below would test the quick read)', () => {
  expect(check(encode(BASE), 'base')).toEqual({ taken: true, ledgerTaken: true })
  expect(check(encode(WITH_APPROVERS), 'approvers')).toEqual({ taken: true, ledgerTaken: true })
})

/** `BASE` with the first occurrence of `from` replaced by `to`. */
const edit = (from: string, to: string, text = BASE) => {
  expect(text.includes(from), from).toBe(true)
  return text.replace(from, to)
}

const HAND: [string, string][] = [
  // YAML features
  ['anchor and alias', edit('environment: dev\n', 'environment: &e dev\n')],
  ['alias value', edit('appliedBy: gantry\n', 'appliedBy: &a gantry\nextra: *a\n')],
  ['tag !!str on a number', edit('promotion: null\n', 'promotion: !!str 5\n')],
  ['tag !!int', edit('promotion: null\n', 'promotion: !!int "5"\n')],
  ['local tag', edit('environment: dev\n', 'environment: !x dev\n')],
  ['quoted null', edit('promotion: null\n', 'promotion: "null"\n')],
  ['quoted true', edit('locked: false\n', 'locked: "false"\n')],
  ['single-quoted', edit('environment: dev\n', "environment: 'dev'\n")],
  ['single-quoted number', edit('promotion: null\n', "promotion: '5'\n")],
  ['quoted number', edit('promotion: null\n', 'promotion: "5"\n')],
  ['quoted key', edit('environment: dev\n', '"environment": dev\n')],
  ['single-quoted key', edit('environment: dev\n', "'environment': dev\n")],
  ['explicit key', edit('environment: dev\n', '? environment\n: dev\n')],
  ['comment after value', edit('environment: dev\n', 'environment: dev # comment\n')],
  ['comment tight', edit('environment: dev\n', 'environment: dev#comment\n')],
  ['comment line', edit('environment: dev\n', '# note\nenvironment: dev\n')],
  ['comment line no space', edit('environment: dev\n', '#note\nenvironment: dev\n')],
  ['comment line indented', edit('delivered:\n', 'delivered:\n  # x\n')],
  ['trailing space on value', edit('environment: dev\n', 'environment: dev \n')],
  ['trailing space after key', edit('items:\n', 'items: \n')],
  ['two spaces after colon', edit('environment: dev\n', 'environment:  dev\n')],
  ['no space after colon', edit('environment: dev\n', 'environment:dev\n')],
  ['tab after colon', edit('environment: dev\n', 'environment:\tdev\n')],
  ['tab indentation', edit('  task/app-0', '\ttask/app-0')],
  ['CRLF one line', edit('environment: dev\n', 'environment: dev\r\n')],
  ['CRLF everywhere', BASE.replaceAll('\n', '\r\n')],
  ['CR alone', edit('environment: dev\n', 'environment: dev\r')],
  ['BOM', `\ufeff${BASE}`],
  ['BOM in a value', edit('environment: dev\n', 'environment: d\ufeffev\n')],
  ['duplicate top key', `${BASE}environment: dev\n`],
  ['duplicate top key other value', `${BASE}environment: prod\n`],
  ['duplicate item key', edit('  task/app-1:', '  task/app-0:')],
  ['duplicate approver key', edit('    sha: abc123\n', '    sha: abc123\n    sha: abc123\n', WITH_APPROVERS)],
  ['flow map items', edit('items:\n', 'items: {}\nx:\n')],
  ['flow list with content', edit('approvers: []\n', 'approvers: [a]\n')],
  ['flow map with content', edit('promotion: null\n', 'promotion: {a: 1}\n')],
  ['flow empty with spaces', edit('approvers: []\n', 'approvers: [ ]\n')],
  ['flow empty map with spaces', edit('approvers: []\n', 'approvers: { }\n')],
  ['document start', `---\n${BASE}`],
  ['document start inline', `--- \n${BASE}`],
  ['document end', `${BASE}...\n`],
  ['second document', `${BASE}---\n${BASE}`],
  ['directive', `%YAML 1.2\n---\n${BASE}`],
  ['directive 1.1', `%YAML 1.1\n---\n${BASE}`],
  ['keys reordered', BASE.split('\n').slice(0, 4).reverse().join('\n') + '\n' + BASE.split('\n').slice(4).join('\n')],
  ['extra key', `${BASE}extra: 1\n`],
  ['__proto__ top', `__proto__: x\n${BASE}`],
  ['__proto__ in items', edit('items:\n', 'items:\n  __proto__: x\n')],
  ['constructor in items', edit('items:\n', 'items:\n  constructor: x\n')],
  ['prototype in approver', edit('    sha: abc123\n', '    sha: abc123\n    prototype: x\n', WITH_APPROVERS)],
  ['toString key', edit('items:\n', 'items:\n  toString: x\n')],
  ['hasOwnProperty key', `hasOwnProperty: x\n${BASE}`],
  ['unicode escape', edit('environment: dev\n', 'environment: "d\\u0065v"\n')],
  ['escaped quote', edit('environment: dev\n', 'environment: "d\\"ev"\n')],
  ['escape newline', edit('environment: dev\n', 'environment: "d\\nev"\n')],
  ['raw unicode', edit('environment: dev\n', 'environment: dév\n')],
  ['very long line', edit('appliedBy: gantry\n', `appliedBy: ${'a'.repeat(5000)}\n`)],
  ['line of 1024', edit('appliedBy: gantry\n', `appliedBy: ${'a'.repeat(1024 - 11)}\n`)],
  ['line of 1025', edit('appliedBy: gantry\n', `appliedBy: ${'a'.repeat(1025 - 11)}\n`)],
  ['long item key 1030', edit('  task/app-0:', `  task/${'a'.repeat(1030)}:`)],
  ['long item key 1010', edit('  task/app-0:', `  task/${'a'.repeat(1010)}:`)],
  ['long item key exactly', edit('  task/app-0:', `  task/${'a'.repeat(1024 - 2 - 5 - 73 + 1)}:`)],
  ['long quoted key', edit('environment: dev\n', `environment: "${'x'.repeat(2000)}"\n`)],
  ['no final newline', BASE.slice(0, -1)],
  ['two final newlines', `${BASE}\n`],
  ['empty line inside', edit('items:\n', 'items:\n\n')],
  ['nothing under a key', edit('approvers: []\n', 'approvers:\n')],
  ['nothing under a key at end', `${BASE}extra:\n`],
  ['items at zero indent list', edit('approvers: []\n', 'approvers:\n- login: a\n  sha: b\n')],
  ['items three spaces', edit('  task/app-0', '   task/app-0')],
  ['items one space', BASE.replaceAll('\n  ', '\n ')],
  ['items four spaces', BASE.replaceAll('\n  ', '\n    ')],
  ['list entry mis-indented', edit('    sha: abc123\n', '   sha: abc123\n', WITH_APPROVERS)],
  ['list entry deeper', edit('    sha: abc123\n', '     sha: abc123\n', WITH_APPROVERS)],
  ['list entry nested map', edit('    sha: abc123\n', '    sha:\n      a: b\n', WITH_APPROVERS)],
  ['list of scalars', edit('approvers: []\n', 'approvers:\n  - a\n  - b\n')],
  ['list entry empty', edit('approvers: []\n', 'approvers:\n  -\n')],
  ['list entry dash no space', edit('approvers: []\n', 'approvers:\n  -a: b\n')],
  ['map under list line', edit('approvers: []\n', 'approvers:\n  - login: a\n  sha: b\n')],
  ['digest upper case', edit(digest(0), digest(0).toUpperCase().replace('SHA256', 'sha256'))],
  ['digest 63', edit(digest(0), digest(0).slice(0, -1))],
  ['digest 65', edit(digest(0), `${digest(0)}0`)],
  ['digest with comment', edit(`${digest(0)}\n`, `${digest(0)} # x\n`)],
  ['digest trailing space', edit(`${digest(0)}\n`, `${digest(0)} \n`)],
  ['digest quoted', edit(`${digest(0)}\n`, `"${digest(0)}"\n`)],
  ['digest item id of numbers', edit('  task/app-0:', '  1/2:')],
  ['item id 0/0', edit('  task/app-0:', '  0/0:')],
  ['item id no slash', edit('  task/app-0:', '  taskapp0:')],
  ['item id two slashes', edit('  task/app-0:', '  task/a/b:')],
  ['item id dot parts', edit('  task/app-0:', '  ./..:')],
  ['item id with colon', edit('  task/app-0:', '  task/a:b:')],
  ['item id ending dash', edit('  task/app-0:', '  task-/app-:')],
  ['0 bytes', ''],
  ['one newline', '\n'],
  ['spaces only', '   \n'],
  ['just a key', 'package:\n'],
]

const SCALARS = [
  '1.5', '1e5', '1E5', '1e+5', '007', '0x1F', '0X1F', '0o7', '0O7', '0b1', '.inf', '.NaN', '.5', '5.', '1.', '1.e5',
  '~', 'Null', 'NULL', 'nULL', 'True', 'TRUE', 'tRUE', 'yes', 'no', 'on', 'off', 'y', 'n', '1:30', '2001-12-14',
  '2026-01-01T00:00:00Z', '-1', '+1', '-0', '0', '00', '1_000', '123456789012345', '1234567890123456',
  '999999999999999', '9007199254740993', '0.0', '1.2.3', '1e5.1', '1e', 'e5', 'NaN', 'Infinity', '-.inf', 'a:',
  'a:b', 'a::', 'https://x/y', 'x@y', 'a+b', '@x', '-', '-a', ':a', 'a-', 'a.', '"', '""', '"a', 'a"', '" a "',
  '"a#b"', '"a: b"', "'a'", "''", '"\\"', '"a\\tb"', 'a b', 'a #b', 'a#b', '!!str a', '!!null', '&x a', '*x', '[]',
  '{}', '[ ]', '[a]', '{a: 1}', '|', '>', '|-\n  x', '? x', '%x', '`x', 'a,b', 'a]', 'a}', '0x', '0o', '0xG',
  '0o8', '01.5', '1e05', '0e0', '0.', '00.0', '1..2', 'sha256:', 'sha256:abc', '"sha256:x"', 'x\t', 'd\u00e9v',
  '\u00a0x', 'a\u2028b',
]
const KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'true', 'True', 'null', 'Null',
  'yes', 'on', 'no', '1', '0', '1e5', '"package"', "'package'", 'package ', ' package', 'pack age', 'a/b', '0/1',
  '1/2', 'a.b', 'a-b', 'A', 'a1', '1a', '? package', '<<', '-', 'x:y', '"__proto__"', 'sha', 'login', 'items',
  'package', 'version', 'digest',
]
const LINES = [
  '', '# c', '#c', '  # c', '---', '...', '--- x', '%YAML 1.2', '%TAG ! tag:x,2000:', 'extra: 1', 'items: {}',
  'package: app', 'package: other', '  x: y', '    x: y', '  - x: y', '\t', ' ', 'a: &x b', 'b: *x', '<<: {a: 1}',
  'approvers:', 'approvers: []', '  - login: a', '    sha: b', 'promotion: 1', 'environment: dev',
]

/** A rendered ledger with random values of the forms a ledger holds (and some it does not). */
function randomLedger(rnd: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  const items: Record<string, string> = {}
  const kinds = ['task', 'conn', 'cred', '1', 'a.b', 'x-y', '0']
  const names = ['a', 'app-0', '1', '0', 'x.y', 'z_z', '007', '1e5', 'true', 'null']
  for (let i = Math.floor(rnd() * 5); i > 0; i--) items[`${pick(kinds)}/${pick(names)}`] = digest(Math.floor(rnd() * 1e6))
  const value = () =>
    pick<unknown>([null, true, false, 0, 7, 42, 123456789012345, 'dev', '1.2', '1.2.3', '10', 'a b', 'a: b', '#x', 'x#', ' lead', 'trail ', '"q"', "it's", 'back\\slash', 'null', 'true', '1e5', '0x1', 'sha256:x', '', '-', 'a:', 'caf\u00e9', pick(SCALARS)])
  const approvers = Array.from({ length: Math.floor(rnd() * 3) }, () =>
    rnd() < 0.8 ? { login: value(), sha: value() } : { login: value(), sha: value(), [pick(['x', 'extra', 'a1'])]: value() },
  )
  const fields: Record<string, unknown> = {
    package: rnd() < 0.9 ? 'app' : value(),
    version: rnd() < 0.7 ? pick(['1.2.3', '1.0', '10', '0.1.0', '1.2.3-rc.1', '1.2.3+b']) : value(),
    digest: rnd() < 0.8 ? digest(99) : value(),
    environment: rnd() < 0.8 ? pick(['dev', 'qa', 'prod-eu', 'Dev1']) : value(),
    locked: rnd() < 0.8 ? rnd() < 0.5 : value(),
    items,
    delivered: rnd() < 0.7 ? { ...items } : {},
    rollback: rnd() < 0.8 ? rnd() < 0.5 : value(),
    previousVersion: rnd() < 0.6 ? null : value(),
    sourceCommit: rnd() < 0.7 ? 'd7f27db470037db774dd91eea86f77b9b9cc9496' : value(),
    promotion: rnd() < 0.6 ? null : value(),
    approvers,
    appliedAt: rnd() < 0.8 ? '2026-01-01T00:00:00.000Z' : value(),
    appliedBy: rnd() < 0.8 ? 'gantry' : value(),
  }
  if (rnd() < 0.1) fields[pick(['extra', 'x', 'a1'])] = value()
  const keys = Object.keys(fields)
  if (rnd() < 0.2) keys.sort(() => rnd() - 0.5)
  return renderLedger(Object.fromEntries(keys.map((k) => [k, fields[k]])) as unknown as EnvironmentLedger)
}

/** One random damage to a text: a scalar, key or line replaced or inserted, or bytes changed. */
function mutate(text: string, rnd: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  const lines = text.split('\n')
  const i = Math.floor(rnd() * Math.max(1, lines.length - 1))
  const line = lines[i]!
  const colon = line.indexOf(': ')
  switch (Math.floor(rnd() * 11)) {
    case 0:
    case 1:
      if (colon >= 0) lines[i] = `${line.slice(0, colon + 2)}${pick(SCALARS)}`
      break
    case 2:
      if (colon >= 0 || line.endsWith(':')) {
        const indent = /^[ -]*/.exec(line)![0]
        lines[i] = `${indent}${pick(KEYS)}${line.slice(colon >= 0 ? colon : line.length - 1)}`
      }
      break
    case 3:
      lines.splice(i, 0, pick(LINES))
      break
    case 4:
      lines.splice(i, 0, line)
      break
    case 5: {
      const j = Math.floor(rnd() * Math.max(1, lines.length - 1))
      ;[lines[i], lines[j]] = [lines[j]!, lines[i]!]
      break
    }
    case 6:
      lines[i] = `${pick(['', ' ', '  ', '   ', '\t', '- '])}${line.trimStart()}`
      break
    case 7:
      lines[i] = `${line}${pick([' ', '\t', '\r', ' # c', '#', ':', ' :', '\u00a0', '\ufeff'])}`
      break
    case 8: {
      const at = Math.floor(rnd() * (text.length + 1))
      return text.slice(0, at) + pick([' ', '\n', '\t', '\r', ':', '"', "'", '#', '-', '\\', '\u0000', '\u007f', '\u0085', 'é', '\ufeff']) + text.slice(at)
    }
    case 9: {
      const at = Math.floor(rnd() * text.length)
      return text.slice(0, at) + text.slice(at + 1)
    }
    default:
      lines[i] = line.replace(/[a-z0-9]/, (c) => (rnd() < 0.5 ? c.toUpperCase() : pick(['0', '.', '_', ' ', '/'])))
  }
  return lines.join('\n')
}

test('hand-written near-ledgers: the quick read takes exactly what the full read reads, or declines', () => {
  let taken = 0
  for (const [label, text] of HAND) if (check(encode(text), label).taken) taken++
  // Some are plain ledgers still (a reordered or extra key, a flow `{}`): the quick read takes those.
  expect(taken).toBeGreaterThan(3)
})

test('scalars and keys of every form, one at a time in a ledger', () => {
  for (const s of SCALARS) {
    check(encode(edit('appliedBy: gantry\n', `appliedBy: ${s}\n`)), `scalar ${s}`)
    check(encode(edit('    sha: abc123\n', `    sha: ${s}\n`, WITH_APPROVERS)), `approver scalar ${s}`)
    check(encode(edit(`  task/app-0: ${digest(0)}\n`, `  task/app-0: ${s}\n`)), `item scalar ${s}`)
    check(encode(`${BASE}extra: ${s}\n`), `extra ${s}`)
  }
  for (const k of KEYS) {
    check(encode(edit('appliedBy: gantry\n', `${k}: gantry\n`)), `key ${k}`)
    check(encode(edit('  task/app-0:', `  ${k}:`)), `item key ${k}`)
    check(encode(edit('    sha: abc123\n', `    ${k}: abc123\n`, WITH_APPROVERS)), `approver key ${k}`)
    check(encode(edit('  - login: alice\n', `  - ${k}: alice\n`, WITH_APPROVERS)), `first approver key ${k}`)
  }
})

test('bytes that are not UTF-8, or not printable, anywhere', () => {
  const base = encode(BASE)
  for (const byte of [0x00, 0x09, 0x0d, 0x7f, 0x80, 0x85, 0xa0, 0xc3, 0xfe, 0xff]) {
    for (const at of [0, 10, base.length - 1, base.length]) {
      const bytes = new Uint8Array(base.length + 1)
      bytes.set(base.subarray(0, at), 0)
      bytes[at] = byte
      bytes.set(base.subarray(at), at + 1)
      check(bytes, `byte ${byte} at ${at}`)
    }
  }
  // A view into a larger buffer (as a git batch hands blobs out): the quick read looks at its bytes only.
  const big = encode(`garbage\u0000${BASE}more: \u0000`)
  const view = big.subarray(8, 8 + base.length)
  expect(check(view, 'subarray').taken).toBe(true)
})

test('a seeded random volume of damaged ledgers', () => {
  const rnd = random(0x12ed9e12)
  let cases = 0
  let taken = 0
  let ledgers = 0
  for (let n = 0; n < 6000; n++) {
    let text = randomLedger(rnd)
    const damage = Math.floor(rnd() * 3)
    for (let d = 0; d < damage; d++) text = mutate(text, rnd)
    const verdict = check(encode(text), `case ${n}:\n${text}`)
    cases++
    if (verdict.taken) taken++
    if (verdict.ledgerTaken) ledgers++
  }
  // The volume must reach the quick read (and its ledger check) often, else it tests the declining only.
  expect(taken).toBeGreaterThan(cases / 8)
  expect(ledgers).toBeGreaterThan(cases / 200)
  console.log(`ledger-12h random: ${cases} cases, ${taken} taken by the quick read, ${ledgers} as valid ledgers`)
}, 300_000)
