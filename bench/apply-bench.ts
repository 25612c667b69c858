/**
 * Applying a package onto environment branches of growing size, against its floor: the same writes done
 * with bare git plumbing (bench/floor-apply.mjs). Both run as their own node process; the branch is reset
 * to the same base commit before every run.
 *
 * The size rows apply a package of `items` definitions from a source repository that holds only that
 * package. An extra row applies the same package from a source repository that also holds a large
 * generated repository, to show what the size of the source costs an apply.
 *
 * The goal's figure, the cost at the largest size over the smallest, is counted in CPU time (user + sys of
 * the gantry process and of the git processes it waits for, from /usr/bin/time), as the median over paired
 * rounds: each round applies onto every size once, the order turned round from one round to the next.
 * Wall time is shown beside it, not counted: on a shared machine it follows the neighbours more than the work.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type GenerateOptions,
  generateRepository,
  git,
  gitBytes,
  writeRepository,
} from './generate-repository.js'
import { type Run, type Summary, expectExit, median, runNode, summarize } from './measure.js'
import { CLI, DATA_DIR, FLOOR_APPLY } from './paths.js'

export interface ApplyBenchOptions {
  /** Definitions on the environment branch, one row each. */
  sizes: number[]
  /** Items of the package applied. */
  items: number
  /** With a value: one more row, the same package applied from a source repository this much larger. */
  largeSource?: GenerateOptions
  runs: number
  log: (line: string) => void
}

export interface ApplyRow {
  /** Definitions on the environment branch before the apply. */
  size: number
  /** Definitions in the source repository. */
  sourceDefinitions: number
  /** Files the apply wrote (items and the ledger). */
  written: number
  gantry: Summary
  floor: Summary
  /** Median gantry wall time over median floor wall time. */
  ratio: number
  cpuRatio: number
  /** Processes the floor started (git). */
  floorProcesses: number
  setupMs: number
}

export interface ApplyBenchResult {
  items: number
  /** One row per environment size, from a source holding only the package. */
  rows: ApplyRow[]
  /** The same package onto the smallest branch, from a source repository with many more definitions. */
  largeSource?: ApplyRow
  /** Paired rounds timed: each round applies onto every size once (see pairedRounds). */
  rounds: number
  /**
   * The goal's measure: the median over the rounds of gantry's CPU time (user + sys of the process and of
   * the git processes it waited for) applying onto the largest branch over the same onto the smallest.
   */
  gantryCpuCostRatio: number
  /** The same in wall time (shown beside it; it follows the machine's load more than the work). */
  gantryCostRatio: number
  floorCpuCostRatio: number
  floorCostRatio: number
}

const BRANCH = 'env/dev'
const EPOCH = 1_767_225_600 // 2026-01-01T00:00:00Z

/** A git fast-import stream making `ref` one parentless commit holding `files`. */
function fastImportStream(ref: string, files: ReadonlyMap<string, string>): Buffer {
  const chunks: Buffer[] = []
  const message = Buffer.from(`Environment content: ${files.size} files\n`)
  chunks.push(
    Buffer.from(
      `commit ${ref}\ncommitter Gantry Bench <bench@gantry.invalid> ${EPOCH} +0000\ndata ${message.length}\n`,
    ),
    message,
  )
  for (const [path, content] of files) {
    const bytes = Buffer.from(content)
    chunks.push(Buffer.from(`M 100644 inline ${path}\ndata ${bytes.length}\n`), bytes, Buffer.from('\n'))
  }
  chunks.push(Buffer.from('\n'))
  return Buffer.concat(chunks)
}

interface Case {
  label: string
  size: number
  /** The source repository: the package applied (one package of `items` definitions) ... */
  source: GenerateOptions
  /** ... and, when given, a generated repository merged in around it. */
  ballast?: GenerateOptions
}

interface Prepared {
  dir: string
  pkg: string
  items: number
  base: string
  setupMs: number
}

/**
 * A source repository (committed on main, the package built and tagged) whose env/dev is a commit of
 * `size` other definitions, written with fast-import.
 */
