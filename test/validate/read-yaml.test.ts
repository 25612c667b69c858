import { describe, expect, it } from 'vitest'
import { DEFAULT_YAML_LIMITS, readYaml } from '../../src/core/yaml/read-yaml.js'

const read = (text: string | Uint8Array, limits = DEFAULT_YAML_LIMITS) =>
  readYaml('f.yaml', typeof text === 'string' ? Buffer.from(text) : text, limits)

/** The values and positions the validation tests rely on, read directly. */
describe('readYaml: YAML 1.2 core schema values', () => {
  it('reads the YAML 1.1 traps as YAML 1.2 does', () => {
    const { parsed, diagnostics } = read(
      'a: no\nb: yes\nc: on\nd: 1.10\ne: 0755\nf: 0o755\ng: ~\nh: "1.10"\ni: 1_000\nj: 0x1F\n',
    )
    expect(diagnostics).toEqual([])
    expect(parsed!.value).toEqual({
      a: 'no',
      b: 'yes',
      c: 'on',
      d: 1.1,
      e: 755,
      f: 493,
      g: null,
      h: '1.10',
      i: '1_000',
      j: 31,
    })
    expect(parsed!.sourceOf(['d'])).toBe('1.10')
    expect(parsed!.sourceOf(['e'])).toBe('0755')
    expect(parsed!.sourceOf(['missing'])).toBeUndefined()
  })

  it('positions after a byte order mark and with CRLF line ends are those of the visible text', () => {
    const plain = read('a:\n  b: [x, y]\n').parsed!
    for (const variant of [
      '\uFEFFa:\n  b: [x, y]\n',
      'a:\r\n  b: [x, y]\r\n',
      '\uFEFFa:\r\n  b: [x, y]\r\n',
    ]) {
      const parsed = read(variant).parsed!
      expect(parsed.value).toEqual({ a: { b: ['x', 'y'] } })
      for (const path of [['a'], ['a', 'b'], ['a', 'b', 1]])
        expect(parsed.positionOf(path)).toEqual(plain.positionOf(path))
    }
    expect(plain.positionOf(['a', 'b', 1])).toEqual({ line: 2, column: 10 })
    expect(plain.positionOf(['a', 'b'], { key: true })).toEqual({ line: 2, column: 3 })
  })

  it('a file over maxBytes is refused without being parsed', () => {
    const { parsed, diagnostics } = read('a: [unclosed', { ...DEFAULT_YAML_LIMITS, maxBytes: 8 })
    expect(parsed).toBeUndefined()
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        code: 'input-too-large',
        file: 'f.yaml',
        line: 1,
        column: 1,
        message: 'f.yaml is 12 bytes, over the limit of 8',
        hint: 'split the file; Gantry refuses oversized files before parsing them',
      },
    ])
  })

  it('prototype keys never reach an object', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort()
    const { parsed, diagnostics } = read(
      'a:\n  __proto__:\n    polluted: 1\nb: [{constructor: {prototype: {polluted: 1}}}]\n',
    )
    expect(parsed).toBeUndefined()
    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`).sort()).toEqual([
      'forbidden-key 2:3',
      'forbidden-key 4:20',
      'forbidden-key 4:6',
    ])
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('a file with very many problems lists the first twenty and counts the rest', () => {
    const text = Array.from({ length: 50 }, (_, i) => `k${i}: !tag${i} v`).join('\n')
    const { diagnostics } = read(text)
    expect(diagnostics).toHaveLength(21)
    expect(diagnostics[19]).toMatchObject({ line: 20, message: 'Unresolved tag: !tag19' })
    expect(diagnostics[20]).toMatchObject({
      line: 1,
      column: 1,
      message: 'f.yaml has 30 more problems than the 20 listed',
    })
  })
})

describe('readYaml: keys that become the same JavaScript property', () => {
  // 1, 1.0, 0x1 and "1" are different YAML scalars but one property name once the map is an object: the
  // later one would silently replace the earlier.
  it.each([
    ['1 and 1.0', 'spec:\n  1: a\n  1.0: b\n', 3],
    ['1 and 0x1', 'spec:\n  1: a\n  0x1: b\n', 3],
    ['1 and "1"', 'spec:\n  1: a\n  "1": b\n', 3],
    ['0o1 and 1', 'spec:\n  0o1: a\n  1: b\n', 3],
    ['null and ""', '? \n: a\n"": b\n', 3],
  ])('%s: duplicate-key at the second key', (_name, text, line) => {
    const { diagnostics } = read(text)
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['duplicate-key', line]])
    expect(diagnostics[0]!.message).toMatch(/appears twice in this map \(first on line \d\)$/)
  })

  it('1.5 and 1.50 are one key; 1 and 1.5 are two', () => {
    expect(read('1.5: a\n1.50: b\n').diagnostics.map((d) => d.code)).toEqual(['duplicate-key'])
    expect(read('1: a\n1.5: b\n').diagnostics).toEqual([])
  })
})
