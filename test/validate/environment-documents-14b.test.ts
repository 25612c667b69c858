import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { GantryConfig } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { environmentDocument } from '../../src/core/promotion/environment-content.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { resolvePaths } from '../../src/core/source/load-config.js'
import { loadSource } from '../../src/core/source/load-source.js'
import { validatePackages } from '../../src/core/validate/validate-local.js'

// Each environment sees an item with its own replacements and overrides applied. However the document is
// copied for it (a deep copy today; a cheaper copy would share what it does not change), neither the item nor
// another environment's document of it may see a value one environment set.

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const config = {
  environments: [
    { name: 'dev', branch: 'env/dev' },
    { name: 'qa', branch: 'env/qa' },
    { name: 'prod', branch: 'env/prod' },
  ],
} as GantryConfig
const TASK_KIND = JSON.stringify({
  type: 'object',
  properties: {
    limits: { type: 'object', properties: { timeoutMinutes: { type: 'integer', maximum: 120 } } },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: { run: { type: 'string' }, agent: { type: 'string', 'x-gantry-ref': 'agent' } },
      },
    },
  },
})
const EXPORT = `kind: task
name: export
spec:
  limits:
    timeoutMinutes: 30
  steps:
    - run: extract
      agent: pool
    - run: load
      agent: pool
`
// dev replaces the agent of both steps and sets a timeout the kind refuses; qa sets a nested value the kind
// accepts; prod sets nothing.
const PACKAGE = `name: p
items: [task/export, agent/pool, agent/pool-dev]
environments:
  dev:
    replace:
      agent/pool: agent/pool-dev
    set:
      task/export:
        spec.limits.timeoutMinutes: 900
        spec.steps.1.run: load-dev
  qa:
    set:
      task/export:
        spec.limits.timeoutMinutes: 60
`
const FILES = {
  'kinds/task.schema.json': TASK_KIND,
  'kinds/agent.schema.json': '{"type":"object"}',
  'definitions/task/export.yaml': EXPORT,
  'definitions/agent/pool.yaml': 'kind: agent\nname: pool\nspec: {}\n',
  'definitions/agent/pool-dev.yaml': 'kind: agent\nname: pool-dev\nspec: {}\n',
  'packages/p.yaml': PACKAGE,
}
const AS_LOADED = {
  kind: 'task',
  name: 'export',
  spec: {
    limits: { timeoutMinutes: 30 },
    steps: [
      { run: 'extract', agent: 'pool' },
      { run: 'load', agent: 'pool' },
    ],
  },
}

async function loadTree(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-env-documents-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  const paths = resolvePaths(config)
  const snapshot = await readWorkingTree(dir, [paths.kinds, paths.definitions, paths.packages], 1 << 20, {
    listOnly: true,
  })
  return loadSource(snapshot, config, paths, new SchemaRegistry())
}

describe('an item as each environment sees it', () => {
  it('has only its own environment values; the item and the other environments see none of them', async () => {
    const { model, diagnostics } = await loadTree(FILES)
    expect(diagnostics).toEqual([])
    const item = model.definitions.get('task/export' as ItemId)!
    const settings = model.packages.get('p')!.manifest.environments!
    const dev = environmentDocument(item, settings.dev, item.id)
    const qa = environmentDocument(item, settings.qa, item.id)
    const prod = environmentDocument(item, settings.prod, item.id)
    expect(dev).toStrictEqual({
      ...AS_LOADED,
      spec: {
        limits: { timeoutMinutes: 900 },
        steps: [
          { run: 'extract', agent: 'pool-dev' },
          { run: 'load-dev', agent: 'pool-dev' },
        ],
      },
    })
    expect(qa).toStrictEqual({ ...AS_LOADED, spec: { ...AS_LOADED.spec, limits: { timeoutMinutes: 60 } } })
    expect(prod).toStrictEqual(AS_LOADED)
    expect(item.document).toStrictEqual(AS_LOADED)
    // Made again after the others, dev's document is the same: nothing it set stayed anywhere it reads from.
    expect(environmentDocument(item, settings.dev, item.id)).toStrictEqual(dev)
    expect(environmentDocument(item, settings.prod, item.id)).toStrictEqual(AS_LOADED)
  })

  it('is checked per environment: only the environment whose override the kind refuses is reported', async () => {
    const { model } = await loadTree(FILES)
    const findings = validatePackages(model, [])
    expect(findings.map((d) => [d.code, d.environment, d.line])).toEqual([['invalid-override', 'dev', 9]])
    // Checked again, the findings are the same and the item is as loaded.
    expect(validatePackages(model, []).map((d) => [d.code, d.environment, d.line])).toEqual([
      ['invalid-override', 'dev', 9],
    ])
    expect(model.definitions.get('task/export' as ItemId)!.document).toStrictEqual(AS_LOADED)
  })
})
