import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { ValidateFunction } from 'ajv'
import { load } from 'js-yaml'
import { describe, expect, test } from 'vitest'
import { DRAFT_07, createAjv, createKindAjv } from '../../src/core/schema/create-ajv.js'
import { builtInValidators, kindMetaSchemaValidator } from '../../src/core/schema/generated/built-in-validators.js'
import { fullFormats, ucs2length } from '../../src/core/schema/standalone-runtime.js'
import { duplicateItems } from '../../src/core/schema/unique-items.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'

// Gantry's own schemas and the draft-07 meta-schema are compiled at build time (scripts/generate-validators.ts).
// Whatever they are given, they must answer as ajv compiling the same schemas at run time does: same verdict,
// same errors (keyword, paths, params, message).

const generated = builtInValidators(duplicateItems, fullFormats, ucs2length)
const runtime = createAjv()
const compiled = (file: string): ValidateFunction => {
  const schema = JSON.parse(readFileSync(join('schemas', file), 'utf8')) as { $id: string }
  return runtime.getSchema(schema.$id) ?? (runtime.addSchema(schema, undefined, undefined, false), runtime.getSchema(schema.$id)!)
}
const PAIRS: [string, ValidateFunction, ValidateFunction][] = [
  ['config', generated.validateConfig, compiled('gantry.schema.json')],
  ['definition', generated.validateDefinition, compiled('definition.schema.json')],
  ['package', generated.validatePackage, compiled('package.schema.json')],
  ['ledger', generated.validateLedger, compiled('ledger.schema.json')],
]

function verdict(validate: ValidateFunction, value: unknown): { valid: boolean; errors: unknown } {
  const valid = validate(value) === true
  return { valid, errors: valid ? null : structuredClone(validate.errors) }
}

/** Every way one value may go wrong: each field replaced by another type, removed, or a key added. */
function mutations(value: unknown): unknown[] {
  if (!value || typeof value !== 'object') return []
  const out: unknown[] = []
  const entries = Object.entries(value as Record<string, unknown>)
  for (const [key, v] of entries) {
    for (const other of [null, 7, 'x', true, [], {}, ['a', 'a'], [{ b: 1 }, { b: 1 }], '2026-13-45', '1.2.3']) {
      out.push(Array.isArray(value) ? Object.assign([...value], { [key]: other }) : { ...value, [key]: other })
    }
    if (!Array.isArray(value)) {
      const { [key]: _removed, ...rest } = value as Record<string, unknown>
      out.push(rest)
    }
    for (const deeper of mutations(v)) out.push(Array.isArray(value) ? Object.assign([...value], { [key]: deeper }) : { ...value, [key]: deeper })
  }
  if (!Array.isArray(value)) out.push({ ...value, 'not-a-field': 1 })
  return out
}

const yamlFiles = (dir: string): unknown[] => readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => load(readFileSync(join(dir, f), 'utf8')))

describe("Gantry's own schemas, compiled at build time", () => {
  const samples: Record<string, unknown[]> = {
    config: [load(readFileSync('examples/scheduler/gantry.yaml', 'utf8')), load(readFileSync('examples/integration/gantry.yaml', 'utf8'))],
    definition: readdirSync('examples/scheduler/definitions').flatMap((kind) => yamlFiles(join('examples/scheduler/definitions', kind)).slice(0, 2)),
    package: [...yamlFiles('examples/scheduler/packages'), ...yamlFiles('examples/integration/packages')],
    ledger: [
      {
        package: 'billing',
        version: '1.2',
        digest: `sha256:${'a'.repeat(64)}`,
        items: { 'task/a': `sha256:${'b'.repeat(64)}` },
        approvers: [{ login: 'x', sha: 'y' }],
        previousVersion: null,
      },
    ],
  }

  for (const [name, fast, reference] of PAIRS) {
    test(`${name}: the same verdict and errors as ajv compiling it at run time`, () => {
      const values = samples[name]!.flatMap((v) => [v, ...mutations(v)])
      expect(values.length).toBeGreaterThan(50)
      let invalid = 0
      for (const value of values) {
        const got = verdict(fast, value)
        expect(got).toEqual(verdict(reference, value))
        if (!got.valid) invalid++
      }
      expect(invalid).toBeGreaterThan(10)
    })
  }

  test('a package listing an item twice gets the message of ajv’s own uniqueItems, in linear time', () => {
    const items = Array.from({ length: 50_000 }, (_, i) => `task/t${i}`)
    items.push('task/t7')
    expect(generated.validatePackage({ name: 'p', version: '1', items })).toBe(false)
    expect(generated.validatePackage.errors).toEqual([
      {
        instancePath: '/items',
        schemaPath: '#/properties/items/uniqueItems',
        keyword: 'uniqueItems',
        params: { i: 7, j: 50_000 },
        message: 'must NOT have duplicate items (items ## 50000 and 7 are identical)',
      },
    ])
  })
})

describe('the draft-07 meta-schema of kind schemas, compiled at build time', () => {
  const BAD_SCHEMAS: unknown[] = [
    { type: 'strnig' },
    { type: 'object', required: 'name' },
    { type: 'object', required: ['a', 'a'] },
    { type: ['string', 'string'] },
    { minLength: -1 },
    { maxItems: 1.5 },
    { properties: { a: { type: 7 } } },
    { items: [{ enum: [] }], additionalItems: 'no' },
    { anyOf: [] },
    { pattern: 7 },
    { $schema: 'http://json-schema.org/draft-07/schema#', type: 'nothing' },
    { $schema: 'http://json-schema.org/draft-07/schema', dependencies: { a: 7 } },
    { $schema: 'https://example.com/other', type: 'object' },
    { $schema: 7 },
    { 'x-gantry-ref': 'Not A Kind' },
    { type: 'object', properties: { ok: { type: 'string', 'x-gantry-ref': 'task' } } },
  ]

  for (const allErrors of [false, true]) {
    test(`${allErrors ? 'listing every error' : 'stopping at the first'}: compiling gives what ajv compiling the meta-schema gives`, () => {
      const meta = kindMetaSchemaValidator(allErrors, duplicateItems, fullFormats, ucs2length)
      const fast = createKindAjv({ allErrors, meta })
      const reference = createKindAjv({ allErrors })
      const outcome = (ajv: ReturnType<typeof createKindAjv>, schema: unknown) => {
        try {
          ajv.compile(structuredClone(schema) as object)
          return 'compiled'
        } catch (error) {
          return (error as Error).message
        }
      }
      const refused = BAD_SCHEMAS.map((schema) => outcome(fast, schema))
      expect(refused).toEqual(BAD_SCHEMAS.map((schema) => outcome(reference, schema)))
      expect(refused.filter((r) => r.startsWith('schema is invalid:')).length).toBeGreaterThan(10)
      expect(refused.at(-1)).toBe('compiled')
      // The build-time validator stayed in place: ajv never compiled the meta-schema in this instance.
      expect(fast.schemas[DRAFT_07]?.validate).toBe(meta)
      expect(reference.schemas[DRAFT_07]?.validate).not.toBe(meta)
    })
  }

  test('a kind schema the meta-schema refuses is a diagnostic, as before', () => {
    const registry = new SchemaRegistry()
    const text = '{ "type": "object", "properties": { "a": { "type": "strnig" } } }'
    expect(registry.loadKind('kinds/k.schema.json', text, 'k', JSON.parse(text))).toEqual([
      expect.objectContaining({ code: 'schema', message: expect.stringContaining('schema is invalid: data/properties/a/type must be equal to one of the allowed values') }),
    ])
  })
})
