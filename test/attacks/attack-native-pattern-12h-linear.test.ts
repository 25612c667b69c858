import { RE2JS } from 're2js'
import { describe, expect, it } from 'vitest'
import { linearRegExp, patternEngine } from '../../src/core/schema/kind-schema-limits.js'
import { nativePattern } from '../../src/core/schema/native-pattern.js'

/**
 * Attacks on the linear-time promise of native kind schema patterns (docs/file-formats.md, "Kind schemas"): each
 * pattern below gives a backtracking engine more than one live way through the same text, hidden behind counts,
 * optional groups, shared prefixes, `$`, `.` against `\n`, astral characters or overlapping complements. The
 * proof must refuse every one (they stay on RE2); none is timed.
 */
const AMBIGUOUS: [string, string][] = [
  ['^(?:a{1,2}){2,}$', 'a count inside a loop: aa is a·a or one aa'],
  ['^(?:a{2}|a{3})+$', 'two counts of one letter in a loop'],
  ['^(?:a{1,3}b?){1,50}$', 'an optional letter between counted copies'],
  ['^(?:abc|abd)*$', 'branches sharing a prefix of two characters'],
  ['^(?:ab|a)(?:bc)*$', 'a branch whose end is the next part’s start'],
  ['^(?:a|ab)(?:bc|c)$', 'abc cut two ways'],
  ['^(?:ab)?(?:ab)*$', 'an optional group before a loop of itself'],
  ['^(?:ab)?(?:ab)?(?:ab)?(?:ab){3}$', 'optional copies before fixed ones'],
  ['^(?:a|a)$', 'two branches ending the same `$` match'],
  ['^(?:a+|b)+$', 'a loop inside a loop through a branch'],
  ['^(?:.|\\s)*$', '`.` and `\\s` meet on the space'],
  ['^(?:.|\\n|\\r)*$', '`.` and `\\r` meet on the carriage return'],
  ['^(?:\\S|\\w)+$', '`\\S` and `\\w` meet on every letter'],
  ['^(?:[^a]|[^b])*$', 'complements that overlap'],
  ['^(?:😀|[😀-😂])*$', 'an astral letter and a class holding it'],
  ['^(?:😀a|[😀-😂]a)*$', 'astral prefixes of two characters'],
  ['^(?:\\d+\\.?)+$', 'digits with an optional separator, in a loop'],
  ['^(?:[a-z]+-?)*[a-z]$', 'words with an optional dash, then a letter'],
  ['^(?:\\w+\\s)*\\w+\\s?$', 'words and spaces, the last space optional'],
  ['^(?:a|b|ab)*$', 'three branches, two of them ab'],
  ['^(?:x[ab]|x[bc])*y$', 'two characters deciding only on the second'],
  ['^(?:a|b?)+$', 'a branch that matches nothing, in a loop'],
  ['^(?:ab|(?:))c$', 'an empty branch'],
  ['[a-z]+$', 'unanchored: searched at every offset'],
  ['(?:^a|^b)+', '`^` inside a group'],
  ['^a|^b', 'a branch outside a group'],
  ['^(?:a|b){1000}$', 'a huge count written out past the automaton limit'],
  ['^[ab]{0,1000}$', 'a huge optional count'],
  ['^(?:[^a]{0,300})$', 'optional copies past the automaton limit'],
]

/** Patterns the proof may take: each path dies one character after any choice. */
const DECIDED = [
  '^(?:ab|ac)*$',
  '^[a-z]+[a-z]$',
  '^(?:.|\\n)*$',
  '^(?:a|b)*$',
  '^\\d+(?:\\.\\d+)*$',
  '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
  '^(?:a|a)',
]

describe('the native proof refuses patterns with more than one live path', () => {
  it.each(AMBIGUOUS)('%s (%s) stays on RE2', (pattern) => {
    expect(nativePattern(pattern)).toBeUndefined()
    expect(patternEngine(pattern)).toBe('re2')
  })

  it.each(DECIDED)('%s is proven and answers as RE2 does', (pattern) => {
    const native = nativePattern(pattern)
    expect(native).toBeDefined()
    const re2 = RE2JS.compile(RE2JS.translateRegExp(pattern))
    for (const s of ['', 'a', 'ab', 'abac', 'a-b', '1.2.3', '\n', 'a\nb', 'aaaa!', 'ab'.repeat(5000) + '!'])
      expect([pattern, s, native!.test(s)]).toEqual([pattern, s, re2.test(s)])
  })
})

/** Patterns the two engines read differently (or RE2 refuses): the native path must leave them to RE2. */
const READ_DIFFERENTLY: [string, string][] = [
  ['^\ud800$', 'a lone lead surrogate'],
  ['^a\udc00$', 'a lone trail surrogate'],
  ['^[\ud800-\udbff]$', 'a class of lone surrogates'],
  ['^[a-c-e]$', 'a dash after a range'],
  ['^[\\d-z]$', 'a range from a class escape'],
  ['^[]a]$', 'an empty class'],
]

describe('patterns the engines read differently stay on RE2', () => {
  it.each(READ_DIFFERENTLY)('%s (%s)', (pattern) => {
    expect(nativePattern(pattern)).toBeUndefined()
    expect(patternEngine(pattern)).toBe('re2')
  })
})

describe('a native pattern on a very long string', () => {
  // A loop over an alternation keeps one backtrack entry per iteration on V8's regexp stack, which overflows
  // near 8.6 million characters ("RangeError: Maximum call stack size exceeded") where RE2 answers: such a
  // string is answered by RE2 (native-pattern.ts). Unreachable through `gantry validate` while a file is at most
  // 1 MiB.
  it('answers as RE2 does instead of throwing', () => {
    const pattern = '^(?:a|b)*$'
    expect(patternEngine(pattern)).toBe('native')
    const text = 'ab'.repeat(5_000_000)
    expect(linearRegExp(pattern).test(text)).toBe(RE2JS.compile(RE2JS.translateRegExp(pattern)).test(text))
  }, 60_000)
})
