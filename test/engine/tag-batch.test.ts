import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { git, tempDir } from './helpers.js'

const temp = tempDir('gantry-tags-')
afterAll(() => temp.cleanup())

test('tags are created in one batch; one that exists is left alone and the others are still created', async () => {
  const dir = join(temp.dir, 'repo')
  git(temp.dir, ['init', '-q', dir])
  git(dir, ['commit', '-q', '--allow-empty', '-m', 'first'])
  const head = git(dir, ['rev-parse', 'HEAD']).trim()
  git(dir, ['tag', '-a', 'b@1', '-m', 'made by hand'])
  const repo = new Git(dir)
  const identity = { name: 'Gantry', email: 'gantry@users.noreply.local', date: '@1767225600 +0000' }
  const notes = 'a@1\n\ndigest: x\n\n# Heading kept\n'
  const created = await repo.createAnnotatedTags(
    [
      { name: 'a@1', commit: head, message: notes },
      { name: 'b@1', commit: head, message: 'b@1 again' },
      { name: 'c@1', commit: head, message: 'c@1' },
    ],
    identity,
  )
  expect(created).toEqual([true, false, true])
  const refs = git(dir, ['for-each-ref', 'refs/tags', '--format=%(refname:short) %(objecttype) %(*objectname) %(taggername) %(taggerdate:raw)'])
  expect(refs.trim().split('\n')).toEqual([
    `a@1 tag ${head} Gantry 1767225600 +0000`,
    expect.stringMatching(new RegExp(`^b@1 tag ${head} `)),
    `c@1 tag ${head} Gantry 1767225600 +0000`,
  ])
  expect(git(dir, ['cat-file', '-p', 'a@1'])).toContain(`+0000\n\n${notes.trimEnd()}`)
  expect(git(dir, ['tag', '-l', '--format=%(contents:subject)', 'b@1']).trim()).toBe('made by hand')
  expect(await repo.createAnnotatedTags([], identity)).toEqual([])
})
