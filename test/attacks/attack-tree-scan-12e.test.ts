import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader, lookUpPaths } from '../../src/adapters/git/object-reader.js'
import { editTree } from '../../src/adapters/git/tree-editor.js'
import { tempDir } from '../engine/helpers.js'

// A folder is scanned once for every path looked up in it, and a tree edit walks each folder once for all its
// changes: every answer must still be git's own for that path (git's find_tree_entry, one path at a time), and
// every tree written the one git writes from the same entries, on folders written by hand in any order.

const temp = tempDir('gantry-attack-tree-scan-')
afterAll(() => temp.cleanup())

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' }
const raw = (dir: string, args: string[], input?: Buffer | string, env: NodeJS.ProcessEnv = {}) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...IDENTITY, ...env } }).toString('utf8').trim()

type Entry = { mode: string; name: string | Buffer; id: string }
const entryBytes = (e: Entry) => Buffer.concat([Buffer.from(`${e.mode} `), Buffer.from(e.name), Buffer.from([0]), Buffer.from(e.id, 'hex')])
const literalTree = (dir: string, entries: Entry[], tail = Buffer.alloc(0)) =>
  raw(dir, ['hash-object', '-t', 'tree', '--literally', '-w', '--stdin'], Buffer.concat([...entries.map(entryBytes), tail]))

function repository(name: string): { dir: string; file: string; other: string; inner: string } {
  const dir = join(temp.dir, name)
  raw(temp.dir, ['init', '-q', dir])
  const file = raw(dir, ['hash-object', '-w', '--stdin'], 'kind: task\n')
  const other = raw(dir, ['hash-object', '-w', '--stdin'], 'kind: other\n')
  const inner = raw(dir, ['mktree'], `100644 blob ${file}\tx.yaml\n100644 blob ${other}\ta\n`)
  return { dir, file, other, inner }
}

/** git's answer for `<spec>`: the id, `missing`, or `refused` when git dies reading the trees on the way. */
function gitLookup(dir: string, spec: string): string {
  const run = spawnSync('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', spec], { encoding: 'utf8' })
  if (run.status === 0) return run.stdout.trim()
  return /fatal/.test(run.stderr) ? 'refused' : 'missing'
}

/** The paths, all looked up in one call, whose answer is not git's; and how many were answered at all. */
async function disagreements(dir: string, head: string, paths: string[]): Promise<{ wrong: { path: string; ours: string; git: string }[]; answered: number }> {
  const reader = new ObjectReader(new Git(dir))
  try {
    const found = await lookUpPaths(reader, head, paths)
    const wrong: { path: string; ours: string; git: string }[] = []
    let answered = 0
    paths.forEach((path, index) => {
      const lookup = found[index]!
      // A path asked twice in one lookup is answered twice alike.
      const first = found[paths.indexOf(path)]!
      if (JSON.stringify(first) !== JSON.stringify(lookup)) wrong.push({ path, ours: JSON.stringify(lookup), git: `as first asked: ${JSON.stringify(first)}` })
      if (lookup === 'unknown') return
      answered++
      const ours = lookup === 'missing' ? 'missing' : lookup.id
      const theirs = gitLookup(dir, `${head}:${path}`)
      if (ours !== theirs) wrong.push({ path, ours, git: theirs })
    })
    return { wrong, answered }
  } finally {
    await reader.close()
  }
}

const latin1 = (name: string) => Buffer.from(name, 'latin1')
const asPath = (bytes: string) => Buffer.from(bytes, 'latin1').toString('utf8')

