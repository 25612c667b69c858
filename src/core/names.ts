/** Names of kinds, definitions, packages and environments: safe as file names, git ref components and
 * across case-insensitive file systems. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/

export type ItemId = `${string}/${string}`

export function isValidName(value: string): boolean {
  // `..` inside a name is legal by the pattern but unsafe in a git ref (`a..b`): refuse it too.
  return NAME_PATTERN.test(value) && !value.includes('..') && !value.endsWith('.lock')
}

export function explainInvalidName(value: string): string {
  if (value.length === 0) return 'the name is empty'
  if (value.length > 64) return `"${value.slice(0, 20)}..." is longer than 64 characters`
  if (/[A-Z]/.test(value)) return `"${value}" has upper-case letters`
  if (value.includes('..')) return `"${value}" contains ".."`
  if (value.endsWith('.lock')) return `"${value}" ends with ".lock"`
  if (/[^a-z0-9._-]/.test(value)) return `"${printable(value)}" has characters other than a-z, 0-9, ".", "_" and "-"`
  return `"${value}" must start and end with a letter or digit`
}

export function parseItemId(value: string): { kind: string; name: string } | undefined {
  const slash = value.indexOf('/')
  if (slash < 0 || value.indexOf('/', slash + 1) >= 0) return undefined
  const kind = value.slice(0, slash)
  const name = value.slice(slash + 1)
  if (!isValidName(kind) || !isValidName(name)) return undefined
  return { kind, name }
}

export function itemId(kind: string, name: string): ItemId {
  return `${kind}/${name}`
}

/** Control characters shown escaped, so a message never carries them raw. */
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
