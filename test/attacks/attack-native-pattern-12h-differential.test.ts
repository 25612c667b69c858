import { RE2JS } from 're2js'
import { afterAll, describe, expect, it } from 'vitest'
import { linearRegExp, patternEngine } from '../../src/core/schema/kind-schema-limits.js'
import { nativePattern } from '../../src/core/schema/native-pattern.js'
import { removeTempDirs, tempDir, writeFiles } from '../support/fixtures.js'
import { validate } from '../validate/base-repo.js'
import { seededRandom as rng } from '../support/seeded-random.js'

afterAll(removeTempDirs)

/**
 * Differential attack on the native pattern path: seeded random patterns, in the native grammar and beyond it,
 * against random strings of ASCII, controls, line terminators, astral characters, lone surrogates and the empty
 * string. Every answer must be RE2's, the engine kind schema patterns have always run on (RE2JS.translateRegExp,
 * then an unanchored test), whichever engine answers.
 */

const re2 = (pattern: string): ((s: string) => boolean) | undefined => {
  try {
    const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
    return (s) => compiled.test(s)
  } catch {
    return undefined
  }
}

const LITERALS = ['a', 'b', 'z', 'A', '0', '9', '_', '-', ' ', ',', '@', 'é', 'ß', '😀', '😂', '\u2028', '\u00a0', '\t', '#']
const ESCAPES = ['\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '\\t', '\\n', '\\r', '\\f', '\\.', '\\/', '\\-', '\\]', '\\[', '\\^', '\\$', '\\*', '\\v', '\\b', '\\x41', '\\u0061', '\\p{L}', '\\0']
const CLASS_MEMBERS = ['a', 'b', 'z', 'A', 'Z', '0', '9', '_', '.', ' ', '😀', 'é', '\\d', '\\w', '\\s', '\\S', '\\D', '\\W', '\\n', '\\r', '\\t', '\\f', '\\-', '\\]', '\\\\', '\\/', '-', '^', '$', '|', '(', '*']
const RANGES = ['a-z', 'A-Z', '0-9', 'a-c', '!-/', ' -~', '\\t-\\r', 'é-ÿ', '😀-😂', 'a-😀', '\\n-\\r', '\u2000-\u202f', '\ue000-\uffff', 'Z-a']
const COUNTS = ['*', '+', '?', '{2}', '{0,1}', '{1,3}', '{2,}', '{0,}', '{3,2}', '{,2}', '{1001}', '*?', '+?', '{1,2}?']

function pattern(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const charClass = (): string => {
    let s = r() < 0.3 ? '[^' : '['
    const n = 1 + Math.floor(r() * 3)
    for (let k = 0; k < n; k++) s += r() < 0.35 ? pick(RANGES) : pick(CLASS_MEMBERS)
    return `${s}]`
  }
  const atom = (depth: number): string => {
    const x = r()
    if (x < 0.35) return pick(LITERALS)
    if (x < 0.5) return pick(ESCAPES)
    if (x < 0.55) return '.'
    if (x < 0.75) return charClass()
    if (depth > 2) return pick(LITERALS)
    const branches = [seq(depth + 1)]
    while (r() < 0.35) branches.push(seq(depth + 1))
    return `(${r() < 0.5 ? '?:' : ''}${branches.join('|')})`
  }
  const seq = (depth: number): string => {
    let s = ''
    const n = 1 + Math.floor(r() * 3)
    for (let k = 0; k < n; k++) s += atom(depth) + (r() < 0.4 ? pick(COUNTS) : '')
    return s
  }
  return `${r() < 0.85 ? '^' : ''}${seq(0)}${r() < 0.5 ? '$' : ''}`
}

const STRING_PIECES = ['a', 'b', 'z', 'A', 'Z', '0', '7', '9', '_', '-', '.', ' ', ',', '@', '#', '/', 'é', 'ÿ', 'ß', '😀', '😁', '😂', '\n', '\r', '\t', '\f', '\v', '\u2028', '\u2029', '\u00a0', '\ud800', '\udc00', '\ue000', '\uffff', '\u0000', '[', ']', '\\']

function strings(r: () => number, from: string): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const own = Array.from(from).filter((c) => !'^$()[]{}|?*+\\'.includes(c))
  const out = ['']
  for (let k = 0; k < 40; k++) {
    let s = ''
    const n = Math.floor(r() * 7)
    for (let j = 0; j < n; j++) s += own.length > 0 && r() < 0.5 ? pick(own) : pick(STRING_PIECES)
    out.push(s)
  }
  return out
}

