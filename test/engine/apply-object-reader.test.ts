import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader, lookUpPaths } from '../../src/adapters/git/object-reader.js'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { commitToBranch, tempDir } from './helpers.js'

// Apply reads the environment branch through one cat-file process, shared by the plan and the tree edit:
// what git's lookup of `<commit>:<path>` finds is worked out from the folders read (each once), and must be
// what git finds, on any branch a push can make; what this cannot tell as git would is left to git.

const temp = tempDir('gantry-apply-reader-')
afterAll(() => temp.cleanup())

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' }
const raw = (dir: string, args: string[], input?: Buffer | string) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...IDENTITY } }).toString('utf8').trim()

/** A tree object written as given (`git hash-object --literally`): orders and modes git never writes. */
function literalTree(dir: string, entries: { mode: string; name: string; id: string }[]): string {
  const body = Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.id, 'hex')])))
  return raw(dir, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], body)
}

/** What git resolves `<spec>` to without reading the object (a submodule's commit need not be there). */
function gitLookup(dir: string, spec: string): string | undefined {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', spec], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  } catch {
    return undefined
  }
}

test('looks paths up as git does: names that sort around each other, links, submodules, files where folders are, trees git never writes', async () => {
  const dir = join(temp.dir, 'lookups')
  raw(temp.dir, ['init', '-q', dir])
  const blob = (content: string) => raw(dir, ['hash-object', '-w', '--stdin'], content)
  const file = blob('kind: task\n')
  const inner = raw(dir, ['mktree'], `100644 blob ${file}\tinner.yaml\n`)
  const absent = 'f'.repeat(40)
  const linkTarget = blob('../elsewhere')
  // git's order puts "a-b.yaml" and "a.b.yaml" before the folder "a", and "a.yaml" after it.
  const task = raw(dir, ['mktree'], [
    `100644 blob ${file}\ta b.yaml`,
    `100644 blob ${file}\ta-b.yaml`,
    `100644 blob ${file}\ta.b.yaml`,
    `040000 tree ${inner}\ta`,
    `100644 blob ${file}\ta.yaml`,
    `100755 blob ${file}\texec.yaml`,
    `120000 blob ${linkTarget}\tlink.yaml`,
    `160000 commit ${absent}\tsub`,
    `100644 blob ${file}\t\u00e9t\u00e9.yaml`,
  ].join('\n') + '\n')
  // Out of order: git's scan stops at "b.yaml" and does not find "a.yaml" after it.
  const unsorted = literalTree(dir, [
    { mode: '100644', name: 'b.yaml', id: file },
    { mode: '100644', name: 'a.yaml', id: file },
  ])
  // A folder's mode on a blob, an odd file mode, a folder written with a leading zero.
  const odd = literalTree(dir, [
    { mode: '100664', name: 'group.yaml', id: file },
    { mode: '40000', name: 'not-a-tree', id: file },
    { mode: '040000', name: 'zero', id: inner },
  ])
  const definitions = raw(dir, ['mktree'], [
    `100644 blob ${file}\tfile`,
    `040000 tree ${odd}\todd`,
    `040000 tree ${task}\ttask`,
    `040000 tree ${unsorted}\tunsorted`,
  ].join('\n') + '\n')
  const root = raw(dir, ['mktree'], `040000 tree ${definitions}\tdefinitions\n`)
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])

  const plainFiles = ['a b.yaml', 'a-b.yaml', 'a.b.yaml', 'a.yaml', 'exec.yaml', 'link.yaml', 'sub', '\u00e9t\u00e9.yaml', 'a/inner.yaml', 'a']
  const plainMissing = ['a.yam', 'a.yaml.', 'zzz.yaml', '0.yaml', 'a/zzz.yaml', 'sub/x.yaml', 'a.yaml/x', 'link.yaml/x']
  const paths = [
    ...[...plainFiles, ...plainMissing].map((p) => `definitions/task/${p}`),
    'definitions',
    'definitions/task',
    'definitions/file',
    'definitions/file/x.yaml',
    'definitions/unsorted/a.yaml',
    'definitions/unsorted/b.yaml',
    'definitions/odd/group.yaml',
    'definitions/odd/not-a-tree',
    'definitions/odd/not-a-tree/x.yaml',
    'definitions/odd/zero/inner.yaml',
    'definitions//task/a.yaml',
    'definitions/task/a/',
    'missing/x.yaml',
    './definitions/task/a.yaml',
    '../definitions/task/a.yaml',
  ]
  const reader = new ObjectReader(new Git(dir))
  try {
    const found = await lookUpPaths(reader, head, paths)
    let answered = 0
    paths.forEach((path, index) => {
      const lookup = found[index]!
      if (lookup === 'unknown') return
      answered++
      const expected = gitLookup(dir, `${head}:${path}`)
      expect(lookup === 'missing' ? undefined : lookup.id, path).toBe(expected)
    })
    // The plain cases are answered here, not left to git.
    for (const name of [...plainFiles, ...plainMissing]) expect(found[paths.indexOf(`definitions/task/${name}`)], name).not.toBe('unknown')
    expect(found[paths.indexOf('definitions/task/exec.yaml')]).toMatchObject({ mode: '100755' })
    expect(found[paths.indexOf('definitions/task/link.yaml')]).toMatchObject({ mode: '120000' })
    expect(found[paths.indexOf('definitions/task/sub')]).toMatchObject({ mode: '160000' })
    expect(found[paths.indexOf('definitions/odd/group.yaml')]).toMatchObject({ mode: '100644' })
    expect(found[paths.indexOf('definitions/unsorted/a.yaml')]).toBe('missing')
    // A folder's mode on a blob: git cannot go down into it; this cannot tell, so git is asked.
    expect(found[paths.indexOf('definitions/odd/not-a-tree/x.yaml')]).toBe('unknown')
    expect(found[paths.indexOf('./definitions/task/a.yaml')]).toBe('unknown')
    expect(answered).toBeGreaterThan(plainFiles.length + plainMissing.length)
  } finally {
    await reader.close()
  }
})

test('a malformed folder is left to git', async () => {
  const dir = join(temp.dir, 'malformed')
  raw(temp.dir, ['init', '-q', dir])
  const file = raw(dir, ['hash-object', '-w', '--stdin'], 'x\n')
  const broken = raw(dir, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], Buffer.from('100644 a.yaml\0short'))
  const root = raw(dir, ['mktree', '--missing'], `040000 tree ${broken}\tdefinitions\n100644 blob ${file}\tz\n`)
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const reader = new ObjectReader(new Git(dir))
  try {
    expect(await lookUpPaths(reader, head, ['definitions/a.yaml', 'z'])).toEqual(['unknown', { mode: '100644', id: file }])
  } finally {
    await reader.close()
  }
})

test('apply reads the environment branch through one cat-file process, shared by the plan and the tree edit', async () => {
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  // A branch holding other definitions, without the package: its files are looked up and found missing.
  commitToBranch(repo, 'env/dev', { 'definitions/extra/other.yaml': 'kind: extra\nname: other\n' })
  const trace = join(temp.dir, 'trace')
  rmSync(trace, { force: true })
  const previous = process.env.GIT_TRACE
  process.env.GIT_TRACE = trace
  try {
    expectExit(await apply(repo, 'tools', 'dev'), 0)
  } finally {
    if (previous === undefined) delete process.env.GIT_TRACE
    else process.env.GIT_TRACE = previous
  }
  const catFiles = readFileSync(trace, 'utf8').split('\n').filter((line) => / trace: built-in: git cat-file /.test(line))
  expect(catFiles).toHaveLength(1)
})
