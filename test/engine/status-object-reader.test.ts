import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { Git, type TreeEntry } from '../../src/adapters/git/git.js'
import { type GitObject, LedgerError, ObjectReader, readLedgers, treeEntries } from '../../src/adapters/git/repository-reader.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, commitToBranch, tempDir } from './helpers.js'

// Status reads branches through one cat-file process: folders from their tree objects, not from ls-tree.
// What it lists must be what ls-tree lists, on any branch a push can make; what it cannot read as git does
// goes to ls-tree as before.

const temp = tempDir('gantry-status-reader-')
afterAll(() => temp.cleanup())

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' }
const raw = (dir: string, args: string[], input?: Buffer | string) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...IDENTITY } }).toString('utf8').trim()

/** A commit holding `files` (path as bytes, mode, content), made through the index: any name git takes. */
function commitFiles(dir: string, files: { path: Buffer; mode: string; content?: string; id?: string }[]): string {
  const index = join(dir, '.git', 'reader-index')
  rmSync(index, { force: true })
  const lines = files.map((f) => {
    const id = f.id ?? raw(dir, ['hash-object', '-w', '--stdin'], f.content ?? '')
    return Buffer.concat([Buffer.from(`${f.mode} ${id}\t`), f.path, Buffer.from([0])])
  })
  execFileSync('git', ['-C', dir, 'update-index', '-z', '--index-info'], { input: Buffer.concat(lines), env: { ...process.env, GIT_INDEX_FILE: index } })
  const tree = execFileSync('git', ['-C', dir, 'write-tree'], { env: { ...process.env, GIT_INDEX_FILE: index } }).toString().trim()
  return raw(dir, ['commit-tree', tree, '-m', 'files'])
}

/** A tree object written as given (`git hash-object --literally`): modes git itself never writes. */
function literalTree(dir: string, entries: { mode: string; name: string; id: string }[]): string {
  const body = Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.id, 'hex')])))
  return raw(dir, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], body)
}

/** `commit` with `entry` added to the tree at `folder` (one level below the root). */
function withEntry(dir: string, commit: string, folder: string, entry: string): string {
  const inner = raw(dir, ['mktree'], `${raw(dir, ['ls-tree', `${commit}:${folder}`])}\n${entry}\n`)
  const root = raw(dir, ['ls-tree', commit]).split('\n').map((line) => (line.endsWith(`\t${folder}`) ? `040000 tree ${inner}\t${folder}` : line))
  return raw(dir, ['commit-tree', raw(dir, ['mktree'], `${root.join('\n')}\n`), '-m', 'entry'])
}

let dir: string
let gitRepo: Git
beforeAll(() => {
  dir = join(temp.dir, 'trees')
  raw(temp.dir, ['init', '-q', dir])
  gitRepo = new Git(dir)
})

/** Every file below a folder, each folder parsed by treeEntries, depth first: what `git ls-tree -r` lists. */
async function listFromTrees(reader: ObjectReader, folder: GitObject, path: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = []
  for (const entry of treeEntries(folder.bytes, folder.id, '') ?? []) {
    if (entry.type !== 'tree') out.push({ ...entry, path: `${path}${entry.path}` })
    else out.push(...(await listFromTrees(reader, (await reader.read([entry.sha]))[0]!, `${path}${entry.path}`)))
  }
  return out
}

