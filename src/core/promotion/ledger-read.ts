import type { EnvironmentLedger } from '../model/source-model.js'
import type { SchemaRegistry } from '../schema/validator.js'
import { DEFAULT_YAML_LIMITS, ParsedYaml } from '../yaml/read-yaml.js'
import { MAX_LINE, NOT_TAKEN, isWordKey, writtenScalar } from './written-scalar.js'

/**
 * The value of a ledger file written the way Gantry writes ledgers (renderLedger: block maps of plain or
 * double-quoted scalars, two spaces of indentation, `[]` and `{}` when empty), read without a YAML parser; or
 * undefined, and the file takes the full read (readYaml), which finds and places every problem.
 *
 * Status reads every ledger of every environment: hundreds of packages on each branch, each ledger thousands
 * of characters of item ids and digests. This read only ever answers "this is the value readYaml would build,
 * and readYaml would find nothing wrong with the text", else it declines. It takes only:
 * - printable ASCII and line breaks (`\n` only, the last character one): no tab, no carriage return, no byte
 *   order mark, nothing a YAML stream refuses; no line over 1024 characters (an implicit key's limit);
 * - at the top, `<key>: <scalar>`, `<key>: []`, `<key>: {}`, or `<key>:` followed by a block map at two spaces
 *   (`  <key>: <scalar>`) or a block list of maps at two spaces (`  - <key>: <scalar>`, then `    <key>: <scalar>`);
 * - keys that can only be strings in YAML 1.2's core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution):
 *   an item id (`<kind>/<name>`, with a slash no number, null or boolean has), or a word of letters and
 *   digits that starts with a letter and is no null or boolean spelling; never a key that reaches a prototype;
 *   each key once in its map (the full read refuses a duplicate key);
 * - scalars: `"text"` without `"` or `\` in it (the text itself); `null`, `true`, `false`; a decimal integer of
 *   up to 15 digits without leading zeros; or a plain string of letters, digits and `._:/@+-` that starts with a
 *   letter or digit, does not end with `:`, and that the core schema reads as no number (`1.2.3`, a commit id;
 *   not `1.5`, `1e5`, `007` nor anything starting `0x` or `0o`);
 * - nothing else: comments, empty lines, documents markers, anchors, tags, flow collections with content,
 *   quotes of any other kind.
 * The ledger is then checked against the ledger schema and its file name as ledgerProblems checks it; when
 * either finds a problem this read declines too, so that the problem is reported by the full read, as always.
 */
export function readWrittenLedger(
  bytes: Uint8Array,
  file: string,
  fileName: string,
  schemas: SchemaRegistry,
): EnvironmentLedger | undefined {
  const value = writtenLedgerValue(bytes)
  if (value === undefined) return undefined
  // A ledger that passes both checks gives ledgerProblems no diagnostic: the position of a finding (which
  // would parse the text) is never asked for.
  if (schemas.validateBuiltIn('ledger', new ParsedYaml(file, value, bytes), value).length > 0) return undefined
  const ledger = value as unknown as EnvironmentLedger
  return `${ledger.package}.yaml` === fileName ? ledger : undefined
}

