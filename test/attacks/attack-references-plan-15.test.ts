import { describe, expect, test } from 'vitest'
import { findReferences } from '../../src/core/schema/references.js'
import { isValidName, isWindowsDeviceName, NAME_PATTERN } from '../../src/core/names.js'
import { findReferences as findReferencesBefore } from './references-635b9f5-oracle.js'

// A pull request writes the kind schemas and the definitions. findReferences now reads each schema node once
// into a plan kept per kind schema, across definitions; these tests hold it to the walk it replaced (kept as a
// test-only oracle), on hostile schemas: $ref cycles and chains, shared nodes reached by several paths,
// combinators nested in each other, keys such as __proto__, items of every shape, boolean schemas, depth at and
// over the limit, and one schema used by many definitions of different shapes, in turn.

/** A small seeded generator: the same cases at every run. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const KEYS = ['a', 'b', '__proto__', 'constructor', '$ref', 'items', 'toString', '0', 'length', 'x-gantry-ref']
const REFS = ['#', '#/$defs/a', '#/$defs/b', '#/definitions/c', '#/properties/a', '#/properties/__proto__',
  '#/__proto__', '#/$defs/missing', '#/$defs/str', 'other.json#/x', '#/$defs/a/allOf/0', '#/$defs/loop1']

type Node = Record<string, unknown>

/** A kind schema of hostile shape, as JSON.parse would make it (own __proto__ keys included), with shared nodes. */
function makeSchema(rnd: () => number): object {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  const pool: unknown[] = []
  // Under a combinator no $ref and no node met before: a cycle through combinators alone is walked once per
  // path up to the depth limit by either walk (2^32 visits for two alternatives), which is no case to compare.
  const node = (depth: number, combined = false): unknown => {
    const r = rnd()
    if (!combined && pool.length > 0 && r < 0.15) return pick(pool)
    if (r < 0.2) return pick([true, false, null, 3, 'x', []])
    const out: Node = {}
    const n = depth > 4 ? 1 : 1 + Math.floor(rnd() * 4)
    for (let i = 0; i < n; i++) {
      const k = rnd()
      if (k < 0.2) out['x-gantry-ref'] = pick(['task', 'agent', 'conn', 7, null])
      else if (k < 0.35) { if (!combined) out.$ref = pick(REFS) }
      else if (k < 0.5) {
        const props: Node = JSON.parse('{}') as Node
        const m = 1 + Math.floor(rnd() * 3)
        for (let j = 0; j < m; j++) Object.defineProperty(props, pick(KEYS), {
          value: depth > 5 ? pick([true, null, { 'x-gantry-ref': 'task' }]) : node(depth + 1),
          enumerable: true, configurable: true, writable: true,
        })
        out.properties = rnd() < 0.9 ? props : pick(['abc', [node(depth + 1)], 5, null, true])
      } else if (k < 0.6) out.additionalProperties = depth > 5 ? pick([true, false]) : node(depth + 1)
      else if (k < 0.72) out.items = rnd() < 0.7 && depth <= 5 ? node(depth + 1, false) : pick([[{ 'x-gantry-ref': 'task' }], true, false, null])
      else if (k < 0.76) out.prefixItems = [{ 'x-gantry-ref': 'agent' }]
      else if (k < 0.92) {
        const c = pick(['allOf', 'anyOf', 'oneOf'] as const)
        out[c] = rnd() < 0.9 && depth <= 5 ? Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => node(depth + 1, true)) : pick([{}, 'x', null])
      } else {
        const c = pick(['not', 'if', 'then', 'else'] as const)
        out[c] = depth > 5 ? { 'x-gantry-ref': 'conn' } : node(depth + 1)
      }
    }
    pool.push(out)
    return out
  }
  const root = { ...(node(0) as Node) } as Node
  const defs: Node = { a: node(1), b: node(1), str: 'just text', loop1: { $ref: '#/$defs/loop2' }, loop2: { $ref: '#/$defs/loop1' } }
  root.$defs = defs
  root.definitions = { c: node(1) }
  // Real object cycles, besides $ref ones: a node holding an ancestor.
  for (const held of pool) {
    if (held && typeof held === 'object' && !Array.isArray(held) && rnd() < 0.1) {
      ;(held as Node)[pick(['additionalProperties', 'items'])] = rnd() < 0.5 ? root : pick(pool)
    }
  }
  return root
}

