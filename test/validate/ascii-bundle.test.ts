import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { asciiOnly } from '../../scripts/ascii-bundle.js'
import { detached } from '../../src/core/schema/detached.js'

/** The value of a script's last expression, run on its own. */
const run = (code: string): unknown => runInNewContext(code)

describe('the CLI bundle written as ASCII only (scripts/ascii-bundle.ts)', () => {
  it('escapes characters in strings, templates and identifiers to the same values', () => {
    const code = [
      'const café = "… and ü";',
      'const t = `${café.length}… more`;',
      'const r = new RegExp("[→é]+").test("→é");',
      "const s = 'x\\\\→';",
      'const pair = "😀";',
      '[café, t, r, s, pair, café.length]',
    ].join('\n')
    const ascii = asciiOnly('x.js', code)
    // eslint-disable-next-line no-control-regex
    expect(/[^\u0000-\u007f]/.test(ascii)).toBe(false)
    expect(run(ascii)).toEqual(run(code))
  })

  it('leaves an ASCII file as it is', () => {
    const code = 'const a = "plain"; a'
    expect(asciiOnly('x.js', code)).toBe(code)
  })

  it('refuses a character whose escape would mean something else', () => {
    // A tag function reads the raw text: String.raw`…` is "…", String.raw`\u2026` is not.
    expect(() => asciiOnly('x.js', 'const a = String.raw`x…`')).toThrow(/x\.js:1:23: U\+2026 outside a literal/)
    // In a comment nothing is decoded (and U+2028 ends a line comment).
    expect(() => asciiOnly('x.js', 'const a = 1 // é')).toThrow(/outside a literal/)
    // In a regular expression literal the escape matches the same, but .source and String(re) would print it.
    expect(() => asciiOnly('x.js', 'const r = /→/')).toThrow(/x\.js:1:12: U\+2192 outside a literal/)
    // Right after a backslash the escape would itself be escaped.
    expect(() => asciiOnly('x.js', 'const a = "\\é"')).toThrow(/right after a backslash/)
  })

  it('the rewrite is a function of the text alone', () => {
    const code = 'const a = "é…"; a'
    expect(asciiOnly('a.js', code)).toBe(asciiOnly('b.js', code))
  })
})

describe('detached strings', () => {
  it('hold the same characters as the string they copy', () => {
    const text = 'prefix-' + 'abcdefghijklmnopqrstuvwxyz-'.repeat(4)
    for (const s of ['', 'a', text.slice(3, 9), text.slice(7, 60), `${text.slice(0, 20)}/${text.slice(30, 50)}`, '…é😀'])
      expect(detached(s)).toBe(s)
  })
})
