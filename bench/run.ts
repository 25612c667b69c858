/**
 * Gantry's benchmarks: whole-repository validation against two floors (reading and parsing the same files
 * with the `yaml` package and with js-yaml) from 1,000 to 50,000 definitions; applying a package onto large
 * environment branches against bare git; build, apply and status by what changed (bench/build-bench.ts, when
 * present); and the GitHub requests the built action makes. Every floor is measured in the same run, in
 * alternating rounds, and the figures that count are CPU time (user + system, git children included) and peak
 * memory, as medians of paired runs: wall times on a shared machine say more about the neighbours. The run
 * ends with the goals table: each goal, the figures, met or MISSED. Goals are reported, never asserted.
 *
 *   npm run bench                  validate at 1,000, 10,000 and 50,000 definitions (3 rounds each; the
 *                                  50,000 row is the slow one, about two minutes with its floors); apply on
 *                                  branches of 1,000, 10,000 and 50,000 definitions; build-bench; api
 *   npm run bench -- --sizes 1000,10000      validate at these sizes only (leave out 50,000 on a busy machine)
 *   npm run bench -- --quick       small sizes, one round each: a smoke test, not figures for the goals
 *   npm run bench -- --only validate|apply|build|api   [--runs N]
 *
 * Generated data lives in .bench/data/ (git-ignored); the summary is also written to .bench/results.json.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ACTION_BUNDLE } from '../test/e2e/action-runner.js'
import { type ApiEconomyResult, type Cost, runApiEconomyBench } from './api-economy.js'
import { type ApplyBenchResult, type ApplyRow, runApplyBench } from './apply-bench.js'
import { DEFAULT_OPTIONS } from './generate-repository.js'
import { type GoalRow, type ThreadSplit, best, expectExit, median, megabytes, ms, runNode, seconds, usageSource } from './measure.js'
import { BENCH_DIR, CLI, DATA_DIR, PROJECT_DIR } from './paths.js'
import { type ValidateBenchResult, type ValidateRow, runValidateBench } from './validate-bench.js'

const GOALS = {
  /** Validation CPU time over the js-yaml floor's, at 10,000 and at 50,000 definitions. */
  validateJsYamlRatio: 2,
  /** Validation peak memory over the js-yaml floor's, at 50,000 definitions. */
  validateJsYamlMemory: 2,
  applyRatio: 2,
  applyCostRatio: 1.25,
}

/**
 * bench/build-bench.ts (build, apply and status by what changed) is optional here: when the file exists it
 * must export
 *
 *   runBuildBench(options: { quick: boolean; runs?: number; log: (line: string) => void }): Promise<GoalRow[]>
 *
 * which prints its own figures through `log` and returns one GoalRow (bench/measure.ts) per goal it measures,
 * worded as the goal is: e.g. { measure: 'build of 10 changed packages in a 10k-definition repository, user
 * cpu', figures: '1.4 s (median of 3)', goal: '<= 2 s', met: true }. Its rows join the goals table.
 */
interface BuildBenchModule {
  runBuildBench(options: { quick: boolean; runs?: number; log: (line: string) => void }): Promise<GoalRow[]>
}

async function loadBuildBench(): Promise<BuildBenchModule | undefined> {
  if (!existsSync(join(BENCH_DIR, 'build-bench.ts'))) return undefined
  // A path in a variable: the module is optional, and the typechecker must not look for it.
  const path = './build-bench.js'
  return (await import(path)) as BuildBenchModule
}

const log = (line: string) => process.stdout.write(`${line}\n`)

function newestMtime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

