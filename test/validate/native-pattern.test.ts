import { RE2JS } from 're2js'
import { afterAll, describe, expect, it } from 'vitest'
import { MAX_POSITIONS, nativePattern } from '../../src/core/schema/native-pattern.js'
import { linearRegExp, patternEngine } from '../../src/core/schema/kind-schema-limits.js'
import { removeTempDirs } from '../support/fixtures.js'
import { baseRepo, diagnosticsOf, validate } from './base-repo.js'

afterAll(removeTempDirs)

/** How kind schema patterns have always run: RE2, the meaning every native pattern must keep. */
const re2 = (pattern: string): ((s: string) => boolean) => {
  const compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
  return (s) => compiled.test(s)
}

/** Patterns of real kind schemas (those of the benchmark repository among them). */
const PROVEN = [
  '^(vault|aws-sm|azure-kv)://[A-Za-z0-9._/-]+(#[A-Za-z0-9._-]+)?$',
  '^/',
  '^[A-Z][A-Z0-9_]*$',
  '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$',
  '^[a-z0-9]+(\\.[a-z0-9-]+)+$',
  '^[a-z0-9][a-z0-9-]*$',
  '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
  '^[a-z]{2}-[a-z]+-[0-9]$',
  '^\\S+( \\S+){4}$',
  '^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$',
  '^https?://',
  '^(on|off)$',
  '^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$',
  '^\\d+\\.\\d+\\.\\d+$',
  '^[^\\s]+$',
  '^.$',
  '^\\w+=\\W$',
  '^[\\t\\n\\r\\f-]+$',
  '^(?:ab|cd)*$',
  '^[😀-😂]+x$',
  '^',
]

/** Patterns a backtracking engine can take super-linear time on, or that the grammar does not prove: on RE2. */
const UNPROVEN: [string, string][] = [
  ['^(a+)+$', 'nested quantifiers'],
  ['^(a|a)*$', 'two branches for the same text'],
  ['^(a|aa)+$', 'two ways through the same text'],
  ['^a*a*$', 'two loops over the same letters'],
  ['^[^@]+@[^@]+\\.[^@]+$', 'a loop that overlaps what follows it, past two characters'],
  ['^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', 'the same, with \\s'],
  ['^(\\w+\\s?)+$', 'nested loops with an optional separator'],
  ['^x*y?x*$', 'an optional part between two loops over the same letter'],
  ['^(a*)*$', 'a loop over something that matches nothing'],
  ['^(a|)+$', 'a branch that matches nothing'],
  ['^(a?){30}a{30}$', 'optional copies over the same letter'],
  ['^(a)\\1$', 'a backreference'],
  ['^(?=a)a', 'lookahead'],
  ['^(?!a)b', 'negative lookahead'],
  ['^(?<=a)b', 'lookbehind'],
  ['^a+?$', 'a lazy quantifier'],
  ['[a-z]+$', 'not anchored at the start'],
  ['^a|b', 'a branch outside a group, not anchored'],
  ['^a$b', '$ before the end'],
  ['^(^a)', '^ inside a group'],
  ['^\\bfoo', 'a word boundary'],
  ['^\\p{L}+$', 'a Unicode property'],
  ['^\\u0041$', 'a \\u escape'],
  ['^[[:alpha:]]+$', 'a POSIX class'],
  ['^[]a]$', 'an empty class'],
  ['^a{1001}$', 'a count over 1,000'],
  [`^(${'[ab]'.repeat(MAX_POSITIONS + 1)})$`, 'more states than the automaton may have'],
]

