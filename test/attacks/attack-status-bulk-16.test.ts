import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader } from '../../src/adapters/git/object-reader.js'
import { writtenItemTree, writtenItemValue } from '../../src/core/promotion/item-read.js'
import { findReferences } from '../../src/core/schema/references.js'
import { DEFAULT_YAML_LIMITS, readYaml } from '../../src/core/yaml/read-yaml.js'
import { cli, tempDir } from '../engine/helpers.js'
import { appliedEverywhere } from './status-scenarios.js'

// Status reads every ledger and item of the environment branches, which anyone with push rights writes: a
// batch of many objects through a cat-file process writing into a file (readManyBlobs), the items written
// as Gantry writes them as maps kept in order (writtenItemTree). Here: batch sizes around the threshold,
// objects of every type and size, a git failing midway, the temporary folder (left behind? unusable?), keys
// that are names of the map's own members, duplicate keys around the set threshold, and `gantry status` on
// branches with hundreds of hostile items read through the file and through the session.

const temp = tempDir('gantry-bulk16-')
const savedTmp = process.env.TMPDIR
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = savedTmp
})
afterAll(() => temp.cleanup())

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' }
const raw = (dir: string, args: string[], input?: Buffer | string, env: Record<string, string> = {}) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...IDENTITY, ...env }, maxBuffer: 1 << 28 }).toString('utf8').trim()

/** A loose object of `dir` whose stored text is `stored` (any header), named `id`. */
function plantLoose(dir: string, id: string, stored: Buffer): void {
  const folder = join(dir, '.git/objects', id.slice(0, 2))
  mkdirSync(folder, { recursive: true })
  rmSync(join(folder, id.slice(2)), { force: true })
  writeFileSync(join(folder, id.slice(2)), deflateSync(stored))
}

/** A temporary folder of its own for the reads of a test, to see what they leave in it. */
function privateTmp(name: string): string {
  const dir = join(temp.dir, name)
  mkdirSync(dir, { recursive: true })
  process.env.TMPDIR = dir
  return dir
}

let repo: string
let commit: string
let tag: string
let ambiguous = ''
const ids: string[] = []
beforeAll(() => {
  repo = join(temp.dir, 'repo')
  raw(temp.dir, ['init', '-q', repo])
  const max = DEFAULT_YAML_LIMITS.maxBytes
  const contents: Buffer[] = [
    Buffer.alloc(0),
    Buffer.from('no newline at the end'),
    Buffer.from(`${'f'.repeat(40)} blob 12\n${'e'.repeat(40)} missing\nx ambiguous\n`),
    Buffer.from('contents HEAD\nflush\n'),
    Buffer.alloc(max - 1, 0x61),
    Buffer.alloc(max, 0x0a),
    Buffer.alloc(max + 1, 0x20),
    Buffer.from(' blob 5\n'),
  ]
  for (let i = 0; contents.length < 400; i++) contents.push(Buffer.from(`kind: task\nname: t${i}\nspec:\n  command: c${i}\n`))
  const lines = contents.map((content, i) => {
    const id = raw(repo, ['hash-object', '-w', '--stdin'], content)
    ids.push(id)
    return `100644 ${id}\tf/${i}.yaml\0`
  })
  const index = join(repo, '.git', 'bulk-index')
  execFileSync('git', ['-C', repo, 'update-index', '-z', '--index-info'], { input: lines.join(''), env: { ...process.env, GIT_INDEX_FILE: index } })
  const tree = execFileSync('git', ['-C', repo, 'write-tree'], { env: { ...process.env, GIT_INDEX_FILE: index } }).toString().trim()
  commit = raw(repo, ['commit-tree', tree, '-m', 'files'])
  raw(repo, ['update-ref', 'refs/heads/main', commit])
  raw(repo, ['tag', '-a', '-m', 'a tag', 'v1', commit])
  tag = raw(repo, ['rev-parse', 'v1'])
  // Two more blobs whose ids start with the same four digits: that prefix is `ambiguous` to git.
  const byPrefix = new Map<string, string>()
  for (let i = 0; ; i++) {
    const text = `ambiguous ${i}\n`
    const id = createHash('sha1').update(`blob ${text.length}\0${text}`).digest('hex')
    const other = byPrefix.get(id.slice(0, 4))
    if (other !== undefined) {
      raw(repo, ['hash-object', '-w', '--stdin'], other)
      raw(repo, ['hash-object', '-w', '--stdin'], text)
      ambiguous = id.slice(0, 4)
      break
    }
    byPrefix.set(id.slice(0, 4), text)
  }
  expect(raw(repo, ['cat-file', '--batch-check'], `${ambiguous}\n`)).toBe(`${ambiguous} ambiguous`)
})

