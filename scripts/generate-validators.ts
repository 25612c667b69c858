// Compiles Gantry's own schemas (schemas/*.schema.json), and the draft-07 meta-schema kind schemas are checked
// against, to JavaScript with ajv's standalone code, into src/core/schema/generated/: no run of Gantry pays for
// compiling them. Run by `npm run types`;
// `--check` fails when the committed files differ from what the schemas and ajv generate.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Ajv, _ } from 'ajv'
import standaloneModule from 'ajv/dist/standalone/index.js'
import { DRAFT_07, REF_META_ID, REF_META_SCHEMA, createAjv, createKindAjv } from '../src/core/schema/create-ajv.js'

// ajv's standalone entry is CommonJS: under NodeNext its default import is the module object.
type Standalone = (ajv: ReturnType<typeof createAjv>, refs: Record<string, string>) => string
const standaloneImport = standaloneModule as unknown as Standalone & { default?: Standalone }
const standaloneCode: Standalone = standaloneImport.default ?? standaloneImport

const check = process.argv.includes('--check')
const outDir = 'src/core/schema/generated'
const banner = '// Generated from schemas/ by scripts/generate-validators.ts (npm run types). Do not edit.'

/** Export names (`package` is a reserved word in a module) and the schema files they validate. */
const SCHEMAS: Record<string, string> = {
  validateConfig: 'gantry.schema.json',
  validateDefinition: 'definition.schema.json',
  validatePackage: 'package.schema.json',
  validateLedger: 'ledger.schema.json',
}

/** A function returning the validators of `refs` (by export name), compiled by `ajv` to standalone code. */
function validatorsFunction(name: string, ajv: Ajv, refs: Record<string, string>): string {
  const UCS2 = 'require("ajv/dist/runtime/ucs2length").default'
  const code = standaloneCode(ajv, refs).split(UCS2).join('ucs2length').replace(/^"use strict";\n/, '')
  if (/\brequire\(/.test(code)) throw new Error(`the generated code requires a module this script does not pass in: ${/\brequire\([^)]*\)/.exec(code)?.[0]}`)
  return [`function ${name}() {`, 'const exports = {};', code, 'return exports;', '}'].join('\n')
}

const options = { code: { source: true, lines: true, formats: _`fullFormats` } }
// Gantry's own schemas, with the same ajv and options as at run time (src/core/schema/create-ajv.ts).
const builtIn = createAjv(options)
const refs: Record<string, string> = {}
for (const [name, file] of Object.entries(SCHEMAS)) {
  const schema = JSON.parse(await readFile(join('schemas', file), 'utf8')) as { $id: string }
  builtIn.addSchema(schema, undefined, undefined, false)
  refs[name] = schema.$id
}
// The meta-schema of the `x-gantry-ref` keyword of kind schemas: Gantry's own, so its pattern runs on the
// built-in engine as the name patterns of Gantry's schemas do. One function for both ajvs of kinds: a value
// that is not a string fails `type` only (the pattern applies to strings), so both list the same errors.
builtIn.addSchema(REF_META_SCHEMA, REF_META_ID, undefined, false)
refs.validateRefKeyword = REF_META_ID

// The module imports nothing: the functions the code calls are passed in by src/core/schema/validator.ts (a
// bundler resolves imports of TypeScript files from TypeScript only), and nothing runs until it is called.
const js = [
  banner,
  '/* eslint-disable */',
  'export function builtInValidators(duplicateItems, fullFormats, ucs2length) {',
  'return validators();',
  validatorsFunction('validators', builtIn, refs),
  '}',
  // The draft-07 meta-schema as each ajv of kind schemas compiles it: the one that stops at the first error,
  // and the one that lists every error.
  'export function kindMetaSchemaValidator(allErrors, duplicateItems, fullFormats, ucs2length) {',
  'return allErrors ? all().meta : first().meta;',
  validatorsFunction('first', createKindAjv({ allErrors: false, ...options }), { meta: DRAFT_07 }),
  validatorsFunction('all', createKindAjv({ allErrors: true, ...options }), { meta: DRAFT_07 }),
  '}',
  '',
].join('\n')
const args = [
  '  duplicateItems: (data: readonly unknown[]) => [number, number] | undefined,',
  '  fullFormats: object,',
  '  ucs2length: (text: string) => number,',
]
const dts = [
  banner,
  "import type { ValidateFunction } from 'ajv'",
  '/** The validators of Gantry\'s own schemas; the arguments are the functions the generated code calls. */',
  'export declare function builtInValidators(',
  ...args,
  `): { ${Object.keys(refs).map((name) => `${name}: ValidateFunction`).join('; ')} }`,
  '/** The draft-07 meta-schema for the ajv of kinds that lists every error (`allErrors`) or stops at the first. */',
  'export declare function kindMetaSchemaValidator(',
  '  allErrors: boolean,',
  ...args,
  '): ValidateFunction',
  '',
].join('\n')

let drift = 0
for (const [file, text] of [['built-in-validators.js', js], ['built-in-validators.d.ts', dts]] as const) {
  const target = join(outDir, file)
  if (check) {
    if ((await readFile(target, 'utf8').catch(() => '')) !== text) {
      console.error(`${target} is out of date with schemas/ and ajv: run npm run types`)
      drift++
    }
  } else {
    await writeFile(target, text)
    console.log(`wrote ${target}`)
  }
}
if (drift > 0) process.exit(1)
