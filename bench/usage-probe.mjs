// Preloaded with --import when /usr/bin/time is missing: at exit, writes the process's peak RSS (KB) and
// CPU time (ms) to the file named by BENCH_USAGE_FILE.
import { writeFileSync } from 'node:fs'

const file = process.env.BENCH_USAGE_FILE
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage()
    writeFileSync(
      file,
      JSON.stringify({ rssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 }),
    )
  })
}
