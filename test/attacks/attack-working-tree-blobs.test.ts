import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { afterAll, describe, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { readCommitSnapshot } from '../../src/adapters/git/repository-reader.js'
import { WorkingTreeBlobs, workingTreeAt } from '../../src/adapters/git/working-tree-blobs.js'
import { buildPackages } from '../../src/commands/build.js'
import { sourceFiles } from '../engine/fixture.js'
import { commitFiles, git, makeGitRepo, tempDir } from '../engine/helpers.js'
import { buildOutcome } from '../support/build-outcome.js'

// Attacks on wt-read (ac4b056): a release build takes a file from the working tree when its bytes hash to
// the blob the commit names. Each test compares with what a build reading only git objects produces.

const temp = tempDir('gantry-attack-wtb-')
afterAll(() => temp.cleanup())

const ROOTS = ['gantry.yaml', 'kinds', 'definitions', 'packages']
const EDITED = 'definitions/cred/db.yaml'
let count = 0
const fresh = (name: string) => join(temp.dir, `${name}-${count++}`)

function sourceRepo(dir: string, extra: Record<string, string> = {}): string {
  makeGitRepo(dir, { ...sourceFiles(), ...extra })
  return dir
}

const outcome = buildOutcome

async function build(repo: string) {
  const result = await buildPackages({ repo, packages: [], all: true, debug: false })
  return { diagnostics: result.diagnostics, artifacts: result.artifacts.length }
}

/** The build of a copy of `repo` whose source folders are gone from the working tree: every file from git. */
async function gitOnly(repo: string) {
  const copy = fresh('git-only')
  cpSync(repo, copy, { recursive: true })
  for (const root of ROOTS) rmSync(join(copy, root), { recursive: true, force: true })
  const result = await build(copy)
  return { result, ...outcome(copy) }
}

async function snapshot(repo: string, workingTree: boolean, root = repo, roots = ROOTS) {
  const head = git(repo, ['rev-parse', 'HEAD'])
  const snap = await readCommitSnapshot(
    new Git(repo),
    head,
    roots,
    1024 * 1024,
    undefined,
    workingTree ? new WorkingTreeBlobs(root) : undefined,
  )
  return new Map(
    [...snap].map(([path, entry]) => [
      path,
      entry.type === 'file' ? Buffer.from(entry.bytes).toString('latin1') : entry.type,
    ]),
  )
}

const committed = sourceRepo(fresh('clean'))

describe('a replaced object (git replace): the build reads what the ids name, from git or the working tree', () => {
  // git cat-file --batch (and ls-tree --long's size) follow refs/replace/ unless told not to: a blob replaced
  // by one of the same size was read by git as the replacement, while a working tree that still holds the
  // original bytes hashes to the id listed, so a git-only build bundled the replacement and this one the
  // original. Gantry's git now ignores replace refs (GIT_NO_REPLACE_OBJECTS): both read the original.
  test('a blob replaced (git replace) by one of the same size: the same bundles as a git-only build, of the original', async () => {
    const repo = fresh('replace')
    cpSync(committed, repo, { recursive: true })
    const original = readFileSync(join(repo, EDITED), 'latin1')
    const replacement = original.replace('vault://kv/db', 'vault://kv/xy')
    expect(replacement.length).toBe(original.length)
    const id = git(repo, ['hash-object', '-w', '--stdin'], { input: replacement })
    git(repo, ['replace', git(repo, ['rev-parse', `HEAD:${EDITED}`]), id])
    // What git says the commit holds, and what the working tree holds.
    expect(git(repo, ['cat-file', 'blob', `HEAD:${EDITED}`])).toBe(replacement.replace(/\n$/, ''))
    expect(readFileSync(join(repo, EDITED), 'latin1')).toBe(original)

    const reference = await gitOnly(repo)
    expect(reference.result.diagnostics).toEqual([])
    await build(repo)
    // Failed before replace refs were ignored: the bundle holding cred/db said vault://kv/db here, vault://kv/xy
    // from git alone.
    expect(outcome(repo).bundles).toEqual(reference.bundles)
    const bundled = [...reference.bundles.values()].join('\n')
    expect(bundled).toContain('vault://kv/db')
    expect(bundled).not.toContain('vault://kv/xy')
    expect(await snapshot(repo, true)).toEqual(await snapshot(repo, false))
  })
})

describe('divergences where the working tree is right (pins: pass on wt-read)', () => {
  // cat-file serves a loose object without checking its hash: a corrupt object store gives wrong bytes to a
  // git-only build; the working tree's verified bytes are the commit's.
  test('a corrupt loose object (valid zlib, other bytes of the same size): the commit is built from the working tree', async () => {
    const repo = fresh('corrupt')
    cpSync(committed, repo, { recursive: true })
    const id = git(repo, ['rev-parse', `HEAD:${EDITED}`])
    const original = readFileSync(join(repo, EDITED))
    const other = Buffer.from(original.toString('latin1').replace('vault://kv/db', 'vault://kv/xy'), 'latin1')
    const file = join(repo, '.git/objects', id.slice(0, 2), id.slice(2))
    chmodSync(file, 0o644)
    writeFileSync(file, deflateSync(Buffer.concat([Buffer.from(`blob ${other.length}\0`), other])))
    const fast = await snapshot(repo, true)
    const slow = await snapshot(repo, false)
    expect(fast.get(EDITED)).toBe(original.toString('latin1'))
    expect(slow.get(EDITED)).toBe(other.toString('latin1'))
  })
})

describe('holds: the bytes taken are the blob, whatever the working tree does', () => {
  test('a file rewritten (in place and by rename, torn and whole) while it is read: every snapshot is the commit', async () => {
    const repo = fresh('race')
    cpSync(committed, repo, { recursive: true })
    const target = join(repo, EDITED)
    const good = readFileSync(target, 'latin1')
    const evil = good.replace('vault://kv/db', 'vault://kv/xy')
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const [t,a,b]=process.argv.slice(1);let i=0;for(;;){const s=i++%2?a:b;if(i%3)fs.writeFileSync(t,s);else{fs.writeFileSync(t+'.n',s);fs.renameSync(t+'.n',t)}}`,
        target,
        good,
        evil,
      ],
      { stdio: 'ignore' },
    )
    try {
      const expected = await snapshot(committed, false)
      const files = new WorkingTreeBlobs(repo)
      const id = git(repo, ['rev-parse', `HEAD:${EDITED}`])
      let taken = 0
      for (let i = 0; i < 20000; i++) {
        const bytes = files.read(EDITED, id, Buffer.byteLength(good))
        if (bytes) {
          taken++
          expect(bytes.toString('latin1')).toBe(good)
        }
      }
      // Both outcomes seen: the race ran.
      expect(taken).toBeGreaterThan(0)
      expect(taken).toBeLessThan(20000)
      for (let i = 0; i < 30; i++) expect(await snapshot(repo, true)).toEqual(expected)
    } finally {
      writer.kill()
    }
  })

  test('HEAD moved (reset --soft) so the working tree is of another commit: the bundles are those of HEAD', async () => {
    const repo = fresh('stale')
    cpSync(committed, repo, { recursive: true })
    const first = git(repo, ['rev-parse', 'HEAD'])
    commitFiles(
      repo,
      { [EDITED]: readFileSync(join(repo, EDITED), 'latin1').replace('vault://kv/db', 'vault://kv/zz') },
      'second',
    )
    const second = git(repo, ['rev-parse', 'HEAD'])
    git(repo, ['checkout', '-q', first])
    git(repo, ['reset', '-q', '--soft', second])
    expect(git(repo, ['rev-parse', 'HEAD'])).toBe(second)
    expect(await snapshot(repo, true)).toEqual(await snapshot(repo, false))
    const reference = await gitOnly(repo)
    expect(reference.result.diagnostics).toEqual([])
    await build(repo)
    expect(outcome(repo)).toEqual({ bundles: reference.bundles, tags: outcome(repo).tags })
    expect(outcome(repo).bundles).toEqual(reference.bundles)
  })

  test('skip-worktree / assume-unchanged entries whose files differ: read from git', async () => {
    const repo = fresh('flags')
    cpSync(committed, repo, { recursive: true })
    git(repo, ['update-index', '--skip-worktree', EDITED])
    git(repo, ['update-index', '--assume-unchanged', 'packages/base.yaml'])
    writeFileSync(join(repo, EDITED), 'kind: cred\nname: db\nspec:\n  path: vault://kv/evil\n')
    writeFileSync(join(repo, 'packages/base.yaml'), 'name: base\n')
    expect(await snapshot(repo, true)).toEqual(await snapshot(repo, false))
  })

  test('a folder replaced by a link to another checkout holding the committed bytes (read outside the repository): same snapshot', async () => {
    const repo = fresh('linked')
    cpSync(committed, repo, { recursive: true })
    const other = fresh('other-checkout')
    cpSync(committed, other, { recursive: true })
    rmSync(join(repo, 'definitions'), { recursive: true })
    symlinkSync(join(other, 'definitions'), join(repo, 'definitions'))
    expect(await snapshot(repo, true)).toEqual(await snapshot(repo, false))
    // The same link to a checkout of other bytes: each file read from git.
    writeFileSync(join(other, EDITED), 'kind: cred\nname: db\nspec:\n  path: vault://kv/evil\n')
    expect(await snapshot(repo, true)).toEqual(await snapshot(repo, false))
  })

  test('a folder linked to /dev, files named as devices (zero, null, tty, full): same snapshot, no hang', async () => {
    const repo = sourceRepo(fresh('dev'), {
      'packages/x/zero': 'z\n',
      'packages/x/null': '',
      'packages/x/tty': 't\n',
      'packages/x/full': 'f\n',
      'packages/x/urandom': 'u\n',
    })
    rmSync(join(repo, 'packages/x'), { recursive: true })
    symlinkSync('/dev', join(repo, 'packages/x'))
    expect(await snapshot(repo, true)).toEqual(await snapshot(repo, false))
  })

  test('paths git holds that the file system maps oddly: backslashes, trailing spaces and dots, non-UTF-8, over PATH_MAX', async () => {
    const repo = fresh('odd')
    cpSync(committed, repo, { recursive: true })
    const blob = (s: string) => git(repo, ['hash-object', '-w', '--stdin'], { input: s })
    // A hand-made tree under packages/odd: names no checkout writes as they are (or at all).
    const long = 'L'.repeat(250)
    let deep = git(repo, ['mktree'], { input: `100644 blob ${blob('deep\n')}\tf.yaml\n` })
    for (let i = 0; i < 20; i++) deep = git(repo, ['mktree'], { input: `040000 tree ${deep}\t${long}\n` })
    const odd = git(repo, ['mktree'], {
      input: [
        `100644 blob ${blob('back\n')}\ta\\b.yaml`,
        `100644 blob ${blob('space\n')}\ttrail .yaml `,
        `100644 blob ${blob('dot\n')}\ttrail.yaml.`,
        `040000 tree ${deep}\tdeep`,
      ].join('\n'),
    })
    // A name that is not UTF-8 (and a file of other bytes under its U+FFFD spelling).
    const latin = execGit(
      repo,
      ['mktree'],
      Buffer.from(`100644 blob ${blob('latin\n')}\tcaf\xe9.yaml\n`, 'latin1'),
    )
      .toString()
      .trim()
    const pkgTree = git(repo, ['write-tree', '--prefix=packages/'])
    const withOdd = git(repo, ['mktree'], {
      input: `${git(repo, ['ls-tree', pkgTree])}\n040000 tree ${odd}\todd\n040000 tree ${latin}\tlatin\n`,
    })
    const top = git(repo, ['ls-tree', 'HEAD'])
      .split('\n')
      .filter((l) => !l.endsWith('\tpackages'))
    const tree = git(repo, ['mktree'], { input: `${top.join('\n')}\n040000 tree ${withOdd}\tpackages\n` })
    git(repo, ['update-ref', 'HEAD', git(repo, ['commit-tree', tree, '-p', 'HEAD', '-m', 'odd'])])
    mkdirSync(join(repo, 'packages/odd'), { recursive: true })
    writeFileSync(join(repo, 'packages/odd/a\\b.yaml'), 'back\n')
    writeFileSync(join(repo, 'packages/odd/trail .yaml '), 'space\n')
    writeFileSync(join(repo, 'packages/odd/trail.yaml.'), 'dot\n')
    mkdirSync(join(repo, 'packages/latin'), { recursive: true })
    writeFileSync(join(repo, 'packages/latin/caf\uFFFD.yaml'), 'other\n')
    const fast = await snapshot(repo, true)
    expect(fast).toEqual(await snapshot(repo, false))
    expect(fast.get('packages/odd/a\\b.yaml')).toBe('back\n')
    expect([...fast.keys()].some((k) => k.length > 4096)).toBe(true)
  })

  test('an entry with a blob mode naming a tree, with the tree raw bytes in the working tree: not taken (the header says blob)', async () => {
    const repo = fresh('typed')
    cpSync(committed, repo, { recursive: true })
    const sub = git(repo, ['rev-parse', 'HEAD:kinds'])
    const raw = Buffer.from(execGit(repo, ['cat-file', 'tree', sub]))
    // mktree checks types: the tree holding the lie is written as raw bytes (git fsck would refuse it).
    const fakeDir = execGit(
      repo,
      ['hash-object', '-t', 'tree', '-w', '--literally', '--stdin'],
      Buffer.concat([Buffer.from('100644 fake.yaml\0'), Buffer.from(sub, 'hex')]),
    )
      .toString()
      .trim()
    const pkgTree = git(repo, ['rev-parse', 'HEAD:packages'])
    const withFake = git(repo, ['mktree'], {
      input: `${git(repo, ['ls-tree', pkgTree])}\n040000 tree ${fakeDir}\tfake\n`,
    })
    const top = git(repo, ['ls-tree', 'HEAD'])
      .split('\n')
      .filter((l) => !l.endsWith('\tpackages'))
    const tree = git(repo, ['mktree'], { input: `${top.join('\n')}\n040000 tree ${withFake}\tpackages\n` })
    git(repo, ['update-ref', 'HEAD', git(repo, ['commit-tree', tree, '-p', 'HEAD', '-m', 'fake'])])
    mkdirSync(join(repo, 'packages/fake'))
    writeFileSync(join(repo, 'packages/fake/fake.yaml'), raw)
    expect(git(repo, ['ls-tree', '-r', 'HEAD', 'packages/fake'])).toContain(`blob ${sub}`)
    const fast = await snapshot(repo, true)
    expect(fast.has('packages/fake/fake.yaml')).toBe(false)
    expect(fast).toEqual(await snapshot(repo, false))
  })

  test('the same blob at many paths, the first copies edited: later copies taken, bytes the same', async () => {
    const same = 'kind: cred\nname: same\n'
    const extra = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`packages/same/${String(i).padStart(2, '0')}.txt`, same]),
    )
    const repo = sourceRepo(fresh('many'), extra)
    for (let i = 0; i < 25; i++)
      writeFileSync(
        join(repo, `packages/same/${String(i).padStart(2, '0')}.txt`),
        same.replace('same', 'evil'),
      )
    const fast = await snapshot(repo, true)
    expect(fast).toEqual(await snapshot(repo, false))
    expect(fast.get('packages/same/00.txt')).toBe(same)
  })

  test('where git runs elsewhere: a linked worktree, core.worktree, a bare repository inside a checkout', async () => {
    // A linked worktree (.git is a file) checked out at another commit, then pointed at HEAD of main.
    const main = fresh('main')
    cpSync(committed, main, { recursive: true })
    commitFiles(main, { [EDITED]: 'kind: cred\nname: db\nspec:\n  path: vault://kv/two\n' }, 'two')
    const linked = fresh('linked-wt')
    git(main, ['worktree', 'add', '-q', '--detach', linked, 'HEAD~1'])
    git(linked, ['reset', '-q', '--soft', git(main, ['rev-parse', 'HEAD'])])
    expect(workingTreeAt(linked, {})).toBe(linked)
    expect(await snapshot(linked, true)).toEqual(await snapshot(linked, false))

    // core.worktree names another folder: git lists that tree's paths, the folder read holds other bytes.
    const cw = fresh('core-worktree')
    cpSync(committed, cw, { recursive: true })
    const elsewhere = fresh('elsewhere')
    mkdirSync(elsewhere)
    git(cw, ['config', 'core.worktree', elsewhere])
    writeFileSync(join(cw, EDITED), 'kind: cred\nname: db\nspec:\n  path: vault://kv/evil\n')
    expect(await snapshot(cw, true)).toEqual(await snapshot(cw, false))

    // A bare repository inside a checkout (found as a working tree by the walk up to the outer .git).
    const outer = fresh('outer')
    cpSync(committed, outer, { recursive: true })
    const bare = join(outer, 'fixtures/bare.git')
    git(outer, ['clone', '-q', '--bare', outer, bare])
    expect(workingTreeAt(bare, {})).toBe(bare)
    expect(await snapshot(bare, true)).toEqual(await snapshot(bare, false))
  })

  test('a file of exactly the size limit, and one byte over it in the working tree', async () => {
    const big = 'x'.repeat(1024 * 1024 - 1) + '\n'
    const repo = sourceRepo(fresh('big'), { 'packages/big.txt': big })
    const fast = await snapshot(repo, true)
    expect(fast.get('packages/big.txt')).toBe(big)
    writeFileSync(join(repo, 'packages/big.txt'), `${big}y`)
    expect(await snapshot(repo, true)).toEqual(await snapshot(repo, false))
  })
})

/** git with raw bytes in and out (the git helper speaks UTF-8). */
function execGit(dir: string, args: string[], input?: Buffer): Buffer {
  return execFileSync('git', ['-C', dir, ...args], { input })
}
