import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { parse, stringify } from 'yaml'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, commitToBranch, git, show, tempDir } from './helpers.js'

// Status reads what several environments share once: a definitions tree by its object id (its listing,
// which references name no file of it), an item object by its id (its digest, its references). Each
// environment's findings still follow its own ledgers and its own tree.

const temp = tempDir('gantry-status-shared-')
afterAll(() => temp.cleanup())

interface StatusJson {
  ok: boolean
  drift: { severity: string; code: string; item?: string; environment?: string; file?: string; line?: number; column?: number; message: string }[]
}

const drift = async (repo: string) =>
  (await cliJson<StatusJson>(repo, ['status'])).json.drift.map((d) => [d.environment, d.code, d.item, ...(d.line ? [d.line, d.column] : [])])
const tree = (repo: string, branch: string) => git(repo, ['rev-parse', `${branch}:definitions`])

let repo: string
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const env of ['dev', 'qa']) expectExit(await apply(repo, 'tools', env), 0)
})

test('the same tree on two environments, a ledger edited on one: the digest it records is drift there only', async () => {
  expect(tree(repo, 'env/dev')).toBe(tree(repo, 'env/qa'))
  expect(await drift(repo)).toEqual([])
  // The item is as applied; qa's ledger says otherwise (a hand edit of the ledger, or an item changed and its
  // ledger "fixed" by hand to another digest).
  const ledger = parse(show(repo, 'env/qa', '.gantry/installed/tools.yaml')!) as { items: Record<string, string> }
  ledger.items['cred/tools'] = `sha256:${'1'.repeat(64)}`
  commitToBranch(repo, 'env/qa', { '.gantry/installed/tools.yaml': stringify(ledger) })
  expect(tree(repo, 'env/dev')).toBe(tree(repo, 'env/qa'))
  expect(await drift(repo)).toEqual([['qa', 'local-customization', 'cred/tools']])
})

test('an item changed by hand whose ledger digest was not updated: drift on that environment only', async () => {
  commitToBranch(repo, 'env/dev', { 'definitions/cred/tools.yaml': 'kind: cred\nname: tools\nspec:\n  path: vault://kv/by-hand\n' })
  expect(await drift(repo)).toEqual([
    ['dev', 'local-customization', 'cred/tools'],
    ['qa', 'local-customization', 'cred/tools'],
  ])
})

test('one item object on two trees: its reference resolves on one and not on the other', async () => {
  const other = join(temp.dir, 'refs')
  makeSourceRepo(other)
  expectExit(await build(other), 0)
  for (const env of ['dev', 'qa']) for (const pkg of ['base', 'app']) expectExit(await apply(other, pkg, env), 0)
  // The same task object on both branches; its connection deleted by hand on dev only (dev is read first).
  expect(git(other, ['rev-parse', 'env/dev:definitions/task/extract.yaml'])).toBe(git(other, ['rev-parse', 'env/qa:definitions/task/extract.yaml']))
  commitToBranch(other, 'env/dev', { 'definitions/conn/db.yaml': null })
  const line = show(other, 'env/dev', 'definitions/task/extract.yaml')!.split('\n').findIndex((l) => l.includes('conn: db')) + 1
  expect(await drift(other)).toEqual([
    ['dev', 'local-customization', 'conn/db'],
    ['dev', 'unresolved-in-environment', 'task/extract', line, 9],
  ])
  // And the other way round: a reference that only qa cannot resolve.
  commitToBranch(other, 'env/dev', { 'definitions/conn/db.yaml': show(other, 'env/qa', 'definitions/conn/db.yaml')! })
  commitToBranch(other, 'env/qa', { 'definitions/conn/db.yaml': null })
  expect((await drift(other)).filter((d) => d[1] === 'unresolved-in-environment')).toEqual([['qa', 'unresolved-in-environment', 'task/extract', line, 9]])
})

test('references in items changed by hand (an escape, a comment, a flow sequence) are found, with their positions', async () => {
  const other = join(temp.dir, 'parsed')
  makeSourceRepo(other)
  expectExit(await build(other), 0)
  for (const pkg of ['base', 'app', 'tools']) expectExit(await apply(other, pkg, 'dev'), 0)
  commitToBranch(other, 'env/dev', {
    // An escape and a comment.
    'definitions/task/extract.yaml': 'kind: task\nname: extract\nspec:\n  command: extract.sh # nightly\n  conn: "no\\x74here"\n',
    // A flow sequence naming one item that is there and one that is not.
    'definitions/task/cleanup.yaml': 'kind: task\nname: cleanup\nspec:\n  command: cleanup.sh\n  successors: [extract, gone]\n',
  })
  expect(await drift(other)).toEqual([
    ['dev', 'local-customization', 'task/cleanup'],
    ['dev', 'local-customization', 'task/extract'],
    ['dev', 'unresolved-in-environment', 'task/cleanup', 5, 25],
    ['dev', 'unresolved-in-environment', 'task/extract', 5, 9],
  ])
})
