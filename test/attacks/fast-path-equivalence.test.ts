import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { generateRepository } from '../../bench/generate-repository.js'
import { Random } from '../../bench/random.js'
import { fastYamlValue } from '../../src/core/yaml/fast-yaml.js'
import {
  DEFAULT_YAML_LIMITS,
  type YamlLimits,
  type YamlReader,
  readYaml,
  setYamlReader,
} from '../../src/core/yaml/read-yaml.js'
import { spawnCli } from '../engine/helpers.js'
import { removeTempDirs } from '../support/fixtures.js'
import { type ValidateJson, baseRepo, validate } from '../validate/base-repo.js'

/**
 * The fast read (js-yaml) and the positional read (the `yaml` package) must be one loader: for every input,
 * the same value (same strings, numbers, -0, key order) or the same diagnostics (code, line, column,
 * message). Each input here is read by the real loader twice, once per path, and the two outcomes compared
 * whole. The first table holds inputs on which the two paths disagreed; the property tests mutate the bench's
 * valid documents and generate documents from YAML's trickier constructs, seeded, so a failure is reproducible.
 */

// test/setup.ts sets the cross-check reader for every test; these tests pick the reader themselves.
const setupReader = setYamlReader('cross-check')
afterEach(() => setYamlReader(setupReader))
afterAll(removeTempDirs)

const FILE = 'definitions/task/t.yaml'

/** The value written out so that key order, -0, NaN and infinities count, and strings never pass for numbers. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'number'
      ? Object.is(v, -0) || !Number.isFinite(v)
        ? `number:${Object.is(v, -0) ? '-0' : String(v)}`
        : v
      : typeof v === 'string'
        ? `string:${v}`
        : v,
  )
}

/** What the loader makes of the bytes on one path: its diagnostics, or its value. */
function outcome(reader: YamlReader, bytes: Uint8Array, limits: YamlLimits): string {
  const previous = setYamlReader(reader)
  try {
    const { parsed, diagnostics } = readYaml(FILE, bytes, limits)
    if (diagnostics.length > 0) return `diagnostics ${JSON.stringify(diagnostics)}`
    const value = canonical(parsed!.value)
    // A file the fast read accepted lets its value go and reads it again when asked: the same value.
    parsed!.dropValue()
    const again = canonical(parsed!.value)
    return again === value ? `value ${value}` : `value ${value}, read again as ${again}`
  } finally {
    setYamlReader(previous)
  }
}

function bothPaths(input: string | Uint8Array, limits: YamlLimits = DEFAULT_YAML_LIMITS) {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
  return { fast: outcome('fast', bytes, limits), positional: outcome('positional', bytes, limits) }
}

/** Whether the fast read answers for the text itself (rather than handing it to the positional read). */
const fastAccepts = (text: string) => fastYamlValue(text, DEFAULT_YAML_LIMITS) !== undefined

