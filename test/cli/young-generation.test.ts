import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { flagsToSet } from '../../src/adapters/process/young-generation.js'

// A process of its own for each case: V8's flags and heap belong to the process, and a test runner's own heap
// would say nothing about the CLI's. The probe keeps 400,000 small objects alive, as a repository's
// definitions are kept, and reports the young generation's size before, at its largest while they are made
// (looked at every 1,000 objects), and after. Its size at any one moment says little: on a busy machine V8
// also shrinks it when little is allocated per millisecond, and may take it again to a size it had, so it
// moves between 1 and 4 MB with the factor at 1 as well. Growing by V8's default factor takes it to 16 MB or
// more (32 MB on Node 20, 64 MB on Node 24 here); with the factor at 1 it stays under 8 MB.
const MB = 1024 * 1024
const MODULE = pathToFileURL(resolve(__dirname, '../../src/adapters/process/young-generation.ts')).href
const dir = mkdtempSync(join(tmpdir(), 'gantry-young-'))
const probe = join(dir, 'probe.mts')
writeFileSync(
  probe,
  `import { getHeapSpaceStatistics } from 'node:v8'
const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
const start = size()
let applied = null
if (process.argv[2] === 'keep') applied = (await import(${JSON.stringify(MODULE)})).keepYoungGenerationSmall()
const kept = []
let largest = start
for (let i = 0; i < 400_000; i++) {
  kept.push({ i, name: 'item-' + i, refs: [i, i + 1] })
  if (i % 1000 === 0) largest = Math.max(largest, size())
}
console.log(JSON.stringify({ start, largest: Math.max(largest, size()), end: size(), applied, kept: kept.length }))
`,
)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Probe {
  start: number
  largest: number
  end: number
  applied: string[] | null
  kept: number
}

function runProbe(nodeArgs: string[], mode: 'keep' | 'leave'): Promise<Probe> {
  return new Promise((done, fail) => {
    execFile(
      'node',
      [...nodeArgs, '--import', 'tsx', probe, mode],
      { cwd: resolve(__dirname, '../..') },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`probe failed: ${stderr}`))
        else done(JSON.parse(stdout) as Probe)
      },
    )
  })
}

describe('keepYoungGenerationSmall', () => {
  it('without it, the young generation grows while objects survive (the probe can tell)', async () => {
    const run = await runProbe([], 'leave')
    expect(run.kept).toBe(400_000)
    expect(run.largest).toBeGreaterThanOrEqual(16 * MB)
  })

  it('with it, the young generation does not grow while the same objects survive', async () => {
    const run = await runProbe([], 'keep')
    expect(run.applied).toContain('--semi-space-growth-factor=1')
    expect(run.kept).toBe(400_000)
    expect(run.largest).toBeLessThan(8 * MB)
  })

  it('leaves a process started with a young-generation flag of its own as its user set it', async () => {
    const run = await runProbe(['--semi-space-growth-factor=3'], 'keep')
    expect(run.applied).toEqual([])
    expect(run.largest).toBeGreaterThanOrEqual(16 * MB)
  })

  it('leaves a process started with a young-generation flag given with one dash, which node passes on to V8', async () => {
    // `node -semi-space-growth-factor=3 cli.js` starts, and V8 takes the flag as if it had two dashes.
    const run = await runProbe(['-semi-space-growth-factor=3'], 'keep')
    expect(run.applied).toEqual([])
    expect(run.largest).toBeGreaterThanOrEqual(16 * MB)
  })

  it('reads the flags from the command line and from NODE_OPTIONS, in either spelling', () => {
    const all = [
      '--semi-space-growth-factor=1',
      '--no-parallel-scavenge',
      '--no-concurrent-array-buffer-sweeping',
    ]
    expect(flagsToSet([], '')).toEqual(all)
    expect(
      flagsToSet(['--max-old-space-size=4096', '--trace-parallel-scavenge'], '--stack-size=2000'),
    ).toEqual(all)
    expect(flagsToSet(['--max-semi-space-size=8'], '')).toEqual([])
    expect(flagsToSet(['--min_semi_space_size=1'], '')).toEqual([])
    expect(flagsToSet([], '--max-old-space-size=4096 --max-semi-space-size=64')).toEqual([])
    expect(flagsToSet(['--semi_space_growth_factor=4'], '')).toEqual([])
    expect(flagsToSet(['-max-semi-space-size=64'], '')).toEqual([])
    expect(flagsToSet([], '"--max-semi-space-size=64"')).toEqual([])
    // A young-generation flag leaves the threads alone too: the young generation may be large.
    expect(flagsToSet(['--max-semi-space-size=64', '--no-parallel-scavenge'], '')).toEqual([])
    // A thread flag of the user's leaves that one to them, in any spelling.
    const sweepOnly = ['--semi-space-growth-factor=1', '--no-concurrent-array-buffer-sweeping']
    expect(flagsToSet(['--parallel-scavenge'], '')).toEqual(sweepOnly)
    expect(flagsToSet(['--no-parallel-scavenge'], '')).toEqual(sweepOnly)
    expect(flagsToSet(['--noparallel_scavenge'], '')).toEqual(sweepOnly)
    expect(flagsToSet([], '"--parallel-scavenge"')).toEqual(sweepOnly)
    const scavengeOnly = ['--semi-space-growth-factor=1', '--no-parallel-scavenge']
    expect(flagsToSet(['--concurrent-array-buffer-sweeping'], '')).toEqual(scavengeOnly)
    expect(flagsToSet([], '--no_concurrent_array_buffer_sweeping')).toEqual(scavengeOnly)
    // Those that imply both leave both.
    expect(flagsToSet([], '--single-threaded-gc')).toEqual(['--semi-space-growth-factor=1'])
    expect(flagsToSet(['-single_threaded'], '')).toEqual(['--semi-space-growth-factor=1'])
  })
})

