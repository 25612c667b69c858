import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { SourceEntry } from '../../src/core/model/source-model.js'
import { DEFAULT_YAML_LIMITS } from '../../src/core/yaml/read-yaml.js'

/**
 * The one-call read of small working-tree files (readWorkingTree) against an oracle that does not share its
 * code: lstat, then open + fstat + read of the size fstat gives (the careful read), and readFileSync for the
 * bytes. Every file is compared byte for byte and by digest, after the other files were read (the one-call
 * read reuses one buffer for every file).
 */

const QUICK = 64 * 1024
const LIMIT = DEFAULT_YAML_LIMITS.maxBytes
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'gantry-12f-'))
  dirs.push(root)
  mkdirSync(join(root, 'defs'))
  return root
}

/** What the careful read answers for the file at `path` now (undefined: gone). */
function oracle(path: string, maxBytes: number): Plain {
  let link
  try {
    link = lstatSync(path)
  } catch {
    return undefined
  }
  if (link.isSymbolicLink()) return { type: 'symlink' }
  const fd = openSync(path, FLAGS)
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) return { type: 'other' }
    if (stat.size > maxBytes) return { type: 'too-large', size: stat.size }
    return described(readFileSync(path))
  } finally {
    closeSync(fd)
  }
}

type Plain =
  { type: 'file'; length: number; sha256: string; hex: string } | { type: string; size?: number } | undefined

/** A file's bytes told by their length, digest and (for short files) the bytes themselves. */
function described(bytes: Uint8Array): Plain {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    type: 'file',
    length: buffer.length,
    sha256: createHash('sha256').update(buffer).digest('hex'),
    hex: buffer.length <= 64 ? buffer.toString('hex') : '',
  }
}

function plain(entry: SourceEntry | undefined): Plain {
  if (entry?.type !== 'file') return entry
  return described(entry.bytes)
}

/** The listed entry read now (a listed file is read when asked). */
function readListed(snapshot: Map<string, SourceEntry>, path: string): SourceEntry | undefined {
  const entry = snapshot.get(path)
  return entry?.type === 'file' && entry.read ? entry.read() : entry
}

/** Bytes that tell a file apart from every other: no file's bytes are a prefix or a suffix of another's. */
function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 97 + (i >> 8) * 7) % 251
  return bytes
}

describe('the reused buffer: files of decreasing size each read as they are', () => {
  const SIZES = [
    3 * QUICK,
    QUICK + 1,
    QUICK,
    QUICK - 1,
    QUICK - 2,
    50_000,
    8193,
    4097,
    4096,
    4095,
    1000,
    65,
    64,
    2,
    1,
    0,
  ]

  function writeSizes(root: string, sizes: readonly number[]): string[] {
    return sizes.map((size, i) => {
      const name = `defs/f${String(i).padStart(2, '0')}.yaml`
      writeFileSync(join(root, name), pattern(size, i))
      return name
    })
  }

  it('read with the listing, then each compared with the file after all are read', async () => {
    const root = tempRoot()
    const names = writeSizes(root, SIZES)
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT)
    const held = names.map((name) => snapshot.get(name))
    // Other reads into the same kind of buffer meanwhile.
    await readWorkingTree(root, ['defs'], LIMIT)
    for (const [i, name] of names.entries()) {
      expect(plain(held[i]), name).toEqual(oracle(join(root, name), LIMIT))
      expect(held[i]?.type === 'file' && held[i].bytes.byteLength).toBe(SIZES[i])
    }
  })

  it('listed then read one by one, largest first, smallest first, and in a shuffled order: each result held and compared at the end', async () => {
    const root = tempRoot()
    const names = writeSizes(root, SIZES)
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    const orders = [names, [...names].reverse(), names.map((_, i) => names[(i * 7) % names.length]!)]
    const held: [string, SourceEntry | undefined][] = []
    for (const order of orders) for (const name of order) held.push([name, readListed(snapshot, name)])
    for (const [name, entry] of held) expect(plain(entry), name).toEqual(oracle(join(root, name), LIMIT))
  })

  it('bytes a loader holds are not changed by later reads of the same source (no view into the buffer)', async () => {
    const root = tempRoot()
    writeFileSync(join(root, 'defs/a.yaml'), 'kind: agent\nname: a\n')
    writeFileSync(join(root, 'defs/b.yaml'), 'x'.repeat(QUICK - 1))
    writeFileSync(join(root, 'defs/c.yaml'), 'k')
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    const a = readListed(snapshot, 'defs/a.yaml')
    const copy = a?.type === 'file' ? Buffer.from(a.bytes) : Buffer.alloc(0)
    readListed(snapshot, 'defs/b.yaml')
    readListed(snapshot, 'defs/c.yaml')
    // readAgain (positions of findings) reads through the same source.
    const again = a?.type === 'file' ? a.again?.readAgain('defs/b.yaml') : undefined
    expect(again && Buffer.from(again).equals(Buffer.alloc(QUICK - 1, 0x78))).toBe(true)
    expect(a?.type === 'file' && Buffer.from(a.bytes).equals(copy)).toBe(true)
    expect(copy.toString()).toBe('kind: agent\nname: a\n')
  })

  it('a file shrunk in place after a longer read shows none of the longer bytes', async () => {
    const root = tempRoot()
    const path = join(root, 'defs/a.yaml')
    writeFileSync(path, pattern(QUICK - 1, 1))
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    const first = readListed(snapshot, 'defs/a.yaml')
    for (const size of [QUICK - 2, 40_000, 4096, 17, 1, 0]) {
      truncateSync(path, size)
      expect(plain(readListed(snapshot, 'defs/a.yaml')), String(size)).toEqual(oracle(path, LIMIT))
      expect(plain(readListed(snapshot, 'defs/a.yaml'))).toEqual(
        described(pattern(QUICK - 1, 1).subarray(0, size)),
      )
    }
    expect(plain(first)).toEqual(described(pattern(QUICK - 1, 1)))
  })
})

