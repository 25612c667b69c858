import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { build, definition, expectExit, makeSourceRepo, packageFile } from './fixture.js'
import { commitFiles, git, tagDigest, tempDir } from './helpers.js'

// A rebuild takes a bundle from the build folder when git shows nothing it is made of changed since its
// tag. Each test here is a case where taking it would be wrong, or where it must give what building again
// gives: the same artifacts, the same bytes.

const temp = tempDir('gantry-rebuild-')
afterAll(() => temp.cleanup())

const out = (repo: string) => join(repo, '.gantry/build')
const files = (repo: string) => Object.fromEntries(readdirSync(out(repo)).sort().map((f) => [f, readFileSync(join(out(repo), f), 'utf8')]))
const summary = (run: Awaited<ReturnType<typeof build>>) => run.json.artifacts.map((a) => [a.package, a.version, a.created])

/** task/a -> task/b -> conn/db -> cred/db; chain declares task/a only and includes what it refers to. */
function chainRepo(name: string): string {
  const repo = join(temp.dir, name)
  makeSourceRepo(repo)
  commitFiles(repo, {
    ...definition('task', 'a', { command: 'a.sh', successors: ['b'] }),
    ...definition('task', 'b', { command: 'b.sh', conn: 'db' }),
    ...packageFile({ name: 'chain', items: ['task/a'], includeReferences: true }),
    ...packageFile({ name: 'chain-on-base', items: ['task/a'], includeReferences: true, dependencies: [{ package: 'base' }] }),
  })
  return repo
}

describe('a rebuild with the earlier bundles in the build folder', () => {
  test('gives the same artifacts and bytes as building them again from nothing', async () => {
    const repo = chainRepo('same')
    expectExit(await build(repo), 0)
    commitFiles(repo, definition('cred', 'tools', { path: 'vault://kv/tools-next' }))
    expectExit(await build(repo), 0)
    const kept = await build(repo)
    expectExit(kept, 0)
    const keptFiles = files(repo)
    rmSync(out(repo), { recursive: true })
    const fresh = await build(repo)
    expect(kept.json).toEqual(fresh.json)
    // The fresh build writes the current versions; the folder kept the older one of tools too.
    expect(Object.keys(keptFiles)).toEqual([...Object.keys(files(repo)), 'tools-1.gantry.json'].sort())
    expect({ ...files(repo), 'tools-1.gantry.json': keptFiles['tools-1.gantry.json'] }).toEqual(keptFiles)
    expect(summary(kept)).toEqual([
      ['app', '1', false],
      ['base', '1', false],
      ['chain', '1', false],
      ['chain-on-base', '1', false],
      ['tools', '1.1', false],
    ])
  })

  test('a definition an including package reaches only through references changed: a new version', async () => {
    const repo = chainRepo('reached')
    expectExit(await build(repo), 0)
    // cred/db is declared by base and reached by chain (task/a -> task/b -> conn/db -> cred/db).
    commitFiles(repo, definition('cred', 'db', { path: 'vault://kv/db-next' }))
    const again = await build(repo)
    expectExit(again, 0)
    expect(summary(again)).toEqual([
      ['app', '1', false],
      ['base', '1.1', true],
      ['chain', '1.1', true],
      // base provides cred/db to chain-on-base: it holds neither, and keeps its version.
      ['chain-on-base', '1', false],
      ['tools', '1', false],
    ])
    expect(again.json.artifacts.find((a) => a.package === 'chain')!.delta.changed).toEqual(['cred/db'])
  })

  test('a dependency that stops providing an item: the including package now holds it, a new version', async () => {
    const repo = chainRepo('provided')
    expectExit(await build(repo), 0)
    // base no longer holds conn/db: chain-on-base includes it (and cred/db is still base's).
    commitFiles(repo, packageFile({ name: 'base', items: ['cred/db', 'cred/db-qa', 'cal/holidays'] }))
    // (app, which needs conn/db from base, is left out.)
    const again = await build(repo, ['base', 'chain-on-base'])
    expectExit(again, 0)
    const onBase = again.json.artifacts.find((a) => a.package === 'chain-on-base')!
    expect([onBase.version, onBase.created, onBase.delta.added]).toEqual(['1.1', true, ['conn/db']])
  })

  test('a bundle file changed by hand is built again and written back as tagged', async () => {
    const repo = chainRepo('edited')
    expectExit(await build(repo), 0)
    const file = join(out(repo), 'tools-1.gantry.json')
    const tagged = readFileSync(file, 'utf8')
    writeFileSync(file, tagged.replace('vault://kv/tools', 'vault://kv/elsewhere'))
    const again = await build(repo)
    expectExit(again, 0)
    expect(readFileSync(file, 'utf8')).toBe(tagged)
    expect(again.json.artifacts.find((a) => a.package === 'tools')!.digest).toBe(tagDigest(repo, 'tools@1'))
  })

  test('the release before a version deleted: its bundle no longer builds to its tag, digest-mismatch as without the file', async () => {
    const repo = chainRepo('previous')
    expectExit(await build(repo), 0)
    commitFiles(repo, definition('cred', 'tools', { path: 'vault://kv/tools-next' }))
    expectExit(await build(repo), 0)
    git(repo, ['tag', '-d', 'tools@1'])
    const withFile = await build(repo, ['tools'])
    expectExit(withFile, 1)
    expect(withFile.json.diagnostics.map((d) => [d.code, d.package])).toEqual([['digest-mismatch', 'tools']])
    rmSync(out(repo), { recursive: true })
    const without = await build(repo, ['tools'])
    expect(without.json).toEqual(withFile.json)
  })

  test('a kind schema changed and no item: the references it finds change, and so the bundles', async () => {
    const repo = chainRepo('kinds')
    expectExit(await build(repo), 0)
    // task.conn no longer names a connection: tasks refer to nothing through it.
    const schema = JSON.parse(readFileSync(join(repo, 'kinds/task.schema.json'), 'utf8')) as { properties: Record<string, unknown> }
    commitFiles(repo, { 'kinds/task.schema.json': `${JSON.stringify({ ...schema, properties: { ...schema.properties, conn: { type: 'string' } } }, null, 2)}\n` })
    const again = await build(repo)
    expectExit(again, 0)
    expect(summary(again)).toEqual([
      ['app', '1.1', true],
      ['base', '1', false],
      // task/b no longer reaches conn/db and cred/db.
      ['chain', '1.1', true],
      ['chain-on-base', '1.1', true],
      ['tools', '1', false],
    ])
  })
})
