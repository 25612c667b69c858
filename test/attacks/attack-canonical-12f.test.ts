import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import {
  canonicalCompact,
  canonicalDocument,
  canonicalForm,
  canonicalJson,
  sha256,
} from '../../src/core/bundle/canonical-json.js'
import { referenceCompact, referenceJson } from '../support/reference-canonical-json.js'
import { commitFiles, git, tagDigest, tempDir } from '../engine/helpers.js'
import { seededRandom as random } from '../support/seeded-random.js'

/**
 * SPEC section 5: a bundle's bytes are canonical JSON (keys sorted at every level) and their sha256 is the
 * version's digest, so the serializer must give the bytes it always gave. Checked here against a serializer
 * written apart, and against the sort()-based copy the bundle code used before sorting few keys by insertion,
 * over seeded random values with hostile keys, and over whole bundles built from crafted repositories.
 */

const temp = tempDir('gantry-attack-canonical-12f-')
afterAll(() => temp.cleanup())

/** The copy the serializer made before few keys were sorted by insertion: every object's keys by sort(). */
function previousSort(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(previousSort)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) out[key] = previousSort(v)
    }
    return out
  }
  return value
}

const HOSTILE_KEYS = [
  '',
  'a',
  'A',
  'b',
  'B',
  'aa',
  'aA',
  'Aa',
  'a b',
  'é',
  'e',
  'E',
  '\u00e9',
  'e\u0301',
  '\uFFFF',
  '\uE000',
  '\uFB01',
  '😀',
  '𝄞',
  '\uD800',
  '\uDFFF',
  '\uD83D',
  '10',
  '9',
  '1',
  '0',
  '01',
  '-1',
  '1e3',
  '1.5',
  '4294967294',
  '4294967295',
  '4294967296',
  '00',
  ' 1',
  '1 ',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '\u0000',
  '\n',
  '"',
  '\\',
  '\u2028',
  'z',
  'Z',
  '~',
]
const LEAVES = [
  0,
  -0,
  1,
  -1,
  1.5,
  1e21,
  1e-7,
  2 ** 53 + 2,
  -(2 ** 63),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  NaN,
  Infinity,
  true,
  false,
  null,
  '',
  'x',
  '😀\uFFFF',
  undefined,
]

function randomValue(next: () => number, depth: number): unknown {
  const roll = next()
  if (depth <= 0 || roll < 0.35) return LEAVES[Math.floor(next() * LEAVES.length)]
  if (roll < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth - 1))
  // Sizes around the 16 keys where insertion gives way to sort().
  const size = [0, 1, 2, 3, 5, 8, 15, 16, 17, 18, 30][Math.floor(next() * 11)]!
  const out: Record<string, unknown> = {}
  for (let i = 0; i < size; i++) {
    const pick = next()
    const key =
      pick < 0.7
        ? HOSTILE_KEYS[Math.floor(next() * HOSTILE_KEYS.length)]!
        : `${HOSTILE_KEYS[Math.floor(next() * HOSTILE_KEYS.length)]}${String.fromCharCode(Math.floor(next() * 0x10000))}`
    out[key] = randomValue(next, depth - 1)
  }
  return out
}

describe('canonical JSON against a serializer written apart', () => {
  test('thousands of seeded values with hostile keys: the same bytes as the reference and as the sort() copy', () => {
    for (let seed = 1; seed <= 2500; seed++) {
      // Wrapped: a bundle is an object, never a bare undefined.
      const value = { v: randomValue(random(seed), 3) }
      const expected = referenceJson(value)
      const json = canonicalJson(value)
      if (json !== expected) expect({ seed, json }).toEqual({ seed, json: expected })
      expect(canonicalCompact(value)).toBe(referenceCompact(value))
      expect(JSON.stringify(canonicalDocument(value))).toBe(JSON.stringify(previousSort(value)))
      expect(canonicalJson(canonicalForm(value))).toBe(expected)
      expect(canonicalJson(canonicalDocument(value))).toBe(expected)
    }
  })

  test('objects of exactly 15, 16 and 17 keys given in every rotation and reversed', () => {
    const pool = [
      '',
      'A',
      'a',
      'aa',
      'B',
      'é',
      '\uE000',
      '\uFFFF',
      '😀',
      '10',
      '9',
      '01',
      '-1',
      '1e3',
      'Z',
      '~',
      'z',
      '\uD800',
      'ab',
    ]
    for (const size of [2, 15, 16, 17, 19]) {
      const keys = pool.slice(0, size)
      for (let r = 0; r < size; r++) {
        for (const order of [
          [...keys.slice(r), ...keys.slice(0, r)],
          [...keys.slice(r), ...keys.slice(0, r)].reverse(),
        ]) {
          const value = Object.fromEntries(
            order.map((k, i) => [k, { [k]: i, nested: [{ [order[(i + 1) % size]!]: -0 }] }]),
          )
          expect(canonicalJson(value)).toBe(referenceJson(value))
          expect(canonicalCompact(value)).toBe(JSON.stringify(previousSort(value)))
        }
      }
    }
  })

  test('one object met twice (shared as a YAML alias shares it) is written in order both times', () => {
    const shared = { z: 1, a: { y: 2, b: 3 } }
    const value = { second: shared, first: shared, list: [shared, shared] }
    expect(canonicalJson(value)).toBe(referenceJson(value))
    const copy = canonicalDocument(value)
    expect(canonicalJson({ x: copy, y: copy })).toBe(referenceJson({ x: value, y: value }))
    // Only the copy is taken as it is: the value it was made from, and its shared part, are sorted again.
    expect(canonicalJson(value)).toBe(referenceJson(value))
    expect(canonicalCompact(shared)).toBe('{"a":{"b":3,"y":2},"z":1}')
    expect(canonicalJson(canonicalForm({ second: shared, first: shared }))).toBe(
      referenceJson({ first: shared, second: shared }),
    )
  })
})