test('each folder of a definitions folder parsed from its tree lists what git ls-tree -r lists, whatever a push put there', async () => {
  const deep = Array.from({ length: 60 }, (_, i) => `d${i}`).join('/')
  const commit = commitFiles(dir, [
    { path: Buffer.from('definitions/task/a.yaml'), mode: '100644', content: 'kind: task\n' },
    { path: Buffer.from('definitions/task/run.yaml'), mode: '100755', content: '#!/bin/sh\n' },
    { path: Buffer.from('definitions/task/link.yaml'), mode: '120000', content: 'a.yaml' },
    { path: Buffer.from('definitions/task/folder.yaml/inner.yaml'), mode: '100644', content: 'x: 1\n' },
    { path: Buffer.from('definitions/task/sub.yaml'), mode: '160000', id: '1'.repeat(40) },
    { path: Buffer.from('definitions/odd names/with space.yaml'), mode: '100644', content: 'a\n' },
    { path: Buffer.from('definitions/odd names/tab\there.yaml'), mode: '100644', content: 'b\n' },
    { path: Buffer.from('definitions/odd names/line\nbreak.yaml'), mode: '100644', content: 'c\n' },
    { path: Buffer.from('definitions/odd names/é-accent.yaml'), mode: '100644', content: 'd\n' },
    { path: Buffer.concat([Buffer.from('definitions/odd names/bad-'), Buffer.from([0xff, 0xc3]), Buffer.from('.yaml')]), mode: '100644', content: 'e\n' },
    { path: Buffer.from(`definitions/${deep}/bottom.yaml`), mode: '100644', content: 'f\n' },
    { path: Buffer.from('definitions.yaml'), mode: '100644', content: 'beside\n' },
    { path: Buffer.from('other/task/x.yaml'), mode: '100644', content: 'g\n' },
  ])
  // A folder whose entries carry modes git no longer writes (group-writable, a bare 40000 for a folder).
  const blob = raw(dir, ['hash-object', '-w', '--stdin'], 'h\n')
  const folder = literalTree(dir, [{ mode: '100664', name: 'old.yaml', id: blob }])
  const odd = literalTree(dir, [
    { mode: '100664', name: 'group.yaml', id: blob },
    { mode: '40000', name: 'nested', id: folder },
  ])
  const head = withEntry(dir, commit, 'definitions', `040000 tree ${odd}\tzz-literal`)
  const expected = await gitRepo.listTree(head, { recursive: true, paths: ['definitions'] })
  expect(expected.some((e) => e.path === 'definitions/zz-literal/nested/old.yaml' && e.mode === '100644')).toBe(true)
  const reader = new ObjectReader(gitRepo)
  try {
    const [root] = await reader.read([`${head}:definitions`])
    expect(root?.type).toBe('tree')
    expect(await listFromTrees(reader, root!, 'definitions')).toEqual(expected)
  } finally {
    await reader.close()
  }
})

test('bytes that are no well-formed tree are not listed: the caller asks git', () => {
  const id = '1'.repeat(40)
  const entry = (name: string, mode = '100644') => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(id, 'hex')])
  expect(treeEntries(entry('a.yaml'), id, 'f')).toEqual([{ mode: '100644', type: 'blob', sha: id, path: 'f/a.yaml' }])
  expect(treeEntries(entry('a/b.yaml'), id, 'f')).toBeUndefined()
  expect(treeEntries(entry(''), id, 'f')).toBeUndefined()
  expect(treeEntries(entry('a.yaml', '10064x'), id, 'f')).toBeUndefined()
  expect(treeEntries(entry('a.yaml').subarray(0, 20), id, 'f')).toBeUndefined()
  expect(treeEntries(entry('a.yaml'), 'abc', 'f')).toBeUndefined()
})

