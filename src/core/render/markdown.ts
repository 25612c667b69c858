import { printable } from '../names.js'

/**
 * Text from a pull request, a package or a definition rendered inert in GitHub markdown: no HTML, no
 * mentions, no links or images, no breaking out of a table cell or code span, no workflow expressions.
 */
export function inert(text: string, maxLength = 500): string {
  // Control, bidirectional and zero-width characters shown escaped (line breaks become spaces, as before).
  const clipped = printable((text.length > maxLength ? `${text.slice(0, maxLength)}…` : text).replace(/\r?\n/g, ' '))
  // One pass, so no replacement's output is rewritten by another rule.
  return clipped.replace(/\$\{\{|\r?\n|[&<>|@#`*_[\]()!~\\]/g, (c) => INERT[c] ?? `\\${c}`)
}

const INERT: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '|': '&#124;',
  // A zero-width joiner after @ and # keeps mentions and issue links from resolving.
  '@': '@\u200d',
  '#': '#\u200d',
  '${{': '$\u200d{{',
  '\n': ' ',
  '\r\n': ' ',
}

/** A value in a code span: backticks removed so it cannot close the span early. */
export function code(text: string): string {
  return `\`${printable(text.replace(/`/g, "'").replace(/\r?\n/g, ' '))}\``
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/**
 * A hidden marker later runs find their own comments and pull requests by. Its JSON spells `--` (which would
 * end the comment), HTML, mentions and workflow expressions as \u escapes: the data reads back the same, and
 * the body carries nothing live even where the comment is shown or copied as text.
 */
export function hiddenMarker(kind: string, data: Record<string, string | number | boolean | null> = {}): string {
  const json = JSON.stringify(data)
    .replace(/--/g, '\\u002d\\u002d')
    .replace(/[<>&@$[\]]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `<!-- gantry:${kind} ${json} -->`
}

export function readMarker(body: string | null | undefined, kind: string): Record<string, unknown> | undefined {
  if (!body) return undefined
  const match = new RegExp(`<!-- gantry:${kind} (\\{.*?\\}) -->`).exec(body)
  if (!match) return undefined
  try {
    const value = JSON.parse(match[1]!) as unknown
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
