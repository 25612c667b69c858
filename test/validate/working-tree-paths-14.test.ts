import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readWorkingTree } from '../../src/adapters/fs/read-working-tree.js'
import type { SourceEntry } from '../../src/core/model/source-model.js'

/**
 * A working-tree file is opened by its root joined to its path in the repository; the paths a folder listing
 * makes are joined without normalizing them again. Whatever way the root is written, and whatever names the
 * files have, each file is the one `join(root, path)` names.
 */
describe('working-tree files are opened by the path join gives', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  const bytesOf = (entry: SourceEntry | undefined): string | undefined => {
    if (entry?.type !== 'file') return entry?.type
    const read = entry.read ? entry.read() : entry
    return read?.type === 'file' ? Buffer.from(read.bytes).toString('utf8') : read?.type
  }

  it('reads the same files for every spelling of the root, listed or read at once', async () => {
    const base = mkdtempSync(join(tmpdir(), 'gantry-paths-'))
    dirs.push(base)
    const repo = join(base, 'repo')
    const files: Record<string, string> = {
      'defs/task/a.yaml': 'kind: task\nname: a\n',
      'defs/task/.hidden.yaml': 'hidden\n',
      'defs/..task/b.yaml': 'dots\n',
      'defs/.x/c.yaml': 'dot folder\n',
      'defs/task/d..yaml': 'double dot in the name\n',
      'defs/task/e.': 'trailing dot\n',
    }
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(repo, path, '..'), { recursive: true })
      writeFileSync(join(repo, path), text)
    }
    // A link next to the files: recorded, never followed, whatever the root.
    writeFileSync(join(base, 'outside.yaml'), 'outside\n')
    symlinkSync(join(base, 'outside.yaml'), join(repo, 'defs/task/link.yaml'))

    const cwd = process.cwd()
    const roots = [
      repo,
      `${repo}/`,
      `${repo}//`,
      join(repo, '..', 'repo'),
      `${repo}/./`,
      `${base}/repo/../repo`,
      relative(cwd, repo),
      `./${relative(cwd, repo)}`,
      '/'.repeat(2) + repo.replace(/^\/+/, ''),
    ]
    for (const root of roots) {
      for (const listOnly of [false, true]) {
        const snapshot = await readWorkingTree(root, ['defs'], 1024 * 1024, { listOnly })
        const seen = Object.fromEntries([...snapshot].map(([path, entry]) => [path, bytesOf(entry)]))
        expect(seen, `${root} ${listOnly ? 'listed' : 'read'}`).toEqual({
          ...files,
          'defs/task/link.yaml': 'symlink',
        })
      }
    }
    expect(readFileSync(join(base, 'outside.yaml'), 'utf8')).toBe('outside\n')
  })

  it('reads a root named as a file, and reads a file again by its path', async () => {
    const base = mkdtempSync(join(tmpdir(), 'gantry-paths-'))
    dirs.push(base)
    mkdirSync(join(base, 'repo', 'defs'), { recursive: true })
    writeFileSync(join(base, 'repo', 'gantry.yaml'), 'versioning: dot\n')
    writeFileSync(join(base, 'repo', 'defs', 'a.yaml'), 'a: 1\n')
    for (const root of [join(base, 'repo'), `${base}/./repo/`]) {
      const snapshot = await readWorkingTree(root, ['gantry.yaml', 'defs'], 1024 * 1024, { listOnly: true })
      expect(bytesOf(snapshot.get('gantry.yaml'))).toBe('versioning: dot\n')
      const entry = snapshot.get('defs/a.yaml')
      expect(bytesOf(entry)).toBe('a: 1\n')
      const again = entry?.type === 'file' ? entry.again?.readAgain('defs/a.yaml') : undefined
      expect(again && Buffer.from(again).toString('utf8')).toBe('a: 1\n')
    }
  })
})
