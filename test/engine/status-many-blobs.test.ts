import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader } from '../../src/adapters/git/object-reader.js'
import { tempDir } from './helpers.js'

// Status reads the ledgers and the items of every branch in batches of thousands of objects: a batch of many
// objects is read by a cat-file process of its own writing into a file (readManyBlobs). What it gives must be
// what the session gives for the same batch (readBlobs), whatever git answers to each spec.

const temp = tempDir('gantry-many-blobs-')
afterAll(() => temp.cleanup())

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' }
const raw = (dir: string, args: string[], input?: Buffer | string) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...IDENTITY }, maxBuffer: 1 << 28 }).toString('utf8').trim()

let dir: string
let commit: string
const blobs: string[] = []
beforeAll(() => {
  dir = join(temp.dir, 'repo')
  raw(temp.dir, ['init', '-q', dir])
  // Blobs of every shape: empty, line breaks only, NUL bytes, text that looks like cat-file's own headers,
  // bytes that are no UTF-8, and a few large ones (several pipe buffers each).
  const contents: Buffer[] = [Buffer.alloc(0), Buffer.from('\n'), Buffer.from('\n\n\n'), Buffer.from([0, 10, 0, 32, 0])]
  contents.push(Buffer.from(`${'0'.repeat(40)} blob 12\nmissing\n`), Buffer.from('x missing\n'), Buffer.from([0xff, 0xfe, 0xc3, 0x0a]))
  for (let i = 0; i < 3; i++) contents.push(Buffer.from(Array.from({ length: 300_000 + i }, (_, k) => (k * 7919 + i) % 256)))
  for (let i = 0; i < 300; i++) contents.push(Buffer.from(`kind: task\nname: t${i}\n${'spec: x\n'.repeat(i % 7)}`))
  const index = join(dir, '.git', 'many-index')
  rmSync(index, { force: true })
  const lines = contents.map((content, i) => {
    const id = raw(dir, ['hash-object', '-w', '--stdin'], content)
    blobs.push(id)
    return `100644 ${id}\tfolder/file ${i}.yaml\0`
  })
  execFileSync('git', ['-C', dir, 'update-index', '-z', '--index-info'], { input: lines.join(''), env: { ...process.env, GIT_INDEX_FILE: index } })
  const tree = execFileSync('git', ['-C', dir, 'write-tree'], { env: { ...process.env, GIT_INDEX_FILE: index } }).toString().trim()
  commit = raw(dir, ['commit-tree', tree, '-m', 'files'])
  raw(dir, ['update-ref', 'refs/heads/main', commit])
})

/** The specs of a batch: blobs by id and by path, and what is no blob or names nothing. */
function specs(): string[] {
  // A prefix of four digits that more than one object has: git answers it `ambiguous`.
  const all = raw(dir, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)']).split('\n')
  const counts = new Map<string, number>()
  for (const id of all) counts.set(id.slice(0, 4), (counts.get(id.slice(0, 4)) ?? 0) + 1)
  const ambiguous = [...counts].find(([, count]) => count > 1)?.[0]
  const out = [...blobs, ...blobs.slice(0, 20).map((_, i) => `${commit}:folder/file ${i}.yaml`)]
  out.splice(5, 0, commit, `${commit}^{tree}`, `${commit}:folder`, '1'.repeat(40), `${commit}:folder/none.yaml`, 'no such name', 'refs/heads/main:folder/file 3.yaml')
  if (ambiguous) out.splice(40, 0, ambiguous)
  // The same spec twice, and a blob asked by a spec that is cat-file's answer to another.
  out.push(blobs[7]!, `${blobs[8]} missing`)
  return out
}

test('a batch of many objects read through a file gives what the session gives', async () => {
  const asked = specs()
  expect(asked.length).toBeGreaterThan(300)
  const session = new ObjectReader(new Git(dir))
  const many = new ObjectReader(new Git(dir))
  try {
    const expected = await session.readBlobs(asked)
    // The first request starts the session (and finds out which requests git takes): then a file.
    await many.read([commit])
    const read = await many.readManyBlobs(asked)
    expect([...read.keys()]).toEqual([...expected.keys()])
    for (const [spec, bytes] of expected) expect(Buffer.compare(read.get(spec)!, bytes), spec).toBe(0)
    // Every blob of the repository, and nothing else.
    expect(new Set(read.keys()).size).toBe(blobs.length + 21)
    expect(read.has(commit) || read.has('1'.repeat(40)) || read.has(`${commit}:folder`)).toBe(false)
  } finally {
    await session.close()
    await many.close()
  }
})

test('a batch of many objects made before the session answered anything, or with a line break, is read as readBlobs reads it', async () => {
  const asked = specs()
  const reader = new ObjectReader(new Git(dir))
  try {
    const read = await reader.readManyBlobs(asked)
    expect(read.size).toBe(blobs.length + 21)
    await expect(reader.readManyBlobs([...asked, 'a\nb'])).rejects.toThrow(/line break/)
  } finally {
    await reader.close()
  }
})

test('a batch git cannot answer is refused as the session refuses it', async () => {
  const broken = join(temp.dir, 'broken')
  raw(temp.dir, ['init', '-q', broken])
  const id = raw(broken, ['hash-object', '-w', '--stdin'], Buffer.from(Array.from({ length: 100_000 }, (_, k) => (k * 31) % 251)))
  const object = join(broken, '.git/objects', id.slice(0, 2), id.slice(2))
  const bytes = execFileSync('cat', [object])
  rmSync(object, { force: true })
  bytes.fill(0, bytes.length >> 1, (bytes.length >> 1) + 50)
  execFileSync('sh', ['-c', `cat > '${object}'`], { input: bytes })
  const asked = Array.from({ length: 300 }, () => id)
  const session = new ObjectReader(new Git(broken))
  const many = new ObjectReader(new Git(broken))
  await many.read(['HEAD'])
  const expected = await session.readBlobs(asked).catch((error: unknown) => error)
  const read = await many.readManyBlobs(asked).catch((error: unknown) => error)
  await session.close().catch(() => undefined)
  await many.close().catch(() => undefined)
  expect(expected).toBeInstanceOf(Error)
  expect(read).toBeInstanceOf(Error)
  expect((read as Error).message).toBe((expected as Error).message)
})
