// The local GitHub: one loopback HTTP server for git (smart HTTP over real bare repositories) and
// the REST API (/api/v3, uploads under /api/uploads), plus a test API to arrange scenarios and faults.
import { randomUUID } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { API_PREFIX, handleApiRequest, UPLOADS_PREFIX, type ApiDependencies } from './api.js'
import { FaultRegistry } from './faults.js'
import { handleGitRequest, isGitRequest } from './git-http.js'
import { pushCheckEnv, type TreeChange } from './git-plumbing.js'
import { Hub } from './hub.js'
import { operationTable } from './openapi-validator.js'
import { createComment } from './routes/issues.js'
import { changeKind, directChangeRefusal, pushRefusalText } from './rules.js'
import {
  approvalStatus,
  createPull,
  createReview,
  findPull,
  mergePull,
  type ApprovalStatus,
  type MergeInput,
  type OpenPullRequestInput,
  type ReviewEvent,
} from './routes/pulls.js'
import { downloadAsset } from './routes/releases.js'
import type {
  AddUserOptions,
  BranchProtection,
  CommentRecord,
  CreateRepositoryOptions,
  FaultHandle,
  FaultSpec,
  GitRequestLogEntry,
  IssueRecord,
  LocalGitHubOptions,
  LocalGitHubState,
  Permission,
  RepositoryHandle,
  RepositoryRecord,
  RequestLogEntry,
  ReviewRecord,
  Ruleset,
  UserRecord,
  Violation,
} from './types.js'

export type * from './types.js'
/** Where git's pre-receive hook asks whether a push is accepted (not a GitHub route). */
const PUSH_CHECK_PREFIX = '/_local/push-check/'

export type { ApprovalStatus, MergeInput, OpenPullRequestInput, ReviewEvent } from './routes/pulls.js'

export interface CommitFilesInput {
  branch: string
  /** path → new content, or null to delete the path. */
  files: Record<string, string | null>
  message: string
  /** Login of the author (and committer); defaults to a neutral identity. */
  author?: string
  /** Create the branch from this ref or sha when it does not exist. */
  from?: string
}

export interface LocalGitHub {
  /** http://127.0.0.1:PORT/api/v3: pass it to Octokit as `baseUrl`, or as GITHUB_API_URL. */
  readonly baseUrl: string
  /** http://127.0.0.1:PORT: the web origin (GITHUB_SERVER_URL). */
  readonly webUrl: string
  readonly port: number
  /** The temporary directory holding the bare repositories. */
  readonly root: string
  /** Clone URL as Actions builds it: http://x-access-token:TOKEN@127.0.0.1:PORT/owner/repo.git. */
  gitUrl(owner: string, repo: string, token?: string): string

  addUser(login: string, options: AddUserOptions): UserRecord
  /** A team `@org/slug` with these members. */
  addTeam(org: string, slug: string, members: string[]): void
  /** Overrides a user's permission on one repository. */
  setPermission(owner: string, repo: string, login: string, permission: Permission): void
  revokeToken(token: string): void
  restoreToken(token: string): void

  createRepository(owner: string, repo: string, options?: CreateRepositoryOptions): Promise<RepositoryHandle>
  protectBranch(owner: string, repo: string, branch: string, protection: Partial<BranchProtection>): void
  unprotectBranch(owner: string, repo: string, branch: string): void
  /** A repository ruleset (restrict creations/updates/deletions, reviews, status checks) with its bypass actors. */
  addRuleset(owner: string, repo: string, ruleset: Omit<Ruleset, 'id'>): Ruleset
  removeRuleset(owner: string, repo: string, id: number): void
  /** The repository's "immutable releases" setting: published releases refuse asset changes. */
  setImmutableReleases(owner: string, repo: string, enabled: boolean): void
  /** Commits files to a branch directly (a push without a clone); returns the new commit sha. */
  commitFiles(owner: string, repo: string, input: CommitFilesInput): Promise<string>
  /** The sha a ref (refs/heads/x, a branch or tag name, or a sha) resolves to, or null. */
  resolveRef(owner: string, repo: string, ref: string): Promise<string | null>

