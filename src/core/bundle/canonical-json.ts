import * as crypto from 'node:crypto'
import { createHash } from 'node:crypto'

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

function copySorted(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length)
    for (let i = 0; i < value.length; i++) out[i] = copySorted(value[i])
    return out
  }
  const keys = sortedKeys(value)
  const out: Record<string, unknown> = {}
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) out[key] = copySorted(v)
  }
  return out
}

/**
 * The keys of an object in canonical order: by UTF-16 code unit, as Array.prototype.sort orders strings.
 * A document's objects have a few keys each: sorted in place by insertion, which for so few costs a
 * fraction of sort() with its default comparison (the keys converted and compared as strings again); many
 * keys are left to sort().
 */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value)
  if (keys.length > 16) return keys.sort()
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!
    let j = i - 1
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!
    keys[j + 1] = key
  }
  return keys
}

/** `value` with its keys in canonical order at every level: a copy to keep and serialize many times, unchanged. */
export function canonicalForm<T>(value: T): T {
  const out = sortKeys(value)
  if (out && typeof out === 'object') sorted.add(out)
  return out as T
}

export function sha256(data: string | Uint8Array): `sha256:${string}` {
  // The one-shot hash (Node 20.12 and later) costs a quarter of a Hash object for a small input, and
  // thousands of items are hashed per build; older Nodes make the object.
  return `sha256:${oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex')}`
}

const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash
