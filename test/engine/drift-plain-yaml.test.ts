import { isDeepStrictEqual } from 'node:util'
import { afterEach, describe, expect, test } from 'vitest'
import { readPlainYaml } from '../../src/core/drift/plain-yaml.js'
import { DEFAULT_YAML_LIMITS, readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'

// Drift reads installed items with readPlainYaml first and with readYaml for anything it declines. The one
// rule: whatever readPlainYaml reads, readYaml reads without a finding and to the same value, on both of
// its paths (the fast read and the positional one).

const { maxBytes, maxDepth } = DEFAULT_YAML_LIMITS
const bytes = (text: string) => new TextEncoder().encode(text)
const plain = (text: string) => readPlainYaml(bytes(text), maxBytes, maxDepth)

afterEach(() => {
  setYamlReader('fast')
})

function agrees(text: string): void {
  const value = plain(text)
  if (value === undefined) return
  for (const mode of ['fast', 'positional'] as const) {
    setYamlReader(mode)
    const read = readYaml('x.yaml', bytes(text))
    if (read.diagnostics.length > 0 || !read.parsed || !isDeepStrictEqual(read.parsed.value, value))
      throw new Error(`readPlainYaml read ${JSON.stringify(value)} from a text the ${mode} read gives ${JSON.stringify(read.parsed?.value)} ${JSON.stringify(read.diagnostics)}:\n${text}`)
  }
}

describe('readPlainYaml', () => {
  test('reads the usual definition: keys, nested mappings, block and flow sequences, numbers, booleans, quoted text', () => {
    const text = [
      'kind: task',
      'name: a-task',
      'description: Task for the nightly load (v2), see https://example.com/x?a=1',
      'spec:',
      '  command: /opt/bin/run --day yesterday',
      '  conn: db',
      '  query: "SELECT * FROM t WHERE a >= 1 # not a comment"',
      "  note: 'single: quoted'",
      '  successors: [b, c-2, ops@example.com]',
      '  variables:',
      '    - v1',
      '    - 42',
      '  retries:',
      '    count: 3',
      '    enabled: true',
      '  empty: []',
      '',
    ].join('\n')
    expect(plain(text)).toEqual({
      kind: 'task',
      name: 'a-task',
      description: 'Task for the nightly load (v2), see https://example.com/x?a=1',
      spec: {
        command: '/opt/bin/run --day yesterday',
        conn: 'db',
        query: 'SELECT * FROM t WHERE a >= 1 # not a comment',
        note: 'single: quoted',
        successors: ['b', 'c-2', 'ops@example.com'],
        variables: ['v1', 42],
        retries: { count: 3, enabled: true },
        empty: [],
      },
    })
    agrees(text)
  })

  test.each([
    ['a comment', 'kind: task # note\n'],
    ['a tab', 'kind:\ttask\n'],
    ['a carriage return', 'kind: task\r\n'],
    ['a byte order mark', '\ufeffkind: task\n'],
    ['text outside ASCII', 'kind: tâche\n'],
    ['an escape', 'kind: "t\\x61sk"\n'],
    ['a null', 'kind:\nname: a\n'],
    ['null written out', 'kind: null\n'],
    ['a YAML 1.1 boolean', 'kind: yes\n'],
    ['True', 'kind: True\n'],
    ['a key twice', 'kind: a\nkind: b\n'],
    ['a forbidden key', 'constructor: a\n'],
    ['__proto__', '__proto__: a\n'],
    ['an anchor', 'kind: &a task\n'],
    ['an alias', 'kind: *a\n'],
    ['a tag', 'kind: !!str task\n'],
    ['a document marker', '---\nkind: task\n'],
    ['a directive', '%YAML 1.2\n---\nkind: task\n'],
    ['a block scalar', 'kind: |\n  task\n'],
    ['a multi-line plain scalar', 'kind: a\n  b\n'],
    ['a leading zero', 'port: 0755\n'],
    ['a float', 'version: 1.10\n'],
    ['a date', 'day: 2026-12-25\n'],
    ['a time', 'at: 12:30\n'],
    ['a trailing colon', 'kind: task:\n'],
    ['a colon and a space inside', 'kind: a: b\n'],
    ['a trailing space', 'kind: task \n'],
    ['two spaces after the colon', 'kind:  task\n'],
    ['a flow mapping', 'spec: {a: 1}\n'],
    ['a flow sequence without spaces', 'spec: [a,b]\n'],
    ['a quoted word in a flow sequence', 'spec: ["a", b]\n'],
    ['a mapping in a sequence', 'spec:\n  - a: 1\n'],
    ['a sequence at the key\'s indentation', 'spec:\n- a\n'],
    ['a misaligned key', 'spec:\n    a: 1\n  b: 2\n'],
    ['an indented first line', '  kind: task\n'],
    ['an empty file', ''],
    ['only blank lines', '\n\n'],
    ['a line of spaces', 'kind: task\n   \nname: a\n'],
    ['a negative number', 'port: -1\n'],
    ['a quote inside quotes', 'kind: "a"b"\n'],
  ])('declines %s', (_name, text) => {
    expect(plain(text)).toBeUndefined()
  })

  test('declines nesting near the loader\'s limit', () => {
    const deep = Array.from({ length: maxDepth }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + `\n${'  '.repeat(maxDepth)}leaf: 1\n`
    expect(plain(deep)).toBeUndefined()
  })

  test('whatever it reads, readYaml reads to the same value without a finding (generated texts)', () => {
    // A fixed seed: the same texts on every run.
    let seed = 12
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
    const keys = ['kind', 'name', 'spec', 'a', 'b-c', 'd_e', 'On', 'no', 'x1', 'constructor', 'y', 'True', 'kind', 'spec', 'a', 'a1']
    const scalars = [
      'task', 'db', '0', '7', '42', '0755', '1.5', '1e3', '.5', 'true', 'false', 'True', 'null', '~', 'yes', 'n', 'NaN', '.inf',
      '/opt/x --a b', 'a b  c', 'http://x:8080/y', 'a:b', 'a: b', 'a #b', 'a#b', 'x,y', '(a)', '%x', '@x', 'a@b', '-x', '- x',
      '"q"', '"a # b"', '"a\\"b"', '"a\\\\b"', "'s'", "'it''s'", '""', "''", '[]', '[a, b]', '[a,b]', '[1, 02]', '[a, [b]]', '[a, b: c]',
      '[x@y, 1]', '[true, null]', '{}', '{a: 1}', '&a x', '*a', '!t x', '|', '>', 'a ', '2026-01-01', '12:30', '0x1F', '0o17', '+1', '-1',
      '1_000', 'é', 'a\tb',
    ]
    // Mostly values of the subset, some from anywhere in the list above.
    const common = ['task', 'db', '0', '42', 'true', 'false', '/opt/x --a b', 'a b  c', 'http://x:8080/y', 'a:b', '"a # b"', "'s'", '[a, b]', '[x@y, 1]', '[]', 'a@b', '(a)']
    const value = () => (random() < 0.75 ? pick(common) : pick(scalars))
    // Mappings nested as a writer would indent them (by 2, sometimes by another step), then now and
    // then one line indented off by one.
    const block = (depth: number, indent: string, step: string): string[] => {
      const lines: string[] = []
      const count = 1 + Math.floor(random() * 4)
      for (let i = 0; i < count; i++) {
        const key = pick(keys)
        const r = random()
        if (r < 0.2 && depth < 3) lines.push(`${indent}${key}:`, ...block(depth + 1, indent + step, random() < 0.9 ? step : ' '))
        else if (r < 0.35) lines.push(`${indent}${key}:`, ...Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${indent}${random() < 0.9 ? step : ''}- ${value()}`))
        else if (r < 0.4) lines.push('')
        else lines.push(`${indent}${key}: ${value()}`)
      }
      return lines
    }
    let read = 0
    for (let round = 0; round < 4000; round++) {
      const lines = block(0, '', '  ')
      if (random() < 0.1) {
        const at = Math.floor(random() * lines.length)
        lines[at] = ` ${lines[at]}`
      }
      const text = `${lines.join('\n')}${random() < 0.8 ? '\n' : ''}`
      if (plain(text) !== undefined) read++
      agrees(text)
    }
    // The generator reaches the subset often enough to mean something.
    expect(read).toBeGreaterThan(500)
  })
})
