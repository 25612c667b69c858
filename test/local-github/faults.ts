// Faults on demand: GitHub's failure modes that a promotion pipeline must survive.
import type { FaultHandle, FaultKind, FaultSpec } from './types.js'

export interface FaultTarget {
  method: string
  /** Path below /api/v3, e.g. /repos/acme/defs/pulls/1. */
  path: string
  operationId: string | null
  route: string | null
  login: string | null
}

class ActiveFault implements FaultHandle {
  hits = 0
  constructor(
    readonly spec: FaultSpec,
    private readonly owner: FaultRegistry,
  ) {}

  get remaining(): number {
    return Math.max(0, (this.spec.times ?? 1) - this.hits)
  }

  remove(): void {
    this.owner.remove(this)
  }

  matches(target: FaultTarget, kinds: readonly FaultKind[]): boolean {
    const { spec } = this
    if (!kinds.includes(spec.kind) || this.remaining === 0) return false
    if (spec.method && spec.method.toUpperCase() !== target.method) return false
    if (spec.login && spec.login !== target.login) return false
    const route = spec.route
    if (route === undefined) return true
    if (typeof route === 'string')
      return route === target.operationId || route === target.route || route === target.path
    route.lastIndex = 0
    return route.test(target.path)
  }
}

export class FaultRegistry {
  private faults: ActiveFault[] = []

  add(spec: FaultSpec): FaultHandle {
    const fault = new ActiveFault(spec, this)
    this.faults.push(fault)
    return fault
  }

  remove(fault: FaultHandle): void {
    this.faults = this.faults.filter((candidate) => candidate !== fault)
  }

  clear(): void {
    this.faults = []
  }

  /** Takes one hit of the first fault of one of `kinds` matching the request, if any. */
  take(target: FaultTarget, kinds: readonly FaultKind[]): FaultSpec | null {
    const fault = this.faults.find((candidate) => candidate.matches(target, kinds))
    if (!fault) return null
    fault.hits += 1
    return fault.spec
  }
}

export const SECONDARY_RATE_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.'

export function primaryRateLimitMessage(userId: number | null): string {
  return `API rate limit exceeded for user ID ${userId ?? 0}. If you reach out to GitHub Support for help, please include the request ID.`
}