test('ledgers read through the object reader are those read by ls-tree, and a broken ledger folder is refused alike', async () => {
  const schemas = new SchemaRegistry()
  const digest = `sha256:${'a'.repeat(64)}`
  const ledger = `package: tools\nversion: "1"\ndigest: ${digest}\nenvironment: x\nitems:\n  cred/tools: ${digest}\n`
  const read = async (head: string, reader?: ObjectReader) => {
    try {
      return [...(await readLedgers(gitRepo, head, schemas, 'env/x', undefined, reader))]
    } catch (error) {
      return error instanceof LedgerError ? { message: error.message, diagnostics: error.diagnostics } : error
    }
  }
  const cases: Record<string, { path: Buffer; mode: string; content?: string; id?: string }[]> = {
    fine: [{ path: Buffer.from('.gantry/installed/tools.yaml'), mode: '100644', content: ledger }],
    link: [{ path: Buffer.from('.gantry/installed/tools.yaml'), mode: '120000', content: 'elsewhere.yaml' }],
    folder: [{ path: Buffer.from('.gantry/installed/tools.yaml/inner'), mode: '100644', content: ledger }],
    submodule: [{ path: Buffer.from('.gantry/installed/tools.yaml'), mode: '160000', id: '2'.repeat(40) }],
    others: [
      { path: Buffer.from('.gantry/installed/notes.txt'), mode: '100644', content: 'x' },
      { path: Buffer.from('.gantry/build/x.yaml'), mode: '100644', content: 'x' },
    ],
    installedIsFile: [{ path: Buffer.from('.gantry/installed'), mode: '100644', content: ledger }],
    gantryIsLink: [{ path: Buffer.from('.gantry'), mode: '120000', content: 'elsewhere' }],
  }
  const reader = new ObjectReader(gitRepo)
  try {
    for (const [name, files] of Object.entries(cases)) {
      const head = commitFiles(dir, [...files, { path: Buffer.from('README'), mode: '100644', content: name }])
      const through = await read(head, reader)
      expect({ name, read: through }).toEqual({ name, read: await read(head) })
      // What each case is: a ledger read, no ledger at all, or the branch's ledger folder refused.
      if (name === 'fine') expect((through as [string][]).map(([pkg]) => pkg)).toEqual(['tools'])
      else if (name === 'others') expect(through).toEqual([])
      else expect((through as LedgerError).message).toMatch(/is (a symbolic link|a folder|a submodule|a file), not a/)
    }
  } finally {
    await reader.close()
  }
})

test('status starts no more git processes for three environments than for one', async () => {
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  const processes = async () => {
    const trace = join(temp.dir, `trace-${Date.now()}`)
    const previous = process.env.GIT_TRACE
    process.env.GIT_TRACE = trace
    try {
      expectExit(await cliJson(repo, ['status']), 0)
    } finally {
      if (previous === undefined) delete process.env.GIT_TRACE
      else process.env.GIT_TRACE = previous
    }
    return readFileSync(trace, 'utf8').split('\n').filter((line) => / trace: built-in: git /.test(line)).length
  }
  expectExit(await apply(repo, 'tools', 'dev'), 0)
  const one = await processes()
  for (const env of ['qa', 'prod']) expectExit(await apply(repo, 'tools', env), 0)
  // Each branch different from the others: nothing of one is shared with another.
  commitToBranch(repo, 'env/qa', { 'definitions/extra/qa.yaml': 'kind: extra\nname: qa\n' })
  commitToBranch(repo, 'env/prod', { 'definitions/extra/prod.yaml': 'kind: extra\nname: prod\n' })
  const three = await processes()
  expect(one).toBeGreaterThan(0)
  expect(three).toBe(one)
})

test('a git without cat-file --batch-command: the reader falls back to --batch and reads the same objects', async () => {
  const head = commitFiles(dir, [{ path: Buffer.from('definitions/task/a.yaml'), mode: '100644', content: 'kind: task\n' }])
  // As a git older than 2.36 answers the option: a usage error, before reading anything.
  class OldGit extends Git {
    override session(args: readonly string[]) {
      return super.session(args.map((arg) => (arg === '--batch-command' ? '--no-such-option' : arg)).filter((arg) => arg !== '--buffer'))
    }
  }
  const specs = [`${head}:definitions/task/a.yaml`, `${head}:definitions/task/none.yaml`, `${head}:definitions`]
  const old = new ObjectReader(new OldGit(dir))
  const current = new ObjectReader(gitRepo)
  try {
    const read = await old.read(specs)
    expect(read.map((o) => o?.type)).toEqual(['blob', undefined, 'tree'])
    expect(read[0]!.bytes.toString()).toBe('kind: task\n')
    expect(await old.read(specs)).toEqual(read)
    expect(await current.read(specs)).toEqual(read)
  } finally {
    await old.close()
    await current.close()
  }
})
