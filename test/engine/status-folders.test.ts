import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, commitToBranch, git, show, tempDir } from './helpers.js'

// Status indexes a definitions tree folder by folder, each folder (by its path and object id) once for every
// branch holding it: whether a reference resolves is looked up in the folder of its target on each branch,
// and only the files right below a kind's folder are items.

const temp = tempDir('gantry-status-folders-')
afterAll(() => temp.cleanup())

interface StatusJson {
  drift: { code: string; item?: string; environment?: string; file?: string; line?: number; column?: number }[]
}

const drift = async (repo: string) =>
  (await cliJson<StatusJson>(repo, ['status'])).json.drift.map((d) => [d.environment, d.code, d.item ?? d.file, ...(d.line ? [d.line, d.column] : [])])

/** Puts a submodule entry (a gitlink) at `path` on `branch` instead of what is there. */
function gitlinkOnBranch(repo: string, branch: string, path: string): void {
  const index = join(repo, '.git', `test-index-gitlink-${process.pid}`)
  const env = { GIT_INDEX_FILE: index }
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  try {
    git(repo, ['read-tree', parent], { env })
    git(repo, ['update-index', '--force-remove', path], { env })
    git(repo, ['update-index', '--add', '--cacheinfo', `160000,${parent},${path}`], { env })
    const tree = git(repo, ['write-tree'], { env })
    git(repo, ['update-ref', `refs/heads/${branch}`, git(repo, ['commit-tree', tree, '-p', parent, '-m', 'gitlink'])])
  } finally {
    rmSync(index, { force: true })
  }
}

let repo: string
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const env of ['dev', 'qa']) for (const pkg of ['base', 'app']) expectExit(await apply(repo, pkg, env), 0)
})

test('one referring folder on two branches, its target folder gone on one and a submodule there on the other', async () => {
  const line = show(repo, 'env/dev', 'definitions/task/extract.yaml')!.split('\n').findIndex((l) => l.includes('conn: db')) + 1
  // dev first: its task folder is the one qa holds; conn/db (the only file of its folder) deleted on dev.
  commitToBranch(repo, 'env/dev', { 'definitions/conn/db.yaml': null })
  expect(git(repo, ['rev-parse', 'env/dev:definitions/task'])).toBe(git(repo, ['rev-parse', 'env/qa:definitions/task']))
  expect(await drift(repo)).toEqual([
    ['dev', 'local-customization', 'conn/db'],
    ['dev', 'unresolved-in-environment', 'task/extract', line, 9],
  ])
  // On qa a submodule stands where the connection was: git lists it, so the reference names something there;
  // it is no file, so the item is gone.
  gitlinkOnBranch(repo, 'env/qa', 'definitions/conn/db.yaml')
  expect(await drift(repo)).toEqual([
    ['dev', 'local-customization', 'conn/db'],
    ['dev', 'unresolved-in-environment', 'task/extract', line, 9],
    ['qa', 'local-customization', 'conn/db'],
  ])
  // And back: the connection restored on dev, the submodule on qa kept.
  commitToBranch(repo, 'env/dev', { 'definitions/conn/db.yaml': show(repo, 'env/dev~1', 'definitions/conn/db.yaml')! })
  expect(await drift(repo)).toEqual([['qa', 'local-customization', 'conn/db']])
})

test('only the files right below a folder of a kind with a valid name are items, in the order git lists them', async () => {
  const other = join(temp.dir, 'nested')
  makeSourceRepo(other)
  expectExit(await build(other), 0)
  expectExit(await apply(other, 'base', 'dev'), 0)
  const text = 'kind: task\nname: x\nspec:\n  command: x.sh\n'
  commitToBranch(other, 'env/dev', {
    'definitions/loose.yaml': text,
    'definitions/task/nested/deep.yaml': text,
    'definitions/Task/upper.yaml': text,
    'definitions/task/Upper.yaml': text,
    'definitions/task/notes.yml': text,
    'definitions/task/.yaml': text,
    'definitions/zz/by-hand.yaml': 'kind: zz\nname: by-hand\nspec: {}\n',
    'definitions/task/by-hand.yaml': text,
    'definitions/cred/a.yaml.yaml': 'kind: cred\nname: a.yaml\nspec: {}\n',
  })
  expect(await drift(other)).toEqual([
    ['dev', 'unowned-item', 'cred/a.yaml'],
    ['dev', 'unowned-item', 'task/by-hand'],
    ['dev', 'unowned-item', 'zz/by-hand'],
  ])
})

test('one folder object at two kind paths: its files are items of each kind, on the branch where it stands twice', async () => {
  const other = join(temp.dir, 'two-paths')
  makeSourceRepo(other)
  expectExit(await build(other), 0)
  for (const env of ['dev', 'qa']) for (const pkg of ['base', 'app']) expectExit(await apply(other, pkg, env), 0)
  // qa's `job` folder is the very folder object of `task` (indexed on dev first, at the path `task`).
  const names = git(other, ['ls-tree', '--name-only', 'env/qa:definitions/task']).split('\n').filter(Boolean)
  expect(names.length).toBeGreaterThan(0)
  commitToBranch(other, 'env/qa', Object.fromEntries(names.map((name) => [`definitions/job/${name}`, show(other, 'env/qa', `definitions/task/${name}`)!])))
  expect(git(other, ['rev-parse', 'env/qa:definitions/job'])).toBe(git(other, ['rev-parse', 'env/dev:definitions/task']))
  const expected = names.filter((n) => n.endsWith('.yaml')).map((n) => ['qa', 'unowned-item', `job/${n.slice(0, -'.yaml'.length)}`])
  expect(expected.length).toBeGreaterThan(0)
  expect(await drift(other)).toEqual(expected)
})
