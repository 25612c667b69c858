import { afterEach, describe, expect, it } from 'vitest'
import { fastYamlValue } from '../../src/core/yaml/fast-yaml.js'
import { DEFAULT_YAML_LIMITS, type YamlReader, readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'

// test/setup.ts sets the cross-check reader for every test; these tests pick the reader themselves.
const setupReader = setYamlReader('cross-check')
afterEach(() => setYamlReader(setupReader))

const readWith = (reader: YamlReader, text: string) => {
  setYamlReader(reader)
  return readYaml('f.yaml', Buffer.from(text))
}

/** What the positional read gives: the reference every fast answer is held to. */
const positional = (text: string) => readWith('positional', text)

const TASK = `# A task as people write them
kind: task
name: nightly-export
description: "Exports the day's invoices: all of them"
spec:
  command: /opt/bin/export --day yesterday --limit 1000
  agent: linux-pool
  variables: [region, 'batch-size', "lookback"]
  successors:
    - notify-finance
    - archive-invoices
  timeoutMinutes: 45
  ratio: 0.75
  enabled: true
  retry: ~
  script: |
    set -e
    echo "done"
  summary: >-
    folded
    text
  url: https://example.com/a?b=1&c=2#frag
  cron: "*/5 * * * *"
  empty: {}
  none: []
`

describe('the fast YAML read', () => {
  it('reads ordinary definitions, with the value the positional read builds', () => {
    for (const text of [TASK, TASK.replace(/\n/g, '\r\n'), `---\n${TASK}`, `${TASK}...\n`]) {
      const fast = fastYamlValue(text, DEFAULT_YAML_LIMITS)
      expect(fast).toBeDefined()
      expect(fast!.value).toStrictEqual(positional(text).parsed!.value)
    }
  })

  it('resolves plain scalars by the YAML 1.2 core schema, not by js-yaml own rules', () => {
    const text = [
      'a: no', 'b: yes', 'c: on', 'd: 1.10', 'e: 0755', 'f: 0o755', 'g: ~', 'h: "1.10"', 'i: 1_000', 'j: 0x1F',
      'k: 0b101', 'l: -0', 'm: +12', 'n: .5', 'o: 1e3', 'p: 1.', 's: True', 't: FALSE',
      'u: tRue', 'v: Null', 'w: nULL', 'x: 2001-12-14', 'y: 12:30:45', 'z: <<', '"1": one', '2.50: two',
    ].join('\n')
    const fast = fastYamlValue(text, DEFAULT_YAML_LIMITS)
    expect(fast).toBeDefined()
    expect(fast!.value).toStrictEqual(positional(text).parsed!.value)
    expect(fast!.value).toMatchObject({ c: 'on', e: 755, f: 493, i: '1_000', k: '0b101', u: 'tRue', x: '2001-12-14' })
    expect(Object.is((fast!.value as { l: number }).l, -0)).toBe(true)
  })

  // Each of these is either refused by the positional read or read another way by js-yaml: the fast read
  // must decline it, so that the positional read reports it exactly as before.
  const declined: [string, string][] = [
    ['duplicate keys', 'a: 1\nb: 2\na: 3\n'],
    ['keys that are one JavaScript property', 'spec:\n  1: a\n  1.0: b\n'],
    ['a null key beside an empty one', '? \n: a\n"": b\n'],
    ['a null key alone', 'a: 1\n~: b\n'],
    ['an anchor and an alias', 'a: &x [1, 2]\nb: *x\n'],
    ['an alias bomb', 'a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n'],
    ['a tag', 'a: !!binary aGVsbG8=\n'],
    ['a local tag', 'a: !foo 1\n'],
    ['the non-specific tag', 'a: ! 1\n'],
    ['a tag js-yaml drops', 'literal: |2\n  value\nfolded:\n   !foo\n  >1\n value\n'],
    ['a YAML 1.1 directive', '%YAML 1.1\n---\na: no\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['an empty second document', 'a: 1\n---\n'],
    ['comments only', '# nothing here\n'],
    ['an explicit key', '? [a, b]\n: c\n'],
    ['a flow sequence as a key', '[a, b]: c\n'],
    ['a flow map as a key', '{a: 1}: c\n'],
    ['a flow key inside a flow map', '{[a]: 1}\n'],
    ['__proto__', 'a:\n  __proto__:\n    polluted: 1\n'],
    ['constructor', 'b: [{constructor: {prototype: {x: 1}}}]\n'],
    ['an integer beyond 2^53', 'a: 9007199254740993\n'],
    ['an infinite number', 'a: 1e400\n'],
    ['.inf', 'a: .inf\n'],
    ['.nan', 'a: [.nan]\n'],
    ['nesting past the limit', `${Array.from({ length: 66 }, (_, i) => `${' '.repeat(i * 2)}k:`).join('\n')} v\n`],
    ['flow nesting past the limit', `a: ${'['.repeat(65)}x${']'.repeat(65)}\n`],
    ['a tab as indentation', 'a:\n\tb: 1\n'],
    ['a tab in a block scalar', 'foo: |\n\t\nbar: 1\n'],
    ['an implicit key over 1024 characters', `${'k'.repeat(1030)}: v\n`],
    ['a comment right after a quoted scalar', 'key: "value"# comment\n'],
    ['a comment right after a flow collection', '---\n[ a, b, c, ]#invalid\n'],
    ['content after ---', '---word1\nword2\n'],
    ['a block map after ---', '--- key1: value1\n    key2: value2\n'],
    ['list entries at another column', '-\n  -\n -\n'],
    ['a block scalar with more-indented empty lines first', 'empty block scalar: >\n \n  \n   \n # comment\n'],
    ['a syntax error', 'kind: task\nname: "bad\\q"\nspec: {}\n'],
    ['a quote never closed', 'a: "open\nb: c\n'],
    ['a bad indentation', 'a:\n    b: 1\n  c: 2\n'],
  ]

  it.each(declined)('declines %s, which keeps its findings from the positional read', (_name, text) => {
    expect(fastYamlValue(text, DEFAULT_YAML_LIMITS)).toBeUndefined()
    expect(readWith('fast', text)).toStrictEqual(positional(text))
  })

  it('every declined text that the positional read accepts is accepted with the same value', () => {
    // Some texts are declined only because the fast read cannot tell them from a bad one (a tab, a `?` in
    // prose): the default read then gives what the positional read gives.
    for (const text of ['note: "why ? because"\n', 'a: "x\ty"\n', 'a: &x 1\nb: *x\n', 'x: |\n\n  y\n']) {
      expect(fastYamlValue(text, DEFAULT_YAML_LIMITS)).toBeUndefined()
      const expected = positional(text)
      expect(expected.diagnostics).toEqual([])
      expect(readWith('fast', text).parsed!.value).toStrictEqual(expected.parsed!.value)
    }
  })

  it('refuses nesting past the limit exactly where the positional read does, lists, maps and scalars alike', () => {
    let acceptedFast = 0
    for (let depth = 60; depth <= 67; depth++) {
      const lists = `a: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`
      const maps = `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i * 2)}k:`).join('\n')} v\n`
      const empty = `a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`
      for (const text of [lists, maps, empty]) {
        const outcome = (read: ReturnType<typeof positional>) => ({ value: read.parsed?.value, diagnostics: read.diagnostics })
        expect(outcome(readWith('fast', text))).toStrictEqual(outcome(positional(text)))
        if (fastYamlValue(text, DEFAULT_YAML_LIMITS)) acceptedFast++
      }
    }
    // The fast read took the texts within the limit: the comparison above held it to the positional read.
    expect(acceptedFast).toBeGreaterThan(6)
  })

  it('a file read fast still gives the positions of its values when a finding asks for them', () => {
    const parsed = readWith('fast', TASK).parsed!
    expect(parsed.positionOf(['spec', 'variables', 1])).toEqual({ line: 8, column: 23 })
    expect(parsed.positionOf(['spec', 'agent'], { key: true })).toEqual({ line: 7, column: 3 })
    expect(parsed.sourceOf(['spec', 'ratio'])).toBe('0.75')
  })
})
