import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { readReleasedVersions } from '../../src/adapters/git/repository-reader.js'
import { git, tempDir } from './helpers.js'

/*
 * Which tags are releases, and what a release's tag says about it: read from a real repository. Only an
 * annotated tag's own message carries a digest; a tag that does not name a version is no release.
 */

const temp = tempDir('gantry-tags-read-')
afterAll(() => temp.cleanup())

const DIGEST = `sha256:${'a'.repeat(64)}`
const CONTENT = `sha256:${'b'.repeat(64)}`
const MESSAGE = `base@1\n\ndigest: ${DIGEST}\ncontent: ${CONTENT}\n\nFirst release.\n`

let repo: string
let first: string
let second: string
beforeAll(() => {
  repo = join(temp.dir, 'repo')
  git(temp.dir, ['init', '-q', '-b', 'main', repo])
  git(repo, ['commit', '-q', '--allow-empty', '-m', 'first'])
  first = git(repo, ['rev-parse', 'HEAD'])
  // A commit whose message looks like a tag message: anyone can write one.
  git(repo, ['commit', '-q', '--allow-empty', '-m', MESSAGE.replaceAll('base@1', 'base@2')])
  second = git(repo, ['rev-parse', 'HEAD'])
  git(repo, ['tag', '-a', 'base@1', '-m', MESSAGE, first])
  git(repo, ['tag', 'base@2', second])
  for (const tag of ['base@latest', 'base@1.2.3.4', 'base@01', 'v1', '@1']) git(repo, ['tag', tag, first])
})

describe('readReleasedVersions', () => {
  test('an annotated tag: its commit, and the digests and notes of its own message', async () => {
    const versions = await readReleasedVersions(new Git(repo))
    expect(versions.find((v) => v.tag === 'base@1')).toEqual({
      package: 'base',
      version: '1',
      tag: 'base@1',
      commit: first,
      digest: DIGEST,
      contentDigest: CONTENT,
      notes: 'First release.',
    })
  })

  test('a lightweight tag is a version without a digest: the message of its commit is not a tag message', async () => {
    const versions = await readReleasedVersions(new Git(repo))
    expect(versions.find((v) => v.tag === 'base@2')).toEqual({ package: 'base', version: '2', tag: 'base@2', commit: second })
  })

  test('tags that do not name a version of a package are no release', async () => {
    const versions = await readReleasedVersions(new Git(repo))
    expect(versions.map((v) => v.tag).sort()).toEqual(['base@1', 'base@2'])
  })
})
