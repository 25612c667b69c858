import { canonicalCompact } from '../bundle/canonical-json.js'

/**
 * The first pair of equal items of a list, in linear time: `[i, j]` with item `j` equal to the earlier item
 * `i`, or undefined. Ajv's own `uniqueItems` compares every pair of items unless `items` declares only scalar
 * types (20,000 objects: 27 s); here each item is keyed by its canonical JSON (keys sorted, so equal values in
 * the sense of JSON Schema give equal keys) and looked up in a map.
 */
export function duplicateItems(data: readonly unknown[]): [number, number] | undefined {
  if (data.length < 2) return undefined
  if (data.length <= PAIRWISE_MAX && data.every(isScalar)) {
    // Short lists of names (labels, hosts: most lists a schema checks) compared pair by pair, as the map below
    // would key them (SameValueZero: NaN equals NaN, 0 equals -0, 1 is not "1"), without making two maps.
    for (let j = 1; j < data.length; j++) {
      const b = data[j]
      for (let i = 0; i < j; i++) {
        const a = data[i]
        if (a === b || (a !== a && b !== b)) return [i, j]
      }
    }
    return undefined
  }
  // Strings, numbers, booleans and null are keyed by themselves (a Map tells 1 from "1"), maps and lists by
  // their canonical JSON, in a map of their own: most lists are of names, and need no JSON at all.
  const seen = new Map<unknown, number>()
  const seenJson = new Map<string, number>()
  for (let j = 0; j < data.length; j++) {
    const item: unknown = data[j]
    const composite = item !== null && typeof item === 'object'
    const key = composite ? canonicalCompact(item) : item
    const map = (composite ? seenJson : seen) as Map<unknown, number>
    const i = map.get(key)
    if (i !== undefined) return [i, j]
    map.set(key, j)
  }
  return undefined
}

/** Lists up to this long, of scalars only, are compared pair by pair (at most 120 comparisons). */
const PAIRWISE_MAX = 16

const isScalar = (item: unknown): boolean => item === null || typeof item !== 'object'
