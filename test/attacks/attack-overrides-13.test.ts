import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { Diagnostic } from '../../src/core/diagnostics.js'
import type { GantryConfig } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { resolvePaths } from '../../src/core/source/load-config.js'
import { loadSource } from '../../src/core/source/load-source.js'
import { validatePackages } from '../../src/core/validate/validate-local.js'
import { SourceChangedError } from '../../src/core/yaml/read-yaml.js'
import { runCli } from '../support/cli.js'
import { makeGitRepo, removeTempDirs, tempDir } from '../support/fixtures.js'

// loadSource reads packages/*.yaml before the definitions and keeps the documents of the items an environment
// of a loaded package sets fields of (`environments.<env>.set`); every other document is let go and read again
// from the bytes it was loaded from. Findings of loading still list the definitions' before the packages'.
// Attacked with override ids that are malformed, of other packages, of missing items, differing in case or by
// `.yml`; packages that fail to load but still name overrides; `replace` entries; many environments.

afterAll(removeTempDirs)

/** A small seeded generator (mulberry32): the same repositories on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ENVIRONMENTS = ['dev', 'qa', 'prod']
const config = { environments: ENVIRONMENTS.map((name) => ({ name, branch: `env/${name}` })) } as GantryConfig
const KIND = JSON.stringify({
  type: 'object',
  properties: {
    timeoutMinutes: { type: 'integer', maximum: 120 },
    agent: { type: 'string', 'x-gantry-ref': 'agent' },
  },
})
const GANTRY = `environments:\n${ENVIRONMENTS.map((e) => `  - name: ${e}\n    branch: env/${e}\n`).join('')}`

/** A task of a fixed length whatever its minutes (two digits), so that rewriting it keeps its size. */
const task = (name: string, minutes: number, agent: string) =>
  `kind: task\nname: ${name}\nspec:\n  timeoutMinutes: ${String(minutes).padStart(2, '1')}\n  agent: ${agent}\n`

interface Repository {
  files: Record<string, string | { symlink: string }>
  /** The items the packages that load set fields of: the documents kept. */
  kept: Set<string>
}

/**
 * Packages p0..pN-1 each with tasks and an agent, and environments that set fields of ids of every sort. Some
 * packages are broken in ways that leave them out of the model (their overrides then keep nothing).
 */
function generate(seed: number): Repository {
  const next = random(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
  const files: Repository['files'] = {
    'kinds/task.schema.json': KIND,
    'kinds/agent.schema.json': '{"type":"object"}',
  }
  const kept = new Set<string>()
  const packages = 3 + Math.floor(next() * 4)
  const itemsOf: string[][] = []
  for (let p = 0; p < packages; p++) {
    const items = [`agent/pool-${p}`]
    files[`definitions/agent/pool-${p}.yaml`] = `kind: agent\nname: pool-${p}\nspec: {}\n`
    for (let t = 0; t < 3 + Math.floor(next() * 5); t++) {
      items.push(`task/t${p}-${t}`)
      files[`definitions/task/t${p}-${t}.yaml`] = task(
        `t${p}-${t}`,
        10 + Math.floor(next() * 80),
        `pool-${p}`,
      )
    }
    itemsOf.push(items)
  }
  // Items defined in no package and in the wrong place or twice: an override of them keeps nothing.
  files['definitions/task/stray.yaml'] = task('stray', 20, 'pool-0')
  files['definitions/task/misplaced.yml'] = task('misplaced', 20, 'pool-0')
  files['definitions/task/copy.yaml'] = task('t0-0', 20, 'pool-0')
  files['definitions/task/broken.yaml'] = 'kind: task\nname: broken\nspec: [\n'
  for (let p = 0; p < packages; p++) {
    const own = itemsOf[p]!
    const other = itemsOf[(p + 1) % packages]!
    const ids = () => {
      const id = pick(own)
      return pick([
        id,
        id,
        pick(other),
        'task/missing',
        'task/stray',
        'task/misplaced',
        'task/broken',
        `${id}.yml`,
        `${id}.yaml`,
        id.replace('t', 'T'),
        id.replace('/', '//'),
      ])
    }
    const broken = pick([
      'none',
      'none',
      'none',
      'yaml',
      'schema',
      'misplaced',
      'name',
      'symlink',
      'yml-twin',
    ])
    let text = `name: p${p}\nitems: [${own.join(', ')}]\nenvironments:\n`
    const sets: string[] = []
    for (const env of ENVIRONMENTS) {
      if (next() < 0.2) continue
      text += `  ${env}:\n`
      if (next() < 0.5)
        text += `    replace:\n      ${pick(own.filter((i) => i.startsWith('agent/')))}: agent/pool-${(p + 1) % packages}\n`
      const chosen = new Set<string>()
      for (let k = 0; k < 1 + Math.floor(next() * 4); k++) chosen.add(ids())
      if (next() < 0.15) continue
      text += `    set:\n`
      for (const id of chosen) {
        text += `      ${JSON.stringify(id)}:\n        spec.timeoutMinutes: ${pick([5, 60, 500, '"x"'])}\n`
        sets.push(id)
      }
    }
    const loads =
      broken === 'none' && sets.every((id) => /^[a-z]+\/[a-z0-9.-]+$/.test(id) && !id.includes('//'))
    if (loads) for (const id of sets) kept.add(id)
    switch (broken) {
      case 'yaml':
        text += '  bad: [\n'
        break
      case 'schema':
        text = text.replace(/^items: .*$/m, 'items: 5')
        break
      case 'misplaced':
        files[`packages/sub/p${p}.yaml`] = text
        continue
      case 'name':
        text = text.replace(`name: p${p}`, `name: q${p}`)
        break
      case 'symlink':
        files[`packages/p${p}-real.txt`] = text
        files[`packages/p${p}.yaml`] = { symlink: `p${p}-real.txt` }
        continue
      case 'yml-twin':
        // The same package as packages/p<N>.yml: the wrong name for its place, so it is refused.
        files[`packages/p${p}.yml`] = text
        continue
    }
    files[`packages/p${p}.yaml`] = text
  }
  return { files, kept }
}

function write(dir: string, files: Repository['files']): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    if (typeof content === 'string') writeFileSync(join(dir, path), content)
    else symlinkSync(content.symlink, join(dir, path))
  }
}

