import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import { main } from '../../src/cli/main.js'
import { MemoryStream } from '../support/cli.js'
import { exampleRepo, tempDir } from '../engine/helpers.js'

const temp = tempDir('gantry-validate-progress-')
afterAll(() => temp.cleanup())

describe('progress on long work: validate --env', () => {
  test('at a terminal, says which environment it checks against and how far it is, then clears the line', async () => {
    const repo = join(temp.dir, 'scheduler')
    exampleRepo('scheduler', repo)
    const stdout = new MemoryStream(true)
    const stderr = new MemoryStream(true)
    const code = await main(['validate', '--env', 'dev', '--env', 'prod', '--repo', repo], { stdout, stderr, env: {} })
    expect(code).toBe(0)
    // 6 packages x 2 environments.
    expect(stderr.text()).toMatch(/checking against dev \d+\/12 \(\d+%\)/)
    expect(stderr.text()).toMatch(/checking against prod 12\/12 \(100%\)/)
    expect(stderr.text().endsWith('\r\u001b[2K')).toBe(true)
    expect(stdout.text()).not.toContain('checking against')
    expect(stripVTControlCharacters(stdout.text()).trimEnd().split('\n').at(-1)).toMatch(/^validate: 66 definitions, 6 packages, against dev, prod; 0 errors, \d+ warnings/)
  })
})
