import { Ajv, type CodeKeywordDefinition, type Options, type ValidateFunction, _, str } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { linearRegExp } from './kind-schema-limits.js'
import { duplicateItems } from './unique-items.js'
import { uri } from './uri-format.js'

// ajv-formats is CommonJS: under NodeNext its default import is the module object, whose `default` is the plugin.
type FormatsPlugin = (ajv: Ajv) => Ajv
const formatsModule = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin }
const addFormats: FormatsPlugin = formatsModule.default ?? formatsModule

/**
 * `uniqueItems` in linear time (see duplicateItems), with the message and params of ajv's own keyword. It
 * generates code rather than calling a `validate` function, so that ajv's standalone output can hold it.
 */
const uniqueItemsKeyword: CodeKeywordDefinition = {
  keyword: 'uniqueItems',
  type: 'array',
  schemaType: 'boolean',
  error: {
    message: ({ params: { i, j } }) => str`must NOT have duplicate items (items ## ${j} and ${i} are identical)`,
    params: ({ params: { i, j } }) => _`{i: ${i}, j: ${j}}`,
  },
  code(cxt) {
    const { gen, data, schema } = cxt
    if (schema !== true) return
    // In standalone code the function is the one scripts/generate-validators.ts imports under this name.
    const check = gen.scopeValue('func', { ref: duplicateItems, code: _`duplicateItems` })
    const found = gen.const('duplicate', _`${check}(${data})`)
    cxt.setParams({ i: _`${found}[0]`, j: _`${found}[1]` })
    cxt.fail(_`${found} !== undefined`)
  },
}

/**
 * The ajv every schema is compiled with. `code` is for scripts/generate-validators.ts, which compiles Gantry's
 * own schemas with it at build time.
 */
export function createAjv(options: { linear?: boolean; allErrors?: boolean; code?: Options['code'] } = {}): Ajv {
  // Kind schemas come from pull requests: their patterns run on a linear-time engine (RE2), never on
  // JavaScript's backtracking one. Gantry's own schemas keep the built-in engine.
  const code = { ...(options.linear ? { regExp: linearRegExp } : {}), ...options.code }
  const ajv = new Ajv({ allErrors: options.allErrors ?? true, strict: false, allowUnionTypes: true, code })
  addFormats(ajv)
  // The same answers as ajv-formats' own `uri`, without compiling its long expression in each run (uri-format.ts).
  ajv.addFormat('uri', uri)
  // Gantry's own schemas are trusted, the lists they check are not: ajv compares every pair of `items` of a
  // package when the item schema is a $ref (80,000 items, under the size limit, took 80 s). Linear for all.
  ajv.removeKeyword('uniqueItems')
  ajv.addKeyword(uniqueItemsKeyword)
  return ajv
}


/** The keyword that marks a string (or the items of an array) as a reference to a definition of a kind. */
export const REF_KEYWORD = 'x-gantry-ref'

/** The key ajv registers the JSON Schema draft-07 meta-schema under, which kind schemas are checked against. */
export const DRAFT_07 = 'http://json-schema.org/draft-07/schema'

/**
 * The ajv kind schemas are compiled with: patterns on the linear-time engine, and the `x-gantry-ref` keyword.
 * `meta` is the draft-07 meta-schema compiled at build time with this same ajv (scripts/generate-validators.ts):
 * given, ajv uses it for every check of a schema instead of compiling the meta-schema in each run (about 20 ms).
 */
export function createKindAjv(options: {
  allErrors: boolean
  meta?: ValidateFunction
  /** REF_META_SCHEMA compiled at build time (scripts/generate-validators.ts): not compiled in each run. */
  refMeta?: ValidateFunction
  code?: Options['code']
}): Ajv {
  // Compiled in every run, so without ajv's optimising passes over the generated code: they cost about a quarter
  // of the compile and change how the code reads, not what it accepts.
  const ajv = createAjv({ linear: true, allErrors: options.allErrors, code: { optimize: false, ...options.code } })
  if (options.meta) {
    // Ajv compiles a registered schema when it is first used unless its entry holds a validator already.
    const entry = ajv.schemas[DRAFT_07]
    if (!entry) throw new Error('ajv has no draft-07 meta-schema')
    entry.validate = options.meta
  }
  // The keyword's value is checked against its own meta-schema: given compiled (at build time), ajv calls it as
  // it would the function it compiles from the meta-schema in each run.
  ajv.addKeyword({
    keyword: REF_KEYWORD,
    schemaType: 'string',
    ...(options.refMeta ? { validateSchema: options.refMeta } : { metaSchema: REF_META_SCHEMA }),
  })
  return ajv
}

/** What the value of `x-gantry-ref` must be: the name of a kind (a name as SPEC.md writes names). */
export const REF_META_SCHEMA = { type: 'string', pattern: '^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$' }

/** The key scripts/generate-validators.ts registers REF_META_SCHEMA under to compile it with Gantry's own schemas. */
export const REF_META_ID = 'https://gantry.dev/schemas/x-gantry-ref'
