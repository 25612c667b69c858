import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it, test } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { SourceEntry } from '../../src/core/model/source-model.js'
import { duplicateJsonKeys, kindSchemaProblems } from '../../src/core/schema/kind-schema-limits.js'
import { runCli } from '../support/cli.js'
import { copyExample, makeGitRepo, removeTempDirs, tempDir } from '../support/fixtures.js'
import { BUILT_CLI, runBuiltCli } from '../support/built-cli.js'

// Pull requests choose the names of files and the text of kind schemas. Working-tree files are opened by their
// root joined to their path, the paths a folder listing makes without a second normalizing (pathOf); item ids and
// listed paths are flat joined strings; a kind schema's keys written twice are first counted (text against the
// parsed value) and only then scanned. The promises held here: every file read is the one join(root, path) names
// inside the repository, never one outside it or one a link leads to, whatever the names and the spelling of
// the root; and every key written twice is reported, at the same place, as the scan alone reports it.

afterAll(removeTempDirs)

const bytesOf = (entry: SourceEntry | undefined): string | undefined => {
  if (entry?.type !== 'file') return entry?.type
  const read = entry.read ? entry.read() : entry
  return read?.type === 'file' ? Buffer.from(read.bytes).toString('latin1') : read?.type
}

/**
 * Keys written twice in a JSON text, found by a reader of its own: each object's keys decoded (escapes and all),
 * each key already met in its object reported at its opening quote, at most `max`, in text order.
 */
function referenceDuplicates(text: string, max = 20): { key: string; offset: number }[] {
  const found: { key: string; offset: number }[] = []
  let i = 0
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++
  }
  const str = (): string => {
    const start = i
    i++
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
    return JSON.parse(text.slice(start, i)) as string
  }
  // An explicit stack of what is open: no call per level, so deep texts are read too.
  const stack: ('o' | 'a')[] = []
  const keysOf: Set<string>[] = []
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      stack.push('o')
      keysOf.push(new Set())
      return
    }
    if (c === '[') {
      i++
      stack.push('a')
      return
    }
    if (c === '"') str()
    else while (i < text.length && !',]} \t\r\n'.includes(text[i]!)) i++
    after()
  }
  // After a value: a comma, or the end of what holds it.
  const after = (): void => {
    for (;;) {
      ws()
      if (text[i] === '}' || text[i] === ']') {
        if (stack.pop() === 'o') keysOf.pop()
        i++
        continue
      }
      if (text[i] === ',') i++
      return
    }
  }
  ws()
  let first = true
  while (i < text.length && found.length < max) {
    const top = stack[stack.length - 1]
    ws()
    if (first) {
      first = false
      value()
      continue
    }
    if (text[i] === '}' || text[i] === ']') {
      after()
      continue
    }
    if (top === 'o') {
      const offset = i
      const key = str()
      const keys = keysOf[keysOf.length - 1]!
      if (keys.has(key)) found.push({ key, offset })
      keys.add(key)
      ws()
      i++ // the colon
      value()
    } else if (top === 'a') value()
    else break
  }
  return found
}

