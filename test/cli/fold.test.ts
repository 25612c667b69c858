import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { foldDiagnostics } from '../../src/core/render/fold-diagnostics.js'
import type { Diagnostic } from '../../src/core/diagnostics.js'
import { runCli } from '../support/cli.js'
import { removeTempDirs } from '../support/fixtures.js'
import { baseRepo } from '../validate/base-repo.js'
import { APP, build, definition, expectExit, makeSourceRepo, packageFile } from '../engine/fixture.js'
import { cli, cliJson, commitFiles, tempDir } from '../engine/helpers.js'

const temp = tempDir('gantry-fold-')
afterAll(() => {
  temp.cleanup()
  removeTempDirs()
})

interface Json {
  diagnostics: Diagnostic[]
}

describe('error floods are folded under their cause in text, listed in full in JSON', () => {
  test('validate: six definitions referring to one missing item show the first and fold five', async () => {
    const files: Record<string, string> = {}
    const tasks = [0, 1, 2, 3, 4, 5].map((i) => `task/t${i}`)
    for (const [i, id] of tasks.entries()) {
      files[`definitions/${id}.yaml`] = `kind: task\nname: t${i}\nspec:\n  command: x\n  agent: linux\n  credential: gone\n`
    }
    files['packages/etl.yaml'] = `name: etl\nitems: [task/extract, task/load, ${tasks.join(', ')}]\ndependencies:\n  - package: base\n`
    const dir = baseRepo(files)
    const text = await runCli(['validate', '--repo', dir])
    expect(text.code).toBe(1)
    expect(text.stdout.split('\n')).toEqual([
      'definitions/task/t0.yaml:6:15: error unresolved-reference: task/t0 refers to credential/gone, which does not exist',
      '  hint: create definitions/credential/gone.yaml, or correct the reference',
      '  … and 5 more caused by this, in task/t1, task/t2, task/t3, task/t4, task/t5 (--format json lists each)',
      'validate: 10 definitions, 2 packages; 6 errors, 0 warnings in 6 files (5 folded under their cause)',
      '',
    ])
    const json = (await runCli(['validate', '--repo', dir, '--format', 'json'])).json<Json>()
    expect(json.diagnostics.filter((d) => d.code === 'unresolved-reference').map((d) => d.item)).toEqual(tasks)
  })

  test('validate: two different missing items are two causes, each with its own fold', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 6; i++) {
      files[`definitions/task/t${i}.yaml`] = `kind: task\nname: t${i}\nspec:\n  command: x\n  agent: linux\n  credential: ${i < 3 ? 'gone' : 'lost'}\n`
    }
    files['packages/etl.yaml'] = `name: etl\nitems: [task/extract, task/load, task/t0, task/t1, task/t2, task/t3, task/t4, task/t5]\ndependencies:\n  - package: base\n`
    const text = await runCli(['validate', '--repo', baseRepo(files)])
    const shown = text.stdout.split('\n').filter((l) => l.includes(': error '))
    expect(shown.map((l) => l.replace(/:.*refers to /, ' -> '))).toEqual([
      'definitions/task/t0.yaml -> credential/gone, which does not exist',
      'definitions/task/t3.yaml -> credential/lost, which does not exist',
    ])
    expect(text.stdout).toContain('  … and 2 more caused by this, in task/t1, task/t2 (--format json lists each)')
    expect(text.stdout).toContain('  … and 2 more caused by this, in task/t4, task/t5 (--format json lists each)')
  })
})

describe('plan: the missing dependencies are shown, what follows from them folded', () => {
  let repo: string
  beforeAll(async () => {
    repo = join(temp.dir, 'repo')
    makeSourceRepo(repo)
    const tasks: Record<string, string> = {}
    const items: string[] = []
    for (let i = 0; i < 4; i++) {
      Object.assign(tasks, definition('task', `uses-db-${i}`, { command: 'x', conn: 'db' }))
      Object.assign(tasks, definition('task', `uses-tools-${i}`, { command: 'x', successors: ['cleanup'] }))
      items.push(`task/uses-db-${i}`, `task/uses-tools-${i}`)
    }
    commitFiles(repo, {
      ...tasks,
      ...packageFile({ ...APP, items: [...APP.items, ...items], dependencies: [{ package: 'base' }, { package: 'tools' }] }),
    })
    expectExit(await build(repo, ['app']), 0)
  })

  test('text shows both missing-dependency errors and folds the unresolved references under them', async () => {
    const json = await cliJson<Json>(repo, ['plan', 'app', '--env', 'dev'])
    expect(json.code).toBe(1)
    const codes = json.json.diagnostics.map((d) => d.code)
    expect(codes.filter((c) => c === 'missing-dependency')).toHaveLength(2)
    const consequences = codes.filter((c) => c === 'unresolved-in-environment').length
    expect(consequences).toBeGreaterThanOrEqual(9)
    const text = await cli(repo, ['plan', 'app', '--env', 'dev'])
    expect(text.code).toBe(1)
    const errors = text.stdout.split('\n').filter((l) => /^(\S+: )?error /.test(l))
    expect(errors.map((l) => /error ([a-z-]+)/.exec(l)![1])).toEqual(['missing-dependency', 'missing-dependency'])
    expect(text.stdout).toContain(`  … and ${consequences} more caused by these, in task/extract, task/uses-db-0,`)
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe(
      `plan: 9 to add, 0 to update, 0 to delete, 0 kept; ${consequences + 2} errors, 0 warnings (${consequences} folded under their cause)`,
    )
  })
})

describe('the folding rule, on diagnostics as data', () => {
  const d = (code: Diagnostic['code'], extra: Partial<Diagnostic> = {}): Diagnostic => ({ severity: 'error', code, message: code, ...extra })

  test('a missing dependency folds only findings of its package in its environment', () => {
    const cause = d('missing-dependency', { package: 'app', environment: 'dev' })
    const mine = [1, 2].map((i) => d('unresolved-in-environment', { package: 'app', environment: 'dev', item: `task/${i}` }))
    const elsewhere = d('unresolved-in-environment', { package: 'app', environment: 'qa', item: 'task/1' })
    const other = d('unresolved-in-environment', { package: 'etl', environment: 'dev', item: 'task/9' })
    const groups = foldDiagnostics([cause, ...mine, elsewhere, other])
    expect(groups).toEqual([{ causes: [cause], folded: mine }, { causes: [elsewhere], folded: [] }, { causes: [other], folded: [] }])
  })

  test('one consequence is not folded; other codes with the same hint are not folded', () => {
    const cause = d('missing-dependency', { package: 'app', environment: 'dev' })
    const one = d('unresolved-in-environment', { package: 'app', environment: 'dev' })
    expect(foldDiagnostics([cause, one]).map((g) => g.folded.length)).toEqual([0, 0])
    const schema = [1, 2, 3].map((i) => d('schema', { hint: 'see the kind schema', item: `task/${i}` }))
    expect(foldDiagnostics(schema)).toHaveLength(3)
  })
})