/** `count` specs: a tree, a commit, a tag, a missing id, a short id, an ambiguous one, blobs by path, then blobs. */
function specsOf(count: number): string[] {
  const others = [`${commit}^{tree}`, commit, tag, '0'.repeat(40), ids[9]!.slice(0, 7), ambiguous, `${commit}:f/3.yaml`, 'v1:f/2.yaml']
  const out = [...others, ...ids].slice(0, count)
  expect(out.length).toBe(count)
  return out
}

/** What the session reads for `specs` (a reader of its own), and what readManyBlobs reads after the session answered. */
async function bothWays(specs: readonly string[]): Promise<{ expected: Map<string, Buffer>; read: Map<string, Buffer> }> {
  const session = new ObjectReader(new Git(repo))
  const many = new ObjectReader(new Git(repo))
  try {
    const expected = await session.readBlobs(specs)
    await many.read([commit])
    const read = await many.readManyBlobs(specs)
    return { expected, read }
  } finally {
    await session.close()
    await many.close()
  }
}

function expectSame(read: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...read.keys()]).toEqual([...expected.keys()])
  for (const [spec, bytes] of expected) expect(Buffer.compare(read.get(spec)!, bytes), spec).toBe(0)
}

test('255, 256 and 257 objects of every type and size around the YAML byte limit: what the session reads, and no folder left behind', async () => {
  const tmp = privateTmp('sizes')
  for (const count of [255, 256, 257, 407]) {
    const { expected, read } = await bothWays(specsOf(count))
    expectSame(read, expected)
    // Trees, commits, tags, missing and short ids are no blobs; the blobs by path are.
    expect(read.has(commit) || read.has(tag) || read.has(`${commit}^{tree}`) || read.has('0'.repeat(40))).toBe(false)
    expect(read.get(`${commit}:f/3.yaml`)?.toString()).toBe('contents HEAD\nflush\n')
    expect(read.get(ids[1]!)?.toString()).toBe('no newline at the end')
    expect(read.get(ids[6]!)?.length).toBe(DEFAULT_YAML_LIMITS.maxBytes + 1)
  }
  expect(readdirSync(tmp)).toEqual([])
}, 120_000)

test('two batches at once, in one reader and in two: each its own answers, no folder left behind', async () => {
  const tmp = privateTmp('concurrent')
  const a = specsOf(300)
  const b = [...specsOf(407)].reverse()
  const { expected: ea } = await bothWays(a)
  const { expected: eb } = await bothWays(b)
  const one = new ObjectReader(new Git(repo))
  const two = new ObjectReader(new Git(repo))
  try {
    await Promise.all([one.read([commit]), two.read([commit])])
    const [ra, rb, rc] = await Promise.all([one.readManyBlobs(a), one.readManyBlobs(b), two.readManyBlobs(a)])
    expectSame(ra, ea)
    expectSame(rb, eb)
    expectSame(rc, ea)
  } finally {
    await one.close()
    await two.close()
  }
  expect(readdirSync(tmp)).toEqual([])
}, 120_000)

test('a temporary folder that cannot be made: the batch is read as the session reads it, not refused', async () => {
  // TMPDIR naming a folder that does not exist, or a file: status needs no temporary folder to read.
  const file = join(temp.dir, 'a-file')
  writeFileSync(file, 'x')
  for (const tmp of [join(temp.dir, 'no', 'such', 'folder'), file]) {
    process.env.TMPDIR = tmp
    const { expected, read } = await bothWays(specsOf(300))
    expectSame(read, expected)
  }
}, 120_000)