/** Kind schemas with keys written twice where a count of colons may not see them, and some with none. */
const SCHEMAS: [string, string][] = [
  ['a key and its unicode-escaped spelling', '{"type": "object", "properties": {"a": {"type": "string"}, "\\u0061": {"type": "number"}}}'],
  ['a colon escaped in a key, twice', '{"type": "object", "properties": {"a\\u003ab": {}, "a:b": {"type": "string"}}}'],
  ['a quote escaped in a key, twice', '{"type": "object", "properties": {"a\\"b": {}, "a\\u0022b": {"type": "string"}}}'],
  ['an escaped backslash then the closing quote', '{"type": "object", "properties": {"a\\\\": {"description": "\\\\"}, "a\\\\": {}}}'],
  ['an escaped quote-colon in a value, then a key twice', '{"type": "object", "description": "\\": \\"x\\": ", "title": "t", "title": "u"}'],
  ['the first value an object with colons, the second a scalar', '{"type": "object", "properties": {"p": {"type": "string", "minLength": 1}}, "properties": true}'],
  ['a key twice and a colon more in a string value', '{"type": "object", "title": "a", "title": "b:c"}'],
  ['the same key three times', '{"type": "object", "title": "a", "title": "b", "title": "c"}'],
  ['a key twice in a list in a list', '{"type": "array", "items": [{"anyOf": [{"type": "string", "type": "number"}]}]}'],
  ['numeric keys, one written twice', '{"type": "object", "properties": {"1": {}, "01": {}, "1.0": {}, "1": {"type": "string"}}}'],
  ['the empty key twice', '{"type": "object", "properties": {"": {}, "": {"type": "string"}}}'],
  ['a lone surrogate key twice', '{"type": "object", "properties": {"\\ud800": {}, "\\uD800": {"type": "string"}}}'],
  ['U+FFFD written and escaped', '{"type": "object", "properties": {"\uFFFD": {}, "\\ufffd": {"type": "string"}}}'],
  ['NFC and NFD spellings (two keys)', '{"type": "object", "properties": {"\u00e9": {}, "e\u0301": {"type": "string"}}}'],
  ['case variants (two keys)', '{"type": "object", "properties": {"Name": {}, "name": {"type": "string"}}}'],
  ['a key like a keyword, twice inside properties', '{"type": "object", "properties": {"items": {}, "not": {}, "items": {"type": "string"}}}'],
  ['"pattern" twice, the reviewer reads the first', '{"type": "object", "properties": {"p": {"type": "string", "pattern": "^[a-z]+$", "pattern": "^.*$"}}}'],
  ['keys written twice past the limit of 20', `{"type": "object", "properties": {${Array.from({ length: 25 }, (_, i) => `"k": {"title": "${i}:"}`).join(', ')}}}`],
  ['no key twice, colons and quotes in strings', '{"type": "object", "title": "a:b\\"c:", "description": "\\\\:\\\\", "properties": {"x:y": {"enum": ["a:", ":b", "\\":"]}}}'],
  ['no key twice, a key equal to a value', '{"type": "object", "enum": ["type", "properties"], "properties": {"type": {"const": "type"}}}'],
  ['whitespace of every kind around colons', '{ "type" :\n "object" ,\t"properties"\r\n:\t{ "a" : {} , "a" : {"type": "string"} } }'],
  ['a key twice after a long string', `{"type": "object", "description": "${'x:'.repeat(100_000)}", "title": "a", "title": "b"}`],
  ['a key twice after long escapes', `{"type": "object", "description": "${'\\":'.repeat(50_000)}", "title": "a", "title": "b"}`],
  ['a key twice in a deep schema', `${'{"type": "object", "properties": {"a": '.repeat(30)}{"type": "string", "type": "number"}${'}}'.repeat(30)}`],
]

describe('kind schema keys written twice, hidden from a count of colons', () => {
  test.each(SCHEMAS)('%s: found as the scan and a reader of its own find them', (_name, text) => {
    const parsed = JSON.parse(text) as unknown
    const counted = duplicateJsonKeys(text, 20, parsed)
    expect(counted).toEqual(duplicateJsonKeys(text))
    expect(counted).toEqual(referenceDuplicates(text))
  })

  test('the reader of its own finds what it should (it is no copy of the scan)', () => {
    expect(referenceDuplicates('{"a": 1, "\\u0061": {"b": [1, {"c": 2, "c": 3}]}}')).toEqual([
      { key: 'a', offset: 9 },
      { key: 'c', offset: 38 },
    ])
    expect(referenceDuplicates('[{"a": "}", "a": 1}]')).toEqual([{ key: 'a', offset: 12 }])
  })

  test('a key twice deep past the call stack: found', () => {
    const depth = 100_000
    const text = `${'{"a": ['.repeat(depth)}{"b": 1, "\\u0062": 2}${']}'.repeat(depth)}`
    expect(duplicateJsonKeys(text, 20, JSON.parse(text))).toEqual([{ key: 'b', offset: text.lastIndexOf('"\\u0062"') }])
  })

  test('a key twice after a string too long for the expression engine: found', () => {
    const text = `{"description": "${'y'.repeat(20_000_000)}", "title": "a", "title": "b"}`
    expect(duplicateJsonKeys(text, 20, JSON.parse(text))).toEqual([{ key: 'title', offset: text.lastIndexOf('"title"') }])
  }, 60_000)
})