describe('inputs on which the fast and the positional read disagreed', () => {
  // [what, input, what the paths did before the fix (fast / positional)]
  const found: [string, string, string][] = [
    ['a carriage return alone between pairs', 'kind: task\rname: a\r', 'a map / a syntax error at 1:7'],
    ['a carriage return alone inside a value', 'name: a\r b\n', '"a b" / "a\\r b"'],
    ['a carriage return alone after a number', 'port: 2\r', '2 / "2\\r"'],
    ['a \\U escape past U+10FFFF', 'name: "\\U00110000"\n', 'two broken surrogates / invalid escape at 1:8'],
    ['a \\U escape far past U+10FFFF', 'name: "a\\UFFFFFFFF"\n', 'U+FFFF / invalid escape'],
    [
      'a verbatim tag after the `:` of a quoted key in a flow map',
      'spec: {"port":!<tag:gantry,core:int> 22}\n',
      '{port: 22} / unresolved tag at 1:15',
    ],
    [
      'a verbatim tag after the `:` of a quoted key in a flow sequence',
      'spec: ["on":!<tag:gantry,core:bool> true]\n',
      '[{on: true}] / unresolved tag',
    ],
    ['`---#` (a plain scalar, not a marker and a comment)', '---#\nname: a\n', 'a map / a multi-line key at 1:1'],
    ['a byte order mark after a comment line', '# c\n\ufeffname: a\n', '{"\\ufeffname": a} / {name: a}'],
    ['a byte order mark alone after a comment', '#\n\ufeff', 'the string "\\ufeff" / no document'],
    [
      'an escaped line break followed by an empty line',
      'name: "a\\\n\n  b"\n',
      '"ab" / "a b"',
    ],
    [
      'a comment with no space after `#`, less indented than the value after it',
      'spec:\n#note\n  x\nname: a\n',
      '{spec: x, name: a} / implicit keys need to be on a single line, at 3:3',
    ],
    [
      'the same comment in a list: the positional read joins the next entry to the scalar',
      '- spec:\n#note\n   x\n- a\n',
      '[{spec: x}, a] / [{spec: "x - a"}]',
    ],
    ['the same comment with a no-break space after `#`', 'spec:\n#\u00a0note\n  x\nname: a\n', 'the same'],
    ['the same comment with an ideographic space after `#`', 'spec:\n#\u3000\n  x\nname: a\n', 'the same'],
    [
      'the same comment indented, between a nested key and its value',
      'spec:\n  agent:\n  #note\n   x\n  host: a\n',
      '{spec: {agent: x, host: a}} / syntax error at 4:4',
    ],
    ['a block scalar with an indentation indicator at the root', '|1\nx\n', '"x\\n" / syntax error at 2:1'],
    ['a root block scalar, then a line starting with #', ' |\n#\n', '"" / "#\\n"'],
    ['an indented root block scalar with an indicator', '  >1\n  b\n', '"b\\n" / " b\\n"'],
    ['a block scalar with an indicator ending in a line of spaces', 'name: |1\n  ', '" \\n" / ""'],
    [
      'a folded scalar with an indicator and a line of spaces inside',
      'name: >1\n  b\n  \nport: 1\n',
      '" b\\n \\n" / " b\\n"',
    ],
    ['a flow sequence as a key of a flow map', 'spec: {[a]}\n', '{spec: {a: null}} / map key at 1:8'],
    ['an empty flow sequence as a key of a flow map', 'spec: {b, []}\n', '{b: null, "": null} / map key at 1:11'],
    ['a flow map as a key of a flow map', '{{}}\n', '{"[object Object]": null} / map key'],
    [
      'a flow map as a key, after a comment that ends with a colon',
      'spec: {k: [], # note:\n  {}}\n',
      '{spec: {k: [], "[object Object]": null}} / map key at 2:3',
    ],
    ['a comment right after a closing quote that follows a space', "name: ' '#c\n", '" " / comment needs a space at 1:10'],
    ['a comment right after `[`', 'spec: [#c\n  a]\n', '{spec: [a]} / comment needs a space at 1:8'],
    ['a comment right after `{`', 'spec: {#c\n  a: 1}\n', '{spec: {a: 1}} / comment needs a space'],
    ['a comment right after the `:` of a JSON-like key', 'spec: {"a":#c\n  1}\n', '{spec: {a: 1}} / comment needs a space'],
    ['a comment line at column 1 after a value in a flow map', 'spec: {a: x\n# c\n  }\n', '{spec: {a: x}} / comment needs a space at 2:1'],
    ['the same in a flow map in a list', 'spec:\n  - {a: "x"\n# c\n    }\n', '{spec: [{a: x}]} / comment needs a space'],
    ['the same after a pair in a flow sequence', 'spec: [a: x\n# c\n  ]\n', '{spec: [{a: x}]} / comment needs a space'],
    ['a kept block scalar, then spaces with no line break', 'name: |+\n  x\n ', '"x\\n\\n" / "x\\n"'],
    ['a kept folded scalar in a list, then spaces', 'spec:\n - >+\n ', '["\\n"] / [""]'],
  ]

  it.each(found)('%s: %j is read the same way on both paths', (_what, text) => {
    const { fast, positional } = bothPaths(text)
    expect(fast).toBe(positional)
    // The fast read hands each of these to the positional read, which reports or reads it as before.
    expect(fastAccepts(text)).toBe(false)
  })
})

describe('ordinary files stay on the fast read', () => {
  // Declining is always safe but slow: the fixes above must not send ordinary files to the positional read.
  const ordinary: [string, string][] = [
    ['a JSON file', '{"kind": "task", "name": "a", "spec": {"n": [1, 2.5, true, null], "m": {"x": []}}}\n'],
    ['a flow map at the root', '{kind: task, name: a, spec: {agents: [a, b]}}\n'],
    ['flow maps in a list', 'spec:\n  - {a: [x], b: {c: [d]}}\n  - {e: 1}\n'],
    ['a flow map on its own line', 'spec:\n  {a: [x]}\n'],
    ['comments with a space after #', '# a task\nkind: task # the kind\nspec:\n  # the command\n  command: x\n'],
    ['an empty comment', '#\nkind: task\n'],
    ['colour codes and anchors-looking text in quotes', "a: '#fff'\nb: \"#000\"\nc: 'x &y *z'\n"],
    ['block scalars without an indicator', 'a: |\n  x\n\n  y\nb: >-\n  p\n  q\n'],
    ['escapes', 'a: "tab\\tnew\\nline \\u00e9 \\U0001F600"\nb: "a\\\n  b"\n'],
    ['CRLF line ends', 'a: 1\r\nb: |\r\n  x\r\n'],
    ['document markers', '---\na: 1\n...\n'],
    ['a marker with a comment', '--- # c\na: 1\n'],
  ]
  it.each(ordinary)('%s', (_what, text) => {
    expect(fastAccepts(text)).toBe(true)
    const { fast, positional } = bothPaths(text)
    expect(fast).toBe(positional)
  })
})

