import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { apply, build, expectExit } from '../engine/fixture.js'
import { cli, commitToBranch, git, show, tempDir } from '../engine/helpers.js'
import { appliedEverywhere, copies } from './status-scenarios.js'

// Status reads each environment branch's definitions tree folder by folder. Everything on a branch is hostile
// input: malformed trees (duplicate entries, unsorted, a kind folder that is a file, a link or a submodule), the
// same folder at several paths, references whose target folder is gone or replaced. Each scenario's
// `status --format json` is pinned here; with GANTRY_STATUS_BASELINE set to a checkout of an earlier Gantry,
// its output is compared byte for byte as well.

const temp = tempDir('gantry-attack-status-12d-')
afterAll(() => temp.cleanup())
const BASELINE = process.env.GANTRY_STATUS_BASELINE

let base: string
beforeAll(async () => {
  base = await appliedEverywhere(join(temp.dir, 'base'))
}, 120_000)

const scenario = copies(temp.dir, () => base)

/** A raw tree object from entries written as given (order and duplicates kept): git would not write it. */
function rawTree(repo: string, entries: [mode: string, name: string, id: string][]): string {
  const parts = entries.map(([mode, name, id]) => Buffer.concat([Buffer.from(`${mode} ${name}\0`, 'utf8'), Buffer.from(id, 'hex')]))
  return execFileSync('git', ['-C', repo, 'hash-object', '-w', '--literally', '-t', 'tree', '--stdin'], { input: Buffer.concat(parts) })
    .toString()
    .trim()
}

/** The entries of the tree at `rev:path` (mode, name, id), in order. */
function entriesAt(repo: string, rev: string, path: string): [string, string, string][] {
  const out = execFileSync('git', ['-C', repo, 'ls-tree', '-z', `${rev}:${path}`]).toString()
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, name] = line.split('\t') as [string, string]
      const [mode, , id] = meta.split(' ') as [string, string, string]
      return [mode === '40000' ? '40000' : mode, name, id]
    })
}

/** Sets `branch`'s definitions tree to `tree` (any object id, even a malformed tree) in a new commit. */
function setDefinitions(repo: string, branch: string, tree: string): void {
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  const root = entriesAt(repo, parent, '').filter(([, name]) => name !== 'definitions')
  root.push(['40000', 'definitions', tree])
  root.sort((a, b) => (a[1] + (a[0] === '40000' ? '/' : '') < b[1] + (b[0] === '40000' ? '/' : '') ? -1 : 1))
  const rootTree = rawTree(repo, root)
  git(repo, ['update-ref', `refs/heads/${branch}`, git(repo, ['commit-tree', rootTree, '-p', parent, '-m', 'by hand'])])
}

/** Rewrites `branch`'s definitions folder entries with `edit` (raw: order and duplicates as returned). */
function editDefinitions(repo: string, branch: string, edit: (entries: [string, string, string][]) => [string, string, string][]): void {
  setDefinitions(repo, branch, rawTree(repo, edit(entriesAt(repo, `refs/heads/${branch}`, 'definitions'))))
}

function gitlink(repo: string, branch: string, path: string, commit?: string): void {
  const index = join(repo, '.git', `idx-${process.pid}`)
  const env = { GIT_INDEX_FILE: index }
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  git(repo, ['read-tree', parent], { env })
  git(repo, ['update-index', '--force-remove', path], { env })
  git(repo, ['update-index', '--add', '--cacheinfo', `160000,${commit ?? parent},${path}`], { env })
  const tree = git(repo, ['write-tree'], { env })
  git(repo, ['update-ref', `refs/heads/${branch}`, git(repo, ['commit-tree', tree, '-p', parent, '-m', 'gitlink'])])
  execFileSync('rm', ['-f', index])
}

