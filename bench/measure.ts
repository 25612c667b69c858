import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** One run of a process: wall time seen by the parent, CPU time and peak RSS of the process and its children. */
export interface Run {
  wallMs: number
  /** User + system time; with /usr/bin/time this includes the children it waited for (git). */
  cpuMs: number
  rssKb: number
  code: number
  stdout: string
  stderr: string
}

const TIME = '/usr/bin/time'
const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'usage-probe.mjs')
const THREAD_PROBE = join(dirname(fileURLToPath(import.meta.url)), 'thread-probe.mjs')

/** How resource usage is measured on this machine. */
export const usageSource: 'time' | 'probe' =
  existsSync(TIME) && spawnSync(TIME, ['-f', '%M', 'true']).status === 0 ? 'time' : 'probe'

const scratch = mkdtempSync(join(tmpdir(), 'gantry-bench-'))
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }))

/**
 * Runs `node <script> <args>` as its own process and measures it: under /usr/bin/time when it exists (peak
 * RSS of the largest process, CPU including git children), else with a preloaded probe (the node process).
 */
export function runNode(
  script: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Run {
  const usageFile = join(scratch, 'usage')
  rmSync(usageFile, { force: true })
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, NO_COLOR: '1' }
  const [command, argv] =
    usageSource === 'time'
      ? [TIME, ['-f', '%e %U %S %M', '-o', usageFile, process.execPath, script, ...args]]
      : [process.execPath, ['--import', PROBE, script, ...args]]
  if (usageSource === 'probe') env.BENCH_USAGE_FILE = usageFile
  const started = performance.now()
  const result = spawnSync(command, argv, { cwd: options.cwd, env, maxBuffer: 1 << 30 })
  const wallMs = performance.now() - started
  let cpuMs = Number.NaN
  let rssKb = Number.NaN
  try {
    const text = readFileSync(usageFile, 'utf8').trim()
    if (usageSource === 'time') {
      // The last line: a command that exits non-zero gets a "Command exited with non-zero status" line first.
      const [, user, system, rss] = (text.split('\n').pop() ?? '').split(' ').map(Number)
      cpuMs = ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000
      rssKb = rss ?? Number.NaN
    } else {
      const usage = JSON.parse(text) as { rssKb: number; cpuMs: number }
      cpuMs = usage.cpuMs
      rssKb = usage.rssKb
    }
  } catch {
    // No usage written: the process died before exit handlers ran; the exit code tells.
  }
  return {
    wallMs,
    cpuMs,
    rssKb,
    code: result.status ?? -1,
    stdout: result.stdout?.toString() ?? '',
    stderr: result.stderr?.toString() ?? result.error?.message ?? '',
  }
}

/** CPU time (user + system) of a process's main thread and of its other threads, from bench/thread-probe.mjs. */
export interface ThreadSplit {
  mainMs: number
  /** V8's and libuv's threads: the optimizing compiler and the concurrent parts of the collector. */
  otherMs: number
  threads: number
  /** The child processes it waited for (git), not part of the threads' figures nor of processMs. */
  childrenMs: number
  /** The process's own total, which the threads should add up to (within a clock tick each). */
  processMs: number
}

let clockTicks: number | undefined
const ticksPerSecond = (): number => {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
    clockTicks = out.status === 0 ? Number(out.stdout.trim()) || 0 : 0
  }
  return clockTicks
}

/**
 * Runs `run` once with bench/thread-probe.mjs preloaded (through NODE_OPTIONS, in the environment handed to
 * it): where the process's CPU time went, main thread or others. Undefined where Linux's /proc or getconf is
 * missing. For an untimed run: the probe reads every thread's figures as the process exits.
 */
export function measureThreads(run: (env: NodeJS.ProcessEnv) => void): ThreadSplit | undefined {
  if (!existsSync('/proc/self/task') || ticksPerSecond() <= 0) return undefined
  const file = join(scratch, 'threads')
  rmSync(file, { force: true })
  run({
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(THREAD_PROBE).href}`.trim(),
    BENCH_THREADS_FILE: file,
    BENCH_CLK_TCK: String(ticksPerSecond()),
  })
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ThreadSplit
  } catch {
    return undefined
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function best(values: readonly number[]): number {
  return Math.min(...values)
}

export interface Summary {
  runs: number
  bestWallMs: number
  medianWallMs: number
  bestCpuMs: number
  medianCpuMs: number
  /** Peak RSS over the runs. */
  rssKb: number
  /** The median of the runs' peak RSS. */
  medianRssKb: number
}

export function summarize(runs: readonly Run[]): Summary {
  return {
    runs: runs.length,
    bestWallMs: best(runs.map((r) => r.wallMs)),
    medianWallMs: median(runs.map((r) => r.wallMs)),
    bestCpuMs: best(runs.map((r) => r.cpuMs)),
    medianCpuMs: median(runs.map((r) => r.cpuMs)),
    rssKb: Math.max(...runs.map((r) => r.rssKb)),
    medianRssKb: median(runs.map((r) => r.rssKb)),
  }
}

/** Fails with the process's output when a run did not end as expected. */
export function expectExit(run: Run, code: number, what: string): void {
  if (run.code !== code) {
    throw new Error(
      `${what} exited with ${run.code}, expected ${code}\n${run.stderr.slice(0, 4000)}\n${run.stdout.slice(0, 4000)}`,
    )
  }
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a')
export const seconds = (value: number): string =>
  Number.isFinite(value) ? `${(value / 1000).toFixed(2)} s` : 'n/a'
export const megabytes = (kb: number): string =>
  Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MB` : 'n/a'
export const ratio = (a: number, b: number): string =>
  Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a'

/**
 * One row of the goals table `npm run bench` ends with: a measure of the project's performance goals, what
 * this run measured, and whether that meets the goal. Every benchmark module returns its rows in this shape
 * (bench/build-bench.ts included: see run.ts).
 */
export interface GoalRow {
  /**
   * Which goal of the table this row is, when it is one: validate-10k, validate-50k-cpu, validate-50k-memory,
   * validate-env, rebuild-unchanged, build-10-changed, status, tags, apply-scaling, progress. The goals table
   * lists each of these, as NOT MEASURED when no benchmark returned its row.
   */
  id?: string
  /** The measure, as the goal names it: "validate 10k definitions vs js-yaml read+parse, cpu". */
  measure: string
  /** What this run measured, with the figures behind it: "1.92x (1.01 s vs 0.53 s, median of 3 paired runs)". */
  figures: string
  /** The goal: "<= 2x". Empty for a row reported without a goal. */
  goal: string
  /** Whether the figures meet the goal; undefined for a row without a goal, or one this run did not measure. */
  met: boolean | undefined
}
