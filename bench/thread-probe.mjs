// Preloaded with --import (through NODE_OPTIONS) in one untimed run: at exit, writes to the file named by
// BENCH_THREADS_FILE the CPU time (user + system, ms) of the process's main thread and of its other threads,
// read from Linux's /proc/self/task/<tid>/stat (fields 14 and 15, utime and stime, in clock ticks of
// BENCH_CLK_TCK per second; proc(5)). The other threads are V8's and libuv's: the optimizing compiler and the
// concurrent parts of the collector run there. The process's own total (process.resourceUsage) is written
// beside them, as a check that the threads add up to it: a thread that ended before the process did is no
// longer listed (V8's and libuv's last as long as the process). Nothing is written where /proc is missing.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'

const file = process.env.BENCH_THREADS_FILE
const ticksPerSecond = Number(process.env.BENCH_CLK_TCK)
if (file && ticksPerSecond > 0) {
  process.on('exit', () => {
    let mainMs = 0
    let otherMs = 0
    let threads = 0
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
        // The name (field 2) is in parentheses and may hold spaces: the fields are counted after its `)`.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
        if (Number(tid) === process.pid) mainMs += ms
        else otherMs += ms
        threads++
      }
    } catch {
      return
    }
    const usage = process.resourceUsage()
    writeFileSync(
      file,
      JSON.stringify({ mainMs, otherMs, threads, processMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }),
    )
  })
}