test('one folder, many paths in one lookup: prefixes, a name then bytes below "/", a.yaml as file and folder, repeats', async () => {
  const { dir, file, other, inner } = repository('many-names')
  // Sorted as git sorts (a folder as name + "/"), so that git's scan and every stop of it are exercised.
  const sorted = raw(dir, ['mktree'], [
    `100644 blob ${file}\ta`,
    `100644 blob ${file}\ta ok`,
    `100644 blob ${other}\ta!`,
    `100644 blob ${file}\ta-`,
    `100644 blob ${other}\ta.`,
    `100644 blob ${file}\ta.yaml`,
    `040000 tree ${inner}\ta.yaml.d`,
    `040000 tree ${inner}\tb`,
    `100644 blob ${file}\tb0`,
    `100755 blob ${other}\tc`,
    `120000 blob ${file}\td`,
  ].join('\n') + '\n')
  // By hand: a.yaml twice (blob, then folder), a folder "a" after the file "a-" (git's order), a
  // duplicate, entries out of order, modes with a leading zero, a name with bytes >= 0x80 and below 0x20.
  const hand = literalTree(dir, [
    { mode: '100644', name: 'a', id: file },
    { mode: '100644', name: 'a\x01', id: other },
    { mode: '100644', name: 'a-', id: file },
    { mode: '40000', name: 'a', id: inner },
    { mode: '100644', name: 'a.yaml', id: file },
    { mode: '040000', name: 'a.yaml', id: inner },
    { mode: '0100644', name: 'b', id: other },
    { mode: '100755', name: 'b', id: file },
    { mode: '160000', name: 'c', id: file },
    { mode: '100644', name: latin1('\xe9t\xe9'), id: file },
    { mode: '100644', name: 'aa', id: other },
    { mode: '100644', name: ' ', id: file },
    { mode: '40000', name: 'z', id: inner },
    { mode: '100644', name: 'y', id: other },
  ])
  const root = raw(dir, ['mktree'], `040000 tree ${sorted}\tsorted\n040000 tree ${hand}\thand\n`)
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const names = ['a', 'a ok', 'a!', 'a-', 'a.', 'a.yaml', 'a.yaml.d', 'a.yaml.d/x.yaml', 'a.yaml/x.yaml', 'a.yaml/a', 'a/x.yaml', 'a/a', 'a/',
    'a\x01', 'aa', 'b', 'b/', 'b/x.yaml', 'b0', 'c', 'c/x', 'd', 'd/x', '\xe9t\xe9', ' ', 'y', 'z', 'z/a', 'z/x.yaml', 'zz', '!', '0', 'a.yaml.d/zz',
    'a.yaml.d/a/b', 'missing', 'a\x7f', '\xff']
  const paths = ['sorted', 'hand'].flatMap((folder) => [...names, ...names.slice(0, 9)].map((name) => `${folder}/${asPath(name)}`))
  const { wrong, answered } = await disagreements(dir, head, paths)
  expect(wrong).toEqual([])
  expect(answered).toBeGreaterThan(paths.length / 2)
})

test('a large folder with every kind of neighbour: each of many paths in one lookup ends where git ends', async () => {
  const { dir, file, other, inner } = repository('large')
  const entries: Entry[] = []
  for (let i = 0; i < 4000; i++) {
    const name = `d${String(i).padStart(5, '0')}`
    entries.push({ mode: '100644', name: `${name}.yaml`, id: i % 2 ? file : other })
    if (i % 500 === 0) entries.push({ mode: '40000', name, id: inner }, { mode: '100644', name: `${name}.yaml.bak`, id: file })
  }
  const big = literalTree(dir, entries)
  // The same names, out of order and with duplicates in the second half.
  const shuffled = literalTree(dir, [...entries.slice(2000), ...entries.slice(0, 2100)])
  const root = raw(dir, ['mktree'], `040000 tree ${big}\tbig\n040000 tree ${shuffled}\tshuffled\n`)
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const names: string[] = []
  for (let i = 0; i < 4000; i += 37) names.push(`d${String(i).padStart(5, '0')}.yaml`, `d${String(i).padStart(5, '0')}/x.yaml`, `d${String(i).padStart(5, '0')}`)
  names.push('d00500/a', 'd00500/', 'd00500.yaml.bak', 'd04000.yaml', 'c', 'e', 'd', 'd0', 'd00000.yaml', 'd03999.yaml', 'd01000.yaml/x')
  const paths = ['big', 'shuffled'].flatMap((folder) => [...names, ...names.slice(0, 20)].map((name) => `${folder}/${name}`))
  const { wrong, answered } = await disagreements(dir, head, paths)
  expect(wrong).toEqual([])
  expect(answered).toBe(paths.length)
})

test('folders git refuses: every path whose scan reaches the bad entry is refused, the others answered as git', async () => {
  const { dir, file, inner } = repository('refused')
  const good: Entry[] = [
    { mode: '100644', name: 'a', id: file },
    { mode: '100644', name: 'b.yaml', id: file },
    { mode: '40000', name: 'c', id: inner },
  ]
  const folders = {
    // The last entry's name has no end; its id cut short; a mode of 7 digits; a mode with a non-octal digit;
    // an empty name; an entry with no mode; a mode 40000 written as 0040000.
    noEnd: literalTree(dir, good, Buffer.from('100644 zz')),
    shortId: literalTree(dir, good, Buffer.concat([Buffer.from('100644 zz\0'), Buffer.from(file, 'hex').subarray(0, 12)])),
    longMode: literalTree(dir, [...good, { mode: '1000644', name: 'm', id: file }, { mode: '100644', name: 'n', id: file }]),
    badDigit: literalTree(dir, [...good, { mode: '100648', name: 'm', id: file }, { mode: '100644', name: 'n', id: file }]),
    emptyName: literalTree(dir, [...good, { mode: '100644', name: '', id: file }, { mode: '100644', name: 'n', id: file }]),
    noMode: literalTree(dir, [...good, { mode: '', name: 'm', id: file }, { mode: '100644', name: 'n', id: file }]),
    zeroFolder: literalTree(dir, [{ mode: '0040000', name: 'a', id: inner }, ...good.slice(1)]),
    badFirst: literalTree(dir, [{ mode: '10064x', name: 'a', id: file }, ...good.slice(1)]),
  }
  const root = raw(dir, ['mktree'], Object.entries(folders).map(([name, id]) => `040000 tree ${id}\t${name}`).join('\n') + '\n')
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const names = ['a', 'a/x.yaml', 'b.yaml', 'c', 'c/x.yaml', 'c/a', 'm', 'n', 'zz', '0', 'b', 'c.yaml', 'a', 'n']
  const paths = Object.keys(folders).flatMap((folder) => names.map((name) => `${folder}/${name}`))
  expect(gitLookup(dir, `${head}:noEnd/zz`)).toBe('refused')
  const { wrong } = await disagreements(dir, head, paths)
  expect(wrong).toEqual([])
})

