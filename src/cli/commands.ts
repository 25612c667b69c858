import type { ParseArgsConfig } from 'node:util'
import { renderDiagnostics, renderSummary } from '../core/render/diagnostics-text.js'
import { validateRepository } from '../commands/validate.js'
import type { CliContext } from './main.js'

type Values = Record<string, string | boolean | string[] | undefined>

export interface CliCommand {
  usage: string
  options: NonNullable<ParseArgsConfig['options']>
  run(positionals: string[], values: Values, context: CliContext): Promise<number>
}

const repo = { type: 'string', default: '.' } as const
const format = { type: 'string', default: 'text' } as const

export const USAGE = `Usage: gantry <command> [options]

  validate [--repo DIR] [--env NAME]... [--format text|json]   validate files, packages, references
  build (<package>... | --all) [--debug] [--out DIR]            build versions, tag them
  plan <package>[@<version>] --env NAME                          what an apply would change
  apply <package>[@<version>] --env NAME                         apply to the local environment branch
  status                                                         package x environment matrix, drift
  log <package>                                                  versions, notes, status per environment
  diff <package>@<a> <package>@<b>                               what changed between two versions

Every command takes --repo DIR (default: .) and --format text|json.
Exit codes: 0 success, 1 errors found or apply refused, 2 the command could not run.
`

export const COMMANDS: Record<string, CliCommand> = {
  validate: {
    usage: 'gantry validate [--repo DIR] [--env NAME]... [--format text|json]',
    options: { repo, format, env: { type: 'string', multiple: true, default: [] } },
    async run(positionals, values, context) {
      if (positionals.length > 0) throw new (await import('../commands/errors.js')).UsageError(`unexpected argument ${positionals[0]}`)
      const result = await validateRepository({ repo: values.repo as string, environments: values.env as string[] })
      if (context.json) {
        context.print(JSON.stringify({ ok: result.ok, errors: result.errors, warnings: result.warnings, diagnostics: result.diagnostics }))
      } else {
        if (result.diagnostics.length > 0) context.print(renderDiagnostics(result.diagnostics, context.style))
        const { model } = result.repository
        const envs = (values.env as string[]).length ? ` against ${(values.env as string[]).join(', ')}` : ''
        context.print(renderSummary(result.diagnostics, `${model.definitions.size} definitions, ${model.packages.size} packages${envs}`, context.style))
      }
      return result.ok ? 0 : 1
    },
  },
}
