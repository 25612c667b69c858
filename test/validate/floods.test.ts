import { afterAll, describe, expect, it } from 'vitest'
import { removeTempDirs } from '../support/fixtures.js'
import { CANARY, baseRepo, diagnosticsOf, expectCanary, expectOne, validate } from './base-repo.js'

afterAll(removeTempDirs)

const FILE = 'definitions/agent/flood.yaml'

/** Validates the base repository with `files` and the canary: exit 1, and the canary still reported. */
async function validateWith(files: Record<string, string>) {
  const { code, result, stderr } = await validate(baseRepo({ ...files, [CANARY.file]: CANARY.content }))
  expect(stderr).toBe('')
  expect(code).toBe(1)
  expectCanary(result)
  return result
}

describe('floods of findings stay bounded', () => {
  it('70,000 unknown fields in one file: the first 100 listed, in order, and the rest counted', async () => {
    const keys = Array.from({ length: 70_000 }, (_, i) => `  k${i}: 1\n`).join('')
    const result = await validateWith({ [FILE]: `kind: agent\nname: flood\nspec:\n  host: h\n${keys}` })
    const found = diagnosticsOf(result, FILE)
    expect(found).toHaveLength(101)
    const listed = found.filter((d) => d.code === 'schema')
    expect(listed).toHaveLength(100)
    // Positions found through the map's key index: each unknown key at its own line.
    expect(listed.map((d) => d.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 5))
    const more = diagnosticsOf(result, FILE, 'more-findings')
    expect(more).toHaveLength(1)
    expect(more[0]).toMatchObject({ severity: 'error', line: 105, column: 3 })
    expect(more[0]!.message).toContain('69900 more findings')
    expect(result.errors).toBe(102)
  })

  it('300,000 wrong list elements: no stack overflow, the rest counted', async () => {
    const list = Array(300_000).fill('1').join(',')
    const many = await validateWith({
      'kinds/agent.schema.json': JSON.stringify({
        type: 'object',
        properties: { host: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
      }),
      [FILE]: `kind: agent\nname: flood\nspec:\n  host: h\n  tags: [${list}]\n`,
    })
    expect(diagnosticsOf(many, FILE, 'schema')).toHaveLength(100)
    expect(diagnosticsOf(many, FILE, 'more-findings')[0]!.message).toContain('299900 more findings')
  })

  it('a value of 400,000 characters is shortened in the message', async () => {
    const long = 'y'.repeat(400_000)
    const result = await validateWith({ [FILE]: `kind: agent\nname: flood\nspec:\n  host: h\n  port: "${long}"\n` })
    const found = expectOne(result, FILE, 'schema', 5, 9)
    expect(found.message.length).toBeLessThan(500)
    expect(found.message).toMatch(/^spec\.port must be an integer, not string "y+…\[\d+ characters\]…y+"$/)
  })
})

describe('syntax errors point where the author must look', () => {
  it('an unclosed quote is reported at the quote, not at the end of the file', async () => {
    const result = await validateWith({
      [FILE]: `kind: agent\nname: flood\nspec:\n  host: "h\n  port: 1\n${'x: 1\n'.repeat(20)}`,
    })
    const found = expectOne(result, FILE, 'yaml-syntax', 4, 9)
    expect(found.message).toBe('this " quote is never closed')
  })

  it('an unclosed single quote in a flow list too', async () => {
    const result = await validateWith({ [FILE]: `kind: agent\nname: flood\nspec:\n  tags: ['a, b]\n  host: h\n` })
    const found = diagnosticsOf(result, FILE, 'yaml-syntax')
    expect(found[0]).toMatchObject({ line: 4, column: 10, message: "this ' quote is never closed" })
  })
})
