import { parseArgs } from 'node:util'
import type { Diagnostic } from '../core/diagnostics.js'
import { renderDiagnostics } from '../core/render/diagnostics-text.js'
import { COLOR, PLAIN, type Style } from '../core/render/style.js'
import { UsageError } from '../commands/errors.js'
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
    io.stderr.write(`gantry: unknown command "${verb}"\n\n${USAGE}`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true })
  } catch (error) {
    io.stderr.write(`gantry ${verb}: ${error instanceof Error ? error.message : String(error)}\n\n${command.usage}\n`)
    return 2
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  const json = values.format === 'json'
  if (values.format !== undefined && values.format !== 'json' && values.format !== 'text') {
    io.stderr.write(`gantry ${verb}: --format must be text or json\n`)
    return 2
  }
  const colour = !json && io.stdout.isTTY === true && !io.env.NO_COLOR
  const context: CliContext = {
    io,
    json,
    style: colour ? COLOR : PLAIN,
    print: (text) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    progress: terminalProgress(io.stderr, !json),
  }
  try {
    return await command.run(parsed.positionals, values, context)
  } catch (error) {
    context.progress.done()
    if (error instanceof UsageError) {
      if (json) context.print(JSON.stringify({ ok: false, error: error.message, diagnostics: error.diagnostics }))
      else {
        io.stderr.write(`gantry ${verb}: ${error.message}\n`)
        if (error.diagnostics.length) io.stderr.write(`${renderDiagnostics(error.diagnostics as Diagnostic[], context.style)}\n`)
      }
      return 2
    }
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`gantry ${verb}: ${message}\n`)
    if (error instanceof Error && error.cause) io.stderr.write(`  cause: ${String(error.cause)}\n`)
    return 2
  }
}