describe('traps of YAML read the same way on both paths (value or diagnostics)', () => {
  const traps: [string, string | Uint8Array][] = [
    ['YAML 1.1 booleans', 'a: yes\nb: no\nc: on\nd: off\ne: Yes\nf: y\ng: n\n'],
    ['octal-looking and sexagesimal numbers', 'a: 0755\nb: 0o755\nc: 1:30\nd: 190:20:30\ne: 1_000\nf: 0b11\n'],
    ['dates and times', 'a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 12:30:45\n'],
    ['floats of every form', 'a: 1.10\nb: .5\nc: -.5e3\nd: 1.\ne: +1e-3\nf: -0\ng: -0.0\nh: 0.1e+2\n'],
    ['special floats', 'a: .inf\n'],
    ['NaN', 'a: .NaN\n'],
    ['integers at and past 2^53', 'a: 9007199254740991\nb: -9007199254740991\nc: 0x1FFFFFFFFFFFFF\n'],
    ['an integer past 2^53', 'a: 9007199254740992\n'],
    ['number keys that are one JavaScript property', 'a:\n  1: x\n  1.0: y\n'],
    ['number keys', '1: a\n0.5: b\n1e3: c\n-0: d\n0x10: e\ntrue: f\n'],
    ['keys in an order JavaScript reorders', 'b: 1\n10: 2\na: 3\n2: 4\n'],
    ['null keys', '~: a\n'],
    ['an empty key', '"": a\n'],
    ['merge keys', 'base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n'],
    ['a merge key as a plain key', '<<: a\n'],
    ['duplicate keys', 'a: 1\nb:\n  c: 1\n  c: 2\n'],
    ['duplicate keys quoted and plain', 'a: 1\n"a": 2\n'],
    ['an alias to an unknown anchor', 'a: *x\n'],
    ['an alias bomb', 'a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a local tag', 'a: !local x\n'],
    ['the non-specific tag', 'a: ! 12\n'],
    ['a tag on a collection', 'a: !!map {b: 1}\n'],
    ['a verbatim tag of the core schema', 'a: !<tag:yaml.org,2002:int> 1\n'],
    ['__proto__', 'a:\n  __proto__: {polluted: 1}\n'],
    ['__proto__ in a flow map', 'a: {"__proto__": 1}\n'],
    ['constructor and prototype', 'constructor: {prototype: 1}\n'],
    ['keys Object.prototype has', 'toString: a\nhasOwnProperty: b\nvalueOf: c\n'],
    ['a control character', 'a: "x\u0007y"\n'],
    ['an escaped control character', 'a: "x\\u0007y\\0\\e"\n'],
    ['DEL and C1 controls', 'a: x\u007fy\n'],
    ['NEL, line and paragraph separators', 'a: x\u0085y\nb: "x\u2028y"\nc: x\u2029y\n'],
    ['a byte order mark', '\ufeffa: 1\n'],
    ['two byte order marks', '\ufeff\ufeffa: 1\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['a document end marker', 'a: 1\n...\n'],
    ['a document end marker and a comment', 'a: 1\n... # end\n'],
    ['a directive', '%YAML 1.1\n---\na: no\n'],
    ['a YAML 1.2 directive', '%YAML 1.2\n---\na: no\n'],
    ['a TAG directive', '%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n'],
    ['flow collections', 'a: [1, "two", {three: 3}, [four]]\nb: {c: [], d: {}}\n'],
    ['flow collections over lines', 'a: [1,\n  2, # two\n  3]\nb: {c: 1,\n  d: 2}\n'],
    ['a single pair in a flow sequence', 'a: [b: 1, c]\n'],
    ['flow keys without values', 'a: {b, c: 1}\n'],
    ['JSON-like keys with adjacent values', 'a: {"b":1, "c":[2]}\n'],
    ['complex keys', '? [a, b]\n: c\n'],
    ['an explicit key that is a plain scalar', '? a\n: b\n'],
    ['a tab as indentation', 'a:\n\tb: 1\n'],
    ['a tab after a value', 'a: 1\t# c\n'],
    ['a tab inside a quoted value', 'a: "x\ty"\n'],
    ['CRLF line ends', 'a: 1\r\nb: |\r\n  x\r\n  y\r\nc: "p\r\n  q"\r\n'],
    ['a JSON file', '{"kind": "task", "name": "a", "spec": {"n": [1, 2.5, true, null]}}\n'],
    ['JSON with duplicate keys', '{"a": 1, "a": 2}\n'],
    ['non-UTF-8 bytes', new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0x0a])],
    ['an overlong UTF-8 encoding', new Uint8Array([0x61, 0x3a, 0x20, 0xc0, 0xaf, 0x0a])],
    ['a UTF-8 surrogate', new Uint8Array([0x61, 0x3a, 0x20, 0xed, 0xa0, 0x80, 0x0a])],
    ['UTF-16 with a byte order mark', new Uint8Array([0xff, 0xfe, 0x61, 0x00, 0x3a, 0x00])],
    ['a long value line', `a: ${'x'.repeat(5000)}\n`],
    ['a long implicit key', `${'k'.repeat(1100)}: v\n`],
    ['a long quoted key', `"${'k'.repeat(1100)}": v\n`],
    ['an empty file', ''],
    ['spaces only', '   \n\n'],
    ['comments only', '# a\n# b\n'],
    ['a scalar document', 'just a string\n'],
    ['a list document', '- a\n- b\n'],
    ['null values', 'a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: nULL\n'],
    ['block scalars', 'a: |\n  x\n\n  y\nb: >-\n  x\n  y\n\n  z\nc: |+\n  k\n\nd: >\n  a\n    more\n  b\n'],
    ['quoted scalars over lines', 'a: "x\n  y\n\n  z"\nb: \'p\n\n  q\'\nc: "e\\\n  f"\n'],
    ['plain scalars over lines', 'a: x\n  y\n\n  z\nb: - x\n'],
    ['escapes', 'a: "\\t\\n\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\/\\ \\""\n'],
    ['surrogate escapes', 'a: "\\ud83d\\ude00"\nb: "\\ud800"\n'],
    ['reserved indicators', 'a: @x\n'],
    ['a backquote', 'a: `x`\n'],
    ['a comment right after a quote', 'a: "x"#c\n'],
    ['a comment after a quote and a space', 'a: "x" #c\n'],
    ['a comment with a space at the start of a line', 'a:\n# note\n  x\nb: 1\n'],
    ['colour codes in quotes', 'a: \'#fff\'\nb: "#000"\n'],
    ['an unclosed quote', 'a: "x\nb: 1\n'],
    ['an unclosed flow sequence', 'a: [1, 2\nb: 1\n'],
    ['a bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['a list entry at another column', 'a:\n  - 1\n - 2\n'],
    ['a multi-line implicit key', 'a\nb: 1\n'],
  ]

  it.each(traps)('%s', (_what, input) => {
    const { fast, positional } = bothPaths(input)
    expect(fast).toBe(positional)
  })

  it('the limits are as strict on both paths: size, nesting, aliases', () => {
    const nested = (levels: number) =>
      `${Array.from({ length: levels }, (_, i) => `${' '.repeat(i * 2)}k:`).join('\n')} v\n`
    const flow = (levels: number) => `a: ${'['.repeat(levels)}x${']'.repeat(levels)}\n`
    const list = (levels: number) => `${Array.from({ length: levels }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n')} v\n`
    const cases: [string, YamlLimits][] = []
    for (const maxDepth of [1, 2, 3, 8, 64])
      for (const levels of [maxDepth - 1, maxDepth, maxDepth + 1, maxDepth + 2, maxDepth + 5].filter((n) => n > 0))
        for (const text of [nested(levels), flow(levels), list(levels), `root:\n${nested(levels).replace(/^/gm, '  ')}`])
          cases.push([text, { ...DEFAULT_YAML_LIMITS, maxDepth }])
    for (const maxBytes of [10, 11, 12]) cases.push(['a: 1234567\n', { ...DEFAULT_YAML_LIMITS, maxBytes }])
    for (const maxAliasCount of [0, 1, 2]) cases.push(['a: &x 1\nb: *x\nc: *x\n', { ...DEFAULT_YAML_LIMITS, maxAliasCount }])
    for (const [text, limits] of cases) {
      const { fast, positional } = bothPaths(text, limits)
      expect(fast, `${JSON.stringify(limits)}\n${text}`).toBe(positional)
    }
  })
})

