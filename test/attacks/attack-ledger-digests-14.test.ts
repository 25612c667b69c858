import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader } from '../../src/adapters/git/repository-reader.js'
import { readWrittenLedgers } from '../../src/commands/status.js'
import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import { readWrittenLedger, readWrittenLedgerAlike } from '../../src/core/promotion/ledger-read.js'
import { renderLedger } from '../../src/core/promotion/plan-promotion.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { cli, commitToBranch, git, show, tempDir } from '../engine/helpers.js'
import { fullLedger, fullYamlValue, shape } from '../support/full-yaml-value.js'
import { seededRandom as random } from '../support/seeded-random.js'
import { sampleDigest, sampleLedger } from '../support/sample-ledger.js'
import { appliedEverywhere, copies } from './status-scenarios.js'
import { BUILT_CLI, runBuiltCli } from '../support/built-cli.js'

// Status reads a package's ledger on a second or third environment against its first copy
// (readWrittenLedgerAlike), which may now differ from it in the 64 digits of `  <item id>: sha256:...` lines of
// `items` and `delivered` as well as in the `environment:` line. Environment branches are hostile input. The
// promises held here: a copy taken is exactly the value reading its own bytes whole gives (readWrittenLedger,
// and readYaml with the ledger check finding nothing), the first copy is left as it was, and a copy declined
// goes to the whole read, so that status reports what it reported before.

const temp = tempDir('gantry-attack-ledger-digests-14-')
afterAll(() => temp.cleanup())

const FILE = '.gantry/installed/app.yaml'
const schemas = new SchemaRegistry()
const enc = (text: string) => new TextEncoder().encode(text)
const fullLedgerOf = (bytes: Uint8Array) => fullLedger(FILE, 'app.yaml', bytes, schemas)



/** `value` and everything in it frozen: a read that writes into the first copy throws. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value as object)) deepFreeze(inner)
  }
  return value
}

/** A ledger with its keys in the order given (the environment line anywhere, the maps split around it). */
function ordered(ledger: EnvironmentLedger, keys: string[]): EnvironmentLedger {
  const record = ledger as unknown as Record<string, unknown>
  return Object.fromEntries([...keys, ...Object.keys(record).filter((k) => !keys.includes(k))].map((k) => [k, record[k]])) as unknown as EnvironmentLedger
}

const ITEMS = { 'task/app-0': sampleDigest(0), 'task/app-1': sampleDigest(1), 'constructor/prototype': sampleDigest(2), 'a.b/c-d.e': sampleDigest(3) }

/**
 * First copies, each taken by readWrittenLedger: the environment line in the middle (as rendered), first,
 * last, and between `items` and `delivered` (digest lines on both sides of it); delivered unlike items, and
 * delivered with keys that are no item ids of the items map's form (a word, capitals), which its schema allows.
 */
const FIRSTS: [string, string][] = [
  ['rendered', renderLedger(sampleLedger(6, { approvers: [{ login: 'alice', sha: 'abc123' }] }))],
  ['environment first', renderLedger(ordered(sampleLedger(6), ['environment']))],
  ['environment last', renderLedger(ordered(sampleLedger(6), ['package', 'version', 'digest', 'locked', 'items', 'delivered', 'rollback', 'previousVersion', 'sourceCommit', 'promotion', 'approvers', 'appliedAt', 'appliedBy', 'environment']))],
  ['environment between the maps', renderLedger(ordered(sampleLedger(0, { items: ITEMS, delivered: { ...ITEMS, 'task/app-1': sampleDigest(11) } }), ['package', 'version', 'digest', 'items', 'environment', 'delivered']))],
  ['equal digests', renderLedger(sampleLedger(0, { items: { 'task/app-0': sampleDigest(0), 'task/app-1': sampleDigest(0), 'task/app-2': sampleDigest(2) }, delivered: { 'task/app-0': sampleDigest(0), 'task/app-1': sampleDigest(0) } }))],
  ['delivered with other keys', renderLedger(sampleLedger(0, { items: ITEMS, delivered: { 'task/app-0': sampleDigest(5), foo: sampleDigest(6), 'Task/App-1': sampleDigest(7), 'constructor/prototype': sampleDigest(8) } }))],
]

