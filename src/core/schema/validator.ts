import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import type { Diagnostic } from '../diagnostics.js'
import { isSurrogate, printable } from '../names.js'
import { builtInValidators, kindMetaSchemaValidator } from './generated/built-in-validators.js'
import { createKindAjv } from './create-ajv.js'
import { duplicateJsonKeys, errorFanout, jsonLocator, kindSchemaProblems } from './kind-schema-limits.js'
import { fullFormats, ucs2length } from './standalone-runtime.js'
import { duplicateItems } from './unique-items.js'
import { type DocumentPath, type ParsedYaml, positionInText } from '../yaml/read-yaml.js'

/** Values of a spec times the errors one value can get from its kind schema, up to which every error is listed. */
const FULL_CHECK_BUDGET = 2_000_000

/** Objects, arrays and values in `value`, counted without recursion up to `stop`. */
function valueCount(value: unknown, stop: number): number {
  let count = 0
  const stack: unknown[] = [value]
  while (stack.length > 0 && count < stop) {
    const v = stack.pop()
    count++
    if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push(child)
  }
  return count
}

/** Problems of one kind schema listed one by one; the rest are counted. */
const MAX_SCHEMA_PROBLEMS = 20

export { REF_KEYWORD } from './create-ajv.js'

export type BuiltInSchema = 'config' | 'definition' | 'package' | 'ledger'

/**
 * Gantry's own schemas (schemas/*.schema.json), compiled by ajv at build time (npm run types): they ship with
 * Gantry, so no run pays for compiling them.
 */
let builtIn: Record<BuiltInSchema | 'refKeyword', ValidateFunction> | undefined

/** The JSON Schema draft-07 meta-schema, compiled at build time for each ajv of kinds (create-ajv.ts). */
const metaSchema: { first?: ValidateFunction; all?: ValidateFunction } = {}

function builtInValidator(which: BuiltInSchema | 'refKeyword'): ValidateFunction {
  if (!builtIn) {
    const v = builtInValidators(duplicateItems, fullFormats, ucs2length)
    builtIn = {
      config: v.validateConfig,
      definition: v.validateDefinition,
      package: v.validatePackage,
      ledger: v.validateLedger,
      refKeyword: v.validateRefKeyword,
    }
  }
  return builtIn[which]
}

/** Compiled validators for Gantry's own file formats and for the kinds a repository declares. */
export class SchemaRegistry {
  /** Kinds compiled to stop at the first error: whether a spec is valid, and for specs too large to list every error of. */
  private kindAjvFirst: Ajv | undefined
  /** The same kinds compiled to list every error, when a spec of the kind first fails. */
  private kindAjv: Ajv | undefined
  /** `cost` (errorFanout) is worked out when a spec of the kind first fails: a valid repository never needs it. */
  private readonly kinds = new Map<string, { schema: object; first: ValidateFunction; all?: ValidateFunction; cost?: number }>()

