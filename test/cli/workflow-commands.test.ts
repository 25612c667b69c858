import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { commandFreeText } from '../../src/core/render/workflow-commands.js'
import { BASE, apply, build, expectExit, makeSourceRepo, packageFile } from '../engine/fixture.js'
import { cli, commitFiles, tempDir } from '../engine/helpers.js'

// Run in a workflow step, the CLI's output is read by the runner: a line starting with `::` is a workflow
// command. Release notes are repository text, written by whoever can push a package file.
const temp = tempDir('gantry-workflow-commands-')
afterAll(() => temp.cleanup())

const NOTES = ['Rotates the database credential.', '::error title=Deploy::approved by security', '  ::stop-commands::token', 'a :: in the middle'].join('\n')
const commandLines = (text: string) => text.split('\n').filter((line) => /^\s*::/.test(line))

let repo: string
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  commitFiles(repo, packageFile({ ...BASE, notes: NOTES }))
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, 'base', 'dev'), 0)
})

describe('the CLI under GitHub Actions', () => {
  test('gantry log: no line of a note forms a workflow command; the text is still there, and outside Actions unchanged', async () => {
    const plain = await cli(repo, ['log', 'base'])
    expect(plain.code).toBe(0)
    // Outside Actions the notes are printed as written.
    expect(commandLines(plain.stdout)).toEqual(['    ::error title=Deploy::approved by security', '      ::stop-commands::token'])

    const actions = await cli(repo, ['log', 'base'], { GITHUB_ACTIONS: 'true' })
    expect(actions.code).toBe(0)
    expect(commandLines(actions.stdout)).toEqual([])
    expect(actions.stdout).toContain('    \\u003a:error title=Deploy::approved by security\n')
    expect(actions.stdout).toContain('      \\u003a:stop-commands::token\n')
    expect(actions.stdout).toContain('    a :: in the middle\n')
    // Only those lines differ.
    expect(actions.stdout.replaceAll('\\u003a:', '::')).toBe(plain.stdout)
  })

  test('an error message quoting what was asked over several lines does not form one either', async () => {
    const failed = await cli(repo, ['log', 'no-such-package\n::error::x'], { GITHUB_ACTIONS: 'true' })
    expect(failed.code).not.toBe(0)
    expect(commandLines(failed.stdout + failed.stderr)).toEqual([])
  })
})

describe('commandFreeText', () => {
  test('escapes the first colon of each line that would begin with ::, and nothing else', () => {
    expect(commandFreeText('a\n::x::y\n \t::z\nb::c')).toBe('a\n\\u003a:x::y\n \t\\u003a:z\nb::c')
    expect(commandFreeText('plain text\n')).toBe('plain text\n')
  })

  test('the older ##[command] form, which the runner finds anywhere in a line, is broken wherever it is', () => {
    expect(commandFreeText('note ##[add-mask]secret\n##[stop-commands]t ##[error]x')).toBe(
      'note ##\\u005badd-mask]secret\n##\\u005bstop-commands]t ##\\u005berror]x',
    )
    expect(commandFreeText('a ## [heading] and #[x]')).toBe('a ## [heading] and #[x]')
  })
})
