import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import {
  type FileContent,
  git,
  makeGitRepo,
  removeTempDirs,
  tempDir,
  writeFiles,
} from '../support/fixtures.js'
import {
  CANARY,
  type ValidateJson,
  baseRepo,
  diagnosticsOf,
  expectCanary,
  expectOne,
  validate,
} from './base-repo.js'

afterAll(removeTempDirs)

const FILE = 'definitions/task/bad.yaml'

/** The task header every bad definition starts with: lines 1 to 5. */
const TASK = 'kind: task\nname: bad\nspec:\n  command: x\n  agent: linux\n'

/** Validates the base repository with `files` and the canary added; the canary must be reported too. */
async function validateWith(files: Record<string, FileContent>): Promise<ValidateJson> {
  const { code, result } = await validate(baseRepo({ ...files, [CANARY.file]: CANARY.content }))
  expect(code).toBe(1)
  expectCanary(result)
  return result
}

/** Nested sequences in flow style: `[[[...x...]]]`. */
const flowNesting = (depth: number) => `${'['.repeat(depth)}x${']'.repeat(depth)}`

describe('bad input: YAML', () => {
  it('a syntax error', async () => {
    const result = await validateWith({ [FILE]: 'kind: task\nname: "bad\\q"\nspec: {}\n' })
    expectOne(result, FILE, 'yaml-syntax', 2, 11)
  })

  it('duplicate keys', async () => {
    const result = await validateWith({ [FILE]: `${TASK}  agent: windows\n` })
    expectOne(result, FILE, 'duplicate-key', 6, 3)
  })

  it('an alias bomb is refused, at the first alias', async () => {
    // Nine levels of nine aliases each: 9^9 strings once expanded.
    const levels = Array.from({ length: 9 }, (_, i) => {
      const name = String.fromCharCode(98 + i)
      const previous = String.fromCharCode(97 + i)
      return `  ${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`
    })
    const bomb = `${TASK}  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n${levels.join('\n')}\n`
    const result = await validateWith({ [FILE]: bomb })
    const d = expectOne(result, FILE, 'input-too-large', 7, 10)
    expect(d.message).toBe('aliases expand past the limit of 100')
  })

  it('too many aliases, even small ones, are refused at the first alias', async () => {
    // Each alias costs a walk of the document when it is resolved: tens of thousands take minutes.
    const count = 150
    const anchors = Array.from({ length: count }, (_, i) => `    - &a${i} v`).join('\n')
    const aliases = Array.from({ length: count }, (_, i) => `    - *a${i}`).join('\n')
    const result = await validateWith({ [FILE]: `${TASK}  values:\n${anchors}\n  copies:\n${aliases}\n` })
    const d = expectOne(result, FILE, 'input-too-large', 8 + count, 7)
    expect(d.message).toBe(`${count} aliases, over the limit of 100`)
  })

  it('a file over the size limit is refused before parsing', async () => {
    // Broken YAML after line 1: had it been parsed, this would be a yaml-syntax error.
    const big = `kind: task\nname: [${'x'.repeat(2 * 1024 * 1024)}\n`
    const result = await validateWith({ [FILE]: big })
    const d = expectOne(result, FILE, 'input-too-large', 1, 1)
    expect(d.message).toBe(`${FILE} is ${Buffer.byteLength(big)} bytes, over the limit of 1048576`)
  })

  it('deep nesting in flow style, at the deepest bracket', async () => {
    const result = await validateWith({ [FILE]: `${TASK}  deep: ${flowNesting(100)}\n` })
    const d = expectOne(result, FILE, 'input-too-large', 6, 9 + 99)
    expect(d.message).toBe('nesting deeper than 64 levels')
  })

  it('deep nesting in block style (maps), at the first node too deep', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => `${'  '.repeat(i + 2)}a:`)
    const result = await validateWith({ [FILE]: `${TASK}  deep:\n${lines.join('\n')} 1\n` })
    // Depth 2 is the map on line 7, at column 5; depth 65 is 63 lines and 126 columns further.
    expectOne(result, FILE, 'input-too-large', 7 + 63, 5 + 126)
  })

  it('deep nesting in block style (compact sequences), at the first node too deep', async () => {
    const result = await validateWith({ [FILE]: `${TASK}  deep:\n    ${'- '.repeat(100)}x\n` })
    expectOne(result, FILE, 'input-too-large', 7, 5 + 126)
  })

  it('nesting too deep for the parser itself is refused, not a crash', async () => {
    const result = await validateWith({ [FILE]: `${TASK}  deep:\n    ${'- '.repeat(50_000)}x\n` })
    const found = diagnosticsOf(result, FILE)
    expect(found, JSON.stringify(found)).toHaveLength(1)
    expect(found[0]).toMatchObject({ code: 'input-too-large', line: 7, message: 'nesting too deep to read' })
    // Where the parser runs out of stack depends on the stack size, so the column is not fixed: it is the start
    // of one of the "- " entries of line 7 (column 5, 7, 9, ...), past the nesting limit (depth 64 at column
    // 5 + 126, as above).
    const column = found[0]!.column!
    expect((column - 5) % 2, `column ${column}`).toBe(0)
    expect(column).toBeGreaterThanOrEqual(5 + 126)
    expect(column).toBeLessThanOrEqual(5 + 2 * 50_000)
  })

  it(
    'a map with many keys is read in linear time, and a duplicate among them found',
    // The one deadline in the suite that is the point of its test: about 3 s alone, so 40 times that even on a
    // loaded machine; a quadratic duplicate-key or position lookup over 55,000 keys takes far longer.
    { timeout: 120_000 },
    async () => {
      // 55,000 keys in under 1 MB: a quadratic duplicate-key check would take minutes.
      const keys = Array.from({ length: 55_000 }, (_, i) => `    k${i}: 1`)
      keys.push('    k17: again')
      const result = await validateWith({
        'definitions/agent/bad.yaml': `kind: agent\nname: bad\nspec:\n  host: h\n  labels:\n${keys.join('\n')}\n`,
      })
      const d = expectOne(result, 'definitions/agent/bad.yaml', 'duplicate-key', 6 + 55_000, 5)
      expect(d.message).toBe('the key "k17" appears twice in this map (first on line 23)')
    },
  )

  it('%YAML 1.1 is refused at the directive', async () => {
    const result = await validateWith({ [FILE]: `# old style\n%YAML 1.1\n---\n${TASK}` })
    const d = expectOne(result, FILE, 'yaml-syntax', 2, 1)
    expect(d.message).toContain('%YAML 1.1 is not supported')
  })

  it('the YAML 1.1 traps read as YAML 1.2: no is a string, 1.10 the number 1.1, 0755 the number 755', async () => {
    const agent = 'definitions/agent/bad.yaml'
    const pkg = 'packages/base.yaml'
    const result = await validateWith({
      [agent]: 'kind: agent\nname: bad\nspec:\n  host: no\n  enabled: no\n  mode: 0755\n',
      [pkg]: 'name: base\nversion: 1.10\nitems:\n  - agent/linux\n  - credential/db\n',
    })
    const found = diagnosticsOf(result, agent)
    expect(found.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['schema', 5, 12, 'spec.enabled must be a boolean, not string "no"'],
      ['schema', 6, 9, 'spec.mode must be a string, not number 755'],
    ])
    expect(found[1]!.hint).toBe('quote it: "0755" (unquoted, YAML reads 0755 as the number 755)')
    const version = expectOne(result, pkg, 'schema', 2, 10)
    expect(version.message).toBe('version must be a string, not number 1.1')
    expect(version.hint).toBe('quote it: "1.10" (unquoted, YAML reads 1.10 as the number 1.1)')
  })

  it('multiple documents in one file, at the second document', async () => {
    const result = await validateWith({ [FILE]: `${TASK}---\nkind: task\nname: other\n` })
    const d = expectOne(result, FILE, 'yaml-syntax', 6, 1)
    expect(d.message).toContain('2 YAML documents')
  })

  it('unknown tags, each at its tag', async () => {
    const result = await validateWith({
      [FILE]:
        'kind: task\nname: bad\nspec:\n  command: !!python/object/apply:os.system ["touch /tmp/x"]\n  agent: !foo linux\n',
    })
    const found = diagnosticsOf(result, FILE)
    expect(found.map((d) => [d.code, d.line, d.column])).toEqual([
      ['yaml-syntax', 4, 12],
      ['yaml-syntax', 5, 10],
    ])
    expect(found[0]!.message).toContain('python/object/apply:os.system')
    expect(found[1]!.message).toContain('!foo')
  })

  it('YAML 1.1 types outside the core schema (!!binary, !!set, !!timestamp) are unknown tags', async () => {
    const agent = 'definitions/agent/bad.yaml'
    const result = await validateWith({
      [agent]:
        'kind: agent\nname: bad\nspec:\n  host: !!binary aGVsbG8=\n  labels: !!set {a, b}\n  mode: !!timestamp 2001-12-14\n',
    })
    expect(diagnosticsOf(result, agent).map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['yaml-syntax', 4, 9, 'Unresolved tag: !!binary'],
      ['yaml-syntax', 5, 11, 'Unresolved tag: !!set'],
      ['yaml-syntax', 6, 9, 'Unresolved tag: !!timestamp'],
    ])
  })

  it('a byte order mark is accepted and positions count from the first character after it', async () => {
    const result = await validateWith({
      'definitions/task/load.yaml':
        '\uFEFFkind: task\nname: load\nspec:\n  command: run load\n  agent: linux\n',
      [FILE]: '\uFEFFkind: task\nname: bad\nspec:\n  command: x\n  agent: 42\n',
    })
    expectOne(result, FILE, 'schema', 5, 10)
    expect(diagnosticsOf(result, 'definitions/task/load.yaml')).toEqual([])
  })

  it('CRLF line ends are accepted and positions are right', async () => {
    const crlf = (text: string) => text.replace(/\n/g, '\r\n')
    const result = await validateWith({
      'definitions/task/load.yaml': crlf(
        'kind: task\nname: load\nspec:\n  command: run load\n  agent: linux\n',
      ),
      [FILE]: crlf('kind: task\nname: bad\nspec:\n  command: x\n  agent: 42\n  retries: "3"\n'),
    })
    expect(diagnosticsOf(result, FILE).map((d) => [d.code, d.line, d.column])).toEqual([
      ['schema', 5, 10],
      ['schema', 6, 12],
    ])
    expect(diagnosticsOf(result, 'definitions/task/load.yaml')).toEqual([])
  })

  it('invalid UTF-8, at the first invalid byte (not at an earlier, valid U+FFFD)', async () => {
    const bytes = Buffer.concat([
      Buffer.from('kind: task\nname: bad\ndescription: caf\u00e9 \uFFFD\nspec:\n  command: x'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n  agent: linux\n'),
    ])
    const result = await validateWith({ [FILE]: bytes })
    const d = expectOne(result, FILE, 'yaml-syntax', 5, 13)
    expect(d.message).toBe(`${FILE} is not valid UTF-8`)
  })

  it('an overlong encoding and a lone surrogate are invalid UTF-8', async () => {
    const other = 'definitions/task/other.yaml'
    const result = await validateWith({
      [FILE]: Buffer.concat([
        Buffer.from('kind: task\nname: '),
        Buffer.from([0xc0, 0xaf]),
        Buffer.from('\n'),
      ]),
      [other]: Buffer.concat([
        Buffer.from('kind: task\nname: other\n# '),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('\n'),
      ]),
    })
    expectOne(result, FILE, 'yaml-syntax', 2, 7)
    expectOne(result, other, 'yaml-syntax', 3, 3)
  })

  it('a raw control character (NUL) is refused at its position', async () => {
    const result = await validateWith({ [FILE]: 'kind: task\nname: bad\ndescription: a\u0000b\nspec: {}\n' })
    const d = expectOne(result, FILE, 'yaml-syntax', 3, 15)
    expect(d.message).toBe('the control character U+0000 is not allowed in YAML')
  })

  it('empty files: no bytes, only blanks, only a comment', async () => {
    const result = await validateWith({
      'definitions/task/empty.yaml': '',
      'definitions/task/blank.yaml': '\n   \n\n',
      'definitions/task/comment.yaml': '# nothing here yet\n',
      'packages/empty.yaml': '',
    })
    for (const file of [
      'definitions/task/empty.yaml',
      'definitions/task/blank.yaml',
      'packages/empty.yaml',
    ]) {
      expect(expectOne(result, file, 'schema', 1, 1).message).toBe(`${file} is empty`)
    }
    expectOne(result, 'definitions/task/comment.yaml', 'schema', 1, 1)
  })
})