/** Builds dist/cli/index.js when it is missing or older than anything it is built from. */
function ensureCliBuilt(): void {
  const sources = ['src', 'schemas', 'package-lock.json'].map((p) => join(PROJECT_DIR, p)).filter(existsSync)
  const newest = Math.max(...sources.map(newestMtime))
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newest) return
  log('dist/cli/index.js is missing or older than src/: npm run build:cli')
  const result = spawnSync('npm', ['run', '--silent', 'build:cli'], {
    cwd: PROJECT_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (result.status !== 0) throw new Error('npm run build:cli failed')
}

/**
 * The api benchmark runs the built action (dist/index.js, committed) and uses the CLI in its setup: they are
 * built only when missing, so that the figures are those of the bundles as they are.
 */
function ensureBundlesBuilt(): void {
  if (existsSync(ACTION_BUNDLE) && existsSync(CLI)) {
    const sources = ['src', 'schemas', 'package-lock.json']
      .map((p) => join(PROJECT_DIR, p))
      .filter(existsSync)
    if (statSync(ACTION_BUNDLE).mtimeMs < Math.max(...sources.map(newestMtime)))
      log(
        'note: dist/index.js is older than src/: the api benchmark measures the built action (npm run build)',
      )
    return
  }
  log('dist/index.js or dist/cli/index.js is missing: npm run build')
  const result = spawnSync('npm', ['run', '--silent', 'build'], {
    cwd: PROJECT_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (result.status !== 0) throw new Error('npm run build failed')
}

/** Wall times mean little on a busy machine: say how busy it is. */
function load(): string {
  const [one = 0] = loadavg()
  const busy = one > cpus().length * 0.75
  return `load average ${one.toFixed(1)}${busy ? ' (busy: trust the cpu columns more than wall times)' : ''}`
}

const verdict = (met: boolean) => (met ? 'met' : 'MISSED')

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
}

const x = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a')

function printValidate(result: ValidateBenchResult): void {
  log('')
  log(`validate: whole repository, ${result.rows[0]?.gantry.runs ?? 0} rounds per size; cpu and peak RSS are medians`)
  const widths = [12, 9, 11, 12, 12, 10, 9, 10, 9, 9, 9]
  log(
    pad(
      ['definitions', 'files', 'gantry cpu', 'yaml floor', 'js-yaml flr', 'vs js-yaml', 'vs yaml', 'gantry RSS', 'yaml RSS', 'js RSS', 'RSS x'],
      widths,
    ),
  )
  for (const row of result.rows) {
    log(
      pad(
        [
          row.repository.definitions.toLocaleString('en-US'),
          row.repository.files.toLocaleString('en-US'),
          seconds(row.gantry.medianCpuMs),
          seconds(row.floorYaml.medianCpuMs),
          seconds(row.floorJsYaml.medianCpuMs),
          x(row.cpuRatioJsYaml),
          x(row.cpuRatioYaml),
          megabytes(row.gantry.medianRssKb),
          megabytes(row.floorYaml.medianRssKb),
          megabytes(row.floorJsYaml.medianRssKb),
          x(row.memoryRatioJsYaml),
        ],
        widths,
      ),
    )
  }
  log(
    `(ratios: median over the rounds of gantry's figure over the floor's in the same round; each repository has 1 package per 25 definitions and 5 references per definition)`,
  )
  if (result.rows.length > 1)
    log(`gantry cpu per definition, largest size over smallest: ${x(result.cpuPerDefinitionGrowth)}`)
  const split = (s: ThreadSplit) =>
    `${seconds(s.mainMs)} main thread + ${seconds(s.otherMs)} other threads (process ${seconds(s.processMs)})` +
    (s.childrenMs > 0 ? ` + ${seconds(s.childrenMs)} git` : '')
  for (const row of result.rows) {
    if (!row.threads) continue
    log(
      `where the cpu goes at ${row.repository.definitions.toLocaleString('en-US')} definitions, one more run each, per thread: ` +
        `gantry ${split(row.threads.gantry)}; js-yaml floor ${split(row.threads.floorJsYaml)}`,
    )
  }
  if (result.rows.some((row) => row.threads))
    log(
      `(other threads: V8's optimizing compiler, the concurrent parts of its collector (gantry scavenges on its main thread, the floor as V8 does by default) and libuv's; see "Slow validation" in docs/troubleshooting.md)`,
    )
}

/** The validation rows of the goals table. */
function validateGoals(result: ValidateBenchResult): GoalRow[] {
  const rows: GoalRow[] = []
  const at = (definitions: number) => result.rows.find((r) => r.repository.definitions === definitions)
  const versus = (row: ValidateRow, floor: 'floorJsYaml' | 'floorYaml', ratio: number) =>
    `${x(ratio)} (${seconds(row.gantry.medianCpuMs)} vs ${seconds(row[floor].medianCpuMs)} cpu, median of ${row.gantry.runs} paired runs)`
  const ten = at(10_000)
  rows.push(
    ten
      ? {
          id: 'validate-10k',
          measure: 'validate 10k definitions / 400 packages / 50k references vs js-yaml read+parse, cpu',
          figures: versus(ten, 'floorJsYaml', ten.cpuRatioJsYaml),
          goal: `<= ${GOALS.validateJsYamlRatio}x`,
          met: ten.cpuRatioJsYaml <= GOALS.validateJsYamlRatio,
        }
      : { id: 'validate-10k', ...notMeasured('validate 10k definitions vs js-yaml read+parse, cpu', `<= ${GOALS.validateJsYamlRatio}x`, '10000 not in --sizes') },
  )
  const fifty = at(50_000)
  if (fifty) {
    rows.push({
      id: 'validate-50k-cpu',
      measure: 'validate 50k definitions vs js-yaml read+parse, cpu',
      figures: versus(fifty, 'floorJsYaml', fifty.cpuRatioJsYaml),
      goal: `<= ${GOALS.validateJsYamlRatio}x`,
      met: fifty.cpuRatioJsYaml <= GOALS.validateJsYamlRatio,
    })
    rows.push({
      id: 'validate-50k-memory',
      measure: 'validate 50k definitions vs js-yaml read+parse, peak memory',
      figures: `${x(fifty.memoryRatioJsYaml)} (${megabytes(fifty.gantry.medianRssKb)} vs ${megabytes(fifty.floorJsYaml.medianRssKb)})`,
      goal: `<= ${GOALS.validateJsYamlMemory}x`,
      met: fifty.memoryRatioJsYaml <= GOALS.validateJsYamlMemory,
    })
  } else {
    rows.push({ id: 'validate-50k-cpu', ...notMeasured('validate 50k definitions vs js-yaml read+parse, cpu', '<= 2x', '50000 not in --sizes') })
    rows.push({ id: 'validate-50k-memory', ...notMeasured('validate 50k definitions vs js-yaml read+parse, peak memory', '<= 2x', '50000 not in --sizes') })
  }
  if (ten)
    rows.push({
      measure: 'validate 10k vs the yaml-package floor',
      figures: versus(ten, 'floorYaml', ten.cpuRatioYaml),
      goal: '',
      met: undefined,
    })
  return rows
}

/** The goals of the table, by id (see GoalRow): any no benchmark of this run measured is listed as such. */
const TABLE: { id: string; measure: string; goal: string }[] = [
  { id: 'validate-10k', measure: 'validate 10k definitions / 400 packages / 50k references vs js-yaml read+parse, cpu', goal: '<= 2x' },
  { id: 'validate-50k-cpu', measure: 'validate 50k definitions vs js-yaml read+parse, cpu', goal: '<= 2x' },
  { id: 'validate-50k-memory', measure: 'validate 50k definitions vs js-yaml read+parse, peak memory', goal: '<= 2x' },
  { id: 'validate-env', measure: 'validate --env dev on a 10k repository with 400 packages applied, per environment', goal: '<= 1.5x plain validate' },
  { id: 'rebuild-unchanged', measure: 'a rebuild with nothing changed, 10 of 400 packages with an older release', goal: '<= 1.5x plain validate' },
  { id: 'build-10-changed', measure: 'build of 10 changed packages in a 10k-definition repository, user cpu', goal: '<= 2 s' },
  { id: 'status', measure: 'status, 400 packages x 3 environments', goal: '<= 1x plain validate' },
  { id: 'tags', measure: 'creating 400 annotated tags', goal: 'one batch' },
  { id: 'apply-scaling', measure: 'apply of 10 items, cost at 50k over cost at 1k definitions on the branch', goal: '<= 1.25x' },
  { id: 'progress', measure: 'build --all over 400 packages, validate --env over a large repository', goal: 'progress shown' },
]

function withUnmeasured(rows: GoalRow[]): GoalRow[] {
  const measured = new Set(rows.map((r) => r.id))
  const missing = TABLE.filter((t) => !measured.has(t.id)).map((t) => ({ ...notMeasured(t.measure, t.goal, 'no benchmark of this run measures it'), id: t.id }))
  return [...rows, ...missing]
}

function notMeasured(measure: string, goal: string, why: string): GoalRow {
  return { measure, figures: `not measured in this run (${why})`, goal, met: undefined }
}

function printGoals(rows: GoalRow[]): void {
  log('')
  log('== goals')
  const width = Math.min(90, Math.max(...rows.map((r) => r.measure.length)))
  for (const row of rows) {
    const verdictText = row.goal === '' ? 'no goal' : row.met === undefined ? 'NOT MEASURED' : verdict(row.met)
    log(`${verdictText.padEnd(12)} ${row.measure.padEnd(width)}  goal ${row.goal || '-'}: ${row.figures}`)
  }
  const missed = rows.filter((r) => r.goal !== '' && r.met === false).length
  const unmeasured = rows.filter((r) => r.goal !== '' && r.met === undefined).length
  log(`${rows.filter((r) => r.met === true).length} met, ${missed} missed, ${unmeasured} not measured`)
}

function printApply(result: ApplyBenchResult): void {
  log('')
  log(
    `apply: a package of ${result.items} items onto env/dev; medians of ${result.rows[0]?.gantry.runs ?? 0} runs`,
  )
  const widths = [12, 8, 9, 9, 7, 11, 10, 10, 8]
  log(
    pad(
      ['definitions', 'source', 'gantry', 'floor', 'ratio', 'gantry cpu', 'floor cpu', 'cpu ratio', 'RSS'],
      widths,
    ),
  )
  const line = (row: ApplyRow) =>
    log(
      pad(
        [
          row.size.toLocaleString('en-US'),
          row.sourceDefinitions.toLocaleString('en-US'),
          ms(row.gantry.medianWallMs),
          ms(row.floor.medianWallMs),
          `${row.ratio.toFixed(2)}x`,
          ms(row.gantry.medianCpuMs),
          ms(row.floor.medianCpuMs),
          `${row.cpuRatio.toFixed(2)}x`,
          megabytes(row.gantry.rssKb),
        ],
        widths,
      ),
    )
  result.rows.forEach(line)
  if (result.largeSource) line(result.largeSource)
  const first = result.rows[0]!
  const last = result.rows[result.rows.length - 1]!
  log(
    `(definitions: on env/dev before the apply; source: definitions in the source repository; the floor started ${first.floorProcesses} git processes, gantry's cpu includes its git processes)`,
  )
  log(
    `cost ratio ${last.size.toLocaleString('en-US')}/${first.size.toLocaleString('en-US')}, medians of ${result.rounds} paired rounds: gantry ${result.gantryCpuCostRatio.toFixed(2)}x cpu (counted), ${result.gantryCostRatio.toFixed(2)}x wall; floor ${result.floorCpuCostRatio.toFixed(2)}x cpu, ${result.floorCostRatio.toFixed(2)}x wall`,
  )
}

const compact = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ')

function printApi(result: ApiEconomyResult): void {
  log('')
  log('api: requests of the built action against the local GitHub, one run each')
  const widths = [46, 9, 6, 5, 5, 9]
  log(pad(['scenario', 'packages', 'files', 'API', 'git', 'wall'], widths))
  for (const s of result.scenarios) {
    const files = s.changedFiles === null ? '' : String(s.changedFiles)
    const packages = s.event === 'push' ? `${s.packages} new` : `${s.packages}`
    log(pad([s.name, packages, files, String(s.api), String(s.git), ms(s.wallMs)], widths))
  }
  log(
    "(wall: the action's Octokit paces writes as GitHub asks, one a second and one per 3 s for releases, pull requests and comments, so a release run's wall time follows its writes)",
  )
  log('requests by operation (API) and by git service:')
  for (const s of result.scenarios)
    log(`  ${s.name}: ${compact(s.byOperation)}; git: ${compact(s.gitByService)}`)
  const r = result.release
  const round = (n: number) => (Math.round(n * 100) / 100).toString()
  const cost = (c: Cost) =>
    `${round(c.api)} API + ${round(c.git)} git (${Object.entries(c.byOperation)
      .map(([key, n]) => `${key} ${round(n)}`)
      .join(', ')})`
  log(`release, per package in the repository, on every run: ${cost(r.perPackage)}`)
  log(`release, what a new version adds (first push minus re-run, per version): ${cost(r.perNewVersion)}`)
  log(
    r.perPackage.api >= 0.05 || r.perPackage.git >= 0.05
      ? 'release: the count GROWS with the packages in the repository, not only with the packages a merge changes'
      : 'release: packages a merge leaves unchanged cost no requests',
  )
  const growth = result.pullRequests.excess
    .slice(1)
    .map((e) => `${e.name}: +${e.extra} (pagination of ${e.changedFiles} files: +${e.pagination})`)
    .join('; ')
  log(
    result.pullRequests.flat
      ? `pull requests: the count does not grow with the packages touched beyond pagination (${growth || 'one scenario'})`
      : `pull requests: the count GROWS with the packages touched beyond pagination (${growth})`,
  )
  log(
    result.violations.length === 0
      ? 'violations: none (every request valid against the GitHub REST API description)'
      : `VIOLATIONS: ${result.violations.length}: ${result.violations
          .slice(0, 5)
          .map((v) => `${v.method} ${v.path}: ${v.message}`)
          .join('; ')}`,
  )
}

/** What every CLI process pays before its work grows with the repository, against a bare node process. */
interface FixedCost {
  runs: number
  /** `gantry validate` on examples/scheduler (66 definitions, 8 kinds): loading the CLI, compiling kinds. */
  validateCpuMs: number
  /** `gantry --version`: loading the CLI only. */
  versionCpuMs: number
  nodeCpuMs: number
}

/** Paired rounds: bare node, `--version` and a small validation one after the other; medians of cpu. */
function measureFixedCost(runs: number): FixedCost {
  const example = join(PROJECT_DIR, 'examples', 'scheduler')
  const node: number[] = []
  const version: number[] = []
  const validate: number[] = []
  for (let i = 0; i < runs; i++) {
    node.push(runNode('-e', ['0']).cpuMs)
    const v = runNode(CLI, ['--version'])
    expectExit(v, 0, 'gantry --version')
    version.push(v.cpuMs)
    const run = runNode(CLI, ['validate', '--repo', example])
    expectExit(run, 0, 'gantry validate examples/scheduler')
    validate.push(run.cpuMs)
  }
  return { runs, validateCpuMs: median(validate), versionCpuMs: median(version), nodeCpuMs: median(node) }
}

function fixedCostLine(f: FixedCost): string {
  return `fixed cost, cpu (median of ${f.runs} paired runs): bare node ${ms(f.nodeCpuMs)}, gantry --version ${ms(f.versionCpuMs)}, gantry validate of examples/scheduler (66 definitions, 8 kinds) ${ms(f.validateCpuMs)}`
}

const ONLY = ['validate', 'apply', 'build', 'api']

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
      sizes: { type: 'string' },
    },
  })
  if (values.only !== undefined && !ONLY.includes(values.only)) throw new Error(`--only takes ${ONLY.join(', ')}`)
  const quick = values.quick === true
  const runs = values.runs !== undefined ? Number(values.runs) : quick ? 1 : undefined
  const sizes = values.sizes !== undefined ? values.sizes.split(',').map((s) => Number(s.trim().replace(/_/g, '').replace(/k$/, '000'))) : quick ? [200, 1000] : [1000, 10_000, 50_000]
  if (sizes.some((n) => !Number.isInteger(n) || n < 25)) throw new Error('--sizes takes definition counts of at least 25, e.g. 1000,10000')
  const wanted = (what: string) => values.only === undefined || values.only === what
  const started = performance.now()
  mkdirSync(DATA_DIR, { recursive: true })
  if (values.only !== 'api') ensureCliBuilt()
  if (wanted('api')) ensureBundlesBuilt()
  const nodeStart = best([0, 1, 2].map(() => runNode('-e', ['0']).wallMs))
  log(
    `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); resource usage from ${usageSource === 'time' ? '/usr/bin/time' : 'a preloaded probe'}; a bare node process takes ${ms(nodeStart)}; ${load()}`,
  )

  const goals: GoalRow[] = []
  let validate: ValidateBenchResult | undefined
  let apply: ApplyBenchResult | undefined
  let api: ApiEconomyResult | undefined
  let fixedCost: FixedCost | undefined
  if (wanted('validate')) {
    fixedCost = measureFixedCost(runs ?? 5)
    log('')
    log(fixedCostLine(fixedCost))
    log('')
    log(`validate benchmark: ${sizes.map((n) => n.toLocaleString('en-US')).join(', ')} definitions`)
    validate = runValidateBench({ sizes, runs: runs ?? 3, log })
    goals.push(...validateGoals(validate))
  }
  if (wanted('apply')) {
    log('')
    log('apply benchmark')
    apply = runApplyBench({
      sizes: quick ? [200, 2000] : [1000, 10_000, 50_000],
      items: 10,
      largeSource: quick
        ? { definitions: 1000, packages: 40, references: 5000, seed: 'source' }
        : { ...DEFAULT_OPTIONS, seed: 'source' },
      runs: runs ?? 5,
      log,
    })
    const worst = Math.max(...apply.rows.map((r) => r.ratio))
    const first = apply.rows[0]!
    const last = apply.rows[apply.rows.length - 1]!
    goals.push({
      id: 'apply-scaling',
      measure: `apply of ${apply.items} items, cost at ${last.size.toLocaleString('en-US')} over cost at ${first.size.toLocaleString('en-US')} definitions on the branch`,
      // Counted in CPU time (gantry and its git processes), the median of paired rounds; wall time beside it.
      figures: `${x(apply.gantryCpuCostRatio)} cpu, median of ${apply.rounds} paired rounds (user+sys, git processes included; wall ${x(apply.gantryCostRatio)})`,
      goal: `<= ${GOALS.applyCostRatio}x`,
      met: apply.gantryCpuCostRatio <= GOALS.applyCostRatio,
    })
    goals.push({
      measure: 'apply vs bare git plumbing (worst size), wall',
      figures: x(worst),
      goal: `<= ${GOALS.applyRatio}x`,
      met: worst <= GOALS.applyRatio,
    })
  }
  if (wanted('build')) {
    const buildBench = await loadBuildBench()
    if (buildBench) {
      log('')
      log('build benchmark')
      const rows = await buildBench.runBuildBench({ quick, ...(runs !== undefined ? { runs } : {}), log })
      // One row per goal: a goal this run already measured (apply-scaling, by the apply benchmark) is not
      // listed a second time from build-bench.
      const measured = new Set(goals.map((g) => g.id).filter((id) => id !== undefined))
      goals.push(...rows.filter((row) => row.id === undefined || !measured.has(row.id)))
    } else if (values.only === 'build') {
      throw new Error('bench/build-bench.ts does not exist')
    }
  }
  if (wanted('api')) {
    log('')
    log('api benchmark')
    api = await runApiEconomyBench({
      releasePackages: 10,
      source: quick ? { packages: 30, itemsPerPackage: 5 } : { packages: 120, itemsPerPackage: 5 },
      touches: quick ? [1, 10, 30] : [1, 10, 100, 120],
      log,
    })
  }

  log('')
  log(`== summary (${load()})`)
  if (fixedCost) log(fixedCostLine(fixedCost))
  if (validate) printValidate(validate)
  if (apply) printApply(apply)
  if (api) printApi(api)
  printGoals(withUnmeasured(goals))
  if (quick) log('(--quick: small sizes, one run: a smoke test, not figures to compare with the goals)')
  const results = join(PROJECT_DIR, '.bench', 'results.json')
  writeFileSync(
    results,
    `${JSON.stringify({ quick, node: process.version, cores: cpus().length, nodeStartMs: nodeStart, fixedCost, goals, validate, apply, api }, null, 2)}\n`,
  )
  log(`\n${results} written; the whole run took ${seconds(performance.now() - started)}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
