import { execFileSync } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { editTree } from '../../src/adapters/git/tree-editor.js'
import { git, tempDir } from './helpers.js'

/**
 * The reference: one ls-tree and one mktree per folder on the changed paths, entries kept in a map by name
 * (files first, then folders), a folder left empty dropped. editTree must write the very same trees.
 */
function referenceTree(
  dir: string,
  base: string | undefined,
  writes: ReadonlyMap<string, string | null>,
): string {
  type Change = { parts: string[]; content: string | null }
  const edit = (tree: string | undefined, changes: Change[], root: boolean): string | undefined => {
    const entries = new Map<string, string>()
    if (tree) {
      for (const record of git(dir, ['ls-tree', '-z', tree]).split('\0'))
        if (record) entries.set(record.slice(record.indexOf('\t') + 1), record.slice(0, record.indexOf('\t')))
    }
    const byChild = new Map<string, Change[]>()
    for (const { parts, content } of changes) {
      const [head, ...rest] = parts
      if (rest.length > 0) byChild.set(head!, [...(byChild.get(head!) ?? []), { parts: rest, content }])
      else if (content === null) entries.delete(head!)
      else entries.set(head!, `100644 blob ${git(dir, ['hash-object', '-w', '--stdin'], { input: content })}`)
    }
    for (const [name, list] of byChild) {
      const [, type, id] = (entries.get(name) ?? '').split(' ')
      const sub = edit(type === 'tree' ? id : undefined, list, false)
      if (sub === undefined) entries.delete(name)
      else entries.set(name, `040000 tree ${sub}`)
    }
    if (entries.size === 0 && !root) return undefined
    return git(dir, ['mktree', '-z'], { input: [...entries].map(([name, e]) => `${e}\t${name}\0`).join('') })
  }
  const changes = [...writes].map(([path, content]) => ({ parts: path.split('/'), content }))
  const tree = base ? git(dir, ['rev-parse', '--verify', '--quiet', `${base}^{tree}`], {}) : undefined
  return edit(tree || undefined, changes, true)!
}

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state / 2147483648
  }
}

// Names whose order in git differs from a plain string sort: a folder sorts as if its name ended in "/".
const NAMES = ['a', 'a.b', 'a-b', 'a0', 'a_b', 'ab', 'a b', 'b', 'é', 'z.yaml', 'x', 'x.yaml', 'x-1']

const cleanups: (() => void)[] = []
afterAll(() => cleanups.forEach((cleanup) => cleanup()))

function repository(format: 'sha1' | 'sha256'): string {
  const { dir, cleanup } = tempDir('gantry-tree-')
  cleanups.push(cleanup)
  git(dir, ['init', '-q', `--object-format=${format}`])
  return dir
}

describe('editTree', () => {
  for (const format of ['sha1', 'sha256'] as const) {
    it(`writes the same trees as one ls-tree and one mktree per folder (${format})`, async () => {
      const dir = repository(format)
      const next = random(format === 'sha1' ? 7 : 11)
      const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
      const path = () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(NAMES)).join('/')
      let base: string | undefined
      for (let round = 0; round < 25; round++) {
        const writes = new Map<string, string | null>()
        for (let n = 0; n < 1 + Math.floor(next() * 8); n++)
          writes.set(path(), next() < 0.3 ? null : `content ${Math.floor(next() * 5)}\n`)
        const expected = referenceTree(dir, base, writes)
        const actual = await editTree(new Git(dir), base, writes)
        expect(actual, `round ${round}: ${JSON.stringify([...writes])}`).toBe(expected)
        // The next round edits this one, from a commit or from the tree itself.
        base = round % 2 === 0 ? git(dir, ['commit-tree', actual, '-m', `round ${round}`]) : actual
      }
      expect(git(dir, ['fsck', '--strict', '--no-dangling'])).toBe('')
    })
  }

  it('keeps untouched entries byte for byte: names that are not UTF-8, executable files, links', async () => {
    const dir = repository('sha1')
    const raw = (args: string[], input?: Buffer) => execFileSync('git', ['-C', dir, ...args], { input })
    const blob = git(dir, ['hash-object', '-w', '--stdin'], { input: 'x\n' })
    const folder = git(dir, ['mktree', '-z'], { input: `100644 blob ${blob}\tinner\0` })
    const untouched = [
      Buffer.concat([Buffer.from(`100644 blob ${blob}\tlatin-`), Buffer.from([0xe9, 0])]),
      Buffer.from(`100755 blob ${blob}\trun.sh\0`),
      Buffer.from(`120000 blob ${blob}\tlink\0`),
    ]
    const base = raw(
      ['mktree', '-z'],
      Buffer.concat([...untouched, Buffer.from(`040000 tree ${folder}\tkeep\0`)]),
    )
      .toString()
      .trim()
    const actual = await editTree(
      new Git(dir),
      base,
      new Map([
        ['new.yaml', 'n\n'],
        ['keep/more.yaml', 'm\n'],
      ]),
    )
    const listed = raw(['ls-tree', '-z', actual])
    for (const entry of untouched) expect(listed.includes(entry)).toBe(true)
    expect(git(dir, ['ls-tree', '-r', '--name-only', actual]).split('\n')).toEqual([
      'keep/inner',
      'keep/more.yaml',
      '"latin-\\351"',
      'link',
      'new.yaml',
      'run.sh',
    ])
  })

  it('a file replaced by a folder and a folder by a file, removals that empty folders, an empty result', async () => {
    const dir = repository('sha1')
    const git_ = new Git(dir)
    const start = await editTree(
      git_,
      undefined,
      new Map([
        ['x', 'file\n'],
        ['d/e/f', 'deep\n'],
        ['d/g', 'g\n'],
      ]),
    )
    for (const writes of [
      new Map<string, string | null>([['x/y', 'now a folder\n']]),
      new Map<string, string | null>([['d', 'now a file\n']]),
      new Map<string, string | null>([['d/e/f', null]]),
      new Map<string, string | null>([
        ['x', null],
        ['x/y', 'both\n'],
      ]),
      new Map<string, string | null>([
        ['x', null],
        ['d/e/f', null],
        ['d/g', null],
      ]),
      new Map<string, string | null>([['missing/path', null]]),
    ]) {
      expect(await editTree(git_, start, writes)).toBe(referenceTree(dir, start, writes))
    }
    expect(await editTree(git_, 'no-such-object', new Map([['a', 'a\n']]))).toBe(
      referenceTree(dir, undefined, new Map([['a', 'a\n']])),
    )
  })
})