function prepare(testCase: Case): Prepared {
  const started = performance.now()
  const dir = join(DATA_DIR, `apply-${testCase.label}`)
  const source = generateRepository(testCase.source)
  const files = new Map(testCase.ballast ? generateRepository(testCase.ballast).files : [])
  for (const [path, content] of source.files) files.set(path, content)
  writeRepository(files, dir, { commit: true })
  const pkg = source.packages[0]!
  const environment = generateRepository({
    definitions: testCase.size,
    packages: Math.max(1, Math.round(testCase.size / 25)),
    references: testCase.size * 5,
    seed: 'environment',
    namespace: 'env',
  })
  const tree = new Map<string, string>([
    ['.gantry/README.md', 'Environment branch: written by gantry apply.\n'],
  ])
  for (const [path, content] of environment.files)
    if (path.startsWith('definitions/')) tree.set(path, content)
  git(dir, ['fast-import', '--quiet'], fastImportStream(`refs/heads/${BRANCH}`, tree))
  const base = git(dir, ['rev-parse', `refs/heads/${BRANCH}`]).trim()
  const build = runNode(CLI, ['build', pkg.name, '--repo', dir, '--format', 'json'], { cwd: dir })
  expectExit(build, 0, 'gantry build')
  return { dir, pkg: pkg.name, items: pkg.items.length, base, setupMs: performance.now() - started }
}

/** The files an apply wrote (path and bytes), read back from its commit, for the floor to write again. */
function captureWrites(
  dir: string,
  base: string,
  commit: string,
  folder: string,
): { path: string; file: string }[] {
  const out = git(dir, ['diff-tree', '-r', '-z', '--no-commit-id', '--no-renames', base, commit])
  const fields = out.split('\0').filter(Boolean)
  const writes: { path: string; file: string }[] = []
  rmSync(folder, { recursive: true, force: true })
  mkdirSync(folder, { recursive: true })
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, , , sha, status] = fields[i]!.slice(1).split(' ')
    const path = fields[i + 1]!
    if (status === 'D') throw new Error(`the apply deleted ${path}; the benchmark expects only additions`)
    const file = join(folder, `${writes.length}.blob`)
    writeFileSync(file, gitBytes(dir, ['cat-file', 'blob', sha!]))
    writes.push({ path, file })
  }
  return writes
}

/** A case set up and checked, ready for timed runs: each run resets the branch to its base first. */
interface ReadyCase {
  testCase: Case
  gantry: () => Run
  floor: () => Run
  written: number
  floorProcesses: () => number
  setupMs: number
  reset: () => void
}

function prepareCase(testCase: Case, log: (line: string) => void): ReadyCase {
  const { dir, pkg, items, base, setupMs } = prepare(testCase)
  log(`  ${testCase.label}: set up in ${(setupMs / 1000).toFixed(1)} s (${dir})`)
  const reset = () => git(dir, ['update-ref', `refs/heads/${BRANCH}`, base])
  const gantry = (): { run: Run; commit: string } => {
    reset()
    const run = runNode(CLI, ['apply', pkg, '--env', 'dev', '--repo', dir, '--format', 'json'], { cwd: dir })
    expectExit(run, 0, 'gantry apply')
    const result = JSON.parse(run.stdout) as { ok: boolean; commit?: string; changes: { action: string }[] }
    const added = result.changes.filter((c) => c.action === 'add').length
    if (!result.ok || !result.commit || added !== items) {
      throw new Error(
        `gantry apply: expected ${items} additions and a commit, got ${run.stdout.slice(0, 2000)}`,
      )
    }
    return { run, commit: result.commit }
  }
  const writesFile = join(DATA_DIR, `apply-writes-${testCase.label}.json`)
  let floorProcesses = 0
  const floor = (): { run: Run; tree: string } => {
    reset()
    const run = runNode(FLOOR_APPLY, [dir, BRANCH, base, writesFile])
    expectExit(run, 0, 'floor-apply')
    const result = JSON.parse(run.stdout) as { tree: string; processes: number }
    floorProcesses = result.processes
    return { run, tree: result.tree }
  }

  // Untimed first runs: the gantry apply shows what to write; the floor must write the same tree.
  const first = gantry()
  const writes = captureWrites(dir, base, first.commit, join(DATA_DIR, `apply-writes-${testCase.label}`))
  writeFileSync(writesFile, JSON.stringify(writes))
  const gantryTree = git(dir, ['rev-parse', `${first.commit}^{tree}`]).trim()
  const floorTree = floor().tree
  if (floorTree !== gantryTree)
    throw new Error(`floor-apply wrote tree ${floorTree}, gantry apply wrote ${gantryTree}`)
  return {
    testCase,
    gantry: () => gantry().run,
    floor: () => floor().run,
    written: writes.length,
    floorProcesses: () => floorProcesses,
    setupMs,
    reset,
  }
}

