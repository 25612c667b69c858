/**
 * Whole-repository validation against its floor: `gantry validate --format json` on a generated repository
 * vs. a bare script that only reads and YAML-parses the same files, each its own process, alternated.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type GenerateOptions, generateRepository, writeRepository } from './generate-repository.js'
import { type Run, type Summary, expectExit, runNode, summarize } from './measure.js'
import { CLI, DATA_DIR, FLOOR_PARSE, generatorKey } from './paths.js'

export interface ValidateBenchOptions {
  repository: GenerateOptions
  runs: number
  log: (line: string) => void
}

export interface ValidateBenchResult {
  repository: GenerateOptions & { files: number; bytes: number; references: number }
  gantry: Summary
  floor: Summary
  /** Best gantry wall time over best floor wall time. */
  ratio: number
  cpuRatio: number
}

/** Generates (or reuses) the repository for `options`, committed in git. */
export function prepareRepository(
  options: GenerateOptions,
  log: (line: string) => void,
): { dir: string; files: number; bytes: number; references: number } {
  const key = generatorKey(options)
  const dir = join(DATA_DIR, `validate-${options.definitions}-${options.packages}-${options.references}`)
  const keyFile = `${dir}.key`
  if (existsSync(keyFile)) {
    const cached = JSON.parse(readFileSync(keyFile, 'utf8')) as {
      key: string
      files: number
      bytes: number
      references: number
    }
    if (cached.key === key) {
      log(`  reusing ${dir}`)
      return { dir, files: cached.files, bytes: cached.bytes, references: cached.references }
    }
  }
  const started = performance.now()
  const generated = generateRepository(options)
  writeRepository(generated.files, dir, { commit: true })
  const { files, bytes, references } = generated.stats
  writeFileSync(keyFile, JSON.stringify({ key, files, bytes, references }))
  const s = generated.stats
  log(
    `  generated ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${s.definitions} definitions, ${s.packages} packages, ` +
      `${s.references} references (${s.includedReferences} through includeReferences), ${s.dependencies} dependencies, ${files} files, ${(bytes / 1e6).toFixed(1)} MB`,
  )
  return { dir, files, bytes, references }
}

export function runValidateBench(options: ValidateBenchOptions): ValidateBenchResult {
  const { log } = options
  const repository = prepareRepository(options.repository, log)
  const gantry = (): Run => {
    const run = runNode(CLI, ['validate', '--repo', repository.dir, '--format', 'json'])
    expectExit(run, 0, 'gantry validate')
    const report = JSON.parse(run.stdout) as { ok: boolean; errors: number; warnings: number }
    if (!report.ok || report.errors !== 0 || report.warnings !== 0) {
      throw new Error(
        `gantry validate found ${report.errors} errors and ${report.warnings} warnings in the generated repository`,
      )
    }
    return run
  }
  const floor = (): Run => {
    const run = runNode(FLOOR_PARSE, [repository.dir])
    expectExit(run, 0, 'floor-parse')
    const { files } = JSON.parse(run.stdout) as { files: number }
    if (files < repository.files - 3)
      throw new Error(`floor-parse read ${files} files, expected about ${repository.files}`)
    return run
  }
  // One untimed run of each warms the page cache and the compile caches alike.
  gantry()
  floor()
  const gantryRuns: Run[] = []
  const floorRuns: Run[] = []
  for (let i = 0; i < options.runs; i++) {
    gantryRuns.push(gantry())
    floorRuns.push(floor())
    log(
      `  run ${i + 1}/${options.runs}: gantry ${Math.round(gantryRuns[i]!.wallMs)} ms, floor ${Math.round(floorRuns[i]!.wallMs)} ms`,
    )
  }
  const g = summarize(gantryRuns)
  const f = summarize(floorRuns)
  return {
    repository: {
      ...options.repository,
      files: repository.files,
      bytes: repository.bytes,
      references: repository.references,
    },
    gantry: g,
    floor: f,
    ratio: g.bestWallMs / f.bestWallMs,
    cpuRatio: g.bestCpuMs / f.bestCpuMs,
  }
}