function link(repo: string, branch: string, path: string, target: string): void {
  const index = join(repo, '.git', `idx-${process.pid}`)
  const env = { GIT_INDEX_FILE: index }
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  git(repo, ['read-tree', parent], { env })
  git(repo, ['update-index', '--force-remove', path], { env })
  const blob = git(repo, ['hash-object', '-w', '--stdin'], { input: target })
  git(repo, ['update-index', '--add', '--cacheinfo', `120000,${blob},${path}`], { env })
  const tree = git(repo, ['write-tree'], { env })
  git(repo, ['update-ref', `refs/heads/${branch}`, git(repo, ['commit-tree', tree, '-p', parent, '-m', 'link'])])
  execFileSync('rm', ['-f', index])
}

type Row = (string | number | undefined)[]
/** status --format json: exit code and each drift finding as [environment, code, item or file, line, column]. */
async function status(repo: string): Promise<{ code: number; rows: Row[]; stdout: string }> {
  const run = await cli(repo, ['status', '--format', 'json'])
  let rows: Row[] = []
  try {
    const json = JSON.parse(run.stdout) as { drift: { environment?: string; code: string; item?: string; file?: string; line?: number; column?: number }[] }
    rows = json.drift.map((d) => [d.environment, d.code, d.item ?? d.file, ...(d.line ? [d.line, d.column] : [])])
  } catch {
    rows = [['unparsed', run.stdout.slice(0, 200), run.stderr.slice(0, 200)]]
  }
  if (BASELINE && existsSync(BASELINE)) {
    const old = (() => {
      try {
        return { stdout: execFileSync('node', ['--import', 'tsx', join(BASELINE, 'src/cli/index.ts'), 'status', '--repo', repo, '--format', 'json'], { cwd: BASELINE, stdio: ['ignore', 'pipe', 'pipe'] }).toString(), code: 0 }
      } catch (error) {
        const e = error as { stdout?: Buffer; status?: number }
        return { stdout: String(e.stdout ?? ''), code: e.status ?? -1 }
      }
    })()
    expect({ code: run.code, stdout: run.stdout }).toEqual(old)
  }
  return { code: run.code, rows, stdout: run.stdout }
}

const TASK = 'kind: task\nname: x\nspec:\n  command: x.sh\n'
const refLine = (repo: string) => show(repo, 'env/dev', 'definitions/task/extract.yaml')!.split('\n').findIndex((l) => l.includes('conn: db')) + 1

test('one folder object (conn) at several paths on one branch and at other paths on another', async () => {
  const repo = scenario()
  const conn = git(repo, ['rev-parse', 'env/dev:definitions/conn'])
  type Entry = [string, string, string]
  const byName = (a: Entry, b: Entry) => (a[1] < b[1] ? -1 : 1)
  editDefinitions(repo, 'env/dev', (e) => [...e, ['40000', 'zconn', conn] as Entry].sort(byName))
  editDefinitions(repo, 'env/qa', (e) =>
    e
      .map(([m, n, id]): Entry => (n === 'conn' ? [m, 'conn-old', id] : [m, n, id]))
      .concat([['40000', 'task-x', conn]])
      .sort(byName),
  )
  const { rows } = await status(repo)
  expect(rows).toEqual([
    ['dev', 'unowned-item', 'zconn/db'],
    ['qa', 'local-customization', 'conn/db'],
    ['qa', 'unresolved-in-environment', 'task/extract', refLine(repo), 9],
    ['qa', 'unowned-item', 'conn-old/db'],
    ['qa', 'unowned-item', 'task-x/db'],
  ])
})

test('a kind folder that is a file, a link or a submodule on one branch each', async () => {
  const repo = scenario()
  const blob = git(repo, ['hash-object', '-w', '--stdin'], { input: 'not a folder' })
  editDefinitions(repo, 'env/dev', (e) => e.map(([m, n, id]) => (n === 'conn' ? ['100644', n, blob] : [m, n, id])))
  editDefinitions(repo, 'env/qa', (e) => e.map(([m, n, id]) => (n === 'conn' ? ['120000', n, blob] : [m, n, id])))
  editDefinitions(repo, 'env/prod', (e) => e.map(([m, n, id]) => (n === 'conn' ? ['160000', n, git(repo, ['rev-parse', 'main'])] : [m, n, id])))
  const { rows } = await status(repo)
  const line = refLine(repo)
  expect(rows).toEqual(
    ['dev', 'qa', 'prod'].flatMap((env) => [
      [env, 'local-customization', 'conn/db'],
      [env, 'unresolved-in-environment', 'task/extract', line, 9],
    ]),
  )
})

