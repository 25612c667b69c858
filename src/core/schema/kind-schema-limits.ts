import { detached } from './detached.js'
import { nativePattern } from './native-pattern.js'
import { RE2JS } from 're2js'
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml'
import type { Position } from '../diagnostics.js'

/**
 * Kind schemas arrive in pull requests: whoever wrote one controls what validation costs. What cannot be
 * checked in bounded time is refused before ajv compiles it, at the line of the offending keyword.
 */
export const KIND_SCHEMA_LIMITS = {
  /** Objects, arrays and values in one schema: kind schemas of real domains use a few hundred. */
  maxNodes: 20_000,
  /** Values of one `enum`: a longer list is a lookup table, not a schema (140,000 values cost 48 s). */
  maxEnum: 1_000,
  /** Characters of one `pattern` or `patternProperties` key. */
  maxPatternLength: 1_000,
  /** Nesting of objects and arrays, as for YAML files. */
  maxDepth: 64,
  /**
   * Subschemas one value can be checked against, `$ref`s followed: each `anyOf` of two references to the next
   * level doubles it (a chain of 24 levels, 80 lines of JSON, took minutes per definition).
   */
  maxExpandedSchemas: 20_000,
  /** `$ref`s followed one inside another (a chain of 3,000 overflows ajv's compiler). */
  maxRefDepth: 32,
  /**
   * Distinct patterns (`pattern` values and `patternProperties` keys) in one schema: ajv's compiler is
   * quadratic in them (4,000 patterns, 240 kB of schema, took 7 s to compile on every run).
   */
  maxPatterns: 500,
}

/** Keywords whose value is a schema, or a list or map of schemas: where `visit` and `$ref` costs look. */
const SCHEMA_KEYWORDS = [
  'items',
  'additionalItems',
  'additionalProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
]
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems']
const SCHEMA_MAP_KEYWORDS = [
  'patternProperties',
  'properties',
  'definitions',
  '$defs',
  'dependentSchemas',
  'dependencies',
]

/** Each keyword above by its place in the order subschemas are listed in: single or list, list, map. */
const KEYWORD_ORDER = new Map<string, number>(
  [...SCHEMA_KEYWORDS, ...SCHEMA_LIST_KEYWORDS, ...SCHEMA_MAP_KEYWORDS].map((keyword, i) => [keyword, i]),
)
const FIRST_LIST = SCHEMA_KEYWORDS.length
const FIRST_MAP = FIRST_LIST + SCHEMA_LIST_KEYWORDS.length

/**
 * The subschemas of a schema object, with the path segments that lead to each, in the order of the keyword lists
 * above. A schema object has a few keys where the lists name 21 keywords: its keys are looked up in the lists,
 * not each keyword in it (every check and walk of a kind schema asks this of every schema object).
 */
function subschemas(s: Record<string, unknown>): [(string | number)[], unknown][] {
  const places: number[] = []
  for (const key in s) {
    const place = KEYWORD_ORDER.get(key)
    if (place !== undefined) places.push(place)
  }
  if (places.length > 1) places.sort((a, b) => a - b)
  const out: [(string | number)[], unknown][] = []
  for (const place of places) {
    const keyword = place < FIRST_LIST ? SCHEMA_KEYWORDS[place]! : place < FIRST_MAP ? SCHEMA_LIST_KEYWORDS[place - FIRST_LIST]! : SCHEMA_MAP_KEYWORDS[place - FIRST_MAP]!
    const sub = s[keyword]
    if (Array.isArray(sub)) {
      // A map keyword's value is a schema only as an object; `items` and the other single keywords also take lists.
      if (place < FIRST_MAP) sub.forEach((v, i) => out.push([[keyword, i], v]))
    } else if (place < FIRST_LIST) {
      if (sub !== undefined) out.push([[keyword], sub])
    } else if (place >= FIRST_MAP && sub && typeof sub === 'object') {
      // `dependencies` also takes lists of property names: only its object values are schemas.
      for (const [key, value] of Object.entries(sub as Record<string, unknown>)) out.push([[keyword, key], value])
    }
  }
  return out
}

const isLocalPointer = (ref: string): boolean => ref === '#' || ref.startsWith('#/')

/**
 * The schema a `$ref` names, when it is a JSON pointer into this schema (`#`, `#/definitions/x`), with its path;
 * undefined for anything else (another document, a URL, an anchor), which kinds do not use.
 */
