import { describe, expect, test } from 'vitest'
import { REF_KEYWORD, createKindAjv } from '../../src/core/schema/create-ajv.js'
import { builtInValidators, kindMetaSchemaValidator } from '../../src/core/schema/generated/built-in-validators.js'
import { fullFormats, ucs2length } from '../../src/core/schema/standalone-runtime.js'
import { duplicateItems } from '../../src/core/schema/unique-items.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'

// The meta-schema of the `x-gantry-ref` keyword is compiled at build time (scripts/generate-validators.ts):
// kind schemas are refused, or compiled, exactly as when ajv compiles that meta-schema in each run.

const refMeta = builtInValidators(duplicateItems, fullFormats, ucs2length).validateRefKeyword
const VALUES: unknown[] = [
  'task',
  'a',
  'my.kind_2-x',
  'Not A Kind',
  'Task',
  '-task',
  'task-',
  '',
  'a'.repeat(64),
  'a'.repeat(65),
  'tâche',
  'task\n',
  7,
  null,
  true,
  ['task'],
  { kind: 'task' },
]

describe('the x-gantry-ref keyword, its meta-schema compiled at build time', () => {
  for (const allErrors of [false, true]) {
    test(`${allErrors ? 'listing every error' : 'stopping at the first'}: every value refused or taken as at run time`, () => {
      const meta = kindMetaSchemaValidator(allErrors, duplicateItems, fullFormats, ucs2length)
      const fast = createKindAjv({ allErrors, meta, refMeta })
      const reference = createKindAjv({ allErrors, meta })
      const outcome = (ajv: ReturnType<typeof createKindAjv>, value: unknown) => {
        try {
          ajv.compile({ type: 'object', properties: { agent: { type: 'string', [REF_KEYWORD]: value } } })
          return 'compiled'
        } catch (error) {
          return (error as Error).message
        }
      }
      const outcomes = VALUES.map((value) => outcome(fast, value))
      expect(outcomes).toEqual(VALUES.map((value) => outcome(reference, value)))
      expect(outcomes.slice(0, 3)).toEqual(['compiled', 'compiled', 'compiled'])
      expect(outcomes.filter((o) => o.includes('keyword "x-gantry-ref" value is invalid')).length).toBeGreaterThanOrEqual(8)
      // The build-time function is the one ajv calls: nothing compiled the meta-schema in this instance.
      expect(fast.getKeyword(REF_KEYWORD)).toMatchObject({ validateSchema: refMeta })
      expect(reference.getKeyword(REF_KEYWORD)).not.toMatchObject({ validateSchema: refMeta })
    })
  }

  test('a kind schema with a bad x-gantry-ref is a diagnostic at the keyword, as before', () => {
    const registry = new SchemaRegistry()
    const text = '{ "type": "object", "properties": { "agent": { "type": "string", "x-gantry-ref": "Not A Kind" } } }'
    const diagnostics = registry.loadKind('kinds/k.schema.json', text, 'k', JSON.parse(text))
    expect(diagnostics).toEqual([
      expect.objectContaining({ code: 'schema', message: expect.stringContaining('keyword "x-gantry-ref" value is invalid') }),
    ])
  })
})
