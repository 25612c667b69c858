import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader, lookUpPaths } from '../../src/adapters/git/object-reader.js'
import { tempDir } from '../engine/helpers.js'

// The lookup of `<commit>:<path>` worked out from the folders read must never answer where git's own lookup
// answers otherwise or refuses the branch: every tree on an environment branch may have been written by hand.

const temp = tempDir('gantry-attack-lookup-')
afterAll(() => temp.cleanup())

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' }
const raw = (dir: string, args: string[], input?: Buffer | string) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...IDENTITY } }).toString('utf8').trim()

function literalTree(dir: string, entries: { mode: string; name: string | Buffer; id: string }[]): string {
  const body = Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} `), Buffer.from(e.name), Buffer.from([0]), Buffer.from(e.id, 'hex')])))
  return raw(dir, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], body)
}

/** git's answer for `<spec>`: the id, `missing`, or `refused` when git dies reading the trees on the way. */
function gitLookup(dir: string, spec: string): string {
  const run = spawnSync('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', spec], { encoding: 'utf8' })
  if (run.status === 0) return run.stdout.trim()
  return /fatal/.test(run.stderr) ? 'refused' : 'missing'
}

async function compare(dir: string, head: string, paths: string[]): Promise<{ path: string; ours: string; git: string }[]> {
  const reader = new ObjectReader(new Git(dir))
  try {
    const found = await lookUpPaths(reader, head, paths)
    const disagreements: { path: string; ours: string; git: string }[] = []
    paths.forEach((path, index) => {
      const lookup = found[index]!
      if (lookup === 'unknown') return
      const ours = lookup === 'missing' ? 'missing' : lookup.id
      const theirs = gitLookup(dir, `${head}:${path}`)
      if (ours !== theirs) disagreements.push({ path, ours, git: theirs })
    })
    return disagreements
  } finally {
    await reader.close()
  }
}

test('an entry git cannot read right after the one a lookup stops at: git refuses the lookup, so must this', async () => {
  const dir = join(temp.dir, 'next-entry')
  raw(temp.dir, ['init', '-q', dir])
  const file = raw(dir, ['hash-object', '-w', '--stdin'], 'kind: task\n')
  // git reads the entry after the one it compares before comparing (find_tree_entry: update_tree_entry).
  const badMode = literalTree(dir, [
    { mode: '100644', name: 'a.yaml', id: file },
    { mode: '10x644', name: 'b.yaml', id: file },
  ])
  const emptyName = literalTree(dir, [
    { mode: '100644', name: 'a.yaml', id: file },
    { mode: '100644', name: '', id: file },
  ])
  const spaceMode = literalTree(dir, [
    { mode: '40000', name: 'a', id: raw(dir, ['mktree'], `100644 blob ${file}\tx.yaml\n`) },
    { mode: '', name: 'b', id: file },
  ])
  const root = raw(dir, ['mktree'], [`040000 tree ${badMode}\tbad`, `040000 tree ${emptyName}\tempty`, `040000 tree ${spaceMode}\tspace`].join('\n') + '\n')
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const paths = ['bad/a.yaml', 'bad/0.yaml', 'empty/a.yaml', 'empty/0.yaml', 'space/a/x.yaml', 'space/a', 'space/0']
  for (const path of paths) expect(gitLookup(dir, `${head}:${path}`), path).toBe('refused')
  expect(await compare(dir, head, paths)).toEqual([])
})

test('random hand-written folders: names that prefix each other, duplicates, any order, odd modes', async () => {
  const dir = join(temp.dir, 'random')
  raw(temp.dir, ['init', '-q', dir])
  const blobs = ['a\n', 'b\n', ''].map((content) => raw(dir, ['hash-object', '-w', '--stdin'], content))
  const inner = raw(dir, ['mktree'], `100644 blob ${blobs[0]}\tx.yaml\n100644 blob ${blobs[1]}\ta\n`)
  const names = ['a', 'a.yaml', 'a-', 'a0', 'a.', 'x.yaml', 'a/b', '\u00e9', Buffer.from([0xff, 0x61]).toString('latin1'), 'b', ' a']
  const modes = ['100644', '100755', '40000', '040000', '120000', '160000', '100664', '0100644', '000000', '1', '1x']
  let seed = 12
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const folders: string[] = []
  for (let f = 0; f < 36; f++) {
    const entries = Array.from({ length: 1 + random(6) }, () => {
      const mode = modes[random(modes.length)]!
      const isFolder = mode.endsWith('40000')
      return { mode, name: Buffer.from(names[random(names.length)]!, 'latin1'), id: isFolder && random(3) > 0 ? inner : blobs[random(3)]! }
    })
    folders.push(literalTree(dir, entries))
  }
  const root = raw(dir, ['mktree', '--missing'], folders.map((id, index) => `040000 tree ${id}\tf${index}`).join('\n') + '\n')
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const asked = [...names, 'a/x.yaml', 'a/a', 'a/', 'a.yaml/x', 'a/b/c', 'zz']
  const paths = folders.flatMap((_, index) => asked.map((name) => `f${index}/${Buffer.from(name, 'latin1').toString('utf8')}`))
  expect(await compare(dir, head, paths)).toEqual([])
})

test('a sha256 repository: the same lookups as git', async () => {
  const dir = join(temp.dir, 'sha256')
  raw(temp.dir, ['init', '-q', '--object-format=sha256', dir])
  const file = raw(dir, ['hash-object', '-w', '--stdin'], 'kind: task\n')
  const inner = raw(dir, ['mktree'], `100644 blob ${file}\tx.yaml\n`)
  const folder = literalTree(dir, [
    { mode: '100644', name: 'a-', id: file },
    { mode: '100644', name: 'a.yaml', id: file },
    { mode: '40000', name: 'a', id: inner },
    { mode: '100644', name: 'a.yaml', id: inner },
  ])
  const root = raw(dir, ['mktree'], `040000 tree ${folder}\tdefinitions\n`)
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const paths = ['a-', 'a.yaml', 'a/x.yaml', 'a', 'a/', 'b'].map((p) => `definitions/${p}`)
  const reader = new ObjectReader(new Git(dir))
  try {
    const found = await lookUpPaths(reader, head, paths)
    expect(found.filter((f) => f !== 'unknown').length).toBeGreaterThan(3)
  } finally {
    await reader.close()
  }
  expect(await compare(dir, head, paths)).toEqual([])
})

test('plan and apply on a branch whose folder git refuses to read past the item: both refuse, nothing written, no reader left running', async () => {
  const { apply, build, expectExit, makeSourceRepo, plan } = await import('../engine/fixture.js')
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, 'tools', 'dev'), 0)
  const tip = raw(repo, ['rev-parse', 'env/dev'])
  const cleanup = raw(repo, ['rev-parse', `${tip}:definitions/task/cleanup.yaml`])
  // The item's file is there, and after it an entry git cannot read: git refuses every lookup in that folder.
  const task = literalTree(repo, [
    { mode: '100644', name: 'cleanup.yaml', id: cleanup },
    { mode: '10x644', name: 'zz.yaml', id: cleanup },
  ])
  const definitions = raw(repo, ['mktree'], `040000 tree ${raw(repo, ['rev-parse', `${tip}:definitions/cred`])}\tcred\n040000 tree ${task}\ttask\n`)
  const root = raw(repo, ['mktree'], `040000 tree ${raw(repo, ['rev-parse', `${tip}:.gantry`])}\t.gantry\n040000 tree ${definitions}\tdefinitions\n`)
  const hostile = raw(repo, ['commit-tree', root, '-p', tip, '-m', 'by hand'])
  raw(repo, ['update-ref', 'refs/heads/env/dev', hostile])
  expect(gitLookup(repo, `${hostile}:definitions/task/cleanup.yaml`)).toBe('refused')

  const planned = await plan(repo, 'tools', 'dev')
  expect(planned.json.ok, JSON.stringify(planned.json)).toBe(false)
  expect(planned.code).not.toBe(0)
  const applied = await apply(repo, 'tools', 'dev')
  expect(applied.json.ok).toBe(false)
  expect(raw(repo, ['rev-parse', 'env/dev'])).toBe(hostile)
  const children = spawnSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).stdout
  expect(children.split('\n').filter((line) => line.includes('cat-file'))).toEqual([])
})

test('plan on hand-written item folders decides as git reads them (the same decisions as before the folders were read here)', async () => {
  const { build, expectExit, makeSourceRepo, apply, plan } = await import('../engine/fixture.js')
  const repo = join(temp.dir, 'shapes')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, 'tools', 'dev'), 0)
  const tip = raw(repo, ['rev-parse', 'env/dev'])
  const cleanup = raw(repo, ['rev-parse', `${tip}:definitions/task/cleanup.yaml`])
  const cred = raw(repo, ['rev-parse', `${tip}:definitions/cred`])
  const other = raw(repo, ['hash-object', '-w', '--stdin'], 'kind: task\nname: other\nspec:\n  command: x\n')
  const withTask = (mode: string, task: string) => {
    const definitions = literalTree(repo, [{ mode: '40000', name: 'cred', id: cred }, { mode, name: 'task', id: task }])
    const root = literalTree(repo, [{ mode: '40000', name: '.gantry', id: raw(repo, ['rev-parse', `${tip}:.gantry`]) }, { mode: '40000', name: 'definitions', id: definitions }])
    raw(repo, ['update-ref', 'refs/heads/env/dev', raw(repo, ['commit-tree', root, '-p', tip, '-m', 'by hand'])])
  }
  const folder = (entries: [string, string, string][]) => literalTree(repo, entries.map(([mode, name, id]) => ({ mode, name, id })))
  const shapes: [string, () => void, string | undefined][] = [
    ['first of two entries of the name', () => withTask('40000', folder([['100644', 'cleanup.yaml', other], ['100644', 'cleanup.yaml', cleanup]])), 'keep'],
    ['second of two entries of the name', () => withTask('40000', folder([['100644', 'cleanup.yaml', cleanup], ['100644', 'cleanup.yaml', other]])), 'keep'],
    ['after a name sorting later', () => withTask('40000', folder([['100644', 'z.yaml', other], ['100644', 'cleanup.yaml', cleanup]])), 'add'],
    ['among names it prefixes', () => withTask('40000', folder([['100644', 'cleanup', other], ['100644', 'cleanup-', other], ['40000', 'cleanup', cred], ['100644', 'cleanup.yaml', cleanup], ['100644', 'cleanup.yaml0', other]])), 'keep'],
    ['executable', () => withTask('40000', folder([['100755', 'cleanup.yaml', cleanup]])), 'keep'],
    ['a folder mode on its blob', () => withTask('40000', folder([['40000', 'cleanup.yaml', cleanup]])), 'keep'],
    ['a submodule', () => withTask('40000', folder([['160000', 'cleanup.yaml', 'f'.repeat(40)]])), 'add'],
    ['its folder a commit', () => withTask('40000', raw(repo, ['commit-tree', folder([['100644', 'cleanup.yaml', other]]), '-m', 'x'])), 'keep'],
    ['its folder written 040000', () => withTask('040000', folder([['100644', 'cleanup.yaml', cleanup]])), 'keep'],
    ['its blob missing', () => withTask('40000', folder([['100644', 'cleanup.yaml', 'a'.repeat(40)]])), 'add'],
    ['a tree at its path', () => withTask('40000', folder([['100644', 'cleanup.yaml', cred]])), undefined],
  ]
  // The same version again: an item whose file git finds is kept (its bytes are not compared), one git does
  // not find is added, a folder in its place refuses it; as the plan decided before reading folders itself.
  for (const [what, make, expected] of shapes) {
    make()
    const planned = await plan(repo, 'tools', 'dev')
    const action = planned.json.changes?.find((change) => change.item === 'task/cleanup')?.action
    expect(action, what).toBe(expected)
  }
})
