import { describe, expect, test } from 'vitest'
import { findReferences } from '../../src/core/schema/references.js'

/*
 * findReferences walks a kind schema alongside a spec: a string under a node marked `x-gantry-ref` names a
 * definition of that kind. Tested directly here; test/validate/codes.test.ts checks the same through validate.
 */

const ref = (kind: string) => ({ type: 'string', 'x-gantry-ref': kind })

describe('findReferences', () => {
  test('in every alternative of allOf, anyOf and oneOf, not only the first; each path once', () => {
    const schema = {
      type: 'object',
      properties: {
        any: { anyOf: [{ type: 'integer' }, ref('task')] },
        one: { oneOf: [{ type: 'boolean' }, { type: 'null' }, ref('conn')] },
        all: { allOf: [{ type: 'string' }, ref('cred'), ref('cred')] },
      },
    }
    expect(findReferences(schema, { any: 'nightly', one: 'db', all: 'vault' })).toEqual([
      { path: ['spec', 'any'], kind: 'task', name: 'nightly' },
      { path: ['spec', 'one'], kind: 'conn', name: 'db' },
      { path: ['spec', 'all'], kind: 'cred', name: 'vault' },
    ])
  })

  test('through local $refs, additionalProperties and list items, with the path of each value', () => {
    const schema = {
      $defs: { conn: ref('conn') },
      type: 'object',
      properties: { steps: { type: 'array', items: { type: 'object', properties: { uses: { $ref: '#/$defs/conn' } } } } },
      additionalProperties: ref('task'),
    }
    expect(findReferences(schema, { steps: [{ uses: 'a' }, { uses: 'b' }], then: 'cleanup' })).toEqual([
      { path: ['spec', 'steps', 0, 'uses'], kind: 'conn', name: 'a' },
      { path: ['spec', 'steps', 1, 'uses'], kind: 'conn', name: 'b' },
      { path: ['spec', 'then'], kind: 'task', name: 'cleanup' },
    ])
  })

  test('values are never guessed at: a string where the schema names no reference is none', () => {
    const schema = { type: 'object', properties: { note: { type: 'string' }, uses: ref('conn') } }
    expect(findReferences(schema, { note: 'conn/db', uses: 42 })).toEqual([])
  })

  test('a schema that refers to itself: every level of the value, down to the walk depth limit of 64', () => {
    const node = { type: 'object', properties: { uses: ref('task'), child: { $ref: '#/$defs/node' } } }
    const schema = { $defs: { node }, $ref: '#/$defs/node' }
    let spec: Record<string, unknown> = {}
    for (let level = 99; level >= 0; level--) spec = { uses: `t${level}`, child: spec }
    const found = findReferences(schema, spec)
    expect(found).toHaveLength(64)
    expect(found[63]).toEqual({ path: ['spec', ...Array<string>(63).fill('child'), 'uses'], kind: 'task', name: 't63' })
  })

  test('a key that properties holds with a value that is no schema is not walked by additionalProperties', () => {
    const schema = { type: 'object', properties: { plain: true, named: ref('conn') }, additionalProperties: ref('task') }
    expect(findReferences(schema, { plain: 'a', named: 'b', other: 'c' })).toEqual([
      { path: ['spec', 'named'], kind: 'conn', name: 'b' },
      { path: ['spec', 'other'], kind: 'task', name: 'c' },
    ])
  })

  test('the same subschema object in two kind schemas follows the $ref of each', () => {
    const shared = { $ref: '#/$defs/target' }
    const first = { $defs: { target: ref('task') }, properties: { uses: shared } }
    const second = { $defs: { target: ref('conn') }, properties: { uses: shared } }
    expect(findReferences(first, { uses: 'x' })).toEqual([{ path: ['spec', 'uses'], kind: 'task', name: 'x' }])
    expect(findReferences(second, { uses: 'x' })).toEqual([{ path: ['spec', 'uses'], kind: 'conn', name: 'x' }])
    // Asked again, each schema still gives its own answer.
    expect(findReferences(first, { uses: 'y' })).toEqual([{ path: ['spec', 'uses'], kind: 'task', name: 'y' }])
  })

  test('list items: each element by its index, a hole in a sparse list skipped', () => {
    const schema = { type: 'object', properties: { steps: { type: 'array', items: ref('task') } } }
    // eslint-disable-next-line no-sparse-arrays
    expect(findReferences(schema, { steps: ['a', , 'c', 4] })).toEqual([
      { path: ['spec', 'steps', 0], kind: 'task', name: 'a' },
      { path: ['spec', 'steps', 2], kind: 'task', name: 'c' },
    ])
  })
})
