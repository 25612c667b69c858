import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { measureThreads } from '../../bench/measure.js'
import { cpuTicks } from '../../bench/thread-probe.mjs'

// The bench's split of a process's CPU time between its main thread and the others (bench/thread-probe.mjs),
// checked on real processes whose busy thread is known. /proc is Linux's: elsewhere the bench prints no split.
const run = (code: string) =>
  measureThreads((env) => {
    const child = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, ...env } })
    expect(child.status, child.stderr.toString()).toBe(0)
  })

// Busy until the process as a whole has used this much more CPU (the other threads are idle meanwhile), however
// slow or loaded the machine.
const BUSY_MS = 400
const busyUntil = `for (const t = process.cpuUsage(); process.cpuUsage(t).user + process.cpuUsage(t).system < ${BUSY_MS * 1000};);`

describe('reading a line of /proc/<pid>/stat', () => {
  it('takes utime, stime, cutime and cstime (fields 14-17) whatever the name in parentheses holds', () => {
    // Fields 1-2, then 3 to 19 numbered by their own value, so that a field taken one off shows.
    const fields = Array.from({ length: 17 }, (_, i) => String(i + 3))
    for (const name of ['node', 'a b', 'x) (y', ') 1 2 3 (']) {
      expect(cpuTicks(`4242 (${name}) ${fields.join(' ')}`)).toEqual({ utime: 14, stime: 15, cutime: 16, cstime: 17 })
    }
  })
})

describe.skipIf(!existsSync('/proc/self/task'))("the bench's split of CPU time by thread", () => {
  it('counts a busy main thread as the main thread, and the threads add up to the process', () => {
    const split = run(busyUntil)!
    expect(split).toBeDefined()
    expect(split.threads).toBeGreaterThan(1)
    // Clock ticks of 10 ms on most machines (each figure rounded down by up to a tick per thread), and V8 may
    // compile the loop on a thread of its own meanwhile.
    expect(split.mainMs).toBeGreaterThanOrEqual(BUSY_MS - 50)
    expect(split.otherMs).toBeLessThan(split.mainMs)
    expect(Math.abs(split.mainMs + split.otherMs - split.processMs)).toBeLessThanOrEqual(10 * split.threads + 50)
  })

  it('counts a busy worker as another thread while the main thread waits', () => {
    // The worker stays alive, blocked, until the process exits: /proc lists only the threads still running.
    const worker = `${busyUntil} require('node:worker_threads').parentPort.postMessage('done');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);`
    const split = run(
      `const { Worker } = require('node:worker_threads');` +
        `new Worker(${JSON.stringify(worker)}, { eval: true }).on('message', () => process.exit(0));`,
    )!
    expect(split).toBeDefined()
    expect(split.otherMs).toBeGreaterThan(split.mainMs)
    expect(split.otherMs).toBeGreaterThanOrEqual(BUSY_MS - 50)
  })
})
