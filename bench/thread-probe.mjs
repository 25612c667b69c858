// Preloaded with --import (through NODE_OPTIONS) in one untimed run: at exit, writes to the file named by
// BENCH_THREADS_FILE the CPU time (user + system, ms) of the process's main thread, of its other threads and
// of the child processes it waited for (git), read from Linux's /proc (proc(5): a thread's utime and stime,
// fields 14 and 15 of /proc/self/task/<tid>/stat; the waited-for children's cutime and cstime, fields 16 and 17
// of /proc/self/stat; all in clock ticks, BENCH_CLK_TCK per second). The other threads are V8's and libuv's:
// the optimizing compiler and the concurrent parts of the collector run there. The process's own total
// (process.resourceUsage, children not included) is written beside them, as a check that the threads add up
// to it: a thread that ended before the process did is no longer listed (V8's and libuv's last as long as
// the process). Nothing is written where /proc is missing.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'

/**
 * The CPU fields of a line of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat, in clock ticks. The second
 * field, the name, is in parentheses and may itself hold spaces and parentheses: the fields are counted from
 * the last `)`, after which field 3 (the state) starts.
 */
export function cpuTicks(line) {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ')
  const field = (n) => Number(fields[n - 3])
  return { utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) }
}

const file = process.env.BENCH_THREADS_FILE
const ticksPerSecond = Number(process.env.BENCH_CLK_TCK)
if (file && ticksPerSecond > 0) {
  process.on('exit', () => {
    const ms = (ticks) => (ticks * 1000) / ticksPerSecond
    let mainMs = 0
    let otherMs = 0
    let threads = 0
    let childrenMs = 0
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        const { utime, stime } = cpuTicks(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'))
        if (Number(tid) === process.pid) mainMs += ms(utime + stime)
        else otherMs += ms(utime + stime)
        threads++
      }
      const { cutime, cstime } = cpuTicks(readFileSync('/proc/self/stat', 'utf8'))
      childrenMs = ms(cutime + cstime)
    } catch {
      return
    }
    const usage = process.resourceUsage()
    writeFileSync(
      file,
      JSON.stringify({
        mainMs,
        otherMs,
        threads,
        childrenMs,
        processMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
      }),
    )
  })
}
