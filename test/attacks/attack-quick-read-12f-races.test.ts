import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { SourceEntry } from '../../src/core/model/source-model.js'
import { DEFAULT_YAML_LIMITS } from '../../src/core/yaml/read-yaml.js'

/**
 * A file changed between the one-call read and the careful read that follows it on the same descriptor
 * (see readWorkingTree). The window is made to happen every time: `node:fs` is wrapped so that a test can
 * act right after the first read of a file returns, as another process writing the working tree could.
 */

const hook = vi.hoisted(() => ({
  afterFirstRead: undefined as ((n: number, length: number) => void) | undefined,
  reads: 0,
}))

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const readSync = ((...args: unknown[]) => {
    hook.reads++
    const n = (fs.readSync as (...a: unknown[]) => number)(...args)
    const after = hook.afterFirstRead
    hook.afterFirstRead = undefined
    const length = typeof args[2] === 'number' && typeof args[3] === 'number' ? args[3] : -1
    after?.(n, length)
    return n
  }) as typeof fs.readSync
  return { ...fs, readSync, default: { ...fs, readSync } }
})

const QUICK = 64 * 1024
const LIMIT = DEFAULT_YAML_LIMITS.maxBytes

const dirs: string[] = []
afterEach(() => {
  hook.afterFirstRead = undefined
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 13 + seed * 101 + (i >> 9)) % 253
  return bytes
}

/** A file entry as its length and digest (a deep comparison of large buffers is slow), anything else as it is. */
const text = (entry: SourceEntry | Buffer | undefined): unknown => {
  if (Buffer.isBuffer(entry))
    return { length: entry.length, sha256: createHash('sha256').update(entry).digest('hex') }
  return entry?.type === 'file'
    ? text(Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength))
    : entry
}

/**
 * Writes defs/a.yaml with `before`, lists it, then reads it with `change` run right after the first read of
 * its descriptor returns: the result both as listed and as a root named.
 */
async function readWithChange(
  before: Buffer,
  change: (path: string) => void,
): Promise<{
  listed: SourceEntry | undefined
  named: SourceEntry | undefined
  path: string
  firstRead: { n: number; length: number }[]
}> {
  const root = mkdtempSync(join(tmpdir(), 'gantry-12f-race-'))
  dirs.push(root)
  mkdirSync(join(root, 'defs'))
  const path = join(root, 'defs/a.yaml')
  const firstRead: { n: number; length: number }[] = []
  const arm = () => {
    writeFileSync(path, before)
    hook.afterFirstRead = (n, length) => {
      firstRead.push({ n, length })
      change(path)
    }
  }
  writeFileSync(path, before)
  const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
  arm()
  const entry = snapshot.get('defs/a.yaml')
  const listed = entry?.type === 'file' && entry.read ? entry.read() : entry
  arm()
  const named = (await readWorkingTree(root, ['defs/a.yaml'], LIMIT)).get('defs/a.yaml')
  return { listed, named, path, firstRead }
}

describe('a file changed between the one-call read and the careful read', () => {
  const LARGE = pattern(QUICK + 1000, 1)

  it('the hook sits where the tests need it: the first read asks for the whole buffer', async () => {
    const { firstRead } = await readWithChange(LARGE, () => {})
    expect(firstRead).toEqual([
      { n: QUICK, length: QUICK },
      { n: QUICK, length: QUICK },
    ])
  })

  it('shrunk to 10 bytes after a full buffer: the 10 bytes it now has', async () => {
    const { listed, named } = await readWithChange(LARGE, (p) => truncateSync(p, 10))
    expect([text(listed), text(named)]).toEqual([text(LARGE.subarray(0, 10)), text(LARGE.subarray(0, 10))])
  })

  it('emptied after a full buffer: empty', async () => {
    const { listed, named } = await readWithChange(LARGE, (p) => truncateSync(p, 0))
    expect([text(listed), text(named)]).toEqual([text(Buffer.alloc(0)), text(Buffer.alloc(0))])
  })

  it('grown over the limit after a full buffer: too large, with the size it now has', async () => {
    const { listed, named } = await readWithChange(LARGE, (p) => truncateSync(p, LIMIT + 1))
    expect([listed, named]).toEqual([
      { type: 'too-large', size: LIMIT + 1 },
      { type: 'too-large', size: LIMIT + 1 },
    ])
  })

  it('grown within the limit after a full buffer: all of it, the new bytes included', async () => {
    const more = pattern(3 * QUICK, 2)
    const { listed, named } = await readWithChange(LARGE, (p) => writeFileSync(p, more))
    expect([text(listed), text(named)]).toEqual([text(more), text(more)])
  })

  it('replaced by a rename after a full buffer: the file that was opened, whole (not the new one, not a mix)', async () => {
    const { listed, named } = await readWithChange(LARGE, (p) => {
      writeFileSync(`${p}.new`, 'kind: agent\n')
      renameSync(`${p}.new`, p)
    })
    expect([text(listed), text(named)]).toEqual([text(LARGE), text(LARGE)])
  })

  it('a short file rewritten right after its one read: the bytes read, copied before anything else happens', async () => {
    const small = pattern(100, 3)
    const { listed, named, path } = await readWithChange(small, (p) => writeFileSync(p, pattern(200, 4)))
    expect([text(listed), text(named)]).toEqual([text(small), text(small)])
    expect(readFileSync(path).equals(pattern(200, 4))).toBe(true)
  })

  it('an empty file written right after its one read of 0 bytes: what the careful read then finds', async () => {
    const { listed, named } = await readWithChange(Buffer.alloc(0), (p) => writeFileSync(p, 'kind: agent\n'))
    expect([text(listed), text(named)]).toEqual([
      text(Buffer.from('kind: agent\n')),
      text(Buffer.from('kind: agent\n')),
    ])
  })

  it('a file of exactly the buffer truncated to one byte under it after the read: the shorter file', async () => {
    const exact = pattern(QUICK, 5)
    const { listed, named } = await readWithChange(exact, (p) => truncateSync(p, QUICK - 1))
    expect([text(listed), text(named)]).toEqual([
      text(exact.subarray(0, QUICK - 1)),
      text(exact.subarray(0, QUICK - 1)),
    ])
  })

  it("a FIFO with data in a listed file's place: the one read is refused, the careful read says other, the data stays", async () => {
    const root = mkdtempSync(join(tmpdir(), 'gantry-12f-race-'))
    dirs.push(root)
    mkdirSync(join(root, 'defs'))
    const path = join(root, 'defs/a.yaml')
    writeFileSync(path, 'kind: agent\n')
    const snapshot = await readWorkingTree(root, ['defs'], LIMIT, { listOnly: true })
    rmSync(path)
    execFileSync('mkfifo', [path])
    const fifo = openSync(path, constants.O_RDWR | constants.O_NONBLOCK)
    try {
      writeSync(fifo, 'kind: agent\n')
      hook.reads = 0
      const entry = snapshot.get('defs/a.yaml')
      expect(entry?.type === 'file' && entry.read ? entry.read() : entry).toEqual({ type: 'other' })
      // One read was tried (and refused); none took data.
      expect(hook.reads).toBe(1)
      const left = Buffer.alloc(64)
      expect(left.toString('utf8', 0, readSync(fifo, left, 0, 64, null))).toBe('kind: agent\n')
    } finally {
      closeSync(fifo)
    }
  })
})
