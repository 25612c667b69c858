import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { definition, makeSourceRepo } from './fixture.js'
import { commitFiles, tempDir } from './helpers.js'

// The delta of a new version compares the digests of its items with those of the release before it, read
// at that release's commit. An item whose file is the same at both commits is the same definition as at
// HEAD, whose digest the build has just made for the new bundle: it is taken, not serialized and hashed
// again. Only what differs is made from the earlier commit; the deltas are the same.

/** The names of the documents put in canonical form (once per serialization of an item), in order. */
const canonical: string[] = []

vi.mock('../../src/core/bundle/canonical-json.js', async (original) => {
  const module = await original<typeof import('../../src/core/bundle/canonical-json.js')>()
  return {
    ...module,
    canonicalDocument: <T>(value: T): T => {
      canonical.push(String((value as { name?: unknown }).name))
      return module.canonicalDocument(value)
    },
  }
})

const temp = tempDir('gantry-build-previous-')
afterAll(() => temp.cleanup())

describe('the items of the release before a new version', () => {
  test('unchanged since, are not serialized again for the delta, and the delta is the same', async () => {
    const repo = join(temp.dir, 'repo')
    makeSourceRepo(repo)
    const first = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(first.diagnostics).toEqual([])
    // base holds cred/db, cred/db-qa, conn/db and cal/holidays: only conn/db changes.
    commitFiles(repo, definition('conn', 'db', { host: 'db.dev.example.com', port: 5433, credential: 'db' }))
    rmSync(join(repo, '.gantry/build'), { recursive: true })
    canonical.length = 0
    const result = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(result.diagnostics).toEqual([])
    const base = result.artifacts.find((a) => a.package === 'base')!
    expect({ version: base.version, created: base.created }).toEqual({ version: '1.1', created: true })
    expect(base.delta).toEqual({ previous: '1', added: [], changed: ['conn/db'], removed: [] })
    const bundle = JSON.parse(readFileSync(join(repo, '.gantry/build', 'base-1.1.gantry.json'), 'utf8')) as { delta: unknown }
    expect(bundle.delta).toEqual(base.delta)
    // Each unchanged item of base once (its bundle at HEAD); of the two named db, cred/db once and conn/db
    // twice (at HEAD, and at the release for the delta).
    const count = (name: string) => canonical.filter((n) => n === name).length
    expect(['db-qa', 'holidays', 'db'].map(count)).toEqual([1, 1, 3])
  })
})
