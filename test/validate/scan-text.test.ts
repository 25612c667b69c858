import { describe, expect, it } from 'vitest'
import { SCAN_CONTROL, SCAN_DECLINE, fastYamlValue, scanText } from '../../src/core/yaml/fast-yaml.js'
import { DEFAULT_YAML_LIMITS, readYaml } from '../../src/core/yaml/read-yaml.js'
import { Random } from '../../bench/random.js'

// The checks readYaml made on a text before it was scanned in one pass, written as they were: one regular
// expression each. The pass must find exactly what they found, on any text.
// eslint-disable-next-line no-control-regex
const NOT_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/
const UNEQUAL = [
  /\t/,
  /^%/m,
  /(?:^|[\s[{,])\?(?:\s|$)/,
  /(?:^|[\s[{,:])!/,
  /^(?:---|\.\.\.)(?!(?:[ \t]+#[^\n]*|[ \t]*)\r?$)/m,
  /[|>][-+]?[1-9]/,
  /\r(?!\n)/,
  /\ufeff/,
  /\\U(?!00(?:0[0-9a-fA-F]|10)[0-9a-fA-F]{4})/,
  /\\\r?\n[ ]*\r?\n/,
  /^[ ]*#[^ \t\r\n]/m,
  /[^\s]["']#|[[\]{},]#|["'\]}]:#/,
  /\n[ ]+$/,
  /(?:^|[ ])-[ ]*(?:#[^\n]*)?\r?$/m,
  /[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\r?\n[ \t]*\r?\n/,
]
const longLine = (text: string) => text.split('\n').some((line) => line.length > 1024)
const declinedByPatterns = (text: string) => longLine(text) || UNEQUAL.some((p) => p.test(text))

/** The deepest `[`/`{` nesting outside quotes and comments, as readYaml measures it. */
function flowDepth(text: string): number {
  let depth = 0
  let max = 0
  let quote: string | undefined
  let comment = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (comment) {
      if (c === '\n') comment = false
    } else if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") {
      if (depth > 0) quote = c
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true
    else if (c === '[' || c === '{') max = Math.max(max, ++depth)
    else if ((c === ']' || c === '}') && depth > 0) depth--
  }
  return max
}

// Every character some pattern looks at, the white space of `\s` and the line breaks of `^`, and plain ones.
const ALPHABET = [
  ...'ab0:-.?!%#"\'[]{},|>+ \n\r\t',
  ...'\\U01fF',
  '\\U0010',
  '\\U000',
  '\\\n',
  ...'  \n\n--',
  '\u000b',
  '\u000c',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0084',
  '\u0085',
  '\u0086',
  '\u009f',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u200b',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  '\ufffe',
  '\uffff',
  '\u00e9',
]

describe('the one-pass scan of a text', () => {
  it('finds what each former pattern found, on 40,000 generated texts', () => {
    const rng = new Random(12)
    const next = () => rng.next()
    const mismatches: string[] = []
    for (let n = 0; n < 40_000 && mismatches.length < 5; n++) {
      const length = Math.floor(next() * 24)
      let text = ''
      for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(next() * ALPHABET.length)]
      const scanned = scanText(text)
      const control = (scanned.flags & SCAN_CONTROL) !== 0
      const declined = (scanned.flags & SCAN_DECLINE) !== 0
      if (
        control !== NOT_PRINTABLE.test(text) ||
        declined !== declinedByPatterns(text) ||
        scanned.openings < flowDepth(text)
      )
        mismatches.push(JSON.stringify(text))
    }
    expect(mismatches).toEqual([])
  })

  it('declines a line over 1,024 characters, at the end or before a line break, and not one of 1,024', () => {
    for (const [text, declined] of [
      [`a: ${'x'.repeat(1021)}`, false],
      [`a: ${'x'.repeat(1022)}`, true],
      [`a: ${'x'.repeat(1021)}\nb: 1\n`, false],
      [`a: ${'x'.repeat(1022)}\nb: 1\n`, true],
      [`b: 1\r\na: ${'x'.repeat(1020)}\r\n`, false],
      [`b: 1\r\na: ${'x'.repeat(1021)}\r\n`, true],
    ] as const) {
      expect((scanText(text).flags & SCAN_DECLINE) !== 0, text.slice(0, 8)).toBe(declined)
      expect(declinedByPatterns(text)).toBe(declined)
    }
  })

  // One text per construct: declined by the scan, so that the positional read reports it or reads it.
  it.each([
    ['a tab', 'a:\tb\n'],
    ['a directive', 'a: 1\n%YAML 1.1\n'],
    ['a directive after \\r', 'a: 1\r%TAG ! x\n'],
    ['an explicit key', 'a:\n  ? b\n  : c\n'],
    ['an explicit key in a flow map', '{? a: b}\n'],
    ['an explicit key at the end', 'a: ?'],
    ['a tag after a comma', 'a: [1,!!str 2]\n'],
    ['a tag first', '!foo\na: 1\n'],
    ['a tag after a non-breaking space', 'a:\u00a0!x 1\n'],
    ['content after ---', '--- a: 1\n'],
    ['content after ...', 'a: 1\n...x\n'],
    ['---- at a line start', '----\na: 1\n'],
    ['a comment after a quote', "a: 'b'#c\n"],
    ['a comment after a comma', 'a: [b,#c\n  d]\n'],
    ['a dash ending its line', 'a:\n  -\n    b\n'],
    ['a dash then a comment', 'a:\n- # c\n  b\n'],
    ['a dash after a space at the end', 'a: b -'],
    ['a dash before \\r\\n', 'a:\r\n-\r\n  b\r\n'],
    ['a dash before U+2028', 'a:\n- \u2028'],
    ['a block scalar then an empty line', 'a: |\n\n  b\n'],
    ['a block scalar with indicators and a comment, then a blank line', 'a: >-2 # c\n   \r\n  b\n'],
  ])('declines %s', (_name, text) => {
    expect(scanText(text).flags & SCAN_DECLINE).toBe(SCAN_DECLINE)
    expect(declinedByPatterns(text)).toBe(true)
    expect(fastYamlValue(text, DEFAULT_YAML_LIMITS)).toBeUndefined()
  })

  it.each([
    ['a cron expression', 'cron: "*/5 * * * *"\n'],
    ['a dash inside a word and a negative number', 'a: b-c\nn: -1\n'],
    ['--- alone and with a comment', '--- # start\na: 1\n...\n'],
    ['a block scalar with content on its next line', 'a: |\n  b\n\n  c\n'],
    ['a question inside a word', 'a: why?\nb: x?y\n'],
    ['a comment after a space', 'a: "b" # c\n'],
  ])('lets %s through', (_name, text) => {
    expect(scanText(text).flags & (SCAN_DECLINE | SCAN_CONTROL)).toBe(0)
    expect(declinedByPatterns(text)).toBe(false)
  })

  it('counts the openings of flow collections, and readYaml still measures nesting past the limit', () => {
    expect(scanText('a: [b, {c: [d]}]\n').openings).toBe(3)
    // 70 brackets, none nested: under the limit, read as usual.
    const flat = `a: [${Array.from({ length: 70 }, () => '[x]').join(', ')}]\n`
    expect(readYaml('f.yaml', Buffer.from(flat)).diagnostics).toEqual([])
    const deep = `a: ${'['.repeat(65)}x${']'.repeat(65)}\n`
    expect(readYaml('f.yaml', Buffer.from(deep)).diagnostics).toMatchObject([
      { code: 'input-too-large', message: 'nesting deeper than 64 levels', line: 1, column: 68 },
    ])
  })

  it('flags each control character the way readYaml reports it', () => {
    for (const char of [
      '\u0000',
      '\u0008',
      '\u000b',
      '\u000c',
      '\u000e',
      '\u001f',
      '\u007f',
      '\u0084',
      '\u0086',
      '\u009f',
      '\ufffe',
      '\uffff',
    ]) {
      expect(scanText(`a: b${char}\n`).flags & SCAN_CONTROL).toBe(SCAN_CONTROL)
      const read = readYaml('f.yaml', Buffer.from(`a: b${char}\n`))
      expect(read.diagnostics).toMatchObject([{ code: 'yaml-syntax', line: 1, column: 5 }])
    }
    for (const char of ['\t', '\n', '\r', '\u0085', '\u00a0', '\u2028', '\ufeff', '\u00e9'])
      expect(scanText(`a: b${char}\n`).flags & SCAN_CONTROL).toBe(0)
  })
})