/** Corners of the grammar: escapes, dashes and brackets in classes, counts, astral and control characters. */
const CORNERS = [
  '^\\/$',
  '^[\\/]$',
  '^[\\-]$',
  '^[\\]]$',
  '^[\\[]$',
  '^\\{$',
  '^\\}$',
  '^[a\\^]$',
  '^\\t\\n\\r\\f$',
  '^[😀]$',
  '^😀+$',
  '^(?:a)$',
  '^$',
  '^[\\d-]$',
  '^[-]$',
  '^[^-]$',
  '^[a-]+$',
  '^\\$$',
  '^\\^',
  '^\\\\$',
  '^[\\\\]$',
  '^[\\.]$',
  '^\\|$',
  '^[|]$',
  '^a{3}$',
  '^a{2,}$',
  '^a{0,3}$',
  '^,$',
  '^#$',
  '^ $',
  '^\u0000$',
  '^[\u0000-\u001f]+$',
  '^[\\s\\S]$',
  '^[\\w\\W]+$',
  '^[^\\d\\D]$',
]

/** Strings that tell the two engines' classes apart, and plain ones. */
const ALPHABET = [
  'a',
  'b',
  'c',
  'd',
  'x',
  'y',
  'z',
  'A',
  'Z',
  '0',
  '5',
  '9',
  '_',
  '-',
  '.',
  '/',
  ':',
  '@',
  '#',
  ' ',
  '=',
  '\t',
  '\n',
  '\r',
  '\f',
  '\v',
  '\u00a0',
  '\u1680',
  '\u2028',
  '\u2029',
  '\u3000',
  '\ufeff',
  'é',
  '😀',
  '😁',
  '\ud800',
  '\udc00',
]

