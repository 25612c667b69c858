import { RE2JS } from 're2js'
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml'
import { canonicalCompact } from '../bundle/canonical-json.js'
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
 * by `kindSchemaProblems` before compiling.
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
function linearTest(pattern: string): (s: string) => boolean {
  const known = compiledPatterns.get(pattern)
  if (known) return known
  const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
  const answers = new Map<string, boolean>()
  const test = (s: string): boolean => {
    if (s.length > MEMO_MAX_LENGTH) return compiled.test(s)
    let answer = answers.get(s)
    if (answer === undefined) {
      answer = compiled.test(s)
      if (answers.size >= MEMO_MAX_ENTRIES) answers.clear()
      answers.set(s, answer)
    }
    return answer
  }
  if (compiledPatterns.size >= MAX_PATTERNS) compiledPatterns.clear()
  compiledPatterns.set(pattern, test)
  return test
}

const compiledPatterns = new Map<string, (s: string) => boolean>()
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
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return
    const s = node as Record<string, unknown>
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
      const problem = patternProblem(s.pattern)
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
    for (const keyword of ['patternProperties', 'properties', 'definitions', '$defs', 'dependentSchemas']) {
      const map = s[keyword]
      if (!map || typeof map !== 'object' || Array.isArray(map)) continue
      for (const [key, sub] of Object.entries(map as Record<string, unknown>)) {
        if (keyword === 'patternProperties') {
          const problem = patternProblem(key)
          if (problem)
            problems.push({
              path: [...path, keyword, key],
              key: true,
              message: `the patternProperties key ${problem}`,
              hint: 'rewrite the pattern without lookaround or backreferences',
            })
        }
        visit(sub, [...path, keyword, key])
      }
    }
    for (const keyword of [
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
    ]) {
      const sub = s[keyword]
      if (Array.isArray(sub)) sub.forEach((v, i) => visit(v, [...path, keyword, i]))
      else visit(sub, [...path, keyword])
    }
    for (const keyword of ['allOf', 'anyOf', 'oneOf', 'prefixItems']) {
      const list = s[keyword]
      if (Array.isArray(list)) list.forEach((v, i) => visit(v, [...path, keyword, i]))
    }
    const dependencies = s.dependencies
    if (dependencies && typeof dependencies === 'object' && !Array.isArray(dependencies)) {
      for (const [key, sub] of Object.entries(dependencies as Record<string, unknown>))
        visit(sub, [...path, 'dependencies', key])
    }
  }
  visit(schema, [])
  return problems
}

/**
 * `uniqueItems` in linear time. Ajv's own keyword compares every pair of items unless `items` declares only
 * scalar types (20,000 objects: 27 s); here each item is keyed by its canonical JSON (keys sorted, so equal
 * values in the sense of JSON Schema give equal keys) and looked up in a map.
 */
export function uniqueItemsLinear(this: unknown, schema: unknown, data: unknown): boolean {
  const self = uniqueItemsLinear as typeof uniqueItemsLinear & { errors?: object[] | null }
  self.errors = null
  if (schema !== true || !Array.isArray(data) || data.length < 2) return true
  // Strings, numbers, booleans and null are keyed by themselves (a Map tells 1 from "1"), maps and lists by
  // their canonical JSON, in a map of their own: most lists are of names, and need no JSON at all.
  const seen = new Map<unknown, number>()
  const seenJson = new Map<string, number>()
  for (let j = 0; j < data.length; j++) {
    const item: unknown = data[j]
    const composite = item !== null && typeof item === 'object'
    const key = composite ? canonicalCompact(item) : item
    const map = (composite ? seenJson : seen) as Map<unknown, number>
    const i = map.get(key)
    if (i !== undefined) {
      self.errors = [
        {
          keyword: 'uniqueItems',
          message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
          params: { i, j },
        },
      ]
      return false
    }
    map.set(key, j)
  }
  return true
}

/**
 * The line and column of a value (or key) in a JSON text. JSON is YAML 1.2 flow syntax, so the YAML
 * parser's positions serve; asked only when there is something to report.
 */
export function positionInJson(text: string, path: readonly (string | number)[], key = false): Position {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, uniqueKeys: false })
  let node: unknown = document.contents
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
