import { expect, test } from 'vitest'
import { writtenItemTree, writtenItemValue } from '../../src/core/promotion/item-read.js'
import { findReferences, OrderedMap } from '../../src/core/schema/references.js'
import { readYaml } from '../../src/core/yaml/read-yaml.js'
import { seededRandom as random } from '../support/seeded-random.js'

// Status finds the references of installed items written as Gantry writes them from their maps kept as keys
// and values in order (writtenItemTree, walked by findReferences), not from the value made of objects. Both must
// find what findReferences finds in the value readYaml builds: the same references, paths and order, with
// combinators visiting a value twice, `$ref`s, additionalProperties, lists, and keys an object treats apart.

const encode = (text: string) => new TextEncoder().encode(text)

/** What findReferences finds in the value readYaml builds (which writtenItemValue must equal). */
function expected(schema: object, text: string): unknown {
  const parsed = readYaml('definitions/task/x.yaml', encode(text)).parsed
  expect(parsed, text).toBeDefined()
  return findReferences(schema, (parsed!.value as { spec?: unknown }).spec)
}

function check(schema: object, text: string): boolean {
  const tree = writtenItemTree(encode(text))
  const value = writtenItemValue(encode(text))
  expect(tree === undefined, text).toBe(value === undefined)
  if (tree === undefined) return false
  const found = findReferences(schema, tree.get('spec'))
  expect(found, text).toEqual(expected(schema, text))
  expect(found, text).toEqual(findReferences(schema, value!.spec))
  return true
}

const ref = (kind: string) => ({ type: 'string', 'x-gantry-ref': kind })

/** Kind schemas reaching references every way findReferences walks. */
const SCHEMAS: object[] = [
  { type: 'object', properties: { conn: ref('connection'), next: { type: 'array', items: ref('task') } } },
  { type: 'object', additionalProperties: ref('variable') },
  { type: 'object', properties: { a: ref('a') }, additionalProperties: { type: 'object', properties: { b: ref('b') }, additionalProperties: ref('c') } },
  // Combinators: the same value found twice is found once; in another order through oneOf.
  { type: 'object', anyOf: [{ properties: { conn: ref('connection') } }, { properties: { conn: ref('connection'), x: ref('x') } }], properties: { conn: ref('connection') } },
  { allOf: [{ additionalProperties: ref('k1') }, { properties: { toString: ref('k2'), hasOwnProperty: ref('k3') } }] },
  { oneOf: [{ type: 'array', items: ref('l') }, { type: 'object', additionalProperties: { type: 'array', items: { properties: { name: ref('m') } } } }] },
  // Through $ref, and a cycle.
  { $defs: { node: { type: 'object', properties: { target: ref('t'), children: { type: 'array', items: { $ref: '#/$defs/node' } } } } }, $ref: '#/$defs/node' },
  { type: 'object', properties: { list: { items: { anyOf: [ref('p'), { properties: { q: ref('q') }, additionalProperties: { items: ref('r') } }] } } } },
]

const KEYS = ['conn', 'next', 'a', 'b', 'x', 'target', 'children', 'list', 'q', 'name', 'toString', 'hasOwnProperty', 'valueOf', 'then', 'length', 'k0', 'A1']
const SCALARS = ['orders-db', 'x', '"quoted name"', '12', '1.2.3', 'null', 'true', 'false', '[]', '{}', '"null"', '"12"', '0', 'a:b']

/** A random item written as Gantry writes them: maps and lists at two spaces, nested a few levels. */
function item(r: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!
  const lines: string[] = []
  const map = (indent: number, depth: number, first?: string): void => {
    const keys = [...new Set(Array.from({ length: 1 + Math.floor(r() * (r() < 0.1 ? 24 : 5)) }, () => (r() < 0.3 ? `k${Math.floor(r() * 30)}` : pick(KEYS))))]
    keys.forEach((key, at) => {
      const lead = at === 0 && first !== undefined ? first : ' '.repeat(indent)
      const roll = depth > 3 ? 0 : r()
      if (roll < 0.55) lines.push(`${lead}${key}: ${pick(SCALARS)}`)
      else if (roll < 0.75) {
        lines.push(`${lead}${key}:`)
        map(indent + 2, depth + 1)
      } else {
        lines.push(`${lead}${key}:`)
        for (let n = 1 + Math.floor(r() * 4); n > 0; n--) {
          if (r() < 0.5) lines.push(`${' '.repeat(indent + 2)}- ${pick(SCALARS)}`)
          else map(indent + 4, depth + 1, `${' '.repeat(indent + 2)}- `)
        }
      }
    })
  }
  lines.push('kind: task', 'name: x')
  if (r() < 0.95) {
    lines.push('spec:')
    map(2, 1)
  }
  if (r() < 0.3) lines.push(`description: ${pick(SCALARS)}`)
  return `${lines.join('\n')}\n`
}

test('references found in the tree are those findReferences finds in the value readYaml builds', () => {
  const r = random(9127)
  let taken = 0
  let found = 0
  for (let round = 0; round < 600; round++) {
    const text = item(r)
    for (const schema of SCHEMAS) {
      if (check(schema, text)) taken++
      found += findReferences(schema, writtenItemValue(encode(text))?.spec).length
    }
  }
  expect(taken).toBeGreaterThan(600 * SCHEMAS.length * 0.9)
  expect(found).toBeGreaterThan(1200)
})

test('a map of many keys: each key once (a key again is declined, as readYaml refuses it), in the order written', () => {
  const keys = Array.from({ length: 40 }, (_, i) => `key${i}`)
  const text = `kind: task\nspec:\n${keys.map((k) => `  ${k}: ${k}-target`).join('\n')}\n`
  const schema = { type: 'object', additionalProperties: ref('any') }
  expect(check(schema, text)).toBe(true)
  expect(findReferences(schema, writtenItemTree(encode(text))!.get('spec')).map((f) => f.name)).toEqual(keys.map((k) => `${k}-target`))
  for (const again of [1, 15, 16, 17, 39]) {
    const twice = `kind: task\nspec:\n${[...keys, keys[again]].map((k) => `  ${k}: x`).join('\n')}\n`
    expect(writtenItemTree(encode(twice)), `key${again} again`).toBeUndefined()
    expect(readYaml('definitions/task/x.yaml', encode(twice)).parsed, `key${again} again`).toBeUndefined()
  }
})

test('an item without spec, or whose spec is a scalar, an empty map or list, finds what findReferences finds', () => {
  for (const text of ['kind: task\nname: x\n', 'kind: task\nspec: x\n', 'kind: task\nspec: {}\n', 'kind: task\nspec: []\n', 'kind: task\nspec: null\n', 'spec:\n  - a\n  - b\n'])
    for (const schema of SCHEMAS) expect(check(schema, text), text).toBe(true)
  expect(new OrderedMap(['a'], [1]).get('toString')).toBeUndefined()
})