/** The row of a case from its timed runs. */
function rowOf(ready: ReadyCase, gantryRuns: readonly Run[], floorRuns: readonly Run[], log: (line: string) => void): ApplyRow {
  const g = summarize(gantryRuns)
  const f = summarize(floorRuns)
  log(
    `  ${ready.testCase.label}: gantry ${Math.round(g.medianWallMs)} ms wall, ${Math.round(g.medianCpuMs)} ms cpu; floor ${Math.round(f.medianWallMs)} ms wall, ${Math.round(f.medianCpuMs)} ms cpu (medians of ${gantryRuns.length}; ${ready.written} files written)`,
  )
  return {
    size: ready.testCase.size,
    sourceDefinitions: ready.testCase.source.definitions + (ready.testCase.ballast?.definitions ?? 0),
    written: ready.written,
    gantry: g,
    floor: f,
    ratio: g.medianWallMs / f.medianWallMs,
    cpuRatio: g.medianCpuMs / f.medianCpuMs,
    floorProcesses: ready.floorProcesses(),
    setupMs: ready.setupMs,
  }
}

/**
 * Timed runs of the cases in paired rounds: each round applies onto every size once, smallest first in
 * one round and largest first in the next, so that whatever the first run of a round pays more (a cold
 * cache, a neighbour's burst) is paid by every size as often. Then each case's floor, as many times.
 * Returns each case's runs, by round.
 */
function pairedRounds(cases: readonly ReadyCase[], rounds: number): { gantry: Run[][]; floor: Run[][] } {
  const gantry: Run[][] = cases.map(() => [])
  const floor: Run[][] = cases.map(() => [])
  for (let round = 0; round < rounds; round++) {
    const order = cases.map((_, index) => index)
    if (round % 2 === 1) order.reverse()
    for (const index of order) gantry[index]!.push(cases[index]!.gantry())
    for (const index of order) floor[index]!.push(cases[index]!.floor())
  }
  for (const ready of cases) ready.reset()
  return { gantry, floor }
}

/** The median over rounds of the largest case's measure over the smallest's, in the same round. */
function pairedRatio(largest: readonly Run[], smallest: readonly Run[], measure: (run: Run) => number): number {
  return median(largest.map((run, round) => measure(run) / measure(smallest[round]!)))
}

export function runApplyBench(options: ApplyBenchOptions): ApplyBenchResult {
  const small: GenerateOptions = {
    definitions: options.items,
    packages: 1,
    references: options.items * 2,
    seed: 'apply-package',
    namespace: 'release',
  }
  const cases = options.sizes.map((size) => prepareCase({ label: `env-${size}`, size, source: small }, options.log))
  const rounds = Math.max(options.runs, 3)
  const timed = pairedRounds(cases, rounds)
  const rows = cases.map((ready, index) => rowOf(ready, timed.gantry[index]!, timed.floor[index]!, options.log))
  let largeSource: ApplyRow | undefined
  if (options.largeSource) {
    const size = options.sizes[0]!
    const label = `env-${size}-source-${options.largeSource.definitions}`
    const ready = prepareCase({ label, size, source: small, ballast: options.largeSource }, options.log)
    const runs = pairedRounds([ready], rounds)
    largeSource = rowOf(ready, runs.gantry[0]!, runs.floor[0]!, options.log)
  }
  const first = 0
  const last = cases.length - 1
  const cpu = (run: Run) => run.cpuMs
  const wall = (run: Run) => run.wallMs
  return {
    items: options.items,
    rows,
    ...(largeSource ? { largeSource } : {}),
    rounds,
    gantryCpuCostRatio: pairedRatio(timed.gantry[last]!, timed.gantry[first]!, cpu),
    gantryCostRatio: pairedRatio(timed.gantry[last]!, timed.gantry[first]!, wall),
    floorCpuCostRatio: pairedRatio(timed.floor[last]!, timed.floor[first]!, cpu),
    floorCostRatio: pairedRatio(timed.floor[last]!, timed.floor[first]!, wall),
  }
}
