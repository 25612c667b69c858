import { afterEach, describe, expect, it } from 'vitest'
import { commentLineSearches, fastYamlValue } from '../../src/core/yaml/fast-yaml.js'
import { DEFAULT_YAML_LIMITS, type YamlReader, readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'

// test/setup.ts sets the cross-check reader for every test; these tests pick the reader themselves.
const setupReader = setYamlReader('cross-check')
afterEach(() => setYamlReader(setupReader))

const readWith = (reader: YamlReader, text: string) => {
  setYamlReader(reader)
  return readYaml('junk.yaml', Buffer.from(text))
}

const HEAD = 'kind: calendar\nname: junk\nspec:\n  x:\n'
/** A definition whose spec holds a block list of `n` flow collections, one a line. */
const flowLines = (n: number, item = '[]') => HEAD + `    - ${item}\n`.repeat(n)

/** Characters the fast read's search for comment lines in flow collections reads for a text. */
function searched(text: string): number {
  const before = commentLineSearches.chars
  expect(fastYamlValue(text, DEFAULT_YAML_LIMITS)).toBeDefined()
  return commentLineSearches.chars - before
}

describe('a file of many flow collections is read in linear time', () => {
  for (const item of ['[]', '{}', '[a]', '[[a], {b: c}]', '["[{", \'}]\']']) {
    it(`reads each character about once for lines of ${item}`, () => {
      // Before, each outermost flow collection searched for a comment line on to the end of the text: 2,000
      // lines of `- []` read about 20,000,000 characters, 4,000 lines four times that.
      for (const n of [2000, 4000]) {
        const text = flowLines(n, item)
        expect(searched(text)).toBeLessThanOrEqual(2 * text.length)
      }
    })
  }

  it('reads flow collections as map values and many on a line about once', () => {
    const values = HEAD + Array.from({ length: 4000 }, (_, i) => `    k${i}: []\n`).join('')
    // Lines under 1,024 characters: a longer one sends the file to the positional read.
    const oneLine = `${HEAD}${`    - [${'[], {}, '.repeat(100)}]\n`.repeat(40)}`
    for (const text of [values, oneLine]) expect(searched(text)).toBeLessThanOrEqual(2 * text.length)
  })

  it('reads a 1 MiB file of `- []` lines with the value and no diagnostics', () => {
    const n = Math.floor((DEFAULT_YAML_LIMITS.maxBytes - HEAD.length) / '    - []\n'.length)
    const text = flowLines(n)
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFAULT_YAML_LIMITS.maxBytes)
    const read = readWith('fast', text)
    expect(read.diagnostics).toEqual([])
    const value = read.parsed!.value as { spec: { x: unknown[] } }
    expect(value.spec.x).toHaveLength(n)
    expect(value.spec.x.every((item) => Array.isArray(item) && item.length === 0)).toBe(true)
  })

  it('gives the positional read its value for a smaller file (the cross-check)', () => {
    const text = flowLines(2000, '[a, {b: c}]')
    const read = readWith('cross-check', text)
    expect(read.diagnostics).toEqual([])
    expect((read.parsed!.value as { spec: { x: unknown[] } }).spec.x[1999]).toEqual(['a', { b: 'c' }])
  })
})

describe('a comment line at column 1 in a flow collection is still found', () => {
  // The search stops at the end of each collection: what lies inside one is still looked at, and only that.
  const inLast = `${flowLines(3000)}    - {a: "x"\n# c\n      }\n`
  const inFirst = `${HEAD}    - {a: "x"\n# c\n      }\n${'    - []\n'.repeat(3000)}`
  const after = `${flowLines(3000)}# c\n`

  for (const [name, text] of [
    ['in the last of many collections', inLast],
    ['in the first of many collections', inFirst],
  ] as const) {
    it(`declines and reports it with the positional read's diagnostics: ${name}`, () => {
      expect(fastYamlValue(text, DEFAULT_YAML_LIMITS)).toBeUndefined()
      const read = readWith('fast', text)
      expect(read.diagnostics.length).toBeGreaterThan(0)
      expect(read.diagnostics).toEqual(readWith('positional', text).diagnostics)
      const line = text.slice(0, text.indexOf('\n# c')).split('\n').length + 1
      expect(read.diagnostics[0]).toMatchObject({ file: 'junk.yaml', line })
    })
  }

  it('reads a comment line after the collections, outside them, the fast way', () => {
    expect(fastYamlValue(after, DEFAULT_YAML_LIMITS)).toBeDefined()
    expect(readWith('cross-check', after).diagnostics).toEqual([])
  })
})
