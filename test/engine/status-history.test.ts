import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { diffCommand, logCommand } from '../../src/commands/history.js'
import { statusCommand } from '../../src/commands/status.js'
import { BASE, TOOLS, apply, build, definition, expectExit, makeSourceRepo, packageFile } from './fixture.js'
import { cli, cliJson, commitFiles, commitToBranch, git, show, tagDigest, tempDir } from './helpers.js'

const temp = tempDir('gantry-status-')
afterAll(() => temp.cleanup())

interface StatusJson {
  ok: boolean
  environments: { name: string; branch: string; head: string | null }[]
  packages: {
    name: string
    latest: string | null
    environments: Record<string, { status: string; version: string; rollback?: boolean }>
  }[]
  drift: {
    severity: string
    code: string
    item?: string
    environment?: string
    file?: string
    package?: string
  }[]
}

let repo: string
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  commitFiles(repo, packageFile({ ...TOOLS, locked: true }))
  expectExit(await build(repo), 0)
  for (const [target, env] of [
    ['base', 'dev'],
    ['base', 'qa'],
    ['app', 'dev'],
    ['tools', 'dev'],
  ] as const) {
    expectExit(await apply(repo, target, env), 0)
  }
})

describe('status', () => {
  test('JSON: the package x environment matrix derived from tags and ledgers', async () => {
    const { code, json } = await cliJson<StatusJson>(repo, ['status'])
    expect(code).toBe(0)
    expect(json.ok).toBe(true)
    expect(json.drift).toEqual([])
    expect(json.environments.map((e) => [e.name, e.branch, e.head === null])).toEqual([
      ['dev', 'env/dev', false],
      ['qa', 'env/qa', false],
      ['prod', 'env/prod', true],
    ])
    expect(json.environments[0]!.head).toBe(git(repo, ['rev-parse', 'env/dev']))
    expect(json.packages.map((p) => p.name)).toEqual(['app', 'base', 'tools'])
    const byName = Object.fromEntries(json.packages.map((p) => [p.name, p]))
    expect(byName.base).toMatchObject({
      latest: '1',
      environments: { dev: { status: 'APPLIED', version: '1' }, qa: { status: 'APPLIED', version: '1' } },
    })
    expect(Object.keys(byName.base!.environments)).toEqual(['dev', 'qa'])
    expect(byName.app!.environments).toEqual({
      dev: expect.objectContaining({ status: 'APPLIED', version: '1' }),
    })
  })

  test('text: one row per package, one column per environment', async () => {
    const run = await cli(repo, ['status'])
    expect(run.code).toBe(0)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toMatch(/^package\s+latest\s+dev\s+qa\s+prod$/)
    expect(lines.find((l) => l.startsWith('base '))).toMatch(/^base\s+1\s+1 APPLIED\s+1 APPLIED\s+-$/)
    expect(lines.find((l) => l.startsWith('app '))).toMatch(/^app\s+1\s+1 APPLIED\s+-\s+-$/)
    expect(run.stdout).toContain('no branch yet: env/prod')
    expect(run.stdout).not.toContain('drift')
  })

  test('drift: an unlocked item changed by hand and an unowned item are warnings (exit 0)', async () => {
    commitToBranch(repo, 'env/qa', {
      'definitions/conn/db.yaml':
        'kind: conn\nname: db\nspec:\n  host: tuned.qa.example.com\n  port: 5432\n  credential: db-qa\n',
      'definitions/cred/stray.yaml': 'kind: cred\nname: stray\nspec:\n  path: vault://stray\n',
    })
    const { code, json } = await cliJson<StatusJson>(repo, ['status'])
    expect(code).toBe(0)
    expect(json.ok).toBe(true)
    expect(json.drift.map((d) => [d.severity, d.code, d.environment, d.item])).toEqual([
      ['warning', 'local-customization', 'qa', 'conn/db'],
      ['warning', 'unowned-item', 'qa', 'cred/stray'],
    ])
    expect(json.drift[0]).toMatchObject({ package: 'base', file: 'definitions/conn/db.yaml' })
  })

  test('drift: a locked item changed or deleted by hand is an error locked-item-modified (exit 1)', async () => {
    commitToBranch(repo, 'env/dev', {
      'definitions/cred/tools.yaml': 'kind: cred\nname: tools\nspec:\n  path: vault://by-hand\n',
      'definitions/task/cleanup.yaml': null,
    })
    const { code, json } = await cliJson<StatusJson>(repo, ['status'])
    expect(code).toBe(1)
    expect(json.ok).toBe(false)
    const locked = json.drift.filter((d) => d.code === 'locked-item-modified')
    expect(locked.map((d) => [d.severity, d.environment, d.package, d.item])).toEqual([
      ['error', 'dev', 'tools', 'cred/tools'],
      ['error', 'dev', 'tools', 'task/cleanup'],
    ])
    const text = await cli(repo, ['status'])
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/drift/)
    expect(text.stdout).toMatch(
      /definitions\/cred\/tools\.yaml: error locked-item-modified \[dev\]: .*changed/,
    )
    expect(text.stdout).toMatch(
      /definitions\/task\/cleanup\.yaml: error locked-item-modified \[dev\]: .*deleted/,
    )
    expect(text.stdout).toMatch(/warning unowned-item \[qa\]/)
    // The command function gives the same answer.
    const status = await statusCommand({ repo })
    expect(status.ok).toBe(false)
    expect(status.drift.filter((d) => d.severity === 'error')).toHaveLength(2)
  })

  test('drift: a promotion merged by a person is merged-outside-gantry; merged by Gantry or applied by the CLI, it is not', async () => {
    // On a copy: the history tests below read this repository's ledgers.
    const copy = join(temp.dir, 'merged-by-person')
    cpSync(repo, copy, { recursive: true })
    const path = '.gantry/installed/base.yaml'
    const applied = show(copy, 'env/qa', path)!
    const mergedBy = (who: string) => {
      const text = applied.replace(/^promotion: null$/m, 'promotion: 12').replace(/^appliedBy: .*$/m, `appliedBy: ${who}`)
      expect(text).toMatch(/^promotion: 12$/m)
      expect(text).toMatch(new RegExp(`^appliedBy: ${who}$`, 'm'))
      return text
    }
    const merged = (json: StatusJson) => json.drift.filter((d) => d.code === 'merged-outside-gantry')
    expect(merged((await cliJson<StatusJson>(copy, ['status'])).json)).toEqual([])

    commitToBranch(copy, 'env/qa', { [path]: mergedBy('ada') })
    expect(merged((await cliJson<StatusJson>(copy, ['status'])).json).map((d) => [d.severity, d.environment, d.package, d.item])).toEqual([
      ['warning', 'qa', 'base', path],
    ])
    commitToBranch(copy, 'env/qa', { [path]: mergedBy('gantry') })
    expect(merged((await cliJson<StatusJson>(copy, ['status'])).json)).toEqual([])
  })
})