/** A key as a YAML double-quoted scalar, every character past ASCII written as an escape. */
const yamlKey = (key: string) =>
  `"${[...key].map((c) => (c === '"' || c === '\\' ? `\\${c}` : c.codePointAt(0)! > 0x7e ? `\\U${c.codePointAt(0)!.toString(16).padStart(8, '0')}` : c)).join('')}"`

/** A repository of one permissive kind, its definitions written as YAML text. */
function craftedRepo(name: string, definitions: Record<string, string>): string {
  const dir = join(temp.dir, name)
  mkdirSync(dir, { recursive: true })
  git(dir, ['init', '-q', '-b', 'main'])
  const files: Record<string, string> = {
    'gantry.yaml': 'versioning: dot\nenvironments:\n  - name: dev\n    branch: env/dev\n',
    'kinds/thing.schema.json': JSON.stringify({ type: 'object' }),
    'packages/p.yaml': `name: p\nitems:\n${Object.keys(definitions)
      .map((n) => `  - thing/${n}`)
      .join('\n')}\n`,
  }
  for (const [n, text] of Object.entries(definitions))
    files[`definitions/thing/${n}.yaml`] = `kind: thing\nname: ${n}\n${text}`
  commitFiles(dir, files, 'crafted')
  return dir
}

async function builtBundle(dir: string): Promise<{ bytes: string; bundle: Record<string, unknown> }> {
  const result = await buildPackages({ repo: dir, packages: [], all: true, debug: false })
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
  const folder = join(dir, '.gantry/build')
  const [file] = readdirSync(folder)
  const bytes = readFileSync(join(folder, file!), 'utf8')
  return { bytes, bundle: JSON.parse(bytes) as Record<string, unknown> }
}

describe('bundles built from crafted repositories', () => {
  test('hostile keys, anchors shared between spec parts, 2^53 - 1 and -0: bytes canonical, digest their sha256', async () => {
    // Keys YAML can carry (no lone surrogates, no control characters), once each; constructor is refused.
    const keys = [...new Set(HOSTILE_KEYS)].filter(
      (k) =>
        ![...k].some((c) => c.charCodeAt(0) < 0x20 || (c.length === 1 && c >= '\uD800' && c <= '\uDFFF')) &&
        k !== 'constructor',
    )
    const spec = keys.map((k, i) => `  ${yamlKey(k)}: ${i}`).join('\n')
    const dir = craftedRepo('hostile', {
      keys: `spec:\n${spec}\n  nested:\n${keys
        .slice(0, 17)
        .reverse()
        .map((k) => `    ${yamlKey(k)}: [{z: 1, a: -0, "10": 2, "9": 3}]`)
        .join('\n')}\n`,
      anchors: `spec:\n  base: &b {z: 1, y: {c: 3, b: 2, "2": x, "10": y}, a: [ {q: 1, p: 2} ]}\n  copy: *b\n  list: [*b, *b]\n  big: 9007199254740991\n  neg: -0\n  small: 1e-300\n  float: 0.1\n`,
      few: `spec:\n  "\\uFFFF": 1\n  "😀": 2\n  "\\uE000": 3\n  "": 4\n  b: 5\n  B: 6\n  "1e3": 7\n  "01": 8\n  "-1": 9\n  "10": 10\n  "9": 11\n`,
    })
    const { bytes, bundle } = await builtBundle(dir)
    expect(bytes).toBe(referenceJson(bundle))
    const version = bundle.version as string
    expect(tagDigest(dir, `p@${version}`)).toBe(sha256(bytes))
    const items = bundle.items as Record<string, { digest: string; document: unknown }>
    for (const item of Object.values(items)) expect(item.digest).toBe(sha256(referenceCompact(item.document)))
    const anchors = items['thing/anchors']!.document as { spec: Record<string, unknown> }
    expect(anchors.spec.copy).toEqual(anchors.spec.base)
    expect(Object.keys(items['thing/few']!.document as object)).toEqual(['kind', 'name', 'spec'])
  })

  test('a __proto__ key, which a copy made by assignment would drop, is refused before any bundle is made', async () => {
    const dir = craftedRepo('proto', {
      proto: `spec:\n  "__proto__": {polluted: true}\n  a: 1\n`,
      plain: `spec:\n  a: 1\n`,
    })
    const result = await buildPackages({ repo: dir, packages: [], all: true, debug: false })
    expect(result.ok).toBe(false)
    expect(
      result.diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => [d.file, d.line, d.column, d.message]),
    ).toEqual([['definitions/thing/proto.yaml', 4, 3, 'the key "__proto__" is not allowed']])
    expect(existsSync(join(dir, '.gantry/build'))).toBe(false)
  })
})