/** Characters and fragments that YAML treats specially, put at random places of valid documents. */
const TRAPS = [
  '\r', '\r\n', '\n', ' ', '  ', '\t', ':', ': ', '- ', '-', '#', ' #', '#x', '"', "'", '[', ']', '{', '}', ',', ', ',
  '?', '? ', '!', '!!', '&a ', '*a', '|', '>', '|-', '>+', '|2', '>1', '---', '...', '--- ', '---#', '%', '\\',
  '\\U00110000', '\\UFFFFFFFF', '\\x41', '\\u00e9', '\\\n', '\\\n\n', '\u0085', '\u2028', '\u2029', '\ufeff',
  '\u00a0', '\u0007', '\u007f', 'yes', 'no', '0755', '1:30', '2001-12-14', '<<', '__proto__', '~', 'null', '.inf',
  '0x1F', '1e400', '9007199254740993', '`', '@', '%YAML 1.1\n', '😀', '"a":', '{"k":v}', '[a, b]', '{a: 1}', '{[a]}',
  ':x', ' :', '0o17', '-0', '+1', '.5', '1.', 'True', 'NULL', '!<tag:gantry,core:int>', '\\"', "''", "' '#",
  '{#', '[#', ':#', '|+', '>+\n ', '\n ',
]

/** Up to four edits of a valid document: trap fragments inserted or written over, text cut, lines re-indented. */
function mutate(rng: Random, text: string): string {
  for (let n = rng.int(1, 4); n > 0; n--) {
    const at = rng.int(0, text.length)
    const op = rng.int(0, 5)
    if (op <= 2) text = text.slice(0, at) + rng.pick(TRAPS) + text.slice(at)
    else if (op === 3) text = text.slice(0, at) + rng.pick(TRAPS) + text.slice(at + rng.int(1, 3))
    else if (op === 4) text = text.slice(0, at) + text.slice(at + rng.int(1, 6))
    else {
      const lines = text.split('\n')
      const line = rng.int(0, lines.length - 1)
      lines[line] = rng.chance(0.5) ? ` ${lines[line]}` : lines[line]!.replace(/^ /, '')
      text = lines.join('\n')
    }
  }
  return text
}

