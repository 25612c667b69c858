import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader } from '../../src/adapters/git/object-reader.js'
import { git, tempDir } from '../engine/helpers.js'

// A replace ref (git replace <object> <replacement>, stored as refs/replace/<object>) makes git show the
// replacement wherever the object is read, with every id unchanged: a commit, tree or blob would read one way
// in a clone holding the ref and another way everywhere else. Gantry reads what the ids name: every git it
// starts ignores replace refs (GIT_NO_REPLACE_OBJECTS), for a blob, a tree and a commit, and whichever way it
// reads them (a batch of blobs, a listing, a session).

const temp = tempDir('gantry-attack-replace-')
afterAll(() => temp.cleanup())

function replaced(): { repo: string; blob: string; tree: string; commit: string } {
  const repo = join(temp.dir, `r${Math.random().toString(36).slice(2)}`)
  git(temp.dir, ['init', '-q', '-b', 'main', repo])
  git(repo, ['config', 'user.name', 'T'])
  git(repo, ['config', 'user.email', 't@example.invalid'])
  const blob = git(repo, ['hash-object', '-w', '--stdin'], { input: 'kind: task\nname: a\n' })
  const tree = git(repo, ['mktree'], { input: `100644 blob ${blob}\ta.yaml\n` })
  const commit = git(repo, ['commit-tree', tree, '-m', 'one'])
  git(repo, ['update-ref', 'refs/heads/main', commit])
  // Replacements of the same size, so that nothing but the content tells them apart.
  const other = git(repo, ['hash-object', '-w', '--stdin'], { input: 'kind: task\nname: b\n' })
  git(repo, ['replace', blob, other])
  const otherTree = git(repo, ['mktree'], { input: `100644 blob ${other}\tb.yaml\n` })
  git(repo, ['replace', '-f', tree, otherTree])
  // git itself, as a user runs it, now shows the replacements.
  expect(git(repo, ['cat-file', 'blob', blob])).toBe('kind: task\nname: b')
  expect(git(repo, ['ls-tree', '--name-only', 'main'])).toBe('b.yaml')
  return { repo, blob, tree, commit }
}

test('a batch of blobs, a tree listing and a session read the objects the ids name, not their replacements', async () => {
  const { repo, blob, commit } = replaced()
  const g = new Git(repo)
  expect((await g.readBlobs([blob])).get(blob)?.toString()).toBe('kind: task\nname: a\n')
  expect((await g.listTree(commit)).map((e) => e.path)).toEqual(['a.yaml'])
  const reader = new ObjectReader(g)
  try {
    const [object] = await reader.read([`${commit}:a.yaml`])
    expect(object?.bytes.toString()).toBe('kind: task\nname: a\n')
  } finally {
    await reader.close()
  }
})

test('a replaced commit is read as itself', async () => {
  const { repo, commit, tree } = replaced()
  const another = git(repo, ['commit-tree', tree, '-m', 'two'])
  git(repo, ['replace', commit, another])
  expect(git(repo, ['log', '-1', '--format=%s', 'main'])).toBe('two')
  const g = new Git(repo)
  expect((await g.text(['log', '-1', '--format=%s', 'main'])).trim()).toBe('one')
})
