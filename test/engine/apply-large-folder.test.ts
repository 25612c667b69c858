import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { editTree } from '../../src/adapters/git/tree-editor.js'
import { git, tempDir } from './helpers.js'

// Applying a package writes a few files into folders that may hold tens of thousands of others. The new
// folder is its old tree object with the changes spliced in: the runs of untouched entries are hashed and
// handed to git as slices of the old object, never copied into a new buffer of the folder's size. The
// trees must be those git itself makes from the listing.

const temp = tempDir('gantry-apply-large-')
afterAll(() => temp.cleanup())
afterEach(() => vi.restoreAllMocks())

const FILES = 3000

/** A branch whose definitions/task folder holds FILES files (and a subfolder, to sort folders among files). */
function largeBranch(format: 'sha1' | 'sha256'): { dir: string; head: string } {
  const dir = `${temp.dir}/${format}`
  git(temp.dir, ['init', '-q', `--object-format=${format}`, dir])
  const blob = git(dir, ['hash-object', '-w', '--stdin'], { input: 'kind: task\n' })
  const sub = git(dir, ['mktree'], { input: `100644 blob ${blob}\tinner.yaml\n` })
  const entries = Array.from({ length: FILES }, (_, i) => `100644 blob ${blob}\tenv-task-${String(i).padStart(5, '0')}.yaml`)
  entries.push(`040000 tree ${sub}\tenv-task-01500`)
  const task = git(dir, ['mktree'], { input: `${entries.join('\n')}\n` })
  const definitions = git(dir, ['mktree'], { input: `040000 tree ${task}\ttask\n` })
  const root = git(dir, ['mktree'], { input: `040000 tree ${definitions}\tdefinitions\n` })
  const head = git(dir, ['commit-tree', root, '-m', 'environment'], {
    env: { GIT_AUTHOR_DATE: '@0 +0000', GIT_COMMITTER_DATE: '@0 +0000' },
  })
  return { dir, head }
}

/** The same edit made by git: the folder listed, changed by name, and made again with mktree. */
function byGit(dir: string, head: string, writes: ReadonlyMap<string, string | null>): string {
  const listing = new Map<string, string>()
  for (const record of git(dir, ['ls-tree', '-z', `${head}:definitions/task`]).split('\0'))
    if (record) listing.set(record.slice(record.indexOf('\t') + 1), record.slice(0, record.indexOf('\t')))
  for (const [path, content] of writes) {
    const name = path.slice('definitions/task/'.length)
    if (content === null) listing.delete(name)
    else listing.set(name, `100644 blob ${git(dir, ['hash-object', '-w', '--stdin'], { input: content })}`)
  }
  const task = git(dir, ['mktree', '-z'], { input: [...listing].map(([name, e]) => `${e}\t${name}\0`).join('') })
  const definitions = git(dir, ['mktree'], { input: `040000 tree ${task}\ttask\n` })
  return git(dir, ['mktree'], { input: `040000 tree ${definitions}\tdefinitions\n` })
}

describe('applying into a large folder', () => {
  for (const format of ['sha1', 'sha256'] as const) {
    it(`writes the tree git makes, from slices of the folder's old tree (${format})`, async () => {
      const { dir, head } = largeBranch(format)
      const folderBytes = Number(git(dir, ['cat-file', '-s', `${head}:definitions/task`]))
      const writes = new Map<string, string | null>([
        ['definitions/task/aaa-first.yaml', 'kind: task\nname: aaa-first\n'],
        ['definitions/task/env-task-00007.yaml', 'kind: task\nname: replaced\n'],
        ['definitions/task/env-task-01500.yaml', 'kind: task\nname: beside-the-folder\n'],
        ['definitions/task/env-task-02999.yaml', null],
        ['definitions/task/release-new.yaml', 'kind: task\nname: release-new\n'],
        ['definitions/task/zzz-last.yaml', 'kind: task\nname: zzz-last\n'],
      ])
      const concat = vi.spyOn(Buffer, 'concat')
      const tree = await editTree(new Git(dir), head, writes)
      expect(tree).toBe(byGit(dir, head, writes))
      // No buffer the size of the folder was put together with the new entries in it.
      const made = concat.mock.results.map((r) => r.value as Buffer)
      expect(made.filter((b) => b.length >= folderBytes && b.includes('release-new.yaml'))).toEqual([])
    })
  }
})
