import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { cli, git, tempDir } from '../engine/helpers.js'
import { type TreeEntry, appliedEverywhere, copies, entriesOf, gitOrder, rawTree } from './status-scenarios.js'

// Status reads of each environment branch's definitions tree only the definitions folder and the folders of
// kinds: every file it looks at is `<definitions>/<kind>/<name>.yaml`. Folders below a kind folder are hostile
// input it never needs: files named like items at any depth, a folder named like an item file, a folder whose
// object is missing or is no tree, a malformed tree, the same kind folder twice. Each scenario's
// `status --format json` is pinned; with GANTRY_STATUS_BASELINE set to a checkout of an earlier Gantry, the
// scenarios that read the same there are compared with it byte for byte.

const temp = tempDir('gantry-attack-status-depth-12d-')
afterAll(() => temp.cleanup())
const BASELINE = process.env.GANTRY_STATUS_BASELINE

let base: string
let clean: string
beforeAll(async () => {
  base = await appliedEverywhere(join(temp.dir, 'base'))
  clean = (await cli(base, ['status', '--format', 'json'])).stdout
}, 120_000)

const scenario = copies(temp.dir, () => base)

type Entry = TreeEntry

/** Replaces `branch`'s definitions folder by `edit` of its entries, in a new commit on the branch. */
function editDefinitions(repo: string, branch: string, edit: (entries: Entry[]) => Entry[]): void {
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  const definitions = rawTree(repo, edit(entriesOf(repo, `${parent}:definitions`)))
  const root = entriesOf(repo, `${parent}:`).map(([m, n, id]): Entry =>
    n === 'definitions' ? ['40000', n, definitions] : [m, n, id],
  )
  const tree = rawTree(
    repo,
    root.map(([m, n, id]): Entry => [m === '040000' ? '40000' : m, n, id]),
  )
  git(repo, [
    'update-ref',
    `refs/heads/${branch}`,
    git(repo, ['commit-tree', tree, '-p', parent, '-m', 'by hand']),
  ])
}

/** Adds `extra` entries to the kind folder `kind` of `branch` (sorted in git's order). */
function addToKind(repo: string, branch: string, kind: string, extra: Entry[]): void {
  const folder = entriesOf(repo, `refs/heads/${branch}:definitions/${kind}`)
  const tree = rawTree(
    repo,
    [...folder, ...extra].sort(gitOrder).map(([m, n, id]): Entry => [m === '040000' ? '40000' : m, n, id]),
  )
  editDefinitions(repo, branch, (entries) =>
    entries.map(([m, n, id]): Entry => [m === '040000' ? '40000' : m, n, n === kind ? tree : id]),
  )
}

/** A folder (tree) holding `files` (name → content) and `folders` (name → tree id). */
function folder(repo: string, files: Record<string, string>, folders: Record<string, string> = {}): string {
  const entries: Entry[] = [
    ...Object.entries(files).map(([name, content]): Entry => [
      '100644',
      name,
      git(repo, ['hash-object', '-w', '--stdin'], { input: content }),
    ]),
    ...Object.entries(folders).map(([name, id]): Entry => ['40000', name, id]),
  ]
  return rawTree(repo, entries.sort(gitOrder))
}

/** status --format json of this checkout, and of the baseline when one is set and `same` says it reads alike. */
async function status(
  repo: string,
  same = true,
): Promise<{ code: number; stdout: string; drift: [string?, string?, string?][] }> {
  const run = await cli(repo, ['status', '--format', 'json'])
  if (BASELINE && existsSync(BASELINE) && same) {
    let old: { code: number; stdout: string }
    try {
      old = {
        code: 0,
        stdout: execFileSync(
          'node',
          [
            '--import',
            'tsx',
            join(BASELINE, 'src/cli/index.ts'),
            'status',
            '--repo',
            repo,
            '--format',
            'json',
          ],
          { cwd: BASELINE, stdio: ['ignore', 'pipe', 'pipe'] },
        ).toString(),
      }
    } catch (error) {
      const e = error as { stdout?: Buffer; status?: number }
      old = { code: e.status ?? -1, stdout: String(e.stdout ?? '') }
    }
    expect({ code: run.code, stdout: run.stdout }).toEqual(old)
  }
  const json = JSON.parse(run.stdout) as { drift: { environment?: string; code: string; item?: string }[] }
  return { code: run.code, stdout: run.stdout, drift: json.drift.map((d) => [d.environment, d.code, d.item]) }
}

/** The output of `clean` with the heads of the branches of `repo`. */
function cleanWithHeads(repo: string): string {
  let out = clean
  for (const branch of ['env/dev', 'env/qa', 'env/prod'])
    out = out.replace(
      git(base, ['rev-parse', `refs/heads/${branch}`]),
      git(repo, ['rev-parse', `refs/heads/${branch}`]),
    )
  return out
}

test('files named like items below a kind folder, at any depth, and a folder named like an item file: none is an item', async () => {
  const repo = scenario()
  const item = 'kind: conn\nname: db\nspec: {}\n'
  const deep = folder(
    repo,
    { 'db.yaml': item, 'ghost.yaml': item },
    { conn: folder(repo, { 'ghost.yaml': item }) },
  )
  addToKind(repo, 'env/dev', 'conn', [
    ['40000', 'sub', deep],
    ['40000', 'ghost.yaml', folder(repo, { 'db.yaml': item })],
  ])
  addToKind(repo, 'env/qa', 'task', [['40000', 'conn', deep]])
  const run = await status(repo)
  expect(run.drift).toEqual([])
  expect(run.stdout).toBe(cleanWithHeads(repo))
})

