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
import { SourceChangedError, setYamlReader } from '../../src/core/yaml/read-yaml.js'

// Validation reads the documents of the items an environment sets fields of: those are kept as they load,
// the others let go (and read again from their file if ever asked for).

const setupReader = setYamlReader('cross-check')
const dirs: string[] = []
afterEach(() => {
  setYamlReader(setupReader)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const config = { environments: [{ name: 'dev', branch: 'env/dev' }] } as GantryConfig
const KIND = JSON.stringify({ type: 'object', properties: { agent: { type: 'string' }, retries: { type: 'integer' } } })
const FILES: Record<string, string> = {
  'kinds/task.schema.json': KIND,
  'definitions/task/nightly-export.yaml': 'kind: task\nname: nightly-export\nspec:\n  agent: linux-pool\n',
  'definitions/task/weekly-export.yaml': 'kind: task\nname: weekly-export\nspec:\n  agent: linux-pool\n',
  'packages/exports.yaml':
    'name: exports\nitems: [task/nightly-export, task/weekly-export]\nenvironments:\n  dev:\n    set:\n      task/nightly-export: {spec.retries: 3}\n',
}

describe('documents kept after loading', () => {
  it('are those of the items an environment sets fields of; the others are read again when asked for', async () => {
    setYamlReader('fast')
    const dir = mkdtempSync(join(tmpdir(), 'gantry-kept-'))
    dirs.push(dir)
    for (const [path, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true })
      writeFileSync(join(dir, path), text)
    }
    const paths = resolvePaths(config)
    const snapshot = await readWorkingTree(dir, [paths.kinds, paths.definitions, paths.packages], 1 << 20, { listOnly: true })
    const { model, diagnostics } = loadSource(snapshot, config, paths, new SchemaRegistry())
    expect(diagnostics).toEqual([])
    // Both files change after loading: a document read again would be refused (the file is not what was loaded).
    for (const name of ['nightly-export', 'weekly-export'])
      writeFileSync(join(dir, `definitions/task/${name}.yaml`), `kind: task\nname: ${name}\nspec: {agent: other}\n`)
    expect(model.definitions.get('task/nightly-export' as ItemId)!.document.spec).toEqual({ agent: 'linux-pool' })
    expect(() => model.definitions.get('task/weekly-export' as ItemId)!.document).toThrow(SourceChangedError)
    expect(validatePackages(model, [])).toEqual([])
  })
})