function resolveLocalRef(
  root: unknown,
  ref: string,
): { path: (string | number)[]; target: unknown } | undefined {
  if (!isLocalPointer(ref)) return undefined
  let node: unknown = root
  const path: (string | number)[] = []
  for (const raw of ref === '#' ? [] : ref.slice(2).split('/')) {
    let segment: string
    try {
      segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    } catch {
      return undefined
    }
    if (!node || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, segment))
      return undefined
    node = (node as Record<string, unknown>)[segment]
    path.push(Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment)
  }
  return { path, target: node }
}

export interface SchemaProblem {
  /** Where in the schema: keys and indexes down to the offending value (or key, with `key`). */
  path: (string | number)[]
  key?: boolean
  message: string
  hint: string
}

/**
 * Regular expressions of kind schemas run on RE2 (the re2js port, linear in the input, no backtracking):
 * ajv's `code.regExp` engine. Lookaround and backreferences do not exist there; such a pattern is refused
 * by `kindSchemaProblems` before compiling. A pattern that native-pattern.ts proves linear on JavaScript's own
 * engine runs there instead, with RE2's meaning of every class.
 */
export function linearRegExp(pattern: string): { test: (s: string) => boolean; toString: () => string } {
  const test = linearTest(pattern)
  // ajv keys compiled patterns by their toString(): each must differ, as a RegExp's would.
  return { test, toString: () => `/${pattern}/u` }
}

/**
 * The test of a pattern, compiled once per process: kindSchemaProblems compiles every pattern to see that RE2
 * takes it, and ajv compiles it again. A match costs microseconds in RE2JS, and a repository tests the same
 * names (references, labels) many times: short strings keep their answer, in a map emptied when it fills up.
 */
function linearTest(pattern: string): PatternTest {
  const known = compiledPatterns.get(pattern)
  if (known) return known
  const native = nativePattern(pattern)
  // Native answers cost less than looking them up: only RE2's are kept.
  const test: PatternTest = native
    ? nativeTest(native, pattern)
    : memoised(RE2JS.compile(RE2JS.translateRegExp(pattern)))
  test.native = native !== undefined
  if (compiledPatterns.size >= MAX_PATTERNS) compiledPatterns.clear()
  compiledPatterns.set(pattern, test)
  return test
}

/**
 * A proven pattern's native test. V8's matcher keeps a stack of the places it may go back to, which a string of
 * millions of characters can overflow (a RangeError) even on a linear pattern: that string is answered by RE2,
 * compiled when first needed.
 */
function nativeTest(native: RegExp, pattern: string): (s: string) => boolean {
  let fallback: RE2JS | undefined
  return (s: string): boolean => {
    try {
      return native.test(s)
    } catch (error) {
      if (!(error instanceof RangeError)) throw error
      fallback ??= RE2JS.compile(RE2JS.translateRegExp(pattern))
      return fallback.test(s)
    }
  }
}

function memoised(compiled: RE2JS): (s: string) => boolean {
  const answers = new Map<string, boolean>()
  return (s: string): boolean => {
    if (s.length > MEMO_MAX_LENGTH) return compiled.test(s)
    let answer = answers.get(s)
    if (answer === undefined) {
      answer = compiled.test(s)
      if (answers.size >= MEMO_MAX_ENTRIES) answers.clear()
      // A copy as the key: the string tested is often a slice of a whole file's text, which a key would
      // keep alive (thousands of files).
      answers.set(detached(s), answer)
    }
    return answer
  }
}

/** Which engine a kind schema pattern runs on (see native-pattern.ts). */
export function patternEngine(pattern: string): 'native' | 're2' {
  return linearTest(pattern).native ? 'native' : 're2'
}

type PatternTest = ((s: string) => boolean) & { native?: boolean }
const compiledPatterns = new Map<string, PatternTest>()
const MAX_PATTERNS = 1000
const MEMO_MAX_LENGTH = 256
const MEMO_MAX_ENTRIES = 20_000
// ajv's standalone code generation asks an engine for the code that creates it; kinds are never generated.
linearRegExp.code = 'linearRegExp'

/** Why `pattern` cannot run in linear time, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > KIND_SCHEMA_LIMITS.maxPatternLength)
    return `is ${pattern.length} characters long, over the limit of ${KIND_SCHEMA_LIMITS.maxPatternLength}`
  try {
    linearRegExp(pattern)
    return undefined
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error)
    return `cannot be matched in linear time (${reason}); lookahead, lookbehind and backreferences are not supported`
  }
}

/**
 * What in a kind schema cannot be checked safely: `$async` (ajv would return a promise where a result is
 * expected), a `format` Gantry does not know (ajv would ignore it), a pattern outside RE2, an `enum` or a
 * whole schema past the limits. Walks values only where they are schemas, so a `default` or `examples` value
 * that happens to hold a key `pattern` is not mistaken for one.
 */
