import type { Diagnostic } from '../core/diagnostics.js'
import { printable } from '../core/names.js'
import { log } from './log.js'

/** Diagnostics as workflow annotations: at their file, line and column, with the hint below the message. */
export function annotate(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const properties = {
      title: `gantry ${d.code}`,
      ...(d.file ? { file: d.file } : {}),
      ...(d.line ? { startLine: d.line } : {}),
      ...(d.column ? { startColumn: d.column } : {}),
    }
    // Text from files never reaches the log raw (escape sequences, bidirectional controls, line breaks).
    const message = d.hint ? `${printable(d.message)}\nhint: ${printable(d.hint)}` : printable(d.message)
    if (d.severity === 'error') log.error(message, properties)
    else log.warning(message, properties)
  }
}