test('random hand-written folders, every path of a folder looked up in one call, against git', async () => {
  const { dir, file, other, inner } = repository('random')
  const blobs = [file, other]
  const names = ['a', 'a.yaml', 'a-', 'a0', 'a.', 'a!', 'a ', 'a\x1f', 'aa', 'ab', 'b', 'x.yaml', '\xe9', '\xff\x61', '\x80', ' ', '0', 'z', 'a.yaml.d']
  const modes = ['100644', '100755', '40000', '040000', '120000', '160000', '100664', '0100644', '000000', '1', '100644', '40000']
  let seed = 1212
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const folders: string[] = []
  for (let f = 0; f < 40; f++) {
    const entries = Array.from({ length: 2 + random(12) }, () => {
      const mode = modes[random(modes.length)]!
      return { mode, name: latin1(names[random(names.length)]!), id: mode.endsWith('40000') && random(4) > 0 ? inner : blobs[random(2)]! }
    })
    folders.push(literalTree(dir, entries))
  }
  const root = raw(dir, ['mktree', '--missing'], folders.map((id, index) => `040000 tree ${id}\tf${index}`).join('\n') + '\n')
  const head = raw(dir, ['commit-tree', root, '-m', 'branch'])
  const asked = [...names, 'a/x.yaml', 'a/a', 'a/', 'a.yaml/x.yaml', 'a.yaml/', 'a0/a', 'zz', 'a', 'b']
  const paths = folders.flatMap((_, index) => asked.map((name) => `f${index}/${asPath(name)}`))
  const { wrong, answered } = await disagreements(dir, head, paths)
  expect(wrong).toEqual([])
  expect(answered).toBeGreaterThan(paths.length / 2)
})

/** The tree git writes from `head`'s tree with `writes` applied through its index (a file's names on the way removed). */
function gitEdit(dir: string, head: string, writes: ReadonlyMap<string, string | null>): string {
  const env = { GIT_INDEX_FILE: join(dir, '.git', 'scan-index') }
  raw(dir, ['read-tree', head], undefined, env)
  for (const [path, content] of writes) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) raw(dir, ['update-index', '--force-remove', '--', parts.slice(0, i).join('/')], undefined, env)
    raw(dir, ['rm', '-q', '-r', '--cached', '--ignore-unmatch', '--', `:(literal)${path}`], undefined, env)
    if (content !== null) {
      const blob = raw(dir, ['hash-object', '-w', '--stdin'], content)
      raw(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], undefined, env)
    }
  }
  return raw(dir, ['write-tree'], undefined, env)
}

