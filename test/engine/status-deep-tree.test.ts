import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, git, tempDir } from './helpers.js'

// Everything on an environment branch is written by whoever can push to it. A tree may hold one folder object
// under two names, and the folder holding those two under two names again: 40 levels of it hold 2^40 paths,
// which a walk of every path (`git ls-tree -r`) never finishes. Status reads only the definitions folder and
// the folders of kinds, where every file it looks at is.

const temp = tempDir('gantry-status-deep-tree-')
afterAll(() => temp.cleanup())

test('a folder that names one subfolder twice on each of 40 levels below a kind folder: status reads two levels', async () => {
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, 'base', 'dev'), 0)
  const before = (await cliJson<{ drift: unknown[] }>(repo, ['status'])).json.drift

  // Written with git's plumbing, bottom up: each level is a tree holding the level below as `a` and `b`.
  const blob = git(repo, ['hash-object', '-w', '--stdin'], { input: 'x\n' })
  let level = git(repo, ['mktree'], { input: `100644 blob ${blob}\tleaf\n` })
  for (let depth = 0; depth < 40; depth++) level = git(repo, ['mktree'], { input: `040000 tree ${level}\ta\n040000 tree ${level}\tb\n` })
  const head = git(repo, ['rev-parse', 'refs/heads/env/dev'])
  // The deep folder goes into the first kind folder on the branch, beside its items.
  const kindLine = git(repo, ['ls-tree', `${head}:definitions`]).split('\n').find((line) => line.startsWith('040000 tree '))
  expect(kindLine).toBeDefined()
  const kind = kindLine!.slice(kindLine!.indexOf('\t') + 1)
  const kindEntries = git(repo, ['ls-tree', `${head}:definitions/${kind}`])
  const kindFolder = git(repo, ['mktree'], { input: `${kindEntries}\n040000 tree ${level}\tdeep\n` })
  const definitions = git(repo, ['mktree'], {
    input: `${git(repo, ['ls-tree', `${head}:definitions`]).split('\n').map((line) => (line === kindLine ? `040000 tree ${kindFolder}\t${kind}` : line)).join('\n')}\n`,
  })
  const root = git(repo, ['mktree'], {
    input: `${git(repo, ['ls-tree', head]).split('\n').map((line) => (line.endsWith('\tdefinitions') ? `040000 tree ${definitions}\tdefinitions` : line)).join('\n')}\n`,
  })
  git(repo, ['update-ref', 'refs/heads/env/dev', git(repo, ['commit-tree', root, '-p', head, '-m', 'deep'])])

  // The deep folder holds no item: status says what it said before it was there.
  const after = await cliJson<{ ok: boolean; drift: unknown[] }>(repo, ['status'])
  expect(after.json.drift).toEqual(before)
})
