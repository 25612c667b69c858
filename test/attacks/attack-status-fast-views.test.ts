import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { cli, git, tempDir } from '../engine/helpers.js'
import { type TreeEntry, appliedEverywhere, copies, entriesOf, entryBytes, gitOrder, rawTree, treeOf } from './status-scenarios.js'

// Status's folder views are keyed by the names a tree object lists, its item files shared between the
// environments that list them, and the references' targets kept by their names. Everything on a branch is
// hostile input: odd modes and names in a kind folder, one item at different blobs or paths per environment,
// blobs that read like `git cat-file` answers, ledgers naming items absent from the branch, a missing branch,
// a kind folder that stops being a tree part way through. Each scenario's findings and exit code are pinned;
// with GANTRY_STATUS_BASELINE set to a checkout of an earlier Gantry, its text and JSON output are compared
// byte for byte as well.

const temp = tempDir('gantry-attack-status-fast-views-')
afterAll(() => temp.cleanup())
const BASELINE = process.env.GANTRY_STATUS_BASELINE

let base: string
beforeAll(async () => {
  base = await appliedEverywhere(join(temp.dir, 'base'))
}, 120_000)
const scenario = copies(temp.dir, () => base)

type Entry = TreeEntry
const blob = (repo: string, text: string): string =>
  git(repo, ['hash-object', '-w', '--stdin'], { input: text })
/** Sets the folder `definitions/<kind>` of `branch` to the tree `tree` (any object id) in a new commit. */
function setKindFolder(repo: string, branch: string, kind: string, tree: string): void {
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  const defs = entriesOf(repo, `${parent}:definitions`).filter(([, n]) => n !== kind)
  defs.push(['40000', kind, tree])
  const root = entriesOf(repo, parent).filter(([, n]) => n !== 'definitions')
  root.push(['40000', 'definitions', rawTree(repo, defs.sort(gitOrder))])
  git(repo, [
    'update-ref',
    `refs/heads/${branch}`,
    git(repo, ['commit-tree', rawTree(repo, root.sort(gitOrder)), '-p', parent, '-m', 'by hand']),
  ])
}
/** Commits files (null: removed) to `branch` through a separate index. */
function commitFiles(repo: string, branch: string, files: Record<string, string | null>): void {
  const index = join(repo, '.git', `idx-views-${process.pid}`)
  const env = { GIT_INDEX_FILE: index }
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  git(repo, ['read-tree', parent], { env })
  for (const [path, text] of Object.entries(files)) {
    if (text === null) git(repo, ['update-index', '--force-remove', path], { env })
    else git(repo, ['update-index', '--add', '--cacheinfo', `100644,${blob(repo, text)},${path}`], { env })
  }
  const tree = git(repo, ['write-tree'], { env })
  git(repo, [
    'update-ref',
    `refs/heads/${branch}`,
    git(repo, ['commit-tree', tree, '-p', parent, '-m', 'files']),
  ])
  rmSync(index, { force: true })
}

type Row = (string | number | null | undefined)[]
/** status: exit code and each drift finding as [environment, code, file, item, line]; compared with the baseline when set. */
async function status(repo: string): Promise<{ code: number; rows: Row[] }> {
  const json = await cli(repo, ['status', '--format', 'json'])
  const text = await cli(repo, ['status'])
  if (BASELINE && existsSync(BASELINE)) {
    for (const [run, args] of [
      [json, ['--format', 'json']],
      [text, []],
    ] as const) {
      const old = (() => {
        try {
          return {
            stdout: execFileSync(
              'node',
              ['--import', 'tsx', join(BASELINE, 'src/cli/index.ts'), 'status', '--repo', repo, ...args],
              { cwd: BASELINE, stdio: ['ignore', 'pipe', 'pipe'] },
            ).toString(),
            code: 0,
          }
        } catch (error) {
          const e = error as { stdout?: Buffer; status?: number }
          return { stdout: String(e.stdout ?? ''), code: e.status ?? -1 }
        }
      })()
      expect({ code: run.code, stdout: run.stdout }).toEqual(old)
    }
  }
  const drift = (
    JSON.parse(json.stdout) as {
      drift: { environment?: string; code: string; file?: string; item?: string; line?: number }[]
    }
  ).drift
  return { code: json.code, rows: drift.map((d) => [d.environment, d.code, d.file, d.item, d.line ?? null]) }
}

const TASK = 'kind: task\nname: x\nspec:\n  command: x.sh\n'
const pinned = process.env.PRINT_ROWS === undefined
const check = (got: { code: number; rows: Row[] }, want: { code: number; rows: Row[] }): void => {
  if (!pinned) console.log(JSON.stringify(got))
  else expect(got).toEqual(want)
}

