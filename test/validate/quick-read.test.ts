import { execFileSync } from 'node:child_process'
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { SourceEntry } from '../../src/core/model/source-model.js'

/**
 * Small files are read in one call, without asking first what they are (see readWorkingTree): every kind of
 * file must come out as the careful read (open, fstat, read its size) tells it, whether it was there when its
 * folder was listed or took a listed file's place before the read.
 */
describe('the one-call read of a working-tree file answers as the careful read', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  const QUICK = 64 * 1024
  const BIG_LIMIT = 4 * QUICK

  /** Writes defs/a.yaml with `make`, and reads it both ways: listed then read, and read with the listing. */
  async function readBothWays(
    maxBytes: number,
    make: (path: string) => void,
  ): Promise<{ listed: SourceEntry | undefined; read: SourceEntry | undefined; path: string }> {
    const root = mkdtempSync(join(tmpdir(), 'gantry-quick-'))
    dirs.push(root)
    mkdirSync(join(root, 'defs'))
    const path = join(root, 'defs/a.yaml')
    writeFileSync(path, 'kind: agent\n')
    const snapshot = await readWorkingTree(root, ['defs'], maxBytes, { listOnly: true })
    rmSync(path)
    make(path)
    const entry = snapshot.get('defs/a.yaml')
    const listed = entry?.type === 'file' && entry.read ? entry.read() : entry
    const read = (await readWorkingTree(root, ['defs/a.yaml'], maxBytes)).get('defs/a.yaml')
    return { listed, read, path }
  }

  const file = (bytes: Buffer) => ({ type: 'file', bytes: Buffer.from(bytes) })
  const plain = (entry: SourceEntry | undefined) =>
    entry?.type === 'file' ? { type: 'file', bytes: Buffer.from(entry.bytes) } : entry

  const contents: [string, Buffer][] = [
    ['a short file', Buffer.from('kind: agent\nname: a\n')],
    ['an empty file', Buffer.alloc(0)],
    ['bytes that are not UTF-8', Buffer.from([0x6b, 0x3a, 0x20, 0xff, 0xfe, 0x0a])],
    ['a byte order mark', Buffer.from('\ufeffkind: agent\n')],
    ['two byte order marks', Buffer.from('\ufeff\ufeffkind: agent\n')],
    ['an encoded U+FFFD', Buffer.from('name: \ufffd\n')],
    ['a file one byte under the one-call size', Buffer.alloc(QUICK - 1, 0x61)],
    ['a file of the one-call size', Buffer.alloc(QUICK, 0x62)],
    ['a file over the one-call size', Buffer.alloc(QUICK + 1, 0x63)],
    ['a file of exactly the limit', Buffer.alloc(BIG_LIMIT, 0x64)],
  ]
  for (const [what, bytes] of contents) {
    it(`${what}: its bytes, exactly`, async () => {
      const { listed, read, path } = await readBothWays(BIG_LIMIT, (p) => writeFileSync(p, bytes))
      expect(readFileSync(path).equals(bytes)).toBe(true)
      for (const entry of [listed, read]) {
        expect(entry?.type).toBe('file')
        // Compared as buffers: a deep comparison of a large one takes seconds.
        expect(entry?.type === 'file' && Buffer.from(entry.bytes).equals(bytes)).toBe(true)
      }
    })
  }

  it('at a limit under the one-call size: the limit itself read, one byte more too large', async () => {
    const at = await readBothWays(100, (p) => writeFileSync(p, 'x'.repeat(100)))
    expect([plain(at.listed), plain(at.read)]).toEqual([file(Buffer.from('x'.repeat(100))), file(Buffer.from('x'.repeat(100)))])
    const over = await readBothWays(100, (p) => writeFileSync(p, 'x'.repeat(101)))
    expect([over.listed, over.read]).toEqual([{ type: 'too-large', size: 101 }, { type: 'too-large', size: 101 }])
  })

  it('a file far over the limit: too large, with its size, never read whole', async () => {
    const size = 8 * 1024 * 1024
    const { listed, read } = await readBothWays(100, (p) => writeFileSync(p, Buffer.alloc(size, 0x78)))
    expect([listed, read]).toEqual([{ type: 'too-large', size }, { type: 'too-large', size }])
  })

  it('over a limit above the one-call size: too large, with its size', async () => {
    const { listed, read } = await readBothWays(BIG_LIMIT, (p) => writeFileSync(p, Buffer.alloc(BIG_LIMIT + 1, 0x78)))
    expect([listed, read]).toEqual([{ type: 'too-large', size: BIG_LIMIT + 1 }, { type: 'too-large', size: BIG_LIMIT + 1 }])
  })

  it('a folder: other', async () => {
    const { listed } = await readBothWays(BIG_LIMIT, (p) => mkdirSync(p))
    expect(listed).toEqual({ type: 'other' })
  })

  it('a link: a link, not followed', async () => {
    const { listed, read } = await readBothWays(BIG_LIMIT, (p) => symlinkSync('/etc/hostname', p))
    expect([listed, read]).toEqual([{ type: 'symlink' }, { type: 'symlink' }])
  })

  it('a FIFO without a writer: other', async () => {
    const { listed, read } = await readBothWays(BIG_LIMIT, (p) => execFileSync('mkfifo', [p]))
    expect([listed, read]).toEqual([{ type: 'other' }, { type: 'other' }])
  })

  it('a FIFO holding data from a writer: other, and its data left unread', async () => {
    let fifo = -1
    try {
      const { listed } = await readBothWays(BIG_LIMIT, (p) => {
        execFileSync('mkfifo', [p])
        // Read and write at once: the open does not wait for a reader, and the data waits in the FIFO.
        fifo = openSync(p, constants.O_RDWR | constants.O_NONBLOCK)
        writeSync(fifo, 'kind: agent\n')
      })
      expect(listed).toEqual({ type: 'other' })
      const left = Buffer.alloc(64)
      expect(left.toString('utf8', 0, readSync(fifo, left, 0, 64, null))).toBe('kind: agent\n')
    } finally {
      if (fifo >= 0) closeSync(fifo)
    }
  })

  it('files read one after another each keep their own bytes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gantry-quick-'))
    dirs.push(root)
    mkdirSync(join(root, 'defs'))
    writeFileSync(join(root, 'defs/a.yaml'), 'aaaaaaaa')
    writeFileSync(join(root, 'defs/b.yaml'), 'bb')
    writeFileSync(join(root, 'defs/c.yaml'), '')
    const snapshot = await readWorkingTree(root, ['defs'], BIG_LIMIT)
    expect([...snapshot.values()].map(plain)).toEqual([
      file(Buffer.from('aaaaaaaa')),
      file(Buffer.from('bb')),
      file(Buffer.alloc(0)),
    ])
  })
})
