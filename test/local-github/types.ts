// Public types of the local GitHub: options, the records it keeps in memory (also what
// `getState()` returns), the request log, validation violations and faults.

/**
 * GitHub's repository roles, lowest first ("Repository roles for an organization"): read, triage (manage issues
 * and pull requests: labels, close, reopen; no push, no merge), write (push, merge), maintain (write and
 * repository settings short of destructive ones), admin.
 */
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read'
export type AccountType = 'User' | 'Bot'

export interface LocalGitHubOptions {
  /** Keep the temporary directory with the bare repositories after `stop()` (for debugging). */
  keepFiles?: boolean
  /** Check every /api/v3 request against GitHub's REST API description (default true). */
  validateRequests?: boolean
  /** Answer requests that fail validation anyway, after recording the violation (default false: refuse like GitHub). */
  lenientValidation?: boolean
}

export interface AddUserOptions {
  token: string
  /** The user's permission on every repository unless `setPermission` says otherwise. */
  permission: Permission
  type?: AccountType
  name?: string
  email?: string
  /**
   * For a Bot (an App installation token): the organization permission "Members: read", without which team
   * memberships are not readable (403). People read the teams of organizations they belong to.
   */
  readsOrgMembers?: boolean
}

export interface CreateRepositoryOptions {
  defaultBranch?: string
  /** Seed the default branch with one commit holding the files of this directory. */
  fromDirectory?: string
  /** Seed the default branch with these files (path → content), merged over `fromDirectory`. */
  files?: Record<string, string>
  /** Leave the repository without any commit (no default branch yet). */
  empty?: boolean
  /** Branches to create at the seed commit: names, or name → start point (a ref or sha). */
  branches?: string[] | Record<string, string>
  description?: string
  /** Commit message of the seed commit. */
  message?: string
}

export interface RepositoryHandle {
  owner: string
  name: string
  fullName: string
  /** The bare repository on disk. */
  gitDir: string
  /** Clone URL carrying a token, as Actions builds it. */
  cloneUrl(token: string): string
}

export interface BranchProtection {
  /** Approving reviews required on the current head by reviewers with write access, not the author. */
  requiredApprovals: number
  /** Count only approvals given on the current head sha (default true). */
  dismissStaleReviews: boolean
  /** The user who made the most recent push to the head branch cannot approve it (default false). */
  requireLastPushApproval: boolean
  /**
   * Accept pushes and API ref updates to the branch from users with write access (default false: as on
   * GitHub, a branch that requires reviews changes only through pull requests).
   */
  allowDirectPushes: boolean
  /** Protection binds admins too (default false: admins may push directly). */
  enforceAdmins: boolean
  /** Checks that must have succeeded on the head commit before a merge (default none). */
  requiredStatusChecks: RequiredStatusCheck[]
}

/**
 * A required status check (branch protection's "Require status checks to pass" or a ruleset's
 * `required_status_checks` rule): a check run or commit status named `context`; with `app`, only a check run
 * created by that App (here: the Bot account standing for it) satisfies it, as with `integration_id`.
 */
export interface RequiredStatusCheck {
  context: string
  app?: string
}

/**
 * A repository ruleset ("About rulesets", "Available rules for rulesets"): rules applied to the branches or
 * tags whose names match `include` (fnmatch: `*` stops at `/`, `**` crosses it), except for its bypass actors.
 */
export interface Ruleset {
  id: number
  name: string
  target: 'branch' | 'tag'
  /** Ref name patterns without `refs/heads/` or `refs/tags/`, e.g. `env/**`, `*@*`; `~ALL` matches all. */
  include: string[]
  /** Logins that bypass every rule of the set (an App's bot login, or people). */
  bypass: string[]
  /** "Restrict creations": only bypass actors may create matching refs. */
  restrictCreations?: boolean
  /** "Restrict updates": only bypass actors may update matching refs, by push or by merge. */
  restrictUpdates?: boolean
  /** "Restrict deletions". */
  restrictDeletions?: boolean
  /** "Block force pushes". */
  blockForcePushes?: boolean
  /** "Require a pull request before merging", with this many approvals. */
  requiredApprovals?: number
  /** "Require status checks to pass". */
  requiredStatusChecks?: RequiredStatusCheck[]
}

/** A ref change, by git push, by the API, or by a merge. */
export interface PushRecord {
  ref: string
  before: string | null
  after: string | null
  login: string
  via: 'git' | 'api' | 'merge'
  at: string
}

export interface UserRecord {
  id: number
  login: string
  type: AccountType
  permission: Permission
  name: string
  email: string
  readsOrgMembers: boolean
}

export interface LabelRecord {
  id: number
  name: string
  color: string
  description: string | null
  default: boolean
}

export interface PullData {
  headRef: string
  /** Head sha, refreshed on every read and after every push or ref update. */
  headSha: string
  baseRef: string
  draft: boolean
  merged: boolean
  mergedAt: string | null
  mergedBy: string | null
  mergeCommitSha: string | null
  /** The base branch's sha just before the merge (keeps commits and files listable afterwards). */
  baseShaAtMerge: string | null
  maintainerCanModify: boolean
  requestedReviewers: string[]
  requestedTeams: string[]
}