test('folders named like kinds: invalid, unicode, `..`, and names that sort around each other', async () => {
  const repo = scenario()
  const task = git(repo, ['rev-parse', 'env/dev:definitions/task'])
  const one = rawTree(repo, [['100644', 'by-hand.yaml', git(repo, ['hash-object', '-w', '--stdin'], { input: TASK })]])
  editDefinitions(repo, 'env/dev', (e) =>
    [...e, ['40000', 'task-x', one], ['40000', 'task.x', one], ['40000', 'Task', one], ['40000', 'tâche', one], ['40000', '..', one], ['40000', 'a..b', one], ['40000', 'x.lock', one], ['40000', 'con', one], ['100644', 'task.yaml', one.slice(0, 0) + git(repo, ['hash-object', '-w', '--stdin'], { input: TASK })]] as [string, string, string][],
  )
  // qa: the same names in git's order, and the task folder under an extra name.
  editDefinitions(repo, 'env/qa', (e) =>
    [...e, ['40000', 'task-x', one], ['40000', 'task.x', one], ['40000', 'task0', task]].sort((a, b) => (a[1] + (a[0] === '40000' ? '/' : '') < b[1] + (b[0] === '40000' ? '/' : '') ? -1 : 1)) as [string, string, string][],
  )
  const { rows } = await status(repo)
  expect(rows).toEqual([
    ['dev', 'unowned-item', 'task-x/by-hand'],
    ['dev', 'unowned-item', 'task.x/by-hand'],
    ['qa', 'unowned-item', 'task-x/by-hand'],
    ['qa', 'unowned-item', 'task.x/by-hand'],
    ['qa', 'unowned-item', 'task0/extract'],
  ])
})

test('file names: a.yaml.yaml, .yaml, A.YAML, x.yml, a nested folder, a link and a submodule named like an item', async () => {
  const repo = scenario()
  commitToBranch(repo, 'env/dev', {
    'definitions/task/a.yaml.yaml': TASK,
    'definitions/task/.yaml': TASK,
    'definitions/task/A.YAML': TASK,
    'definitions/task/x.yml': TASK,
    'definitions/task/nested/deep.yaml': TASK,
    'definitions/task/nested.yaml/in.yaml': TASK,
  })
  link(repo, 'env/dev', 'definitions/task/linked.yaml', 'extract.yaml')
  gitlink(repo, 'env/dev', 'definitions/task/sub.yaml')
  const { rows } = await status(repo)
  expect(rows).toEqual([
    ['dev', 'unowned-item', 'task/a.yaml'],
    ['dev', 'unowned-item', 'task/linked'],
    ['dev', 'unowned-item', 'task/sub'],
  ])
})

test('duplicate entries in a malformed tree: a kind folder twice, a file twice, a folder and a file of one name', async () => {
  const repo = scenario()
  const empty = rawTree(repo, [])
  const other = git(repo, ['hash-object', '-w', '--stdin'], { input: 'kind: conn\nname: db\nspec:\n  host: h\n' })
  // dev: conn twice, the second without db; qa: conn twice the other way round; prod: conn/db twice in its folder.
  editDefinitions(repo, 'env/dev', (e) => e.flatMap((x) => (x[1] === 'conn' ? [x, ['40000', 'conn', empty]] : [x])) as [string, string, string][])
  editDefinitions(repo, 'env/qa', (e) => e.flatMap((x) => (x[1] === 'conn' ? [['40000', 'conn', empty], x] : [x])) as [string, string, string][])
  const twice = rawTree(repo, [...entriesAt(repo, 'env/prod', 'definitions/conn'), ['100644', 'db.yaml', other]])
  editDefinitions(repo, 'env/prod', (e) => e.map((x) => (x[1] === 'conn' ? ['40000', 'conn', twice] : x)))
  // And the same folder twice (one object): its items listed twice.
  const { rows } = await status(repo)
  expect(rows).toEqual([['prod', 'local-customization', 'conn/db']])
  const repo2 = scenario()
  editDefinitions(repo2, 'env/dev', (e) => e.flatMap((x) => (x[1] === 'task' ? [x, x] : [x])) as [string, string, string][])
  const blob = git(repo2, ['hash-object', '-w', '--stdin'], { input: 'x' })
  editDefinitions(repo2, 'env/qa', (e) => e.flatMap((x) => (x[1] === 'conn' ? [['100644', 'conn', blob], x] : [x])) as [string, string, string][])
  editDefinitions(repo2, 'env/prod', (e) => e.flatMap((x) => (x[1] === 'conn' ? [x, ['160000', 'conn', git(repo2, ['rev-parse', 'main'])]] : [x])) as [string, string, string][])
  expect((await status(repo2)).rows).toEqual([])
})