  openPullRequestAs(
    login: string,
    owner: string,
    repo: string,
    input: OpenPullRequestInput,
  ): Promise<IssueRecord>
  review(
    login: string,
    owner: string,
    repo: string,
    pullNumber: number,
    event: ReviewEvent,
    options?: { body?: string; commitId?: string },
  ): Promise<ReviewRecord>
  comment(
    login: string,
    owner: string,
    repo: string,
    issueNumber: number,
    body: string,
  ): Promise<CommentRecord>
  mergePullRequestAs(
    login: string,
    owner: string,
    repo: string,
    pullNumber: number,
    input?: MergeInput,
  ): Promise<string>
  /** What branch protection makes of a pull request's reviews right now. */
  approvalStatus(owner: string, repo: string, pullNumber: number): Promise<ApprovalStatus>

  /** A deep copy of the in-memory state (pull requests, reviews, comments, labels, releases, issues, checks). */
  getState(): LocalGitHubState
  /** Every /api/v3 and upload request, in order. */
  readonly requests: readonly RequestLogEntry[]
  readonly requestCount: number
  resetRequestLog(): void
  readonly gitRequests: readonly GitRequestLogEntry[]
  /** Requests GitHub would refuse (unknown route, invalid parameters or body). Tests assert it stays empty. */
  readonly violations: readonly Violation[]
  clearViolations(): void

  injectFault(spec: FaultSpec): FaultHandle
  clearFaults(): void

  stop(): Promise<void>

  /** The state behind the server: for the workflow runner (test/local-github/workflows), which listens to its events. */
  readonly hub: Hub
}

class LocalGitHubServer implements LocalGitHub {
  private readonly log: RequestLogEntry[] = []
  private readonly gitLog: GitRequestLogEntry[] = []
  private readonly violationLog: Violation[] = []
  private readonly faults = new FaultRegistry()
  private readonly pushChecks = new Map<string, { record: RepositoryRecord; login: string }>()
  private seq = 0
  port = 0

  constructor(
    private readonly server: Server,
    readonly hub: Hub,
    private readonly options: LocalGitHubOptions,
  ) {}

  get root(): string {
    return this.hub.root
  }

  get baseUrl(): string {
    return this.hub.apiUrl
  }

  get webUrl(): string {
    return this.hub.webUrl
  }

  gitUrl(owner: string, repo: string, token?: string): string {
    const auth = token === undefined ? '' : `x-access-token:${encodeURIComponent(token)}@`
    return `http://${auth}127.0.0.1:${this.port}/${owner}/${repo}.git`
  }