export interface IssueRecord {
  id: number
  number: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  stateReason: 'completed' | 'not_planned' | 'reopened' | 'duplicate' | null
  user: string
  labels: string[]
  assignees: string[]
  locked: boolean
  createdAt: string
  updatedAt: string
  closedAt: string | null
  closedBy: string | null
  /** Set when the issue is a pull request. */
  pull: PullData | null
}

export interface CommentRecord {
  id: number
  issueNumber: number
  body: string
  user: string
  createdAt: string
  updatedAt: string
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING'

export interface ReviewRecord {
  id: number
  pullNumber: number
  user: string
  body: string
  state: ReviewState
  commitId: string
  submittedAt: string | null
}

export interface ReleaseRecord {
  id: number
  tagName: string
  targetCommitish: string
  name: string | null
  body: string | null
  draft: boolean
  prerelease: boolean
  author: string
  createdAt: string
  publishedAt: string | null
  /** Published while the repository had immutable releases on: its assets and tag are fixed. */
  immutable: boolean
}

export interface AssetRecord {
  id: number
  releaseId: number
  name: string
  label: string | null
  contentType: string
  size: number
  /** `sha256:<hex>` of the bytes, as GitHub reports it. */
  digest: string
  uploader: string
  createdAt: string
  updatedAt: string
  data: Uint8Array
}

export interface CheckRunRecord {
  id: number
  name: string
  headSha: string
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending'
  conclusion: string | null
  startedAt: string
  completedAt: string | null
  externalId: string | null
  detailsUrl: string | null
  title: string | null
  summary: string | null
  text: string | null
  annotations: unknown[]
  creator: string
}

export interface StatusRecord {
  id: number
  sha: string
  state: 'error' | 'failure' | 'pending' | 'success'
  context: string
  description: string | null
  targetUrl: string | null
  creator: string
  createdAt: string
}

export interface RepositoryRecord {
  id: number
  owner: string
  name: string
  description: string | null
  defaultBranch: string
  gitDir: string
  createdAt: string
  /** Per-user permissions overriding the users' own. */
  permissions: Record<string, Permission>
  protection: Record<string, BranchProtection>
  rulesets: Ruleset[]
  /** "Immutable releases": once published, a release's assets and tag cannot change. */
  immutableReleases: boolean
  labels: LabelRecord[]
  issues: IssueRecord[]
  comments: CommentRecord[]
  reviews: ReviewRecord[]
  releases: ReleaseRecord[]
  assets: AssetRecord[]
  checkRuns: CheckRunRecord[]
  statuses: StatusRecord[]
  pushes: PushRecord[]
}

export interface TeamRecord {
  org: string
  slug: string
  members: string[]
}

/** What `getState()` returns: a deep copy, safe to keep and compare. */
export interface LocalGitHubState {
  users: UserRecord[]
  teams: TeamRecord[]
  repositories: Record<string, RepositoryRecord>
}

export interface RequestLogEntry {
  seq: number
  method: string
  /** Path without the query, e.g. /api/v3/repos/acme/defs/pulls. */
  path: string
  query: Record<string, string>
  /** The matched operation, e.g. pulls/create; null for unknown routes. */
  operationId: string | null
  /** The matched path template, e.g. /repos/{owner}/{repo}/pulls. */
  route: string | null
  login: string | null
  status: number
  body: unknown
  fault: FaultKind | null
  durationMs: number
}

export interface GitRequestLogEntry {
  method: string
  path: string
  login: string | null
  service: 'upload-pack' | 'receive-pack' | null
  status: number
}

export interface Violation {
  kind: 'unknown-route' | 'not-implemented' | 'invalid-parameters' | 'invalid-body' | 'unparsable-body'
  method: string
  path: string
  operationId: string | null
  message: string
  details: unknown[]
}

export type FaultKind =
  | '5xx-after-write'
  | '5xx-before-write'
  | 'secondary-rate-limit'
  | 'primary-rate-limit'
  | 'mergeable-null'
  | 'token-revoked'
  | 'base-moved'

export interface FaultSpec {
  kind: FaultKind
  /** HTTP method to match (any when omitted). */
  method?: string
  /**
   * Which requests: an operationId ('pulls/create'), a path template ('/repos/{owner}/{repo}/pulls'),
   * or a RegExp tested against the request path below /api/v3 ('/repos/acme/defs/pulls/1').
   * Any request when omitted.
   */
  route?: string | RegExp
  /** How many matching requests the fault hits (default 1). */
  times?: number
  /** Only requests made with this user's token. */
  login?: string
  /** secondary-rate-limit: `retry-after` seconds (default 1). primary-rate-limit: seconds until reset (default 1). */
  retryAfterSeconds?: number
  /** 5xx faults: the status to answer (default 502). */
  status?: number
}

export interface FaultHandle {
  readonly spec: FaultSpec
  /** How many requests the fault has hit so far. */
  readonly hits: number
  readonly remaining: number
  remove(): void
}
