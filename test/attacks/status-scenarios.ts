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
