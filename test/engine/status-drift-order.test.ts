import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { stringify } from 'yaml'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, commitToBranch, tempDir } from './helpers.js'

// Status lists an environment's findings by kind of finding (changed or deleted items, then references that
// do not resolve, then unowned items), each in the order of the item ids, whatever the order of the ledgers
// and of the items in them; the references of one item in the order they are written.

const temp = tempDir('gantry-status-order-')
afterAll(() => temp.cleanup())

interface StatusJson {
  drift: { code: string; item?: string; environment?: string; message: string }[]
}

const item = (kind: string, name: string, spec: Record<string, unknown>) => ({ [`definitions/${kind}/${name}.yaml`]: stringify({ kind, name, spec }) })

test('findings in the order of their item ids, not of the ledgers that own the items', async () => {
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const pkg of ['base', 'app', 'tools']) expectExit(await apply(repo, pkg, 'dev'), 0)
  // The ledgers are read app, base, tools: task/extract (app) comes before cal/holidays (base) and cred/tools
  // and task/cleanup (tools) there.
  commitToBranch(repo, 'env/dev', {
    ...item('task', 'extract', { command: 'extract.sh', conn: 'gone' }),
    ...item('cal', 'holidays', { days: ['2026-12-24'] }),
    ...item('cred', 'tools', { path: 'vault://kv/by-hand' }),
    ...item('task', 'cleanup', { command: 'cleanup.sh', successors: ['zz-gone', 'extract', 'aa-gone'] }),
    ...item('task', 'by-hand', { command: 'by-hand.sh' }),
    ...item('cal', 'by-hand', { days: [] }),
  })
  const { json } = await cliJson<StatusJson>(repo, ['status'])
  expect(json.drift.map((d) => [d.environment, d.code, d.item])).toEqual([
    ['dev', 'local-customization', 'cal/holidays'],
    ['dev', 'local-customization', 'cred/tools'],
    ['dev', 'local-customization', 'task/cleanup'],
    ['dev', 'local-customization', 'task/extract'],
    ['dev', 'unresolved-in-environment', 'task/cleanup'],
    ['dev', 'unresolved-in-environment', 'task/cleanup'],
    ['dev', 'unresolved-in-environment', 'task/extract'],
    // Unowned items in the order of the branch's listing.
    ['dev', 'unowned-item', 'cal/by-hand'],
    ['dev', 'unowned-item', 'task/by-hand'],
  ])
  // The two references of task/cleanup that name no item on the branch, as written.
  expect(json.drift.filter((d) => d.code === 'unresolved-in-environment').map((d) => /refers to (\S+),/.exec(d.message)?.[1])).toEqual([
    'task/zz-gone',
    'task/aa-gone',
    'conn/gone',
  ])
})
