import { describe, expect, it } from 'vitest'
import type { Definition, GantryConfig, SourceEntry } from '../../src/core/model/source-model.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { resolvePaths } from '../../src/core/source/load-config.js'
import { loadSource } from '../../src/core/source/load-source.js'
import { validatePackages } from '../../src/core/validate/validate-local.js'

// Local validation reads the items a definition refers to by index; the references themselves, with their
// positions, are made only for a definition that has an unresolved one to report (SPEC: unresolved-reference,
// at the referring value).
const config: GantryConfig = { environments: [{ name: 'dev', branch: 'env/dev' }] } as GantryConfig

const TASK_KIND = JSON.stringify({
  type: 'object',
  properties: {
    agent: { type: 'string', 'x-gantry-ref': 'agent' },
    successors: { type: 'array', items: { type: 'string', 'x-gantry-ref': 'task' } },
  },
})

function load(successors: string) {
  const files: Record<string, string> = {
    'kinds/task.schema.json': TASK_KIND,
    'kinds/agent.schema.json': JSON.stringify({ type: 'object' }),
    'definitions/agent/linux.yaml': 'kind: agent\nname: linux\nspec: {}\n',
    'definitions/task/a.yaml': `kind: task\nname: a\nspec:\n  agent: linux\n  successors: [${successors}]\n`,
    'definitions/task/b.yaml': 'kind: task\nname: b\nspec:\n  agent: linux\n',
    'packages/p.yaml': 'name: p\nincludeReferences: true\nitems:\n  - task/a\n',
  }
  const snapshot = new Map<string, SourceEntry>(
    Object.entries(files).map(([path, text]) => [path, { type: 'file', bytes: Buffer.from(text) }]),
  )
  const { model, diagnostics } = loadSource(snapshot, config, resolvePaths(config), new SchemaRegistry())
  expect(diagnostics).toEqual([])
  // Count who makes the references of each definition.
  const made: string[] = []
  for (const definition of model.definitions.values()) {
    const getter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(definition), 'references')!.get!
    Object.defineProperty(definition, 'references', {
      get(this: Definition) {
        made.push(this.id)
        return getter.call(this) as Definition['references']
      },
    })
  }
  return { model, made }
}

describe('references in local validation', () => {
  it('are not made when every reference resolves (included through includeReferences)', () => {
    const { model, made } = load('b')
    expect(validatePackages(model, [])).toEqual([])
    expect(made).toEqual([])
  })

  it('are made for the definition with an unresolved one, which is reported at its own value', () => {
    const { model, made } = load('b, c')
    const found = validatePackages(model, [])
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({
      code: 'unresolved-reference',
      file: 'definitions/task/a.yaml',
      line: 5,
      column: 19,
      item: 'task/a',
      message: 'task/a refers to task/c, which does not exist',
    })
    expect(made).toEqual(['task/a'])
  })
})

describe('missing items in local validation', () => {
  it('each listed item without a definition is reported at its own entry, in a package beside complete ones', () => {
    const files: Record<string, string> = {
      'kinds/agent.schema.json': JSON.stringify({ type: 'object' }),
      'definitions/agent/linux.yaml': 'kind: agent\nname: linux\nspec: {}\n',
      'definitions/agent/win.yaml': 'kind: agent\nname: win\nspec: {}\n',
      'packages/a-complete.yaml': 'name: a-complete\nitems:\n  - agent/linux\n  - agent/win\n',
      'packages/b-gaps.yaml': 'name: b-gaps\nitems:\n  - agent/mac\n  - agent/linux\n  - agent/bsd\n',
      'packages/c-complete.yaml': 'name: c-complete\nitems:\n  - agent/win\n',
    }
    const snapshot = new Map<string, SourceEntry>(
      Object.entries(files).map(([path, text]) => [path, { type: 'file', bytes: Buffer.from(text) }]),
    )
    const { model, diagnostics } = loadSource(snapshot, config, resolvePaths(config), new SchemaRegistry())
    expect(diagnostics).toEqual([])
    const found = validatePackages(model, [])
    expect(found.map((d) => [d.code, d.file, d.line, d.item])).toEqual([
      ['missing-item', 'packages/b-gaps.yaml', 3, 'agent/mac'],
      ['missing-item', 'packages/b-gaps.yaml', 5, 'agent/bsd'],
    ])
  })
})
