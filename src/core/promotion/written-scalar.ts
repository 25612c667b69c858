/**
 * The keys and scalars of the YAML Gantry writes (ledgers, installed items), as the readers that take that
 * form without a YAML parser (ledger-read.ts, item-read.ts) take them: only spellings whose value under
 * YAML 1.2's core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution) is certain, and that the full
 * read finds nothing wrong with; anything else is left to the full read.
 */

/** Whatever is not printable ASCII or \n. */
export const NOT_TAKEN = /[^\x20-\x7e\n]/
/** The longest line taken: an implicit key ends at most 1024 characters after it starts (https://yaml.org/spec/1.2.2/#rule-ns-s-implicit-yaml-key). */
export const MAX_LINE = 1024

/** The null and boolean spellings of the core schema, and the keys that reach an object's prototype. */
const RESERVED = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '__proto__', 'constructor', 'prototype'])
const WORD = /^[A-Za-z][A-Za-z0-9]*$/

/** A key that is a word of letters and digits starting with a letter, none of the reserved spellings. */
export const isWordKey = (key: string): boolean => WORD.test(key) && !RESERVED.has(key)

const DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/
/** The core schema's decimal ints and floats, for a scalar starting with a digit. */
const INT_OR_FLOAT = /^[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/

/**
 * A scalar as written after `: ` or `- `, or undefined when it is not taken: `"text"` without `"` or `\` in
 * it; `null`, `true`, `false`; a decimal integer of up to 15 digits without leading zeros; or a plain string
 * that `plain` matches (the reader's alphabet), that does not end with a space or `:` and holds no `: `, and
 * that the core schema reads as no number (a version like 1.2.3 or a commit id is a string).
 */
export function writtenScalar(written: string, plain: RegExp): unknown {
  const first = written.charCodeAt(0)
  if (first === 0x22) {
    // "text": without `\` there is no escape, without `"` inside it ends at the last character.
    const inner = written.slice(1, -1)
    return written.length >= 2 && written.charCodeAt(written.length - 1) === 0x22 && !inner.includes('"') && !inner.includes('\\') ? inner : undefined
  }
  // A space at the end is no part of a plain scalar; `: ` would start a map; `:` at the end too.
  if (!plain.test(written) || written.endsWith(' ') || written.endsWith(':') || written.includes(': ')) return undefined
  if (written === 'null') return null
  if (written === 'true') return true
  if (written === 'false') return false
  // Other spellings of null and booleans are taken by the full read.
  if (RESERVED.has(written)) return undefined
  if (first >= 0x30 && first <= 0x39) {
    if (DECIMAL.test(written)) return Number(written)
    // Any other number of the core schema (1e5, 0x1f, 0o7, 007, 1.5): the full read.
    if (INT_OR_FLOAT.test(written) || written.startsWith('0x') || written.startsWith('0o')) return undefined
  }
  return written
}