/** Where the line of `key` in the map under the top-level `section` starts and ends (its \n), or undefined. */
function lineOf(text: string, section: string, key: string): { at: number; end: number } | undefined {
  const head = text.startsWith(`${section}:\n`) ? 0 : text.indexOf(`\n${section}:\n`)
  if (head < 0) return undefined
  let at = text.indexOf('\n', head + 1) + 1
  while (at > 0 && at < text.length && text.startsWith('  ', at)) {
    const end = text.indexOf('\n', at)
    if (text.startsWith(`  ${key}: `, at)) return { at, end }
    at = end + 1
  }
  return undefined
}

/** The text with the line of `key` under `section` made `make(line)` (unchanged when there is no such line). */
function onLine(text: string, section: string, key: string, make: (line: string) => string): string {
  const found = lineOf(text, section, key)
  return found ? text.slice(0, found.at) + make(text.slice(found.at, found.end)) + text.slice(found.end) : text
}

/** The line with its 64 digits replaced by `digits`. */
const digits = (digits: string) => (line: string) => line.replace(/sha256:[0-9a-f]{64}$/, `sha256:${digits}`)
const hex = (n: number) => n.toString(16).padStart(64, '0')

/**
 * Copies of a first copy: digest changes Gantry writes (`take`: these must be read against it, not declined),
 * and forms around them an environment branch may hold by hand, each declined or read to the own bytes' value.
 */
