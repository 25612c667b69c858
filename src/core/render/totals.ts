import type { Diagnostic } from '../diagnostics.js'
import { countBySeverity } from '../diagnostics.js'
import { problemCount } from './diagnostics-text.js'
import { foldedCount } from './fold-diagnostics.js'
import { PLAIN, type Style } from './style.js'

/**
 * The last line of every command's text output, one shape for all: `<verb>: <what was counted>; <problems>`,
 * e.g. `validate: 66 definitions, 6 packages; 2 errors, 1 warning in 3 files` or
 * `plan: 3 to add, 1 to update, 0 to delete, 12 kept; no problems`. Red with errors, yellow with warnings
 * only, green otherwise.
 */
export function totalsLine(verb: string, counted: readonly string[], diagnostics: readonly Diagnostic[] | null, style: Style = PLAIN): string {
  // A command that finds nothing by its nature (log) says only what it counted.
  if (diagnostics === null) return style.bold(`${verb}: ${counted.join(', ')}`)
  const problems = problemCount(diagnostics, foldedCount(diagnostics))
  const text = `${verb}: ${counted.length > 0 ? `${counted.join(', ')}; ` : ''}${problems}`
  const { errors, warnings } = countBySeverity(diagnostics)
  return errors > 0 ? style.red(text) : warnings > 0 ? style.yellow(text) : style.green(text)
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}
