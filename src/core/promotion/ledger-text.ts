import { DEFAULT_YAML_LIMITS, ParsedYaml, type ReadYamlResult } from '../yaml/read-yaml.js'

/**
 * A ledger as Gantry writes it (renderLedger), read line by line: a status reads a ledger per package and
 * environment, thousands of them, each mostly its `items` and `delivered` maps of item ids to digests.
 *
 * Only a narrow form is taken, one whose YAML 1.2 value is certain without a parser: printable ASCII
 * lines, each ending with a line break, none empty; top-level `key: scalar`, `key: []` or `key: {}`, or
 * `key:` followed by a block of `  <kind>/<name>: scalar` or of `  - scalar`, or by nothing (null). A scalar
 * is double-quoted without escapes, or plain and made only of letters, digits and `._:/@+-`, starting with a
 * letter or digit; a plain scalar is `null`, `true`, `false`, a whole number of at most 15 digits without
 * leading zeros, or else a string when the core schema reads nothing else in it
 * (https://yaml.org/spec/1.2.2/#1032-tag-resolution: other spellings of null and booleans, octal,
 * hexadecimal and floating-point numbers are declined). Anything else, a repeated key, a key that names
 * a property every object has, a file over the size limit: undefined, and the caller reads the file with
 * readYaml, which finds and places every problem. What is taken is what readYaml's read would give, with
 * positions read again from the text when a finding asks for one.
 */
export function readWrittenLedger(file: string, bytes: Uint8Array): ReadYamlResult | undefined {
  if (bytes.byteLength === 0 || bytes.byteLength > DEFAULT_YAML_LIMITS.maxBytes || bytes[bytes.byteLength - 1] !== 0x0a) return undefined
  // Each byte one character: any byte outside printable ASCII and the line break is then found in the text.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  if (OUTSIDE.test(text)) return undefined
  const lines = text.split('\n')
  lines.pop()
  const root: Record<string, unknown> = {}
  let at = 0
  while (at < lines.length) {
    const top = TOP.exec(lines[at++]!)
    if (!top) return undefined
    const key = top[1]!
    if (!usableKey(key) || Object.hasOwn(root, key)) return undefined
    if (top[2] !== undefined) {
      const value = top[2] === '[]' ? [] : top[2] === '{}' ? {} : scalar(top[2])
      if (value === DECLINED) return undefined
      root[key] = value
      continue
    }
    const first = lines[at]
    if (first?.startsWith('  - ')) {
      const list: unknown[] = []
      while (lines[at]?.startsWith('  - ')) {
        const value = scalar(lines[at++]!.slice(4))
        if (value === DECLINED) return undefined
        list.push(value)
      }
      root[key] = list
    } else if (first?.startsWith('  ')) {
      const map: Record<string, unknown> = {}
      while (lines[at]?.startsWith('  ')) {
        const entry = ENTRY.exec(lines[at++]!)
        if (!entry || Object.hasOwn(map, entry[1]!)) return undefined
        const value = scalar(entry[2]!)
        if (value === DECLINED) return undefined
        map[entry[1]!] = value
      }
      root[key] = map
    } else {
      root[key] = null
    }
  }
  if (lines.some((line) => line.length > MAX_LINE)) return undefined
  return { parsed: new ParsedYaml(file, root, text, DEFAULT_YAML_LIMITS), diagnostics: [] }
}

const DECLINED = Symbol('declined')
const OUTSIDE = /[^\x20-\x7e\n]/
/** Most values of a ledger: a digest is a string to the core schema. */
const DIGEST = /^sha256:[0-9a-f]{64}$/
/** Past this, readYaml's checks of implicit keys apply: such a file is left to it. */
const MAX_LINE = 1024
const TOP = /^([A-Za-z][A-Za-z0-9]*):(?: (.+))?$/
/** An item id as key: a kind, a slash, a name (never a number, a boolean or null to the core schema). */
const ENTRY = /^ {2}([a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*): (.+)$/
const QUOTED = /^"([^"\\]*)"$/
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/
const INTEGER = /^(0|[1-9][0-9]{0,14})$/
/** What the core schema reads as other than a string, in any spelling this form allows. */
const NOT_A_STRING = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/

function scalar(text: string): unknown {
  if (DIGEST.test(text)) return text
  const quoted = QUOTED.exec(text)
  if (quoted) return quoted[1]!
  // A colon ending a plain scalar would start a mapping.
  if (!PLAIN.test(text) || text.endsWith(':')) return DECLINED
  if (text === 'null') return null
  if (text === 'true') return true
  if (text === 'false') return false
  if (INTEGER.test(text)) return Number(text)
  return NOT_A_STRING.test(text) ? DECLINED : text
}

/** A top-level key that is a string to the core schema and names no property every object has. */
function usableKey(key: string): boolean {
  return !NOT_A_STRING.test(key) && !(key in Object.prototype)
}
