import { afterEach, describe, expect, it } from 'vitest'
import type { GantryConfig, SourceEntry } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { resolvePaths } from '../../src/core/source/load-config.js'
import { loadSource } from '../../src/core/source/load-source.js'
import { type YamlReader, readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'

// test/setup.ts sets the reader for every test; these tests pick it themselves.
const setupReader = setYamlReader('cross-check')
afterEach(() => setYamlReader(setupReader))

const config: GantryConfig = { environments: [{ name: 'dev', branch: 'env/dev' }] } as GantryConfig

const KIND = JSON.stringify({
  type: 'object',
  properties: { agent: { type: 'string', 'x-gantry-ref': 'agent' }, tags: { type: 'array', items: { type: 'string' } } },
})

const TASK = `kind: task
name: nightly-export-of-the-invoices
description: "Exports the day's invoices: all of them"
spec:
  agent: linux-pool-for-the-exports
  tags: [finance, nightly]
`

function load(files: Record<string, string>) {
  const snapshot = new Map<string, SourceEntry>(
    Object.entries(files).map(([path, text]) => [path, { type: 'file', bytes: Buffer.from(text) }]),
  )
  return loadSource(snapshot, config, resolvePaths(config), new SchemaRegistry())
}

describe('definitions as loaded', () => {
  for (const reader of ['fast', 'cross-check', 'positional'] as YamlReader[]) {
    it(`give the document the file holds, asked any number of times after loading (${reader} read)`, () => {
      setYamlReader(reader)
      const { model, diagnostics } = load({
        'kinds/task.schema.json': KIND,
        'kinds/agent.schema.json': '{"type":"object"}',
        'definitions/task/nightly-export-of-the-invoices.yaml': TASK,
        'definitions/agent/linux-pool-for-the-exports.yaml': 'kind: agent\nname: linux-pool-for-the-exports\nspec: {}\n',
      })
      expect(diagnostics).toEqual([])
      const task = model.definitions.get('task/nightly-export-of-the-invoices' as ItemId)!
      const expected = readYaml('x.yaml', Buffer.from(TASK)).parsed!.value
      expect(task.document).toStrictEqual(expected)
      // The same object while it is held: a caller may read it field by field.
      expect(task.document).toBe(task.document)
      expect(task.parsed.value).toBe(task.document)
      expect(task.name).toBe('nightly-export-of-the-invoices')
      expect(task.references.map((r) => [r.target, r.path, r.position])).toEqual([
        ['agent/linux-pool-for-the-exports', ['spec', 'agent'], { line: 5, column: 10 }],
      ])
      expect(task.parsed.positionOf(['spec', 'tags', 1])).toEqual({ line: 6, column: 19 })
    })
  }
})