/** A copy of examples/scheduler with `files` written (bytes or text), as a git repository. */
function repoWith(files: Record<string, string | Buffer>): string {
  const dir = copyExample('scheduler')
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  makeGitRepo(dir)
  return dir
}

/** Line and column (1-based, UTF-16 columns) of an offset in a text, as findings give them. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n')
  return { line: before.length, column: before[before.length - 1]!.length + 1 }
}

/** Every schema above that fits a file, each as the kind schema of a kind of its own, in one repository. */
const CLI_SCHEMAS = SCHEMAS.filter(([name]) => !name.includes('long'))
let schemaRepo: string | undefined
const schemaRepoOnce = (): string =>
  (schemaRepo ??= repoWith(Object.fromEntries(CLI_SCHEMAS.map(([, text], i) => [`kinds/probe${i}.schema.json`, text]))))

describe('kind schemas with keys written twice, through the CLI', () => {
  test('each key written twice is an error at its place, in each schema', async () => {
    const run = await runCli(['validate', '--repo', schemaRepoOnce(), '--format', 'json'])
    const diagnostics = run.json().diagnostics as { code: string; file: string; line: number; column: number }[]
    for (const [i, [name, text]] of CLI_SCHEMAS.entries()) {
      const found = diagnostics
        .filter((d) => d.file === `kinds/probe${i}.schema.json` && d.code === 'duplicate-key')
        .map((d) => ({ line: d.line, column: d.column }))
      expect(found, name).toEqual(referenceDuplicates(text).map((d) => lineColumn(text, d.offset)))
    }
    expect(run.code).not.toBe(0)
  })
})

describe('subschemas: findings in the order of the keywords', () => {
  const bad = (name: string) => ({ type: 'string', pattern: `^(?=${name})` })

  test('keywords as property names, keywords holding null, lists and maps of each kind, keys in any order', () => {
    const schema = {
      dependencies: { d: bad('dependencies'), e: ['a'] },
      dependentSchemas: { s: bad('dependentSchemas') },
      $defs: { x: bad('$defs') },
      definitions: { y: bad('definitions') },
      properties: { items: bad('properties.items'), not: bad('properties.not'), properties: bad('properties.properties') },
      patternProperties: { '^a': bad('patternProperties') },
      prefixItems: [bad('prefixItems')],
      oneOf: [bad('oneOf')],
      anyOf: [bad('anyOf')],
      allOf: [bad('allOf')],
      unevaluatedProperties: bad('unevaluatedProperties'),
      unevaluatedItems: bad('unevaluatedItems'),
      else: bad('else'),
      then: bad('then'),
      if: bad('if'),
      not: bad('not'),
      contains: bad('contains'),
      propertyNames: bad('propertyNames'),
      additionalProperties: bad('additionalProperties'),
      additionalItems: bad('additionalItems'),
      items: bad('items'),
      title: 'keys in the reverse of the keyword order',
    }
    const paths = kindSchemaProblems(schema, () => true).map((p) => p.path.join('/'))
    expect(paths).toEqual([
      'items/pattern',
      'additionalItems/pattern',
      'additionalProperties/pattern',
      'propertyNames/pattern',
      'contains/pattern',
      'not/pattern',
      'if/pattern',
      'then/pattern',
      'else/pattern',
      'unevaluatedItems/pattern',
      'unevaluatedProperties/pattern',
      'allOf/0/pattern',
      'anyOf/0/pattern',
      'oneOf/0/pattern',
      'prefixItems/0/pattern',
      'patternProperties/^a/pattern',
      'properties/items/pattern',
      'properties/not/pattern',
      'properties/properties/pattern',
      'definitions/y/pattern',
      '$defs/x/pattern',
      'dependentSchemas/s/pattern',
      'dependencies/d/pattern',
    ])
  })

  test('a null, a number or a list where a schema belongs: as before, no subschemas of a wrong shape', () => {
    expect(kindSchemaProblems({ not: null, if: 3, allOf: null, anyOf: { a: bad('a') }, oneOf: bad('oneOf as one schema'), properties: [bad('p')], $defs: 'x', dependencies: { d: ['a'] }, items: [null, bad('i')] }, () => true).map((p) => p.path.join('/'))).toEqual([
      'items/1/pattern',
    ])
  })

})

