import { execFileSync } from 'node:child_process'
import { readdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { RE2JS } from 're2js'
import { afterAll, describe, expect, it, test, vi } from 'vitest'
import { writeBundleFile } from '../../src/commands/safe-files.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { readYaml } from '../../src/core/yaml/read-yaml.js'
import { stringify } from 'yaml'
import { BASE, sourceFiles } from '../engine/fixture.js'
import { runCli } from '../support/cli.js'
import { commitFiles, makeGitRepo, removeTempDirs, tempDir, writeFiles } from '../support/fixtures.js'
import { type JsonDiagnostic, baseRepo, diagnosticsOf, validate } from '../validate/base-repo.js'

/**
 * Someone who controls a pull request's files (kind schemas, packages, definitions, gantry.yaml, names, links)
 * or pushes to an environment branch, and a new user making honest mistakes: each attack by name, run through
 * the CLI on a real repository where it can be.
 */

afterAll(removeTempDirs)

const AGENT = 'kinds/agent.schema.json'
const LINUX = 'definitions/agent/linux.yaml'
const kind = (schema: object) => `${JSON.stringify({ type: 'object', properties: { host: { type: 'string' } }, ...schema }, null, 2)}\n`

async function agentSchemaFindings(schema: string, extra: Record<string, string> = {}): Promise<{ code: number; found: JsonDiagnostic[]; all: JsonDiagnostic[] }> {
  const { code, result } = await validate(baseRepo({ [AGENT]: schema, ...extra }))
  return { code, found: diagnosticsOf(result, AGENT), all: result.diagnostics }
}

/** The line of the first occurrence of `text` in `content` (1-based). */
const lineOf = (content: string, text: string) => content.slice(0, content.indexOf(text)).split('\n').length

describe('kind schemas: $ref', () => {
  it('"allOf": [{"$ref": "#"}] (a schema that is itself) is refused at its line, not a stack overflow on every definition', async () => {
    const schema = kind({ allOf: [{ $ref: '#' }] })
    const { code, result, stderr } = await validate(baseRepo({ [AGENT]: schema }))
    expect(code).toBe(1)
    const found = diagnosticsOf(result, AGENT)
    expect(found.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', lineOf(schema, '"$ref"')]])
    expect(found[0]!.message).toMatch(/recursive/)
    // The definitions of the kind are not checked against what could not load.
    expect(diagnosticsOf(result, LINUX).map((d) => d.code)).toEqual(['unknown-kind'])
    expect(stderr).not.toMatch(/call stack|RangeError/)
  })

  it('recursion through a property, and two definitions that refer to each other', async () => {
    for (const schema of [
      kind({ properties: { host: { type: 'string' }, labels: { anyOf: [{ $ref: '#' }, { $ref: '#' }] } } }),
      kind({ definitions: { a: { $ref: '#/definitions/b' }, b: { anyOf: [{ $ref: '#/definitions/a' }] } }, properties: { host: { $ref: '#/definitions/a' } } }),
    ]) {
      const { found } = await agentSchemaFindings(schema)
      expect(found.map((d) => d.code)).toEqual(['unsafe-schema'])
    }
  })

  it('anyOf of two references to the next level, 24 levels deep (2^24 checks per value): refused before any definition is checked', async () => {
    const definitions: Record<string, unknown> = {}
    for (let i = 0; i < 24; i++) definitions[`l${i}`] = { anyOf: [{ $ref: `#/definitions/l${i + 1}` }, { $ref: `#/definitions/l${i + 1}` }] }
    definitions.l24 = { type: 'number' }
    const { found } = await agentSchemaFindings(kind({ definitions, properties: { host: { type: 'string' }, port: { $ref: '#/definitions/l0' } } }))
    expect(found.map((d) => d.code)).toEqual(['unsafe-schema'])
    expect(found[0]!.message).toMatch(/more than 20000 subschemas/)
  })

  it('a chain of 5,000 references is refused at the first one too deep, not by a stack overflow', async () => {
    const definitions: Record<string, unknown> = {}
    for (let i = 0; i < 5000; i++) definitions[`c${i}`] = { $ref: `#/definitions/c${i + 1}` }
    definitions.c5000 = { type: 'string' }
    const { found } = await agentSchemaFindings(kind({ definitions, properties: { host: { $ref: '#/definitions/c0' } } }))
    expect(found.map((d) => d.code)).toEqual(['unsafe-schema'])
  })

  it('references used the ordinary way still work (shared definitions, several uses)', async () => {
    const { code, all } = await agentSchemaFindings(
      kind({ definitions: { text: { type: 'string', minLength: 1 } }, properties: { host: { $ref: '#/definitions/text' }, mode: { $ref: '#/definitions/text' } } }),
      { [LINUX]: 'kind: agent\nname: linux\nspec:\n  host: a\n  mode: ""\n' },
    )
    expect(code).toBe(1)
    expect(all.map((d) => [d.code, d.file, d.line])).toEqual([['schema', LINUX, 5]])
  })

  it('an unknown format reached only through a $ref is refused, not ignored', async () => {
    const schema = kind({ 'x-shared': { f: { type: 'string', format: 'nonsense' } }, properties: { host: { $ref: '#/x-shared/f' } } })
    const { found } = await agentSchemaFindings(schema)
    expect(found.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', lineOf(schema, '"format"')]])
  })

  it('a lookahead pattern reached only through a $ref is refused at the pattern', async () => {
    const schema = kind({ 'x-shared': { p: { type: 'string', pattern: '^(?=a)a+$' } }, properties: { host: { $ref: '#/x-shared/p' } } })
    const { found } = await agentSchemaFindings(schema)
    expect(found.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', lineOf(schema, '"pattern"')]])
  })

  it('a $ref to a URL is refused at its line and nothing is fetched', async () => {
    const schema = kind({ properties: { host: { $ref: 'http://127.0.0.1:9/evil.json' } } })
    const { found } = await agentSchemaFindings(schema)
    expect(found.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', lineOf(schema, '"$ref"')]])
  })

  it('a nested $id (which would move what "#/..." points at) is refused', async () => {
    const schema = kind({ properties: { host: { $id: 'https://example.com/host', type: 'string' } } })
    const { found } = await agentSchemaFindings(schema)
    expect(found.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', lineOf(schema, '"$id"')]])
  })

  it('a $ref to another kind\'s schema file is refused at its line', async () => {
    const { found } = await agentSchemaFindings(kind({ properties: { host: { $ref: 'kinds/credential.schema.json' } } }))
    expect(found.map((d) => d.code)).toEqual(['unsafe-schema'])
  })
})

describe('kind schemas: keys written twice', () => {
  it('a second "pattern" (or "x-gantry-ref") that JSON readers keep and a reviewer may miss: duplicate-key at it', async () => {
    const schema = `{
  "type": "object",
  "properties": {
    "host": {
      "type": "string",
      "pattern": "^[a-z]+$",
      "p\\u0061ttern": "^.*$"
    },
    "port": { "type": "integer", "x-gantry-ref": "agent", "x-gantry-ref": "credential" }
  }
}
`
    const { code, found } = await agentSchemaFindings(schema)
    expect(code).toBe(1)
    expect(found.map((d) => [d.code, d.line, d.column])).toEqual([
      ['duplicate-key', 7, 7],
      ['duplicate-key', 9, 59],
    ])
  })

  it('the same key in two objects, and a key equal to a value, are not duplicates', async () => {
    const { code } = await agentSchemaFindings(
      '{"type": "object", "properties": {"host": {"type": "string"}, "mode": {"type": "string", "enum": ["type", "properties"]}}}',
    )
    expect(code).toBe(0)
  })
})

describe('kind schemas: patterns by the thousand', () => {
  it('4,000 different patterns (ajv\'s compiler is quadratic in them: 7 s) are refused at the 501st', async () => {
    const properties: Record<string, unknown> = {}
    for (let i = 0; i < 4000; i++) properties[`p${i}`] = { type: 'string', pattern: `^a${i}$` }
    const schema = kind({ properties })
    const { found } = await agentSchemaFindings(schema)
    expect(found.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', lineOf(schema, '"^a500$"')]])
    expect(found[0]!.message).toMatch(/more than 500 different patterns/)
  })

  it('one pattern used 300 times is compiled once for the check and once for ajv, not 300 times', () => {
    const compile = vi.spyOn(RE2JS, 'compile')
    try {
      const properties: Record<string, unknown> = {}
      for (let i = 0; i < 300; i++) properties[`p${i}`] = { type: 'string', pattern: '^(\\p{L}{1,100}){1,10}$' }
      const schema = { type: 'object', properties }
      expect(new SchemaRegistry().loadKind(AGENT, JSON.stringify(schema), 'agent', schema)).toEqual([])
      expect(compile.mock.calls.length).toBeLessThanOrEqual(2)
    } finally {
      compile.mockRestore()
    }
  })
})

describe('kind schemas: problems by the hundred', () => {
  it('300 unknown formats: the first 20 at their lines and a count of the rest, the text parsed once (800 took 25 s)', () => {
    const properties: Record<string, unknown> = {}
    for (let i = 0; i < 300; i++) properties[`p${i}`] = { type: 'string', format: `nonsense-${i}` }
    const schema = { type: 'object', properties }
    const text = JSON.stringify(schema, null, 2)
    const found = new SchemaRegistry().loadKind(AGENT, text, 'agent', schema)
    expect(found).toHaveLength(21)
    expect(found[0]).toMatchObject({ code: 'unsafe-schema', line: lineOf(text, '"nonsense-0"') })
    expect(found[19]).toMatchObject({ line: lineOf(text, '"nonsense-19"') })
    expect(found[20]!.message).toMatch(/280 more problems/)
  })
})

describe('messages multiplied', () => {
  it('an enum of 1,000 long values failed by 2,000 list entries: each message names a few values, not all 1,000', () => {
    const schemas = new SchemaRegistry()
    const schema = { type: 'object', properties: { labels: { type: 'array', items: { enum: Array.from({ length: 1000 }, (_, i) => `value-${i}-`.padEnd(100, 'x')) } } } }
    expect(schemas.loadKind(AGENT, JSON.stringify(schema), 'agent', schema)).toEqual([])
    const text = `kind: agent\nname: linux\nspec:\n  labels:\n${'    - bad\n'.repeat(2000)}`
    const parsed = readYaml(LINUX, new TextEncoder().encode(text)).parsed!
    const found = schemas.validateSpec('agent', parsed, (parsed.value as { spec: unknown }).spec)
    expect(found).toHaveLength(2000)
    expect(found[0]!.message).toMatch(/^spec\.labels\[0\] must be one of "value-0-x+…, .* and 990 more$/)
    // 50,000 entries (a 500 kB file) wrote 5 GB of messages and ran out of memory.
    expect(Math.max(...found.map((d) => d.message.length))).toBeLessThan(1000)
  })
})

describe('errors multiplied', () => {
  it('2,100 list entries each missing 1,000 required keys: the first problem, not 2 million errors (5,000 ran out of memory)', () => {
    const schemas = new SchemaRegistry()
    const schema = { type: 'object', properties: { labels: { type: 'array', items: { type: 'object', required: Array.from({ length: 1000 }, (_, i) => `k${i}`) } } } }
    expect(schemas.loadKind(AGENT, JSON.stringify(schema), 'agent', schema)).toEqual([])
    const text = `kind: agent\nname: linux\nspec:\n  labels:\n${'    - {}\n'.repeat(2100)}`
    const parsed = readYaml(LINUX, new TextEncoder().encode(text)).parsed!
    const found = schemas.validateSpec('agent', parsed, (parsed.value as { spec: unknown }).spec)
    expect(found.map((d) => [d.code, d.line])).toEqual([['schema', 5]])
    expect(found[0]!.message).toMatch(/missing the required field "k0".*the first problem found/)
  })

  it('a small definition still gets every error', () => {
    const schemas = new SchemaRegistry()
    const schema = { type: 'object', properties: { labels: { type: 'array', items: { type: 'object', required: ['a', 'b'] } } } }
    schemas.loadKind(AGENT, JSON.stringify(schema), 'agent', schema)
    const text = `kind: agent\nname: linux\nspec:\n  labels:\n${'    - {}\n'.repeat(3)}`
    const parsed = readYaml(LINUX, new TextEncoder().encode(text)).parsed!
    expect(schemas.validateSpec('agent', parsed, (parsed.value as { spec: unknown }).spec)).toHaveLength(6)
  })
})

describe('lists that cost quadratic time', () => {
  it('uniqueItems on a package\'s items is checked in linear time (ajv compared every pair: 80,000 items took 80 s)', () => {
    const schemas = new SchemaRegistry()
    const n = 5000
    const items = Array.from({ length: n }, (_, i) => `agent/a${i}`)
    items.push('agent/a7')
    let reads = 0
    // Counts element reads: ajv's pairwise check reads about n^2 of them, a linear one a few per item.
    const counted = new Proxy(items, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++
        return Reflect.get(target, key, receiver) as unknown
      },
    })
    const text = `name: big\nitems:\n${items.map((i) => `  - ${i}`).join('\n')}\n`
    const parsed = readYaml('packages/big.yaml', new TextEncoder().encode(text)).parsed!
    const found = schemas.validateBuiltIn('package', parsed, { name: 'big', items: counted })
    expect(found.map((d) => [d.code, d.message])).toEqual([['schema', expect.stringMatching(/duplicate items \(items ## 5000 and 7/)]])
    expect(reads).toBeLessThan(10 * n)
  })

  it('a package listing 20,000 items that do not exist: findings folded, one JSON object', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `  - agent/a${i}`).join('\n')
    const { code, result } = await validate(baseRepo({ 'packages/base.yaml': `name: base\nitems:\n${items}\n` }))
    expect(code).toBe(1)
    const mine = diagnosticsOf(result, 'packages/base.yaml')
    expect(mine.length).toBeLessThan(200)
    expect(mine.some((d) => /more/.test(d.message))).toBe(true)
  })
})

describe('YAML tricks in definitions and packages', () => {
  for (const [what, file, content, expected] of [
    ['a merge key <<: *anchor is a plain key, not a merge', LINUX, 'kind: agent\nname: linux\nspec:\n  host: a\n  labels: &l {a: 1}\n  <<: *l\n', [['schema', 6]]],
    ['!!js/function is an unknown tag', LINUX, 'kind: agent\nname: linux\nspec:\n  host: !!js/function "function () { return 1 }"\n', [['yaml-syntax', 4]]],
    ['a local tag !foo', LINUX, 'kind: agent\nname: linux\nspec:\n  host: !foo a\n', [['yaml-syntax', 4]]],
    ['yes is a string in YAML 1.2, refused where a boolean belongs', LINUX, 'kind: agent\nname: linux\nspec:\n  host: a\n  enabled: yes\n', [['schema', 5]]],
    ['a sexagesimal 1:20 is a string', LINUX, 'kind: agent\nname: linux\nspec:\n  host: a\n  port: 1:20\n', [['schema', 5]]],
    ['a duplicate key in a flow map', LINUX, 'kind: agent\nname: linux\nspec: {host: a, host: b}\n', [['duplicate-key', 3]]],
    ['keys 1 and 1.0 in one map', LINUX, 'kind: agent\nname: linux\nspec:\n  host: a\n  labels: {1: a, 1.0: b}\n', [['duplicate-key', 5]]],
    ['null, ~ and "" as keys of one map', LINUX, 'kind: agent\nname: linux\nspec:\n  host: a\n  labels: {"": 1, ~: 2}\n', [['duplicate-key', 5]]],
    ['__proto__ written with an escape', LINUX, 'kind: agent\nname: linux\nspec:\n  host: a\n  labels: {"\\x5f_proto__": {polluted: 1}}\n', [['forbidden-key', 5]]],
    ['a byte order mark and CRLF: positions still right', LINUX, '\ufeffkind: agent\r\nname: linux\r\nspec:\r\n  host: 42\r\n', [['schema', 4]]],
    ['an integer past 2^53 as a port', LINUX, 'kind: agent\nname: linux\nspec:\n  host: a\n  port: 9007199254740993\n', [['schema', 5]]],
    ['a version written as a number (1.10 reads as 1.1)', 'packages/base.yaml', 'name: base\nversion: 1.10\nitems: [agent/linux, credential/db]\n', [['schema', 2]]],
    ['a version with a leading zero', 'packages/base.yaml', 'name: base\nversion: "01"\nitems: [agent/linux, credential/db]\n', [['schema', 2]]],
    ['a version in fullwidth digits', 'packages/base.yaml', 'name: base\nversion: "１"\nitems: [agent/linux, credential/db]\n', [['schema', 2]]],
  ] as const) {
    it(what, async () => {
      const { code, result } = await validate(baseRepo({ [file]: content }))
      expect(code).toBe(1)
      expect(diagnosticsOf(result, file).map((d) => [d.code, d.line])).toEqual(expected)
    })
  }

  it('200,000 empty documents in one file: one finding', async () => {
    const { result } = await validate(baseRepo({ [LINUX]: `kind: agent\nname: linux\nspec:\n  host: a\n${'---\n'.repeat(200_000)}` }))
    expect(diagnosticsOf(result, LINUX).map((d) => d.code)).toEqual(['yaml-syntax'])
  })

  it('a 900 kB value in a message is cut, not echoed whole', async () => {
    const run = await runCli(['validate', '--repo', baseRepo({ [LINUX]: `kind: agent\nname: linux\nspec:\n  host: a\n  port: "${'x'.repeat(900_000)}"\n` }), '--format', 'json'])
    expect(run.code).toBe(1)
    expect(run.stdout.length).toBeLessThan(5_000)
  })
})

describe('names', () => {
  for (const [what, files, file, code] of [
    ['a Cyrillic і in a name that looks like linux', { 'definitions/agent/lіnux.yaml': 'kind: agent\nname: lіnux\nspec:\n  host: a\n' }, 'definitions/agent/lіnux.yaml', 'invalid-name'],
    ['a file differing only in case from another', { 'definitions/agent/Linux.yaml': 'kind: agent\nname: linux\nspec:\n  host: a\n' }, 'definitions/agent/Linux.yaml', 'duplicate-definition'],
    ['a package file in upper case', { 'packages/Base.yaml': 'name: base\nitems: [agent/linux]\n' }, 'packages/Base.yaml', 'path-mismatch'],
    ['a 250-character name', { [`definitions/agent/${'a'.repeat(250)}.yaml`]: `kind: agent\nname: ${'a'.repeat(250)}\nspec:\n  host: a\n` }, `definitions/agent/${'a'.repeat(250)}.yaml`, 'invalid-name'],
  ] as const) {
    it(what, async () => {
      const { result } = await validate(baseRepo(files))
      expect(diagnosticsOf(result, file).map((d) => d.code)).toEqual([code])
    })
  }

  it('a newline and a terminal escape in a file name reach neither the terminal nor the JSON raw', async () => {
    const file = 'definitions/agent/a\nb\u001b[2J.yaml'
    const dir = baseRepo({ [file]: 'kind: agent\nname: x\nspec:\n  host: a\n' })
    const text = await runCli(['validate', '--repo', dir])
    expect(text.code).toBe(1)
    expect(text.stdout + text.stderr).not.toContain('\u001b')
    expect(text.stdout + text.stderr).toContain('a\\u000ab\\u001b[2J.yaml')
    const json = await runCli(['validate', '--repo', dir, '--format', 'json'])
    // eslint-disable-next-line no-control-regex
    expect(json.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/)
    expect(json.json<{ diagnostics: JsonDiagnostic[] }>().diagnostics.map((d) => d.file)).toEqual([file])
  })
})

describe('terminal escapes in values', () => {
  it('plan text and JSON: an override value with a screen-clearing escape and a right-to-left override', async () => {
    const dir = tempDir('gantry-attack-')
    const files = sourceFiles()
    files['packages/base.yaml'] = stringify({ ...BASE, notes: 'Notes \u001b]0;pwned\u0007 \u202etxt.exe', environments: { dev: { set: { 'conn/db': { 'spec.host': 'db\u001b[2J\u202eexample' } } } } })
    writeFiles(dir, files)
    makeGitRepo(dir)
    expect((await runCli(['build', 'base', '--repo', dir, '--format', 'json'])).code).toBe(0)
    const text = await runCli(['plan', 'base', '--env', 'dev', '--repo', dir])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('db\\u001b[2J\\u202eexample')
    const json = await runCli(['plan', 'base', '--env', 'dev', '--repo', dir, '--format', 'json'])
    for (const out of [text.stdout + text.stderr, json.stdout]) {
      expect(out).not.toContain('\u001b')
      expect(out).not.toContain('\u202e')
      expect(out).not.toContain('\u0007')
    }
    // JSON escapes: the value reads back exactly.
    expect(json.stdout).toContain('db\\u001b[2J\\u202eexample')
    expect(JSON.stringify(json.json())).toContain('db\\u001b[2J\u202eexample')
  })
})

describe('paths out of the repository', () => {
  it('a build folder whose name starts with ".." (..out) that is a committed link is not written through', async () => {
    const dir = tempDir('gantry-attack-')
    const outside = tempDir('gantry-outside-')
    symlinkSync(outside, join(dir, '..out'))
    await expect(writeBundleFile(dir, join(dir, '..out', 'base-1.gantry.json'), '{}')).rejects.toThrow(/symbolic link/)
    expect(readdirSync(outside)).toEqual([])
  })

  it('held: a definition that is a link to /etc/passwd is not read', async () => {
    const { result } = await validate(baseRepo({ 'definitions/agent/passwd.yaml': { symlink: '/etc/passwd' } }))
    expect(diagnosticsOf(result, 'definitions/agent/passwd.yaml').map((d) => d.code)).toEqual(['unsafe-path'])
  })

  it('held: a FIFO among the definitions is not opened (it would block the read)', async () => {
    const dir = baseRepo()
    execFileSync('mkfifo', [join(dir, 'definitions/agent/fifo.yaml')])
    const { result } = await validate(dir)
    expect(diagnosticsOf(result, 'definitions/agent/fifo.yaml').map((d) => d.code)).toEqual(['unsafe-path'])
  })
})

describe('environment branches pushed to by hand', () => {
  function engineRepo(): string {
    const dir = tempDir('gantry-attack-')
    writeFiles(dir, sourceFiles())
    makeGitRepo(dir)
    return dir
  }

  it('held: a ledger that is a link to /etc/passwd is refused, not read', async () => {
    const dir = engineRepo()
    commitFiles(dir, 'env/dev', { '.gantry/installed/base.yaml': { symlink: '/etc/passwd' } })
    const run = await runCli(['status', '--repo', dir, '--format', 'json'])
    expect(run.code).toBe(2)
    expect(run.stdout).not.toMatch(/root:/)
    expect(run.json<{ diagnostics: JsonDiagnostic[] }>().diagnostics.map((d) => d.code)).toEqual(['invalid-ledger'])
  })

  // `.gantry` or `.gantry/installed` that is not a folder read as "nothing installed": every package looked never
  // applied, a locked package's items became unowned warnings (no drift error), and apply replaced the file
  // with a folder without a word. Every command that reads the branch refuses it like a corrupt ledger.
  for (const [what, files] of [
    ['.gantry/installed is a link', { '.gantry/installed/base.yaml': null, '.gantry/installed': { symlink: '/etc' } }],
    ['.gantry is a file', { '.gantry/installed/base.yaml': null, '.gantry': 'nothing here' }],
    ['a ledger is a folder', { '.gantry/installed/base.yaml': null, '.gantry/installed/base.yaml/x': 'nothing here' }],
  ] as const) {
    test(`${what} after an apply: refused as a broken ledger by status, plan, apply and remote validation`, async () => {
      const dir = engineRepo()
      expect((await runCli(['build', 'base', '--repo', dir, '--format', 'json'])).code).toBe(0)
      expect((await runCli(['apply', 'base', '--env', 'dev', '--repo', dir, '--format', 'json'])).code).toBe(0)
      commitFiles(dir, 'env/dev', files)
      const tip = execFileSync('git', ['-C', dir, 'rev-parse', 'env/dev'], { encoding: 'utf8' })
      for (const args of [['status'], ['plan', 'base', '--env', 'dev'], ['apply', 'base', '--env', 'dev'], ['validate', '--env', 'dev']]) {
        const run = await runCli([...args, '--repo', dir, '--format', 'json'])
        expect(run.code, args[0]).toBe(2)
        const found = run.json<{ diagnostics: JsonDiagnostic[] }>().diagnostics
        expect(found.map((d) => d.code), args[0]).toEqual(['invalid-ledger'])
        expect(found[0]!.message).toMatch(/^ledger on env\/dev: \.gantry/)
      }
      expect(execFileSync('git', ['-C', dir, 'rev-parse', 'env/dev'], { encoding: 'utf8' })).toBe(tip)
    })
  }
})

describe('gantry.yaml mistakes', () => {
  // Like every refusal in gantry.yaml, these stop the command (exit 2) with the finding at the line.
  async function configFindings(config: string): Promise<{ code: number; found: [string, string | undefined, number | undefined][] }> {
    const { code, result } = await validate(baseRepo({ 'gantry.yaml': config }))
    return { code, found: result.diagnostics.map((d) => [d.code, d.file, d.line]) }
  }

  // Promotion pull requests use branches gantry/promote/<env>/<package>; git cannot hold a branch `gantry`
  // beside them (refs are files and folders), so every promotion into that environment failed at the push.
  for (const branch of ['gantry', 'gantry/dev', 'gantry/promote']) {
    test(`an environment branch ${branch}, where promotion branches live`, async () => {
      const { code, found } = await configFindings(`environments:\n  - name: dev\n    branch: env/dev\n  - name: qa\n    branch: ${branch}\n`)
      expect(code).toBe(2)
      expect(found).toEqual([['invalid-name', 'gantry.yaml', 5]])
    })
  }

  it('held: a branch that only starts with the word (gantry-dev, env/gantry) is accepted', async () => {
    const { code } = await configFindings('environments:\n  - name: dev\n    branch: gantry-dev\n  - name: qa\n    branch: env/gantry\n')
    expect(code).toBe(0)
  })

  // With `paths.definitions: .github`, a kind named `workflows` put definitions at .github/workflows/<name>.yaml
  // on every environment branch, beside Gantry's relay workflow (GitHub reads each as a workflow of that branch).
  for (const folder of ['.github', '.github/workflows', '.github/gantry']) {
    test(`paths into ${folder}, where definitions would land among the workflows of environment branches`, async () => {
      const { code, found } = await configFindings(`environments:\n  - name: dev\n    branch: env/dev\npaths:\n  definitions: ${folder}\n`)
      expect(code).toBe(2)
      expect(found).toEqual([['unsafe-path', 'gantry.yaml', 5]])
    })
  }

  // `paths.definitions: packages` read every package as a definition (11 findings about missing kind and spec).
  for (const [what, paths, line] of [
    ['the same folder as a default one', 'paths:\n  definitions: packages\n', 5],
    ['one written folder inside another', 'paths:\n  kinds: sources\n  definitions: sources/definitions\n', 6],
    ['a written folder that holds another written before it', 'paths:\n  kinds: defs/kinds\n  definitions: defs\n', 6],
    ['a written folder inside one left at its default', 'paths:\n  kinds: definitions/kinds\n', 5],
    ['all three the same: one finding per line', 'paths:\n  definitions: src\n  packages: src\n  kinds: src\n', [6, 7]],
  ] as const) {
    test(`source folders that are the same or nest (${what}): a finding at the line of the later one`, async () => {
      const { code, found } = await configFindings(`environments:\n  - name: dev\n    branch: env/dev\n${paths}`)
      expect(code).toBe(2)
      expect(found).toEqual((typeof line === 'number' ? [line] : line).map((l) => ['unsafe-path', 'gantry.yaml', l]))
    })
  }
})