describe('bad input: keys that reach a prototype', () => {
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort()
  const expectPrototypeUnchanged = () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  }

  it('__proto__, constructor and prototype are refused anywhere in a definition', async () => {
    const result = await validateWith({
      [FILE]: `${TASK}  list:\n    - {__proto__: {polluted: 1}}\n    - "constructor": {polluted: 1}\n      prototype: {polluted: 1}\n  'prototype': 1\n`,
    })
    expect(diagnosticsOf(result, FILE).map((d) => [d.code, d.line, d.column])).toEqual([
      ['forbidden-key', 7, 8],
      ['forbidden-key', 8, 7],
      ['forbidden-key', 9, 7],
      ['forbidden-key', 10, 3],
    ])
    expectPrototypeUnchanged()
  })

  it('in a package and in a kind schema', async () => {
    const result = await validateWith({
      'packages/tools.yaml':
        'name: tools\nitems: []\ninstructions:\n  - step: x\n    __proto__: {polluted: 1}\n',
      'kinds/gadget.schema.json':
        '{\n  "type": "object",\n  "properties": {\n    "a": {"__proto__": {"polluted": true}}\n  }\n}\n',
    })
    expectOne(result, 'packages/tools.yaml', 'forbidden-key', 5, 5)
    expectOne(result, 'kinds/gadget.schema.json', 'forbidden-key', 4, 11)
    expectPrototypeUnchanged()
  })

  it('as a segment of an environment override path, before anything applies it', async () => {
    const dir = baseRepo({
      'packages/base.yaml':
        'name: base\nitems:\n  - agent/linux\n  - credential/db\nenvironments:\n  dev:\n    set:\n      agent/linux:\n        spec.__proto__.polluted: yes\n        constructor.prototype.polluted: yes\n',
      [CANARY.file]: CANARY.content,
    })
    makeGitRepo(dir, { branches: ['env/dev', 'env/prod'] })
    // Remote validation plans the apply, which is where an override path would be followed.
    const { code, result } = await validate(dir, '--env', 'dev')
    expect(code).toBe(1)
    expectCanary(result)
    const found = diagnosticsOf(result, 'packages/base.yaml', 'forbidden-key')
    expect(found.map((d) => [d.line, d.column])).toEqual([
      [9, 9],
      [10, 9],
    ])
    expect(found[0]!.message).toBe('the field path "spec.__proto__.polluted" goes through "__proto__"')
    expectPrototypeUnchanged()
  })

  it('in gantry.yaml: the command cannot run (exit 2) and says where', async () => {
    const dir = baseRepo({
      'gantry.yaml': 'environments:\n  - name: dev\n    branch: env/dev\n    __proto__: {polluted: 1}\n',
    })
    const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(run.code).toBe(2)
    const output = run.json<{
      ok: boolean
      diagnostics: { code: string; file: string; line: number; column: number }[]
    }>()
    expect(output.ok).toBe(false)
    expect(output.diagnostics).toMatchObject([
      { code: 'forbidden-key', file: 'gantry.yaml', line: 4, column: 5 },
    ])
    expectPrototypeUnchanged()
  })
})

