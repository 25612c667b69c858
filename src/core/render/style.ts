/** Terminal styling: colours only when the caller says the output is a terminal. */
export interface Style {
  red(s: string): string
  yellow(s: string): string
  green(s: string): string
  dim(s: string): string
  bold(s: string): string
  cyan(s: string): string
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`

export const COLOR: Style = {
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  green: wrap(32, 39),
  cyan: wrap(36, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
}

const same = (s: string) => s
export const PLAIN: Style = { red: same, yellow: same, green: same, cyan: same, dim: same, bold: same }

/** Colour of one body cell of a table (row 1 is the first row after the header), or undefined for none. */
export type CellPaint = (row: number, column: number, cell: string) => ((s: string) => string) | undefined

/**
 * Pads cells to a table of aligned columns. Cells hold no colour codes: `paint` colours a cell after its width
 * is measured, so colours never shift the columns.
 */
export function table(rows: string[][], style: Style = PLAIN, paint?: CellPaint): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows
    .map((row, r) => {
      if (r === 0) return style.bold(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
      return row
        .map((cell, i) => {
          const painted = (cell && paint?.(r, i, cell)?.(cell)) || cell
          return i === row.length - 1 ? painted : painted + ' '.repeat(widths[i]! - cell.length)
        })
        .join('  ')
    })
    .join('\n')
}

/** The colour of a status (docs/states.md) wherever it is printed: done green, waiting cyan, refused red. */
export function stateColour(style: Style, state: string): (s: string) => string {
  switch (state) {
    case 'APPLIED':
    case 'PROMOTED':
      return style.green
    case 'ACCEPTED':
    case 'SCHEDULED':
    case 'SUBMITTED':
      return style.cyan
    case 'REJECTED':
      return style.red
    case 'rollback':
      return style.yellow
    default:
      return style.dim
  }
}

/** The colour of a plan action and its sign (`+ add`, `~ update`, `- delete`, `= keep`). */
export function actionColour(style: Style, action: string): (s: string) => string {
  return action === 'add' ? style.green : action === 'update' ? style.yellow : action === 'delete' ? style.red : style.dim
}
