import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { keepYoungGenerationSmall } from '../../src/adapters/process/young-generation.js'

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
  applied: boolean | null
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
    expect(run.applied).toBe(true)
    expect(run.kept).toBe(400_000)
    expect(run.largest).toBeLessThan(8 * MB)
  })

  it('leaves a process started with a young-generation flag of its own as its user set it', async () => {
    const run = await runProbe(['--semi-space-growth-factor=3'], 'keep')
    expect(run.applied).toBe(false)
    expect(run.largest).toBeGreaterThanOrEqual(16 * MB)
  })

  it('leaves a process started with a young-generation flag given with one dash, which node passes on to V8', async () => {
    // `node -semi-space-growth-factor=3 cli.js` starts, and V8 takes the flag as if it had two dashes.
    const run = await runProbe(['-semi-space-growth-factor=3'], 'keep')
    expect(run.applied).toBe(false)
    expect(run.largest).toBeGreaterThanOrEqual(16 * MB)
  })

  it('reads the flags from the command line and from NODE_OPTIONS, in either spelling', () => {
    // Only the answer is asked for here: each case below is one that returns before changing any flag.
    expect(keepYoungGenerationSmall(['--max-semi-space-size=8'], '')).toBe(false)
    expect(keepYoungGenerationSmall(['--min_semi_space_size=1'], '')).toBe(false)
    expect(keepYoungGenerationSmall([], '--max-old-space-size=4096 --max-semi-space-size=64')).toBe(false)
    expect(keepYoungGenerationSmall(['--semi_space_growth_factor=4'], '')).toBe(false)
    expect(keepYoungGenerationSmall(['-max-semi-space-size=64'], '')).toBe(false)
    expect(keepYoungGenerationSmall([], '"--max-semi-space-size=64"')).toBe(false)
  })
})
