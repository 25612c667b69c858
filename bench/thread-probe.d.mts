/** The CPU fields of a line of /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat, in clock ticks. */
export function cpuTicks(line: string): { utime: number; stime: number; cutime: number; cstime: number }