/** A document built from YAML's trickier constructs: every scalar style, nesting in both styles, comments. */
function generateDocument(rng: Random): string {
  const words = ['a', 'b c', 'x:y', 'a#b', '1', '-1', '0.5', '1e3', '0x1F', '0o17', '017', 'true', 'no', 'null', '~',
    '1:2', '2001-01-01', '<<', 'é', '😀', '\u00a0', '\u2028', '\u0085', 'a  b', '-x', '%x', '=', '.inf', '-.0', '+5']
  const keys = ['k', 'key', 'a b', 'ké', '"q k"', "'s k'", '1', '0.5', 'true', '"a:b"', 'x-y', 'k1', 'k2', 'k3', '"\\u0041"']
  const word = () => rng.pick(words)
  const plain = () => Array.from({ length: rng.int(1, 3) }, word).join(rng.pick([' ', '  '])).trim() || 'v'
  const quoted = (indent: string) =>
    rng.chance(0.6)
      ? `"${Array.from({ length: rng.int(0, 4) }, () => rng.pick([word(), '\\t', '\\x41', '\\u00e9', '\\U0001F600', '\\ ', '\\/', '\\N', `\n${indent} `, `\\\n${indent} `, `\n\n${indent} `, ` \n${indent}  `])).join('')}"`
      : `'${Array.from({ length: rng.int(0, 4) }, () => rng.pick([word(), "''", `\n${indent} `, `\n\n${indent} `, '  '])).join('')}'`
  const block = (indent: string) => {
    const inner = indent + ' '.repeat(rng.pick([1, 2, 4]))
    const header = `${rng.pick(['|', '>'])}${rng.pick(['', '-', '+'])}${rng.pick(['', '', '', '1', '2'])}${rng.chance(0.2) ? ' # c' : ''}`
    const lines = Array.from({ length: rng.int(0, 4) }, () =>
      rng.pick([`${inner}${word()}`, `${inner}  ${word()}`, '', ' ', inner, `${inner}# x`, `${indent}# c`]),
    )
    return `${header}\n${lines.map((l) => `${l}\n`).join('')}`
  }
  const flow = (depth: number): string => {
    if (depth > 2 || rng.chance(0.4)) return rng.pick(['a', '"b"', "'c'", '1', 'x y', '', 'null', '"a":b'])
    const items = Array.from({ length: rng.int(0, 3) }, () =>
      rng.chance(0.5) ? flow(depth + 1) : `${rng.pick(keys)}: ${flow(depth + 1)}`,
    )
    const sep = rng.pick([', ', ',', ' , ', ',\n  '])
    return rng.chance(0.5) ? `[${items.join(sep)}${rng.chance(0.2) ? ',' : ''}]` : `{${items.join(sep)}}`
  }
  const comment = (indent: string) =>
    rng.chance(0.15) ? rng.pick([`${indent}# c\n`, '\n', '#c\n', `${indent}#\n`, '  # x\n']) : ''
  // The text after `key:`, up to and with its line break.
  const node = (indent: string, depth: number): string => {
    const r = rng.int(0, 9)
    if (depth > 3 || r < 4) {
      const kind = rng.int(0, 9)
      if (kind < 4) return ` ${plain()}\n`
      if (kind < 7) return ` ${quoted(indent)}\n`
      if (kind < 8) return ` ${plain()}\n${indent}  ${plain()}\n`
      return ` ${block(indent)}`
    }
    if (r < 5) return ` ${flow(0)}\n`
    const inner = indent + ' '.repeat(rng.pick([1, 2, 2, 4]))
    let out = rng.chance(0.2) ? ' # c\n' : '\n'
    if (rng.chance(0.5)) {
      for (let i = rng.int(1, 3); i > 0; i--) out += `${comment(inner)}${inner}${rng.pick(keys)}:${node(inner, depth + 1)}`
    } else {
      const entry = rng.chance(0.3) ? indent : inner
      for (let i = rng.int(1, 3); i > 0; i--) out += `${comment(entry)}${entry}-${node(`${entry}  `, depth + 1)}`
    }
    return out
  }
  let text = rng.chance(0.1) ? '---\n' : ''
  for (let i = rng.int(1, 4); i > 0; i--) text += `${comment('')}${rng.pick(keys)}:${node('', 0)}`
  if (rng.chance(0.05)) text += '...\n'
  return rng.chance(0.1) ? text.replace(/\n/g, '\r\n') : text
}

