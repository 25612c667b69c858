import { OrderedMap } from '../schema/references.js'
import { DEFAULT_YAML_LIMITS } from '../yaml/read-yaml.js'
import { MAX_LINE, NOT_TAKEN, isWordKey, writtenScalar } from './written-scalar.js'

/**
 * The value of an item file written the way Gantry's apply writes items (renderItemFile: block maps and block
 * lists at two spaces of indentation, plain or double-quoted scalars, `[]` and `{}` when empty), read without a
 * YAML parser; or undefined, and the file takes the full read (readYaml).
 *
 * Status finds the references of every installed item of a kind that can refer to anything: thousands of
 * files on each branch. This read only ever answers "this is the value readYaml would build, and readYaml
 * would find nothing wrong with the text", else it declines. It takes only:
 * - printable ASCII and line breaks (`\n` only, the last character one): no tab, no carriage return, no byte
 *   order mark; no line over 1024 characters (an implicit key's limit, https://yaml.org/spec/1.2.2/#rule-ns-s-implicit-yaml-key);
 * - a block map at the top; under `<key>:`, a block map or a block list two spaces further in; in a list,
 *   `- <scalar>`, `- []`, `- {}`, or `- <key>: ...` starting a map whose other keys are two spaces further in
 *   than the dash; at most MAX_DEPTH levels (far below the nesting limit of the full read);
 * - keys that are words of letters and digits starting with a letter, no null or boolean spelling, none that
 *   reaches a prototype (the full read refuses those), each once in its map (it refuses a duplicate key);
 * - scalars: `"text"` without `"` or `\` in it (the text itself); `null`, `true`, `false`; a decimal integer of
 *   up to 15 digits without leading zeros; or a plain string that starts with a letter, a digit or `/`, holds
 *   only letters, digits, spaces and `._:/@+-()*=>`, does not end with a space or `:`, holds no `: `, and that
 *   the core schema reads as no number (https://yaml.org/spec/1.2.2/#1032-tag-resolution);
 * - nothing else: comments, empty lines, document markers, directives, anchors, aliases, tags, block scalars,
 *   single quotes, flow collections with content, a list at the indentation of its key;
 * - fewer `[` and `{` not closed right after (`[]`, `{}`) than the full read's nesting limit: the full read
 *   measures the flow nesting of a text with more `[` and `{` than the limit, counting those of double-quoted
 *   values too (`"[[["`), and refuses it past the limit. Each `[]` and `{}` is closed before the next opens, so
 *   the nesting it measures is at most one more than the others.
 */
export function writtenItemValue(bytes: Uint8Array): Record<string, unknown> | undefined {
  const tree = writtenItemTree(bytes)
  return tree === undefined ? undefined : (plainValue(tree) as Record<string, unknown>)
}

/**
 * The value writtenItemValue reads, with each map an OrderedMap of its keys and values in the order of the
 * text (findReferences walks it as the value); undefined where writtenItemValue declines the text.
 */
export function writtenItemTree(bytes: Uint8Array): OrderedMap | undefined {
  const n = bytes.byteLength
  if (n === 0 || n > DEFAULT_YAML_LIMITS.maxBytes || bytes[n - 1] !== LF) return undefined
  // Only printable ASCII and \n: the text is the bytes, one character each.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1')
  if (NOT_TAKEN.test(text) || unclosedOpenings(text) >= DEFAULT_YAML_LIMITS.maxDepth) return undefined
  const reader = { text, at: 0 }
  if (indentation(text, 0) !== 0 || text.startsWith('- ')) return undefined
  const root = readMap(reader, 0, 0, 1)
  return root !== undefined && reader.at === n ? root : undefined
}

/** The value a tree stands for: each OrderedMap a plain object with its keys in its order. */
function plainValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainValue)
  if (!(value instanceof OrderedMap)) return value
  const map: Record<string, unknown> = {}
  value.keys.forEach((key, at) => (map[key] = plainValue(value.values[at])))
  return map
}

/** How many `[` and `{` the text holds that the next character does not close (`[]` and `{}` are not counted). */
function unclosedOpenings(text: string): number {
  let count = 0
  for (let i = text.indexOf('[', 0); i >= 0; i = text.indexOf('[', i + 1)) if (text.charCodeAt(i + 1) !== 0x5d) count++
  for (let i = text.indexOf('{', 0); i >= 0; i = text.indexOf('{', i + 1)) if (text.charCodeAt(i + 1) !== 0x7d) count++
  return count
}

const LF = 0x0a
const SPACE = 0x20
/** The deepest nesting taken (the full read allows 64 levels). */
const MAX_DEPTH = 16

