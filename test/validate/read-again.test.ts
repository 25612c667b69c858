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
import { type YamlReader, SourceChangedError, setYamlReader } from '../../src/core/yaml/read-yaml.js'

// Files read from a working tree keep nothing of their text: a position, or a document let go after loading,
// is read again from the file, and only if the file still holds the text it was loaded from.

const setupReader = setYamlReader('cross-check')
const dirs: string[] = []
afterEach(() => {
  setYamlReader(setupReader)
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const config = { environments: [{ name: 'dev', branch: 'env/dev' }] } as GantryConfig
const KIND = JSON.stringify({ type: 'object', properties: { agent: { type: 'string', 'x-gantry-ref': 'agent' } } })
const TASK = 'kind: task\nname: nightly-export\nspec:\n  # the pool\n  agent: linux-pool\n'
const TASK_FILE = 'definitions/task/nightly-export.yaml'

async function loadTree(reader: YamlReader, files: Record<string, string>) {
  setYamlReader(reader)
  const dir = mkdtempSync(join(tmpdir(), 'gantry-read-again-'))
  dirs.push(dir)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  const paths = resolvePaths(config)
  const snapshot = await readWorkingTree(dir, [paths.kinds, paths.definitions, paths.packages], 1 << 20)
  return { dir, ...loadSource(snapshot, config, paths, new SchemaRegistry()) }
}

describe('a file read from the working tree', () => {
  for (const reader of ['fast', 'cross-check', 'positional'] as YamlReader[]) {
    it(`gives positions and its document after loading, read again from the file (${reader} read)`, async () => {
      const { model, diagnostics } = await loadTree(reader, { 'kinds/task.schema.json': KIND, [TASK_FILE]: TASK })
      expect(diagnostics).toEqual([])
      const task = model.definitions.get('task/nightly-export' as ItemId)!
      expect(task.references.map((r) => [r.target, r.position])).toEqual([['agent/linux-pool', { line: 5, column: 10 }]])
      expect(task.document).toStrictEqual({ kind: 'task', name: 'nightly-export', spec: { agent: 'linux-pool' } })
    })
  }

  it('that changed after loading is not read for a position or a document: the command is to run again', async () => {
    const { dir, model } = await loadTree('fast', { 'kinds/task.schema.json': KIND, [TASK_FILE]: TASK })
    const task = model.definitions.get('task/nightly-export' as ItemId)!
    // The same length, one character changed: the hash tells.
    writeFileSync(join(dir, TASK_FILE), TASK.replace('linux-pool', 'linux-poom'))
    expect(() => task.references[0]!.position).toThrow(SourceChangedError)
    expect(() => task.document).toThrow(`${TASK_FILE} changed while Gantry was reading it: run the command again`)
    rmSync(join(dir, TASK_FILE))
    expect(() => task.parsed.positionOf(['spec'])).toThrow(SourceChangedError)
  })

  it('that is put back as it was is read again as before', async () => {
    const { dir, model } = await loadTree('fast', { 'kinds/task.schema.json': KIND, [TASK_FILE]: TASK })
    const task = model.definitions.get('task/nightly-export' as ItemId)!
    writeFileSync(join(dir, TASK_FILE), `\ufeff${TASK}`)
    // A byte order mark is not part of the text: the same text, the same positions.
    expect(task.parsed.positionOf(['spec', 'agent'])).toEqual({ line: 5, column: 10 })
    expect(task.document).toStrictEqual({ kind: 'task', name: 'nightly-export', spec: { agent: 'linux-pool' } })
  })
})
