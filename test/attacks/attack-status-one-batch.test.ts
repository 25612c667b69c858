import { createHash } from 'node:crypto'
import { chmodSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest'
import { ObjectReader } from '../../src/adapters/git/object-reader.js'
import { statusCommand } from '../../src/commands/status.js'
import { cli, git, tempDir } from '../engine/helpers.js'
import { type TreeEntry, appliedEverywhere, copies, entriesOf, gitOrder, rawTree } from './status-scenarios.js'

// Status reads the item files that ledgers own, and only lists the others: a file no ledger owns is reported
// as unowned from the listing, its object never read. Everything on an environment branch is hostile input
// (and a new user's branches may hold thousands of hand-made files, or large ones): what no ledger owns must
// cost no reading, and an object there that git cannot give whole must change nothing status reports. The
// other scenarios pin what status finds where one object is a ledger on one branch and an item on another,
// an item is owned on one branch and only listed on another, a kind folder is one status's own reading of
// folders refuses (git lists it), and the objects read number 255, 256 or 257 (the session, or a file).

const temp = tempDir('gantry-attack-status-one-batch-')
afterAll(() => temp.cleanup())
afterEach(() => vi.restoreAllMocks())

let base: string
beforeAll(async () => {
  base = await appliedEverywhere(join(temp.dir, 'base'))
}, 120_000)
const scenario = copies(temp.dir, () => base)

const BRANCHES = ['env/dev', 'env/qa', 'env/prod']
const task = (name: string, extra = ''): string => `kind: task\nname: ${name}\nspec:\n  command: ${name}.sh${extra}\n`
const digest = (text: string | Buffer): string => `sha256:${createHash('sha256').update(text).digest('hex')}`
const blob = (repo: string, text: string): string => git(repo, ['hash-object', '-w', '--stdin'], { input: text })

/** The tree `tree` with the file at `parts` set to `value` ([mode, object id]; null: removed). */
function setIn(repo: string, tree: string | undefined, parts: string[], value: [string, string] | null): string {
  const entries: TreeEntry[] = tree ? entriesOf(repo, tree) : []
  const [first, ...rest] = parts as [string, ...string[]]
  const others = entries.filter(([, name]) => name !== first)
  if (rest.length === 0) {
    if (value) others.push([value[0], first, value[1]])
  } else {
    const folder = entries.find(([mode, name]) => name === first && mode === '040000')
    others.push(['040000', first, setIn(repo, folder?.[2], rest, value)])
  }
  return rawTree(repo, others.sort(gitOrder))
}
/**
 * A commit on `branch` setting each path to a text (a file), an entry, or nothing (null): files through an
 * index of its own, a folder given as a tree object by rewriting the trees above it.
 */
function setFiles(repo: string, branch: string, files: Record<string, string | [string, string] | null>): void {
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  const env = { GIT_INDEX_FILE: join(repo, '.git', 'one-batch-index') }
  rmSync(env.GIT_INDEX_FILE, { force: true })
  git(repo, ['read-tree', parent], { env })
  const lines: string[] = []
  const folders: [string, [string, string]][] = []
  for (const [path, value] of Object.entries(files)) {
    if (Array.isArray(value) && value[0] === '040000') folders.push([path, value])
    else if (value === null) lines.push(`0 ${'0'.repeat(40)}\t${path}\n`)
    else lines.push(typeof value === 'string' ? `100644 ${blob(repo, value)}\t${path}\n` : `${value[0]} ${value[1]}\t${path}\n`)
  }
  git(repo, ['update-index', '--index-info'], { input: lines.join(''), env })
  let tree = git(repo, ['write-tree'], { env })
  for (const [path, value] of folders) tree = setIn(repo, tree, path.split('/'), value)
  git(repo, ['update-ref', `refs/heads/${branch}`, git(repo, ['commit-tree', tree, '-p', parent, '-m', 'by hand'])])
}
/** The ledger of app on `branch` with `items` added to its items. */
function ledgerWith(repo: string, branch: string, items: Record<string, string>): string {
  const [head, rest] = git(repo, ['show', `${branch}:.gantry/installed/app.yaml`]).split('items:\n') as [string, string]
  return `${head}items:\n${Object.entries(items)
    .map(([id, d]) => `  ${id}: ${d}\n`)
    .join('')}${rest}\n`
}

type Row = [string | undefined, string, string | undefined, string | undefined]
async function findings(repo: string): Promise<{ code: number; rows: Row[] }> {
  const run = await cli(repo, ['status', '--format', 'json'])
  const drift = (JSON.parse(run.stdout) as { drift: { environment?: string; code: string; file?: string; item?: string }[] }).drift
  return { code: run.code, rows: drift.map((d): Row => [d.environment, d.code, d.file, d.item]) }
}
const unowned = (env: string, name: string): Row => [env, 'unowned-item', `definitions/task/${name}.yaml`, `task/${name}`]

test('no object of an item no ledger owns is read: each is reported from the listing', async () => {
  const repo = scenario()
  // Hand-made files on every branch, more than a batch the session reads, and one owned item changed.
  const files: Record<string, string> = {}
  for (let i = 0; i < 300; i++) files[`definitions/task/hand${i}.yaml`] = task(`hand${i}`)
  for (const branch of BRANCHES) setFiles(repo, branch, files)
  setFiles(repo, 'env/qa', { 'definitions/task/extract.yaml': task('extract', ' changed') })
  const handObjects = new Set(Object.values(files).map((text) => blob(repo, text)))

  const asked: string[] = []
  const read = ObjectReader.prototype.read
  vi.spyOn(ObjectReader.prototype, 'read').mockImplementation(function (this: ObjectReader, specs) {
    asked.push(...specs)
    return read.call(this, specs)
  })
  const readMany = ObjectReader.prototype.readManyBlobs
  vi.spyOn(ObjectReader.prototype, 'readManyBlobs').mockImplementation(function (this: ObjectReader, specs) {
    asked.push(...specs)
    return readMany.call(this, specs)
  })
  const result = await statusCommand({ repo })
  expect(result.drift.filter((d) => d.code !== 'unowned-item').map((d) => [d.environment, d.code, d.item])).toEqual([
    ['qa', 'local-customization', 'task/extract'],
  ])
  expect(result.drift.filter((d) => d.code === 'unowned-item')).toHaveLength(900)
  expect(asked.filter((spec) => handObjects.has(spec))).toEqual([])
}, 60_000)

test('an item no ledger owns whose object git gives short changes nothing status reports', async () => {
  const repo = scenario()
  // A loose object whose header says 100 bytes and whose data holds 5: `git cat-file --batch` answers the
  // header and the 5 bytes. Nothing reads it unless it is read; read in a batch, it would take the answers after it.
  const id = blob(repo, task('broken'))
  setFiles(repo, 'env/dev', { 'definitions/task/broken.yaml': ['100644', id] })
  const file = join(repo, '.git', 'objects', id.slice(0, 2), id.slice(2))
  chmodSync(file, 0o644)
  writeFileSync(file, deflateSync(Buffer.from('blob 100\0short')))
  expect(await findings(repo)).toEqual({ code: 0, rows: [unowned('dev', 'broken')] })
}, 60_000)

test('one object as a ledger on one branch and an item on others; an item owned on one branch, listed on another', async () => {
  const repo = scenario()
  const ledgerOf = (branch: string) => git(repo, ['rev-parse', `${branch}:.gantry/installed/app.yaml`])
  const devLedger = git(repo, ['show', `env/dev:.gantry/installed/app.yaml`]) + '\n'
  // dev: its own ledger's object as an unowned item; qa: owned with another digest; prod: dev's ledger, owned right.
  setFiles(repo, 'env/dev', { 'definitions/task/ledger.yaml': ['100644', ledgerOf('env/dev')], 'definitions/task/other.yaml': task('other') })
  setFiles(repo, 'env/qa', { 'definitions/task/ledger.yaml': ['100644', ledgerOf('env/qa')] })
  setFiles(repo, 'env/qa', { '.gantry/installed/app.yaml': ledgerWith(repo, 'env/qa', { 'task/ledger': digest('other'), 'task/other': digest(task('other')) }) })
  setFiles(repo, 'env/prod', {
    'definitions/task/ledger.yaml': ['100644', ledgerOf('env/dev')],
    'definitions/task/other.yaml': task('other', ' x'),
  })
  setFiles(repo, 'env/prod', { '.gantry/installed/app.yaml': ledgerWith(repo, 'env/prod', { 'task/ledger': digest(devLedger), 'task/other': digest(task('other')) }) })
  expect(await findings(repo)).toEqual({
    code: 0,
    rows: [
      unowned('dev', 'ledger'),
      unowned('dev', 'other'),
      ['qa', 'local-customization', 'definitions/task/ledger.yaml', 'task/ledger'],
      ['qa', 'local-customization', 'definitions/task/other.yaml', 'task/other'],
      ['prod', 'local-customization', 'definitions/task/other.yaml', 'task/other'],
    ],
  })
}, 60_000)

test('a kind folder the folder views refuse (a name with a slash): its owned items are still read, links as blobs', async () => {
  const repo = scenario()
  const items: Record<string, string> = {}
  const files: Record<string, string | [string, string] | null> = {}
  for (let i = 0; i < 300; i++) {
    files[`definitions/task/o${i}.yaml`] = task(`o${i}`)
    items[`task/o${i}`] = digest(task(`o${i}`))
  }
  files['definitions/task/o7.yaml'] = task('o7', ' changed')
  files['definitions/task/o8.yaml'] = ['120000', blob(repo, 'o9.yaml')]
  files['definitions/task/o9.yaml'] = null
  files['.gantry/installed/app.yaml'] = ledgerWith(repo, 'env/dev', items)
  setFiles(repo, 'env/dev', files)
  const entries: TreeEntry[] = entriesOf(repo, 'env/dev:definitions/task')
  entries.push(['100644', 'x/y.yaml', blob(repo, task('y'))], ['100644', 'u.yaml', blob(repo, task('u'))])
  setFiles(repo, 'env/dev', { 'definitions/task': ['040000', rawTree(repo, entries.sort(gitOrder))] })
  expect(await findings(repo)).toEqual({
    code: 0,
    rows: [
      ['dev', 'local-customization', 'definitions/task/o7.yaml', 'task/o7'],
      ['dev', 'local-customization', 'definitions/task/o8.yaml', 'task/o8'],
      ['dev', 'local-customization', 'definitions/task/o9.yaml', 'task/o9'],
      unowned('dev', 'u'),
    ],
  })
}, 60_000)

test.each([254, 255, 256])('%i owned items of dev besides the fixture (one changed): the same findings whichever way they are read', async (count) => {
  const repo = scenario()
  const items: Record<string, string> = {}
  const files: Record<string, string> = {}
  for (let i = 0; i < count; i++) {
    files[`definitions/task/b${i}.yaml`] = task(`b${i}`)
    items[`task/b${i}`] = digest(task(`b${i}`))
  }
  files['definitions/task/b3.yaml'] = task('b3', ' changed')
  files['.gantry/installed/app.yaml'] = ledgerWith(repo, 'env/dev', items)
  setFiles(repo, 'env/dev', files)
  expect(await findings(repo)).toEqual({ code: 0, rows: [['dev', 'local-customization', 'definitions/task/b3.yaml', 'task/b3']] })
}, 60_000)
