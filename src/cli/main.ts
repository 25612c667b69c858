import { parseArgs } from 'node:util'
import type { Diagnostic } from '../core/diagnostics.js'
import { renderDiagnostics } from '../core/render/diagnostics-text.js'
import { COLOR, PLAIN, type Style } from '../core/render/style.js'
import { UsageError } from '../commands/errors.js'
import { printable, printableJson, printableText } from '../core/names.js'
import { commandFreeText } from '../core/render/workflow-commands.js'
import { COMMANDS, USAGE } from './commands.js'
import { type Progress, terminalProgress } from './progress.js'

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
}

export interface CliContext {
  io: CliIo
  style: Style
  json: boolean
  print(text: string): void
  /** Progress of long work, drawn on stderr at a terminal only. */
  progress: Progress
}

/** Exit codes: 0 success, 1 the work was done and found errors, 2 the command could not run. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv
  // In a GitHub Actions step the runner reads a line starting with `::` as a workflow command: text from the
  // repository (notes, names, messages) must not make one. Elsewhere the output is left as it is.
  const inActions = io.env.GITHUB_ACTIONS === 'true'
  const stdout = (text: string) => io.stdout.write(inActions ? commandFreeText(text) : text)
  const stderr = (text: string) => io.stderr.write(inActions ? commandFreeText(text) : text)
  // Before the options are parsed (or when they cannot be), `--format json` is still honoured for the failure.
  const asksJson = rest.some((arg, i) => arg === '--format=json' || (arg === '--format' && rest[i + 1] === 'json'))
  const fail = (message: string, diagnostics: readonly Diagnostic[] = []): number => {
    if (asksJson) io.stdout.write(`${printableJson(JSON.stringify({ ok: false, error: message, diagnostics }))}\n`)
    else {
      stderr(`gantry${verb ? ` ${printable(verb)}` : ''}: ${printableText(message)}\n`)
      if (diagnostics.length) stderr(`${renderDiagnostics(diagnostics)}\n`)
    }
    return 2
  }
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(USAGE)
    return verb ? 0 : 2
  }
  if (verb === '--version') {
    io.stdout.write('gantry 0.1.0\n')
    return 0
  }
  const command = COMMANDS[verb]
  if (!command) {
    if (asksJson) return fail(`unknown command "${verb}"`)
    stderr(`gantry: unknown command "${printable(verb)}"\n\n${USAGE}`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (asksJson) return fail(message)
    stderr(`gantry ${verb}: ${printableText(message)}\n\n${command.usage}\n`)
    return 2
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  const json = values.format === 'json'
  if (values.format !== undefined && values.format !== 'json' && values.format !== 'text') {
    stderr(`gantry ${verb}: --format must be text or json\n`)
    return 2
  }
  const colour = !json && io.stdout.isTTY === true && !io.env.NO_COLOR
  const context: CliContext = {
    io,
    json,
    style: colour ? COLOR : PLAIN,
    // Everything printed passes through here: text from files never reaches the terminal raw (see terminalText).
    print: (text) => {
      const safe = json ? printableJson(text) : terminalText(text, colour)
      stdout(safe.endsWith('\n') ? safe : `${safe}\n`)
    },
    progress: terminalProgress(io.stderr, !json),
  }
  try {
    return await command.run(parsed.positionals, values, context)
  } catch (error) {
    context.progress.done()
    if (error instanceof UsageError) {
      if (json) return fail(error.message, error.diagnostics)
      stderr(`gantry ${verb}: ${printableText(error.message)}\n`)
      if (error.diagnostics.length) stderr(`${renderDiagnostics(error.diagnostics, context.style)}\n`)
      return 2
    }
    // Anything else is a failure of the command itself (a file system error such as ENOTDIR, a stack overflow,
    // git failing): exit 2, and in JSON mode still the one object docs/cli.md promises.
    const message = describeFailure(error)
    // Failures found in data (a corrupt ledger) carry diagnostics too, without being usage errors.
    const found = error instanceof Error && 'diagnostics' in error && Array.isArray(error.diagnostics) ? (error.diagnostics as Diagnostic[]) : []
    if (json) return fail(message, found)
    stderr(`gantry ${verb}: ${printableText(message)}\n`)
    if (found.length) stderr(`${renderDiagnostics(found, context.style)}\n`)
    if (error instanceof Error && error.cause) stderr(`  cause: ${printableText(String(error.cause))}\n`)
    return 2
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return `the input is nested too deeply to process (${error.message})`
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
  return `${error.message}${cause}`
}

/** Gantry's own colour codes (src/core/render/style.ts); every other escape sequence is shown escaped. */
// eslint-disable-next-line no-control-regex
const OWN_SGR = /(\u001b\[(?:1|2|22|31|32|33|36|39)m)/

/** Output for a terminal: text from files is escaped; with colour on, Gantry's own colour codes are kept. */
export function terminalText(text: string, colour: boolean): string {
  if (!colour) return printableText(text)
  return text
    .split(OWN_SGR)
    .map((part, i) => (i % 2 === 1 ? part : printableText(part)))
    .join('')
}