  listen(): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port
        this.hub.webUrl = `http://127.0.0.1:${this.port}`
        this.hub.apiUrl = `${this.hub.webUrl}${API_PREFIX}`
        resolvePromise()
      })
    })
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.hub.webUrl)
    if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      return handleApiRequest(req, res, url, API_PREFIX, this.apiDependencies())
    }
    if (url.pathname.startsWith(`${UPLOADS_PREFIX}/`)) {
      return handleApiRequest(req, res, url, UPLOADS_PREFIX, this.apiDependencies())
    }
    if (url.pathname.startsWith(PUSH_CHECK_PREFIX) && req.method === 'POST') {
      return this.answerPushCheck(req, res, url.pathname.slice(PUSH_CHECK_PREFIX.length))
    }
    if (isGitRequest(url.pathname)) {
      return handleGitRequest(req, res, url, {
        projectRoot: this.hub.root,
        userForToken: (token) => this.hub.userForToken(token),
        permissionOf: (login, owner, repo) => {
          const record = this.hub.findRepository(owner, repo)
          return record ? this.hub.permissionOf(login, record) : null
        },
        repositoryExists: (owner, repo) => this.hub.findRepository(owner, repo) !== undefined,
        startPush: async (owner, repo, login) => {
          const record = this.repository(owner, repo)
          const before = await this.hub.snapshotRefs(record)
          const nonce = randomUUID()
          this.pushChecks.set(nonce, { record, login })
          return {
            env: pushCheckEnv(`${this.hub.webUrl}${PUSH_CHECK_PREFIX}${nonce}`),
            finish: async () => {
              this.pushChecks.delete(nonce)
              await this.hub.recordRefChanges(record, before, login)
              await this.hub.syncPullHeads(record)
            },
          }
        },
        log: (entry) => this.gitLog.push(entry),
      })
    }
    req.resume()
    const download = /^\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'GET' && download) {
      const [, owner = '', name = '', tag = '', file = ''] = download.map((part) => decodeURIComponent(part))
      const asset = downloadAsset(this.hub, owner, name, tag, file)
      if (asset) {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(asset.size),
        })
        res.end(Buffer.from(asset.data))
        return
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('Not Found\n')
  }

  /**
   * The pre-receive hook's question for one push: the refusal text for the first ref change that branch
   * protection or a ruleset forbids (GitHub refuses the whole push), or an empty answer.
   */
  private async answerPushCheck(req: IncomingMessage, res: ServerResponse, nonce: string): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const push = this.pushChecks.get(nonce)
    let answer = push ? '' : 'error: unknown push\n'
    if (push) {
      for (const line of Buffer.concat(chunks).toString().split('\n')) {
        const [before = '', after = '', ref = '', fastForward = 'ff'] = line.trim().split(' ')
        if (!ref) continue
        const change = changeKind(before, after)
        const forced = fastForward === 'forced'
        // refs/pull/* belong to GitHub: pushes to them are refused.
        if (ref.startsWith('refs/pull/')) {
          answer = `error: deny updating a hidden ref ${ref}`
          break
        }
        const refusal = directChangeRefusal(this.hub, push.record, push.login, ref, change, forced)
        if (refusal) {
          answer = pushRefusalText(push.record, this.hub.webUrl, refusal)
          break
        }
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    res.end(answer)
  }

  private apiDependencies(): ApiDependencies {
    return {
      hub: this.hub,
      table: operationTable(),
      faults: this.faults,
      validate: this.options.validateRequests ?? true,
      lenient: this.options.lenientValidation ?? false,
      log: this.log,
      violations: this.violationLog,
      nextSeq: () => ++this.seq,
    }
  }

  private repository(owner: string, repo: string): RepositoryRecord {
    const record = this.hub.findRepository(owner, repo)
    if (!record) throw new Error(`no repository ${owner}/${repo}`)
    return record
  }

  private user(login: string): UserRecord {
    const user = this.hub.findUser(login)
    if (!user) throw new Error(`no user ${login}`)
    return user
  }

  addUser(login: string, options: AddUserOptions): UserRecord {
    return this.hub.addUser(login, options)
  }

  addTeam(org: string, slug: string, members: string[]): void {
    this.hub.addTeam(org, slug, members)
  }

  setPermission(owner: string, repo: string, login: string, permission: Permission): void {
    this.repository(owner, repo).permissions[this.user(login).login] = permission
  }

  revokeToken(token: string): void {
    this.hub.revokeToken(token)
  }

  restoreToken(token: string): void {
    this.hub.restoreToken(token)
  }

  async createRepository(
    owner: string,
    repo: string,
    options: CreateRepositoryOptions = {},
  ): Promise<RepositoryHandle> {
    const record = await this.hub.createRepository(owner, repo, options)
    return {
      owner,
      name: repo,
      fullName: `${owner}/${repo}`,
      gitDir: record.gitDir,
      cloneUrl: (token: string) => this.gitUrl(owner, repo, token),
    }
  }

  protectBranch(owner: string, repo: string, branch: string, protection: Partial<BranchProtection>): void {
    this.repository(owner, repo).protection[branch] = {
      requiredApprovals: protection.requiredApprovals ?? 1,
      dismissStaleReviews: protection.dismissStaleReviews ?? true,
      requireLastPushApproval: protection.requireLastPushApproval ?? false,
      allowDirectPushes: protection.allowDirectPushes ?? false,
      enforceAdmins: protection.enforceAdmins ?? false,
      requiredStatusChecks: protection.requiredStatusChecks ?? [],
    }
  }

  addRuleset(owner: string, repo: string, ruleset: Omit<Ruleset, 'id'>): Ruleset {
    const record: Ruleset = { ...structuredClone(ruleset), id: this.hub.nextId() }
    this.repository(owner, repo).rulesets.push(record)
    return record
  }

  removeRuleset(owner: string, repo: string, id: number): void {
    const record = this.repository(owner, repo)
    record.rulesets = record.rulesets.filter((set) => set.id !== id)
  }

  setImmutableReleases(owner: string, repo: string, enabled: boolean): void {
    this.repository(owner, repo).immutableReleases = enabled
  }

  unprotectBranch(owner: string, repo: string, branch: string): void {
    delete this.repository(owner, repo).protection[branch]
  }

  async commitFiles(owner: string, repo: string, input: CommitFilesInput): Promise<string> {
    const record = this.repository(owner, repo)
    const git = this.hub.git(record)
    const ref = `refs/heads/${input.branch}`
    const parent = (await git.readRef(ref)) ?? (input.from ? await git.resolveCommitish(input.from) : null)
    const current = await git.readRef(ref)
    const parentCommit = parent ? await git.readCommit(parent) : null
    const changes: TreeChange[] = []
    for (const [path, content] of Object.entries(input.files)) {
      changes.push({
        path,
        mode: '100644',
        sha: content === null ? null : await git.writeBlob(Buffer.from(content)),
      })
    }
    const tree = await git.editTree(parentCommit?.tree ?? null, changes)
    const author = input.author
      ? this.hub.identityOf(this.user(input.author))
      : { name: 'Local GitHub', email: 'local-github@example.invalid' }
    const sha = await git.commitTree(tree, parent ? [parent] : [], input.message, author, author)
    if (!(await git.updateRef(ref, sha, current))) throw new Error(`${ref} moved while committing`)
    this.hub.recordPush(record, {
      ref,
      before: current,
      after: sha,
      login: input.author ?? 'local-github',
      via: 'git',
    })
    await this.hub.syncPullHeads(record)
    return sha
  }

  async resolveRef(owner: string, repo: string, ref: string): Promise<string | null> {
    const git = this.hub.git(this.repository(owner, repo))
    return ref.startsWith('refs/') ? git.readRef(ref) : git.resolveCommitish(ref)
  }

  async openPullRequestAs(
    login: string,
    owner: string,
    repo: string,
    input: OpenPullRequestInput,
  ): Promise<IssueRecord> {
    return structuredClone(await createPull(this.hub, this.repository(owner, repo), this.user(login), input))
  }

  async review(
    login: string,
    owner: string,
    repo: string,
    pullNumber: number,
    event: ReviewEvent,
    options: { body?: string; commitId?: string } = {},
  ): Promise<ReviewRecord> {
    const body = options.body ?? (event === 'APPROVE' ? '' : `${event.toLowerCase()} by ${login}`)
    const input = { event, body, ...(options.commitId ? { commitId: options.commitId } : {}) }
    return structuredClone(
      await createReview(this.hub, this.repository(owner, repo), this.user(login), pullNumber, input),
    )
  }

  async comment(
    login: string,
    owner: string,
    repo: string,
    issueNumber: number,
    body: string,
  ): Promise<CommentRecord> {
    return structuredClone(
      createComment(this.hub, this.repository(owner, repo), this.user(login), issueNumber, body),
    )
  }

  async mergePullRequestAs(
    login: string,
    owner: string,
    repo: string,
    pullNumber: number,
    input: MergeInput = {},
  ): Promise<string> {
    return (await mergePull(this.hub, this.repository(owner, repo), this.user(login), pullNumber, input)).sha
  }

  async approvalStatus(owner: string, repo: string, pullNumber: number): Promise<ApprovalStatus> {
    const record = this.repository(owner, repo)
    const pull = findPull(record, pullNumber)
    await this.hub.refreshHead(record, pull)
    return approvalStatus(this.hub, record, pull)
  }

  getState(): LocalGitHubState {
    return structuredClone({
      users: [...this.hub.users.values()],
      teams: this.hub.teams,
      repositories: Object.fromEntries(this.hub.allRepositories().map((r) => [`${r.owner}/${r.name}`, r])),
    })
  }

  get requests(): readonly RequestLogEntry[] {
    return this.log
  }

  get requestCount(): number {
    return this.log.length
  }

  resetRequestLog(): void {
    this.log.length = 0
    this.gitLog.length = 0
  }

  get gitRequests(): readonly GitRequestLogEntry[] {
    return this.gitLog
  }

  get violations(): readonly Violation[] {
    return this.violationLog
  }

  clearViolations(): void {
    this.violationLog.length = 0
  }

  injectFault(spec: FaultSpec): FaultHandle {
    return this.faults.add(spec)
  }

  clearFaults(): void {
    this.faults.clear()
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolvePromise) => {
      this.server.close(() => resolvePromise())
      this.server.closeAllConnections()
    })
    await this.hub.dispose(this.options.keepFiles ?? false)
  }
}

/** Starts a local GitHub on 127.0.0.1 with an ephemeral port. */
export async function startLocalGitHub(options: LocalGitHubOptions = {}): Promise<LocalGitHub> {
  const root = await mkdtemp(join(tmpdir(), 'local-github-'))
  const hub = new Hub(root)
  let instance: LocalGitHubServer | null = null
  const server = createServer((req, res) => {
    if (!instance) return
    instance.handle(req, res).catch((error: unknown) => {
      console.error('local GitHub: request failed', error)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end()
    })
  })
  instance = new LocalGitHubServer(server, hub, options)
  await instance.listen()
  // Load the operation table now (it also routes), so the first request does not pay for it.
  operationTable()
  return instance
}
