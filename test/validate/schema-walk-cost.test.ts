import { describe, expect, test } from 'vitest'
import { duplicateJsonKeys, kindSchemaProblems } from '../../src/core/schema/kind-schema-limits.js'

// The checks every kind schema goes through in every run are written to do little work on a schema without
// problems: keys written twice are first counted (text against parsed value), and each schema object's own keys
// are looked up among the keywords that hold subschemas. What they find, and in which order, is as before.

describe('keys written twice in a kind schema: the count before the scan', () => {
  const texts: [string, string][] = [
    ['no object', '[1, "a", null]'],
    ['one key', '{"a": 1}'],
    ['the same key in two objects', '{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}'],
    ['a key twice', '{"a": 1, "b": 2, "a": 3}'],
    ['a key twice, deep in a list', '{"x": [[{"k": 1, "k": 2}]]}'],
    ['colons and quotes inside strings', '{"a:b": "c:d", "e": "\\":\\"", "f\\"": ":"}'],
    ['a colon-quote inside a value, then a key twice', '{"a": "\\": x", "b": 1, "b": 2}'],
    ['escaped backslashes before the closing quote', '{"a\\\\": "\\\\", "b": "\\\\\\\\", "a\\\\": 1}'],
    ['a key spelled with an escape, equal to another', '{"pattern": "^a$", "p\\u0061ttern": "^.*$"}'],
    ['keys differing only by an escape that decodes differently', '{"a\\u0062": 1, "ab\\u0000": 2}'],
    ['the empty key twice', '{"": 1, "": 2}'],
    ['a key equal to a value', '{"type": "object", "enum": ["type", "properties"]}'],
    ['whitespace around colons', '{ "a" :\n 1 ,\t"b"\r\n:\t{ "a" : 2 , "a" : 3 } }'],
    ['more than the limit of repeated keys', `{${Array.from({ length: 30 }, () => '"k": 1').join(', ')}}`],
  ]

  test.each(texts)('%s: the same keys and offsets as the scan alone', (_name, text) => {
    expect(duplicateJsonKeys(text, 20, JSON.parse(text))).toEqual(duplicateJsonKeys(text))
  })

  test('a key written twice is found whatever the strings before it hold', () => {
    const text = '{"v": "\\\\\\"", "w": "a\\":\\"b", "k": 1, "k": 2}'
    expect(duplicateJsonKeys(text, 20, JSON.parse(text))).toEqual([{ key: 'k', offset: text.lastIndexOf('"k"') }])
  })

  test('a value nested past the call stack is left to the scan', () => {
    const depth = 200_000
    const text = `${'{"a": '.repeat(depth)}1${'}'.repeat(depth)}`
    // JSON.stringify of the parsed value overflows the stack: the scan, which keeps no stack of calls, decides.
    const parsed = JSON.parse(text) as unknown
    expect(duplicateJsonKeys(text, 20, parsed)).toEqual([])
    const twice = `${'{"a": '.repeat(depth)}{"b": 1, "b": 2}${'}'.repeat(depth)}`
    expect(duplicateJsonKeys(twice, 20, JSON.parse(twice))).toEqual([{ key: 'b', offset: twice.lastIndexOf('"b"') }])
  })
})

describe('subschemas of a schema object: in the order of the keywords, whatever the order of its keys', () => {
  test('problems are listed in the order of the keywords that lead to them, not of the keys written', () => {
    const bad = (name: string) => ({ type: 'string', pattern: `^(?=${name})` })
    // Keys written in the reverse of the keyword order: map keywords, then list keywords, then single ones.
    const schema = {
      dependencies: { d: bad('dependencies') },
      properties: { p: bad('properties') },
      patternProperties: { '^x': bad('patternProperties') },
      oneOf: [bad('oneOf')],
      allOf: [bad('allOf')],
      else: bad('else'),
      not: bad('not'),
      additionalProperties: bad('additionalProperties'),
      items: [bad('items0'), bad('items1')],
    }
    const problems = kindSchemaProblems(schema, () => true)
    expect(problems.map((p) => p.path.join('/'))).toEqual([
      'items/0/pattern',
      'items/1/pattern',
      'additionalProperties/pattern',
      'not/pattern',
      'else/pattern',
      'allOf/0/pattern',
      'oneOf/0/pattern',
      'patternProperties/^x/pattern',
      'properties/p/pattern',
      'dependencies/d/pattern',
    ])
  })

  test('a map keyword holding a list, and a list keyword holding an object, hold no subschemas', () => {
    const bad = { type: 'string', pattern: '^(?=a)' }
    expect(kindSchemaProblems({ properties: [bad], anyOf: { a: bad }, dependencies: { d: ['a', 'b'] } }, () => true)).toEqual([])
    expect(kindSchemaProblems({ items: { properties: { a: bad } } }, () => true).map((p) => p.path.join('/'))).toEqual([
      'items/properties/a/pattern',
    ])
  })
})
