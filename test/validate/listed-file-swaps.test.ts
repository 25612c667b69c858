import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { SourceEntry } from '../../src/core/model/source-model.js'

/**
 * A file listed in its folder is read later, when a loader asks (see readWorkingTree's `listOnly`): whatever
 * took its place meanwhile is told apart when it is read, never followed, never blocking, never read past the
 * size limit.
 */
describe('a listed file replaced before it is read', () => {
  const MAX = 64
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  /** Lists defs/a.yaml, then puts `swap` in its place, then reads the entry listed. */
  async function readAfter(swap: (path: string) => void): Promise<SourceEntry | undefined> {
    const root = mkdtempSync(join(tmpdir(), 'gantry-swap-'))
    dirs.push(root)
    mkdirSync(join(root, 'defs'))
    const path = join(root, 'defs/a.yaml')
    writeFileSync(path, 'kind: agent\n')
    const snapshot = await readWorkingTree(root, ['defs'], MAX, { listOnly: true })
    rmSync(path)
    swap(path)
    const listed = snapshot.get('defs/a.yaml')
    expect(listed?.type).toBe('file')
    return listed?.type === 'file' && listed.read ? listed.read() : listed
  }

  const text = (entry: SourceEntry | undefined) => (entry?.type === 'file' ? Buffer.from(entry.bytes).toString('utf8') : undefined)

  it('a FIFO: not a regular file, and the read does not block', async () => {
    expect(await readAfter((path) => execFileSync('mkfifo', [path]))).toEqual({ type: 'other' })
  })

  it('a folder: not a regular file', async () => {
    expect(await readAfter((path) => mkdirSync(path))).toEqual({ type: 'other' })
  })

  it('a link: recorded as a link, not followed', async () => {
    expect(await readAfter((path) => symlinkSync('/etc/passwd', path))).toEqual({ type: 'symlink' })
  })

  it('a file over the limit: too large, with its size', async () => {
    expect(await readAfter((path) => writeFileSync(path, 'x'.repeat(MAX + 1)))).toEqual({ type: 'too-large', size: MAX + 1 })
    expect(await readAfter((path) => writeFileSync(path, 'x'.repeat(10 * MAX)))).toEqual({ type: 'too-large', size: 10 * MAX })
  })

  it('a file of exactly the limit, an empty file, a short one: their bytes', async () => {
    expect(text(await readAfter((path) => writeFileSync(path, 'y'.repeat(MAX))))).toBe('y'.repeat(MAX))
    expect(text(await readAfter((path) => writeFileSync(path, '')))).toBe('')
    expect(text(await readAfter((path) => writeFileSync(path, 'kind: task\n')))).toBe('kind: task\n')
  })

  it('each file read has bytes of its own (nothing shared between reads)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gantry-swap-'))
    dirs.push(root)
    mkdirSync(join(root, 'defs'))
    writeFileSync(join(root, 'defs/a.yaml'), 'aaaaaaaa')
    writeFileSync(join(root, 'defs/b.yaml'), 'bb')
    const snapshot = await readWorkingTree(root, ['defs'], MAX, { listOnly: true })
    const read = (file: string) => {
      const entry = snapshot.get(file)
      return entry?.type === 'file' && entry.read ? entry.read() : entry
    }
    const a = read('defs/a.yaml')
    const b = read('defs/b.yaml')
    expect([text(a), text(b)]).toEqual(['aaaaaaaa', 'bb'])
  })

  it('a gone file: undefined', async () => {
    expect(await readAfter(() => {})).toBeUndefined()
  })
})