async function load(dir: string, options: { keepDocuments?: boolean } = {}) {
  const paths = resolvePaths(config)
  const snapshot = await readWorkingTree(dir, [paths.kinds, paths.definitions, paths.packages], 1 << 20, {
    listOnly: true,
  })
  return loadSource(snapshot, config, paths, new SchemaRegistry(), undefined, options)
}

/** Rewrites every definition file with other bytes of the same length: a document read again now is refused. */
function rewriteDefinitions(dir: string, files: Repository['files']): void {
  for (const [path, content] of Object.entries(files)) {
    if (!path.startsWith('definitions/') || typeof content !== 'string') continue
    writeFileSync(
      join(dir, path),
      content
        .replace(/timeoutMinutes: (\d)/, (_, d: string) => `timeoutMinutes: ${d === '9' ? '8' : '9'}`)
        .replace('spec: {}', 'spec: []'),
    )
  }
}

const key = (d: Diagnostic) =>
  `${d.code} ${d.file ?? ''}:${d.line ?? ''}:${d.column ?? ''} ${d.environment ?? ''} ${d.message}`

describe('the documents kept by loadSource: exactly those of the items a loaded package sets fields of', () => {
  const seeds = Array.from({ length: 24 }, (_, i) => 0x13a0 + i)
  it.each(seeds)('seed %i', async (seed) => {
    const { files, kept } = generate(seed)
    const dir = tempDir('gantry-overrides-13-')
    write(dir, files)
    if (process.env.GANTRY_ATTACK_COPY) {
      // For comparing built CLIs by hand: the repository as generated, with a gantry.yaml, committed.
      const copy = join(process.env.GANTRY_ATTACK_COPY, `seed-${seed}`)
      cpSync(dir, copy, { recursive: true, verbatimSymlinks: true })
      writeFileSync(join(copy, 'gantry.yaml'), GANTRY)
      makeGitRepo(copy)
    }
    const before = await load(dir, { keepDocuments: true })
    const beforeFindings = validatePackages(before.model, []).map(key)
    const { model, diagnostics } = await load(dir)
    // The same findings whether every document or only the overridden ones are kept.
    expect(diagnostics.map(key)).toEqual(before.diagnostics.map(key))
    expect(validatePackages(model, []).map(key)).toEqual(beforeFindings)

    rewriteDefinitions(dir, files)
    const readable: string[] = []
    for (const [id, definition] of model.definitions) {
      try {
        void definition.document
        readable.push(id)
      } catch (error) {
        expect(error).toBeInstanceOf(SourceChangedError)
      }
    }
    const expected = [...kept].filter((id) => model.definitions.has(id as ItemId)).sort()
    expect(readable.sort()).toEqual(expected)
    // Checking the overrides needs no file again, and finds what it found before the files changed.
    expect(validatePackages(model, []).map(key)).toEqual(beforeFindings)
    // With keepDocuments every document stays, whatever the packages say.
    for (const definition of before.model.definitions.values())
      expect(() => definition.document).not.toThrow()
  })

  it('lists the findings of loading as before: links in file order, then definitions, then packages', async () => {
    for (const seed of [0x13a0, 0x13a3, 0x13a7, 0x13b1]) {
      const { files } = generate(seed)
      const dir = tempDir('gantry-overrides-13-')
      write(dir, {
        ...files,
        'definitions/task/zz-link.yaml': { symlink: 'stray.yaml' },
        'packages/aa-broken.yaml': 'name: [\n',
      })
      const { diagnostics } = await load(dir)
      const links = new Set([
        'definitions/task/zz-link.yaml',
        ...Object.keys(files).filter((f) => typeof files[f] !== 'string'),
      ])
      const order = diagnostics.map((d) => d.file ?? '')
      // The links' findings first (in file order), then the definitions', then the packages'.
      const linkCount = order.filter((f) => links.has(f)).length
      expect(order.slice(0, linkCount).every((f) => links.has(f))).toBe(true)
      const rest = order.slice(linkCount)
      expect(rest).toContain('packages/aa-broken.yaml')
      const lastDefinition = rest.map((f) => f.startsWith('definitions/')).lastIndexOf(true)
      const firstPackage = rest.findIndex((f) => f.startsWith('packages/'))
      expect(lastDefinition).toBeGreaterThanOrEqual(0)
      expect(firstPackage).toBeGreaterThan(lastDefinition)
    }
  })
})

