import type { ParseArgsConfig } from 'node:util'
import { renderDiagnostics } from '../core/render/diagnostics-text.js'
import { renderLogText } from '../core/render/log-text.js'
import { renderPlanText } from '../core/render/plan-text.js'
import { renderStatusText } from '../core/render/status-text.js'
import { table } from '../core/render/style.js'
import { plural, totalsLine } from '../core/render/totals.js'
import { buildPackages, reportedArtifact } from '../commands/build.js'
import { UsageError } from '../commands/errors.js'
import { diffCommand, logCommand } from '../commands/history.js'
import { type PromoteResult, applyCommand, planCommand } from '../commands/promote.js'
import { statusCommand } from '../commands/status.js'
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

  validate [--env NAME]...                     validate files, packages, references (--env: against that branch)
  build (<package>... | --all) [--debug] [--out DIR]   build versions and tag them
  plan <package>[@<version>] --env NAME        what an apply would change; writes nothing
  apply <package>[@<version>] --env NAME       apply to the local environment branch
  status                                       package x environment matrix, and drift
  log <package>                                versions, notes, and each environment's history
  diff <package>@<a> <package>@<b>             what changed between two versions

Every command takes --repo DIR (default: .) and --format text|json.
Exit codes: 0 success, 1 errors found or apply refused, 2 the command could not run.
`

function expectPositionals(positionals: string[], count: number, usage: string): void {
  if (positionals.length !== count) throw new UsageError(`expected ${count} argument${count === 1 ? '' : 's'}: ${usage}`)
}

function promoteOutput(result: PromoteResult, context: CliContext, environment: string, verb: 'plan' | 'apply'): number {
  const plan = result.plan
  if (context.json) {
    context.print(
      JSON.stringify({
        ok: result.ok,
        package: plan?.package ?? null,
        version: plan?.version ?? null,
        environment,
        rollback: plan?.rollback ?? false,
        previousVersion: plan?.previousVersion ?? null,
        counts: plan?.counts ?? { add: 0, update: 0, delete: 0, keep: 0 },
        // What the people who apply or approve are asked, and when the package may go out there (as written).
        instructions: plan?.instructions ?? [],
        release: plan?.release ?? null,
        changes: (plan?.changes ?? []).map((c) => ({
          item: c.item,
          action: c.action,
          ...(c.note ? { note: c.note } : {}),
          ...(c.replaced ? { replaced: c.replaced } : {}),
          ...(c.overrides ? { overrides: c.overrides } : {}),
          ...(c.fields ? { fields: c.fields } : {}),
        })),
        diagnostics: result.diagnostics,
        ...(result.commit ? { commit: result.commit } : {}),
        ...(result.alreadyApplied ? { alreadyApplied: true } : {}),
      }),
    )
  } else if (plan) context.print(renderPlanText(plan, result.diagnostics, context.style, result.commit, result.alreadyApplied, verb, result.timezone))
  else {
    if (result.diagnostics.length) context.print(renderDiagnostics(result.diagnostics, context.style))
    context.print(totalsLine(verb, ['nothing planned'], result.diagnostics, context.style))
  }
  return result.ok ? 0 : 1
}

export const COMMANDS: Record<string, CliCommand> = {
  validate: {
    usage: 'gantry validate [--repo DIR] [--env NAME]... [--format text|json]',
    options: { repo, format, env: { type: 'string', multiple: true, default: [] } },
    async run(positionals, values, context) {
      expectPositionals(positionals, 0, this.usage)
      const environments = values.env as string[]
      // Only the findings are printed: no package's plan rows are made.
      const result = await validateRepository({ repo: values.repo as string, environments, plansFor: () => [], onProgress: context.progress.report })
      context.progress.done()
      if (context.json) {
        context.print(JSON.stringify({ ok: result.ok, errors: result.errors, warnings: result.warnings, diagnostics: result.diagnostics }))
      } else {
        if (result.diagnostics.length > 0) context.print(renderDiagnostics(result.diagnostics, context.style))
        const { model } = result.repository
        const against = environments.length ? [`against ${environments.join(', ')}`] : []
        context.print(totalsLine('validate', [plural(model.definitions.size, 'definition'), plural(model.packages.size, 'package'), ...against], result.diagnostics, context.style))
      }
      return result.ok ? 0 : 1
    },
  },
  build: {
    usage: 'gantry build (<package>... | --all) [--debug] [--out DIR] [--repo DIR] [--format text|json]',
    options: { repo, format, all: { type: 'boolean', default: false }, debug: { type: 'boolean', default: false }, out: { type: 'string' } },
    async run(positionals, values, context) {
      if (positionals.length > 0 && values.all) throw new UsageError('name packages or pass --all, not both')
      const result = await buildPackages({
        repo: values.repo as string,
        packages: positionals,
        all: values.all === true,
        debug: values.debug === true,
        ...(typeof values.out === 'string' ? { out: values.out } : {}),
        onProgress: context.progress.report,
      })
      context.progress.done()
      if (context.json) {
        context.print(
          JSON.stringify({
            ok: result.ok,
            artifacts: result.artifacts.map(reportedArtifact),
            diagnostics: result.diagnostics,
          }),
        )
      } else {
        if (result.artifacts.length > 0) {
          const rows = [['package', 'version', 'tag', 'digest', 'delta', 'file']]
          for (const a of result.artifacts) {
            const delta = `+${a.delta.added.length} ~${a.delta.changed.length} -${a.delta.removed.length}`
            rows.push([a.package, a.version, a.debug ? '(debug)' : a.created ? `${a.tag} (new)` : `${a.tag} (unchanged)`, a.digest.slice(0, 19), delta, a.file])
          }
          context.print(table(rows, context.style))
        }
        if (result.diagnostics.length) context.print(renderDiagnostics(result.diagnostics, context.style))
        const debug = result.artifacts.filter((a) => a.debug).length
        const created = result.artifacts.filter((a) => !a.debug && a.created).length
        const counted = [plural(result.artifacts.length, 'package')]
        if (result.artifacts.length > debug) counted.push(plural(created, 'new version'), `${result.artifacts.length - debug - created} unchanged`)
        if (debug > 0) counted.push(plural(debug, 'debug build'))
        context.print(totalsLine('build', counted, result.diagnostics, context.style))
      }
      return result.ok ? 0 : 1
    },
  },
  plan: {
    usage: 'gantry plan <package>[@<version>] --env NAME [--repo DIR] [--format text|json]',
    options: { repo, format, env: { type: 'string' }, out: { type: 'string' } },
    async run(positionals, values, context) {
      expectPositionals(positionals, 1, this.usage)
      if (typeof values.env !== 'string') throw new UsageError(`--env is required: ${this.usage}`)
      const result = await planCommand({ repo: values.repo as string, target: positionals[0]!, environment: values.env, ...(typeof values.out === 'string' ? { out: values.out } : {}) })
      return promoteOutput(result, context, values.env, 'plan')
    },
  },
  apply: {
    usage: 'gantry apply <package>[@<version>] --env NAME [--repo DIR] [--format text|json]',
    options: { repo, format, env: { type: 'string' }, out: { type: 'string' } },
    async run(positionals, values, context) {
      expectPositionals(positionals, 1, this.usage)
      if (typeof values.env !== 'string') throw new UsageError(`--env is required: ${this.usage}`)
      const result = await applyCommand({ repo: values.repo as string, target: positionals[0]!, environment: values.env, ...(typeof values.out === 'string' ? { out: values.out } : {}) })
      return promoteOutput(result, context, values.env, 'apply')
    },
  },
  status: {
    usage: 'gantry status [--repo DIR] [--format text|json]',
    options: { repo, format },
    async run(positionals, values, context) {
      expectPositionals(positionals, 0, this.usage)
      const status = await statusCommand({ repo: values.repo as string })
      if (context.json) context.print(JSON.stringify(status))
      else context.print(renderStatusText(status, context.style))
      return status.ok ? 0 : 1
    },
  },
  log: {
    usage: 'gantry log <package> [--repo DIR] [--format text|json]',
    options: { repo, format },
    async run(positionals, values, context) {
      expectPositionals(positionals, 1, this.usage)
      const log = await logCommand({ repo: values.repo as string, pkg: positionals[0]! })
      const { zones, ...shown } = log
      if (context.json) context.print(JSON.stringify(shown))
      else context.print(renderLogText(shown, context.style, zones))
      return 0
    },
  },
  diff: {
    usage: 'gantry diff <package>@<a> <package>@<b> [--repo DIR] [--format text|json]',
    options: { repo, format },
    async run(positionals, values, context) {
      expectPositionals(positionals, 2, this.usage)
      const diff = await diffCommand({ repo: values.repo as string, from: positionals[0]!, to: positionals[1]! })
      if (context.json) context.print(JSON.stringify(diff))
      else {
        const lines = [context.style.bold(`${diff.package} ${diff.from} -> ${diff.to}`)]
        for (const id of diff.added) lines.push(context.style.green(`+ ${id}`))
        for (const id of diff.removed) lines.push(context.style.red(`- ${id}`))
        for (const c of diff.changed) {
          lines.push(context.style.yellow(`~ ${c.item}`))
          for (const f of c.fields) lines.push(`    ${f.path}: ${JSON.stringify(f.from)} -> ${JSON.stringify(f.to)}`)
        }
        for (const f of diff.manifest) lines.push(`  manifest ${f.path}: ${JSON.stringify(f.from)} -> ${JSON.stringify(f.to)}`)
        if (diff.diagnostics.length) lines.push(renderDiagnostics(diff.diagnostics, context.style))
        const counted = [`${diff.added.length} added`, `${diff.changed.length} changed`, `${diff.removed.length} removed`]
        if (diff.manifest.length) counted.push(plural(diff.manifest.length, 'manifest field') + ' changed')
        lines.push(totalsLine('diff', counted, diff.diagnostics, context.style))
        context.print(lines.join('\n'))
      }
      return diff.ok ? 0 : 1
    },
  },
}
