import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import {
  type FileContent,
  commitFiles,
  makeGitRepo,
  removeTempDirs,
  writeFiles,
} from '../support/fixtures.js'
import { baseRepo, diagnosticsOf, expectOne, validate } from './base-repo.js'

afterAll(removeTempDirs)

/** The base repository as a git repository with empty env/dev and env/prod branches. */
function gitRepo(changes: Record<string, FileContent> = {}): string {
  const dir = baseRepo(changes)
  makeGitRepo(dir, { branches: ['env/dev', 'env/prod'] })
  return dir
}

async function cli(...args: string[]): Promise<void> {
  const run = await runCli(args)
  expect(run.code, `gantry ${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(0)
}

/** Builds and tags `pkg`, then applies it to the local environment branch. */
async function buildAndApply(dir: string, pkg: string, env: string): Promise<void> {
  await cli('build', pkg, '--repo', dir)
  await cli('apply', pkg, '--env', env, '--repo', dir)
}

describe('validate --env: remote validation against environment branches', () => {
  it('missing-dependency: a dependency not applied in the environment is a warning there, exit 0', async () => {
    const { code, result } = await validate(gitRepo(), '--env', 'dev')
    expect(code).toBe(0)
    expect(result.ok).toBe(true)
    expect(result.errors).toBe(0)
    const d = expectOne(result, 'packages/etl.yaml', 'missing-dependency', 6, 14)
    expect(d).toMatchObject({ severity: 'warning', package: 'etl' })
    expect(d.message).toBe('etl needs base >=1, which is not applied in dev')
  })

  it('unresolved-in-environment: a reference its dependency provides only in a newer version (a warning)', async () => {
    const dir = gitRepo({ 'packages/base.yaml': 'name: base\nitems:\n  - agent/linux\n' })
    await buildAndApply(dir, 'base', 'dev')
    writeFiles(dir, { 'packages/base.yaml': 'name: base\nitems:\n  - agent/linux\n  - credential/db\n' })
    const { code, result } = await validate(dir, '--env', 'dev')
    expect(code).toBe(0)
    const d = expectOne(result, 'definitions/task/extract.yaml', 'unresolved-in-environment', 6, 15)
    expect(d).toMatchObject({ severity: 'warning', package: 'etl', item: 'task/extract' })
    expect(d.message).toBe('task/extract refers to credential/db, which would not exist in dev')
    expect(result.diagnostics).toHaveLength(1)
  })

  it('name-conflict: an item created by hand on the environment branch, at the item name', async () => {
    const dir = gitRepo()
    commitFiles(dir, 'env/dev', {
      'definitions/agent/linux.yaml': 'kind: agent\nname: linux\nspec:\n  host: by-hand\n',
    })
    const { code, result } = await validate(dir, '--env', 'dev')
    expect(code).toBe(1)
    const d = expectOne(result, 'definitions/agent/linux.yaml', 'name-conflict', 2, 7)
    expect(d).toMatchObject({ severity: 'error', package: 'base', item: 'agent/linux' })
    expect(d.message).toBe('agent/linux already exists in dev and belongs to nobody (it was created by hand)')
    // Only dev has the file: prod is clean of conflicts.
    const prod = await validate(dir, '--env', 'prod')
    expect(prod.result.diagnostics.filter((x) => x.code === 'name-conflict')).toEqual([])
    expect(prod.code).toBe(0)
  })

  it('name-conflict: an item another package owns there; none for the owner itself', async () => {
    const dir = gitRepo()
    await buildAndApply(dir, 'base', 'dev')
    const clean = await validate(dir, '--env', 'dev')
    expect(clean.result).toEqual({ ok: true, errors: 0, warnings: 0, diagnostics: [] })
    writeFiles(dir, { 'packages/infra.yaml': 'name: infra\nitems:\n  - agent/linux\n' })
    const { code, result } = await validate(dir, '--env', 'dev')
    expect(code).toBe(1)
    const d = expectOne(result, 'definitions/agent/linux.yaml', 'name-conflict', 2, 7)
    expect(d.package).toBe('infra')
    expect(d.message).toBe('agent/linux already exists in dev and belongs to package base')
  })

  it('replacement-target-missing and unresolved-in-environment: errors when no dependency provides the target', async () => {
    const dir = gitRepo({
      'packages/etl.yaml': [
        'name: etl',
        'items:',
        '  - task/extract',
        '  - task/load',
        'dependencies:',
        '  - package: base',
        '    version: ">=1"',
        'environments:',
        '  prod:',
        '    replace:',
        '      agent/linux: agent/windows',
        '',
      ].join('\n'),
    })
    await buildAndApply(dir, 'base', 'dev')
    await cli('apply', 'base', '--env', 'prod', '--repo', dir)
    const { code, result } = await validate(dir, '--env', 'prod')
    expect(code).toBe(1)
    const replacement = expectOne(result, 'packages/etl.yaml', 'replacement-target-missing', 11, 20)
    expect(replacement).toMatchObject({ severity: 'error', package: 'etl', item: 'agent/windows' })
    expect(replacement.message).toBe(
      'prod replaces agent/linux with agent/windows, which does not exist in prod',
    )
    const extract = expectOne(result, 'definitions/task/extract.yaml', 'unresolved-in-environment', 5, 10)
    expect(extract).toMatchObject({ severity: 'error', item: 'task/extract' })
    expect(extract.message).toBe(
      'task/extract refers to agent/windows (replacing agent/linux), which would not exist in prod',
    )
    expectOne(result, 'definitions/task/load.yaml', 'unresolved-in-environment', 5, 10)
    // dev has no replacement: the same references resolve there.
    const dev = await validate(dir, '--env', 'dev')
    expect(dev.result).toEqual({ ok: true, errors: 0, warnings: 0, diagnostics: [] })
  })

  it('dependency-version: the environment has a version outside the range (a warning), at the range', async () => {
    const dir = gitRepo()
    await buildAndApply(dir, 'base', 'dev')
    writeFiles(dir, {
      'packages/etl.yaml':
        'name: etl\nitems:\n  - task/extract\n  - task/load\ndependencies:\n  - package: base\n    version: ">=1.1"\n',
    })
    const { code, result } = await validate(dir, '--env', 'dev')
    expect(code).toBe(0)
    const d = expectOne(result, 'packages/etl.yaml', 'dependency-version', 7, 14)
    expect(d.severity).toBe('warning')
    expect(d.message).toBe('etl needs base >=1.1, but dev has base@1')
  })

  it('several environments at once: each finding names its environment', async () => {
    const dir = gitRepo()
    commitFiles(dir, 'env/prod', {
      'definitions/credential/db.yaml': 'kind: credential\nname: db\nspec:\n  secretRef: vault://x\n',
    })
    const { code, result } = await validate(dir, '--env', 'dev', '--env', 'prod')
    expect(code).toBe(1)
    const conflicts = result.diagnostics.filter((d) => d.code === 'name-conflict')
    expect(conflicts).toHaveLength(1)
    expect(conflicts[0]).toMatchObject({
      environment: 'prod',
      file: 'definitions/credential/db.yaml',
      line: 2,
      column: 7,
    })
    expect(
      new Set(diagnosticsOf(result, 'packages/etl.yaml', 'missing-dependency').map((d) => d.environment)),
    ).toEqual(new Set(['dev', 'prod']))
  })
})

describe('validate: version-exists', () => {
  const credential = 'kind: credential\nname: db\nspec:\n  secretRef: vault://db-rotated\n'

  it('an explicit version already released with other content, at the version', async () => {
    const dir = gitRepo()
    await cli('build', 'base', '--repo', dir)
    writeFiles(dir, {
      'definitions/credential/db.yaml': credential,
      'packages/base.yaml': 'name: base\nversion: "1"\nitems:\n  - agent/linux\n  - credential/db\n',
    })
    const { code, result } = await validate(dir)
    expect(code).toBe(1)
    const d = expectOne(result, 'packages/base.yaml', 'version-exists', 2, 10)
    expect(d.package).toBe('base')
    expect(d.message).toBe('base@1 is already released with other content')
    expect(d.hint).toContain('remove version: to get 1.1')
  })

  it('the same version with the same content is fine', async () => {
    const dir = gitRepo()
    await cli('build', 'base', '--repo', dir)
    writeFiles(dir, {
      'packages/base.yaml': 'name: base\nversion: "1"\nitems:\n  - agent/linux\n  - credential/db\n',
    })
    const { code, result } = await validate(dir)
    expect(result.diagnostics).toEqual([])
    expect(code).toBe(0)
  })
})
