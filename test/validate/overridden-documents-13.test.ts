import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { GantryConfig } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { resolvePaths } from '../../src/core/source/load-config.js'
import { loadSource } from '../../src/core/source/load-source.js'
import { validatePackages } from '../../src/core/validate/validate-local.js'
import { SourceChangedError } from '../../src/core/yaml/read-yaml.js'

// Validation checks each item an environment sets fields of with the overrides applied: those documents are
// kept when the definitions load, never read again from their files; every other document is let go.

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const config = {
  environments: [
    { name: 'dev', branch: 'env/dev' },
    { name: 'prod', branch: 'env/prod' },
  ],
} as GantryConfig
const KIND = JSON.stringify({
  type: 'object',
  properties: {
    timeoutMinutes: { type: 'integer', maximum: 120 },
    agent: { type: 'string', 'x-gantry-ref': 'agent' },
  },
})
const EXPORT = 'kind: task\nname: export\nspec:\n  timeoutMinutes: 30\n  agent: pool\n'
const IMPORT = 'kind: task\nname: import\nspec:\n  timeoutMinutes: 30\n'
const PACKAGE = `name: p
items: [task/export, task/import, agent/pool]
environments:
  prod:
    set:
      task/export:
        spec.timeoutMinutes: 90
`

async function loadTree(files: Record<string, string>, options: { keepDocuments?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-overridden-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  const paths = resolvePaths(config)
  const snapshot = await readWorkingTree(dir, [paths.kinds, paths.definitions, paths.packages], 1 << 20, {
    listOnly: true,
  })
  return { dir, ...loadSource(snapshot, config, paths, new SchemaRegistry(), undefined, options) }
}

const FILES = {
  'kinds/task.schema.json': KIND,
  'kinds/agent.schema.json': '{"type":"object"}',
  'definitions/task/export.yaml': EXPORT,
  'definitions/task/import.yaml': IMPORT,
  'definitions/agent/pool.yaml': 'kind: agent\nname: pool\nspec: {}\n',
  'packages/p.yaml': PACKAGE,
}

describe('the document of an item an environment sets fields of', () => {
  it('is kept from the load: checking the overrides reads no file again', async () => {
    const { dir, model, diagnostics } = await loadTree(FILES)
    expect(diagnostics).toEqual([])
    // Rewritten after the load (the same length): a document read again now would be refused.
    writeFileSync(join(dir, 'definitions/task/export.yaml'), EXPORT.replace('30', '31'))
    writeFileSync(join(dir, 'definitions/task/import.yaml'), IMPORT.replace('30', '31'))
    expect(validatePackages(model, [])).toEqual([])
    const exported = model.definitions.get('task/export' as ItemId)!
    expect(exported.document).toStrictEqual({
      kind: 'task',
      name: 'export',
      spec: { timeoutMinutes: 30, agent: 'pool' },
    })
    // Any other document was let go, and is read again only from the bytes it was loaded from.
    expect(() => model.definitions.get('task/import' as ItemId)!.document).toThrow(SourceChangedError)
  })

  it('is checked as before: an override the kind schema refuses is reported at its key', async () => {
    const { model } = await loadTree({ ...FILES, 'packages/p.yaml': PACKAGE.replace('90', '900') })
    const findings = validatePackages(model, [])
    expect(findings.map((d) => [d.code, d.file, d.line, d.column, d.environment])).toEqual([
      ['invalid-override', 'packages/p.yaml', 7, 9, 'prod'],
    ])
    expect(findings[0]!.message).toContain('does not satisfy the task kind schema after its overrides')
  })

  it('leaves the order of the findings of loading as it was: definitions, then packages', async () => {
    const { diagnostics } = await loadTree({
      ...FILES,
      'definitions/task/broken.yaml': 'kind: task\nname: broken\nspec: [\n',
      'packages/q.yaml': 'name: q\nitems: 5\n',
    })
    expect(diagnostics.map((d) => d.file)).toEqual(['definitions/task/broken.yaml', 'packages/q.yaml'])
  })
})