describe('log and diff', () => {
  beforeAll(async () => {
    commitFiles(repo, {
      ...definition('conn', 'db', { host: 'db.dev.example.com', port: 5433, credential: 'db' }),
      ...definition('cred', 'extra', { path: 'vault://extra' }),
      ...packageFile({
        ...BASE,
        notes: 'Port 5433 and an extra credential.',
        items: ['cred/db', 'conn/db', 'cal/holidays', 'cred/extra'],
      }),
    })
    expectExit(await build(repo, ['base']), 0)
    expectExit(await apply(repo, 'base', 'dev'), 0)
  })

  test('log JSON: versions newest first with notes, digest, commit and where each is applied', async () => {
    const { code, json } = await cliJson<Awaited<ReturnType<typeof logCommand>>>(repo, ['log', 'base'])
    expect(code).toBe(0)
    expect(json.package).toBe('base')
    expect(json.versions.map((v) => [v.version, v.tag, v.environments])).toEqual([
      ['1.1', 'base@1.1', { dev: 'APPLIED' }],
      ['1', 'base@1', { qa: 'APPLIED' }],
    ])
    expect(json.versions[0]).toMatchObject({
      notes: 'Port 5433 and an extra credential.',
      digest: tagDigest(repo, 'base@1.1'),
      commit: git(repo, ['rev-parse', 'base@1.1^{commit}']),
    })
    expect(json.versions[1]!.notes).toBe(BASE.notes)
  })

  test('log text: tag, release date, short commit, environments and notes, then each environment\'s history', async () => {
    const run = await cli(repo, ['log', 'base'])
    expect(run.code).toBe(0)
    const commit = git(repo, ['rev-parse', 'base@1.1^{commit}']).slice(0, 12)
    const time = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d UTC`
    const lines = run.stdout.split('\n')
    expect(lines.slice(0, 4).map((l) => l.replace(new RegExp(time), '<time>'))).toEqual([
      `base@1.1  <time>  ${commit}  APPLIED in dev`,
      '    Port 5433 and an extra credential.',
      `base@1  <time>  ${git(repo, ['rev-parse', 'base@1^{commit}']).slice(0, 12)}  APPLIED in qa`,
      `    ${BASE.notes}`,
    ])
    expect(lines).toContain('history in dev')
    expect(lines.at(-2)).toBe('log: 2 versions, 3 applies, 0 rollbacks in 2 environments')
    expect((await cli(repo, ['log', 'nothing'])).code).toBe(2)
  })

  test('diff JSON: items added and removed, fields changed, manifest changes', async () => {
    const { code, json } = await cliJson<Awaited<ReturnType<typeof diffCommand>>>(repo, [
      'diff',
      'base@1',
      'base@1.1',
    ])
    expect(code).toBe(0)
    expect(json).toMatchObject({
      ok: true,
      package: 'base',
      from: '1',
      to: '1.1',
      added: ['cred/extra'],
      removed: ['cred/db-qa'],
    })
    expect(json.changed).toEqual([{ item: 'conn/db', fields: [{ path: 'spec.port', from: 5432, to: 5433 }] }])
    expect(json.manifest).toContainEqual({
      path: 'notes',
      from: BASE.notes,
      to: 'Port 5433 and an extra credential.',
    })
    expect(json.manifest.every((f) => !f.path.startsWith('delta') && f.path !== 'version')).toBe(true)
  })

  test('diff text: + added, - removed, ~ changed with each field', async () => {
    const run = await cli(repo, ['diff', 'base@1', 'base@1.1'])
    expect(run.code).toBe(0)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toBe('base 1 -> 1.1')
    expect(lines).toContain('+ cred/extra')
    expect(lines).toContain('- cred/db-qa')
    expect(lines).toContain('~ conn/db')
    expect(lines).toContain('    spec.port: 5432 -> 5433')
    expect(run.stdout).toContain('manifest notes:')
  })

  test('diff refuses a tampered bundle and needs two versions of one package', async () => {
    const file = join(repo, '.gantry/build/base-1.gantry.json')
    const original = readFileSync(file, 'utf8')
    try {
      writeFileSync(file, original.replace('db.dev.example.com', 'evil.example.com'))
      const { code, json } = await cliJson<{ ok: boolean; diagnostics: { code: string }[] }>(repo, [
        'diff',
        'base@1',
        'base@1.1',
      ])
      expect(code).toBe(1)
      expect(json.diagnostics.map((d) => d.code)).toEqual(['digest-mismatch'])
    } finally {
      writeFileSync(file, original)
    }
    expect((await cli(repo, ['diff', 'base@1', 'tools@1'])).code).toBe(2)
    expect((await cli(repo, ['diff', 'base@1'])).code).toBe(2)
    expect(show(repo, 'env/dev', '.gantry/installed/base.yaml')).toContain('version: "1.1"')
  })
})