export function kindSchemaProblems(
  schema: unknown,
  knownFormats: (name: string) => boolean,
): SchemaProblem[] {
  const problems: SchemaProblem[] = []
  // Counted without recursion: a 1 MB schema can nest 500,000 levels deep, past any call stack.
  let nodes = 0
  let deepest = 0
  const stack: [unknown, number][] = [[schema, 1]]
  while (stack.length > 0 && nodes <= KIND_SCHEMA_LIMITS.maxNodes) {
    const [value, depth] = stack.pop()!
    nodes++
    deepest = Math.max(deepest, depth)
    if (value && typeof value === 'object') for (const v of Object.values(value)) stack.push([v, depth + 1])
  }
  if (nodes > KIND_SCHEMA_LIMITS.maxNodes || deepest > KIND_SCHEMA_LIMITS.maxDepth) {
    return [
      {
        path: [],
        message:
          nodes > KIND_SCHEMA_LIMITS.maxNodes
            ? `the schema has more than ${KIND_SCHEMA_LIMITS.maxNodes} values`
            : `the schema nests deeper than ${KIND_SCHEMA_LIMITS.maxDepth} levels`,
        hint: 'split the kind, or describe values with a pattern instead of listing them',
      },
    ]
  }
  // Each schema object once: a `$ref` leads the walk to its target, which may sit where no keyword leads
  // (`#/x-defs/a`), so its patterns and formats are checked like the others.
  const visited = new Set<object>()
  let refDepthReported = false
  // Each distinct pattern compiled once; past the limit, one problem at the first one too many.
  const patterns = new Map<string, string | undefined>()
  const checkPattern = (pattern: string, at: (string | number)[], key: boolean): string | undefined => {
    if (patterns.has(pattern)) return patterns.get(pattern)
    if (patterns.size === KIND_SCHEMA_LIMITS.maxPatterns) {
      problems.push({
        path: at,
        ...(key ? { key: true } : {}),
        message: `the schema has more than ${KIND_SCHEMA_LIMITS.maxPatterns} different patterns`,
        hint: 'share patterns through "$ref": "#/definitions/<name>", or split the kind',
      })
    }
    const problem = patterns.size >= KIND_SCHEMA_LIMITS.maxPatterns ? undefined : patternProblem(pattern)
    patterns.set(pattern, problem)
    return problem
  }
  const visit = (node: unknown, path: (string | number)[], refDepth = 0): void => {
    if (!node || typeof node !== 'object' || Array.isArray(node) || visited.has(node)) return
    visited.add(node)
    const s = node as Record<string, unknown>
    if (path.length > 0 && typeof s.$id === 'string') {
      problems.push({
        path: [...path, '$id'],
        key: true,
        message: '"$id" is only allowed at the top of a kind schema',
        hint: 'remove it, and refer to the subschema with "$ref": "#/definitions/<name>"',
      })
    }
    if (typeof s.$ref === 'string') {
      const resolved = resolveLocalRef(schema, s.$ref)
      // A pointer to nothing in the schema is ajv's to refuse (or to read as an empty schema); any other
      // form (a URL, a file, an `#anchor`) could reach a schema this walk does not see.
      if (!isLocalPointer(s.$ref))
        problems.push({
          path: [...path, '$ref'],
          message: `"$ref": "${s.$ref.slice(0, 200)}" does not point into this schema`,
          hint: 'kind schemas refer only within themselves, with a JSON pointer such as "#/definitions/<name>"',
        })
      else if (resolved && refDepth >= KIND_SCHEMA_LIMITS.maxRefDepth) {
        if (!refDepthReported)
          problems.push({
            path: [...path, '$ref'],
            message: `"$ref"s lead through more than ${KIND_SCHEMA_LIMITS.maxRefDepth} schemas one inside another`,
            hint: 'refer to the definition itself rather than through a chain of references',
          })
        refDepthReported = true
      } else if (resolved) visit(resolved.target, resolved.path, refDepth + 1)
    }
    if ('$async' in s) {
      problems.push({
        path: [...path, '$async'],
        key: true,
        message: '"$async" is not supported in kind schemas',
        hint: 'remove "$async": kinds are validated synchronously',
      })
    }
    if (typeof s.format === 'string' && !knownFormats(s.format)) {
      problems.push({
        path: [...path, 'format'],
        message: `unknown format "${s.format}"`,
        hint: 'use a format of JSON Schema (date, date-time, email, uri, uuid, ...) or a pattern',
      })
    }
    if (typeof s.pattern === 'string') {
      const problem = checkPattern(s.pattern, [...path, 'pattern'], false)
      if (problem)
        problems.push({
          path: [...path, 'pattern'],
          message: `the pattern ${problem}`,
          hint: 'rewrite the pattern without lookaround or backreferences',
        })
    }
    if (Array.isArray(s.enum) && s.enum.length > KIND_SCHEMA_LIMITS.maxEnum) {
      problems.push({
        path: [...path, 'enum'],
        message: `the enum lists ${s.enum.length} values, over the limit of ${KIND_SCHEMA_LIMITS.maxEnum}`,
        hint: 'describe the values with a pattern, or keep the list in a definition of its own kind',
      })
    }
    const patternKeys = s.patternProperties
    if (patternKeys && typeof patternKeys === 'object' && !Array.isArray(patternKeys)) {
      for (const key of Object.keys(patternKeys)) {
        const problem = checkPattern(key, [...path, 'patternProperties', key], true)
        if (problem)
          problems.push({
            path: [...path, 'patternProperties', key],
            key: true,
            message: `the patternProperties key ${problem}`,
            hint: 'rewrite the pattern without lookaround or backreferences',
          })
      }
    }
    for (const [segments, sub] of subschemas(s)) visit(sub, [...path, ...segments], refDepth)
  }
  visit(schema, [])
  if (problems.length === 0) {
    const expansion = refExpansion(schema)
    if (expansion) problems.push(expansion)
  }
  return problems
}