test('git failing midway through a batch: refused as the session refuses it, nothing used, no folder left behind', async () => {
  const broken = join(temp.dir, 'broken')
  raw(temp.dir, ['init', '-q', broken])
  const good = Array.from({ length: 300 }, (_, i) => raw(broken, ['hash-object', '-w', '--stdin'], `item ${i}\n`))
  // An object whose type git does not know: cat-file stops there (fatal) with the answers before it written.
  const bad = 'b'.repeat(40)
  plantLoose(broken, bad, Buffer.from('bogus 5\0hello'))
  const asked = [...good.slice(0, 150), bad, ...good.slice(150)]
  const tmp = privateTmp('failing')
  const session = new ObjectReader(new Git(broken))
  const many = new ObjectReader(new Git(broken))
  await many.read([good[0]!])
  const expected = await session.readBlobs(asked).catch((error: unknown) => error)
  const read = await many.readManyBlobs(asked).catch((error: unknown) => error)
  await session.close().catch(() => undefined)
  await many.close().catch(() => undefined)
  expect(expected).toBeInstanceOf(Error)
  expect(read).toBeInstanceOf(Error)
  expect((read as Error).message).toBe((expected as Error).message)
  expect((read as Error).message).toMatch(/invalid object type/)
  expect(readdirSync(tmp)).toEqual([])
}, 120_000)

test('an object git answers with fewer bytes than its header says, last of a batch: refused, nothing used', async () => {
  // A loose object whose header says 100 bytes and holds 5: git 2.39 answers `<id> blob 100` and the 5 bytes,
  // exit 0. Last of a batch, the answers end before the size: no blob of the batch is used.
  const short = join(temp.dir, 'short')
  raw(temp.dir, ['init', '-q', short])
  const good = Array.from({ length: 300 }, (_, i) => raw(short, ['hash-object', '-w', '--stdin'], `item ${i}\n`))
  const bad = 'c'.repeat(40)
  plantLoose(short, bad, Buffer.from('blob 100\0short'))
  const tmp = privateTmp('short-tmp')
  const many = new ObjectReader(new Git(short))
  try {
    await many.read([good[0]!])
    const read = await many.readManyBlobs([...good, bad]).catch((error: unknown) => error)
    expect(read).toBeInstanceOf(Error)
    expect((read as Error).message).toMatch(/ended before answering/)
  } finally {
    await many.close().catch(() => undefined)
  }
  expect(readdirSync(tmp)).toEqual([])
}, 120_000)

// --- writtenItemTree ---

const encode = (text: string) => new TextEncoder().encode(text)
const ref = (kind: string) => ({ type: 'string', 'x-gantry-ref': kind })
const SCHEMAS: object[] = [
  { type: 'object', additionalProperties: ref('v') },
  { type: 'object', properties: { get: ref('g'), keys: ref('k'), values: ref('w') }, additionalProperties: { type: 'object', additionalProperties: ref('x') } },
  { type: 'object', properties: { list: { type: 'array', items: { type: 'object', additionalProperties: ref('l') } } }, additionalProperties: ref('a') },
]

/** Taken or declined as writtenItemValue; when taken, findReferences over the tree is what it is over readYaml's value. */
function check(text: string): boolean {
  const tree = writtenItemTree(encode(text))
  const value = writtenItemValue(encode(text))
  expect(tree === undefined, text).toBe(value === undefined)
  if (tree === undefined) return false
  const parsed = readYaml('definitions/task/x.yaml', encode(text)).parsed
  expect(parsed, text).toBeDefined()
  const full = (parsed!.value as { spec?: unknown }).spec
  for (const schema of SCHEMAS) {
    const found = findReferences(schema, tree.get('spec'))
    expect(found, text).toEqual(findReferences(schema, full))
    expect(found, text).toEqual(findReferences(schema, value!.spec))
  }
  expect(JSON.stringify(value)).toBe(JSON.stringify(parsed!.value))
  return true
}

