import type { Diagnostic } from '../diagnostics.js'
import { countBySeverity } from '../diagnostics.js'
import { printable } from '../names.js'
import { PLAIN, type Style } from './style.js'

/** Compiler-style text: `file:line:col: severity code: message`, a hint below, grouped by file. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], style: Style = PLAIN): string {
  const lines: string[] = []
  let lastFile: string | undefined
  for (const d of diagnostics) {
    if (d.file !== lastFile && lines.length > 0) lines.push('')
    lastFile = d.file
    const where = d.file ? `${printable(d.file)}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}: ` : ''
    const severity = d.severity === 'error' ? style.red('error') : style.yellow('warning')
    const env = d.environment ? ` [${d.environment}]` : ''
    lines.push(`${style.bold(where)}${severity} ${style.dim(d.code)}${env}: ${printable(d.message)}`)
    if (d.hint) lines.push(`  ${style.cyan('hint')}: ${printable(d.hint)}`)
  }
  return lines.join('\n')
}

export function renderSummary(diagnostics: readonly Diagnostic[], what: string, style: Style = PLAIN): string {
  const { errors, warnings } = countBySeverity(diagnostics)
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  if (errors === 0 && warnings === 0) return style.green(`ok: ${what}, no problems`)
  const text = `${plural(errors, 'error')}, ${plural(warnings, 'warning')} (${what})`
  return errors > 0 ? style.red(text) : style.yellow(text)
}
