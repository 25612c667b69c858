import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cli, cliJson, commitFiles, exampleRepo, readText, tempDir } from '../engine/helpers.js'

// The scheduler example as a user has it: billing sets a release date for prod (America/New_York) and has
// before and after instructions.
const temp = tempDir('gantry-plan-release-')
afterAll(() => temp.cleanup())

let repo: string
beforeAll(async () => {
  repo = join(temp.dir, 'scheduler')
  exampleRepo('scheduler', repo)
  expect((await cli(repo, ['build', '--all'])).code).toBe(0)
})

describe('plan shows what is asked of people and when the package may go out', () => {
  test('text: the release date in the environment’s zone, in the one format times take', async () => {
    const run = await cli(repo, ['plan', 'billing', '--env', 'prod'])
    expect(run.stdout).toContain('release date in prod: 2026-12-01 00:00 America/New_York\n')
    expect(run.stdout).not.toContain('2026-12-01T00:00:00-05:00')
    expect(run.stdout).toContain('instruction (before the apply): Create the billing/invoices/ prefix')
  })

  test('JSON: the instructions and the release date as written', async () => {
    const { json } = await cliJson<{ release: string | null; instructions: { step: string; when: string }[] }>(repo, ['plan', 'billing', '--env', 'prod'])
    expect(json.release).toBe('2026-12-01T00:00:00-05:00')
    expect(json.instructions.map((i) => i.when)).toEqual(['before', 'before', 'after'])
    expect(json.instructions[0]!.step).toMatch(/^Create the billing\/invoices\/ prefix/)
    const dev = await cliJson<{ release: string | null; instructions: unknown[] }>(repo, ['plan', 'platform-base', '--env', 'dev'])
    expect(dev.json).toMatchObject({ release: null, instructions: [] })
  })
})

describe('build of a named package whose file does not load', () => {
  test('reports the file’s error with its position, not that the package does not exist', async () => {
    const file = join(repo, 'packages/billing.yaml')
    commitFiles(repo, { 'packages/billing.yaml': `${readText(file)}notes: "unclosed\n` })
    const text = await cli(repo, ['build', 'billing'])
    expect(text.code).toBe(1)
    expect(text.stderr).toBe('')
    expect(text.stdout).toMatch(/^packages\/billing\.yaml:\d+:\d+: error yaml-syntax/m)
    expect(text.stdout).not.toContain('does not exist')
    const { code, json } = await cliJson<{ ok: boolean; diagnostics: { code: string; file?: string }[] }>(repo, ['build', 'billing'])
    expect(code).toBe(1)
    expect(json.diagnostics).toEqual([expect.objectContaining({ code: 'yaml-syntax', file: 'packages/billing.yaml' })])
    // A package that has no file at all is still a usage error.
    expect((await cli(repo, ['build', 'nonesuch'])).stderr).toContain('package nonesuch does not exist')
  })
})