// The threads of each scavenge, as V8 reports them: `--trace-parallel-scavenge` prints a line per thread that
// took part (`scavenge[...]: time=... copied=...`, idle ones included) before `--trace-gc` prints the scavenge's
// own line. Both go to standard output in the order V8 writes them. The probe starts a full collection
// (`testing`) once the flags are set, so that only the scavenges after it are counted; it makes hundreds of
// them, keeping objects alive as the loader does.
const threadsProbe = join(dir, 'threads.mts')
writeFileSync(
  threadsProbe,
  `let applied = null
if (process.argv[2] === 'keep') applied = (await import(${JSON.stringify(MODULE)})).keepYoungGenerationSmall()
globalThis.gc()
const kept = []
for (let i = 0; i < 400_000; i++) kept.push({ i, name: 'item-' + i, refs: [i, i + 1] })
process.stderr.write(JSON.stringify({ applied, kept: kept.length }))
`,
)

interface ThreadsProbe {
  applied: string[] | null
  kept: number
  /** For each scavenge after the flags were set, how many threads took part. */
  threads: number[]
}

function runThreadsProbe(nodeArgs: string[], mode: 'keep' | 'leave'): Promise<ThreadsProbe> {
  return new Promise((done, fail) => {
    execFile(
      'node',
      [
        ...nodeArgs,
        '--expose-gc',
        '--trace-gc',
        '--trace-parallel-scavenge',
        '--import',
        'tsx',
        threadsProbe,
        mode,
      ],
      { cwd: resolve(__dirname, '../..'), maxBuffer: 64 * MB },
      (error, stdout, stderr) => {
        if (error) return fail(new Error(`probe failed: ${stderr}`))
        const lines = stdout.split('\n')
        const from = lines.findIndex((line) => / Mark-Compact .* testing/.test(line))
        if (from < 0) return fail(new Error(`no full collection in the trace: ${stdout.slice(0, 2000)}`))
        const threads: number[] = []
        let count = 0
        for (const line of lines.slice(from + 1)) {
          if (/ scavenge\[/.test(line)) count++
          else if (/ Scavenge /.test(line)) {
            threads.push(count)
            count = 0
          } else if (/ Mark-Compact /.test(line)) count = 0
        }
        done({ ...(JSON.parse(stderr) as { applied: string[] | null; kept: number }), threads })
      },
    )
  })
}

describe('keepYoungGenerationSmall and the threads of each scavenge', () => {
  it('without it, V8 shares scavenges with helper threads (the probe can tell)', async () => {
    const run = await runThreadsProbe([], 'leave')
    expect(run.kept).toBe(400_000)
    expect(run.threads.length).toBeGreaterThan(5)
    expect(Math.max(...run.threads)).toBeGreaterThanOrEqual(2)
  })

  it('with it, each scavenge is made by the main thread alone', async () => {
    const run = await runThreadsProbe([], 'keep')
    expect(run.applied).toContain('--no-parallel-scavenge')
    expect(run.kept).toBe(400_000)
    expect(run.threads.length).toBeGreaterThan(50)
    expect(run.threads.every((n) => n === 1)).toBe(true)
  })

  it("leaves the scavenges' threads to a user who chose them, and still keeps the young generation small", async () => {
    const run = await runThreadsProbe(['--parallel-scavenge'], 'keep')
    expect(run.applied).toEqual(['--semi-space-growth-factor=1', '--no-concurrent-array-buffer-sweeping'])
    expect(run.threads.length).toBeGreaterThan(50)
    expect(Math.max(...run.threads)).toBeGreaterThanOrEqual(2)
  })
})

// Array buffers that die in a scavenge: V8 counts their bytes as external memory until they are freed and the
// main thread is told so. Swept by a helper, they are still counted when the scavenge returns (the main thread
// takes the helper's answer later, at the next array buffer or collection); swept by the main thread, they are
// not. The probe makes 32 buffers of 64 KiB that die, starts a scavenge, and reads V8's count before, with the
// buffers, and right after.
const buffersProbe = join(dir, 'buffers.mts')
writeFileSync(
  buffersProbe,
  `import { getHeapStatistics } from 'node:v8'
let applied = null
if (process.argv[2] === 'keep') applied = (await import(${JSON.stringify(MODULE)})).keepYoungGenerationSmall()
const external = () => getHeapStatistics().external_memory
const before = external()
let buffers = []
for (let i = 0; i < 32; i++) buffers.push(new ArrayBuffer(64 * 1024))
const full = external()
buffers = null
globalThis.gc({ type: 'minor' })
console.log(JSON.stringify({ applied, before, full, after: external() }))
`,
)

interface BuffersProbe {
  applied: string[] | null
  before: number
  full: number
  after: number
}

function runBuffersProbe(nodeArgs: string[], mode: 'keep' | 'leave'): Promise<BuffersProbe> {
  return new Promise((done, fail) => {
    execFile(
      'node',
      [...nodeArgs, '--expose-gc', '--import', 'tsx', buffersProbe, mode],
      { cwd: resolve(__dirname, '../..') },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`probe failed: ${stderr}`))
        else done(JSON.parse(stdout) as BuffersProbe)
      },
    )
  })
}

describe('keepYoungGenerationSmall and the array buffers that die in a scavenge', () => {
  const BUFFER_BYTES = 32 * 64 * 1024

  it('without it, they are still counted when the scavenge returns (the probe can tell)', async () => {
    const run = await runBuffersProbe([], 'leave')
    expect(run.full - run.before).toBeGreaterThanOrEqual(BUFFER_BYTES)
    expect(run.after - run.before).toBeGreaterThanOrEqual(BUFFER_BYTES)
  })

  it('with it, the scavenge frees them itself before it returns', async () => {
    const run = await runBuffersProbe([], 'keep')
    expect(run.applied).toContain('--no-concurrent-array-buffer-sweeping')
    expect(run.full - run.before).toBeGreaterThanOrEqual(BUFFER_BYTES)
    expect(run.after - run.before).toBeLessThan(BUFFER_BYTES / 2)
  })

  it('leaves the sweeping to a user who chose it', async () => {
    const run = await runBuffersProbe(['--concurrent-array-buffer-sweeping'], 'keep')
    expect(run.applied).toEqual(['--semi-space-growth-factor=1', '--no-parallel-scavenge'])
    expect(run.after - run.before).toBeGreaterThanOrEqual(BUFFER_BYTES)
  })
})
