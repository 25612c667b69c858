/** Names of kinds, definitions, packages and environments: safe as file names, git ref components and
 * across case-insensitive file systems. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$/

export type ItemId = `${string}/${string}`

/**
 * Windows reserves these device names in every folder, with any extension (`con`, `nul.yaml`): a checkout
 * there cannot create such a file. Documented in "Naming Files, Paths, and Namespaces" (Win32 file naming).
 */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/

export function isWindowsDeviceName(value: string): boolean {
  return WINDOWS_DEVICE.test(value.toLowerCase())
}

export function isValidName(value: string): boolean {
  // `..` inside a name is legal by the pattern but unsafe in a git ref (`a..b`): refuse it too.
  return NAME_PATTERN.test(value) && !value.includes('..') && !value.endsWith('.lock') && !mayBeDeviceName(value)
}

/**
 * isWindowsDeviceName for a value that matches NAME_PATTERN (lower case already): a device name is three or
 * four characters, alone or before a ".", so most names are told apart without the expression.
 */
function mayBeDeviceName(value: string): boolean {
  return (value.length <= 4 || value.charCodeAt(3) === 0x2e || value.charCodeAt(4) === 0x2e) && WINDOWS_DEVICE.test(value)
}

export function explainInvalidName(value: string): string {
  if (value.length === 0) return 'the name is empty'
  if (value.length > 64) return `"${printable(value.slice(0, 20))}..." is longer than 64 characters`
  if (/[A-Z]/.test(value)) return `"${printable(value)}" has upper-case letters`
  if (value.includes('..')) return `"${printable(value)}" contains ".."`
  if (value.endsWith('.lock')) return `"${printable(value)}" ends with ".lock"`
  if (/[^a-z0-9._-]/.test(value)) return `"${printable(value)}" has characters other than a-z, 0-9, ".", "_" and "-"`
  if (isWindowsDeviceName(value)) return `"${value}" is a device name on Windows (con, prn, aux, nul, com1-9, lpt1-9), not usable as a file name there`
  return `"${printable(value)}" must start and end with a letter or digit`
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

/**
 * Characters from files that must never reach a terminal, a log or a review raw: C0 and C1 controls (escape
 * sequences can clear a screen or rewrite a line), the Unicode bidirectional controls (U+061C, U+200E/F,
 * U+202A-202E, U+2066-2069: "Trojan Source", CVE-2021-42574) and the invisible zero-width characters
 * (U+200B-200D, U+2060, U+FEFF), which make two different names look alike.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g
// eslint-disable-next-line no-control-regex
const UNSAFE_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/** A one-line value for a message: every unsafe character, line breaks and tabs included, shown as `\uXXXX`. */
export function printable(value: string): string {
  return value.replace(UNSAFE, escapeChar)
}

/** Multi-line text (notes, instructions, whole outputs): as `printable`, but line breaks and tabs are kept. */
export function printableText(value: string): string {
  return value.replace(UNSAFE_BUT_LAYOUT, escapeChar)
}

/**
 * JSON text with the same characters written as JSON escapes (`\u202e`): the value parses back unchanged, and
 * the text shown in a terminal or a log carries nothing raw. JSON.stringify already escapes C0.
 */
export function printableJson(json: string): string {
  return json.replace(UNSAFE, escapeChar)
}

/** Whether a UTF-16 code unit is a high (from 0xd800) or a low (from 0xdc00) surrogate: a text cut there splits a pair. */
export function isSurrogate(code: number, from: 0xd800 | 0xdc00): boolean {
  return code >= from && code <= from + 0x3ff
}
