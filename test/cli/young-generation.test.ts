import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { keepYoungGenerationSmall } from '../../src/adapters/process/young-generation.js'

// A process of its own for each case: V8's flags and heap belong to the process, and a test runner's own heap
// would say nothing about the CLI's. The probe keeps 400,000 small objects alive, as a repository's
// definitions are kept, and reports the young generation's size before and after.
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
for (let i = 0; i < 400_000; i++) kept.push({ i, name: 'item-' + i, refs: [i, i + 1] })
console.log(JSON.stringify({ start, end: size(), applied, kept: kept.length }))
`,
)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Probe {
  start: number
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
    expect(run.end).toBeGreaterThan(run.start)
  })

  it('with it, the young generation keeps its starting size while the same objects survive', async () => {
    const run = await runProbe([], 'keep')
    expect(run.applied).toBe(true)
    expect(run.kept).toBe(400_000)
    expect(run.end).toBe(run.start)
  })

  it('leaves a process started with a young-generation flag of its own as its user set it', async () => {
    const run = await runProbe(['--semi-space-growth-factor=3'], 'keep')
    expect(run.applied).toBe(false)
    expect(run.end).toBeGreaterThan(run.start)
  })

  it('leaves a process started with a young-generation flag given with one dash, which node passes on to V8', async () => {
    // `node -semi-space-growth-factor=3 cli.js` starts, and V8 takes the flag as if it had two dashes.
    const run = await runProbe(['-semi-space-growth-factor=3'], 'keep')
    expect(run.applied).toBe(false)
    expect(run.end).toBeGreaterThan(run.start)
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
