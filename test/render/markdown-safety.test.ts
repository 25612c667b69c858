import { describe, expect, test } from 'vitest'
import { inert, markdownTable } from '../../src/core/render/markdown.js'

/*
 * Text from packages and reviewers (notes, rejection reasons, step texts) lands in table cells and lines of
 * comments GitHub renders. These tests check the properties, not one way of escaping: a GitHub-flavoured
 * reading of the output (written out naively below) finds one cell per value, no HTML, no live mention or
 * workflow expression, and, read back, the characters the author wrote. Authors' links, issue references,
 * backslash escapes and character references are Markdown and stay Markdown (test/render/markdown.test.ts
 * checks which links are kept with a real GFM parser).
 */

/** Cells of a GFM table row: split at each pipe not escaped by a backslash (inside code spans too). */
function cells(row: string): string[] {
  const out: string[] = []
  let cell = ''
  for (let i = 0; i < row.length; i++) {
    const c = row[i]!
    if (c === '\\' && i + 1 < row.length) {
      cell += c + row[i + 1]
      i++
    } else if (c === '|') {
      out.push(cell)
      cell = ''
    } else cell += c
  }
  out.push(cell)
  // A leading and a trailing pipe open and close the row.
  if (row.trimStart().startsWith('|')) out.shift()
  if (row.trimEnd().endsWith('|') && !row.trimEnd().endsWith('\\|')) out.pop()
  return out.map((s) => s.trim())
}

/** The text outside code spans (a run of n backticks up to the next run of exactly n). */
function outsideCode(text: string): string {
  return text.replace(/(`+)[\s\S]*?(?<!`)\1(?!`)/g, ' ')
}

/** Unescapes what a reader sees: backslash escapes, character references, zero-width characters. */
function readBack(text: string): string {
  return text
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '')
}

/** What would be live in GitHub's rendering of a line of the output. */
function liveParts(line: string): string[] {
  const text = outsideCode(line)
  const found: string[] = []
  if (/<[A-Za-z!?/]/.test(text)) found.push('HTML')
  if (/(^|[^\w\\])@[A-Za-z0-9]/.test(text)) found.push('mention')
  if (/\$\{\{/.test(text)) found.push('expression')
  if (/[\r\n]/.test(line)) found.push('line break')
  return found
}

const HOSTILE = [
  'Rejected: a | b | c',
  'pipe at the end |',
  '| pipe at the start',
  'escaped pipe \\| still one cell',
  'backslash at the end \\',
  'two backslashes then a pipe \\\\| x',
  'less than < 3, <b>bold</b>, <img src=x onerror=alert(1)>, <!-- comment -->',
  '<script>alert(1)</script>',
  '[click here](https://evil.example) and ![image](https://evil.example/x.png) and [ref][1]',
  'brackets [like this] and (parentheses) (a|b)',
  '@octocat please look, cc @org/team',
  'fixes #12 and GH-3',
  'a `code | span` with a pipe',
  '``double `code` | span``',
  'uses ${{ secrets.TOKEN }} here',
  'first line\nsecond | line\r\nthird',
  '*emphasis* _under_ ~strike~ **bold**',
  '&lt;already escaped&gt; &#124; &amp;',
]

describe('inert text in a table cell', () => {
  test.each(HOSTILE)('%j stays one cell, with nothing live', (text) => {
    const table = markdownTable(['package', 'reason', 'status'], [['`jobs`', inert(text), 'REJECTED']])
    const lines = table.split('\n')
    expect(lines).toHaveLength(3)
    expect(cells(lines[2]!)).toHaveLength(3)
    expect(cells(lines[2]!)[0]).toBe('`jobs`')
    expect(cells(lines[2]!)[2]).toBe('REJECTED')
    expect(liveParts(lines[2]!)).toEqual([])
  })

  // Text holding the author's own backslash escapes or character references reads back as their Markdown means.
  test.each(HOSTILE.filter((t) => !/[\\&]/.test(t)))('%j reads back as written (line breaks as spaces)', (text) => {
    const shown = readBack(cells(markdownTable(['x'], [[inert(text)]]).split('\n')[2]!)[0]!)
    expect(shown.replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' ').trim())
  })

  test('several hostile values side by side: one cell each', () => {
    const row = HOSTILE.map((t) => inert(t))
    const line = markdownTable(
      HOSTILE.map((_, i) => `h${i}`),
      [row],
    ).split('\n')[2]!
    expect(cells(line)).toHaveLength(HOSTILE.length)
  })

  test('long text is clipped, still one cell with nothing live', () => {
    const text = '|<@a[(#1'.repeat(200)
    const line = markdownTable(['a', 'b'], [[inert(text), 'end']]).split('\n')[2]!
    expect(cells(line)).toHaveLength(2)
    expect(cells(line)[1]).toBe('end')
    expect(liveParts(line)).toEqual([])
    expect(readBack(cells(line)[0]!).length).toBeLessThan(text.length)
  })
})

describe('inert text on a line of its own (notes, steps)', () => {
  test.each(HOSTILE)('%j: nothing live in a quote or a list item', (text) => {
    for (const line of [`> ${inert(text, 2000)}`, `- ${inert(text, 2000)}`])
      expect(liveParts(line)).toEqual([])
  })
})

describe('the reading used above', () => {
  // The checks must be able to fail: raw text is split, found live and read back as is.
  test('raw text breaks the cell and is live', () => {
    expect(cells('| x | y | z |')).toHaveLength(3)
    expect(cells('| a \\| b | c |')).toEqual(['a \\| b', 'c'])
    expect(liveParts('<b>x</b> @octocat #1 [a](b) ${{ x }}')).toEqual(['HTML', 'mention', 'expression'])
    expect(liveParts('`<b>` in code, mail a@b.c, &#124;, \\[a\\](b)')).toEqual([])
    expect(readBack('a \\| b &#124; &lt;c&gt; @\u200dd')).toBe('a | b | <c> @d')
  })
})
