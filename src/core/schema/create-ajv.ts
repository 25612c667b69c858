import { Ajv, type CodeKeywordDefinition, type Options, _, str } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { linearRegExp } from './kind-schema-limits.js'
import { duplicateItems } from './unique-items.js'

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
  // Gantry's own schemas are trusted, the lists they check are not: ajv compares every pair of `items` of a
  // package when the item schema is a $ref (80,000 items, under the size limit, took 80 s). Linear for all.
  ajv.removeKeyword('uniqueItems')
  ajv.addKeyword(uniqueItemsKeyword)
  return ajv
}