/** The value of a ledger text as readWrittenLedger takes it (see there), or undefined. */
export function writtenLedgerValue(bytes: Uint8Array): Record<string, unknown> | undefined {
  const n = bytes.byteLength
  if (n === 0 || n > DEFAULT_YAML_LIMITS.maxBytes || bytes[n - 1] !== LF) return undefined
  // Only printable ASCII and \n: the text is the bytes, one character each.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1')
  if (NOT_TAKEN.test(text)) return undefined
  const root: Record<string, unknown> = {}
  let at = 0
  while (at < n) {
    const end = lineEnd(text, at)
    const colon = text.indexOf(':', at)
    if (end < 0 || colon < 0 || colon > end) return undefined
    const key = text.slice(at, colon)
    if (!isWordKey(key) || Object.hasOwn(root, key)) return undefined
    if (colon + 1 < end) {
      // `<key>: <scalar>` on one line.
      if (text.charCodeAt(colon + 1) !== SPACE) return undefined
      const written = text.slice(colon + 2, end)
      const value = written === '[]' ? [] : written === '{}' ? {} : scalar(written)
      if (value === undefined) return undefined
      root[key] = value
      at = end + 1
      continue
    }
    // `<key>:` then its block collection, at two spaces.
    at = end + 1
    if (text.startsWith('  - ', at)) {
      const list: Record<string, unknown>[] = []
      while (at < n && text.startsWith('  - ', at)) {
        const entry: Record<string, unknown> = {}
        at = pair(text, at + 4, entry, isWordKey)
        while (at > 0 && at < n && text.startsWith('    ', at)) at = pair(text, at + 4, entry, isWordKey)
        if (at < 0) return undefined
        list.push(entry)
      }
      root[key] = list
    } else {
      const map: Record<string, unknown> = {}
      const first = at
      while (at > 0 && at < n && text.startsWith('  ', at)) {
        // Most lines of a ledger are `  <item id>: sha256:<digest>`: told apart in one test, the key and the
        // digest at fixed distances from the line's end.
        DIGEST_LINE.lastIndex = at
        if (DIGEST_LINE.test(text)) {
          const next = DIGEST_LINE.lastIndex
          const key = text.slice(at + 2, next - DIGEST_TAIL)
          if (next - at > MAX_LINE + 1 || Object.hasOwn(map, key)) return undefined
          map[key] = text.slice(next - DIGEST_TAIL + 2, next - 1)
          at = next
        } else at = pair(text, at + 2, map, isMapKey)
      }
      // `<key>:` with nothing below is null to YAML: not a form Gantry writes.
      if (at < 0 || at === first) return undefined
      root[key] = map
    }
  }
  return root
}

const LF = 0x0a
const SPACE = 0x20

/** Where the line from `at` ends (its \n), or -1 when it is longer than MAX_LINE. */
function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at)
  return end - at > MAX_LINE ? -1 : end
}

/**
 * `<key>: <scalar>` from `from` to the end of its line, put in `into`: where the next line starts, or -1 when
 * this read does not take it (a key already there, too long a line, a key or scalar of another form).
 */
function pair(text: string, from: number, into: Record<string, unknown>, keyOk: (key: string) => boolean): number {
  const end = lineEnd(text, from)
  const colon = text.indexOf(': ', from)
  if (end < 0 || colon < 0 || colon >= end) return -1
  const key = text.slice(from, colon)
  if (!keyOk(key) || Object.hasOwn(into, key)) return -1
  const value = scalar(text.slice(colon + 2, end))
  if (value === undefined) return -1
  into[key] = value
  return end + 1
}

/** A name of an item id's two parts, as far as this read needs: it cannot be a number with the slash beside it. */
const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/

