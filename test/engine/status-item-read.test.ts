import { isDeepStrictEqual } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import { writtenItemValue } from '../../src/core/promotion/item-read.js'
import { renderItemFile } from '../../src/core/promotion/environment-content.js'
import { readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'
import { seededRandom as random } from '../support/seeded-random.js'

// Status finds the references of installed items without a YAML parser when they are as Gantry's apply writes
// them (writtenItemValue): it builds the value readYaml would build, and declines anything else, which the
// full read then reads as before.

const bytes = (text: string) => new TextEncoder().encode(text)

/** What readYaml makes of the text, read the positional way (the parser every other read is checked against). */
function fullRead(text: string): { value: unknown } | undefined {
  const previous = setYamlReader('positional')
  try {
    const read = readYaml('definitions/task/app.yaml', bytes(text))
    return read.parsed && read.diagnostics.length === 0 ? { value: read.parsed.value } : undefined
  } finally {
    setYamlReader(previous)
  }
}
afterAll(() => setYamlReader('fast'))

const task = (spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  description: 'Task for app-1 import balances: SELECT count(*) FROM t WHERE a >= b - 4',
  kind: 'task',
  name: 'app-1-index',
  spec: {
    agent: 'app-1-pool',
    connection: 'app-1-api',
    priority: 'critical',
    request: { expectStatus: 204, method: 'PUT', path: '/api/v2/archive' },
    successors: ['app-1-a', 'app-1-b'],
    timeoutMinutes: 5,
    type: 'http',
    variables: [],
    options: {},
    steps: [{ name: 'one', run: 'make all', env: { mode: 'fast', level: 3 } }, { name: 'two', with: ['x', 'y'] }, 'plain'],
    owner: 'team@example.com',
    enabled: true,
    retries: null,
    label: '1.2.3',
    version: '10',
    ...spec,
  },
})

test('items as renderItemFile writes them are read to the value readYaml builds', () => {
  const shapes = [
    task(),
    task({ successors: [], request: {} }),
    task({ nested: { deeper: { deepest: { list: [{ a: 1 }, { b: [{ c: 'd' }] }] } } } }),
    task({ quoted: 'yes', number: '204', empty: '', colon: 'a: b', hash: 'a #b', tilde: '~' }),
    { kind: 'workflow', name: 'w', spec: { tasks: ['a', 'b'] } },
  ]
  let taken = 0
  for (const shape of shapes) {
    const text = renderItemFile(shape)
    const value = writtenItemValue(bytes(text))
    const full = fullRead(text)
    expect(full, text).toBeDefined()
    // Declined (a form the read does not take, as `a: b` needs quotes it leaves to readYaml), or the same value.
    if (value === undefined) continue
    taken++
    expect(isDeepStrictEqual(value, full!.value), text).toBe(true)
    expect(value).toEqual(shape)
  }
  expect(taken).toBeGreaterThanOrEqual(4)
})