  /** Compiles a kind's schema; returns an error message when it is not a usable JSON Schema. */
  addKind(kind: string, schema: unknown): string | undefined {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema))
      return 'a kind schema must be a JSON object'
    try {
      // Kind schemas may carry `$id`s that collide between repositories; each is compiled on its own.
      const { $id: _ignored, ...withoutId } = schema as Record<string, unknown>
      // Compiled once, to stop at the first error: a repository's specs are mostly valid, and a valid spec
      // passes every check either way. The compiler that lists every error is left until a spec fails.
      const first = this.kindCompiler('first').compile(withoutId)
      this.kinds.set(kind, { schema: withoutId, first })
      return undefined
    } catch (error) {
      return error instanceof Error ? error.message : String(error)
    }
  }

  private kindCompiler(which: 'first' | 'all'): Ajv {
    let ajv = which === 'first' ? this.kindAjvFirst : this.kindAjv
    if (!ajv) {
      const meta = (metaSchema[which] ??= kindMetaSchemaValidator(which === 'all', duplicateItems, fullFormats, ucs2length))
      ajv = createKindAjv({ allErrors: which === 'all', meta, refMeta: builtInValidator('refKeyword') })
      if (which === 'first') this.kindAjvFirst = ajv
      else this.kindAjv = ajv
    }
    return ajv
  }

  /**
   * Checks a kind schema read from `file` (its JSON `text`, parsed as `schema`) for what cannot be validated
   * safely, then compiles it. Every refusal is a diagnostic at the line of the offending keyword.
   */
  loadKind(file: string, text: string, kind: string, schema: unknown): Diagnostic[] {
    const duplicates = duplicateJsonKeys(text, 20, schema)
    if (duplicates.length > 0) {
      return duplicates.map(({ key, offset }) => ({
        severity: 'error' as const,
        code: 'duplicate-key' as const,
        file,
        ...positionInText(text, offset),
        message: `the key "${printable(key.slice(0, 200))}" appears twice in this object; JSON readers keep only the last`,
        hint: 'keep one of the keys',
      }))
    }
    const formats = this.kindCompiler('first').formats
    const problems = kindSchemaProblems(schema, (name) => Object.prototype.hasOwnProperty.call(formats, name))
    if (problems.length > 0) {
      // The text parsed once for all positions; a schema with thousands of problems shows the first ones.
      const locate = jsonLocator(text)
      const shown: Diagnostic[] = problems.slice(0, MAX_SCHEMA_PROBLEMS).map((problem) => ({
        severity: 'error' as const,
        code: 'unsafe-schema' as const,
        file,
        ...locate(problem.path, problem.key),
        message: `${printable(file)}: ${printable(problem.message)}`,
        hint: problem.hint,
      }))
      if (problems.length > MAX_SCHEMA_PROBLEMS)
        shown.push({ severity: 'error', code: 'unsafe-schema', file, line: 1, column: 1, message: `${printable(file)} has ${problems.length - MAX_SCHEMA_PROBLEMS} more problems of the same kinds than the ${MAX_SCHEMA_PROBLEMS} listed`, hint: 'fix the first ones; the rest are often the same' })
      return shown
    }
    const problem = this.addKind(kind, schema)
    if (!problem) return []
    return [{ severity: 'error', code: 'schema', file, line: 1, column: 1, message: `${printable(file)} is not a usable JSON Schema: ${printable(problem)}` }]
  }

  hasKind(kind: string): boolean {
    return this.kinds.has(kind)
  }

  kindNames(): string[] {
    return [...this.kinds.keys()].sort()
  }

  kindSchema(kind: string): object | undefined {
    return this.kinds.get(kind)?.schema
  }

  validateBuiltIn(which: BuiltInSchema, parsed: ParsedYaml, value: unknown = parsed.value): Diagnostic[] {
    const validate = builtInValidator(which)
    if (validate(value)) return []
    return toDiagnostics(validate.errors ?? [], parsed, [])
  }

  /** Validates `spec` of a definition against its kind; paths in diagnostics are relative to the document. */
  validateSpec(kind: string, parsed: ParsedYaml, spec: unknown): Diagnostic[] {
    const entry = this.kinds.get(kind)
    if (!entry) return []
    if (entry.first(spec)) return []
    // Every error of a large value against a schema of many checks is their product: 5,000 list entries each
    // missing 1,000 required keys made 5 million errors and ran out of memory. Past a budget, the first one.
    entry.cost ??= errorFanout(entry.schema)
    const budget = Math.floor(FULL_CHECK_BUDGET / Math.max(1, entry.cost))
    if (valueCount(spec, budget + 1) <= budget) {
      // The schema compiled once already; compiled again to list every error, it compiles the same.
      entry.all ??= this.kindCompiler('all').compile(entry.schema)
      entry.all(spec)
      return toDiagnostics(entry.all.errors ?? [], parsed, ['spec'])
    }
    return toDiagnostics(entry.first.errors ?? [], parsed, ['spec']).map((d) => ({
      ...d,
      message: `${d.message} (the first problem found: the definition is too large to list every problem against kind ${kind}; fix it and validate again)`,
    }))
  }

  /** Whether `spec` satisfies its kind's schema (true for an unknown kind), without building any finding. */
  isValidSpec(kind: string, spec: unknown): boolean {
    const entry = this.kinds.get(kind)
    return !entry || entry.first(spec) === true
  }

  /** For data that has no file (a ledger read back from a branch, a bundle): true when valid. */
  isValid(which: BuiltInSchema, value: unknown): boolean {
    return builtInValidator(which)(value) === true
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s))
}

