import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { TSX } from '../e2e/action-runner.js'

const LOG = resolve(import.meta.dirname, '../../src/action/log.ts')

/**
 * What a step's output looks like to the runner when the action logs `calls` (run in a process of its own, so
 * the toolkit writes to a real stdout as in a workflow). Each call: [method, text, properties?], where method
 * is a method of the action's `log`, or `core.<method>` for the toolkit called directly.
 */
async function stepOutput(calls: [string, string, object?][]): Promise<string[]> {
  const script = [
    `import * as core from '@actions/core'`,
    `import { log } from ${JSON.stringify(LOG)}`,
    `for (const [method, text, properties] of ${JSON.stringify(calls)}) {`,
    `  if (method.startsWith('core.')) core[method.slice(5)](text, properties)`,
    `  else log[method](text, properties)`,
    `}`,
  ].join('\n')
  const run = promisify(execFile)(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
    cwd: resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  })
  // A failure (setFailed) ends the process with code 1: its output is what counts.
  const { stdout } = await run.catch((error: { code?: number; stdout?: string }) => {
    if (error.code !== 1 || error.stdout === undefined) throw error
    return { stdout: error.stdout }
  })
  return stdout.split('\n')
}

/** The lines the runner reads as workflow commands: those starting with `::` once leading spaces are trimmed. */
const commands = (lines: string[]) => lines.filter((line) => /^\s*::/.test(line))

// Names, paths, messages and notes from the repository, each trying to start a command line of its own.
const HOSTILE = [
  '::error::injected',
  '  ::stop-commands::tok3n',
  'ok\n::set-output name=x::injected',
  'ok\r\n::add-mask::secret',
  'ok\n  ::error file=a.yaml::injected',
]

describe('the action log', () => {
  it('held: the toolkit alone writes these as commands (what the log helper must prevent)', async () => {
    const lines = await stepOutput(HOSTILE.map((text) => ['core.info', text]))
    expect(commands(lines).length).toBe(HOSTILE.length)
  })

  it('info: text that holds ::error:: or ::stop-commands:: never starts a line, and stays one line', async () => {
    const lines = await stepOutput(HOSTILE.map((text) => ['info', text]))
    expect(commands(lines)).toEqual([])
    expect(lines.filter(Boolean)).toHaveLength(HOSTILE.length)
    expect(lines[0]).toBe('\\u003a:error::injected')
    expect(lines[2]).toBe('ok\\u000a::set-output name=x::injected')
  })

  it('warnings, errors, notices and failures: one command each, Gantry’s, with the text (and file) as its data', async () => {
    const calls: [string, string, object?][] = []
    for (const method of ['warning', 'error', 'notice', 'failed']) for (const text of HOSTILE) calls.push([method, text])
    calls.push(['error', 'a finding', { title: 'gantry schema', file: 'definitions/agent/x\n::stop-commands::tok3n.yaml' }])
    calls.push(['warning', 'notes: \u001b[2J\u202ecleared'])
    const found = commands(await stepOutput(calls))
    expect(found).toHaveLength(calls.length)
    for (const line of found) expect(line).toMatch(/^::(warning|error|notice)( title=gantry schema,file=[^\n]*)?::/)
    expect(['\u001b', '\r', '\u202e'].filter((c) => found.join('\n').includes(c))).toEqual([])
  })
})
