import { digestOf } from '../hash.js'

/** JSON with object keys sorted at every level, two-space indented, ending in a newline: the same data
 * always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`
}

/** The compact form, used for item digests. */
export function canonicalCompact(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

/**
 * Copies made by canonicalForm, already in canonical order: met again (a document inside the bundle that
 * holds it), they are used as they are instead of copied once more. Nothing changes them after they are
 * made. Only the copy itself is remembered, not each object inside it: those are met only through it.
 */
const sorted = new WeakSet<object>()

function sortKeys(value: unknown): unknown {
  if (value && typeof value === 'object' && sorted.has(value)) return value
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of sortedKeys(value)) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) out[key] = sortKeys(v)
    }
    return out
  }
  return value
}

/**
 * canonicalForm of data that holds no copy made by it (a document as the loader parsed it): the same copy,
 * made without asking at every level whether a part is one already.
 */
export function canonicalDocument<T>(value: T): T {
  const out = copySorted(value)
  if (out && typeof out === 'object') sorted.add(out)
  return out as T
}

/**
 * `value` as it is, made by the caller in canonical order at every level (keys inserted sorted): taken as
 * it is, not copied, wherever the serializers here meet it.
 */
export function canonicalAsIs<T extends object>(value: T): T {
  sorted.add(value)
  return value
}

/**
 * `value` with its keys in canonical order at every level. A plain array or object in canonical order already,
 * all the way down, is taken as it is rather than copied (the lists of names most definitions hold, maps
 * written in order): JSON.stringify writes the same bytes for it as for a copy, and nothing changes a document
 * once loaded. Anything else is copied as always: what is not a plain array or object (the copy of a Date is
 * `{}`), an array with holes, a map with keys out of order, or holding `undefined` (left out of the copy) or a
 * `__proto__` key (which the copy takes as its prototype).
 */
function copySorted(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    const length = value.length
    let out: unknown[] | undefined = Object.getPrototypeOf(value) === Array.prototype ? undefined : new Array(length)
    for (let i = 0; i < length; i++) {
      const v: unknown = value[i]
      const copy = copySorted(v)
      if (out === undefined && (copy !== v || (v === undefined && !(i in value)))) {
        // The elements before were taken as they are: so they are in the copy.
        out = new Array(length)
        for (let j = 0; j < i; j++) out[j] = value[j]
      }
      if (out !== undefined) out[i] = copy
    }
    return out ?? value
  }
  const keys = Object.keys(value)
  let out: Record<string, unknown> | undefined = sortInPlace(keys) && Object.getPrototypeOf(value) === Object.prototype ? undefined : {}
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const v = (value as Record<string, unknown>)[key]
    const copy = copySorted(v)
    if (out === undefined && (copy !== v || v === undefined || key === '__proto__')) {
      // The values before were taken as they are, none undefined, no key `__proto__`: so they are in the copy.
      out = {}
      for (let j = 0; j < i; j++) out[keys[j]!] = (value as Record<string, unknown>)[keys[j]!]
    }
    if (out !== undefined && copy !== undefined) out[key] = copy
  }
  return out ?? value
}

/** The keys of an object in canonical order (see sortInPlace). */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value)
  sortInPlace(keys)
  return keys
}

/**
 * Sorts keys in canonical order, by UTF-16 code unit as Array.prototype.sort orders strings, in place; true
 * when they were in that order already. A document's objects have a few keys each: sorted by insertion, which
 * for so few costs a fraction of sort() with its default comparison (the keys converted and compared as
 * strings again); many keys are left to sort().
 */
function sortInPlace(keys: string[]): boolean {
  let moved = false
  if (keys.length > 16) {
    for (let i = 1; i < keys.length && !moved; i++) moved = keys[i - 1]! > keys[i]!
    if (moved) keys.sort()
    return !moved
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!
    let j = i - 1
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!
    if (j !== i - 1) moved = true
    keys[j + 1] = key
  }
  return !moved
}

/** `value` with its keys in canonical order at every level: a copy to keep and serialize many times, unchanged. */
export function canonicalForm<T>(value: T): T {
  const out = sortKeys(value)
  if (out && typeof out === 'object') sorted.add(out)
  return out as T
}

export function sha256(data: string | Uint8Array): `sha256:${string}` {
  return `sha256:${digestOf('sha256', data, 'hex')}`
}
