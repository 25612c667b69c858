import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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

// A definition's document is let go once it is loaded and read again from its file when asked for; the
// documents of the items an environment sets fields of are kept from loading: checking each override reads
// them, and reading them again would cost a second read, hash and parse of each of those files.

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
  properties: { agent: { type: 'string' }, timeoutMinutes: { type: 'integer', maximum: 600 } },
  additionalProperties: false,
})
const task = (name: string) => `kind: task\nname: ${name}\nspec:\n  agent: linux-pool\n  timeoutMinutes: 30\n`
const PACKAGE = `name: exports
items:
  - task/nightly-export
  - task/weekly-export
environments:
  prod:
    set:
      task/nightly-export:
        spec.timeoutMinutes: 120
`

describe('the document of a definition an environment overrides', () => {
  it('is kept from loading; the others are read again from their files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-overridden-'))
    dirs.push(dir)
    const files: Record<string, string> = {
      'kinds/task.schema.json': KIND,
      'definitions/task/nightly-export.yaml': task('nightly-export'),
      'definitions/task/weekly-export.yaml': task('weekly-export'),
      'packages/exports.yaml': PACKAGE,
    }
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), text)
    }
    const paths = resolvePaths(config)
    const snapshot = await readWorkingTree(dir, [paths.kinds, paths.definitions, paths.packages], 1 << 20)
    const { model, diagnostics } = loadSource(snapshot, config, paths, new SchemaRegistry())
    expect(diagnostics).toEqual([])

    // Both files change after loading: only a document that was let go has to be read from its file again.
    for (const name of ['nightly-export', 'weekly-export'])
      writeFileSync(join(dir, `definitions/task/${name}.yaml`), task(name).replace('30', '99'))
    const weekly = model.definitions.get('task/weekly-export' as ItemId)!
    expect(() => weekly.document).toThrow(SourceChangedError)
    const nightly = model.definitions.get('task/nightly-export' as ItemId)!
    expect(nightly.document).toStrictEqual({ kind: 'task', name: 'nightly-export', spec: { agent: 'linux-pool', timeoutMinutes: 30 } })
    // The override is checked against the document as loaded.
    expect(validatePackages(model, [])).toEqual([])
  })

  it('is checked as before: an override the kind schema refuses is reported', () => {
    const snapshot = new Map(
      Object.entries({
        'kinds/task.schema.json': KIND,
        'definitions/task/nightly-export.yaml': task('nightly-export'),
        'definitions/task/weekly-export.yaml': task('weekly-export'),
        'packages/exports.yaml': PACKAGE.replace('120', '900'),
      }).map(([path, text]) => [path, { type: 'file' as const, bytes: Buffer.from(text) }]),
    )
    const { model, diagnostics } = loadSource(snapshot, config, resolvePaths(config), new SchemaRegistry())
    expect(diagnostics).toEqual([])
    expect(validatePackages(model, []).map((d) => [d.code, d.item, d.environment])).toEqual([
      ['invalid-override', 'task/nightly-export', 'prod'],
    ])
  })
})
