import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { Octokit } from '@octokit/rest'

const GantryOctokit = Octokit.plugin(retry, throttling)
export type GitHubClient = InstanceType<typeof GantryOctokit>

export interface OctokitOptions {
  token: string
  baseUrl: string
  /** Seconds a rate-limited request may wait before the run stops and leaves the rest to the next run. */
  maxRateLimitWait?: number
  /**
   * Space writes as GitHub asks integrators to (one second apart, three for writes that notify people); on
   * by default. Off only for servers without secondary rate limits, such as a local GitHub in tests.
   */
  spaceWrites?: boolean
  log?: (message: string) => void
}

/** A limiter group that lets every job through at once, in place of the throttling plugin's spacing. */
const UNSPACED = {
  key: () => ({ schedule: (_options: unknown, task: (...args: unknown[]) => unknown, ...args: unknown[]) => Promise.resolve(task(...args)) }),
}

/**
 * The one place Octokit is built: retry for transient failures, throttling that waits on primary and
 * secondary rate limits when the wait fits, and gives up cleanly when it does not.
 */
export function createOctokit(options: OctokitOptions): GitHubClient {
  const maxWait = options.maxRateLimitWait ?? 60
  const log = options.log ?? (() => undefined)
  return new GantryOctokit({
    auth: options.token,
    baseUrl: options.baseUrl,
    userAgent: 'gantry',
    retry: { retries: 2, doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451] },
    throttle: {
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log(`rate limit on ${request.method} ${request.url}: retry after ${retryAfter}s`)
        return retryAfter <= maxWait && retryCount < 2
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log(`secondary rate limit on ${request.method} ${request.url}: retry after ${retryAfter}s`)
        return retryAfter <= maxWait && retryCount < 2
      },
      ...(options.spaceWrites === false ? { write: UNSPACED as never, notifications: UNSPACED as never } : {}),
    },
  })
}
