/**
 * A promotion request as Gantry derives it on every run: from a promotion pull request, its hidden marker,
 * its reviews and comments. Nothing here is remembered between runs.
 */
export type PromotionStatus = 'ACCEPTED' | 'SCHEDULED' | 'APPLIED' | 'REJECTED' | 'CANCELED' | 'SUPERSEDED'

/** The machine-readable marker in a promotion pull request's body. */
export interface PromotionMarker {
  package: string
  version: string
  environment: string
  digest: string
  /** The version this replaces in the environment (null: first apply). */
  from: string | null
  rollback: boolean
  /** ISO 8601 release date from the package's environment settings, if any. */
  releaseAt: string | null
  /** Set when the request ended without being applied. */
  status?: 'REJECTED' | 'CANCELED' | 'SUPERSEDED'
  reason?: string
  /** Who asked for it: a tag, a release, a dispatch, or the previous environment's merge. */
  requestedBy: string
}

export interface ReviewFact {
  id: number
  reviewer: string
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING'
  /** The head SHA the review was made on. */
  commitId: string
  submittedAt: string
  body?: string
}

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none'

export interface ApprovalInput {
  reviews: readonly ReviewFact[]
  headSha: string
  /** The pull request's author (normally the bot). */
  author: string
  /** The bot's own login: its reviews never count. */
  bot: string
  /** Everyone who pushed commits to the promotion branch other than the bot: their reviews do not count. */
  pushers: readonly string[]
  /** Repository permission of each reviewer (only write, maintain and admin may approve). */
  permissions: ReadonlyMap<string, Permission>
  /** The environment's `reviewers` (logins and "@org/team"); undefined: anyone with write access. */
  reviewers?: readonly string[]
  /** Members of each "@org/team" named in reviewers. */
  teamMembers: ReadonlyMap<string, readonly string[]>
  required: number
  /** `before` instructions with whether their checkbox is ticked in the body. */
  instructions: readonly { step: string; ticked: boolean }[]
}

export interface ApprovalDecision {
  /** Enough eligible approvals on the current head and every before-instruction ticked. */
  approved: boolean
  approvers: { login: string; sha: string }[]
  /** Reviews that do not count, and why (author, bot, pusher, no write access, not an eligible reviewer, stale SHA, superseded). */
  ignored: { login: string; reason: string }[]
  /** The latest decisive review of these reviewers requests changes: the request is REJECTED. */
  changesRequested: { login: string; body: string }[]
  missingApprovals: number
  unticked: string[]
}
