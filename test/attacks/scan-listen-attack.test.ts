import { spawnSync } from 'node:child_process'
import { runInNewContext } from 'node:vm'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Random } from '../../bench/random.js'
import { asciiOnly } from '../../scripts/ascii-bundle.js'
import { SCAN_CONTROL, SCAN_DECLINE, SCAN_LISTEN, fastYamlValue, scanText } from '../../src/core/yaml/fast-yaml.js'
import { truncate } from '../../src/core/source/bound-findings.js'
import { DEFAULT_YAML_LIMITS, type YamlReader, readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'
import { spawnCli } from '../engine/helpers.js'
import { removeTempDirs } from '../support/fixtures.js'
import { baseRepo, validate } from '../validate/base-repo.js'

/**
 * The fast read skips its listener on a text that holds no `&`, `!`, quote right before `#`, `:` first on a
 * line, `[` or `{` (SCAN_LISTEN). These tests look for a text the fast read then takes where the positional
 * read reads another value or reports something: block documents only, made of the constructs the loader
 * checks (duplicate keys, aliases, YAML 1.1 spellings, forbidden keys, merge keys, document markers, block
 * scalars, escapes, comments), each compared through the public loader on both paths and through
 * `gantry validate`.
 */

// test/setup.ts sets the cross-check reader; these tests pick the reader themselves.
const setupReader = setYamlReader('cross-check')
afterEach(() => setYamlReader(setupReader))
afterAll(removeTempDirs)

/** Whether the fast read runs its listener on a text. */
function listens(text: string): boolean {
  const scanned = scanText(text)
  return (scanned.flags & SCAN_LISTEN) !== 0 || scanned.openings > 0
}

/** Whether scanText lets the fast read try the text at all. */
const tried = (text: string): boolean => (scanText(text).flags & (SCAN_DECLINE | SCAN_CONTROL)) === 0

/** What the loader makes of a text on one path: its diagnostics (code, place, message), or its value. */
function outcome(reader: YamlReader, text: string): string {
  const previous = setYamlReader(reader)
  try {
    const { parsed, diagnostics } = readYaml('t.yaml', new TextEncoder().encode(text), DEFAULT_YAML_LIMITS)
    if (diagnostics.length > 0) return `diagnostics ${JSON.stringify(diagnostics)}`
    // Key order, -0 and strings that look like numbers count.
    return `value ${JSON.stringify(parsed!.value, (_k, v: unknown) => (Object.is(v, -0) ? '-0' : typeof v === 'string' ? `s:${v}` : v))}`
  } finally {
    setYamlReader(previous)
  }
}

// Texts with none of the characters that make the fast read listen: every one is read without the listener
// (checked), and the fast path must answer what the positional path answers, value or diagnostics.
const BLOCK_TEXTS: [string, string][] = [
  ['an alias with no anchor', 'a: *x\n'],
  ['an alias as a merge', 'a: 1\n<<: *x\n'],
  ['a plain merge key', '<<: b\nc: d\n'],
  ['a duplicate key', 'a: 1\na: 2\n'],
  ['a duplicate key, once quoted', '"a": 1\na: 2\n'],
  ['a duplicate key, once escaped', 'a: 1\n"\\x61": 2\n'],
  ['an int key and its string', '1: a\n"1": b\n'],
  ['a float key equal to an int key', '1.0: a\n1: b\n'],
  ['a hex key', '0x10: a\n'],
  ['an exponent key', '1e3: a\n'],
  ['an infinite key', '.inf: a\n'],
  ['a -0 key', '-0: a\n'],
  ['a +1 key', '+1: a\n'],
  ['a leading-zero key', '007: a\n'],
  ['an unsafe integer key', '9007199254740993: a\n'],
  ['an overflowing float key', '1e400: a\n'],
  ['a NaN key', '.nan: a\n'],
  ['a bool key', 'true: a\n'],
  ['a null key', '~: a\n'],
  ['YAML 1.1 booleans', 'yes: on\nno: off\n'],
  ['YAML 1.1 octal, sexagesimal and ~', 'a: 0777\nb: 1:20\nc: ~\n'],
  ['a date', 'a: 2001-12-14\n'],
  ['__proto__ at the root', '__proto__: 1\n'],
  ['__proto__ nested', 'a:\n  __proto__: 1\n'],
  ['constructor', 'constructor: 1\n'],
  ['toString', 'toString: 1\n'],
  ['an escaped NUL', 'a: "\\0"\n'],
  ['a lone surrogate escape', 'a: "\\ud800"\n'],
  ['a surrogate pair of escapes', 'a: "\\ud83d\\ude00"\n'],
  ['a \\U escape', 'a: "\\U0001F600"\n'],
  ['a NEL in a plain scalar', 'a: b\u0085c\n'],
  ['a NEL after a value', 'a: b\u0085\n'],
  ['a NEL before a value', 'a:\u0085 b\n'],
  ['a line separator in a plain scalar', 'a: b\u2028c\n'],
  ['a no-break space before a value', 'a: \u00a0b\n'],
  ['a no-break space in a key', 'a\u00a0: b\n'],
  ['an ideographic space after a value', 'key: value\u3000\n'],
  ['a multi-line double-quoted scalar', 'a: "x\n  y"\n'],
  ['a multi-line single-quoted scalar with an empty line', "a: 'x\n\n  y'\n"],
  ['a multi-line plain scalar', 'a: x\n\n  y\n'],
  ['a comment between plain lines', 'a: x\n #c\n  y\n'],
  ['an escaped line break', 'a: "a\\\n  b"\n'],
  ['an escaped tab character', 'a: "\\\t"\n'],
  ['a plain scalar that holds ": "', 'a: b: c\n'],
  ['a plain scalar that holds " #"', 'a: b #c: d\n'],
  ['a literal scalar then a less indented key', 'a: |\n  x\n b: 1\n'],
  ['a folded scalar with more indented lines', 'a: >\n  x\n   y\n  z\n'],
  ['a keep scalar with trailing lines', 'a: |+\n  x\n\n\n'],
  ['a literal scalar then a comment at column 1', 'a: |\n  x\n# c\n'],
  ['a folded scalar with a comment-like line', 'a: >\n  x\n # c\n  y\n'],
  ['a document start', '---\na: 1\n'],
  ['a document end', 'a: 1\n...\n'],
  ['a second document', 'a: 1\n---\nb: 2\n'],
  ['an empty second document', 'a: 1\n---\n'],
  ['a document start after a comment', '# c\n---\na: 1\n'],
  ['a TAG directive', '%TAG x\n---\na: 1\n'],
  ['a list under a key at its column', 'a:\n- 1\n- 2\nb: 3\n'],
  ['nested compact lists', '- - a\n  - b\n- c\n'],
  ['an entry on the next line', 'a:\n  - 1\n  -\n    2\n'],
  ['a key less indented than its siblings', 'a:\n   b: 1\n  c: 2\n'],
  ['a key more indented than its siblings', 'a: 1\n  b: 2\n'],
  ['an alias-looking key', '* a: 1\n'],
  ['a star in a plain scalar', 'a: b*c\n'],
  ['reserved indicators', 'a: @x\n'],
  ['a backquote', 'a: `x\n'],
  ['a percent sign in a value', 'a: %x\n'],
  ['a pipe with text after it', 'a: |x\n'],
  ['deep nesting', `${Array.from({ length: 70 }, (_, i) => `${'  '.repeat(i)}k:`).join('\n')} 1\n`],
  ['a CRLF document', 'kind: agent\r\nname: x\r\nspec:\r\n  - 1\r\n'],
  ['a key of 1030 characters', `${'k'.repeat(1030)}: 1\n`],
  ['an empty document with comments', '# a\n# b\n'],
  ['a scalar document', 'just text\n'],
]

describe('the fast read without its listener, on block documents', () => {
  it.each(BLOCK_TEXTS)('%s: the fast path answers what the positional path answers', (_what, text) => {
    expect(listens(text)).toBe(false)
    expect(outcome('fast', text)).toBe(outcome('positional', text))
  })

  /** A block document of the constructs above: maps, lists, block scalars, comments, quoted and odd scalars. */
  function generate(rng: Random): string {
    const keys = ['a', 'b', 'kind', 'x y', '<<', '__proto__', 'constructor', 'null', '~', 'yes', 'on', '1', '0777',
      '1:20', '-1', '"q"', "'q'", 'a:b', 'a#b', 'é', '…', '"\\u0041"', '"a\\tb"', '-a', '.x', '%a', '@a', '*a',
      '"*a"', 'true', 'TRUE', 'tRue', '=', 'a\u00a0', 'a\u0085b', '-', '0x10', '.5', '+.inf', '.NaN', '1_000',
      '0b1', '1e3', '12:30:00', '? x', '-0', '1.0', '9007199254740993']
    const values = [...keys, '', 'x y z', 'a: b', 'a :b', '- x', '-x', '"x\\\n  y"', '"x\n  y"', "'x\n\n  y'",
      'x\n  y', 'x\n\n  y', 'x #c', '"#fff"', "'#fff'", '017', '1e400', 'Null', '"\\x41\\u00e9\\U0001F600"',
      '"\\/"', '"\\ "', '"\\N\\L\\P"', '"\\e\\a\\0"', "'a''b'", '😀', '"\\ud800"', '\ufeffx', 'x\u2029y', '*x', '*']
    const scalar = (indent: number): string => {
      if (rng.chance(0.12)) {
        const pad = ' '.repeat(Math.max(0, indent + rng.int(1, 3)))
        let s = rng.pick(['|', '|-', '|+', '>', '>-', '>+']) + rng.pick(['', ' #c', '  ']) + '\n'
        const n = rng.int(1, 3)
        for (let i = 0; i < n; i++) s += (rng.chance(0.15) ? '' : pad + (rng.chance(0.2) ? ' ' : '') + rng.pick(values).replace(/\n/g, ' ')) + '\n'
        return s.replace(/\n$/, '')
      }
      return rng.pick(values).replace(/\n/g, '\n' + ' '.repeat(Math.max(0, indent + 1)))
    }
    const node = (indent: number, depth: number): string => {
      const r = rng.next()
      if (depth > 3 || r < 0.3) return ' ' + scalar(indent)
      const list = r < 0.6
      const at = Math.max(0, indent + (list && indent >= 0 && rng.chance(0.3) ? 0 : rng.int(1, 4)))
      let s = ''
      for (let i = rng.int(1, 4); i > 0; i--) {
        if (rng.chance(0.1)) s += '\n' + ' '.repeat(rng.int(0, at)) + '# c'
        if (rng.chance(0.05)) s += '\n'
        s += '\n' + ' '.repeat(at) + (list ? '-' : rng.pick(keys) + ':') + node(at + (list ? 2 : 0), depth + 1)
        if (rng.chance(0.08)) s += ' # t'
      }
      return s
    }
    let text = node(-1, 0).replace(/^\n/, '')
    if (text.startsWith(' ')) text = `root:${text}`
    text += rng.chance(0.9) ? '\n' : ''
    if (rng.chance(0.05)) text = rng.pick(['---\n', '%YAML 1.2\n---\n', '# head\n', '\ufeff']) + text
    if (rng.chance(0.05)) text += rng.pick(['...\n', '---\n', '--- \n', '...\n# x\n'])
    return text
  }

  it('on 20,000 generated block documents, what the fast read takes without its listener, the positional read reads alike', () => {
    const rng = new Random('scan-listen-attack')
    const mismatches: string[] = []
    let withoutListener = 0
    for (let n = 0; n < 20_000 && mismatches.length < 5; n++) {
      const text = generate(rng)
      if (listens(text) || !tried(text)) continue
      if (!fastYamlValue(text, DEFAULT_YAML_LIMITS)) continue
      withoutListener++
      const fast = outcome('fast', text)
      const positional = outcome('positional', text)
      if (fast !== positional) mismatches.push(`${JSON.stringify(text)}\n  fast: ${fast}\n  positional: ${positional}`)
    }
    expect(mismatches).toEqual([])
    expect(withoutListener).toBeGreaterThan(3000)
  })
})

describe('gantry validate --format json: the same findings on both paths, for block definitions', () => {
  // Agent definitions (the spec's host is a string, port an integer, enabled a boolean) written with the
  // constructs above; none holds a character that makes the fast read listen.
  const FILES: Record<string, string> = {
    'definitions/agent/yes.yaml': 'kind: agent\nname: yes\nspec:\n  host: h\n  enabled: yes\n',
    'definitions/agent/octal.yaml': 'kind: agent\nname: octal\nspec:\n  host: h\n  port: 0777\n',
    'definitions/agent/sexagesimal.yaml': 'kind: agent\nname: sexagesimal\nspec:\n  host: 1:20\n',
    'definitions/agent/tilde.yaml': 'kind: agent\nname: tilde\nspec:\n  host: ~\n',
    'definitions/agent/alias.yaml': 'kind: agent\nname: alias\nspec:\n  host: *h\n',
    'definitions/agent/merge.yaml': 'kind: agent\nname: merge\nspec:\n  host: h\n  <<: *base\n',
    'definitions/agent/dup.yaml': 'kind: agent\nname: dup\nspec:\n  host: h\n  "host": i\n',
    'definitions/agent/proto.yaml': 'kind: agent\nname: proto\nspec:\n  host: h\n  __proto__: x\n',
    'definitions/agent/docs.yaml': 'kind: agent\nname: docs\nspec:\n  host: h\n---\nkind: agent\n',
    'definitions/agent/end.yaml': '---\nkind: agent\nname: end\nspec:\n  host: h\n...\n',
    'definitions/agent/big.yaml': 'kind: agent\nname: big\nspec:\n  host: h\n  port: 9007199254740993\n',
    'definitions/agent/folded.yaml': 'kind: agent\nname: folded\nspec:\n  host: >\n    h\n     i\n    j\n',
    'definitions/agent/under.yaml': 'kind: agent\nname: under\nspec:\n  host: |\n    h\n   port: 1\n',
    'definitions/agent/nel.yaml': 'kind: agent\nname: nel\nspec:\n  host: h\u0085i\n',
    'definitions/agent/escape.yaml': 'kind: agent\nname: escape\nspec:\n  host: "\\ud800\\N"\n',
  }

  it('each file is read without the listener', () => {
    for (const text of Object.values(FILES)) expect(listens(text)).toBe(false)
  })

  it('in process, the fast and the positional reader; as its own process, the default reader', async () => {
    const repo = baseRepo(FILES)
    const run = async (reader: YamlReader) => {
      const previous = setYamlReader(reader)
      try {
        const { code, result } = await validate(repo)
        return { code, result }
      } finally {
        setYamlReader(previous)
      }
    }
    const positional = await run('positional')
    expect(await run('fast')).toEqual(positional)
    const spawned = await spawnCli(['validate', '--repo', repo, '--format', 'json'])
    expect({ code: spawned.code, result: JSON.parse(spawned.stdout) as unknown }).toEqual(positional)
    // The traps are reported, not read as YAML 1.1 would.
    const reported = new Set(positional.result.diagnostics.map((d) => d.file))
    for (const name of ['yes', 'alias', 'merge', 'dup', 'proto', 'docs', 'under'])
      expect(reported).toContain(`definitions/agent/${name}.yaml`)
  })
})

describe('the CLI bundle written as ASCII only prints what the source prints', () => {
  // Findings whose messages hold non-ASCII characters: the enum and the pattern clipped with `…`, a value
  // with an emoji, `→`, a lone surrogate, a message cut in the middle (`…[N characters]…`).
  const schema = {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: {
      host: { type: 'string', pattern: `^${'é→😀'.repeat(80)}$` },
      mode: { enum: [`${'x'.repeat(70)}→😀…`, 'é'] },
      port: { type: 'integer' },
    },
  }
  const files = {
    'kinds/agent.schema.json': JSON.stringify(schema),
    'definitions/agent/linux.yaml': `kind: agent\nname: linux\nspec:\n  host: "h😀\\ud800→…"\n  mode: "${'ü'.repeat(500)}→😀"\n  port: "…"\n`,
  }

  // The bundle is built by `npm run build:cli` (never committed): GANTRY_TEST_BUILT_CLI names it.
  const bundle = process.env.GANTRY_TEST_BUILT_CLI
  it.skipIf(!bundle).each(['text', 'json'])('--format %s', async (format) => {
    const repo = baseRepo(files)
    const source = await spawnCli(['validate', '--repo', repo, '--format', format])
    const built = spawnSync(process.execPath, [bundle!, 'validate', '--repo', repo, '--format', format], {
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
    })
    expect(source.stdout).toMatch(/…/)
    expect({ code: built.status, stdout: built.stdout, stderr: built.stderr }).toEqual({
      code: source.code,
      stdout: source.stdout,
      stderr: source.stderr,
    })
  })
})

describe('non-ASCII characters in messages', () => {
  /** Whether a string holds half of a surrogate pair on its own (printed as U+FFFD, or `\ud83d` in JSON). */
  const loneSurrogate = (s: string): boolean => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)

  it('a pattern clipped in a message keeps its characters whole', async () => {
    // The pattern is cut at 200 UTF-16 code units: `^` then 199 units of emoji ends inside the 100th.
    const repo = baseRepo({
      'kinds/agent.schema.json': JSON.stringify({
        type: 'object',
        required: ['host'],
        properties: { host: { type: 'string', pattern: `^${'😀'.repeat(150)}$` } },
      }),
    })
    const { result } = await validate(repo)
    const messages = result.diagnostics.map((d) => d.message)
    expect(messages.some((m) => m.includes('does not match'))).toBe(true)
    expect(messages.filter(loneSurrogate)).toEqual([])
  })

  it('a long message cut in the middle keeps its characters whole', () => {
    for (const text of [`a${'😀'.repeat(300)}`, `${'😀'.repeat(300)}a`, `ab${'😀'.repeat(300)}`])
      expect(loneSurrogate(truncate(text))).toBe(false)
  })

  it('the ASCII rewrite keeps what a regular expression literal prints (its source)', () => {
    // A message built from a pattern's source (`does not match /…/`) would print the escape instead.
    // Refusing the literal, as a tagged template is refused, would do too: the build then says where it is.
    const code = 'const r = /[…→]+/u; [r.source, String(r), r.test("…")]'
    let ascii: string
    try {
      ascii = asciiOnly('x.js', code)
    } catch {
      return
    }
    expect(runInNewContext(ascii)).toEqual(runInNewContext(code))
  })
})
