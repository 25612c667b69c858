import type { Diagnostic } from '../diagnostics.js'
import { isSurrogate } from '../names.js'

/** Past this many findings in one file, the rest are counted in one more finding, not listed. */
export const MAX_FINDINGS_PER_FILE = 100

/** Messages and hints longer than this keep their start and end: a 1 MB value is never echoed whole. */
export const MAX_MESSAGE_LENGTH = 400

/** Appends without spreading: `push(...list)` passes every element as an argument and overflows the stack. */
export function append<T>(to: T[], list: readonly T[]): void {
  for (const item of list) to.push(item)
}

/** A text cut in the middle when it is too long, saying how much was left out. */
export function truncate(text: string, max = MAX_MESSAGE_LENGTH): string {
  if (text.length <= max) return text
  let tail = Math.floor(max / 4)
  let head = max - tail
  // Neither cut splits a surrogate pair: the head ends before a high surrogate whose pair it would cut, the
  // tail starts after a low surrogate whose high half is left out.
  if (isSurrogate(text.charCodeAt(head - 1), 0xd800)) head--
  if (isSurrogate(text.charCodeAt(text.length - tail), 0xdc00)) tail--
  return `${text.slice(0, head)}…[${text.length - head - tail} characters]…${text.slice(text.length - tail)}`
}


/**
 * At most MAX_FINDINGS_PER_FILE findings per file, the first by position, and one `more-findings` finding that
 * counts the rest; long messages and hints shortened. Linear in the number of findings (plus sorting one
 * file's findings when it has too many).
 */
export function boundFindings(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const perFile = new Map<string, Diagnostic[]>()
  for (const d of diagnostics) {
    if (d.file === undefined) continue
    let list = perFile.get(d.file)
    if (!list) perFile.set(d.file, (list = []))
    list.push(d)
  }
  const dropped = new Set<Diagnostic>()
  const notices = new Map<string, Diagnostic>()
  for (const [file, list] of perFile) {
    if (list.length <= MAX_FINDINGS_PER_FILE) continue
    const sorted = [...list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0))
    const rest = sorted.slice(MAX_FINDINGS_PER_FILE)
    for (const d of rest) dropped.add(d)
    const errors = rest.filter((d) => d.severity === 'error').length
    notices.set(file, {
      severity: errors > 0 ? 'error' : 'warning',
      code: 'more-findings',
      file,
      line: rest[0]!.line ?? 1,
      column: rest[0]!.column ?? 1,
      message: `${rest.length} more findings in ${file} are not listed (${errors} errors, ${rest.length - errors} warnings); the first ${MAX_FINDINGS_PER_FILE} are`,
      hint: 'fix the findings listed first; the rest often follow from the same mistake',
    })
  }
  const out: Diagnostic[] = []
  for (const d of diagnostics) {
    if (dropped.has(d)) {
      const notice = d.file === undefined ? undefined : notices.get(d.file)
      if (notice && d.file !== undefined) {
        out.push(notice)
        notices.delete(d.file)
      }
      continue
    }
    const long = d.message.length > MAX_MESSAGE_LENGTH || (d.hint?.length ?? 0) > MAX_MESSAGE_LENGTH
    out.push(long ? { ...d, message: truncate(d.message), ...(d.hint ? { hint: truncate(d.hint) } : {}) } : d)
  }
  return out
}