/**
 * How many subschemas one value may be checked against once every `$ref` is followed, counted once per schema
 * object (memoised, so the count itself is linear). A `$ref` that leads back to a schema it is inside of would
 * make ajv's checker call itself without end, for any value (`{"$ref": "#"}` overflows the stack): refused.
 */
function refExpansion(root: unknown): SchemaProblem | undefined {
  const cost = new Map<object, number>()
  const open = new Set<object>()
  const limit = KIND_SCHEMA_LIMITS.maxExpandedSchemas
  let problem: SchemaProblem | undefined
  // Depth is bounded by maxDepth plus the chain of references, each a distinct schema object: at most maxNodes.
  const count = (node: unknown, path: (string | number)[]): number => {
    if (problem || !node || typeof node !== 'object' || Array.isArray(node)) return 0
    const known = cost.get(node)
    if (known !== undefined) return known
    if (open.has(node)) {
      problem = {
        path,
        message: 'a "$ref" leads back into the schema that holds it (a recursive schema)',
        hint: 'write the nested levels out; kind schemas are not recursive',
      }
      return 0
    }
    open.add(node)
    const s = node as Record<string, unknown>
    let total = 1
    if (typeof s.$ref === 'string') {
      const resolved = resolveLocalRef(root, s.$ref)
      if (resolved) total += count(resolved.target, [...path, '$ref'])
    }
    for (const [segments, sub] of subschemas(s))
      total = Math.min(total + count(sub, [...path, ...segments]), limit + 1)
    open.delete(node)
    cost.set(node, total)
    if (total > limit && !problem)
      problem = {
        path,
        message: `through "$ref", one value may be checked against more than ${limit} subschemas`,
        hint: 'refer to each definition from fewer places, or write the alternatives out once',
      }
    return total
  }
  count(root, [])
  return problem
}

/**
 * The line and column of a value (or key) in a JSON text. JSON is YAML 1.2 flow syntax, so the YAML
 * parser's positions serve; asked only when there is something to report.
 */
export function positionInJson(text: string, path: readonly (string | number)[], key = false): Position {
  return jsonLocator(text)(path, key)
}

/**
 * Positions in one JSON text, parsed once for every question: a schema with 800 problems parsed its text 800
 * times (25 s).
 */
export function jsonLocator(text: string): (path: readonly (string | number)[], key?: boolean) => Position {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, uniqueKeys: false })
  return (path, key = false) => locate(document.contents, lineCounter, path, key)
}