const VARIANTS: { label: string; take?: true; make: (t: string) => string }[] = [
  { label: 'the same text', take: true, make: (t) => t },
  { label: 'items: one digest', take: true, make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(0xabc))) },
  { label: 'delivered: one digest', take: true, make: (t) => onLine(t, 'delivered', 'task/app-0', digits(hex(0xdef))) },
  { label: 'the same item in both maps', take: true, make: (t) => onLine(onLine(t, 'items', 'task/app-1', digits(hex(7))), 'delivered', 'task/app-1', digits(hex(7))) },
  { label: 'every digest line', take: true, make: (t) => t.replace(/^( {2}[^ :]+\/[^ :]+: sha256:)[0-9a-f]{64}$/gm, (_m, p: string) => `${p}${'f'.repeat(64)}`) },
  { label: 'two digests swapped', take: true, make: (t) => onLine(onLine(t, 'items', 'task/app-0', digits(hex(1))), 'items', 'task/app-1', digits(hex(0))) },
  { label: 'a digest as another entry has it', take: true, make: (t) => onLine(t, 'items', 'task/app-0', digits(hex(1))) },
  { label: 'a prototype-named item id', take: true, make: (t) => onLine(onLine(t, 'items', 'constructor/prototype', digits(hex(9))), 'delivered', 'constructor/prototype', digits(hex(9))) },
  { label: 'a capitalised key of delivered', take: true, make: (t) => onLine(t, 'delivered', 'Task/App-1', digits(hex(10))) },
  { label: 'item id with dots', take: true, make: (t) => onLine(t, 'items', 'a.b/c-d.e', digits(hex(12))) },
  // Not a digest of the written form, same length.
  { label: 'one upper-case hex digit', make: (t) => onLine(t, 'items', 'task/app-1', digits(`A${hex(1).slice(1)}`)) },
  { label: 'upper-case hex throughout', make: (t) => onLine(t, 'delivered', 'task/app-0', digits('ABCDEF'.repeat(11).slice(0, 64))) },
  { label: 'a non-hex letter', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 63)}g`)) },
  { label: 'a space among the digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 30)} ${hex(1).slice(31)}`)) },
  { label: 'a colon among the digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 30)}:${hex(1).slice(31)}`)) },
  { label: '": " among the digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 30)}: ${hex(1).slice(32)}`)) },
  { label: 'a comment in the digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 60)} # x`)) },
  { label: 'trailing space in the digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 63)} `)) },
  { label: 'CR as the last digit', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 63)}\r`)) },
  { label: 'LF among the digits, same length', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 20)}\n  task/app-9: x${hex(1).slice(0, 29)}`)) },
  { label: 'a new line among the digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 52)}\n  task/a: b`)) },
  { label: 'NUL as a digit', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 63)}\u0000`)) },
  { label: 'a non-ASCII digit', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1).slice(0, 63)}\u00e4`)) },
  { label: 'quoted digest, same length', make: (t) => onLine(t, 'items', 'task/app-1', (l) => l.replace(/sha256:[0-9a-f]{64}$/, `"sha256:${hex(1).slice(2)}"`)) },
  { label: 'sha257', make: (t) => onLine(t, 'items', 'task/app-1', (l) => l.replace('sha256:', 'sha257:')) },
  // Another length.
  { label: '63 digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(1).slice(1))) },
  { label: '65 digits', make: (t) => onLine(t, 'items', 'task/app-1', digits(`${hex(1)}0`)) },
  { label: 'quoted digest', make: (t) => onLine(t, 'items', 'task/app-1', (l) => l.replace(/sha256:[0-9a-f]{64}$/, `"sha256:${hex(1)}"`)) },
  { label: 'trailing space after the digits', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `${l} `) },
  { label: 'comment after the digits', make: (t) => onLine(t, 'delivered', 'task/app-0', (l) => `${l} # by hand`) },
  { label: 'CRLF on a digest line', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `${digits(hex(3))(l)}\r`) },
  { label: 'CRLF everywhere', make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(3))).replaceAll('\n', '\r\n') },
  { label: 'CR everywhere', make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(3))).replaceAll('\n', '\r') },
  { label: 'a byte order mark', make: (t) => `\ufeff${onLine(t, 'items', 'task/app-1', digits(hex(3)))}` },
  { label: 'a digest line twice', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `${l}\n${digits(hex(4))(l)}`) },
  { label: 'a digest line twice, the same', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `${l}\n${l}`) },
  { label: 'a digest line removed', make: (t) => onLine(t, 'items', 'task/app-1', () => '').replace('\n\n', '\n') },
  { label: 'an item id made another, same length', make: (t) => onLine(t, 'items', 'task/app-1', (l) => l.replace('task/app-1', 'task/app-9')) },
  { label: 'an item id made that of the entry above', make: (t) => onLine(t, 'items', 'task/app-1', (l) => digits(hex(5))(l.replace('task/app-1', 'task/app-0'))) },
  { label: 'an item id capitalised in items', make: (t) => onLine(t, 'items', 'task/app-1', (l) => l.replace('task/app-1', 'Task/app-1')) },
  { label: 'an item id made __proto__, same length', make: (t) => onLine(t, 'delivered', 'task/app-0', (l) => l.replace('  task/app-0: ', '  __proto__:   ')) },
  { label: 'an item id made a word', make: (t) => onLine(t, 'delivered', 'task/app-0', (l) => l.replace('task/app-0', 'taskzapp00')) },
  { label: 'a word key of delivered, digest changed', make: (t) => onLine(t, 'delivered', 'foo', digits(hex(13))) },
  { label: 'one more space of indentation', make: (t) => onLine(t, 'items', 'task/app-1', (l) => ` ${digits(hex(1).slice(1))(l)}`) },
  { label: 'one less space of indentation', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `${digits(`${hex(1)}0`)(l.slice(1))}`) },
  { label: 'a tab for the indentation', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `\t${l.slice(2)} `) },
  { label: 'a digest line in a comment', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `#${digits(hex(6))(l).slice(1)}`) },
  { label: 'a digest line as a list entry', make: (t) => onLine(t, 'items', 'task/app-1', (l) => `- ${digits(hex(6))(l).slice(2)}`) },
  { label: 'the top-level digest', make: (t) => t.replace(/^digest: sha256:[0-9a-f]{64}$/m, `digest: sha256:${hex(0xfeed)}`) },
  { label: 'the top-level digest indented', make: (t) => t.replace(/^digest: sha256:[0-9a-f]{64}$/m, `  digest: sha256:${hex(0xfeed).slice(1)}`) },
  { label: 'the map key renamed', make: (t) => t.replace(/^delivered:$/m, 'deliverez:') },
  { label: 'the map key quoted', make: (t) => t.replace(/^delivered:$/m, '"delivered":').replace(/sha256:0{63}(?=[0-9a-f]\n)/, `sha256:${'0'.repeat(61)}`) },
  { label: 'a digest changed and a sourceCommit hex digit', make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(8))).replace(/^sourceCommit: d/m, 'sourceCommit: e') },
  { label: 'a digest changed and locked flipped, same length', make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(8))).replace('locked: false', 'locked: true ') },
  { label: 'the environment key in capitals, and a digest', make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(14))).replace(/^environment: /m, 'environmenT: ') },
  { label: 'the environment key without its space, and a digest', make: (t) => onLine(t, 'items', 'task/app-1', digits(hex(14))).replace(/^environment: /m, 'environment:q') },
  { label: 'the environment key renamed, and a digest', make: (t) => onLine(t, 'delivered', 'task/app-0', digits(hex(14))).replace(/^environment: /m, 'environmant: ') },
  { label: 'an item id made that of the entry above, same digest', make: (t) => onLine(t, 'items', 'task/app-1', (l) => l.replace('task/app-1', 'task/app-0')) },
  { label: 'a sha of approvers made hex', make: (t) => t.replace(/^ {4}sha: abc123$/m, '    sha: abc124') },
]