test('odd names and modes in a kind folder: spaces, tab, newline, UTF-8, invalid bytes, prefixes, .yml, long, link, submodule, folder', async () => {
  const repo = scenario()
  const db = git(repo, ['rev-parse', 'env/dev:definitions/conn/db.yaml'])
  const main = git(repo, ['rev-parse', 'main'])
  const conn = git(repo, ['rev-parse', 'env/dev:definitions/conn'])
  const e: Entry[] = entriesOf(repo, conn).filter(([, n]) => n !== 'db.yaml')
  e.push(
    ['100755', 'db.yaml', db],
    ['100644', 'd b.yaml', db],
    ['100644', 'db\t.yaml', db],
    ['100644', 'db\n.yaml', db],
    ['100644', 'dé.yaml', db],
    ['100644', 'db.yml', db],
    ['100644', 'db.yaml.yaml', db],
    ['100644', 'd.yaml', db],
    ['100644', `${'x'.repeat(300)}.yaml`, db],
    ['120000', 'ln.yaml', blob(repo, 'db.yaml')],
    ['160000', 'sub.yaml', main],
    ['40000', 'tr.yaml', conn],
    ['100644', Buffer.from([0x64, 0xff, 0xfe, 0x2e, 0x79, 0x61, 0x6d, 0x6c]), db],
    ['100644', 'x missing', db],
    ['100644', 'y ambiguous.yaml', db],
  )
  setKindFolder(repo, 'env/dev', 'conn', rawTree(repo, e))
  // qa: conn/db is a link holding the item's bytes (read as the blob it is); prod: a submodule.
  setKindFolder(
    repo,
    'env/qa',
    'conn',
    rawTree(
      repo,
      entriesOf(repo, 'env/qa:definitions/conn').map(([m, n, id]): Entry =>
        n === 'db.yaml' ? ['120000', n, id] : [m, n, id],
      ),
    ),
  )
  setKindFolder(
    repo,
    'env/prod',
    'conn',
    rawTree(
      repo,
      entriesOf(repo, 'env/prod:definitions/conn').map(([m, n, id]): Entry =>
        n === 'db.yaml' ? ['160000', n, main] : [m, n, id],
      ),
    ),
  )
  check(await status(repo), {
    code: 0,
    rows: [
      ['dev', 'unowned-item', 'definitions/conn/db.yaml.yaml', 'conn/db.yaml', null],
      ['dev', 'unowned-item', 'definitions/conn/d.yaml', 'conn/d', null],
      ['dev', 'unowned-item', 'definitions/conn/ln.yaml', 'conn/ln', null],
      ['dev', 'unowned-item', 'definitions/conn/sub.yaml', 'conn/sub', null],
      ['prod', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
    ],
  })
})

test('one item per environment: another blob on qa, at another path on prod, a folder on dev', async () => {
  const repo = scenario()
  const db = git(repo, ['cat-file', 'blob', 'env/dev:definitions/conn/db.yaml'])
  commitFiles(repo, 'env/qa', { 'definitions/conn/db.yaml': 'kind: conn\nname: db\nspec:\n  host: qa\n' })
  commitFiles(repo, 'env/prod', { 'definitions/conn/db.yaml': null, 'definitions/conn/db-copy.yaml': db })
  commitFiles(repo, 'env/dev', {
    'definitions/conn/db.yaml': null,
    'definitions/conn/db.yaml/inner.yaml': TASK,
  })
  check(await status(repo), {
    code: 1,
    rows: [
      ['dev', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
      ['dev', 'unresolved-in-environment', 'definitions/task/extract.yaml', 'task/extract', 5],
      ['qa', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
      ['prod', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
      ['prod', 'unresolved-in-environment', 'definitions/task/extract.yaml', 'task/extract', 5],
      ['prod', 'unowned-item', 'definitions/conn/db-copy.yaml', 'conn/db-copy', null],
    ],
  })
})

test('blobs that read like cat-file answers, references by odd names, ledgers naming absent items, no prod branch', async () => {
  const repo = scenario()
  const db = git(repo, ['rev-parse', 'env/dev:definitions/conn/db.yaml'])
  const extract = git(repo, ['cat-file', 'blob', 'env/dev:definitions/task/extract.yaml'])
  commitFiles(repo, 'env/dev', {
    'definitions/conn/db.yaml': `${db} blob 40\n`,
    'definitions/cal/holidays.yaml': `${db} missing\n`,
  })
  commitFiles(repo, 'env/qa', {
    'definitions/conn/db.yaml': `${db} blob 12\nkind: conn missing\n`,
    'definitions/task/extract.yaml': extract.replace('conn: db', 'conn: "db.yaml"'),
    'definitions/conn/db.yaml.yaml': 'x',
  })
  commitFiles(repo, 'env/prod', {
    'definitions/task/extract.yaml': extract.replace('conn: db', 'conn: "db "'),
    'definitions/conn/db .yaml': 'x',
  })
  for (const env of ['dev', 'qa']) {
    const ledger = git(repo, ['cat-file', 'blob', `env/${env}:.gantry/installed/app.yaml`])
    commitFiles(repo, `env/${env}`, {
      '.gantry/installed/app.yaml': ledger.replace(
        /items:\n/,
        `items:\n  ${env === 'dev' ? 'conn' : 'task'}/ghost: sha256:${'a'.repeat(64)}\n`,
      ),
    })
  }
  const prod = await status(repo)
  check(prod, {
    code: 1,
    rows: [
      ['dev', 'local-customization', 'definitions/cal/holidays.yaml', 'cal/holidays', null],
      ['dev', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
      ['dev', 'local-customization', 'definitions/conn/ghost.yaml', 'conn/ghost', null],
      ['qa', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
      ['qa', 'local-customization', 'definitions/task/extract.yaml', 'task/extract', null],
      ['qa', 'local-customization', 'definitions/task/ghost.yaml', 'task/ghost', null],
      ['qa', 'unowned-item', 'definitions/conn/db.yaml.yaml', 'conn/db.yaml', null],
      ['prod', 'local-customization', 'definitions/task/extract.yaml', 'task/extract', null],
      ['prod', 'unresolved-in-environment', 'definitions/task/extract.yaml', 'task/extract', 5],
    ],
  })
  // Without prod: its findings go, the others stay.
  git(repo, ['update-ref', '-d', 'refs/heads/env/prod'])
  const without = await status(repo)
  expect(without.rows).toEqual(prod.rows.filter((r) => r[0] !== 'prod'))
})

test('a kind folder that stops being a tree after entries shared with a well-formed branch', async () => {
  const repo = scenario()
  const db = git(repo, ['rev-parse', 'env/dev:definitions/conn/db.yaml'])
  const extract = git(repo, ['rev-parse', 'env/dev:definitions/task/extract.yaml'])
  const task = blob(repo, TASK)
  // dev: the task folder's third entry is cut short; qa: cal's second entry names a path with a slash;
  // prod: conn's mode is no octal number. The folders before them are those of well-formed branches.
  const cut = Buffer.concat([
    entryBytes(['100644', 'aa.yaml', task]),
    entryBytes(['100644', 'extract.yaml', extract]),
    Buffer.from('100644 zz.yaml\0abc'),
  ])
  setKindFolder(repo, 'env/dev', 'task', treeOf(repo, cut))
  setKindFolder(
    repo,
    'env/qa',
    'cal',
    rawTree(repo, [
      ['100644', 'aa.yaml', db],
      ['100644', 'c/d.yaml', db],
    ]),
  )
  setKindFolder(repo, 'env/prod', 'conn', rawTree(repo, [['10064x', 'db.yaml', db]]))
  check(await status(repo), {
    code: 0,
    rows: [
      ['dev', 'local-customization', 'definitions/cal/holidays.yaml', 'cal/holidays', null],
      ['dev', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
      ['dev', 'local-customization', 'definitions/cred/db.yaml', 'cred/db', null],
      ['dev', 'local-customization', 'definitions/cred/db-qa.yaml', 'cred/db-qa', null],
      ['dev', 'local-customization', 'definitions/task/extract.yaml', 'task/extract', null],
      ['qa', 'local-customization', 'definitions/cal/holidays.yaml', 'cal/holidays', null],
      ['qa', 'unowned-item', 'definitions/cal/aa.yaml', 'cal/aa', null],
      ['prod', 'local-customization', 'definitions/cal/holidays.yaml', 'cal/holidays', null],
      ['prod', 'local-customization', 'definitions/conn/db.yaml', 'conn/db', null],
      ['prod', 'local-customization', 'definitions/cred/db.yaml', 'cred/db', null],
      ['prod', 'local-customization', 'definitions/cred/db-qa.yaml', 'cred/db-qa', null],
      ['prod', 'local-customization', 'definitions/task/extract.yaml', 'task/extract', null],
    ],
  })
})