describe('the CLI on repositories whose packages name overrides of every sort', () => {
  it('validate reports each override problem once, in file order, with definitions first', async () => {
    const dir = tempDir('gantry-overrides-13-cli-')
    write(dir, {
      'gantry.yaml': GANTRY,
      'kinds/task.schema.json': KIND,
      'kinds/agent.schema.json': '{"type":"object"}',
      'definitions/agent/pool.yaml': 'kind: agent\nname: pool\nspec: {}\n',
      'definitions/task/a.yaml': task('a', 30, 'pool'),
      'definitions/task/b.yaml': task('b', 30, 'pool'),
      'definitions/task/a.yml': task('a', 30, 'pool'),
      'definitions/task/c.yaml': 'kind: task\nname: c\nspec:\n  timeoutMinutes: "x"\n',
      'packages/p.yaml':
        'name: p\nitems: [task/a, task/b, task/c, agent/pool]\nenvironments:\n' +
        '  dev:\n    set:\n      task/a:\n        spec.timeoutMinutes: 500\n      task/c:\n        spec.timeoutMinutes: 5\n' +
        '  qa:\n    replace:\n      agent/pool: task/b\n    set:\n      task/a:\n        spec.timeoutMinutes: 5\n      task/b:\n        spec.timeoutMinutes: "x"\n' +
        '  prod:\n    set:\n      task/q:\n        spec.timeoutMinutes: 5\n      task/a:\n        kind: agent\n',
      'packages/q.yaml':
        'name: q\nitems: [task/a]\nenvironments:\n  dev:\n    set:\n      task/a:\n        spec.timeoutMinutes: [\n',
      'packages/r.yml':
        'name: r\nitems: [task/b]\nenvironments:\n  dev:\n    set:\n      task/b:\n        spec.timeoutMinutes: 500\n',
    })
    makeGitRepo(dir)
    if (process.env.GANTRY_ATTACK_COPY)
      cpSync(dir, join(process.env.GANTRY_ATTACK_COPY, 'cli'), { recursive: true })
    const text = await runCli(['validate', '--repo', dir])
    const json = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(text.code).toBe(1)
    expect(json.code).toBe(1)
    const found = (json.json<{ diagnostics: Diagnostic[] }>().diagnostics ?? []).map((d) => [
      d.code,
      d.file,
      d.line,
      d.environment ?? '',
    ])
    expect(found).toEqual([
      ['duplicate-definition', 'definitions/task/a.yml', 2, ''],
      ['schema', 'definitions/task/c.yaml', 4, ''],
      ['invalid-override', 'packages/p.yaml', 7, 'dev'],
      ['replacement-kind-mismatch', 'packages/p.yaml', 12, 'qa'],
      ['invalid-override', 'packages/p.yaml', 17, 'qa'],
      ['missing-item', 'packages/p.yaml', 20, 'prod'],
      ['invalid-override', 'packages/p.yaml', 23, 'prod'],
      ['yaml-syntax', 'packages/q.yaml', 8, ''],
      ['path-mismatch', 'packages/r.yml', 1, ''],
    ])
  })
})
