import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import {
  PROJECT_ROOT,
  commitFiles,
  copyExample,
  makeGitRepo,
  removeTempDirs,
  tempDir,
  writeFiles,
} from '../support/fixtures.js'
import { type ValidateJson, baseRepo, expectOne, validate } from './base-repo.js'

afterAll(removeTempDirs)

/** SPEC section 8: the fields of a validate diagnostic; `environment` is added by remote validation. */
const DIAGNOSTIC_FIELDS = [
  'severity',
  'code',
  'message',
  'file',
  'line',
  'column',
  'package',
  'item',
  'hint',
  'environment',
]

function expectValidateShape(output: unknown): void {
  expect(Object.keys(output as object).sort()).toEqual(['diagnostics', 'errors', 'ok', 'warnings'])
  const { ok, errors, warnings, diagnostics } = output as ValidateJson
  expect(typeof ok).toBe('boolean')
  expect(errors).toBe(diagnostics.filter((d) => d.severity === 'error').length)
  expect(warnings).toBe(diagnostics.filter((d) => d.severity === 'warning').length)
  expect(ok).toBe(errors === 0)
  for (const d of diagnostics) {
    for (const key of Object.keys(d))
      expect(DIAGNOSTIC_FIELDS, `field "${key}" of ${JSON.stringify(d)}`).toContain(key)
    expect(['error', 'warning']).toContain(d.severity)
    expect(d.code).toMatch(/^[a-z]+(-[a-z]+)*$/)
    expect(typeof d.message).toBe('string')
    expect(typeof d.file).toBe('string')
    expect(Number.isInteger(d.line) && d.line! >= 1).toBe(true)
    expect(Number.isInteger(d.column) && d.column! >= 1).toBe(true)
    for (const optional of ['package', 'item', 'hint', 'environment'] as const) {
      if (optional in d) expect(typeof d[optional]).toBe('string')
    }
  }
}

describe('validate: the examples are clean', () => {
  for (const [example, summary] of [
    ['scheduler', 'validate: 66 definitions, 6 packages; no problems'],
    ['integration', 'validate: 15 definitions, 3 packages; no problems'],
  ] as const) {
    it(`${example}: exit 0, no diagnostics, in JSON and in text`, async () => {
      const dir = copyExample(example)
      const { code, result } = await validate(dir)
      expect(result).toEqual({ ok: true, errors: 0, warnings: 0, diagnostics: [] })
      expect(code).toBe(0)
      const text = await runCli(['validate', '--repo', dir])
      expect(text).toMatchObject({ code: 0, stdout: `${summary}\n`, stderr: '' })
    })

    it(`${example}: no errors against any environment branch of a fresh example repository`, async () => {
      const dir = join(tempDir(`gantry-${example}-repo-`), 'repo')
      execFileSync(
        'node',
        [join(PROJECT_ROOT, 'scripts/make-example-repo.mjs'), join(PROJECT_ROOT, 'examples', example), dir],
        {
          stdio: 'pipe',
        },
      )
      const environments = [
        ...readFileSync(join(dir, 'gantry.yaml'), 'utf8').matchAll(/^ {2}- name: (\S+)$/gm),
      ].map((m) => m[1]!)
      expect(environments.length).toBeGreaterThan(1)
      const { code, result } = await validate(dir, ...environments.flatMap((e) => ['--env', e]))
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
      expect(code).toBe(0)
    })
  }

  it('scheduler with a dependency removed: the reference is unresolved where it is written, and the hint names the package', async () => {
    const dir = copyExample('scheduler')
    const billing = join(dir, 'packages/billing.yaml')
    const text = readFileSync(billing, 'utf8')
    const without = text.replace('  - package: shared-connections\n    version: ">=1"\n', '')
    expect(without).not.toBe(text)
    writeFiles(dir, { 'packages/billing.yaml': without })
    const { code, result } = await validate(dir)
    expect(code).toBe(1)
    const found = result.diagnostics.find(
      (d) => d.file === 'definitions/task/extract-invoices.yaml' && d.line === 8 && d.column === 15,
    )
    expect(found).toEqual({
      severity: 'error',
      code: 'unresolved-reference',
      message:
        'task/extract-invoices refers to credential/billing-db, which is neither in package billing nor provided by its dependencies',
      file: 'definitions/task/extract-invoices.yaml',
      line: 8,
      column: 15,
      package: 'billing',
      item: 'task/extract-invoices',
      hint: 'add credential/billing-db to items, or depend on package shared-connections, which has it',
    })
    expect(
      result.diagnostics.every((d) => d.code === 'unresolved-reference' && d.package === 'billing'),
    ).toBe(true)
  })
})