function locate(
  root: unknown,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
  key: boolean,
): Position {
  let node: unknown = root
  let offset = 0
  const at = (n: unknown): number | undefined => {
    const range = (n as { range?: [number, number, number] } | null)?.range
    return range ? range[0] : undefined
  }
  offset = at(node) ?? 0
  for (const [index, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      )
      if (!pair) break
      const last = index === path.length - 1
      offset = (last && key ? at(pair.key) : at(pair.value)) ?? at(pair.key) ?? offset
      node = pair.value
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment]
      if (item === undefined) break
      offset = at(item) ?? offset
      node = item
    } else break
  }
  const { line, col } = lineCounter.linePos(offset)
  return { line, column: col }
}

/**
 * Keys written twice in one object of a JSON text (already parsed, so well-formed): JSON.parse keeps the last
 * silently, while a reviewer may read the first (`"pattern": "^[a-z]+$"` above a second `"pattern"`). One pass;
 * the offsets of the second keys, at most `max` of them.
 */
export function duplicateJsonKeys(text: string, max = 20, parsed?: unknown): { key: string; offset: number }[] {
  const found: { key: string; offset: number }[] = []
  if (parsed !== undefined && !mayRepeatKeys(text, parsed)) return found
  // One entry per open object or array: the keys seen in an object, undefined for an array.
  const stack: (Set<string> | undefined)[] = []
  let expectKey = false
  for (let i = 0; i < text.length && found.length < max; i++) {
    const c = text[i]
    if (c === '{') {
      stack.push(new Set())
      expectKey = true
    } else if (c === '[') {
      stack.push(undefined)
      expectKey = false
    } else if (c === '}' || c === ']') {
      stack.pop()
      expectKey = false
    } else if (c === ',') expectKey = stack[stack.length - 1] !== undefined
    else if (c === '"') {
      const start = i
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++
      const keys = stack[stack.length - 1]
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string
        if (keys.has(key)) found.push({ key, offset: start })
        keys.add(key)
        expectKey = false
      }
    }
  }
  return found
}

/**
 * Whether an object of a JSON text may hold a key twice, given the value JSON.parse made of the text (which keeps
 * one of each key): a key written twice makes the text's keys outnumber the value's. Both are counted by native
 * string operations (JSON.stringify and one replace each), so a schema without repeated keys, the common case,
 * costs no loop over its characters. True when the count cannot be made (a RangeError from a value nested past
 * the call stack, or a string past the expression engine's stack), so that the scan decides.
 */
function mayRepeatKeys(text: string, parsed: unknown): boolean {
  try {
    return jsonKeyCount(text) !== jsonKeyCount(JSON.stringify(parsed))
  } catch (error) {
    if (error instanceof RangeError) return true
    throw error
  }
}

/**
 * The keys in a well-formed JSON text: the colons outside strings. Each string is removed whole (so a colon or a
 * quote inside one is not counted), and so is everything else but colons. Never given text that did not parse:
 * an unterminated string would make each later quote start a new attempt.
 */
function jsonKeyCount(json: string): number {
  return json.replace(JSON_NOT_KEY_COLON, '').length
}
const JSON_NOT_KEY_COLON = /"(?:[^"\\]|\\.)*"|[^":]+/g

/**
 * How many errors one value can get from a schema with every error listed: the most, over the schema's
 * objects, of its keywords, its required keys and what the alternatives (`anyOf`, `oneOf`, `allOf`, `not`,
 * `if`/`then`/`else`, a `$ref`) it applies to the same value add. Errors of properties and items belong to
 * other values. A value missing 1,000 required keys gets 1,000 errors; a list of 5,000 such values, 5 million.
 */
export function errorFanout(root: unknown): number {
  const memo = new Map<object, number>()
  const open = new Set<object>()
  let most = 1
  const sameValue = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else']
  const fan = (node: unknown): number => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return 0
    const known = memo.get(node)
    if (known !== undefined) return known
    if (open.has(node)) return 0
    open.add(node)
    const s = node as Record<string, unknown>
    let total = Object.keys(s).length + (Array.isArray(s.required) ? s.required.length : 0)
    if (typeof s.$ref === 'string') total += fan(resolveLocalRef(root, s.$ref)?.target)
    for (const keyword of sameValue) {
      const sub = s[keyword]
      if (Array.isArray(sub)) for (const v of sub) total += fan(v)
      else total += fan(sub)
    }
    open.delete(node)
    memo.set(node, total)
    most = Math.max(most, total)
    for (const [, sub] of subschemas(s)) fan(sub)
    return total
  }
  fan(root)
  return most
}
