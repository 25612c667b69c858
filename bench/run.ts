/**
 * Gantry's benchmarks: whole-repository validation and applying a package onto large environment branches,
 * each against a floor measured in the same run; and the GitHub requests the built action makes as the
 * repository and the changes grow. Prints the figures and the project's goals; the goals are reported, never
 * asserted.
 *
 *   npm run bench                  10,000 definitions / 400 packages / 50,000 references; branches of
 *                                  1,000, 10,000 and 50,000 definitions; pull requests touching 1, 10, 100
 *                                  and 120 of 120 packages
 *   npm run bench -- --quick       small sizes, one timed run each: a smoke test
 *   npm run bench -- --only validate|apply|api   [--runs N]
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
import { best, megabytes, ms, runNode, seconds, usageSource } from './measure.js'
import { CLI, DATA_DIR, PROJECT_DIR } from './paths.js'
import { type ValidateBenchResult, runValidateBench } from './validate-bench.js'

const GOALS = {
  validateRatio: 1.5,
  validateMs: 3000,
  validateJsYamlRatio: 2,
  validateJsYamlMemory: 2,
  applyRatio: 2,
  applyCostRatio: 1.25,
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

function printValidate(result: ValidateBenchResult): void {
  const { gantry, floor, repository } = result
  log('')
  log(
    `validate: ${repository.definitions} definitions, ${repository.packages} packages, ${repository.references} references ` +
      `(${repository.files} files, ${(repository.bytes / 1e6).toFixed(1)} MB); best of ${gantry.runs}`,
  )
  const widths = [30, 10, 10, 10, 10]
  log(pad(['', 'wall', 'median', 'cpu', 'peak RSS'], widths))
  log(
    pad(
      [
        'gantry validate --format json',
        seconds(gantry.bestWallMs),
        seconds(gantry.medianWallMs),
        seconds(gantry.bestCpuMs),
        megabytes(gantry.rssKb),
      ],
      widths,
    ),
  )
  log(
    pad(
      [
        'floor: read + parse (yaml)',
        seconds(floor.bestWallMs),
        seconds(floor.medianWallMs),
        seconds(floor.bestCpuMs),
        megabytes(floor.rssKb),
      ],
      widths,
    ),
  )
  const fast = result.floorJsYaml
  log(
    pad(
      [
        'floor: read + parse (js-yaml)',
        seconds(fast.bestWallMs),
        seconds(fast.medianWallMs),
        seconds(fast.bestCpuMs),
        megabytes(fast.rssKb),
      ],
      widths,
    ),
  )
  log(
    `cpu, median of paired runs: gantry/js-yaml floor ${result.cpuRatioJsYaml.toFixed(2)}x, gantry/yaml floor ${result.cpuRatioYaml.toFixed(2)}x; ` +
      `peak memory gantry/js-yaml floor ${result.memoryRatioJsYaml.toFixed(2)}x`,
  )
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
    `cost ratio ${last.size.toLocaleString('en-US')}/${first.size.toLocaleString('en-US')}: gantry ${result.gantryCostRatio.toFixed(2)}x wall, ${result.gantryCpuCostRatio.toFixed(2)}x cpu; floor ${result.floorCostRatio.toFixed(2)}x wall`,
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
    },
  })
  if (values.only !== undefined && !['validate', 'apply', 'api'].includes(values.only))
    throw new Error('--only takes validate, apply or api')
  const quick = values.quick === true
  const runs = values.runs !== undefined ? Number(values.runs) : quick ? 1 : undefined
  const started = performance.now()
  mkdirSync(DATA_DIR, { recursive: true })
  if (values.only !== 'api') ensureCliBuilt()
  if (values.only === undefined || values.only === 'api') ensureBundlesBuilt()
  const nodeStart = best([0, 1, 2].map(() => runNode('-e', ['0']).wallMs))
  log(
    `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); resource usage from ${usageSource === 'time' ? '/usr/bin/time' : 'a preloaded probe'}; a bare node process takes ${ms(nodeStart)}; ${load()}`,
  )

  let validate: ValidateBenchResult | undefined
  let apply: ApplyBenchResult | undefined
  let api: ApiEconomyResult | undefined
  if (values.only === undefined || values.only === 'validate') {
    log('')
    log('validate benchmark')
    validate = runValidateBench({
      repository: quick
        ? { definitions: 1000, packages: 40, references: 5000, seed: DEFAULT_OPTIONS.seed }
        : { ...DEFAULT_OPTIONS },
      runs: runs ?? 3,
      log,
    })
  }
  if (values.only === undefined || values.only === 'apply') {
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
  }

  if (values.only === undefined || values.only === 'api') {
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
  if (validate) {
    printValidate(validate)
    log(
      `goal: gantry within ${GOALS.validateRatio}x of the floor: ${verdict(validate.ratio <= GOALS.validateRatio)}; whole repository under ${GOALS.validateMs / 1000} s: ${verdict(validate.gantry.bestWallMs < GOALS.validateMs)}`,
    )
    log(
      `goal: cpu within ${GOALS.validateJsYamlRatio}x of the js-yaml floor: ${verdict(validate.cpuRatioJsYaml <= GOALS.validateJsYamlRatio)} (${validate.cpuRatioJsYaml.toFixed(2)}x); ` +
        `peak memory within ${GOALS.validateJsYamlMemory}x: ${verdict(validate.memoryRatioJsYaml <= GOALS.validateJsYamlMemory)} (${validate.memoryRatioJsYaml.toFixed(2)}x)`,
    )
  }
  if (apply) {
    printApply(apply)
    const worst = Math.max(...apply.rows.map((r) => r.ratio))
    // The large-source row is context, not part of the goal: the goal is about the branch's size.
    log(
      `goal: within ${GOALS.applyRatio}x of the floor: ${verdict(worst <= GOALS.applyRatio)} (worst ${worst.toFixed(2)}x); the same cost at every size (<= ${GOALS.applyCostRatio}x): ${verdict(apply.gantryCostRatio <= GOALS.applyCostRatio)}`,
    )
  }
  if (api) printApi(api)
  if (quick) log('(--quick: small sizes, one run: a smoke test, not figures to compare with the goals)')
  const results = join(PROJECT_DIR, '.bench', 'results.json')
  writeFileSync(
    results,
    `${JSON.stringify({ quick, node: process.version, cores: cpus().length, nodeStartMs: nodeStart, validate, apply, api }, null, 2)}\n`,
  )
  log(`\n${results} written; the whole run took ${seconds(performance.now() - started)}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