describe('validate: output and exit codes', () => {
  it('--format json prints one JSON object of the documented shape on stdout, nothing on stderr', async () => {
    const dir = baseRepo({
      'definitions/task/load.yaml': 'kind: task\nname: load\nspec:\n  command: run load\n  agent: windows\n',
      'definitions/agent/bad.yaml': 'kind: agent\nname: bad\nspec: [\n',
    })
    const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('')
    expect(run.stdout.endsWith('}\n')).toBe(true)
    expect(run.stdout.trim().split('\n')).toHaveLength(1)
    const output = run.json<ValidateJson>()
    expectValidateShape(output)
    expect(output).toMatchObject({ ok: false, errors: 2, warnings: 0 })
    expect(output.diagnostics.map((d) => d.code)).toEqual(['yaml-syntax', 'unresolved-reference'])
  })

  it('remote findings carry the same fields, and their environment', async () => {
    const dir = baseRepo()
    makeGitRepo(dir, { branches: ['env/dev'] })
    commitFiles(dir, 'env/dev', {
      'definitions/agent/linux.yaml': 'kind: agent\nname: linux\nspec:\n  host: x\n',
    })
    const { code, result } = await validate(dir, '--env', 'dev')
    expect(code).toBe(1)
    expectValidateShape(result)
    expect(expectOne(result, 'definitions/agent/linux.yaml', 'name-conflict', 2, 7).environment).toBe('dev')
  })

  // Remote validation passes plan-internal fields through (target, viaReplacement): they are not part of the
  // documented shape. This test flips to passing once they are dropped from validate's output.
  it('remote findings about references carry only the documented fields', async () => {
    const dir = baseRepo({
      'packages/etl.yaml':
        'name: etl\nitems:\n  - task/extract\n  - task/load\ndependencies:\n  - package: base\nenvironments:\n  dev:\n    replace:\n      agent/linux: agent/windows\n',
    })
    makeGitRepo(dir, { branches: ['env/dev'] })
    const { result } = await validate(dir, '--env', 'dev')
    expect(result.diagnostics.map((d) => d.code)).toContain('unresolved-in-environment')
    expectValidateShape(result)
  })

  it('text output is compiler style: file:line:column, severity, code, message, then the hint', async () => {
    const dir = baseRepo({
      'definitions/task/load.yaml': 'kind: task\nname: load\nspec:\n  command: run load\n  agent: 42\n',
    })
    const run = await runCli(['validate', '--repo', dir])
    expect(run.code).toBe(1)
    expect(run.stdout.split('\n')).toEqual([
      'definitions/task/load.yaml:5:10: error schema: spec.agent must be a string, not number 42',
      '  hint: quote it: "42" (unquoted, YAML reads 42 as the number 42)',
      'validate: 3 definitions, 2 packages; 1 error, 0 warnings in 1 file',
      '',
    ])
  })

  it('exit 2 without gantry.yaml, saying so', async () => {
    const dir = tempDir()
    const json = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(json.code).toBe(2)
    const output = json.json<{ ok: boolean; diagnostics: { code: string; file: string }[] }>()
    expect(output.ok).toBe(false)
    expect(output.diagnostics).toMatchObject([
      { code: 'schema', file: 'gantry.yaml', message: 'gantry.yaml not found at the repository root' },
    ])
    const text = await runCli(['validate', '--repo', dir])
    expect(text.code).toBe(2)
    expect(text.stderr).toContain(`cannot read gantry.yaml in ${dir}`)
  })

  it('exit 2 when gantry.yaml cannot be read, with the position of the problem', async () => {
    const syntax = await runCli([
      'validate',
      '--repo',
      baseRepo({ 'gantry.yaml': 'environments:\n  - name: dev\n   branch: env/dev\n' }),
      '--format',
      'json',
    ])
    expect(syntax.code).toBe(2)
    expect(syntax.json<ValidateJson>().diagnostics[0]).toMatchObject({
      code: 'yaml-syntax',
      file: 'gantry.yaml',
      line: 3,
    })

    const after = await runCli([
      'validate',
      '--repo',
      baseRepo({
        'gantry.yaml':
          'environments:\n  - name: dev\n    branch: env/dev\n  - name: prod\n    branch: env/prod\n    after: [qa]\n',
      }),
      '--format',
      'json',
    ])
    expect(after.code).toBe(2)
    expect(after.json<ValidateJson>().diagnostics).toMatchObject([
      { code: 'unknown-environment', file: 'gantry.yaml', line: 6, column: 13 },
    ])
  })

  it('exit 2 for an --env that gantry.yaml does not declare', async () => {
    const run = await runCli(['validate', '--repo', baseRepo(), '--env', 'staging', '--format', 'json'])
    expect(run.code).toBe(2)
    const output = run.json<{ ok: boolean; diagnostics: { code: string; file: string; hint: string }[] }>()
    expect(output.ok).toBe(false)
    expect(output.diagnostics).toMatchObject([
      { code: 'unknown-environment', file: 'gantry.yaml', hint: 'use one of dev, prod' },
    ])
  })

  it('exit 2 for bad flags and arguments, with the usage', async () => {
    const dir = baseRepo()
    for (const args of [['--bogus'], ['--format', 'xml'], ['extra-argument'], ['--env']]) {
      const run = await runCli(['validate', '--repo', dir, ...args])
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stdout, args.join(' ')).toBe('')
      expect(run.stderr, args.join(' ')).toMatch(/^gantry validate: /)
    }
  })

  it('exit 0 with warnings only, exit 1 with an error', async () => {
    const dir = baseRepo()
    makeGitRepo(dir, { branches: ['env/dev'] })
    const warnings = await validate(dir, '--env', 'dev')
    expect(warnings.result).toMatchObject({ ok: true, errors: 0 })
    expect(warnings.result.warnings).toBeGreaterThan(0)
    expect(warnings.code).toBe(0)
    writeFiles(dir, { 'definitions/task/load.yaml': 'kind: task\nname: load\nspec:\n  command: run load\n' })
    const errors = await validate(dir, '--env', 'dev')
    expect(errors.result.ok).toBe(false)
    expect(errors.code).toBe(1)
  })
})