/** A value of strings YAML must quote or escape, numbers, nesting; for `yaml`'s own writer to write. */
function generateValue(rng: Random, depth = 0): unknown {
  const strings = ['a', 'b c', 'x: y', 'a #b', '- x', '? x', 'yes', 'no', 'on', '0755', '1:30', '2001-12-14', 'null',
    '~', '', ' lead', 'trail ', 'multi\nline', 'multi\n\nline\n', 'tab\there', '"q"', "it's", '\\', 'é😀', '\u2028',
    '\u0085', '\u00a0', '#c', '&a', '*a', '!t', '%p', '@x', '`b', '[x]', '{x}', ',', '---', '...', '\n', ' ', 'x\r\ny',
    `${'a'.repeat(90)} ${'b'.repeat(30)}`, 'line1\n  indented\nline3', '0x1F', '1e3', '.inf', '-0', 'True']
  const r = rng.int(0, 12)
  if (depth > 3 || r < 5) return rng.pick(strings)
  if (r < 6) return rng.pick([0, 1, -1, 0.5, 1.1, -0, 123456789, true, false, null])
  if (r < 9) {
    const map: Record<string, unknown> = {}
    for (let i = rng.int(0, 4); i > 0; i--) map[`${rng.pick(strings.slice(0, 30))}${rng.chance(0.5) ? i : ''}`] = generateValue(rng, depth + 1)
    return map
  }
  return Array.from({ length: rng.int(0, 4) }, () => generateValue(rng, depth + 1))
}

/** The same value written by `yaml` in one of its many styles: indents, quoting, flow or block, line widths. */
function writeInSomeStyle(rng: Random, value: unknown): string | undefined {
  try {
    return stringify(value, {
      indent: rng.pick([1, 2, 3, 4]),
      indentSeq: rng.chance(0.5),
      lineWidth: rng.pick([0, 20, 40, 80]),
      minContentWidth: rng.pick([0, 5, 20]),
      defaultStringType: rng.pick(['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'] as const),
      defaultKeyType: rng.pick([null, 'PLAIN', 'QUOTE_DOUBLE'] as const),
      collectionStyle: rng.pick(['any', 'block', 'flow'] as const),
      flowCollectionPadding: rng.chance(0.5),
      doubleQuotedAsJSON: rng.chance(0.3),
      doubleQuotedMinMultiLineLength: rng.pick([10, 40]),
      blockQuote: rng.pick([true, false, 'literal', 'folded'] as const),
      simpleKeys: rng.chance(0.5),
    })
  } catch {
    // Some option sets cannot write some values (simple keys of multi-line strings).
    return undefined
  }
}

