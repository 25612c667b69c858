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
})