/** Environment lines for each copy: the first copy's, other names, and forms the schema or the written form refuse. */
const ENVIRONMENTS = ['dev', 'qa', 'production', 'x', '"qa"', '5', 'null', '[]', "'qa'", 'qa # x', 'qa ']

const withEnvironment = (text: string, environment: string) => text.replace(/^environment: .*$/m, `environment: ${environment}`)

test('copies differing in digests and the environment line: taken to what their own bytes give, or declined', () => {
  let taken = 0
  let tried = 0
  const declinedUnexpectedly: string[] = []
  for (const [firstLabel, first] of FIRSTS) {
    const known = readWrittenLedger(enc(first), FILE, 'app.yaml', schemas)
    expect(known, firstLabel).toBeDefined()
    const before = shape(known)
    deepFreeze(known)
    const copy = { bytes: enc(first), ledger: known! }
    for (const { label, take, make } of VARIANTS) {
      const variant = make(first)
      for (const environment of ENVIRONMENTS) {
        const text = withEnvironment(variant, environment)
        const bytes = enc(text)
        const what = `${firstLabel} / ${label} / ${environment}`
        tried++
        const alike = readWrittenLedgerAlike(bytes, copy, FILE, 'app.yaml', schemas)
        const own = readWrittenLedger(bytes, FILE, 'app.yaml', schemas)
        if (alike === undefined) {
          // Declined: status reads the bytes whole (readWrittenLedger, else readYaml and the ledger check).
          // Digest changes Gantry writes, with an environment name the written form takes: never declined.
          if (take && own && ['dev', 'qa', 'production', 'x', '"qa"'].includes(environment)) declinedUnexpectedly.push(what)
          continue
        }
        taken++
        expect(own, `${what}: taken, but the whole read declines`).toBeDefined()
        expect(isDeepStrictEqual(alike, own), what).toBe(true)
        expect(shape(alike), what).toBe(shape(own))
        expect(Object.keys(alike.items), what).toEqual(Object.keys(own!.items))
        expect(Object.keys(alike.delivered ?? {}), what).toEqual(Object.keys(own!.delivered ?? {}))
        expect(Object.getPrototypeOf(alike)).toBe(Object.prototype)
        expect(Object.getPrototypeOf(alike.items)).toBe(Object.prototype)
        const full = fullLedgerOf(bytes)
        expect(full, `${what}: the full read reports what the alike read took`).toBeDefined()
        expect(shape(alike), what).toBe(shape(full))
        expect(shape({ value: alike }), what).toBe(shape(fullYamlValue(FILE, bytes, 'positional')))
        // Another file name: declined, as the whole read refuses it.
        expect(readWrittenLedgerAlike(bytes, copy, '.gantry/installed/other.yaml', 'other.yaml', schemas), what).toBeUndefined()
      }
    }
    // The first copy is left as it was (frozen: a write into it would have thrown).
    expect(shape(known), firstLabel).toBe(before)
  }
  expect(declinedUnexpectedly).toEqual([])
  expect(tried).toBe(FIRSTS.length * VARIANTS.length * ENVIRONMENTS.length)
  expect(taken).toBeGreaterThan(150)
})