test('tree edits among names that sort around each other write the tree git writes', async () => {
  const { dir, file, other, inner } = repository('edit-order')
  const folder = raw(dir, ['mktree'], [
    `100644 blob ${file}\ta`,
    `100644 blob ${file}\ta ok`,
    `100644 blob ${other}\ta!`,
    `100644 blob ${file}\ta-`,
    `100644 blob ${other}\ta.`,
    `100644 blob ${file}\ta.yaml`,
    `040000 tree ${inner}\ta.yaml.d`,
    `040000 tree ${inner}\ta0`,
    `040000 tree ${inner}\tb`,
    `100644 blob ${file}\tb-`,
    `100644 blob ${file}\tb0`,
    `100644 blob ${file}\t${asPath('\xe9')}`,
  ].join('\n') + '\n')
  const root = raw(dir, ['mktree'], `040000 tree ${folder}\td\n100644 blob ${file}\td.yaml\n`)
  const edits: [string, string | null][][] = [
    [['d/a/x.yaml', 'new\n']],
    [['d/a', null], ['d/a-', 'new\n'], ['d/a0', null]],
    [['d/a.yaml', null], ['d/a.yaml/x.yaml', 'new\n']],
    [['d/b', 'file now\n'], ['d/b.', 'new\n']],
    [['d/a ', 'new\n'], ['d/a!!', 'new\n'], ['d/a\u0001', 'new\n'], ['d/a0/x.yaml', null], ['d/a0/a', null]],
    [['d/b/x.yaml', null], ['d/b/a', null], ['d/b0', null], ['d/b-', null]],
    [['d/\u00e9', null], ['d/\u00e9\u00e9', 'new\n'], ['d/z', 'new\n'], ['d/0', 'new\n'], ['d/ ', 'new\n']],
    [['d/a.yaml.d/x.yaml', 'changed\n'], ['d/a.yaml.d/y', 'new\n'], ['d/a.yaml.d.yaml', 'new\n']],
    [['d.yaml/x', 'new\n'], ['d/x', 'new\n']],
  ]
  for (const edit of edits) {
    const writes = new Map(edit)
    const ours = await editTree(new Git(dir), root, writes)
    expect(ours, JSON.stringify(edit)).toBe(gitEdit(dir, root, writes))
  }
})

test('a large folder: many edits spread through it write the tree git writes', async () => {
  const { dir, file, other, inner } = repository('edit-large')
  const lines: string[] = []
  for (let i = 0; i < 3000; i++) {
    const name = `d${String(i).padStart(5, '0')}`
    lines.push(`100644 blob ${i % 2 ? file : other}\t${name}.yaml`)
    if (i % 300 === 0) lines.push(`040000 tree ${inner}\t${name}`, `100644 blob ${file}\t${name}-`)
  }
  const folder = raw(dir, ['mktree'], lines.join('\n') + '\n')
  const root = raw(dir, ['mktree'], `040000 tree ${folder}\tdefinitions\n`)
  const writes = new Map<string, string | null>()
  for (let i = 0; i < 3000; i += 97) writes.set(`definitions/d${String(i).padStart(5, '0')}.yaml`, i % 3 ? null : `v: ${i}\n`)
  for (let i = 0; i < 3000; i += 300) writes.set(`definitions/d${String(i).padStart(5, '0')}/x.yaml`, `v: ${i}\n`)
  writes.set('definitions/d00900-', null)
  writes.set('definitions/d00600-', 'changed\n')
  writes.set('definitions/d03000.yaml', 'new\n')
  writes.set('definitions/c', 'new\n')
  expect(await editTree(new Git(dir), root, writes)).toBe(gitEdit(dir, root, writes))
})

test('a folder whose walk meets a name with no end is refused, whatever the edit', async () => {
  const { dir, file } = repository('edit-refused')
  const folder = literalTree(dir, [{ mode: '100644', name: 'b', id: file }], Buffer.from('100644 m'))
  const root = raw(dir, ['mktree', '--missing'], `040000 tree ${folder}\td\n`)
  for (const path of ['d/a', 'd/b', 'd/c', 'd/m', 'd/z', 'd/m/x'])
    for (const content of ['x\n', null])
      await expect(editTree(new Git(dir), root, new Map([[path, content]])), path).rejects.toThrow(/malformed|too-short|fatal/)
})

test('a hand-written folder out of order: the change takes the place of the first entry not below it, the rest kept', async () => {
  const { dir, file } = repository('edit-unsorted')
  const entry = (name: string, id = file) => entryBytes({ mode: '100644', name, id })
  const folder = literalTree(dir, [
    { mode: '100644', name: 'm', id: file },
    { mode: '100644', name: 'b', id: file },
    { mode: '100644', name: 'm', id: file },
  ])
  const root = raw(dir, ['mktree', '--missing'], `040000 tree ${folder}\td\n`)
  const blob = raw(dir, ['hash-object', '-w', '--stdin'], 'x\n')
  const bytes = async (path: string, content: string | null) => {
    const tree = await editTree(new Git(dir), root, new Map([[path, content]]))
    return execFileSync('git', ['-C', dir, 'cat-file', 'tree', `${tree}:d`])
  }
  expect(await bytes('d/m', null)).toEqual(Buffer.concat([entry('b'), entry('m')]))
  expect(await bytes('d/m', 'x\n')).toEqual(Buffer.concat([entry('b'), entry('m', blob), entry('m')]))
  expect(await bytes('d/a', 'x\n')).toEqual(Buffer.concat([entry('a', blob), entry('m'), entry('b'), entry('m')]))
  expect(await bytes('d/z', 'x\n')).toEqual(Buffer.concat([entry('m'), entry('b'), entry('m'), entry('z', blob)]))
})