/** A deterministic generator, so a failure names a string that can be run again. */
function generator(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

function strings(random: () => number, count: number): string[] {
  const out = ['']
  for (let n = 0; n < count; n++) {
    let s = ''
    const length = Math.floor(random() * 12)
    for (let k = 0; k < length; k++) s += ALPHABET[Math.floor(random() * ALPHABET.length)]
    out.push(s)
  }
  return out
}

/** Random patterns from the native grammar, anchored: most are proven, all must mean what RE2 means. */
function randomPattern(random: () => number): string {
  const atoms = [
    'a',
    'b',
    'x',
    '\\.',
    '.',
    '\\d',
    '\\D',
    '\\w',
    '\\W',
    '\\s',
    '\\S',
    '[a-c]',
    '[^a]',
    '[\\s-]',
    '[ab.-]',
    ' ',
    '😀',
    '\\t',
  ]
  const quantifiers = ['', '', '', '*', '+', '?', '{2}', '{1,3}', '{2,}']
  const piece = (depth: number): string => {
    const roll = random()
    let atom: string
    if (depth < 2 && roll < 0.2) {
      const branches = 1 + Math.floor(random() * 3)
      atom = `(${Array.from({ length: branches }, () => sequence(depth + 1)).join('|')})`
    } else atom = atoms[Math.floor(random() * atoms.length)]!
    return atom + quantifiers[Math.floor(random() * quantifiers.length)]!
  }
  const sequence = (depth: number): string =>
    Array.from({ length: 1 + Math.floor(random() * 3) }, () => piece(depth)).join('')
  return `^${sequence(0)}${random() < 0.6 ? '$' : ''}`
}

describe('kind schema patterns on the native engine', () => {
  it('takes the patterns of real kind schemas', () => {
    for (const pattern of PROVEN) expect(nativePattern(pattern), pattern).toBeInstanceOf(RegExp)
  })

  it('leaves on RE2 every pattern it cannot prove linear', () => {
    for (const [pattern, why] of UNPROVEN)
      expect(nativePattern(pattern), `${pattern}: ${why}`).toBeUndefined()
  })

  it('answers with RE2 a string too long for the native matcher, instead of throwing', () => {
    // Ten million characters overflow V8's backtracking stack even on this linear pattern.
    const long = 'ab'.repeat(5_000_000)
    expect(patternEngine('^(?:a|b)*$')).toBe('native')
    expect(linearRegExp('^(?:a|b)*$').test(long)).toBe(true)
    expect(linearRegExp('^(?:a|b)*$').test(`${long}!`)).toBe(false)
  })

  it('gives up on a proof that would take too long, leaving the pattern on RE2', () => {
    // A loop over n one-character branches: each state has n next states to compare pairwise.
    const loop = (n: number): string =>
      `^(?:${Array.from({ length: n }, (_, i) => String.fromCodePoint(0x100 + i)).join('|')})*$`
    expect(nativePattern(loop(8))).toBeInstanceOf(RegExp)
    expect(nativePattern(loop(60))).toBeUndefined()
  })

  it('runs proven patterns natively and the rest on RE2, in the kind compiler', () => {
    expect(patternEngine('^[a-z0-9][a-z0-9-]*$')).toBe('native')
    expect(patternEngine('^[^@]+@[^@]+\\.[^@]+$')).toBe('re2')
    expect(patternEngine('^(a+)+$')).toBe('re2')
  })

  it("keeps RE2's classes: \\s, \\S and . as kind schemas have always had them", () => {
    // JavaScript's \s also takes a no-break space, its . refuses a carriage return: RE2's do the opposite.
    expect(nativePattern('^\\S$')!.test('\u00a0')).toBe(true)
    expect(nativePattern('^\\s$')!.test('\u000b')).toBe(false)
    expect(nativePattern('^.$')!.test('\r')).toBe(true)
    expect(nativePattern('^.$')!.test('\n')).toBe(false)
  })

  it('takes the corners of its grammar, each as RE2 reads it', () => {
    for (const pattern of CORNERS) expect(nativePattern(pattern), pattern).toBeInstanceOf(RegExp)
    // Refused by both engines: never taken natively, so RE2 still reports them.
    for (const pattern of ['^[a-\\d]$', '^a{2,1}$']) expect(nativePattern(pattern), pattern).toBeUndefined()
  })

  it('answers as RE2 does, on the real patterns, the corners and 3,000 generated ones', () => {
    const random = generator(12)
    const patterns = [...PROVEN, ...CORNERS]
    for (let n = 0; n < 3000; n++) patterns.push(randomPattern(random))
    let proven = 0
    for (const pattern of patterns) {
      const native = nativePattern(pattern)
      if (!native) continue
      proven++
      const expected = re2(pattern)
      for (const s of strings(random, 40)) {
        if (native.test(s) !== expected(s))
          expect.fail(
            `${JSON.stringify(pattern)} on ${JSON.stringify(s)}: native ${native.test(s)}, RE2 ${expected(s)}`,
          )
      }
    }
    // The generator must exercise the native path, not only the refusals.
    expect(proven).toBeGreaterThan(1000)
  })

  it('answers hostile values to proven patterns in one pass: no backtracking blow-up', () => {
    // Each would take minutes on a backtracking engine if the pattern were ambiguous; here each ends at once.
    const long = 'a'.repeat(50_000)
    expect(
      nativePattern('^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$')!.test(`${long}-`),
    ).toBe(false)
    expect(nativePattern('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')!.test(`${long}!`)).toBe(false)
    expect(nativePattern('^\\S+( \\S+){4}$')!.test(`${'a '.repeat(20_000)}`)).toBe(false)
  })
})

describe('a kind whose patterns run natively validates as before', () => {
  const AGENT = 'kinds/agent.schema.json'
  const kind = (properties: object): string =>
    `${JSON.stringify({ type: 'object', additionalProperties: false, required: ['host'], properties }, null, 2)}\n`

  it('reports the same findings at the same lines', async () => {
    const { code, result } = await validate(
      baseRepo({
        [AGENT]: kind({
          host: {
            type: 'string',
            pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$',
          },
          mode: { type: 'string', pattern: '^(on|off)$' },
          // A no-break space is not white space to RE2: this value has always matched.
          owner: { type: 'string', pattern: '^\\S+$' },
        }),
        'definitions/agent/linux.yaml':
          'kind: agent\nname: linux\nspec:\n  host: linux-01.\n  mode: auto\n  owner: "a\\u00a0b"\n',
      }),
    )
    expect(code).toBe(1)
    expect(diagnosticsOf(result, 'definitions/agent/linux.yaml').map((d) => [d.line, d.message])).toEqual([
      [4, 'spec.host does not match ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$'],
      [5, 'spec.mode does not match ^(on|off)$'],
    ])
  })
})
