import { expect, test } from 'vitest'
import { canonicalCompact, canonicalDocument, canonicalJson } from '../../src/core/bundle/canonical-json.js'

// canonicalDocument takes the parts of a document already in canonical order as they are instead of copying
// them. The bytes must be those of a full sorted copy, for any value, and the document must stay as it was.

/** The full copy with every key sorted, as the serializer always made it: the reference. */
function reference(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length)
    for (let i = 0; i < value.length; i++) out[i] = reference(value[i])
    return out
  }
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) out[key] = reference(v)
  }
  return out
}

/** A small deterministic generator: the same values on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

const KEYS = ['a', 'b', 'kind', 'name', 'spec', 'description', 'Z', '10', '9', '0', '', 'é', '\u{1F600}', '\uFFFF', 'a b', '__proto__', 'constructor', 'toJSON']

function value(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 11))
  switch (pick) {
    case 0: return null
    case 1: return Math.floor(next() * 1000) - 500
    case 2: return [-0, 1e21, 0.1, Number.MAX_SAFE_INTEGER][Math.floor(next() * 4)]
    case 3: return ['', 'x', 'line\nbreak', '"q"', '\u2028', 'é'][Math.floor(next() * 6)]
    case 4: return next() < 0.5
    case 5: return undefined
    case 6:
    case 7: {
      // A map with keys in order or not, as own properties (JSON.parse makes `__proto__` one).
      const keys = [...new Set(Array.from({ length: Math.floor(next() * 6) }, () => KEYS[Math.floor(next() * KEYS.length)]!))]
      if (next() < 0.5) keys.sort()
      const entries = keys.map((k) => `${JSON.stringify(k)}:0`).join(',')
      const out = JSON.parse(`{${entries}}`) as Record<string, unknown>
      for (const k of keys) Object.defineProperty(out, k, { value: value(next, depth + 1), enumerable: true, writable: true, configurable: true })
      return out
    }
    case 8: {
      const out = Array.from({ length: Math.floor(next() * 5) }, () => value(next, depth + 1))
      if (next() < 0.15) out.length += 2 // holes
      return out
    }
    case 9: return [new Date(0), new Map([[1, 2]]), Object.create(null) as object, Object.assign(Object.create(null) as object, { b: 1, a: 2 })][Math.floor(next() * 4)]
    default: {
      // One object met twice.
      const shared = { x: [1, 2], a: 'b' }
      return { s: shared, t: [shared, shared] }
    }
  }
}

test('the bytes of canonicalDocument are those of a full sorted copy, and the document is left as it was', () => {
  const next = random(12)
  let reused = 0
  for (let round = 0; round < 20_000; round++) {
    const doc = { kind: 'task', name: `t${round}`, spec: value(next, 0), list: [value(next, 1), value(next, 1)], sorted: { a: ['x', 'y'], b: { c: 1 } } }
    const before = JSON.stringify(doc)
    const copy = canonicalDocument(doc)
    expect(canonicalJson(copy)).toBe(`${JSON.stringify(reference(doc), null, 2)}\n`)
    expect(canonicalCompact(copy)).toBe(JSON.stringify(reference(doc)))
    expect(JSON.stringify(doc)).toBe(before)
    if ((copy as { sorted: unknown }).sorted === doc.sorted) reused++
  }
  // The parts in order are taken as they are (the test would pass with everything copied otherwise).
  expect(reused).toBe(20_000)
})

test('a document in canonical order all the way down is taken as it is; one key out of order copies its map', () => {
  const inOrder = { a: [1, 'x', null], b: { c: [true], d: 'e' } }
  expect(canonicalDocument(inOrder)).toBe(inOrder)
  const outOfOrder = { a: [1], c: { e: 1, d: 2 }, b: 'x' }
  const copy = canonicalDocument(outOfOrder) as typeof outOfOrder
  expect(copy).not.toBe(outOfOrder)
  expect(copy.a).toBe(outOfOrder.a)
  expect(copy.c).not.toBe(outOfOrder.c)
  expect(JSON.stringify(copy)).toBe('{"a":[1],"b":"x","c":{"d":2,"e":1}}')
  // Holes, undefined and `__proto__` keys are copied as the full copy has them.
  const sparse: unknown[] = [1]
  sparse[2] = 2
  const holes = canonicalDocument({ a: sparse, b: undefined }) as { a: unknown[] }
  expect(JSON.stringify(holes)).toBe('{"a":[1,null,2]}')
  expect(1 in holes.a).toBe(true)
  expect(canonicalJson(canonicalDocument(JSON.parse('{"__proto__":{"x":1},"a":1}')))).toBe(`${JSON.stringify(reference(JSON.parse('{"__proto__":{"x":1},"a":1}')), null, 2)}\n`)
})