describe('sizes around the one-call size and around the limit', () => {
  const LIMITS = [0, 1, 100, 4095, 4096, QUICK - 2, QUICK - 1, QUICK, QUICK + 1, LIMIT]

  for (const maxBytes of LIMITS) {
    it(`limit ${maxBytes}: every size around it and around ${QUICK} answers as the careful read`, async () => {
      const root = tempRoot()
      const sizes = [
        ...new Set([0, 1, maxBytes - 1, maxBytes, maxBytes + 1, maxBytes + 2, QUICK - 1, QUICK, QUICK + 1]),
      ].filter((s) => s >= 0)
      const names = sizes.map((size, i) => {
        const name = `defs/s${String(i).padStart(2, '0')}.yaml`
        writeFileSync(join(root, name), pattern(size, i + 3))
        return name
      })
      const eager = await readWorkingTree(root, ['defs'], maxBytes)
      const listed = await readWorkingTree(root, ['defs'], maxBytes, { listOnly: true })
      for (const name of names) {
        const expected = oracle(join(root, name), maxBytes)
        expect(plain(eager.get(name)), `${name} read with the listing`).toEqual(expected)
        expect(plain(readListed(listed, name)), `${name} listed`).toEqual(expected)
        // A file named as a root is read the same way.
        expect(plain((await readWorkingTree(root, [name], maxBytes)).get(name)), `${name} as a root`).toEqual(
          expected,
        )
      }
    })
  }

  it('the default limit: one byte under, at, over, and far over (never read whole)', async () => {
    const root = tempRoot()
    const sizes = [LIMIT - 1, LIMIT, LIMIT + 1, 64 * LIMIT]
    for (const [i, size] of sizes.entries()) writeFileSync(join(root, `defs/l${i}.yaml`), pattern(size, i))
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    expect(sizes.map((_, i) => plain(readListed(snapshot, `defs/l${i}.yaml`)))).toEqual(
      sizes.map((_, i) => oracle(join(root, `defs/l${i}.yaml`), LIMIT)),
    )
    expect(sizes.map((_, i) => readListed(snapshot, `defs/l${i}.yaml`)?.type)).toEqual([
      'file',
      'file',
      'too-large',
      'too-large',
    ])
  })

  it('sparse files: holes read as zeros, a sparse file over the limit is too large with its size', async () => {
    const root = tempRoot()
    const cases: [string, number, number][] = [
      ['defs/s1.yaml', QUICK - 1, QUICK - 2],
      ['defs/s2.yaml', QUICK, QUICK - 1],
      ['defs/s3.yaml', QUICK + 1, QUICK],
      ['defs/s4.yaml', 1 << 30, 5],
      ['defs/s5.yaml', 40_000, -1],
    ]
    for (const [name, size, last] of cases) {
      writeFileSync(join(root, name), '')
      truncateSync(join(root, name), size)
      if (last >= 0) {
        const fd = openSync(join(root, name), 'r+')
        writeSync(fd, Buffer.from('z'), 0, 1, last)
        closeSync(fd)
      }
    }
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    for (const [name] of cases)
      expect(plain(readListed(snapshot, name)), name).toEqual(oracle(join(root, name), LIMIT))
    expect(readListed(snapshot, 'defs/s4.yaml')).toEqual({ type: 'too-large', size: 1 << 30 })
  })
})