test('references whose target folder is deleted, a submodule, a link, or restored, across branches sharing the referring folder', async () => {
  const repo = scenario()
  const line = refLine(repo)
  const blob = git(repo, ['hash-object', '-w', '--stdin'], { input: 'x' })
  editDefinitions(repo, 'env/dev', (e) => e.filter((x) => x[1] !== 'conn'))
  editDefinitions(repo, 'env/qa', (e) => e.map((x) => (x[1] === 'conn' ? ['160000', 'conn', git(repo, ['rev-parse', 'main'])] : x)))
  editDefinitions(repo, 'env/prod', (e) => e.map((x) => (x[1] === 'conn' ? ['120000', 'conn', blob] : x)))
  expect((await status(repo)).rows).toEqual(
    ['dev', 'qa', 'prod'].flatMap((env) => [
      [env, 'local-customization', 'conn/db'],
      [env, 'unresolved-in-environment', 'task/extract', line, 9],
    ]),
  )
  // Restored on qa only, as a link at the item's path; on prod the folder back with the file.
  const repo2 = scenario()
  const conn = git(repo2, ['rev-parse', 'env/dev:definitions/conn'])
  editDefinitions(repo2, 'env/dev', (e) => e.filter((x) => x[1] !== 'conn'))
  link(repo2, 'env/qa', 'definitions/conn/db.yaml', 'elsewhere')
  editDefinitions(repo2, 'env/prod', (e) => e.filter((x) => x[1] !== 'conn').concat([['40000', 'conn', conn]]))
  expect((await status(repo2)).rows).toEqual([
    ['dev', 'local-customization', 'conn/db'],
    ['dev', 'unresolved-in-environment', 'task/extract', line, 9],
    ['qa', 'local-customization', 'conn/db'],
    // prod holds dev's connection (its own sets another port).
    ['prod', 'local-customization', 'conn/db'],
  ])
})

test('the same item object under different kinds and names, and a ledger naming items of a folder the branch lays out otherwise', async () => {
  const repo = scenario()
  const extract = git(repo, ['rev-parse', 'env/dev:definitions/task/extract.yaml'])
  const db = git(repo, ['rev-parse', 'env/dev:definitions/conn/db.yaml'])
  // dev: the task's object also as conn/extract and task/extract2; qa: task folder under conn, conn under task.
  const taskTree = git(repo, ['rev-parse', 'env/qa:definitions/task'])
  const connTree = git(repo, ['rev-parse', 'env/qa:definitions/conn'])
  editDefinitions(repo, 'env/dev', (e) =>
    e.map((x) => (x[1] === 'conn' ? ['40000', 'conn', rawTree(repo, [['100644', 'db.yaml', db], ['100644', 'extract.yaml', extract]])] : x[1] === 'task' ? ['40000', 'task', rawTree(repo, [['100644', 'extract.yaml', extract], ['100644', 'extract2.yaml', extract]])] : x)),
  )
  editDefinitions(repo, 'env/qa', (e) => e.map((x) => (x[1] === 'conn' ? ['40000', 'conn', taskTree] : x[1] === 'task' ? ['40000', 'task', connTree] : x)))
  const { rows } = await status(repo)
  expect(rows).toEqual([
    ['dev', 'unowned-item', 'conn/extract'],
    ['dev', 'unowned-item', 'task/extract2'],
    ['qa', 'local-customization', 'conn/db'],
    ['qa', 'local-customization', 'task/extract'],
    ['qa', 'unowned-item', 'conn/extract'],
    ['qa', 'unowned-item', 'task/db'],
  ])
})

