import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Git, GitError } from '../../src/adapters/git/git.js'
import { removeTempDirs, tempDir } from '../support/fixtures.js'

/**
 * Git.readBlobs reads `cat-file --batch` through a file of a private temporary folder: the bytes must be those
 * git writes through a pipe, the folder must be gone afterwards whatever happened, and a temporary folder that
 * cannot be used must give an error, not a wrong answer.
 */
const git = (dir: string, args: string[], input?: string | Buffer) =>
  execFileSync('git', ['-C', dir, ...args], { input, maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1' } })

function repository(files: Record<string, string | Buffer>): { dir: string; blobs: Record<string, string> } {
  const dir = tempDir('gantry-blobs-')
  git(dir, ['init', '-q'])
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true })
    writeFileSync(join(dir, path), content)
  }
  git(dir, ['add', '-A'])
  git(dir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'one'])
  const blobs: Record<string, string> = {}
  for (const path of Object.keys(files)) blobs[path] = git(dir, ['rev-parse', `HEAD:${path}`]).toString().trim()
  return { dir, blobs }
}

/** What readBlobs should answer, worked out from git's own output through a pipe. */
function throughPipe(dir: string, specs: string[]): Map<string, Buffer> {
  const out = git(dir, ['cat-file', '--batch'], `${specs.join('\n')}\n`)
  const result = new Map<string, Buffer>()
  let offset = 0
  for (const spec of specs) {
    const newline = out.indexOf(10, offset)
    const header = out.subarray(offset, newline).toString()
    offset = newline + 1
    if (/ (missing|ambiguous)$/.test(header)) continue
    const [, type, size] = header.split(' ')
    if (type === 'blob') result.set(spec, out.subarray(offset, offset + Number(size)))
    offset += Number(size) + 1
  }
  return result
}

let tmp: string
const savedTmp = process.env.TMPDIR
/** The folders readBlobs left in the temporary folder. */
const leftovers = () => readdirSync(tmp).filter((name) => name.startsWith('gantry-output-'))

beforeEach(() => {
  // A temporary folder of this test's own: other processes of the machine use the system one meanwhile.
  tmp = tempDir('gantry-tmpdir-')
  process.env.TMPDIR = tmp
})
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = savedTmp
})
afterAll(removeTempDirs)

const awkward: Record<string, string | Buffer> = {
  'nul.bin': Buffer.from([0, 1, 2, 10, 0, 10, 10, 255, 254, 0]),
  'newlines.txt': '\n\n\n',
  'looks-missing.txt': 'HEAD:nul.bin missing\n',
  'looks-header.txt': 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 blob 0\n\n',
  'empty.txt': '',
  'no-final-newline.txt': 'x',
  'dir/a.yaml': 'a: 1\n',
  'big.bin': Buffer.alloc(3 * 1024 * 1024 + 7, 10),
}