describe('working-tree files read by hostile names', () => {
  /** Names a pull request can give files in a folder (bytes: some are not UTF-8). */
  const NAMES: Buffer[] = [
    'plain.yaml',
    'a b.yaml',
    'new\nline.yaml',
    'back\\slash.yaml',
    '..\\..\\escape.yaml',
    '..double.yaml',
    'a..yaml',
    'trailing.',
    '....',
    '.hidden.yaml',
    '\u00e9.yaml',
    'e\u0301.yaml',
    'Case.yaml',
    'case.yaml',
    '\uFFFD.yaml',
    `${'l'.repeat(250)}.yaml`,
    ' ',
  ].map((name) => Buffer.from(name))
  NAMES.push(Buffer.from([0x78, 0xff, 0x2e, 0x79, 0x61, 0x6d, 0x6c]), Buffer.from([0xc3, 0x28, 0x2e, 0x79]))

  function tree(): { base: string; repo: string; outside: string } {
    const base = tempDir('gantry-attack-paths-14-')
    const repo = join(base, 'repo')
    mkdirSync(join(repo, 'defs', 'sub', '..x'), { recursive: true })
    mkdirSync(join(repo, 'defs', '...'), { recursive: true })
    const outside = join(base, 'outside')
    mkdirSync(outside)
    writeFileSync(join(outside, 'secret.yaml'), 'SECRET OUTSIDE\n')
    for (const [i, name] of NAMES.entries()) {
      for (const folder of ['defs', 'defs/sub', 'defs/sub/..x', 'defs/...']) {
        writeFileSync(Buffer.concat([Buffer.from(`${join(repo, folder)}/`), name]), `${folder} ${i}\n`)
      }
    }
    // A file of the outside folder named as the escape above would name it, were the backslashes separators.
    writeFileSync(join(base, 'escape.yaml'), 'SECRET ESCAPE\n')
    symlinkSync(join(outside, 'secret.yaml'), join(repo, 'defs', 'link.yaml'))
    symlinkSync(outside, join(repo, 'defs', 'linked-folder'))
    symlinkSync('../../outside/secret.yaml', join(repo, 'defs', 'sub', 'relative-link.yaml'))
    symlinkSync('.', join(repo, 'defs', 'self'))
    return { base, repo, outside }
  }

  it('reads every file by the path join gives, for every spelling of the root; links never followed', async () => {
    const { base, repo } = tree()
    const linkedRoot = join(base, 'root-link')
    symlinkSync(repo, linkedRoot)
    const cwd = process.cwd()
    const roots = [
      repo,
      `${repo}/`,
      `${repo}//`,
      `${repo}/.`,
      `${repo}/./`,
      `/${repo}`,
      `${base}//repo/`,
      `${base}/outside/../repo`,
      relative(cwd, repo),
      `./${relative(cwd, repo)}`,
      `${relative(cwd, repo)}/`,
      linkedRoot,
      `${linkedRoot}/`,
    ]
    let first: Record<string, string | undefined> | undefined
    for (const root of roots) {
      for (const listOnly of [false, true]) {
        const snapshot = await readWorkingTree(root, ['defs'], 1 << 20, { listOnly })
        const seen: Record<string, string | undefined> = {}
        for (const [path, entry] of snapshot) {
          const text = bytesOf(entry)
          seen[path] = text
          expect(text ?? '', `${root}: ${path}`).not.toMatch(/SECRET/)
          // A regular file holds the text written for it: the folder it was listed in, nothing else.
          if (entry.type === 'file' && text !== undefined && text !== 'symlink' && text !== 'other') {
            const folder = path.slice(0, path.lastIndexOf('/'))
            expect(text.startsWith(`${folder} `), `${root}: ${JSON.stringify(path)} read ${JSON.stringify(text)}`).toBe(true)
          }
        }
        for (const link of ['defs/link.yaml', 'defs/linked-folder', 'defs/sub/relative-link.yaml', 'defs/self']) expect(seen[link], link).toBe('symlink')
        first ??= seen
        expect(seen, `${root} ${listOnly ? 'listed' : 'read'}`).toEqual(first)
      }
    }
    // Every name made a file that is read, in each folder (the undecodable names too).
    const files = Object.entries(first!).filter(([, text]) => text !== 'symlink')
    expect(files.length).toBe(4 * NAMES.length)
  })

  it('each listed file read again by its path gives the bytes join(root, path) names', async () => {
    const { repo } = tree()
    const snapshot = await readWorkingTree(`${repo}//./`, ['defs'], 1 << 20, { listOnly: true })
    for (const [path, entry] of snapshot) {
      if (entry.type !== 'file' || path.includes('\uFFFD')) continue
      const again = entry.again?.readAgain(path)
      expect(again && Buffer.from(again).toString('latin1'), JSON.stringify(path)).toBe(readFileSync(join(repo, path), 'latin1'))
    }
  })

  it('a root that does not normalize as written: ".." segments, a relative root at the top', async () => {
    const { base, repo } = tree()
    const cwd = process.cwd()
    const up = relative(cwd, base)
    for (const root of [`${up}/repo/../repo`, `${up}/./repo`, `${join(repo, 'defs')}/..`]) {
      const snapshot = await readWorkingTree(root, ['defs'], 1 << 20)
      expect(bytesOf(snapshot.get('defs/plain.yaml')), root).toBe('defs 0\n')
      expect(bytesOf(snapshot.get('defs/sub/..x/plain.yaml')), root).toBe('defs/sub/..x 0\n')
    }
    // A root of "." and one of "" name the working directory.
    const dot = realpathSync(repo)
    const here = process.cwd()
    try {
      process.chdir(dot)
      for (const root of ['.', './', '', 'defs/..']) {
        const snapshot = await readWorkingTree(root, ['defs'], 1 << 20)
        expect(bytesOf(snapshot.get('defs/plain.yaml')), JSON.stringify(root)).toBe('defs 0\n')
      }
    } finally {
      process.chdir(here)
    }
  })

  it('a path with ".." segments is the one join names, not the one the system finds through links', async () => {
    const base = tempDir('gantry-attack-paths-14-dots-')
    // Join reads `repo/defs/plain.yaml`; the system, following the link before "..", would read `other/defs`.
    mkdirSync(join(base, 'repo', 'defs'), { recursive: true })
    mkdirSync(join(base, 'other', 'inner'), { recursive: true })
    mkdirSync(join(base, 'other', 'defs'), { recursive: true })
    writeFileSync(join(base, 'repo', 'defs', 'plain.yaml'), 'joined\n')
    writeFileSync(join(base, 'other', 'defs', 'plain.yaml'), 'SECRET through the link\n')
    writeFileSync(join(base, 'repo', 'plain.yaml'), 'joined at the top\n')
    symlinkSync(join(base, 'other', 'inner'), join(base, 'repo', 'deep'))
    const repo = join(base, 'repo')
    // A root that holds a link then "..": the files listed and the files opened are the same ones.
    for (const listOnly of [false, true]) {
      const snapshot = await readWorkingTree(`${repo}/deep/../`, ['defs'], 1 << 20, { listOnly })
      expect(bytesOf(snapshot.get('defs/plain.yaml'))).toBe('joined\n')
    }
    // Paths named outright (as gantry.yaml names files): each read as join names it.
    const named = ['deep/../defs/plain.yaml', 'missing/../defs/plain.yaml', '.missing/../plain.yaml', './defs/plain.yaml', 'defs//plain.yaml', '/defs/plain.yaml']
    const snapshot = await readWorkingTree(repo, named, 1 << 20)
    for (const path of named) expect(bytesOf(snapshot.get(path)), path).toBe(readFileSync(join(repo, path), 'latin1'))
    // A root that is a link, and a path that leaves it by "..": join's folder, not the link target's parent.
    const fromLink = await readWorkingTree(join(repo, 'deep'), ['../defs/plain.yaml', '../plain.yaml'], 1 << 20)
    expect(bytesOf(fromLink.get('../defs/plain.yaml'))).toBe('joined\n')
    expect(bytesOf(fromLink.get('../plain.yaml'))).toBe('joined at the top\n')
    const again = snapshot.get('defs//plain.yaml')
    for (const path of named) {
      const bytes = again?.type === 'file' ? again.again?.readAgain(path) : undefined
      expect(bytes && Buffer.from(bytes).toString('latin1'), path).toBe(readFileSync(join(repo, path), 'latin1'))
    }
  })

  it('a file swapped for a link to outside between listing and reading is not followed', async () => {
    const { base, repo } = tree()
    const snapshot = await readWorkingTree(repo, ['defs'], 1 << 20, { listOnly: true })
    for (const name of ['plain.yaml', 'a b.yaml', 'e\u0301.yaml']) {
      const path = join(repo, 'defs', 'sub', name)
      writeFileSync(`${path}.tmp`, '')
      symlinkSync(join(base, 'outside', 'secret.yaml'), `${path}.lnk`)
      // rename over: the listed name now is a link to outside
      await import('node:fs').then((fs) => fs.renameSync(`${path}.lnk`, path))
      expect(bytesOf(snapshot.get(`defs/sub/${name}`)), name).toBe('symlink')
    }
  })
})