function displayPath(path: DocumentPath): string {
  if (path.length === 0) return 'the document'
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}

function toDiagnostics(errors: ErrorObject[], parsed: ParsedYaml, prefix: DocumentPath): Diagnostic[] {
  // One message per node: ajv's allErrors reports every failing branch of oneOf/anyOf; keep the first per path.
  const seen = new Set<string>()
  const out: Diagnostic[] = []
  for (const error of errors) {
    if (error.keyword === 'if') continue
    const path = [...prefix, ...pointerToPath(error.instancePath)]
    let message: string
    let hint: string | undefined
    let position = parsed.positionOf(path)
    let where = displayPath(path)
    // An error about a key (under propertyNames) points at that key, not at the map holding it.
    if (error.propertyName !== undefined) {
      position = parsed.positionOf([...path, error.propertyName], { key: true })
      where = `the key "${error.propertyName}" of ${where}`
    }
    switch (error.keyword) {
      case 'required': {
        const missing = String((error.params as { missingProperty: string }).missingProperty)
        message = `${where} is missing the required field "${missing}"`
        hint = `add "${missing}:"`
        break
      }
      case 'additionalProperties': {
        const extra = String((error.params as { additionalProperty: string }).additionalProperty)
        const keyPath = [...path, extra]
        position = parsed.positionOf(keyPath, { key: true })
        message = `${displayPath(keyPath)} is not a known field`
        hint = 'remove it or check its spelling'
        break
      }
      case 'type': {
        const expected = String((error.params as { type: string }).type)
        const actual = valueAt(parsed.value, path)
        message = `${where} must be ${article(expected)}, not ${describeValue(actual)}`
        if (expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')) {
          const written = parsed.sourceOf(path) ?? JSON.stringify(actual)
          hint = `quote it: "${written}" (unquoted, YAML reads ${written} as the ${typeof actual} ${JSON.stringify(actual)})`
        }
        break
      }
      case 'enum': {
        // The schema's list, once per failing value: written whole, 1,000 long values times 50,000 failing
        // list entries ran out of memory. A few values, each cut short, say what is meant.
        const allowed = (error.params as { allowedValues: unknown[] }).allowedValues
        const shown = allowed.slice(0, MAX_LISTED).map((v) => clipped(JSON.stringify(v) ?? String(v), 60))
        message = `${where} must be one of ${shown.join(', ')}${allowed.length > MAX_LISTED ? ` and ${allowed.length - MAX_LISTED} more` : ''}`
        break
      }
      case 'pattern':
        message = `${where} does not match ${clipped(String((error.params as { pattern: string }).pattern), 200)}`
        break
      case 'propertyNames': {
        continue
      }
      default:
        message = `${where} ${error.message ?? 'is invalid'}`
    }
    const key = `${position.line}:${position.column}:${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({
      severity: 'error',
      code: 'schema',
      file: parsed.file,
      message,
      ...position,
      ...(hint ? { hint } : {}),
    })
  }
  return out
}

/** Values of an enum named in one message. */
const MAX_LISTED = 10

function clipped(text: string, max: number): string {
  if (text.length <= max) return text
  // Never half a surrogate pair: a lone high surrogate prints as U+FFFD, or as an escape in JSON.
  const end = isSurrogate(text.charCodeAt(max - 1), 0xd800) ? max - 1 : max
  return `${text.slice(0, end)}…`
}


function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty (null)'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a map'
  return `${typeof value} ${JSON.stringify(value)}`
}

export function valueAt(root: unknown, path: DocumentPath): unknown {
  let node = root
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string | number, unknown>)[segment]
  }
  return node
}
