/**
 * Canonical JSON written apart from src/core/bundle, for tests to check the bundle's bytes against (SPEC
 * section 5: keys sorted at every level). Keys that read as array indexes come first by number, as any
 * JavaScript object lists them; the others by UTF-16 code unit, compared here by hand rather than by sort().
 */
const INDEX = /^(0|[1-9][0-9]*)$/

export function referenceKeys(value: object): string[] {
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined)
  const byUnit = (a: string, b: string) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = a.charCodeAt(i) - b.charCodeAt(i)
      if (d !== 0) return d
    }
    return a.length - b.length
  }
  const indexes = keys
    .filter((k) => INDEX.test(k) && Number(k) < 2 ** 32 - 1)
    .sort((a, b) => Number(a) - Number(b))
  return [...indexes, ...keys.filter((k) => !indexes.includes(k)).sort(byUnit)]
}

function reference(value: unknown, indent: string | undefined, depth = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  const pad = indent === undefined ? '' : `\n${indent.repeat(depth + 1)}`
  const end = indent === undefined ? '' : `\n${indent.repeat(depth)}`
  const colon = indent === undefined ? ':' : ': '
  const parts = Array.isArray(value)
    ? value.map((v) => reference(v === undefined ? null : v, indent, depth + 1))
    : referenceKeys(value).map(
        (k) =>
          `${JSON.stringify(k)}${colon}${reference((value as Record<string, unknown>)[k], indent, depth + 1)}`,
      )
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  return parts.length === 0 ? `${open}${close}` : `${open}${pad}${parts.join(`,${pad}`)}${end}${close}`
}

/** The bundle file's form: two-space indentation and a final newline. */
export const referenceJson = (value: unknown): string => `${reference(value, '  ')}\n`
/** The digests' form: no whitespace. */
export const referenceCompact = (value: unknown): string => reference(value, undefined)
