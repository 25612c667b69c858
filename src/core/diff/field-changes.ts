import { canonicalCompact } from '../bundle/canonical-json.js'

export interface FieldChange {
  /** Dotted path of the field, e.g. `spec.url`. */
  path: string
  from?: unknown
  to?: unknown
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** The fields that differ between two documents, old -> new, by dotted path; arrays compare whole. */
export function fieldChanges(a: unknown, b: unknown, prefix = ''): FieldChange[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    return keys.flatMap((k) => fieldChanges(a[k], b[k], prefix ? `${prefix}.${k}` : k))
  }
  if (canonicalCompact(a) === canonicalCompact(b)) return []
  return [{ path: prefix, ...(a !== undefined ? { from: a } : {}), ...(b !== undefined ? { to: b } : {}) }]
}