describe('a listed file changed before it is read', () => {
  const SIZES = [0, 10, QUICK - 1, QUICK, QUICK + 1, LIMIT, LIMIT + 1]

  for (const how of ['rewritten in place', 'replaced by a rename'] as const) {
    it(`${how}: every size to every other reads as the file now is`, async () => {
      const root = tempRoot()
      const path = join(root, 'defs/a.yaml')
      for (const [i, from] of SIZES.entries()) {
        for (const [j, to] of SIZES.entries()) {
          writeFileSync(path, pattern(from, i))
          const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
          if (how === 'rewritten in place') writeFileSync(path, pattern(to, 20 + j))
          else {
            writeFileSync(`${path}.new`, pattern(to, 20 + j))
            renameSync(`${path}.new`, path)
          }
          const expected = oracle(path, LIMIT)
          expect(plain(readListed(snapshot, 'defs/a.yaml')), `${from} -> ${to}`).toEqual(expected)
          // Read again through the entry (a loader reading twice): the same.
          expect(plain(readListed(snapshot, 'defs/a.yaml')), `${from} -> ${to}, twice`).toEqual(expected)
        }
      }
    })
  }
})

describe('what is not a small regular file', () => {
  it('links to a file, a folder, /dev/zero, /dev/stdin, a FIFO, a missing target: links, not followed', async () => {
    const root = tempRoot()
    writeFileSync(join(root, 'target.yaml'), 'kind: agent\n')
    mkdirSync(join(root, 'folder'))
    execFileSync('mkfifo', [join(root, 'fifo')])
    const targets = [
      join(root, 'target.yaml'),
      join(root, 'folder'),
      '/dev/zero',
      '/dev/stdin',
      join(root, 'fifo'),
      join(root, 'missing'),
    ]
    for (const [i, target] of targets.entries()) symlinkSync(target, join(root, `defs/l${i}.yaml`))
    const eager = await readWorkingTree(root, ['defs'], LIMIT)
    const listed = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    for (const [i] of targets.entries()) {
      expect(eager.get(`defs/l${i}.yaml`)).toEqual({ type: 'symlink' })
      expect(listed.get(`defs/l${i}.yaml`)).toEqual({ type: 'symlink' })
      expect((await readWorkingTree(root, [`defs/l${i}.yaml`], LIMIT)).get(`defs/l${i}.yaml`)).toEqual({
        type: 'symlink',
      })
    }
  })

  it('a listed file swapped for links to /dev/zero, /dev/stdin, a FIFO: links', async () => {
    for (const target of ['/dev/zero', '/dev/stdin', '/proc/self/status']) {
      const root = tempRoot()
      writeFileSync(join(root, 'defs/a.yaml'), 'kind: agent\n')
      const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
      rmSync(join(root, 'defs/a.yaml'))
      symlinkSync(target, join(root, 'defs/a.yaml'))
      expect(readListed(snapshot, 'defs/a.yaml'), target).toEqual({ type: 'symlink' })
    }
  })

  it("a folder in a listed file's place, and a file named as a root that became a folder: other", async () => {
    const root = tempRoot()
    writeFileSync(join(root, 'defs/a.yaml'), 'kind: agent\n')
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    rmSync(join(root, 'defs/a.yaml'))
    mkdirSync(join(root, 'defs/a.yaml'))
    writeFileSync(join(root, 'defs/a.yaml/inner.yaml'), 'kind: agent\n')
    expect(readListed(snapshot, 'defs/a.yaml')).toEqual({ type: 'other' })
  })

  it('a FIFO holding more data than the buffer, with its writer open: other, and all its data left', async () => {
    const root = tempRoot()
    const path = join(root, 'defs/a.yaml')
    writeFileSync(path, 'kind: agent\n')
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    rmSync(path)
    execFileSync('mkfifo', [path])
    const fifo = openSync(path, constants.O_RDWR | constants.O_NONBLOCK)
    try {
      const data = pattern(QUICK - 1, 9)
      expect(writeSync(fifo, data)).toBe(data.length)
      expect(readListed(snapshot, 'defs/a.yaml')).toEqual({ type: 'other' })
      expect((await readWorkingTree(root, ['defs/a.yaml'], LIMIT)).get('defs/a.yaml')).toEqual({
        type: 'other',
      })
      expect((await readWorkingTree(root, ['defs'], LIMIT)).get('defs/a.yaml')).toEqual({ type: 'other' })
      const left = Buffer.alloc(QUICK)
      const n = readSync(fifo, left, 0, left.length, null)
      expect(left.subarray(0, n).equals(data)).toBe(true)
    } finally {
      closeSync(fifo)
    }
  })

  it("a socket: other when listed; in a listed file's place, the read says what it is or fails, never reads it", async () => {
    const root = tempRoot()
    const path = join(root, 'defs/a.yaml')
    writeFileSync(path, 'kind: agent\n')
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    rmSync(path)
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(path, resolve))
    try {
      expect((await readWorkingTree(root, ['defs'], LIMIT)).get('defs/a.yaml')).toEqual({ type: 'other' })
      expect((await readWorkingTree(root, ['defs/a.yaml'], LIMIT)).get('defs/a.yaml')).toEqual({
        type: 'other',
      })
      // Opening a socket fails (ENXIO) before any read: the same as before the one-call read.
      let answer: unknown
      try {
        answer = readListed(snapshot, 'defs/a.yaml')
      } catch (error) {
        answer = (error as NodeJS.ErrnoException).code
      }
      expect(answer).toBe('ENXIO')
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('bytes that are not UTF-8, byte order marks, CRLF, NULs, an empty file: exactly their bytes', async () => {
    const root = tempRoot()
    const contents = [
      Buffer.from([0xff, 0xfe, 0x00, 0x6b, 0x00]),
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('\ufeff\ufeffkind: agent\r\nname: a\r\n'),
      Buffer.concat([Buffer.alloc(QUICK - 2, 0x0d), Buffer.from([0xc3])]),
      Buffer.concat([Buffer.from('\ufeff'), Buffer.alloc(QUICK - 4, 0x20)]),
      Buffer.alloc(QUICK - 1, 0),
      Buffer.alloc(0),
      Buffer.from('\r'),
    ]
    for (const [i, bytes] of contents.entries()) writeFileSync(join(root, `defs/c${i}.yaml`), bytes)
    const eager = await readWorkingTree(root, ['defs'], LIMIT)
    for (const [i, bytes] of contents.entries()) {
      expect(plain(eager.get(`defs/c${i}.yaml`)), String(i)).toEqual(described(bytes))
    }
  })

  it('names with odd bytes: each listed name reads as its file', async () => {
    const root = tempRoot()
    const names = [
      'a b.yaml',
      'new\nline.yaml',
      'tab\t.yaml',
      'quote".yaml',
      "apos'.yaml",
      'back\\slash.yaml',
      'ü.yaml',
      '\u200b.yaml',
      'x'.repeat(250) + '.yaml',
      '-.yaml',
      '.hidden.yaml',
    ]
    for (const [i, name] of names.entries())
      writeFileSync(join(root, 'defs', name), pattern(100 + i * 4000, i))
    for (const listOnly of [false, true]) {
      const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly })
      for (const name of names)
        expect(plain(readListed(snapshot, `defs/${name}`)), JSON.stringify(name)).toEqual(
          oracle(join(root, 'defs', name), LIMIT),
        )
    }
  })
})
