import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { terminalProgress } from '../../src/cli/progress.js'
import { removeTempDirs } from '../support/fixtures.js'
import { baseRepo } from './base-repo.js'

afterAll(removeTempDirs)

/** A stream that keeps what is written; `isTTY` as a terminal (or a pipe) would report it. */
function stream(isTTY: boolean): PassThrough & { isTTY: boolean; text(): string } {
  const chunks: string[] = []
  const s = Object.assign(new PassThrough(), { isTTY, text: () => chunks.join('') })
  s.on('data', (c: Buffer) => chunks.push(c.toString()))
  return s
}

async function run(args: string[], tty: boolean) {
  const stdout = stream(tty)
  const stderr = stream(tty)
  const code = await main(args, { stdout, stderr, env: {} })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

describe('progress on long work', () => {
  it('build --all at a terminal says which package it builds and how far it is, then clears the line', async () => {
    const dir = baseRepo()
    const { code, stderr, stdout } = await run(['build', '--all', '--debug', '--repo', dir], true)
    expect(code).toBe(0)
    expect(stderr).toContain('building base 0/2 (0%)')
    expect(stderr).toContain('built 2/2 (100%)')
    expect(stderr.endsWith('\r\u001b[2K')).toBe(true)
    expect(stdout).not.toContain('building')
  })

  it('nothing on a pipe, nothing with --format json', async () => {
    const dir = baseRepo()
    expect((await run(['build', '--all', '--debug', '--repo', dir], false)).stderr).toBe('')
    const json = await run(['build', '--all', '--debug', '--repo', dir, '--format', 'json'], true)
    expect(json.stderr).toBe('')
    expect(JSON.parse(json.stdout).ok).toBe(true)
  })

  it('redraws at most once per 100 ms, always the first and the last step', async () => {
    const out = stream(true)
    let t = 0
    const progress = terminalProgress(out, true, () => t)
    for (let i = 0; i <= 1000; i++) {
      t = i // one millisecond per step
      progress.report('reading', i, 1000)
    }
    progress.done()
    await new Promise((resolve) => setImmediate(resolve))
    const drawn = out.text()
    const lines = drawn.split('\r\u001b[2K').filter(Boolean)
    expect(lines[0]).toBe('reading 0/1000 (0%)')
    expect(lines.at(-1)).toBe('reading 1000/1000 (100%)')
    expect(lines.length).toBe(11)
  })
})
