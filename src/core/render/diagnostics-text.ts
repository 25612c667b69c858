import type { Diagnostic } from '../diagnostics.js'
import { countBySeverity } from '../diagnostics.js'
import { printable } from '../names.js'
import { foldDiagnostics } from './fold-diagnostics.js'
import { PLAIN, type Style } from './style.js'

/** Items named on a fold line; the rest are counted. */
const NAMED = 5

/**
 * Compiler-style text: `file:line:col: severity code: message`, a hint below, grouped by file. Findings that
 * follow from another are folded under their cause (see fold-diagnostics.ts); `fold: false` lists every one.
 */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], style: Style = PLAIN, options: { fold?: boolean } = {}): string {
  const lines: string[] = []
  let lastFile: string | undefined
  const groups = options.fold === false ? diagnostics.map((d) => ({ causes: [d], folded: [] })) : foldDiagnostics(diagnostics)
  for (const { causes, folded } of groups) {
    for (const d of causes) {
      if (d.file !== lastFile && lines.length > 0) lines.push('')
      lastFile = d.file
      lines.push(...diagnosticLines(d, style))
    }
    if (folded.length > 0) lines.push(`  ${style.dim(foldLine(folded, causes.length))}`)
  }
  return lines.join('\n')
}

function diagnosticLines(d: Diagnostic, style: Style): string[] {
  const where = d.file ? `${printable(d.file)}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}: ` : ''
  const severity = d.severity === 'error' ? style.red('error') : style.yellow('warning')
  const env = d.environment ? ` [${printable(d.environment)}]` : ''
  const lines = [`${style.bold(where)}${severity} ${style.dim(d.code)}${env}: ${printable(d.message)}`]
  if (d.hint) lines.push(`  ${style.cyan('hint')}: ${printable(d.hint)}`)
  return lines
}

/** `… and 21 more caused by this, in task/a, task/b, task/c, task/d, task/e and 16 more (--format json lists each)` */
function foldLine(folded: readonly Diagnostic[], causes: number): string {
  const names = [...new Set(folded.map((d) => d.item ?? d.file ?? d.code))]
  const shown = names.slice(0, NAMED).map(printable).join(', ')
  const rest = names.length > NAMED ? ` and ${names.length - NAMED} more` : ''
  return `… and ${folded.length} more caused by ${causes === 1 ? 'this' : 'these'}, in ${shown}${rest} (--format json lists each)`
}

/** `2 errors, 1 warning in 3 files`, or `no problems`; folded findings are counted, and said to be folded. */
export function problemCount(diagnostics: readonly Diagnostic[], folded = 0): string {
  const { errors, warnings } = countBySeverity(diagnostics)
  if (errors === 0 && warnings === 0) return 'no problems'
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
  const files = new Set(diagnostics.map((d) => d.file).filter((f) => f !== undefined)).size
  const where = files > 0 ? ` in ${plural(files, 'file')}` : ''
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}${where}${folded > 0 ? ` (${folded} folded under their cause)` : ''}`
}