test('an installed item replaced by a folder of its file name: deleted, and its referrers unresolved', async () => {
  const repo = scenario()
  const db = git(repo, ['rev-parse', 'refs/heads/env/dev:definitions/conn/db.yaml'])
  const conn = entriesOf(repo, 'refs/heads/env/dev:definitions/conn').filter(([, n]) => n !== 'db.yaml')
  const replaced = rawTree(
    repo,
    [...conn, ['40000', 'db.yaml', folder(repo, { 'db.yaml': 'x' })] as Entry]
      .sort(gitOrder)
      .map(([m, n, id]): Entry => [m === '040000' ? '40000' : m, n, id]),
  )
  editDefinitions(repo, 'env/dev', (e) =>
    e.map(([m, n, id]): Entry => [m === '040000' ? '40000' : m, n, n === 'conn' ? replaced : id]),
  )
  expect(db).toMatch(/^[0-9a-f]{40}$/)
  const run = await status(repo)
  expect(run.drift).toEqual([
    ['dev', 'local-customization', 'conn/db'],
    ['dev', 'unresolved-in-environment', 'task/extract'],
  ])
})

test('the same kind folder twice, the second holding deeper folders: both listed, nothing deeper read', async () => {
  const repo = scenario()
  const conn = git(repo, ['rev-parse', 'refs/heads/env/dev:definitions/conn'])
  const item = 'kind: conn\nname: db\nspec: {}\n'
  const deeper = rawTree(
    repo,
    [
      ...entriesOf(repo, 'refs/heads/env/dev:definitions/conn'),
      ['40000', 'sub', folder(repo, { 'other.yaml': item })] as Entry,
      ['100644', 'extra.yaml', git(repo, ['hash-object', '-w', '--stdin'], { input: item })] as Entry,
    ]
      .sort(gitOrder)
      .map(([m, n, id]): Entry => [m === '040000' ? '40000' : m, n, id]),
  )
  editDefinitions(repo, 'env/dev', (e) => {
    const out: Entry[] = []
    for (const [m, n, id] of e) {
      out.push([m === '040000' ? '40000' : m, n, id])
      if (n === 'conn') out.push(['40000', n, deeper])
    }
    return out
  })
  expect(conn).toMatch(/^[0-9a-f]{40}$/)
  const run = await status(repo)
  // The second copy's own file is an item file; what is below it is not.
  expect(run.drift).toEqual([['dev', 'unowned-item', 'conn/extra']])
})

// Below a kind folder, a folder whose object is missing, or that names a blob, or that is malformed: an earlier
// status fell back to `git ls-tree -r`, which fails there: it stopped with git's error (missing, a blob) or read
// the branch as empty, every installed item "deleted" (malformed, git exiting 128). Status reads two levels now
// and says what it says of the branch without that folder; these differ from the earlier output by design.
for (const [what, make] of [
  ['whose object is missing', (_repo: string): string => '1234567890123456789012345678901234567890'],
  [
    'that names a blob',
    (repo: string): string => git(repo, ['hash-object', '-w', '--stdin'], { input: 'a blob\n' }),
  ],
  [
    'that is a malformed tree',
    (repo: string): string =>
      execFileSync('git', ['-C', repo, 'hash-object', '-w', '--literally', '-t', 'tree', '--stdin'], {
        input: Buffer.from('100644 \0'),
      })
        .toString()
        .trim(),
  ],
] as const) {
  test(`a folder below a kind folder ${what}: status reads the branch as it is without it`, async () => {
    const repo = scenario()
    addToKind(repo, 'env/dev', 'conn', [['40000', 'sub', make(repo)]])
    const run = await status(repo, false)
    expect(run.code).toBe(0)
    expect(run.drift).toEqual([])
    expect(run.stdout).toBe(cleanWithHeads(repo))
  })
}

/** The entries of `kind` on `branch` with the first one's mode written with a leading zero (`0100644`). */
function zeroMode(repo: string, branch: string, kind: string): void {
  const entries = entriesOf(repo, `refs/heads/${branch}:definitions/${kind}`).map(([m, n, id]): Entry => [
    m === '040000' ? '40000' : m,
    n,
    id,
  ])
  entries[0]![0] = `0${entries[0]![0]}`
  const tree = rawTree(repo, entries)
  editDefinitions(repo, branch, (e) =>
    e.map(([m, n, id]): Entry => [m === '040000' ? '40000' : m, n, n === kind ? tree : id]),
  )
}

test('a kind folder with a mode written with a leading zero (git reads it): its files are read as any other', async () => {
  const repo = scenario()
  zeroMode(repo, 'env/dev', 'cred')
  expect(git(repo, ['ls-tree', 'refs/heads/env/dev:definitions/cred'])).toContain('100644 blob')
  const run = await status(repo)
  expect(run.drift).toEqual([])
  expect(run.stdout).toBe(cleanWithHeads(repo))
})

// The listing status falls back to when a folder of the first two levels cannot be read as one (here a mode with
// a leading zero, which git reads) lists those two levels too (`git ls-tree` of `<definitions>/` and of each
// `<definitions>/<kind>/`, not recursive): a folder below the kind folders is never walked, so one git cannot
// read does not stop status, and a folder naming one folder twice on each of 40 levels cannot run it out of
// memory. A recursive fallback (`git ls-tree -r`) exits 2 here.
test(
  'a folder status cannot read beside a missing folder below another kind folder: the fallback listing reads two levels',
  async () => {
    const repo = scenario()
    zeroMode(repo, 'env/dev', 'cred')
    addToKind(repo, 'env/dev', 'conn', [['40000', 'sub', '1234567890123456789012345678901234567890']])
    const run = await cli(repo, ['status', '--format', 'json'])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(cleanWithHeads(repo))
  },
)