describe('bad input: names unsafe as paths or git refs', () => {
  const unsafe: [string, string][] = [
    ['..', '".." contains ".."'],
    ['a..b', '"a..b" contains ".."'],
    ['a/b', 'has characters other than'],
    ['a@{b', 'has characters other than'],
    ['main.lock', '"main.lock" ends with ".lock"'],
    ['a b', 'has characters other than'],
    ['Upper', '"Upper" has upper-case letters'],
    ['a\u0000b', 'has characters other than'],
  ]
  const quoted = (value: string) => JSON.stringify(value)

  it('in kinds, definition names, package names and item ids: each refused at the value', async () => {
    const files: Record<string, string> = {}
    unsafe.forEach(([value], i) => {
      files[`definitions/task/name-${i}.yaml`] =
        `kind: task\nname: ${quoted(value)}\nspec: {command: x, agent: linux}\n`
      files[`definitions/task/kind-${i}.yaml`] = `kind: ${quoted(value)}\nname: kind-${i}\nspec: {}\n`
      files[`packages/name-${i}.yaml`] = `name: ${quoted(value)}\nitems: []\n`
      files[`packages/item-${i}.yaml`] =
        `name: item-${i}\nitems:\n  - ${quoted(`task/${value}`)}\n  - ${quoted(`${value}/x`)}\n`
    })
    const result = await validateWith(files)
    unsafe.forEach(([, explanation], i) => {
      expect(expectOne(result, `definitions/task/name-${i}.yaml`, 'invalid-name', 2, 7).message).toContain(
        explanation,
      )
      expect(expectOne(result, `definitions/task/kind-${i}.yaml`, 'invalid-name', 1, 7).message).toContain(
        explanation,
      )
      expect(expectOne(result, `packages/name-${i}.yaml`, 'invalid-name', 1, 7).message).toContain(
        explanation,
      )
      const items = diagnosticsOf(result, `packages/item-${i}.yaml`)
      expect(items.map((d) => [d.code, d.line, d.column])).toEqual([
        ['invalid-name', 3, 5],
        ['invalid-name', 4, 5],
      ])
    })
  })

  it('in dependencies, environment names and replacements', async () => {
    const file = 'packages/tools.yaml'
    const result = await validateWith({
      [file]: [
        'name: tools',
        'items: []',
        'dependencies:',
        '  - package: "../base"',
        'environments:',
        '  Prod:',
        '    release: "2030-01-01T00:00:00Z"',
        '  dev:',
        '    replace:',
        '      credential/db.lock: credential/db',
        '      credential/db: "credential/a@{b"',
        '',
      ].join('\n'),
    })
    expect(diagnosticsOf(result, file).map((d) => [d.code, d.line, d.column])).toEqual([
      ['invalid-name', 4, 14],
      ['invalid-name', 6, 3],
      ['invalid-name', 10, 7],
      ['invalid-name', 11, 22],
    ])
  })

  it('environment names and branches in gantry.yaml: the command cannot run (exit 2)', async () => {
    const dir = baseRepo({
      'gantry.yaml':
        'environments:\n  - name: dev..x\n    branch: env/dev\n  - name: qa\n    branch: env/qa.lock\n',
    })
    const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(run.code).toBe(2)
    const { diagnostics } = run.json<{ diagnostics: { code: string; line: number; column: number }[] }>()
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['invalid-name', 2, 11],
      ['invalid-name', 5, 13],
    ])
  })
})

