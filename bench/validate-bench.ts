/**
 * Whole-repository validation against its floors: `gantry validate --format json` on a generated repository
 * vs. bare scripts that only read and YAML-parse the same files, one with the `yaml` package Gantry uses, one
 * with js-yaml (the fastest well-kept YAML parser on npm), each its own process, alternated in every round.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type GenerateOptions, generateRepository, writeRepository } from './generate-repository.js'
import { type Run, type Summary, expectExit, median, runNode, summarize } from './measure.js'
import { CLI, DATA_DIR, FLOOR_PARSE, FLOOR_PARSE_JS_YAML, generatorKey } from './paths.js'

export interface ValidateBenchOptions {
  repository: GenerateOptions
  runs: number
  log: (line: string) => void
}

export interface ValidateBenchResult {
  repository: GenerateOptions & { files: number; bytes: number; references: number }
  gantry: Summary
  floor: Summary
  /** The js-yaml floor. */
  floorJsYaml: Summary
  /** Best gantry wall time over best floor wall time. */
  ratio: number
  cpuRatio: number
  /** Median over the rounds of gantry's CPU time over the js-yaml floor's in the same round. */
  cpuRatioJsYaml: number
  /** Median over the rounds of gantry's CPU time over the `yaml` floor's in the same round. */
  cpuRatioYaml: number
  /** Peak RSS of gantry over that of the js-yaml floor. */
  memoryRatioJsYaml: number
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
  const floor = (script = FLOOR_PARSE): Run => {
    const run = runNode(script, [repository.dir])
    expectExit(run, 0, script)
    const { files } = JSON.parse(run.stdout) as { files: number }
    if (files < repository.files - 3)
      throw new Error(`floor-parse read ${files} files, expected about ${repository.files}`)
    return run
  }
  // One untimed run of each warms the page cache and the compile caches alike.
  gantry()
  floor()
  floor(FLOOR_PARSE_JS_YAML)
  const gantryRuns: Run[] = []
  const floorRuns: Run[] = []
  const fastRuns: Run[] = []
  for (let i = 0; i < options.runs; i++) {
    gantryRuns.push(gantry())
    floorRuns.push(floor())
    fastRuns.push(floor(FLOOR_PARSE_JS_YAML))
    log(
      `  run ${i + 1}/${options.runs}: gantry ${Math.round(gantryRuns[i]!.cpuMs)} ms cpu, yaml floor ${Math.round(floorRuns[i]!.cpuMs)} ms, js-yaml floor ${Math.round(fastRuns[i]!.cpuMs)} ms`,
    )
  }
  const g = summarize(gantryRuns)
  const f = summarize(floorRuns)
  const fast = summarize(fastRuns)
  const paired = (floors: Run[]) => median(gantryRuns.map((run, i) => run.cpuMs / floors[i]!.cpuMs))
  return {
    repository: {
      ...options.repository,
      files: repository.files,
      bytes: repository.bytes,
      references: repository.references,
    },
    gantry: g,
    floor: f,
    floorJsYaml: fast,
    ratio: g.bestWallMs / f.bestWallMs,
    cpuRatio: g.bestCpuMs / f.bestCpuMs,
    cpuRatioJsYaml: paired(fastRuns),
    cpuRatioYaml: paired(floorRuns),
    memoryRatioJsYaml: g.rssKb / fast.rssKb,
  }
}