describe('native patterns answer as RE2 does (seeded differential fuzz)', () => {
  it('on 8,000 random patterns and 41 strings each', () => {
    const r = rng(0x12_4a77)
    let native = 0
    let compared = 0
    const differences: string[] = []
    for (let k = 0; k < 8_000; k++) {
      const p = pattern(r)
      const ours = nativePattern(p)
      if (!ours) continue
      native++
      const theirs = re2(p)
      // A pattern the native path takes must be one RE2 takes: otherwise a finding would be lost.
      if (!theirs) {
        differences.push(`${JSON.stringify(p)}: native, but RE2 refuses it`)
        continue
      }
      const wired = linearRegExp(p)
      for (const s of strings(r, p)) {
        compared++
        const expected = theirs(s)
        if (ours.test(s) !== expected || wired.test(s) !== expected)
          differences.push(`${JSON.stringify(p)} on ${JSON.stringify(s)}: RE2 ${expected}, native ${!expected}`)
      }
    }
    expect(differences.slice(0, 20)).toEqual([])
    // The fuzz must exercise the native path, not only the refusals.
    expect(native).toBeGreaterThan(2_000)
    expect(compared).toBeGreaterThan(80_000)
  }, 60_000)

  it('every pattern the grammar refuses keeps RE2 answers, and RE2 refusals stay refusals', () => {
    const r = rng(0x7e57)
    let refused = 0
    for (let k = 0; k < 2_000; k++) {
      const p = pattern(r)
      if (nativePattern(p)) continue
      const theirs = re2(p)
      if (!theirs) continue
      refused++
      expect(patternEngine(p)).toBe('re2')
      const wired = linearRegExp(p)
      for (const s of strings(r, p)) expect([p, s, wired.test(s)]).toEqual([p, s, theirs(s)])
    }
    expect(refused).toBeGreaterThan(500)
  }, 60_000)
})

describe('gantry validate reports what RE2 would (seeded, end to end)', () => {
  it('a kind of 60 random patterns, six definitions: one finding per value RE2 refuses, none other', async () => {
    const r = rng(0x9a7e)
    const patterns: string[] = []
    let native = 0
    while (patterns.length < 60) {
      const p = pattern(r)
      if (!re2(p)) continue
      if (nativePattern(p)) native++
      else if (r() < 0.6) continue
      patterns.push(p)
    }
    expect(native).toBeGreaterThan(30)
    // Every character outside printable ASCII escaped, lone surrogates included, as YAML double quotes allow.
    const quoted = (s: string): string =>
      JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    const files: Record<string, string> = {
      'gantry.yaml': 'versioning: dot\nenvironments:\n  - name: dev\n    branch: env/dev\n',
      'kinds/probe.schema.json': JSON.stringify({
        type: 'object',
        properties: Object.fromEntries(patterns.map((p, i) => [`v${i}`, { type: 'string', pattern: p }])),
      }),
    }
    const expected: string[] = []
    for (let d = 0; d < 6; d++) {
      let text = `kind: probe\nname: p${d}\nspec:\n`
      patterns.forEach((p, i) => {
        const choices = strings(r, p)
        const value = choices[Math.floor(r() * choices.length)]!
        text += `  v${i}: ${quoted(value)}\n`
        if (!re2(p)!(value)) expected.push(`definitions/probe/p${d}.yaml spec.v${i}`)
      })
      files[`definitions/probe/p${d}.yaml`] = text
    }
    files['packages/all.yaml'] = `name: all\nitems:\n${[0, 1, 2, 3, 4, 5].map((d) => `  - probe/p${d}\n`).join('')}`
    const dir = tempDir('gantry-native-pattern-')
    writeFiles(dir, files)
    const { result } = await validate(dir)
    const found = result.diagnostics
      .filter((d) => d.code === 'schema')
      .map((d) => `${d.file} ${d.message.split(' ')[0]}`)
    expect(found.sort()).toEqual(expected.sort())
    expect(expected.length).toBeGreaterThan(50)
    expect(result.diagnostics.filter((d) => d.code !== 'schema')).toEqual([])
  }, 120_000)
})