test('keys named as members of the map kept in order (get, keys, values) or of objects: the references readYaml finds', () => {
  const names = ['get', 'keys', 'values', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'length', 'size', 'at', 'set', 'has', 'map']
  expect(check(`kind: task\nname: x\nspec:\n${names.map((n) => `  ${n}: ${n}Name\n`).join('')}`)).toBe(true)
  expect(check(`kind: task\nname: x\nspec:\n${names.map((n) => `  ${n}:\n    ${n}: inner${n}\n    other${n.length}: k\n`).join('')}`)).toBe(true)
  // A map whose only key is `keys` or `values` holding a list, and a list of maps with such keys.
  expect(check('kind: task\nname: x\nspec:\n  keys:\n    values:\n      - a\n  list:\n    - get: one\n      keys: two\n    - values: three\n    - {}\n  get: "g"\n')).toBe(true)
  // The prototype's keys are declined (readYaml refuses them).
  for (const key of ['__proto__', 'constructor', 'prototype']) expect(check(`kind: task\nname: x\nspec:\n  ${key}: a\n`)).toBe(false)
})

test('duplicate keys at 2, 16, 17, 18 and 1000 keys, first and last: declined as readYaml refuses them', () => {
  for (const count of [2, 15, 16, 17, 18, 1000]) {
    const keys = Array.from({ length: count }, (_, i) => `k${i}`)
    const text = (list: string[]) => `kind: task\nname: x\nspec:\n${list.map((k) => `  ${k}: v${k}\n`).join('')}`
    expect(check(text(keys)), `${count} keys`).toBe(true)
    for (const [a, b] of [
      [0, count - 1],
      [count - 2, count - 1],
      [0, 1],
    ] as const) {
      const list = [...keys]
      list[b] = list[a]!
      if (a === b) continue
      expect(writtenItemTree(encode(text(list))), `${count} keys, ${a} = ${b}`).toBeUndefined()
      expect(readYaml('x.yaml', encode(text(list))).parsed, `${count}: readYaml takes it`).toBeUndefined()
    }
    // The same key in two maps is no duplicate.
    expect(check(`kind: task\nname: x\nspec:\n  a:\n${keys.map((k) => `    ${k}: v\n`).join('')}  b:\n${keys.map((k) => `    ${k}: w\n`).join('')}`)).toBe(true)
  }
})

test('nesting at and past the depth limit, empty maps and lists: the references readYaml finds', () => {
  const nested = (depth: number) => {
    let text = 'kind: task\nname: x\nspec:\n'
    for (let d = 1; d < depth; d++) text += `${'  '.repeat(d)}m${d}:\n`
    return `${text}${'  '.repeat(depth)}leaf: target\n`
  }
  const taken = [8, 14, 15, 16, 17, 30].map((depth) => check(nested(depth)))
  expect(taken.slice(0, 2)).toEqual([true, true])
  expect(taken.at(-1)).toBe(false)
  expect(check('kind: task\nname: x\nspec:\n  a: {}\n  b: []\n  list:\n    - {}\n    - []\n    - get: {}\n')).toBe(true)
})

// --- gantry status end to end ---

let applied: string
beforeAll(async () => {
  applied = await appliedEverywhere(join(temp.dir, 'applied'))
}, 240_000)

/**
 * `count` hostile items added to app's ledger on env/dev and env/qa: unresolved references (diagnostics with
 * line and column), duplicate keys, flow maps, single quotes, no trailing newline, empty files, cat-file-like
 * text, many keys; half with the digest of their bytes, half with another; one whose object is a tree.
 */
