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

/** Pads cells to a table of aligned columns (no colour codes inside cells). */
export function table(rows: string[][], style: Style = PLAIN): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows
    .map((row, r) => {
      const line = row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')
      return r === 0 ? style.bold(line) : line
    })
    .join('\n')
}