test('a missing folder object, a missing definitions tree, and a definitions folder that is a file', async () => {
  const repo = scenario()
  const missing = 'f'.repeat(40)
  editDefinitions(repo, 'env/dev', (e) => e.map((x) => (x[1] === 'conn' ? ['40000', 'conn', missing] : x)))
  const a = await status(repo)
  expect(a.code).not.toBe(0)
  const repo2 = scenario()
  setDefinitions(repo2, 'env/qa', missing)
  const b = await status(repo2)
  expect(b.code).not.toBe(0)
  const repo3 = scenario()
  const blob = git(repo3, ['hash-object', '-w', '--stdin'], { input: 'x' })
  const parent = git(repo3, ['rev-parse', 'refs/heads/env/prod'])
  const root = entriesAt(repo3, parent, '').map((x) => (x[1] === 'definitions' ? (['100644', 'definitions', blob] as [string, string, string]) : x))
  git(repo3, ['update-ref', 'refs/heads/env/prod', git(repo3, ['commit-tree', rawTree(repo3, root), '-p', parent, '-m', 'x'])])
  const c = await status(repo3)
  expect(c.rows.filter((r) => r[0] === 'prod').map((r) => r[1])).toEqual(['local-customization', 'local-customization', 'local-customization', 'local-customization', 'local-customization'])
})

test('hundreds of folders and items, branches sharing part of them', async () => {
  const repo = scenario()
  const files: Record<string, string> = {}
  for (let i = 0; i < 300; i++) files[`definitions/k${i}/item${i % 7}.yaml`] = `kind: k${i}\nname: item${i % 7}\nspec: {}\n`
  commitToBranch(repo, 'env/dev', files)
  commitToBranch(repo, 'env/qa', Object.fromEntries(Object.entries(files).slice(0, 150)))
  commitToBranch(repo, 'env/qa', { 'definitions/conn/db.yaml': null })
  const { rows } = await status(repo)
  expect(rows.length).toBe(300 + 150 + 2)
  expect(rows.filter((r) => r[0] === 'qa').slice(0, 2)).toEqual([
    ['qa', 'local-customization', 'conn/db'],
    ['qa', 'unresolved-in-environment', 'task/extract', refLine(repo), 9],
  ])
})

test('a sha256 repository: folders shared between branches, a target folder gone on one', async () => {
  const repo = join(temp.dir, 'sha256')
  execFileSync('git', ['init', '-q', '--object-format=sha256', '-b', 'main', repo])
  git(repo, ['config', 'user.name', 'Gantry Test'])
  git(repo, ['config', 'user.email', 'test@gantry.invalid'])
  execFileSync('sh', ['-c', `git -C '${base}' archive main | tar -x -C '${repo}'`])
  git(repo, ['add', '--all'])
  git(repo, ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', 'Initial definitions'])
  expectExit(await build(repo), 0)
  for (const env of ['dev', 'qa']) for (const pkg of ['base', 'app']) expectExit(await apply(repo, pkg, env), 0)
  expect(git(repo, ['rev-parse', 'env/dev:definitions/task'])).toHaveLength(64)
  editDefinitions(repo, 'env/dev', (e) => e.filter((x) => x[1] !== 'conn'))
  commitToBranch(repo, 'env/qa', { 'definitions/task/by-hand.yaml': TASK })
  const { rows } = await status(repo)
  expect(rows).toEqual([
    ['dev', 'local-customization', 'conn/db'],
    ['dev', 'unresolved-in-environment', 'task/extract', refLine(repo), 9],
    ['qa', 'unowned-item', 'task/by-hand'],
  ])
})
