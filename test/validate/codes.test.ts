import { afterAll, describe, expect, it } from 'vitest'
import { removeTempDirs, tempDir, writeFiles } from '../support/fixtures.js'
import { baseRepo, diagnosticsOf, expectOne, validate } from './base-repo.js'

afterAll(removeTempDirs)

/** Local validation: every code at the file, line and column of the offending node. */
describe('validate: diagnostic codes at their exact position', () => {
  it('base repository is clean', async () => {
    const { code, result } = await validate(baseRepo())
    expect(result).toEqual({ ok: true, errors: 0, warnings: 0, diagnostics: [] })
    expect(code).toBe(0)
  })

  it('yaml-syntax: an invalid escape, at the escape', async () => {
    const file = 'definitions/task/bad.yaml'
    const { code, result } = await validate(baseRepo({ [file]: 'kind: task\nname: "bad\\q"\nspec: {}\n' }))
    expect(code).toBe(1)
    const d = expectOne(result, file, 'yaml-syntax', 2, 11)
    expect(d.message).toContain('\\q')
  })

  it('yaml-syntax: a value with ": " in it, at the value', async () => {
    const file = 'definitions/task/bad.yaml'
    const { result } = await validate(baseRepo({ [file]: 'kind: task\nname: bad: really\nspec: {}\n' }))
    expectOne(result, file, 'yaml-syntax', 2, 7)
  })

  it('yaml-syntax: a tab as indentation, at the tab', async () => {
    const file = 'definitions/task/bad.yaml'
    const { result } = await validate(baseRepo({ [file]: 'kind: task\nname: bad\nspec:\n\tcommand: x\n' }))
    const d = expectOne(result, file, 'yaml-syntax', 4, 1)
    expect(d.message).toContain('Tabs')
  })

  it('yaml-syntax: an unclosed flow sequence', async () => {
    const file = 'definitions/task/bad.yaml'
    const { result } = await validate(
      baseRepo({
        [file]: 'kind: task\nname: bad\nspec:\n  command: x\n  agent: linux\n  successors: [load\n',
      }),
    )
    // The parser finds the sequence unclosed where the file ends: line 7, column 1.
    const d = expectOne(result, file, 'yaml-syntax', 7, 1)
    expect(d.message).toContain('end with a ]')
  })

  it('duplicate-key: at the second occurrence of the key', async () => {
    const file = 'definitions/task/bad.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: task\nname: bad\nspec:\n  command: x\n  agent: linux\n  command: y\n' }),
    )
    const d = expectOne(result, file, 'duplicate-key', 6, 3)
    expect(d.message).toContain('"command"')
    expect(d.message).toContain('line 4')
  })

  it('duplicate-key: keys that differ in YAML but not once loaded (1 and "1")', async () => {
    const file = 'definitions/agent/bad.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: agent\nname: bad\nspec:\n  host: h\n  labels:\n    1: one\n    "1": uno\n' }),
    )
    expectOne(result, file, 'duplicate-key', 7, 5)
  })

  it('input-too-large: a file over the size limit, refused before parsing', async () => {
    const file = 'definitions/task/big.yaml'
    // Invalid YAML past the first line: a parse would report a syntax error instead.
    const big = `kind: task\nname: big\nspec: [${'x'.repeat(2 * 1024 * 1024)}\n`
    const { result } = await validate(baseRepo({ [file]: big }))
    const d = expectOne(result, file, 'input-too-large', 1, 1)
    expect(d.message).toContain(String(Buffer.byteLength(big)))
  })

  it('forbidden-key: at the key', async () => {
    const file = 'definitions/task/bad.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: task\nname: bad\nspec:\n  command: x\n  agent: linux\n  __proto__: {}\n' }),
    )
    expectOne(result, file, 'forbidden-key', 6, 3)
  })

  it('unsafe-path: a symbolic link is reported, not followed', async () => {
    const outside = tempDir('gantry-outside-')
    writeFiles(outside, { 'agent.yaml': 'kind: agent\nname: link\nspec:\n  host: 42\n' })
    const file = 'definitions/agent/link.yaml'
    const { result } = await validate(baseRepo({ [file]: { symlink: `${outside}/agent.yaml` } }))
    expectOne(result, file, 'unsafe-path', 1, 1)
    expect(result.diagnostics).toHaveLength(1)
  })

  it('schema: a spec value of the wrong type, at the value', async () => {
    const file = 'definitions/task/load.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: task\nname: load\nspec:\n  command: run load\n  agent: [linux]\n' }),
    )
    const d = expectOne(result, file, 'schema', 5, 10)
    expect(d.message).toBe('spec.agent must be a string, not a list')
    expect(d.item).toBe('task/load')
  })

  it('schema: a missing required field, at the map that lacks it', async () => {
    const file = 'definitions/task/load.yaml'
    const { result } = await validate(baseRepo({ [file]: 'kind: task\nname: load\nspec:\n  agent: linux\n' }))
    const d = expectOne(result, file, 'schema', 4, 3)
    expect(d.message).toBe('spec is missing the required field "command"')
  })

  it('schema: an unknown field, at its key', async () => {
    const file = 'definitions/task/load.yaml'
    const { result } = await validate(
      baseRepo({
        [file]: 'kind: task\nname: load\nspec:\n  command: run load\n  agent: linux\n  agnet: linux\n',
      }),
    )
    const d = expectOne(result, file, 'schema', 6, 3)
    expect(d.message).toBe('spec.agnet is not a known field')
  })

  it('unknown-kind: at the kind value; the hint lists the known kinds', async () => {
    const file = 'definitions/widget/gear.yaml'
    const { result } = await validate(baseRepo({ [file]: 'kind: widget\nname: gear\nspec: {}\n' }))
    const d = expectOne(result, file, 'unknown-kind', 1, 7)
    expect(d.hint).toContain('kinds/widget.schema.json')
    expect(d.hint).toContain('agent, credential, task')
  })

  it('invalid-name: at the name value', async () => {
    const file = 'definitions/task/Load.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: task\nname: Load\nspec:\n  command: x\n  agent: linux\n' }),
    )
    const d = expectOne(result, file, 'invalid-name', 2, 7)
    expect(d.message).toBe('name "Load" has upper-case letters')
  })

  it('invalid-name: a kind schema file whose name is not a valid kind', async () => {
    const file = 'kinds/Widget.schema.json'
    const { result } = await validate(baseRepo({ [file]: '{"type": "object"}' }))
    expectOne(result, file, 'invalid-name', 1, 1)
  })

  it('path-mismatch: a definition whose file is not definitions/<kind>/<name>.yaml', async () => {
    const file = 'definitions/agent/runner.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: task\nname: runner\nspec:\n  command: x\n  agent: linux\n' }),
    )
    const d = expectOne(result, file, 'path-mismatch', 2, 7)
    expect(d.message).toContain('definitions/task/runner.yaml')
    expect(d.item).toBe('task/runner')
  })

  it('path-mismatch: a package whose file is not packages/<name>.yaml', async () => {
    const file = 'packages/tools.yaml'
    const { result } = await validate(baseRepo({ [file]: 'name: utilities\nitems: []\n' }))
    const d = expectOne(result, file, 'path-mismatch', 1, 7)
    expect(d.package).toBe('utilities')
  })

  it('duplicate-definition: a second file declaring an item its own file already defines', async () => {
    const file = 'definitions/task/load-copy.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: task\nname: load\nspec:\n  command: x\n  agent: linux\n' }),
    )
    const d = expectOne(result, file, 'duplicate-definition', 2, 7)
    expect(d.message).toBe('task/load is defined twice: here and in definitions/task/load.yaml')
    expect(diagnosticsOf(result, 'definitions/task/load.yaml')).toEqual([])
  })

  it('missing-item: at the item in the list', async () => {
    const file = 'packages/base.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'name: base\nitems:\n  - agent/linux\n  - agent/windows\n  - credential/db\n' }),
    )
    const d = expectOne(result, file, 'missing-item', 4, 5)
    expect(d).toMatchObject({ package: 'base', item: 'agent/windows' })
    expect(d.hint).toContain('definitions/agent/windows.yaml')
  })

  it('missing-item: an environment override of an item the package does not have, at its key', async () => {
    const file = 'packages/base.yaml'
    const { result } = await validate(
      baseRepo({
        [file]:
          'name: base\nitems:\n  - agent/linux\n  - credential/db\nenvironments:\n  prod:\n    set:\n      task/load:\n        spec.command: x\n',
      }),
    )
    const d = expectOne(result, file, 'missing-item', 8, 7)
    expect(d.item).toBe('task/load')
  })

  it('unresolved-reference: at the referring value; the hint names the package that has the item', async () => {
    const { code, result } = await validate(
      baseRepo({
        'packages/base.yaml': 'name: base\nitems:\n  - credential/db\n',
        'packages/agents.yaml': 'name: agents\nitems:\n  - agent/linux\n',
      }),
    )
    expect(code).toBe(1)
    const extract = expectOne(result, 'definitions/task/extract.yaml', 'unresolved-reference', 5, 10)
    expect(extract).toMatchObject({ package: 'etl', item: 'task/extract' })
    expect(extract.message).toBe(
      'task/extract refers to agent/linux, which is neither in package etl nor provided by its dependencies',
    )
    expect(extract.hint).toBe('add agent/linux to items, or depend on package agents, which has it')
    expectOne(result, 'definitions/task/load.yaml', 'unresolved-reference', 5, 10)
    expect(result.errors).toBe(2)
  })

  it('unresolved-reference: inside a list, to an item that exists nowhere', async () => {
    const file = 'definitions/task/extract.yaml'
    const { result } = await validate(
      baseRepo({
        [file]:
          'kind: task\nname: extract\nspec:\n  command: run extract\n  agent: linux\n  successors: [load, publish]\n',
      }),
    )
    const d = expectOne(result, file, 'unresolved-reference', 6, 22)
    expect(d.message).toBe('task/extract refers to task/publish, which does not exist')
    expect(d.hint).toContain('definitions/task/publish.yaml')
  })

  it('references are found by walking the kind schema ($ref, additionalProperties, anyOf), never from values', async () => {
    const file = 'definitions/pipeline/p.yaml'
    const taskRef = { type: 'string', 'x-gantry-ref': 'task' }
    const { result } = await validate(
      baseRepo({
        'kinds/pipeline.schema.json': JSON.stringify({
          type: 'object',
          definitions: { taskRef },
          properties: {
            first: { $ref: '#/definitions/taskRef' },
            steps: { type: 'object', additionalProperties: { $ref: '#/definitions/taskRef' } },
            either: { anyOf: [taskRef, { type: 'integer' }] },
            note: { type: 'string' },
            odd: { $ref: '#/__proto__/constructor' },
          },
        }),
        [file]:
          'kind: pipeline\nname: p\nspec:\n  first: ghost-a\n  steps:\n    one: ghost-b\n  either: ghost-c\n  note: load\n  odd: ghost-d\n',
        'packages/pl.yaml': 'name: pl\nitems:\n  - pipeline/p\n',
      }),
    )
    expect(diagnosticsOf(result, file).map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['unresolved-reference', 4, 10, 'pipeline/p refers to task/ghost-a, which does not exist'],
      ['unresolved-reference', 6, 10, 'pipeline/p refers to task/ghost-b, which does not exist'],
      ['unresolved-reference', 7, 11, 'pipeline/p refers to task/ghost-c, which does not exist'],
    ])
  })

  it('missing-dependency: at the dependency name', async () => {
    const file = 'packages/etl.yaml'
    const { result } = await validate(
      baseRepo({
        'packages/base.yaml': 'name: base\nitems: []\n',
        [file]:
          'name: etl\nincludeReferences: true\nitems:\n  - task/extract\n  - task/load\ndependencies:\n  - package: ghost\n',
      }),
    )
    const d = expectOne(result, file, 'missing-dependency', 7, 14)
    expect(d.message).toBe('package etl depends on ghost, which does not exist')
  })

  it('dependency-version: a range that does not parse, at the range', async () => {
    const file = 'packages/etl.yaml'
    const { result } = await validate(
      baseRepo({
        [file]:
          'name: etl\nitems:\n  - task/extract\n  - task/load\ndependencies:\n  - package: base\n    version: ">=banana"\n',
      }),
    )
    const d = expectOne(result, file, 'dependency-version', 7, 14)
    expect(d.message).toContain('not valid')
  })

  it('dependency-version: a range no version can satisfy, at the range', async () => {
    const file = 'packages/etl.yaml'
    const { result } = await validate(
      baseRepo({
        [file]:
          'name: etl\nitems:\n  - task/extract\n  - task/load\ndependencies:\n  - package: base\n    version: ">=5"\n',
      }),
    )
    const d = expectOne(result, file, 'dependency-version', 7, 14)
    expect(d.message).toBe('no version of base satisfies >=5 (released: none; next build: 1)')
  })

  it('dependency-cycle: once, at the dependency that closes the cycle', async () => {
    const { result } = await validate(
      baseRepo({
        'packages/base.yaml':
          'name: base\nitems:\n  - agent/linux\n  - credential/db\ndependencies:\n  - package: etl\n',
      }),
    )
    const cycles = result.diagnostics.filter((d) => d.code === 'dependency-cycle')
    expect(cycles).toHaveLength(1)
    expect(cycles[0]).toMatchObject({ file: 'packages/etl.yaml', line: 6, column: 14, package: 'etl' })
    expect(cycles[0]!.message).toBe('dependency cycle: base -> etl -> base')
  })

  it('unknown-environment: package settings for an environment gantry.yaml does not declare, at the key', async () => {
    const file = 'packages/base.yaml'
    const { result } = await validate(
      baseRepo({
        [file]:
          'name: base\nitems:\n  - agent/linux\n  - credential/db\nenvironments:\n  staging:\n    release: "2030-01-01T00:00:00Z"\n',
      }),
    )
    const d = expectOne(result, file, 'unknown-environment', 6, 3)
    expect(d.hint).toBe('environments: dev, prod')
  })

  it('a broken definition is reported once: not again as missing from its package or as unresolved', async () => {
    const file = 'definitions/task/load.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'kind: task\nname: load\nspec:\n  command: run load\n  agent: 42\n' }),
    )
    expect(result.diagnostics.map((d) => [d.file, d.code])).toEqual([[file, 'schema']])
  })

  it('a definition in the wrong file is reported once, as misplaced', async () => {
    const { result } = await validate(
      baseRepo({
        'definitions/task/load.yaml': null,
        'definitions/task/loader.yaml':
          'kind: task\nname: load\nspec:\n  command: run load\n  agent: linux\n',
      }),
    )
    expect(result.diagnostics.map((d) => [d.file, d.code])).toEqual([
      ['definitions/task/loader.yaml', 'path-mismatch'],
    ])
  })

  it('a broken package is reported once: not again as a missing dependency or as unresolved references', async () => {
    const file = 'packages/base.yaml'
    const { result } = await validate(
      baseRepo({ [file]: 'name: base\nitems:\n  - agent/linux\n  - credential/db\nlocked: maybe\n' }),
    )
    expect(result.diagnostics.map((d) => [d.file, d.code, d.line, d.column])).toEqual([
      [file, 'schema', 5, 9],
    ])
  })

  it('errors in several files are all reported, sorted by file, line and column', async () => {
    const { result } = await validate(
      baseRepo({
        'definitions/task/load.yaml': 'kind: task\nname: load\nspec:\n  command: 1\n  agent: 2\n',
        'definitions/agent/linux.yaml': 'kind: agent\nname: linux\nspec:\n  host: h\n  port: "80"\n',
      }),
    )
    const where = result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}:${d.code}`)
    expect(
      where.filter(
        (w) => w.startsWith('definitions/agent/linux.yaml') || w.startsWith('definitions/task/load.yaml'),
      ),
    ).toEqual([
      'definitions/agent/linux.yaml:5:9:schema',
      'definitions/task/load.yaml:4:12:schema',
      'definitions/task/load.yaml:5:10:schema',
    ])
    expect(result.errors).toBe(result.diagnostics.filter((d) => d.severity === 'error').length)
  })
})
