/**
 * The value of a YAML file written in a plain subset, read without a YAML parser, or undefined for any text
 * outside it (the caller then reads the file with readYaml, which has the last word). Drift asks the
 * references of every installed item on every environment branch; most items are a few lines of keys and
 * simple values, and a full parse of each costs more than the rest of the check.
 *
 * The subset, where YAML 1.2 (core schema) has one reading and readYaml reports nothing:
 * - ASCII text without tabs or carriage returns, lines of `key: value`, `key:` opening a nested mapping or a
 *   block sequence (more indented), and `- value` items of such a sequence;
 * - keys: a letter then letters, digits, `_` and `-`, never a key of the core schema's booleans or null,
 *   nor one that reaches an object's prototype; no key twice in a mapping;
 * - values: decimal integers (a number), `true` and `false`, double- or single-quoted text without escapes or the quote inside,
 *   plain text that starts with a letter or `/` and holds no `#`, no `: ` and no trailing space or colon, and
 *   flow sequences `[a, b]` of such plain words without spaces or colons;
 * - no comment, document marker, directive, anchor, alias, tag, block scalar, multi-line scalar or null.
 * Anything else, however valid, is left to the parser.
 */
export function readPlainYaml(bytes: Uint8Array, maxBytes: number, maxDepth: number): unknown {
  if (bytes.byteLength === 0 || bytes.byteLength > maxBytes) return undefined
  // Any byte outside printable ASCII and line feeds (a bad UTF-8 sequence decodes to U+FFFD) is left out.
  const text = DECODER.decode(bytes)
  if (NOT_ASCII.test(text)) return undefined
  const lines = text.split('\n')
  type Frame = { indent: number; map?: Record<string, unknown>; list?: unknown[] }
  const root: Record<string, unknown> = {}
  const stack: Frame[] = [{ indent: 0, map: root }]
  // A `key:` without a value: what it holds is decided by the next line.
  let open: { parent: Record<string, unknown>; key: string; indent: number } | undefined
  let entries = 0
  for (const line of lines) {
    if (line === '') continue
    let indent = 0
    while (line.charCodeAt(indent) === 0x20) indent++
    const item = line.startsWith('- ', indent)
    if (open) {
      // Kept well inside the loader's nesting limit (a flow sequence is one level more).
      if (indent <= open.indent || stack.length >= maxDepth - 2) return undefined
      const frame: Frame = item ? { indent, list: [] } : { indent, map: {} }
      open.parent[open.key] = frame.list ?? frame.map
      stack.push(frame)
      open = undefined
    } else {
      while (stack.length > 1 && stack[stack.length - 1]!.indent > indent) stack.pop()
    }
    const top = stack[stack.length - 1]!
    if (top.indent !== indent) return undefined
    if (item) {
      if (!top.list) return undefined
      const value = scalar(line.slice(indent + 2))
      if (value === undefined) return undefined
      top.list.push(value)
      continue
    }
    if (!top.map) return undefined
    const match = KEY_LINE.exec(line.slice(indent))
    if (!match) return undefined
    const key = match[1]!
    if (SPECIAL_WORD.test(key) || key === 'constructor' || key === 'prototype' || Object.hasOwn(top.map, key)) return undefined
    entries++
    if (match[2] === undefined) {
      // Held open until the next line says mapping or sequence; the placeholder keeps the key's place.
      top.map[key] = null
      open = { parent: top.map, key, indent }
      continue
    }
    const value = match[2].startsWith('[') ? flowSequence(match[2]) : scalar(match[2])
    if (value === undefined) return undefined
    top.map[key] = value
  }
  // A key left without a value is null: left to the parser, like an empty file.
  return open || entries === 0 ? undefined : root
}

// A byte order mark is kept, and so declined below, rather than dropped.
const DECODER = new TextDecoder('utf-8', { ignoreBOM: true })
const NOT_ASCII = /[^\x20-\x7e\n]/
const KEY_LINE = /^([A-Za-z][A-Za-z0-9_-]*):(?:$| (.+)$)/
/** Words the core schema reads as booleans or null (and those YAML 1.1 did): never read here. */
const SPECIAL_WORD = /^(?:true|false|null|yes|no|on|off|y|n)$/i
const INTEGER = /^(?:0|[1-9][0-9]{0,14})$/
const PLAIN = /^[A-Za-z/][A-Za-z0-9 ._/=+@,()%:?-]*$/
const WORD = /^[A-Za-z0-9/][A-Za-z0-9._/@+=-]*$/

function scalar(text: string): string | number | boolean | undefined {
  const first = text.charCodeAt(0)
  if (first === 0x22 || first === 0x27) {
    // "..." or '...' with neither its quote nor a backslash inside: the text as written.
    const quote = text[0]!
    const inner = text.slice(1, -1)
    if (text.length < 2 || !text.endsWith(quote) || inner.includes(quote) || inner.includes('\\')) return undefined
    return inner
  }
  if (INTEGER.test(text)) return Number(text)
  // The core schema's booleans as written by most writers; True, FALSE and the like are left to the parser.
  if (text === 'true' || text === 'false') return text === 'true'
  if (!PLAIN.test(text) || SPECIAL_WORD.test(text) || text.endsWith(' ') || text.endsWith(':') || text.includes(': ')) return undefined
  return text
}

function flowSequence(text: string): unknown[] | undefined {
  if (!text.endsWith(']')) return undefined
  const inner = text.slice(1, -1)
  if (inner === '') return []
  const out: unknown[] = []
  for (const word of inner.split(', ')) {
    if (!WORD.test(word) || SPECIAL_WORD.test(word)) return undefined
    out.push(INTEGER.test(word) ? Number(word) : /^[0-9]/.test(word) ? undefined : word)
    if (out[out.length - 1] === undefined) return undefined
  }
  return out
}
