import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OWNER, PromotionHub, PromotionRepo } from './promotion-harness.js'

// The harness's lookups tell "not there" (undefined) from "the lookup failed" (an error): a test that asserts
// nothing was applied must not pass because git could not be asked.
let hub: PromotionHub
let repo: PromotionRepo
beforeAll(async () => {
  hub = await PromotionHub.start()
  await hub.github.createRepository(OWNER, 'lookups', {
    files: {
      'README.md': 'hello\n',
      'folder/inner.txt': 'inside\n',
      '.gantry/installed/jobs.yaml': 'version: "1"\n',
    },
  })
  repo = new PromotionRepo(hub, 'lookups')
})
afterAll(async () => {
  await hub?.stop()
})

describe('harness lookups', () => {
  it('a file that is there is read whole', async () => {
    expect(await repo.file('main', 'README.md')).toBe('hello\n')
    expect(await repo.file('main', 'folder/inner.txt')).toBe('inside\n')
  })

  it('a missing path or a missing revision is undefined; so is the ledger on a branch that does not exist', async () => {
    expect(await repo.file('main', 'missing.txt')).toBeUndefined()
    expect(await repo.file('main', 'folder/missing.txt')).toBeUndefined()
    expect(await repo.file('env/nowhere', 'README.md')).toBeUndefined()
    expect(await repo.ledger('dev', 'jobs')).toBeUndefined()
  })

  it('a lookup that fails throws: a folder where a file was asked for, a repository that is not there', async () => {
    await expect(repo.file('main', 'folder')).rejects.toThrow()
    const absent = new PromotionRepo(hub, 'no-such-repository')
    await expect(absent.file('main', 'README.md')).rejects.toThrow()
  })
})