describe('generated inputs read the same way on both paths (seeded)', () => {
  const repository = generateRepository({ definitions: 150, packages: 8, references: 400, seed: 12 })
  const documents = [...repository.files].filter(([path]) => path.endsWith('.yaml')).map(([, text]) => text)

  /** Compares both paths on each input; the first few disagreements, with their inputs, make the failure. */
  function expectAgreement(inputs: Iterable<string>): { total: number; fast: number } {
    const disagreements: string[] = []
    let total = 0
    let fast = 0
    for (const text of inputs) {
      total++
      if (fastAccepts(text)) fast++
      const both = bothPaths(text)
      if (both.fast !== both.positional && disagreements.length < 5)
        disagreements.push(`${JSON.stringify(text)}\n  fast:       ${both.fast}\n  positional: ${both.positional}`)
    }
    expect(disagreements.join('\n\n')).toBe('')
    return { total, fast }
  }

  it('the bench generator documents, each read fast, and 2,500 mutations of them with trap characters', () => {
    // The valid documents themselves: all of them must take the fast read, or the bench measures the other one.
    for (const text of documents) expect(fastAccepts(text), text).toBe(true)
    const rng = new Random('fast-path-equivalence:mutations')
    const mutations = function* () {
      for (let i = 0; i < 2500; i++) yield mutate(rng, rng.pick(documents))
    }
    const { fast } = expectAgreement(mutations())
    // Enough of them still take the fast read for the comparison to mean something.
    expect(fast).toBeGreaterThan(600)
  })

  it('1,500 documents built from every scalar style, flow and block nesting and comments', () => {
    const rng = new Random('fast-path-equivalence:documents')
    const generated = function* () {
      for (let i = 0; i < 1500; i++) {
        const text = generateDocument(rng)
        yield text
        if (rng.chance(0.3)) yield mutate(rng, text)
      }
    }
    const { fast } = expectAgreement(generated())
    expect(fast).toBeGreaterThan(250)
  })

  it('1,000 values written by `yaml` in random styles, and mutations of them', () => {
    const rng = new Random('fast-path-equivalence:styles')
    const written = function* () {
      for (let i = 0; i < 1000; i++) {
        const value = Object.fromEntries(Array.from({ length: rng.int(1, 4) }, (_, k) => [`k${k}`, generateValue(rng)]))
        let text = writeInSomeStyle(rng, value)
        if (text === undefined) continue
        if (rng.chance(0.1)) text = text.replace(/\n/g, '\r\n')
        yield text
        yield mutate(rng, text)
      }
    }
    const { fast } = expectAgreement(written())
    expect(fast).toBeGreaterThan(600)
  })

  it('1,500 flow collections over lines, with keys that are collections and comments that end with a colon', () => {
    const rng = new Random('fast-path-equivalence:flow')
    const comments = ['# c', '# c:', '#:', '# a: b']
    const lineBreak = () =>
      rng.chance(0.4)
        ? `${rng.chance(0.3) ? ` ${rng.pick(comments)}` : ''}\n${' '.repeat(rng.int(0, 7))}`
        : rng.pick(['', ' '])
    const flow = (depth: number): string => {
      if (depth > 2 || rng.chance(0.35))
        return rng.pick(['a', '"b"', "'c'", '1', 'x y', 'p\n   q', '"m\n   n"', '', 'null', '-1', 'a:b', 'a: b'])
      const items = Array.from({ length: rng.int(0, 3) }, () =>
        rng.chance(0.5)
          ? flow(depth + 1)
          : `${rng.pick(['k', '"k"', 'k2', "'k3'"])}${rng.pick([': ', ':', ' : '])}${lineBreak()}${flow(depth + 1)}`,
      )
      const body = items.map((item) => `${lineBreak()}${item}`).join(`${rng.pick([',', ', '])}${lineBreak()}`)
      return rng.chance(0.5) ? `[${body}${rng.chance(0.2) ? ',' : ''}${lineBreak()}]` : `{${body}${lineBreak()}}`
    }
    const documents = function* () {
      for (let i = 0; i < 1500; i++) {
        const indent = ' '.repeat(rng.int(0, 4))
        yield rng.pick([
          `k: ${flow(0)}\n`,
          `k:\n${indent}${flow(0)}\n`,
          `- ${flow(0)}\n`,
          `k:\n${indent}- ${flow(0)}\n${indent}- x\n`,
          `${flow(0)}\n`,
          `a:\n  b: ${flow(0)}\n  c: 1\n`,
        ])
      }
    }
    const { fast } = expectAgreement(documents())
    expect(fast).toBeGreaterThan(500)
  })

  it('1,000 values written by `yaml` with comments, empty lines and trailing comments put between their lines', () => {
    const rng = new Random('fast-path-equivalence:comments')
    const comments = ['# c', '#', '# ', '#  x', '# #', '# :', '# - x', '# "', "# '", '# {', '# ]', '# |', '# ---', '#\u00a0x']
    const commented = function* () {
      for (let i = 0; i < 1000; i++) {
        const text = writeInSomeStyle(rng, { a: generateValue(rng), b: generateValue(rng) })
        if (text === undefined) continue
        const lines = text.split('\n')
        for (let n = rng.int(1, 4); n > 0; n--) {
          const at = rng.int(0, lines.length)
          const comment = rng.pick(comments)
          const how = rng.int(0, 2)
          if (how === 0) lines.splice(at, 0, `${' '.repeat(rng.int(0, 6))}${comment}`)
          else if (how === 1) lines.splice(at, 0, '')
          else if (at < lines.length) lines[at] += ` ${comment}`
        }
        yield lines.join('\n')
      }
    }
    const { fast } = expectAgreement(commented())
    expect(fast).toBeGreaterThan(400)
  })
})

