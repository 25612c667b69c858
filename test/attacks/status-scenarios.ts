import { execFileSync } from 'node:child_process'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { apply, build, expectExit, makeSourceRepo } from '../engine/fixture.js'

/** The source repository of test/engine/fixture.ts at `dir`, built, with base and app applied to dev, qa and prod. */
export async function appliedEverywhere(dir: string): Promise<string> {
  makeSourceRepo(dir)
  expectExit(await build(dir), 0)
  for (const env of ['dev', 'qa', 'prod']) for (const pkg of ['base', 'app']) expectExit(await apply(dir, pkg, env), 0)
  return dir
}

/** A new copy of `base()` in `parent` on each call: one repository per scenario, each rewritten as it needs. */
export function copies(parent: string, base: () => string): () => string {
  let count = 0
  return () => {
    const dir = join(parent, `s${++count}`)
    cpSync(base(), dir, { recursive: true })
    return dir
  }
}

/** A tree entry as `git ls-tree` lists it: mode, name (bytes, for a name that is no text), object id. */
export type TreeEntry = [mode: string, name: string | Buffer, id: string]

/** The bytes of one tree entry: mode, a space, the name, NUL, the object id's bytes. */
export const entryBytes = ([mode, name, id]: TreeEntry): Buffer =>
  Buffer.concat([Buffer.from(`${mode} `), Buffer.from(name), Buffer.from([0]), Buffer.from(id, 'hex')])

/** A tree object of exactly these bytes: git would not write it. */
export function treeOf(repo: string, bytes: Buffer): string {
  return execFileSync('git', ['-C', repo, 'hash-object', '-w', '--literally', '-t', 'tree', '--stdin'], { input: bytes })
    .toString()
    .trim()
}

/** A tree object of exactly these entries, in this order (duplicates and missing objects kept). */
export const rawTree = (repo: string, entries: readonly TreeEntry[]): string => treeOf(repo, Buffer.concat(entries.map(entryBytes)))

/** The entries of the tree `treeish` (`<rev>:<path>`, or a tree's id), in order. */
export function entriesOf(repo: string, treeish: string): [mode: string, name: string, id: string][] {
  return execFileSync('git', ['-C', repo, 'ls-tree', '-z', treeish])
    .toString()
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, name] = line.split('\t') as [string, string]
      const [mode, , id] = meta.split(' ') as [string, string, string]
      return [mode, name, id]
    })
}

/** git's order of tree entries: a folder sorts as if its name ended with `/`. */
export const gitOrder = (a: TreeEntry, b: TreeEntry): number => {
  const key = (e: TreeEntry) => `${String(e[1])}${e[0] === '040000' || e[0] === '40000' ? '/' : ''}`
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
}