/** `  <item id>: sha256:<64 hex digits>\n` (the item id as ITEM_ID, the digest a plain scalar PLAIN takes as a string). */
const DIGEST_LINE = / {2}[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*: sha256:[0-9a-f]{64}\n/y
/** From the end of the key to the end of a digest line: `: sha256:` and 64 digits and `\n`. */
const DIGEST_TAIL = ': sha256:'.length + 64 + 1

const isMapKey = (key: string): boolean => ITEM_ID.test(key) || isWordKey(key)

/** The plain scalars taken: no space, so none ends with one or holds `: `. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/

/** A scalar as written after `: ` (undefined when this read does not take it). */
const scalar = (written: string): unknown => writtenScalar(written, PLAIN)

/** A ledger readWrittenLedger took, with its bytes: another environment's copy of it is read against it. */
export interface WrittenLedger {
  bytes: Uint8Array
  ledger: EnvironmentLedger
}

const ENVIRONMENT_KEY = Buffer.from('environment: ', 'latin1')

/**
 * The ledger `bytes` hold, as readWrittenLedger reads and checks it, when they are the bytes of `known` but
 * for the value of its top-level `environment: <scalar>` line and the digests of some `  <item id>: sha256:<64
 * hex digits>` lines of its maps (Gantry writes one ledger per package and environment, the same text on each
 * environment it is applied to but for that line, and for the digests of the items an environment's
 * replacements or overrides made differ); undefined when they are not, or when readWrittenLedger declines them.
 *
 * The same value, by the way writtenLedgerValue reads: line by line, a line at the first column being a
 * top-level `<key>: <scalar>` pair whose value depends on that line alone, or the `<key>:` of a block
 * collection whose lines follow at two spaces. With every other byte the same, every other line reads as it
 * did in `known`; the `environment` line reads to the scalar it now holds; a digest line, the same up to its
 * digest, is a line of the map above it (writtenLedgerValue's DIGEST_LINE, which no line of a list matches),
 * with the same key and the new digest. The value is `known`'s with those values replaced (its other objects
 * shared: a ledger is never changed).
 *
 * The same check, by the shape of the ledger schema (schemas/ledger.schema.json; its top-level keywords and
 * those of each property that may be an object are held to these by a test): at the top only `type`,
 * `required`, `additionalProperties: false` and `properties`, so that the ledger is valid exactly when it is an
 * object with the required keys and no other, and each property's value is valid against its own subschema;
 * in a property that may be an object only `type`, `propertyNames` and `additionalProperties`, so that a map
 * is valid exactly when each key and each value is. The keys are `known`'s, and the values that are objects or
 * arrays are `known`'s own, which passed, but for the digests replaced: the schema is asked about the rest,
 * the same keys with those values laid down as `{}` and `[]`, a map with replaced digests as a map of those
 * alone. When it finds anything there, the ledger takes readWrittenLedger, which checks it whole.
 */
export function readWrittenLedgerAlike(
  bytes: Uint8Array,
  known: WrittenLedger,
  file: string,
  fileName: string,
  schemas: SchemaRegistry,
): EnvironmentLedger | undefined {
  const before = environmentLineStart(known.bytes)
  if (before === undefined || bytes.byteLength > DEFAULT_YAML_LIMITS.maxBytes) return undefined
  const a = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const b = Buffer.from(known.bytes.buffer, known.bytes.byteOffset, known.bytes.byteLength)
  const knownEnd = b.indexOf(LF, before)
  const end = a.indexOf(LF, before)
  // The same bytes before the line and from its end (the \n) on, but for digests; the line itself `environment: ` and a scalar.
  if (end < before + ENVIRONMENT_KEY.length || end - before > MAX_LINE || a.byteLength - end !== b.byteLength - knownEnd) return undefined
  let changed: DigestChange[] | undefined
  if (a.compare(b, 0, before + ENVIRONMENT_KEY.length, 0, before + ENVIRONMENT_KEY.length) !== 0) {
    // The `environment: ` of the line is part of it: compared with the lines before it.
    if (a.compare(b, before, before + ENVIRONMENT_KEY.length, before, before + ENVIRONMENT_KEY.length) !== 0) return undefined
    if (!(changed = digestChanges(a, b, 0, 0, before, undefined))) return undefined
  }
  if (a.compare(b, knownEnd, b.byteLength, end, a.byteLength) !== 0) {
    const after = digestChanges(a, b, end + 1, knownEnd + 1, b.byteLength - knownEnd - 1, 'environment')
    if (!after) return undefined
    changed = changed ? [...changed, ...after] : after
  }
  const written = a.toString('latin1', before + ENVIRONMENT_KEY.length, end)
  if (NOT_TAKEN.test(written)) return undefined
  const environment = written === '[]' ? [] : written === '{}' ? {} : scalar(written)
  if (environment === undefined) return undefined
  // The maps whose digests changed: their new value, and the changed entries alone.
  let maps: Map<string, { value: Record<string, unknown>; changed: Record<string, unknown> }> | undefined
  for (const { section, key, digest, was } of changed ?? []) {
    const map = (known.ledger as unknown as Record<string, unknown>)[section]
    // The line was read as an entry of that map (it is one of its lines, and the entry is what it reads to).
    if (!map || typeof map !== 'object' || Array.isArray(map) || !Object.hasOwn(map, key) || (map as Record<string, unknown>)[key] !== was) return undefined
    maps ??= new Map()
    let entry = maps.get(section)
    if (!entry) maps.set(section, (entry = { value: { ...(map as Record<string, unknown>) }, changed: {} }))
    entry.value[key] = digest
    entry.changed[key] = digest
  }
  const value: Record<string, unknown> = {}
  const rest: Record<string, unknown> = {}
  for (const [key, was] of Object.entries(known.ledger as unknown as Record<string, unknown>)) {
    const replaced = maps?.get(key)
    const now = key === 'environment' ? environment : replaced ? replaced.value : was
    value[key] = now
    rest[key] = replaced ? replaced.changed : key !== 'environment' && was !== null && typeof was === 'object' ? (Array.isArray(was) ? [] : {}) : now
  }
  if (schemas.validateBuiltIn('ledger', new ParsedYaml(file, rest, bytes), rest).length > 0) return readWrittenLedger(bytes, file, fileName, schemas)
  const ledger = value as unknown as EnvironmentLedger
  return `${ledger.package}.yaml` === fileName ? ledger : undefined
}

/** A digest line that differs: the top-level key of the map it is in, its key, its digest now and in `known`. */
type DigestChange = { section: string; key: string; digest: string; was: string }

/**
 * The digest lines that differ between `a` from `aFrom` and `b` from `bFrom`, `length` bytes each, whose
 * lines are otherwise the same bytes (lines at the same places); undefined when anything else differs.
 * `section` is the top-level key of the line before `bFrom` (the first line of the text has none).
 */
function digestChanges(a: Buffer, b: Buffer, aFrom: number, bFrom: number, length: number, section: string | undefined): DigestChange[] | undefined {
  const found: DigestChange[] = []
  const shift = aFrom - bFrom
  const stop = bFrom + length
  for (let at = bFrom; at < stop; ) {
    const lineEnd = b.indexOf(LF, at)
    if (lineEnd < 0 || lineEnd >= stop) return undefined
    const next = lineEnd + 1
    // A line at the first column is a top-level key's (the text before its `:`, as writtenLedgerValue reads it).
    if (b[at] !== SPACE) section = b.toString('latin1', at, Math.max(at, b.indexOf(0x3a, at)))
    if (a.compare(b, at, next, at + shift, next + shift) !== 0) {
      // Only the 64 digits of a digest line differ, in a line that is one in both texts.
      const digits = next - 65
      if (section === undefined || digits <= at || a.compare(b, at, digits, at + shift, digits + shift) !== 0) return undefined
      const line = a.toString('latin1', at + shift, next + shift)
      const knownLine = b.toString('latin1', at, next)
      if (!DIGEST_LINE_WHOLE.test(line) || !DIGEST_LINE_WHOLE.test(knownLine)) return undefined
      const key = line.slice(2, line.length - DIGEST_TAIL)
      found.push({ section, key, digest: line.slice(line.length - DIGEST_TAIL + 2, -1), was: knownLine.slice(knownLine.length - DIGEST_TAIL + 2, -1) })
    }
    at = next
  }
  return found
}

/** A whole digest line, as DIGEST_LINE reads it (at most a line's length: the key is checked by the full read's limit too). */
const DIGEST_LINE_WHOLE = new RegExp(`^${DIGEST_LINE.source}$`)

/** Where the top-level `environment: ` line of a ledger text starts (the first one), or undefined. */
function environmentLineStart(bytes: Uint8Array): number | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (text.subarray(0, ENVIRONMENT_KEY.length).equals(ENVIRONMENT_KEY)) return 0
  const at = text.indexOf(Buffer.concat([Buffer.from([LF]), ENVIRONMENT_KEY]))
  return at < 0 ? undefined : at + 1
}