function hostile(dir: string, count: number): void {
  for (const branch of ['env/dev', 'env/qa']) {
    const index = join(dir, '.git', 'hostile-index')
    rmSync(index, { force: true })
    const env = { GIT_INDEX_FILE: index }
    raw(dir, ['read-tree', branch], undefined, env)
    const lines: string[] = []
    const items: string[] = []
    for (let i = 0; i < count; i++) {
      const k = i % 9
      const texts = [
        `kind: task\nname: h${i}\nspec:\n  command: run.sh\n  conn: nope${i}\n  successors:\n  - extract\n  - gone${i}\n`,
        `kind: task\nname: h${i}\nspec:\n  conn: db\n  command: "x"\n  successors: []\n`,
        `kind: task\nname: h${i}\nspec:\n  command: a\n  conn: nope${i}`,
        `kind: task\nname: h${i}\nspec:\n  command: a\n  command: b\n  conn: dup${i}\n`,
        `${'0'.repeat(40)} blob 12\nmissing\n`,
        '',
        `kind: task\nname: h${i}\nspec: {command: a, conn: flow${i}, successors: [x${i}, extract]}\n`,
        `kind: task\nname: h${i}\nspec:\n  successors:\n  - q${i}\n  conn: 'quoted${i}'\n  command: z\n`,
        `kind: task\nname: h${i}\nspec:\n  command: a\n  conn: "c${i}"\n${Array.from({ length: 15 + (i % 4) }, (_, j) => `  k${j}: v\n`).join('')}`,
      ]
      const text = texts[k]!
      const id = raw(dir, ['hash-object', '-w', '--stdin'], text)
      lines.push(`100644 ${id}\tdefinitions/task/h${i}.yaml\n`)
      const digest = i % 2 === 0 ? createHash('sha256').update(text).digest('hex') : '0'.repeat(64)
      items.push(`  task/h${i}: sha256:${digest}\n`)
    }
    lines.push(`100644 ${raw(dir, ['rev-parse', `${branch}:definitions`])}\tdefinitions/task/astree.yaml\n`)
    items.push(`  task/astree: sha256:${'1'.repeat(64)}\n`)
    raw(dir, ['update-index', '--index-info'], lines.join(''), env)
    const [head, rest] = raw(dir, ['show', `${branch}:.gantry/installed/app.yaml`]).split('items:\n') as [string, string]
    const ledger = raw(dir, ['hash-object', '-w', '--stdin'], `${head}items:\n${items.join('')}${rest}\n`)
    raw(dir, ['update-index', '--add', '--cacheinfo', `100644,${ledger},.gantry/installed/app.yaml`], undefined, env)
    const tree = raw(dir, ['write-tree'], undefined, env)
    raw(dir, ['update-ref', `refs/heads/${branch}`, raw(dir, ['commit-tree', tree, '-p', raw(dir, ['rev-parse', branch]), '-m', 'hostile'])])
  }
}

test('status on branches of hundreds of hostile items: the same report through the file as through the session (text and JSON)', async () => {
  for (const count of [20, 400]) {
    const dir = join(temp.dir, `status-${count}`)
    execFileSync('cp', ['-r', applied, dir])
    hostile(dir, count)
    privateTmp(`status-tmp-${count}`)
    const viaFile = [await cli(dir, ['status']), await cli(dir, ['status', '--format', 'json'])]
    // A TMPDIR that does not exist: every batch read through the session.
    process.env.TMPDIR = join(temp.dir, 'none', String(count))
    const viaSession = [await cli(dir, ['status']), await cli(dir, ['status', '--format', 'json'])]
    for (const [index, run] of viaFile.entries()) {
      expect(run.code).toBe(1)
      expect(run.stderr).toBe(viaSession[index]!.stderr)
      expect(run.stdout).toBe(viaSession[index]!.stdout)
    }
    const json = JSON.parse(viaFile[1]!.stdout) as { drift: { code: string; line?: number; column?: number; item: string }[] }
    const unresolved = json.drift.filter((d) => d.code === 'unresolved-in-environment')
    expect(unresolved.length).toBeGreaterThan(count)
    expect(unresolved.every((d) => typeof d.line === 'number' && typeof d.column === 'number')).toBe(true)
    expect(json.drift.some((d) => d.item === 'task/astree')).toBe(true)
    expect(readdirSync(join(temp.dir, `status-tmp-${count}`))).toEqual([])
  }
}, 240_000)
