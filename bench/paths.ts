import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const PROJECT_DIR = resolve(BENCH_DIR, '..')
/** Generated data: git-ignored. */
export const DATA_DIR = join(PROJECT_DIR, '.bench', 'data')
export const CLI = join(PROJECT_DIR, 'dist', 'cli', 'index.js')
export const FLOOR_PARSE = join(BENCH_DIR, 'floor-parse.mjs')
export const FLOOR_PARSE_JS_YAML = join(BENCH_DIR, 'floor-parse-js-yaml.mjs')
export const FLOOR_APPLY = join(BENCH_DIR, 'floor-apply.mjs')
export const FLOOR_WRITE = join(BENCH_DIR, 'floor-write.mjs')
export const FLOOR_BUILD = join(BENCH_DIR, 'floor-build.mjs')

/** Changes whenever the generator does: a cached repository is reused only when this and its options match. */
export function generatorKey(options: object): string {
  const hash = createHash('sha256')
  for (const file of ['generate-repository.ts', 'kinds.ts', 'random.ts'])
    hash.update(readFileSync(join(BENCH_DIR, file)))
  hash.update(JSON.stringify(options))
  return hash.digest('hex').slice(0, 16)
}
