import { describe, expect, test } from 'vitest'
import type { GantryConfig, SourceEntry } from '../../src/core/model/source-model.js'
import { findReferences, walkReferences } from '../../src/core/schema/references.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { resolvePaths } from '../../src/core/source/load-config.js'
import { loadSource } from '../../src/core/source/load-source.js'
import { validatePackages } from '../../src/core/validate/validate-local.js'

// The loader keeps each reference as two numbers (its path's and its target's): the target found by name in a
// table per kind, the path handed over by the walk as the walk's own array. These check that the numbers give
// back what findReferences finds, on repositories large enough for the tables to grow many times.
const config: GantryConfig = { environments: [{ name: 'dev', branch: 'env/dev' }] } as GantryConfig

function loadFiles(files: Record<string, string>) {
  const snapshot = new Map<string, SourceEntry>(
    Object.entries(files).map(([path, text]) => [path, { type: 'file', bytes: Buffer.from(text) }]),
  )
  return loadSource(snapshot, config, resolvePaths(config), new SchemaRegistry())
}

const TASK_KIND = {
  type: 'object',
  properties: {
    agent: { type: 'string', 'x-gantry-ref': 'agent' },
    successors: { type: 'array', items: { type: 'string', 'x-gantry-ref': 'task' } },
    // The same value through two combinators: found once by findReferences, at the kind of the first one walked
    // (allOf, then anyOf, then oneOf).
    owner: {
      anyOf: [{ 'x-gantry-ref': 'agent' }, { 'x-gantry-ref': 'task' }],
      allOf: [{ 'x-gantry-ref': 'task' }],
    },
  },
}

describe('reference numbers', () => {
  test('thousands of items of two kinds: every reference resolves to the definition of its name and kind', () => {
    const files: Record<string, string> = {
      'kinds/task.schema.json': JSON.stringify(TASK_KIND),
      'kinds/agent.schema.json': JSON.stringify({ type: 'object' }),
    }
    const n = 3000
    // Names that differ in one character, names that are the same in both kinds, and names of other lengths.
    const name = (i: number) => `n-${i}${i % 7 === 0 ? '-x' : ''}`
    for (let i = 0; i < n; i++) {
      files[`definitions/agent/${name(i)}.yaml`] = `kind: agent\nname: ${name(i)}\nspec: {}\n`
      const successors = [name((i * 31 + 1) % n), name((i * 17 + 5) % n)]
      files[`definitions/task/${name(i)}.yaml`] =
        `kind: task\nname: ${name(i)}\nspec:\n  agent: ${name(n - 1 - i)}\n  successors: [${successors.join(', ')}]\n  owner: ${name(i)}\n`
    }
    const { model, diagnostics } = loadFiles(files)
    expect(diagnostics).toEqual([])
    expect(model.definitions.size).toBe(2 * n)
    for (let i = 0; i < n; i++) {
      const task = model.definitions.get(`task/${name(i)}` as never)!
      expect(task.id).toBe(`task/${name(i)}`)
      const targets = Array.from({ length: task.referenceCount }, (_, k) => task.referenceTarget(k))
      expect(targets).toEqual([
        `agent/${name(n - 1 - i)}`,
        `task/${name((i * 31 + 1) % n)}`,
        `task/${name((i * 17 + 5) % n)}`,
        `task/${name(i)}`,
      ])
      // The same references, paths and targets, as findReferences finds them in the document.
      const found = findReferences(TASK_KIND, task.document.spec)
      expect(task.references.map((r) => ({ path: r.path, target: r.target }))).toEqual(
        found.map((f) => ({ path: f.path, target: `${f.kind}/${f.name}` })),
      )
      // Each target is the very string the definition it names is keyed by.
      expect(model.definitions.get(targets[1] as never)?.id).toBe(targets[1])
    }
  })

  test('a reference to a name no definition has, and names beyond ASCII, are found and reported', () => {
    const files: Record<string, string> = {
      'kinds/task.schema.json': JSON.stringify(TASK_KIND),
      'kinds/agent.schema.json': JSON.stringify({ type: 'object' }),
      'definitions/agent/linux.yaml': 'kind: agent\nname: linux\nspec: {}\n',
      'definitions/task/a.yaml':
        'kind: task\nname: a\nspec:\n  agent: linux\n  successors: [b, "é😀", linu, linuxx]\n',
      'definitions/task/b.yaml': 'kind: task\nname: b\nspec:\n  agent: "linux"\n  successors: ["é😀"]\n',
      'packages/p.yaml': 'name: p\nitems:\n  - task/a\n  - task/b\n  - agent/linux\n',
    }
    const { model, diagnostics } = loadFiles(files)
    expect(diagnostics).toEqual([])
    const a = model.definitions.get('task/a' as never)!
    expect(Array.from({ length: a.referenceCount }, (_, k) => a.referenceTarget(k))).toEqual([
      'agent/linux',
      'task/b',
      'task/é😀',
      'task/linu',
      'task/linuxx',
    ])
    // Equal names written apart (in two files) are one target: the same string.
    const b = model.definitions.get('task/b' as never)!
    expect(b.referenceTarget(1)).toBe(a.referenceTarget(2))
    expect(validatePackages(model, []).map((d) => [d.item, d.message])).toEqual([
      ['task/a', 'task/a refers to task/é😀, which does not exist'],
      ['task/a', 'task/a refers to task/linu, which does not exist'],
      ['task/a', 'task/a refers to task/linuxx, which does not exist'],
      ['task/b', 'task/b refers to task/é😀, which does not exist'],
    ])
  })
})

describe('walkReferences', () => {
  test('hands over the references findReferences finds, in order, and tells when one path came twice', () => {
    const spec = { agent: 'x', successors: ['a', 'b'], owner: 'o' }
    const seen: { path: (string | number)[]; kind: string; name: string }[] = []
    const repeats = walkReferences(TASK_KIND, spec, (path, kind, name) =>
      seen.push({ path: [...path], kind, name }),
    )
    expect(repeats).toBe(true)
    expect(seen).toEqual([
      { path: ['spec', 'agent'], kind: 'agent', name: 'x' },
      { path: ['spec', 'successors', 0], kind: 'task', name: 'a' },
      { path: ['spec', 'successors', 1], kind: 'task', name: 'b' },
      { path: ['spec', 'owner'], kind: 'task', name: 'o' },
      { path: ['spec', 'owner'], kind: 'agent', name: 'o' },
      { path: ['spec', 'owner'], kind: 'task', name: 'o' },
    ])
    expect(findReferences(TASK_KIND, spec)).toEqual(seen.slice(0, 4))
    // Without a combinator on the way, nothing comes twice.
    expect(walkReferences(TASK_KIND, { agent: 'x', successors: ['a'] }, () => undefined)).toBe(false)
  })
})