describe('gantry validate --format json: the same output on both paths', () => {
  /** The whole JSON output and exit code of `gantry validate` with each reader. */
  async function validateBoth(files: Record<string, string>): Promise<{ fast: unknown; positional: unknown; result: ValidateJson }> {
    const run = async (reader: YamlReader) => {
      const previous = setYamlReader(reader)
      try {
        const { code, result } = await validate(baseRepo(files))
        return { code, result }
      } finally {
        setYamlReader(previous)
      }
    }
    const fast = await run('fast')
    const positional = await run('positional')
    return { fast, positional, result: positional.result }
  }

  it('the CLI as its own process (the fast read, as users run it) reports what the positional read reports', async () => {
    // Every file on which the paths disagreed, in one repository, read by `gantry validate` in a process of its
    // own, whose reader is the default one.
    const files: Record<string, string> = {
      'definitions/agent/cr.yaml': 'kind: agent\rname: cr\rspec:\r  host: h\r',
      'definitions/agent/note.yaml': 'kind: agent\nname: note\nspec:\n  host:\n#primary\n   h\n  mode: x\n',
      'definitions/agent/tag.yaml': 'kind: agent\nname: tag\nspec: {"host": h, "port":!<tag:gantry,core:int> 22}\n',
      'definitions/agent/key.yaml': 'kind: agent\nname: key\nspec: {host: h, [mode]}\n',
      'definitions/agent/bom.yaml': 'kind: agent\n# x\n\ufeffname: bom\nspec:\n  host: h\n',
      'definitions/agent/escape.yaml': 'kind: agent\nname: escape\nspec:\n  host: "h\\U00110000"\n',
      'definitions/agent/keep.yaml': 'kind: agent\nname: keep\nspec:\n  host: |+\n    h\n  ',
      'definitions/agent/flow.yaml': 'kind: agent\nname: flow\nspec: {#c\n  host: h}\n',
    }
    const repo = baseRepo(files)
    const spawned = await spawnCli(['validate', '--repo', repo, '--format', 'json'])
    const previous = setYamlReader('positional')
    try {
      const positional = await validate(repo)
      expect({ code: spawned.code, result: JSON.parse(spawned.stdout) as unknown }).toEqual({
        code: positional.code,
        result: positional.result,
      })
      // The files the positional read refuses are refused by the process too.
      const refused = new Set(positional.result.diagnostics.map((d) => d.file))
      for (const name of ['cr', 'note', 'tag', 'key', 'escape', 'flow']) expect(refused).toContain(`definitions/agent/${name}.yaml`)
    } finally {
      setYamlReader(previous)
    }
  })

  const LINUX = 'definitions/agent/linux.yaml'
  it.each([
    ['lone carriage returns as line breaks', 'kind: agent\rname: linux\rspec:\r  host: linux-01\r'],
    ['a comment with no space after #, before the host on its own line', 'kind: agent\nname: linux\nspec:\n  host:\n#primary\n   linux-01\n  mode: x\n'],
    ['a verbatim tag after a quoted key', 'kind: agent\nname: linux\nspec: {"host": linux-01, "port":!<tag:gantry,core:int> 22}\n'],
    ['a flow sequence as a key of the spec', 'kind: agent\nname: linux\nspec: {host: linux-01, [mode]}\n'],
    ['a byte order mark inside the file', 'kind: agent\n# x\n\ufeffname: linux\nspec:\n  host: linux-01\n'],
    ['a \\U escape past U+10FFFF', 'kind: agent\nname: linux\nspec:\n  host: "linux\\U00110000"\n'],
  ])('%s', async (_what, text) => {
    const { fast, positional } = await validateBoth({ [LINUX]: text })
    expect(fast).toEqual(positional)
  })
})
