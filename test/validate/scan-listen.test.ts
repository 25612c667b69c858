import { describe, expect, it } from 'vitest'
import { SCAN_CONTROL, SCAN_DECLINE, SCAN_LISTEN, fastYamlValue, scanText } from '../../src/core/yaml/fast-yaml.js'
import { DEFAULT_YAML_LIMITS, readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'
import { Random } from '../../bench/random.js'

/** Whether the fast read runs its listener on a text: what scanText tells (SCAN_LISTEN, or a flow collection). */
const listens = (text: string): boolean => {
  const scanned = scanText(text)
  return (scanned.flags & SCAN_LISTEN) !== 0 || scanned.openings > 0
}

/** The positional read's answer: its value, or that it reports something. */
function positional(text: string): { value?: unknown; reports: boolean } {
  const previous = setYamlReader('positional')
  try {
    const read = readYaml('t.yaml', new TextEncoder().encode(text), DEFAULT_YAML_LIMITS)
    return read.diagnostics.length > 0 ? { reports: true } : { value: read.parsed?.value, reports: false }
  } finally {
    setYamlReader(previous)
  }
}

describe('the fast read without its listener', () => {
  // Each construct the listener declines, in a text that holds nothing else the scan declines: the scan must
  // keep the listener for it.
  it.each([
    ['an anchor', 'a: &x 1\nb: 2\n'],
    ['an anchor and its alias', 'a: &x 1\nb: *x\n'],
    ['a tag in the middle of a value', 'a: b!c\n'],
    ['a comment right after a closing quote', "a: ' '#c\n"],
    ['a comment right after a closing double quote', 'a: " "#c\n'],
    ['a block list, then a key that starts with a colon', 'a:\n  - 1\n:x: 2\n'],
    ['a block map, then a key that starts with a colon', 'a:\n  b: 1\n:x: 2\n'],
    ['a nested list, then a colon after indentation', 'a:\n  b:\n    - 1\n  :x: 2\n'],
    ['a colon after a comment line', 'a:\n  - 1\n# c\n:x: 2\n'],
    ['a colon after \\r\\n', 'a:\r\n  - 1\r\n:x: 2\r\n'],
    ['a flow list as a key', '[a, b]: c\n'],
    ['a flow map', 'a: {b: 1}\n'],
  ])('keeps the listener for %s', (_name, text) => {
    expect(scanText(text).flags & SCAN_DECLINE).toBe(0)
    expect(listens(text)).toBe(true)
  })

  it.each([
    ['a definition', 'kind: task\nname: t\nspec:\n  type: command\n  command: run --all\n  retries: 3\n'],
    ['lists of maps', 'items:\n  - name: a\n    port: 80\n  - name: b\n    url: "https://x.example/a?b=c"\n'],
    ['a colon inside values and keys', 'a: "x: y"\ntime: 10:30\nb:c: d\n'],
    ['a comment after a space', 'a: "b" # c\n'],
    ['a block scalar', 'notes: |\n  one: two\n  three\n'],
  ])('reads %s without the listener, to the value the positional read gives', (_name, text) => {
    expect(scanText(text).flags & (SCAN_DECLINE | SCAN_CONTROL)).toBe(0)
    expect(listens(text)).toBe(false)
    const fast = fastYamlValue(text, DEFAULT_YAML_LIMITS)
    expect(fast).toBeDefined()
    expect(fast!.value).toEqual(positional(text).value)
  })

  // Block documents built from the pieces that make the listener decline (colons first on a line, anchors,
  // aliases, quotes then `#`, indentation that closes collections): whatever the fast read accepts, with or
  // without its listener, the positional read reads to the same value without a finding.
  it('agrees with the positional read on 20,000 generated block documents', () => {
    const rng = new Random('scan-listen')
    const pieces = ['a', 'b', 'x y', ':x', ': ', ':', '- ', '-', '&a ', '*a', "'q'", '"q"', '#c', ' #c', '1', '0x1', '~', '"#fff"']
    const mismatches: string[] = []
    let withoutListener = 0
    for (let n = 0; n < 20_000 && mismatches.length < 5; n++) {
      let text = ''
      const lines = rng.int(1, 6)
      for (let l = 0; l < lines; l++) {
        text += ' '.repeat(2 * rng.int(0, 2))
        const count = rng.int(1, 3)
        for (let p = 0; p < count; p++) text += pieces[rng.int(0, pieces.length - 1)]
        if (rng.chance(0.6)) text += `: ${pieces[rng.int(0, pieces.length - 1)]}`
        text += '\n'
      }
      const fast = fastYamlValue(text, DEFAULT_YAML_LIMITS)
      if (!fast) continue
      if (!listens(text)) withoutListener++
      const full = positional(text)
      if (full.reports || JSON.stringify(full.value) !== JSON.stringify(fast.value)) mismatches.push(JSON.stringify(text))
    }
    expect(mismatches).toEqual([])
    // The generator does reach texts read without the listener.
    expect(withoutListener).toBeGreaterThan(100)
  })
})