describe('Git.readBlobs through a file', () => {
  it('gives the bytes git writes through a pipe, for blobs with NULs, newlines and lines that look like answers', async () => {
    const { dir, blobs } = repository(awkward)
    const specs = [
      ...Object.keys(awkward).map((p) => `HEAD:${p}`),
      ...Object.values(blobs),
      'HEAD:absent.txt',
      'HEAD:dir',
      'HEAD',
      '0000000000000000000000000000000000000000',
      'HEAD:nul.bin',
      'not a ref at all',
      '',
      'HEAD:empty.txt',
      'HEAD:no-final-newline.txt',
    ]
    const answer = await new Git(dir).readBlobs(specs)
    const expected = throughPipe(dir, specs)
    expect([...answer.keys()].sort()).toEqual([...expected.keys()].sort())
    for (const [spec, bytes] of expected) expect(Buffer.compare(answer.get(spec)!, bytes), spec).toBe(0)
    expect(answer.get('HEAD:nul.bin')).toEqual(awkward['nul.bin'])
    expect(answer.has('HEAD:absent.txt')).toBe(false)
    expect(leftovers()).toEqual([])
  })

  it('makes a folder of its own for each of many reads at once, and removes each', async () => {
    const { dir, blobs } = repository(awkward)
    const created = new Set<string>()
    const watcher = setInterval(() => leftovers().forEach((name) => created.add(name)), 5)
    const reads = await Promise.all(
      Array.from({ length: 24 }, (_, i) => new Git(dir).readBlobs([`HEAD:${Object.keys(awkward)[i % 7]}`, blobs['nul.bin']!])),
    )
    clearInterval(watcher)
    // Never more folders seen than reads made (each its own, none shared or reused).
    expect(created.size).toBeLessThanOrEqual(24)
    for (const [i, read] of reads.entries()) {
      const path = Object.keys(awkward)[i % 7]!
      expect(read.get(`HEAD:${path}`)).toEqual(Buffer.from(awkward[path]!))
      expect(read.get(blobs['nul.bin']!)).toEqual(awkward['nul.bin'])
    }
    expect(leftovers()).toEqual([])
  })

  it('removes its folder when git fails (not a repository, an object corrupt in its middle)', async () => {
    const notRepo = tempDir('gantry-not-repo-')
    await expect(new Git(notRepo).readBlobs(['HEAD:a'])).rejects.toBeInstanceOf(GitError)
    expect(leftovers()).toEqual([])

    const noise = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919 + (i >> 3)) % 251))
    const { dir, blobs } = repository({ 'a.txt': 'first\n', 'b.bin': noise })
    // The middle of b.bin's object spoilt: cat-file writes a.txt and b.bin's header, then dies while
    // writing b.bin's bytes (an object unreadable from its start is answered "missing" by git, exit 0).
    const object = join(dir, '.git/objects', blobs['b.bin']!.slice(0, 2), blobs['b.bin']!.slice(2))
    chmodSync(object, 0o644)
    const bytes = readFileSync(object)
    bytes.fill(0, bytes.length >> 1, (bytes.length >> 1) + 50)
    writeFileSync(object, bytes)
    const error = await new Git(dir).readBlobs(['HEAD:a.txt', 'HEAD:b.bin', 'HEAD:a.txt']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GitError)
    expect((error as GitError).message).toMatch(/cat-file/)
    expect(leftovers()).toEqual([])
  })

  it('reads through a temporary folder that is a symbolic link', async () => {
    const { dir } = repository(awkward)
    const real = tempDir('gantry-real-tmp-')
    const link = join(tmp, 'link')
    symlinkSync(real, link)
    process.env.TMPDIR = link
    const answer = await new Git(dir).readBlobs(['HEAD:nul.bin'])
    expect(answer.get('HEAD:nul.bin')).toEqual(awkward['nul.bin'])
    expect(readdirSync(real)).toEqual([])
  })

  it('a missing temporary folder gives an error naming it, and no answer', async () => {
    const { dir } = repository(awkward)
    const missing = join(tmp, 'gone')
    process.env.TMPDIR = missing
    const error = await new Git(dir).readBlobs(['HEAD:nul.bin']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(String((error as Error).message)).toContain(missing)
  })

  it.skipIf(process.getuid?.() === 0)('a temporary folder that cannot be written gives an error naming it', async () => {
    const { dir } = repository(awkward)
    const locked = join(tmp, 'locked')
    mkdirSync(locked)
    chmodSync(locked, 0o555)
    process.env.TMPDIR = locked
    try {
      const error = await new Git(dir).readBlobs(['HEAD:nul.bin']).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(Error)
      expect(String((error as Error).message)).toContain(locked)
      expect(readdirSync(locked)).toEqual([])
    } finally {
      chmodSync(locked, 0o755)
    }
  })

  it('the answer file is private to the user while git writes it', async () => {
    const { dir } = repository(awkward)
    // A git that reports how its standard output is: the mode of the file it writes into.
    const bin = tempDir('gantry-fake-git-')
    const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim()
    writeFileSync(
      join(bin, 'git'),
      // Read in a command substitution: a redirection of the command itself would name the file it writes.
      `#!/bin/sh\nfor a in "$@"; do if [ "$a" = cat-file ]; then m=$(stat -L -c '%a' /proc/$$/fd/1); d=$(ls -ld "$(dirname "$(readlink /proc/$$/fd/1)")" | cut -c1-10); echo "$m" > ${join(bin, 'mode')}; echo "$d" > ${join(bin, 'folder')}; fi; done\nexec ${realGit} "$@"\n`,
      { mode: 0o755 },
    )
    const savedPath = process.env.PATH
    process.env.PATH = `${bin}:${savedPath}`
    try {
      await new Git(dir).readBlobs(['HEAD:nul.bin'])
    } finally {
      process.env.PATH = savedPath
    }
    expect(execFileSync('cat', [join(bin, 'mode')]).toString().trim()).toBe('600')
    expect(execFileSync('cat', [join(bin, 'folder')]).toString().trim()).toBe('drwx------')
    rmSync(bin, { recursive: true, force: true })
  })
})