/** A definition's spec of any shape, with the keys the schemas name. */
function makeValue(rnd: () => number, depth = 0): unknown {
  const r = rnd()
  if (depth > 6 || r < 0.35) return [ 'nightly', 'db', '', 'a', 1, true, null ][Math.floor(rnd() * 7)]
  if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => makeValue(rnd, depth + 1))
  const out = JSON.parse('{}') as Node
  const n = Math.floor(rnd() * 5)
  for (let i = 0; i < n; i++) {
    Object.defineProperty(out, KEYS[Math.floor(rnd() * KEYS.length)]!, {
      value: makeValue(rnd, depth + 1), enumerable: true, configurable: true, writable: true,
    })
  }
  return out
}

/** A schema that refers to itself at every level, and a value nested `depth` deep. */
function deep(depth: number): { schema: object; value: unknown } {
  const schema: Record<string, unknown> = { 'x-gantry-ref': 'task', anyOf: [{ $ref: '#/$defs/d' }], $defs: { d: { 'x-gantry-ref': 'agent' } } }
  // The schema holds itself: under "n" and as the schema of every list element.
  schema.properties = { n: { $ref: '#/$defs/self' } }
  ;(schema.$defs as Record<string, unknown>).self = schema
  schema.items = schema
  let value: unknown = 'leaf'
  for (let i = 0; i < depth; i++) value = i % 2 ? { n: value } : [value]
  return { schema, value }
}

describe('findReferences with a plan per kind schema finds what the walk before it found', () => {
  test('on 200 hostile schemas, each used by 25 definitions of different shapes in turn', () => {
    let compared = 0
    let nonEmpty = 0
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed)
      const schema = makeSchema(rnd)
      // The same schema object for every definition (as the loader does), specs interleaved.
      for (let d = 0; d < 25; d++) {
        const value = makeValue(rnd)
        const spec = rnd() < 0.5 ? value : { a: value, b: makeValue(rnd), __proto__x: value }
        const before = findReferencesBefore(schema, spec)
        const now = findReferences(schema, spec)
        expect(now, `seed ${seed}, definition ${d}`).toEqual(before)
        compared++
        if (before.length > 0) nonEmpty++
      }
    }
    expect(compared).toBe(5000)
    // The cases are not all empty: references are found in many of them.
    expect(nonEmpty).toBeGreaterThan(300)
  })

  test('depth at, just under and over the limit, through $ref cycles, items and combinators', () => {
    for (const depth of [0, 1, 62, 63, 64, 65, 66, 100, 200]) {
      const { schema, value } = deep(depth)
      expect(findReferences(schema, value), `depth ${depth}`).toEqual(findReferencesBefore(schema, value))
      // Twice on the same schema: what the first walk left behind changes nothing.
      expect(findReferences(schema, value)).toEqual(findReferencesBefore(schema, value))
    }
    const { schema } = deep(0)
    expect(findReferences(schema, [[[['x']]]]).map((r) => r.path)).toEqual([['spec', 0, 0, 0, 0]])
  })

  test('one schema, definitions of different shapes: nothing of one walk leaks into the next', () => {
    const shared = { 'x-gantry-ref': 'conn' }
    const schema = {
      type: 'object',
      properties: { a: shared, b: { items: shared }, __proto__: { 'x-gantry-ref': 'proto' }, $ref: { 'x-gantry-ref': 'dollar' } },
      additionalProperties: { anyOf: [shared, { properties: { a: shared } }] },
    }
    const withProto = JSON.parse('{"__proto__":"p","$ref":"d","a":"x","b":["y","z"],"c":{"a":"w"},"constructor":"k"}') as unknown
    const specs: unknown[] = [{ a: 'x' }, { b: ['1', '2'] }, withProto, ['a'], 'a', { c: 'q' }, { b: 'not a list' }, withProto]
    for (const spec of specs) expect(findReferences(schema, spec)).toEqual(findReferencesBefore(schema, spec))
    // The object literal's __proto__ sets a prototype, not a key: the spec's __proto__ is walked by additionalProperties.
    expect(findReferences(schema, withProto).map((r) => `${r.path.join('.')}=${r.kind}:${r.name}`)).toEqual([
      'spec.__proto__=conn:p', 'spec.$ref=dollar:d', 'spec.a=conn:x', 'spec.b.0=conn:y', 'spec.b.1=conn:z',
      'spec.c.a=conn:w', 'spec.constructor=conn:k',
    ])
  })

  test('a sparse list and a huge one', () => {
    const schema = { items: { 'x-gantry-ref': 'task' } }
    const sparse: unknown[] = []
    sparse[3] = 'a'
    sparse[7] = 'b'
    expect(findReferences(schema, sparse)).toEqual(findReferencesBefore(schema, sparse))
    expect(findReferences(schema, sparse).map((r) => r.path)).toEqual([['spec', 3], ['spec', 7]])
    const huge = Array.from({ length: 50000 }, (_, i) => (i % 3 ? `n${i}` : i))
    expect(findReferences(schema, huge)).toEqual(findReferencesBefore(schema, huge))
  })
})