test('a copy whose digests changed is read from its own digits: not the first copy\'s, not another copy\'s', () => {
  for (const [firstLabel, first] of FIRSTS) {
    const known = deepFreeze(readWrittenLedger(enc(first), FILE, 'app.yaml', schemas)!)
    for (const section of ['items', 'delivered'] as const) {
      const key = Object.keys(known[section] ?? {}).find((k) => /\//.test(k))
      if (!key) continue
      const text = withEnvironment(onLine(first, section, key, digits('e'.repeat(64))), 'qa')
      const alike = readWrittenLedgerAlike(enc(text), { bytes: enc(first), ledger: known }, FILE, 'app.yaml', schemas)
      expect(alike, `${firstLabel} ${section}`).toBeDefined()
      expect(alike![section]![key], `${firstLabel} ${section}`).toBe(`sha256:${'e'.repeat(64)}`)
      expect(known[section]![key], `${firstLabel} ${section}`).not.toBe(`sha256:${'e'.repeat(64)}`)
      // The other map and the other entries as in the first copy.
      const other = section === 'items' ? 'delivered' : 'items'
      expect(alike![other], firstLabel).toEqual(known[other])
      for (const k of Object.keys(known[section]!)) if (k !== key) expect(alike![section]![k]).toBe(known[section]![k])
    }
  }
})

test('seeded edits of the maps (substitutions, insertions, deletions, with or without the environment line): declined, or what the own bytes give', () => {
  const next = random(1414)
  const pieces = ['0', '9', 'a', 'f', 'A', 'F', 'g', ' ', ':', ': ', '"', "'", '#', '\r', '\n', '\n  ', '  ', '/', '-', '.', '\t', '\ufeff', 'sha256:', '- ', '{}', '&a ', '*a']
  let taken = 0
  let rounds = 0
  for (const [, first] of FIRSTS) {
    const known = deepFreeze(readWrittenLedger(enc(first), FILE, 'app.yaml', schemas)!)
    const copy = { bytes: enc(first), ledger: known }
    const from = Math.min(...['\nitems:\n', '\ndelivered:\n'].map((h) => first.indexOf(h)).filter((i) => i >= 0))
    const to = Math.max(...[/\nitems:\n(?: {2}.*\n)+/, /\ndelivered:\n(?: {2}.*\n)+/].map((r) => { const m = r.exec(first); return m ? m.index + m[0].length : 0 }))
    for (let round = 0; round < 1200; round++) {
      let text = first
      const kind = next()
      for (let e = 1 + Math.floor(next() * 3); e > 0; e--) {
        const at = from + Math.floor(next() * (to - from))
        // Most edits put a hex digit in place of one (same length, a digest of the written form or not).
        if (kind < 0.5) text = text.slice(0, at) + '0123456789abcdef'[Math.floor(next() * 16)]! + text.slice(at + 1)
        else if (kind < 0.8) text = text.slice(0, at) + pieces[Math.floor(next() * pieces.length)]! + text.slice(at + 1)
        else text = text.slice(0, at) + pieces[Math.floor(next() * pieces.length)]! + text.slice(at + Math.floor(next() * 3))
      }
      if (next() < 0.5) text = withEnvironment(text, ['qa', 'prod', 'dev-2', '5', '"q"'][Math.floor(next() * 5)]!)
      const bytes = enc(text)
      rounds++
      const alike = readWrittenLedgerAlike(bytes, copy, FILE, 'app.yaml', schemas)
      if (alike === undefined) continue
      const own = readWrittenLedger(bytes, FILE, 'app.yaml', schemas)
      expect(isDeepStrictEqual(alike, own), JSON.stringify(text)).toBe(true)
      expect(shape(alike), JSON.stringify(text)).toBe(shape(fullLedgerOf(bytes)))
      taken++
    }
  }
  expect(rounds).toBe(FIRSTS.length * 1200)
  expect(taken).toBeGreaterThan(1000)
})

// Status itself: the ledgers of many branches read in one request (readWrittenLedgers), each copy against the
// copies read before it. Whatever it puts in the cache must be what readWrittenLedger gives for that blob; a
// blob it leaves out is read whole by readLedgers, which reports its problems.

/** The id git gives a blob of these bytes. */
const blobId = (bytes: Uint8Array) => createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex')

test('readWrittenLedgers on branches holding the copies: each cached ledger is what its own blob gives, and those it takes whole are cached', async () => {
  const repo = join(temp.dir, 'branches')
  git(temp.dir, ['init', '-q', '-b', 'main', repo])
  const texts: string[] = []
  for (const [, first] of FIRSTS) {
    texts.push(first)
    for (const { make } of VARIANTS) for (const environment of ['qa', '5', 'qa ']) texts.push(withEnvironment(make(first), environment))
  }
  // One branch per text, in one git process (fast-import): each branch one commit holding the ledger.
  const stream: Buffer[] = []
  for (const [index, text] of texts.entries()) {
    const bytes = Buffer.from(text)
    stream.push(Buffer.from(`blob\nmark :${index + 1}\ndata ${bytes.byteLength}\n`), bytes, Buffer.from('\n'))
    stream.push(Buffer.from(`commit refs/heads/env/b${index}\ncommitter Gantry <gantry@example.com> 0 +0000\ndata 0\nM 100644 :${index + 1} ${FILE}\n\n`))
  }
  execFileSync('git', ['-C', repo, 'fast-import', '--quiet'], { input: Buffer.concat(stream) })
  const refs = new Map(git(repo, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/env']).split('\n').map((l) => l.split(' ') as [string, string]))
  const heads = texts.map((_, index) => refs.get(`refs/heads/env/b${index}`)!)
  expect(heads.every((h) => /^[0-9a-f]{40}$/.test(h))).toBe(true)
  const cache = new Map<string, EnvironmentLedger>()
  const reader = new ObjectReader(new Git(repo))
  try {
    await readWrittenLedgers(reader, heads, schemas, cache)
  } finally {
    await reader.close()
  }
  let cached = 0
  const seen = new Set<string>()
  for (const text of texts) {
    const bytes = enc(text)
    const id = blobId(bytes)
    if (seen.has(id)) continue
    seen.add(id)
    const own = readWrittenLedger(bytes, FILE, 'app.yaml', schemas)
    const got = cache.get(`app.yaml\0${id}`)
    expect(shape(got), JSON.stringify(text)).toBe(shape(own))
    if (got) cached++
  }
  expect(cache.size).toBe(cached)
  expect(cached).toBeGreaterThan(40)
}, 120_000)

// Real repositories: base and app applied to dev, qa and prod; app's ledger edited by hand on environment branches.

let base = ''
beforeAll(async () => {
  base = await appliedEverywhere(join(temp.dir, 'base'))
}, 180_000)
const repoOf = copies(temp.dir, () => base)

/** A repository edit: app's ledger on the environments named, made from each one's own ledger text. */
type Edit = [string, Partial<Record<'dev' | 'qa' | 'prod', (text: string) => string>>]

/** The first item id of the ledger's items, and its digest line as a regular expression. */
const firstItem = (text: string) => /^ {2}([a-z0-9./-]+\/[a-z0-9./-]+): sha256:[0-9a-f]{64}$/m.exec(text.slice(text.indexOf('\nitems:\n')))![1]!

const on = (section: string, make: (line: string) => string) => (t: string) => onLine(t, section, firstItem(t), make)

const EDITS: Edit[] = [
  ['nothing', {}],
  ['qa: an items digest', { qa: on('items', digits('1'.repeat(64))) }],
  ['qa: a delivered digest', { qa: on('delivered', digits('2'.repeat(64))) }],
  ['qa and prod: the same item in both maps, other digests', { qa: (t) => on('delivered', digits('3'.repeat(64)))(on('items', digits('3'.repeat(64)))(t)), prod: on('items', digits('4'.repeat(64))) }],
  ['qa: an items digest and the environment named dev', { qa: (t) => withEnvironment(on('items', digits('5'.repeat(64)))(t), 'dev') }],
  ['qa: an items digest and the environment 5', { qa: (t) => withEnvironment(on('items', digits('5'.repeat(64)))(t), '5') }],
  ['qa: upper-case hex', { qa: on('items', digits('A'.repeat(64))) }],
  ['qa: a non-hex digit', { qa: on('delivered', digits(`${'0'.repeat(63)}g`)) }],
  ['qa: 63 digits', { qa: on('items', digits('0'.repeat(63))) }],
  ['qa: 65 digits', { qa: on('items', digits('0'.repeat(65))) }],
  ['qa: trailing space', { qa: on('items', (l) => `${l} `) }],
  ['qa: a comment after a digest', { qa: on('delivered', (l) => `${l} # by hand`) }],
  ['qa: CR as the last digit', { qa: on('items', digits(`${'0'.repeat(63)}\r`)) }],
  ['qa: CRLF and a digest', { qa: (t) => on('items', digits('6'.repeat(64)))(t).replaceAll('\n', '\r\n') }],
  ['qa: BOM and a digest', { qa: (t) => `\ufeff${on('items', digits('6'.repeat(64)))(t)}` }],
  ['qa: a digest line twice', { qa: on('items', (l) => `${l}\n${digits('7'.repeat(64))(l)}`) }],
  ['qa: an item id changed', { qa: on('items', (l) => l.replace(/^ {2}./, '  z')) }],
  ['qa: an item id made __proto__', { qa: on('delivered', (l) => l.replace(/^ {2}[^:]+:/, '  __proto__:')) }],
  ['qa: quoted digest', { qa: on('items', (l) => l.replace(/sha256:[0-9a-f]{64}$/, `"sha256:${'8'.repeat(64)}"`)) }],
  ['qa: the top-level digest', { qa: (t) => t.replace(/^digest: sha256:[0-9a-f]{64}$/m, `digest: sha256:${'9'.repeat(64)}`) }],
  ['dev: a digest (the first copy); qa: another', { dev: on('items', digits('a'.repeat(64))), qa: on('items', digits('b'.repeat(64))) }],
  ['dev: upper-case hex (not a first copy); qa and prod: digests', { dev: on('items', digits('C'.repeat(64))), qa: on('items', digits('c'.repeat(64))), prod: on('delivered', digits('d'.repeat(64))) }],
  ['dev: CRLF (not a first copy); qa: a digest', { dev: (t) => t.replaceAll('\n', '\r\n'), qa: on('items', digits('e'.repeat(64))) }],
]

/**
 * The repository with `edit` committed on its environment branches. qa's and prod's ledgers of app are first
 * made dev's text but for the environment line (the applies wrote each its own time): copies status reads
 * against dev's, as it reads the copies of one apply or promotion.
 */
function edited(repo: string, [, byEnv]: Edit): void {
  const dev = show(repo, 'env/dev', FILE)!
  for (const env of ['qa', 'prod']) commitToBranch(repo, `env/${env}`, { [FILE]: withEnvironment(dev, env) })
  for (const [env, make] of Object.entries(byEnv)) {
    const text = show(repo, `env/${env}`, FILE)!
    const next = make(text)
    expect(next, `${env}: the edit changes the ledger`).not.toBe(text)
    commitToBranch(repo, `env/${env}`, { [FILE]: next })
  }
}

/** Status's json output with the branches' heads left out. */
const withoutHeads = (stdout: string) => stdout.replace(/"head":"[0-9a-f]{40,64}"/g, '"head":"-"')

test('status on edited branches says what it says when no copy can be read against another', async () => {
  // The oracle: the same repository with dev's and prod's ledgers of app led by a comment (the same value, read
  // whole by readYaml), so that no copy is read against another; then qa reads whole too. What status says
  // must not depend on which way a ledger was read.
  for (const edit of EDITS) {
    if (edit[1].dev || edit[1].prod) continue
    const repo = repoOf()
    edited(repo, edit)
    const together = await cli(repo, ['status', '--format', 'json'])
    for (const env of ['dev', 'prod']) commitToBranch(repo, `env/${env}`, { [FILE]: `# read whole\n${show(repo, `env/${env}`, FILE)!}` })
    const apart = await cli(repo, ['status', '--format', 'json'])
    expect(together.code, edit[0]).toBe(apart.code)
    // The heads of dev and prod moved (the comment): the rest the same.
    expect(withoutHeads(together.stdout), edit[0]).toBe(withoutHeads(apart.stdout))
    expect(together.stderr, edit[0]).toBe(apart.stderr)
  }
}, 300_000)

test('status refuses a ledger copy with an upper-case digest, places the finding, and takes one with another valid digest', async () => {
  const repo = repoOf()
  edited(repo, EDITS.find(([label]) => label === 'qa: upper-case hex')!)
  const refused = await cli(repo, ['status', '--format', 'json'])
  expect(refused.code).not.toBe(0)
  expect(refused.stdout + refused.stderr).toContain(`${FILE} on env/qa is not a valid ledger`)
  const fine = repoOf()
  edited(fine, EDITS.find(([label]) => label === 'qa: an items digest')!)
  const taken = await cli(fine, ['status', '--format', 'json'])
  expect(taken.stdout + taken.stderr).not.toContain('is not a valid ledger')
}, 120_000)

// With GANTRY_STATUS_EARLIER naming the dist/cli/index.js of a build from before copies were read against
// others by their digests: the same outputs, text and json, exit codes and error output.
const EARLIER = process.env.GANTRY_STATUS_EARLIER ?? ''
const CURRENT = BUILT_CLI

const run = runBuiltCli

test.skipIf(!(existsSync(EARLIER) && existsSync(CURRENT)))('the same status output as the earlier CLI on hand-edited ledgers', async () => {
  let compared = 0
  for (const edit of EDITS) {
    const repo = repoOf()
    edited(repo, edit)
    for (const args of [['status'], ['status', '--format', 'json']]) {
      const [earlier, current] = await Promise.all([run(EARLIER, repo, args), run(CURRENT, repo, args)])
      expect(current, `${edit[0]}: ${args.join(' ')}`).toEqual(earlier)
      compared++
    }
  }
  expect(compared).toBe(EDITS.length * 2)
}, 600_000)
