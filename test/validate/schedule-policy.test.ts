import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { copyExample, removeTempDirs, writeFiles } from '../support/fixtures.js'

afterAll(removeTempDirs)

describe('schedule policy in gantry.yaml', () => {
  it('refuses an unknown time zone, a window crossing midnight and a freeze ending before it starts, at their lines', async () => {
    const dir = copyExample('scheduler')
    const config = readFileSync(join(dir, 'gantry.yaml'), 'utf8')
      .replace('timezone: America/New_York', 'timezone: America/Nowhere')
      .replace('"Mon-Thu 00:00-01:00"', '"Fri 22:00-02:00"')
      .replace('to: "2027-01-03"', 'to: "2026-12-01"')
    writeFiles(dir, { 'gantry.yaml': config })
    const lines = config.split('\n')
    const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1
    const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(run.code).toBe(2)
    const found = (run.json() as { diagnostics: { message: string; line: number; file: string }[] }).diagnostics
    expect(found.map((d) => [d.file, d.line])).toEqual([
      ['gantry.yaml', lineOf('America/Nowhere')],
      ['gantry.yaml', lineOf('Fri 22:00-02:00')],
      ['gantry.yaml', lineOf('from: "2026-12-20"')],
    ])
    expect(found[0]!.message).toContain('unknown time zone "America/Nowhere"')
    expect(found[1]!.message).toContain('to cross midnight use two windows')
    expect(found[2]!.message).toContain('"to" is before "from"')
  })

  it('accepts the example as it is', async () => {
    expect((await runCli(['validate', '--repo', copyExample('scheduler')])).code).toBe(0)
  })
})
