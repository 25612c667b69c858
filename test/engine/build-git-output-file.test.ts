import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { Git, GitError } from '../../src/adapters/git/git.js'
import { git, tempDir } from './helpers.js'

// A build reads every file of the commit it builds through one `git cat-file --batch`, which writes each
// blob on its own: through a pipe, each of those writes woke Gantry for a read of its own. The output now
// goes through a file of a private temporary folder, read once git exits: the same bytes, the folder gone.

let work: { dir: string; cleanup: () => void }
const saved = { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR }

beforeEach(() => {
  work = tempDir('gantry-output-file-')
})

afterEach(() => {
  process.env.PATH = saved.PATH
  if (saved.TMPDIR === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = saved.TMPDIR
  work.cleanup()
})

/** A repository with blobs of every sort: text, binary, empty, large; their ids and bytes. */
function repository(): { dir: string; blobs: Map<string, Buffer> } {
  const dir = join(work.dir, 'repo')
  mkdirSync(dir)
  git(dir, ['init', '-q'])
  const contents: Buffer[] = [
    Buffer.from('kind: task\nname: one\nspec: {}\n'),
    Buffer.from([0, 1, 2, 10, 13, 255, 254, 10, 0]),
    Buffer.alloc(0),
    Buffer.from('x\n'.repeat(700_000)),
    Buffer.from('é ✓ 𝄞\n'),
  ]
  const blobs = new Map<string, Buffer>()
  contents.forEach((content, index) => {
    const file = join(dir, `f${index}`)
    writeFileSync(file, content)
    blobs.set(git(dir, ['hash-object', '-w', file]), content)
  })
  return { dir, blobs }
}

/** `git` on PATH that notes whether its standard output is a file (or a pipe, a socket) for `cat-file`, then runs git. */
function watchedGit(): string {
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  const bin = join(work.dir, 'bin')
  const log = join(work.dir, 'stdout-kinds')
  mkdirSync(bin)
  writeFileSync(
    join(bin, 'git'),
    `#!/bin/sh\nfor a in "$@"; do if [ "$a" = cat-file ]; then if [ -f /dev/stdout ]; then echo file >> '${log}'; else echo stream >> '${log}'; fi; fi; done\nexec '${real}' "$@"\n`,
  )
  chmodSync(join(bin, 'git'), 0o755)
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`
  return log
}

describe('reading blobs through a file', () => {
  test('gives the bytes of every blob, the missing ones absent, with cat-file writing into a file and the folder removed', async () => {
    const { dir, blobs } = repository()
    const log = watchedGit()
    const temporary = join(work.dir, 'tmp')
    mkdirSync(temporary)
    process.env.TMPDIR = temporary
    const missing = '0123456789abcdef0123456789abcdef01234567'
    const specs = [...blobs.keys(), missing, 'HEAD:nothing']
    const read = await new Git(dir).readBlobs(specs)
    expect([...read.keys()].sort()).toEqual([...blobs.keys()].sort())
    for (const [id, content] of blobs) expect(Buffer.compare(read.get(id)!, content)).toBe(0)
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['file'])
    expect(readdirSync(temporary)).toEqual([])
  })

  test('a failing command still rejects with its error, and leaves no folder behind', async () => {
    const temporary = join(work.dir, 'tmp')
    mkdirSync(temporary)
    process.env.TMPDIR = temporary
    const notARepository = join(work.dir, 'plain')
    mkdirSync(notARepository)
    await expect(new Git(notARepository).run(['cat-file', '--batch'], { input: 'HEAD\n', outputToFile: true })).rejects.toThrow(GitError)
    // An exit code named as an answer: the output read from the file, as through a pipe.
    const answered = await new Git(notARepository).run(['rev-parse', '--verify', '--quiet', 'HEAD'], { okCodes: [128], outputToFile: true })
    expect(answered).toEqual({ code: 128, stdout: Buffer.alloc(0) })
    expect(readdirSync(temporary)).toEqual([])
  })
})