describe('isValidName reads the device-name expression only where a device name can be', () => {
  /** isValidName as it stood before (the expression for every name). */
  const validBefore = (value: string): boolean =>
    NAME_PATTERN.test(value) && !value.includes('..') && !value.endsWith('.lock') && !isWindowsDeviceName(value)

  test('every name of 1 to 4 characters over the device letters, digits, ".", "-", "_", and each with suffixes', () => {
    const alphabet = ['c', 'o', 'n', 'p', 'r', 'a', 'u', 'x', 'l', 't', 'm', '1', '9', '0', '.', '-', '_']
    let names = ['']
    const all: string[] = []
    for (let length = 1; length <= 4; length++) {
      names = names.flatMap((n) => alphabet.map((c) => n + c))
      all.push(...names)
    }
    const suffixes = ['', '.', '.y', '.yaml', 'x', '1', '.lock', '-a', '..a', '.a.b', 'ı', 'ſ', '\u212a']
    let invalid = 0
    for (const name of all) {
      for (const suffix of suffixes) {
        const value = name + suffix
        expect(isValidName(value), JSON.stringify(value)).toBe(validBefore(value))
        if (!validBefore(value) && NAME_PATTERN.test(value) && isWindowsDeviceName(value)) invalid++
      }
    }
    // Device names were met, with and without suffixes.
    expect(invalid).toBeGreaterThan(50)
  })

  test('the device names themselves, upper case, look-alikes and long names', () => {
    const devices = ['con', 'prn', 'aux', 'nul', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((d) => [`com${d}`, `lpt${d}`])]
    const values = devices.flatMap((d) => [d, `${d}.yaml`, `${d}.`, `${d}x`, `x${d}`, `${d}.${'a'.repeat(60)}`, d.toUpperCase(),
      `${d}\n`, `${d}.x\n`, `${d.slice(0, 2)}\u0131`, `${d}0`, `${d}.lock`, `a.${d}`, `${d}-1`])
    values.push('com0', 'lpt0', 'com10', 'a'.repeat(64), 'a'.repeat(65), 'con.' + 'a'.repeat(60))
    for (const value of values) expect(isValidName(value), JSON.stringify(value)).toBe(validBefore(value))
    for (const d of devices) {
      expect(isValidName(d)).toBe(false)
      expect(isValidName(`${d}.yaml`)).toBe(false)
      expect(isValidName(`${d}x`)).toBe(true)
    }
  })
})