describe('definitions with hostile names, through the CLI', () => {
  /** A repository whose definitions folder holds files and links named by a pull request. */
  function hostileRepo(): { repo: string; base: string } {
    const repo = copyExample('scheduler')
    const base = tempDir('gantry-attack-paths-14-out-')
    writeFileSync(join(base, 'secret.yaml'), 'kind: variable\nname: outside-secret\nspec:\n  type: string\n  value: SECRET\n')
    const variable = (name: string) => `kind: variable\nname: ${name}\nspec:\n  type: string\n  value: v\n`
    const defs = join(repo, 'definitions', 'variable')
    writeFileSync(join(defs, 'a b.yaml'), variable('a-b'))
    writeFileSync(join(defs, '..dots.yaml'), variable('dots'))
    writeFileSync(join(defs, '.hidden.yaml'), variable('hidden'))
    writeFileSync(join(defs, 'back\\slash.yaml'), variable('back'))
    writeFileSync(join(defs, 'new\nline.yaml'), variable('newline'))
    writeFileSync(join(defs, '\u00e9t\u00e9.yaml'), variable('ete'))
    writeFileSync(join(defs, 'e\u0301te\u0301.yaml'), variable('ete'))
    writeFileSync(join(defs, 'Data-Retention-Days.yaml'), variable('data-retention-days'))
    writeFileSync(Buffer.concat([Buffer.from(`${defs}/`), Buffer.from([0x62, 0xff, 0x2e, 0x79, 0x61, 0x6d, 0x6c])]), variable('b'))
    writeFileSync(join(defs, `${'l'.repeat(240)}.yaml`), variable('l'.repeat(63)))
    mkdirSync(join(defs, '...'))
    writeFileSync(join(defs, '...', 'x.yaml'), variable('x'))
    symlinkSync(join(base, 'secret.yaml'), join(defs, 'outside-secret.yaml'))
    symlinkSync(base, join(repo, 'definitions', 'linked'))
    makeGitRepo(repo)
    return { repo, base }
  }

  it('validate: each hostile file found where it is, links reported, nothing outside read, every spelling of --repo alike', async () => {
    const { repo } = hostileRepo()
    const link = `${tempDir('gantry-attack-paths-14-link-')}/repo`
    symlinkSync(repo, link)
    const cwd = process.cwd()
    const runs = []
    for (const spelling of [repo, `${repo}/`, `${repo}//`, `${repo}/.`, `/${repo}`, relative(cwd, repo), `./${relative(cwd, repo)}`, link]) {
      const run = await runCli(['validate', '--repo', spelling, '--format', 'json'])
      expect(run.stdout + run.stderr, spelling).not.toMatch(/SECRET|outside-secret"/)
      runs.push({ spelling, code: run.code, stdout: run.stdout })
    }
    for (const run of runs) expect({ code: run.code, stdout: run.stdout }, run.spelling).toEqual({ code: runs[0]!.code, stdout: runs[0]!.stdout })
    const diagnostics = JSON.parse(runs[0]!.stdout).diagnostics as { file: string; code: string; message: string }[]
    // Findings only where the hostile files are: the example's items are found by the ids its packages name.
    for (const d of diagnostics) expect(d.file, d.message).toMatch(/^definitions\/(variable\/|linked$)/)
    expect(diagnostics.find((d) => d.file === 'definitions/variable/a b.yaml')?.message).toContain(' declares variable/a-b, ')
    const files = new Set(diagnostics.map((d) => d.file))
    expect(files.has('definitions/variable/outside-secret.yaml')).toBe(true)
    expect(files.has('definitions/linked')).toBe(true)
    for (const name of ['a b.yaml', '..dots.yaml', '.hidden.yaml', 'back\\slash.yaml', 'new\nline.yaml', 'Data-Retention-Days.yaml', '.../x.yaml'])
      expect(files.has(`definitions/variable/${name}`), name).toBe(true)
  })
})

// With GANTRY_PATHS_EARLIER naming the dist/cli/index.js of an earlier build: the same exit code and bytes.
const EARLIER = process.env.GANTRY_PATHS_EARLIER ?? ''
const CURRENT = BUILT_CLI

const run = runBuiltCli

describe.skipIf(!(existsSync(EARLIER) && existsSync(CURRENT)))('the same output as the earlier CLI', () => {
  test('kind schemas with keys written twice', async () => {
    for (const format of [[], ['--format', 'json']]) {
      const [a, b] = await Promise.all([run(EARLIER, schemaRepoOnce(), ['validate', ...format]), run(CURRENT, schemaRepoOnce(), ['validate', ...format])])
      expect(b).toEqual(a)
    }
  })

  test('kind schemas with unsafe patterns under every keyword, keys in any order', async () => {
    const bad = (n: string) => ({ type: 'string', pattern: `^(?=${n})` })
    const schema = {
      dependencies: { d: bad('d'), e: ['a'] },
      properties: { items: bad('pi'), x: { items: [bad('xi0'), bad('xi1')], not: bad('xn') } },
      oneOf: [bad('o')],
      allOf: [bad('a')],
      else: bad('e'),
      not: bad('n'),
      items: bad('i'),
      $defs: { z: bad('z') },
      definitions: { y: bad('y') },
    }
    const repo = repoWith({ 'kinds/probe.schema.json': JSON.stringify(schema, null, 2) })
    for (const format of [[], ['--format', 'json']]) {
      const [a, b] = await Promise.all([run(EARLIER, repo, ['validate', ...format]), run(CURRENT, repo, ['validate', ...format])])
      expect(b).toEqual(a)
    }
  })

  test('definitions with hostile names, every spelling of --repo', async () => {
    const repo = copyExample('scheduler')
    const defs = join(repo, 'definitions', 'variable')
    const variable = (name: string) => `kind: variable\nname: ${name}\nspec:\n  type: string\n  value: v\n`
    for (const name of ['a b.yaml', '..dots.yaml', '.hidden.yaml', 'back\\slash.yaml', 'new\nline.yaml', '\u00e9.yaml', 'e\u0301.yaml', 'Data-Retention-Days.yaml'])
      writeFileSync(join(defs, name), variable('x'))
    writeFileSync(Buffer.concat([Buffer.from(`${defs}/`), Buffer.from([0x62, 0xff, 0x2e, 0x79, 0x61, 0x6d, 0x6c])]), variable('b'))
    mkdirSync(join(defs, '...'))
    writeFileSync(join(defs, '...', 'x.yaml'), variable('x'))
    symlinkSync('/etc/passwd', join(defs, 'passwd.yaml'))
    makeGitRepo(repo)
    const cwd = process.cwd()
    for (const spelling of [repo, `${repo}//`, `${repo}/.`, relative(cwd, repo), `./${relative(cwd, repo)}/`]) {
      for (const format of [[], ['--format', 'json']]) {
        const [a, b] = await Promise.all([run(EARLIER, spelling, ['validate', ...format]), run(CURRENT, spelling, ['validate', ...format])])
        expect(b, spelling).toEqual(a)
      }
    }
    // From inside the repository, with "." as the root.
    const [a, b] = await Promise.all([run(EARLIER, '.', ['validate'], repo), run(CURRENT, '.', ['validate'], repo)])
    expect(b).toEqual(a)
    expect(readdirSync(defs).length).toBeGreaterThan(10)
  })
})