describe('bad input: paths that leave the repository', () => {
  /** A definition outside the repository that would be a schema error if it were ever read. */
  function outsideFolder(): string {
    const outside = tempDir('gantry-outside-')
    writeFiles(outside, {
      'task/evil.yaml': 'kind: task\nname: evil\nspec:\n  command: 42\n  agent: nowhere\n',
      'evil.yaml': 'kind: agent\nname: evil\nspec:\n  host: 42\n',
    })
    return outside
  }

  it('a committed symbolic link to a file outside the repository is reported and never read', async () => {
    const outside = outsideFolder()
    const file = 'definitions/agent/evil.yaml'
    const dir = baseRepo({ [file]: { symlink: join(outside, 'evil.yaml') }, [CANARY.file]: CANARY.content })
    makeGitRepo(dir)
    expect(git(dir, ['ls-files', '-s', file])).toMatch(/^120000 /)
    const { code, result } = await validate(dir)
    expect(code).toBe(1)
    expectCanary(result)
    const d = expectOne(result, file, 'unsafe-path', 1, 1)
    expect(d.message).toContain('symbolic link')
    expect(result.diagnostics).toHaveLength(2)
  })

  it('a committed symbolic link to a folder outside the repository is reported and never read', async () => {
    const outside = outsideFolder()
    const link = 'definitions/task'
    const dir = baseRepo({ [link]: null, 'packages/etl.yaml': null, [CANARY.file]: CANARY.content })
    writeFiles(dir, { [link]: { symlink: outside } })
    makeGitRepo(dir)
    expect(git(dir, ['ls-files', '-s', link])).toMatch(/^120000 /)
    const { code, result } = await validate(dir)
    expect(code).toBe(1)
    expectCanary(result)
    expectOne(result, link, 'unsafe-path', 1, 1)
    expect(result.diagnostics).toHaveLength(2)
  })

  it('a folder in gantry.yaml paths that leaves the repository: the command cannot run (exit 2)', async () => {
    const dir = tempDir('gantry-nest-')
    const repo = join(dir, 'repo')
    writeFiles(repo, {
      'gantry.yaml': 'paths:\n  definitions: ../outside\nenvironments:\n  - name: dev\n    branch: env/dev\n',
    })
    writeFiles(dir, { 'outside/task/evil.yaml': 'kind: task\nname: evil\nspec:\n  command: 42\n' })
    const run = await runCli(['validate', '--repo', repo, '--format', 'json'])
    expect(run.code).toBe(2)
    const { diagnostics } = run.json<{
      diagnostics: { code: string; file: string; line: number; column: number }[]
    }>()
    expect(diagnostics).toMatchObject([{ code: 'unsafe-path', file: 'gantry.yaml', line: 2, column: 16 }])
  })
})

