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

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) out[key] = sortKeys(v)
    }
    return out
  }
  return value
}

export function sha256(data: string | Uint8Array): `sha256:${string}` {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}
