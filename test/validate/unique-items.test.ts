import { describe, expect, test } from 'vitest'
import { canonicalCompact } from '../../src/core/bundle/canonical-json.js'
import { duplicateItems } from '../../src/core/schema/unique-items.js'

/** The first duplicate as one map per list finds it: scalars keyed by themselves (SameValueZero), the rest by canonical JSON. */
function byMap(data: readonly unknown[]): [number, number] | undefined {
  const seen = new Map<unknown, number>()
  for (let j = 0; j < data.length; j++) {
    const item = data[j]
    const key = item !== null && typeof item === 'object' ? `json:${canonicalCompact(item)}` : item
    const i = seen.get(key)
    if (i !== undefined) return [i, j]
    seen.set(key, j)
  }
  return undefined
}

// Values that are equal or not in subtle ways: NaN is equal to NaN, 0 to -0, 1 is not "1", null is not "null".
const VALUES: unknown[] = [0, -0, 1, '1', '0', NaN, null, 'null', true, 'true', false, '', 'a', 'A', 'a ', undefined, 1.5, Infinity, -Infinity]
const OBJECTS: unknown[] = [{ a: 1, b: 2 }, { b: 2, a: 1 }, [1, 2], [2, 1], {}, [], { a: [1, { c: 'x' }] }, { a: [1, { c: 'x' }] }]

let seed = 12345
const random = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n
}

describe('duplicateItems', () => {
  test('short lists of scalars, compared pair by pair, find the same first pair as a map', () => {
    for (let round = 0; round < 20_000; round++) {
      const length = random(18)
      const list = Array.from({ length }, () => VALUES[random(VALUES.length)])
      expect(duplicateItems(list), JSON.stringify(list)).toEqual(byMap(list))
    }
  })

  test('lists with maps and lists, and long lists, as a map finds them', () => {
    for (let round = 0; round < 5_000; round++) {
      const length = random(40)
      const pool = random(2) === 0 ? [...VALUES, ...OBJECTS] : VALUES
      const list = Array.from({ length }, () => pool[random(pool.length)])
      expect(duplicateItems(list), JSON.stringify(list)).toEqual(byMap(list))
    }
  })

  test('the pairs a reader sees', () => {
    expect(duplicateItems(['a', 'b', 'c', 'b', 'a'])).toEqual([1, 3])
    expect(duplicateItems([NaN, 1, NaN])).toEqual([0, 2])
    expect(duplicateItems([0, -0])).toEqual([0, 1])
    expect(duplicateItems([1, '1', true, 'true'])).toBeUndefined()
    expect(duplicateItems([{ a: 1, b: 2 }, 'x', { b: 2, a: 1 }])).toEqual([0, 2])
    expect(duplicateItems(Array.from({ length: 17 }, (_, i) => `n${i % 16}`))).toEqual([0, 16])
  })
})
