import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { main } from '../../src/cli/main.js'
import { MemoryStream } from '../support/cli.js'
import { apply, build, definition, expectExit, makeSourceRepo, packageFile, BASE } from '../engine/fixture.js'
import { cli, commitFiles, tempDir } from '../engine/helpers.js'

const temp = tempDir('gantry-totals-')
afterAll(() => temp.cleanup())

/** The CLI with stdout a terminal (isTTY true) or a pipe, and the environment variables given. */
async function run(args: string[], options: { tty: boolean; env?: NodeJS.ProcessEnv }) {
  const stdout = new MemoryStream(options.tty)
  const stderr = new MemoryStream(options.tty)
  const code = await main(args, { stdout, stderr, env: options.env ?? {} })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

const ESC = '\u001b['
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1)

let repo: string
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, 'base', 'dev'), 0)
  expectExit(await apply(repo, 'app', 'dev'), 0)
  commitFiles(repo, {
    ...definition('cred', 'extra', { path: 'vault://extra' }),
    ...packageFile({ ...BASE, items: [...BASE.items, 'cred/extra'] }),
  })
  expectExit(await build(repo, ['base']), 0)
})

describe('a totals line ends every command that lists findings or changes', () => {
  test('validate, build, plan, apply, status, diff and log, in one shape: `<verb>: <counts>; <problems>`', async () => {
    const lines = {
      validate: lastLine((await cli(repo, ['validate'])).stdout),
      build: lastLine((await cli(repo, ['build', '--all'])).stdout),
      plan: lastLine((await cli(repo, ['plan', 'base', '--env', 'dev'])).stdout),
      status: lastLine((await cli(repo, ['status'])).stdout),
      diff: lastLine((await cli(repo, ['diff', 'base@1', 'base@1.1'])).stdout),
      log: lastLine((await cli(repo, ['log', 'base'])).stdout),
      apply: lastLine((await cli(repo, ['apply', 'base', '--env', 'dev'])).stdout),
    }
    expect(lines).toEqual({
      validate: 'validate: 8 definitions, 3 packages; no problems',
      build: 'build: 3 packages, 0 new versions, 3 unchanged; no problems',
      plan: 'plan: 1 to add, 0 to update, 0 to delete, 4 kept; no problems',
      status: 'status: 3 packages, 3 environments, 2 APPLIED; no problems',
      diff: 'diff: 1 added, 0 changed, 0 removed; no problems',
      log: 'log: 2 versions, 1 apply, 0 rollbacks in 1 environment',
      apply: 'apply: 1 added, 0 updated, 0 deleted, 4 kept; no problems',
    })
  })

  test('with findings: errors and warnings counted with the files they are in', async () => {
    commitFiles(repo, { 'definitions/task/broken.yaml': 'kind: task\nname: broken\nspec:\n  command: 42\n' })
    try {
      const text = await cli(repo, ['validate'])
      expect(text.code).toBe(1)
      expect(lastLine(text.stdout)).toBe('validate: 8 definitions, 3 packages; 1 error, 0 warnings in 1 file')
      const built = await cli(repo, ['build', '--all'])
      expect(lastLine(built.stdout)).toMatch(/^build: .*; 1 error, 0 warnings in 1 file$/)
    } finally {
      commitFiles(repo, { 'definitions/task/broken.yaml': null })
    }
  })
})

describe('colour: states and signs on a terminal only', () => {
  test('status at a terminal: APPLIED in green, a missing cell dimmed, columns still aligned', async () => {
    const { code, stdout } = await run(['status', '--repo', repo], { tty: true })
    expect(code).toBe(0)
    expect(stdout).toContain(`${ESC}32m1 APPLIED${ESC}39m`)
    expect(stdout).toContain(`${ESC}2m-${ESC}22m`)
    expect(stdout).toContain(`${ESC}32mstatus: 3 packages`)
    // Without the codes the table is the one a pipe gets.
    const plain = (await run(['status', '--repo', repo], { tty: false })).stdout
    // eslint-disable-next-line no-control-regex
    expect(stdout.replace(/\u001b\[\d+m/g, '')).toBe(plain)
  })

  test('plan at a terminal: the sign and the action of each change in the action colour', async () => {
    const { stdout } = await run(['plan', 'base', '--env', 'qa', '--repo', repo], { tty: true })
    expect(stdout).toContain(`${ESC}32m+${ESC}39m`)
    expect(stdout).toContain(`${ESC}32madd${ESC}39m`)
  })

  test('log at a terminal: APPLIED and applies in green', async () => {
    const { stdout } = await run(['log', 'base', '--repo', repo], { tty: true })
    expect(stdout).toContain(`${ESC}32mAPPLIED${ESC}39m in dev`)
    expect(stdout).toContain(`${ESC}32mapply   ${ESC}39m`)
  })

  test('no colour on a pipe, with --format json, or with NO_COLOR set to anything non-empty', async () => {
    for (const [args, options] of [
      [['status'], { tty: false }],
      [['status', '--format', 'json'], { tty: true }],
      [['status'], { tty: true, env: { NO_COLOR: '1' } }],
      [['status'], { tty: true, env: { NO_COLOR: 'false' } }],
      [['plan', 'base', '--env', 'qa'], { tty: true, env: { NO_COLOR: 'yes' } }],
    ] as const) {
      const { stdout } = await run([...args, '--repo', repo], options)
      expect(stdout, JSON.stringify([args, options])).not.toContain('\u001b')
    }
  })

  test('an empty NO_COLOR does not disable colour (no-color.org: only a non-empty value does)', async () => {
    const { stdout } = await run(['status', '--repo', repo], { tty: true, env: { NO_COLOR: '' } })
    expect(stdout).toContain(`${ESC}32m1 APPLIED${ESC}39m`)
  })
})