type Reader = { text: string; at: number }

/** The number of spaces at `at`. */
function indentation(text: string, at: number): number {
  let i = at
  while (text.charCodeAt(i) === SPACE) i++
  return i - at
}

/** Where the line holding `from` ends (its \n), or -1 when it is longer than MAX_LINE. */
function lineEnd(text: string, lineStart: number, from: number): number {
  const end = text.indexOf('\n', from)
  return end < 0 || end - lineStart > MAX_LINE ? -1 : end
}

/**
 * The block map whose keys are `indent` spaces in, its first key at `first` (after a list's `- `, or at the
 * line's indentation); reader.at is at the start of that key's line. Ends at the first line indented less.
 */
function readMap(reader: Reader, indent: number, first: number, depth: number): OrderedMap | undefined {
  if (depth > MAX_DEPTH) return undefined
  const { text } = reader
  const keys: string[] = []
  const values: unknown[] = []
  // The keys as a set once there are many: each key is looked for among those before it.
  let seen: Set<string> | undefined
  let keyAt = first
  let lineStart = reader.at
  for (;;) {
    const end = lineEnd(text, lineStart, keyAt)
    if (end < 0) return undefined
    const colon = text.indexOf(':', keyAt)
    if (colon < 0 || colon > end) return undefined
    const key = text.slice(keyAt, colon)
    if (!isWordKey(key) || (seen ? seen.has(key) : keys.includes(key))) return undefined
    keys.push(key)
    if (seen) seen.add(key)
    else if (keys.length > 16) seen = new Set(keys)
    if (colon + 1 < end) {
      // `<key>: <scalar>` on one line.
      if (text.charCodeAt(colon + 1) !== SPACE) return undefined
      const value = scalarOrEmpty(text.slice(colon + 2, end))
      if (value === undefined) return undefined
      values.push(value)
      reader.at = end + 1
    } else {
      // `<key>:` then a block map or list two spaces further in (nothing below is null to YAML: not written).
      reader.at = end + 1
      const inner = indent + 2
      if (reader.at >= text.length || indentation(text, reader.at) !== inner) return undefined
      const start = reader.at + inner
      const value = text.startsWith('- ', start) ? readList(reader, inner, depth + 1) : readMap(reader, inner, start, depth + 1)
      if (value === undefined) return undefined
      values.push(value)
    }
    // The next key of this map, or its end: a line indented less (or the end of the text).
    if (reader.at >= text.length) return new OrderedMap(keys, values)
    const next = indentation(text, reader.at)
    if (next < indent) return new OrderedMap(keys, values)
    // Deeper than a key of this map (a continuation line), or a list item at a key's indentation: not written.
    if (next > indent || text.startsWith('- ', reader.at + next)) return undefined
    lineStart = reader.at
    keyAt = reader.at + indent
  }
}

/** The block list whose dashes are `indent` spaces in; reader.at is at the start of its first line. */
function readList(reader: Reader, indent: number, depth: number): unknown[] | undefined {
  if (depth > MAX_DEPTH) return undefined
  const { text } = reader
  const list: unknown[] = []
  while (reader.at < text.length && indentation(text, reader.at) === indent && text.startsWith('- ', reader.at + indent)) {
    const lineStart = reader.at
    const content = lineStart + indent + 2
    if (MAP_ENTRY.test(text.slice(content, Math.min(text.indexOf('\n', content), content + MAX_LINE)))) {
      // `- <key>: ...`: a map, its other keys two spaces further in than the dash.
      const map = readMap(reader, indent + 2, content, depth + 1)
      if (map === undefined) return undefined
      list.push(map)
    } else {
      const end = lineEnd(text, lineStart, content)
      if (end < 0) return undefined
      const value = scalarOrEmpty(text.slice(content, end))
      if (value === undefined) return undefined
      list.push(value)
      reader.at = end + 1
    }
  }
  // A line indented deeper than the dashes right after an item: not written.
  if (reader.at < text.length && indentation(text, reader.at) > indent) return undefined
  return list
}

/** A list item that is a map: a key (as isWordKey takes it, checked there) followed by `:` and a space or the line's end. */
const MAP_ENTRY = /^[A-Za-z][A-Za-z0-9]*:(?: |$)/

/** The plain scalars taken (see writtenScalar). */
const PLAIN = /^[A-Za-z0-9/][A-Za-z0-9 ._:/@+()*=>-]*$/

/** A value as written after `: ` or `- ` (undefined when this read does not take it). */
function scalarOrEmpty(written: string): unknown {
  if (written === '[]') return []
  if (written === '{}') return new OrderedMap([], [])
  return writtenScalar(written, PLAIN)
}
