import type { Diagnostic } from '../core/diagnostics.js'

/** The command could not run (bad usage, unreadable config): exit code 2, with the reasons. */
export class UsageError extends Error {
  override name = 'UsageError'
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