test('forms YAML reads otherwise than a glance suggests, and forms Gantry does not write, are declined', () => {
  const base = renderItemFile(task())
  expect(writtenItemValue(bytes(base))).toBeDefined()
  for (const [from, to] of [
    ['timeoutMinutes: 5', 'timeoutMinutes: 0x1f'],
    ['timeoutMinutes: 5', 'timeoutMinutes: 007'],
    ['timeoutMinutes: 5', 'timeoutMinutes: 1e3'],
    ['timeoutMinutes: 5', 'timeoutMinutes: 1.5'],
    ['timeoutMinutes: 5', 'timeoutMinutes: 12345678901234567890'],
    ['timeoutMinutes: 5', 'timeoutMinutes: -5'],
    ['timeoutMinutes: 5', 'timeoutMinutes: .5'],
    ['retries: null', 'retries: ~'],
    ['retries: null', 'retries: Null'],
    ['enabled: true', 'enabled: TRUE'],
    ['type: http', 'type: http # a comment'],
    ['type: http', 'type: "ht\\ttp"'],
    ['type: http', "type: 'http'"],
    ['type: http', 'type: http:'],
    ['type: http', 'type: http '],
    ['type: http', 'type:'],
    ['type: http', 'type: &a http'],
    ['type: http', 'type: !!str http'],
    ['type: http', 'type: |\n    http'],
    ['type: http', 'type: [http]'],
    ['type: http', 'type: http\n    more'],
    ['type: http', 'type: http\n  type: ftp'],
    ['type: http', '__proto__: http'],
    ['type: http', 'constructor: http'],
    ['type: http', 'ty-pe: http'],
    ['type: http', '"type": http'],
    ['type: http', 'type : http'],
    ['type: http', 'type:http'],
    ['  agent: app-1-pool', '  agent: *app'],
    ['  agent: app-1-pool', '  agent: app-1-pool\n\n'],
    ['  successors:\n    - app-1-a', '  successors:\n  - app-1-a'],
    ['  successors:\n    - app-1-a', '  successors:\n    - - app-1-a'],
    ['  successors:\n    - app-1-a', '  successors:\n     - app-1-a'],
    ['    - app-1-b', '    - app-1-b\n   - app-1-c'],
    ['kind: task', '# a comment\nkind: task'],
  ]) {
    const text = base.replace(from!, to!)
    expect(text).not.toBe(base)
    expect(writtenItemValue(bytes(text)), to).toBeUndefined()
  }
  expect(writtenItemValue(bytes(base.replace(/\n$/, '')))).toBeUndefined()
  expect(writtenItemValue(bytes(base.replace(/\n/g, '\r\n')))).toBeUndefined()
  expect(writtenItemValue(bytes(`\ufeff${base}`))).toBeUndefined()
  expect(writtenItemValue(bytes(`---\n${base}`))).toBeUndefined()
  expect(writtenItemValue(bytes(`%YAML 1.1\n---\n${base}`))).toBeUndefined()
  expect(writtenItemValue(bytes(`${base}---\n${base}`))).toBeUndefined()
  expect(writtenItemValue(bytes('- a\n- b\n'))).toBeUndefined()
  expect(writtenItemValue(bytes('\n'))).toBeUndefined()
  expect(writtenItemValue(bytes(''))).toBeUndefined()
  expect(writtenItemValue(bytes(base.replace('type: http', `type: ${'h'.repeat(1100)}`)))).toBeUndefined()
  // Deeper than the read goes: left to readYaml, which reads it (or refuses it past its own limit).
  let deep = 'leaf: 1\n'
  for (let level = 0; level < 20; level++) deep = `level:\n${deep.replace(/^/gm, '  ')}`
  expect(fullRead(deep)).toBeDefined()
  expect(writtenItemValue(bytes(deep))).toBeUndefined()
})

test('on mutated items the read declines or builds exactly what readYaml builds, never another value', () => {
  const r = random(13)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!
  const pieces = [' ', '  ', '\n', '\n  ', '\n    ', ':', ': ', '-', '- ', '#', ' #', '"', "'", '\\', '[', ']', '{', '}', '[]', '{}', ',', '&a', '*a', '!', '?', '|', '>', '%', '~', '0', '1', '0x', '0o', 'e5', '.', '.5', 'null', 'true', 'False', 'yes', '/', '(', ')', '=', '@', '__proto__', '\t', '\r', '---', '...', '\u00e9', '\u0085']
  const shapes = [renderItemFile(task()), renderItemFile(task({ steps: [{ a: [{ b: { c: ['d'] } }] }], successors: [] }))]
  let taken = 0
  for (let round = 0; round < 5000; round++) {
    let text = pick(shapes)
    for (let edits = 1 + Math.floor(r() * 3); edits > 0; edits--) {
      const at = Math.floor(r() * text.length)
      const op = r()
      if (op < 0.4) text = text.slice(0, at) + pick(pieces) + text.slice(at)
      else if (op < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3))
      else {
        // A whole line repeated or moved, or indented otherwise: duplicate keys, keys and items at other levels.
        const lines = text.split('\n')
        const line = pick(lines)
        lines.splice(Math.floor(r() * lines.length), 0, r() < 0.3 ? line : r() < 0.5 ? line.trimStart() : `  ${line}`)
        text = lines.join('\n')
      }
    }
    const value = writtenItemValue(bytes(text))
    if (value === undefined) continue
    taken++
    const full = fullRead(text)
    expect(full, text).toBeDefined()
    expect(isDeepStrictEqual(value, full!.value), text).toBe(true)
  }
  // The mutations leave many texts in the forms the read takes: the comparison is not vacuous.
  expect(taken).toBeGreaterThan(300)
})
