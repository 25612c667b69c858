import { describe, expect, test } from 'vitest'
import { canonicalCompact, canonicalDocument, canonicalForm, canonicalJson } from '../../src/core/bundle/canonical-json.js'

// Bundles copy each document once into canonical order (canonicalDocument, without asking at every level
// whether a part is a copy already): the bytes must be those canonicalForm gives, whatever the document holds.

const documents: unknown[] = [
  { spec: { z: 1, a: [3, { y: true, b: null }], '10': 'ten', '9': 'nine', é: 'e acute', E: 'upper' }, name: 'n', kind: 'task' },
  { kind: 'task', name: 'gaps', spec: { list: [[], {}, [[1, { c: 2, a: 1 }]]], skipped: undefined, empty: '' } },
  { kind: 'conn', name: 'numbers', spec: { big: 1e21, small: -0.5, zero: 0, text: 'line\nbreak "quoted"' } },
  [{ b: 1, a: 2 }, 'x', 3],
  'plain',
  null,
]

describe('canonicalDocument', () => {
  test.each(documents.map((doc, i) => ({ doc, i })))('copies document $i in the order and to the bytes of canonicalForm', ({ doc }) => {
    const copy = canonicalDocument(doc)
    expect(canonicalCompact(copy)).toBe(canonicalCompact(canonicalForm(doc)))
    expect(canonicalJson({ items: { 'task/x': { document: copy } } })).toBe(canonicalJson({ items: { 'task/x': { document: canonicalForm(doc) } } }))
    expect(JSON.stringify(copy)).toBe(canonicalCompact(doc))
  })

  test('leaves the document as it was', () => {
    const doc = { spec: { b: [1, { d: 1, c: 2 }], a: 1 }, kind: 'task' }
    const before = JSON.stringify(doc)
    const copy = canonicalDocument(doc)
    expect(JSON.stringify(doc)).toBe(before)
    expect(copy).not.toBe(doc)
    expect(Object.keys(copy)).toEqual(['kind', 'spec'])
  })
})
