/**
 * Whole-repository validation against its floors, at growing sizes: `gantry validate --format json` on a
 * generated repository vs. bare scripts that only read and YAML-parse the same files, one with the `yaml`
 * package (bench/floor-parse.mjs), one with js-yaml, the fastest well-kept YAML parser on npm
 * (bench/floor-parse-js-yaml.mjs). Each is its own process; the three alternate in every round, so that a
 * round's ratios compare runs made under the same load. CPU time (user + system, git children included) and
 * peak RSS come from /usr/bin/time where it exists.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type GenerateOptions, generateRepository, writeRepository } from './generate-repository.js'
import { type Run, type Summary, type ThreadSplit, expectExit, measureThreads, median, runNode, summarize } from './measure.js'
import { CLI, DATA_DIR, FLOOR_PARSE, FLOOR_PARSE_JS_YAML, generatorKey } from './paths.js'

export interface ValidateBenchOptions {
  /** One row per size: definitions, with 1 package per 25 definitions and 5 references per definition. */
  sizes: number[]
  runs: number
  log: (line: string) => void
}

/** The repository of a row: the shape of the 10k / 400 / 50k, scaled. */
export function repositoryFor(definitions: number): Required<GenerateOptions> {
  return {
    definitions,
    packages: Math.max(1, Math.round(definitions / 25)),
    references: definitions * 5,
    seed: 1,
    namespace: '',
  }
}

export interface ValidateRow {
  repository: GenerateOptions & { files: number; bytes: number; references: number }
  gantry: Summary
  /** The `yaml` package floor. */
  floorYaml: Summary
  /** The js-yaml floor. */
  floorJsYaml: Summary
  /** Median over the rounds of gantry's CPU time over the js-yaml floor's in the same round. */
  cpuRatioJsYaml: number
  /** Median over the rounds of gantry's CPU time over the `yaml` floor's in the same round. */
  cpuRatioYaml: number
  /** Median over the rounds of gantry's peak RSS over the js-yaml floor's in the same round. */
  memoryRatioJsYaml: number
  /** Where the CPU time went, main thread or others, in one more run each (not timed); absent without /proc. */
  threads?: { gantry: ThreadSplit; floorJsYaml: ThreadSplit }
}

export interface ValidateBenchResult {
  rows: ValidateRow[]
  /** Gantry's median CPU time per definition at the largest size over that at the smallest. */
  cpuPerDefinitionGrowth: number
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

function measureSize(options: Required<GenerateOptions>, runs: number, log: (line: string) => void): ValidateRow {
  const repository = prepareRepository(options, log)
  const gantry = (env?: NodeJS.ProcessEnv): Run => {
    const run = runNode(CLI, ['validate', '--repo', repository.dir, '--format', 'json'], { env })
    expectExit(run, 0, 'gantry validate')
    const report = JSON.parse(run.stdout) as { ok: boolean; errors: number; warnings: number }
    if (!report.ok || report.errors !== 0 || report.warnings !== 0) {
      throw new Error(
        `gantry validate found ${report.errors} errors and ${report.warnings} warnings in the generated repository`,
      )
    }
    return run
  }
  const floor = (script: string, env?: NodeJS.ProcessEnv): Run => {
    const run = runNode(script, [repository.dir], { env })
    expectExit(run, 0, script)
    const { files } = JSON.parse(run.stdout) as { files: number }
    if (files < repository.files - 3)
      throw new Error(`${script} read ${files} files, expected about ${repository.files}`)
    return run
  }
  // One untimed run of each warms the page cache.
  gantry()
  floor(FLOOR_PARSE)
  floor(FLOOR_PARSE_JS_YAML)
  const g: Run[] = []
  const y: Run[] = []
  const j: Run[] = []
  for (let i = 0; i < runs; i++) {
    g.push(gantry())
    y.push(floor(FLOOR_PARSE))
    j.push(floor(FLOOR_PARSE_JS_YAML))
    log(
      `  ${options.definitions} definitions, round ${i + 1}/${runs}: gantry ${Math.round(g[i]!.cpuMs)} ms cpu ${Math.round(g[i]!.rssKb / 1024)} MB, ` +
        `yaml floor ${Math.round(y[i]!.cpuMs)} ms ${Math.round(y[i]!.rssKb / 1024)} MB, js-yaml floor ${Math.round(j[i]!.cpuMs)} ms ${Math.round(j[i]!.rssKb / 1024)} MB`,
    )
  }
  const gantryThreads = measureThreads((env) => gantry(env))
  const floorThreads = measureThreads((env) => floor(FLOOR_PARSE_JS_YAML, env))
  const paired = (floors: Run[], of: (r: Run) => number) => median(g.map((run, i) => of(run) / of(floors[i]!)))
  return {
    repository: { ...options, files: repository.files, bytes: repository.bytes, references: repository.references },
    gantry: summarize(g),
    floorYaml: summarize(y),
    floorJsYaml: summarize(j),
    cpuRatioJsYaml: paired(j, (r) => r.cpuMs),
    cpuRatioYaml: paired(y, (r) => r.cpuMs),
    memoryRatioJsYaml: paired(j, (r) => r.rssKb),
    ...(gantryThreads && floorThreads ? { threads: { gantry: gantryThreads, floorJsYaml: floorThreads } } : {}),
  }
}

export function runValidateBench(options: ValidateBenchOptions): ValidateBenchResult {
  const rows = [...options.sizes].sort((a, b) => a - b).map((size) => measureSize(repositoryFor(size), options.runs, options.log))
  const perDefinition = (row: ValidateRow) => row.gantry.medianCpuMs / row.repository.definitions
  return {
    rows,
    cpuPerDefinitionGrowth: rows.length > 1 ? perDefinition(rows[rows.length - 1]!) / perDefinition(rows[0]!) : 1,
  }
}
