/** How far long work is: `phase` (what is being done), `done` of `total` steps. */
export type ProgressReport = (phase: string, done: number, total: number) => void

export interface Progress {
  report: ProgressReport
  /** Clears the line before the command prints its result. */
  done(): void
}

/** Redraws at most this often: a repository of 50,000 files must not spend its time drawing. */
const INTERVAL_MS = 100

/**
 * Progress on one line of stderr, redrawn in place, only for a person at a terminal: nothing on a pipe, in a
 * log or with --format json, where the line would be noise in what a program reads.
 */
export function terminalProgress(
  stderr: NodeJS.WritableStream & { isTTY?: boolean },
  enabled: boolean,
  now: () => number = Date.now,
): Progress {
  if (!enabled || stderr.isTTY !== true) return { report: () => {}, done: () => {} }
  let last = -Infinity
  let shown = false
  return {
    report(phase, done, total) {
      const t = now()
      // The first and the last step are always drawn; those between, at most once per interval.
      if (done !== 0 && done !== total && t - last < INTERVAL_MS) return
      last = t
      shown = true
      const percent = total > 0 ? ` (${Math.floor((done / total) * 100)}%)` : ''
      stderr.write(`\r\u001b[2K${phase} ${done}/${total}${percent}`)
    },
    done() {
      if (shown) stderr.write('\r\u001b[2K')
      shown = false
    },
  }
}