describe('bad input: values of the wrong kind', () => {
  it('numbers where strings belong: a name and a version', async () => {
    const result = await validateWith({
      [FILE]: 'kind: task\nname: 123\nspec: {command: x, agent: linux}\n',
      'packages/base.yaml': 'name: base\nversion: 2\nitems:\n  - agent/linux\n  - credential/db\n',
    })
    const name = expectOne(result, FILE, 'schema', 2, 7)
    expect(name.message).toBe('name must be a string, not number 123')
    expect(name.hint).toBe('quote it: "123" (unquoted, YAML reads 123 as the number 123)')
    expect(expectOne(result, 'packages/base.yaml', 'schema', 2, 10).hint).toContain('quote it: "2"')
  })

  it('integers past 2^53 and numbers past the largest double', async () => {
    const result = await validateWith({ [FILE]: `${TASK}  retries: 9007199254740993\n  big: 1e400\n` })
    const found = diagnosticsOf(result, FILE)
    expect(found.map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['schema', 6, 12, 'the number 9007199254740993 cannot be held exactly (beyond 2^53 or infinite)'],
      ['schema', 7, 8, 'the number 1e400 cannot be held exactly (beyond 2^53 or infinite)'],
    ])
  })

  it('null for required fields', async () => {
    const result = await validateWith({
      [FILE]: 'kind: task\nname:\nspec: ~\n',
      'packages/tools.yaml': 'name: tools\nitems: null\n',
    })
    expect(diagnosticsOf(result, FILE).map((d) => [d.code, d.line, d.column, d.message])).toEqual([
      ['schema', 2, 6, 'name must be a string, not empty (null)'],
      ['schema', 3, 7, 'spec must be an object, not empty (null)'],
    ])
    expectOne(result, 'packages/tools.yaml', 'schema', 2, 8)
  })
})

describe('bad input: nothing is written', () => {
  it('validating a broken repository leaves its files as they were', async () => {
    const dir = baseRepo({ [FILE]: `${TASK}  agent: again\n`, [CANARY.file]: CANARY.content })
    makeGitRepo(dir, { branches: ['env/dev'] })
    const list = (folder: string): string[] =>
      readdirSync(folder, { recursive: true, encoding: 'utf8' })
        .filter((p) => !p.startsWith('.git/') && p !== '.git')
        .sort()
    const before = list(dir)
    const refsBefore = git(dir, ['for-each-ref'])
    const { code } = await validate(dir, '--env', 'dev')
    expect(code).toBe(1)
    expect(list(dir)).toEqual(before)
    expect(git(dir, ['for-each-ref'])).toBe(refsBefore)
    expect(git(dir, ['status', '--porcelain'])).toBe('')
  })
})
