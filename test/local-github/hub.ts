// The local GitHub's state: users, tokens, teams and repositories (git on disk, the rest in memory).
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { BareRepository, type Identity, type MergeTreeResult } from './git-plumbing.js'
import { ApiError } from './http-util.js'
import { apiRefusalMessage, directChangeRefusal, type RefChange } from './rules.js'
import type {
  AddUserOptions,
  CreateRepositoryOptions,
  IssueRecord,
  Permission,
  PushRecord,
  RepositoryRecord,
  TeamRecord,
  UserRecord,
} from './types.js'

export const GITHUB_IDENTITY: Identity = { name: 'GitHub', email: 'noreply@github.com' }

/** GitHub's timestamps: ISO 8601 without milliseconds. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Something that happened on the local GitHub that GitHub would deliver as a webhook event (and start
 * workflows for): test/local-github/workflows listens. `sender` is the login whose request caused it.
 */
export interface HubEvent {
  repo: RepositoryRecord
  name: 'push' | 'pull_request' | 'pull_request_review' | 'issue_comment' | 'workflow_dispatch'
  action?: string
  sender: string
  /** push: the ref and its old and new sha; pull_request synchronize: the old and new head. */
  ref?: string
  before?: string | null
  after?: string | null
  /** pull_request, pull_request_review, issue_comment: the pull request or issue. */
  number?: number
  reviewId?: number
  commentId?: number
  /** workflow_dispatch: the workflow file name and the inputs. */
  workflow?: string
  inputs?: Record<string, string>
  /** workflow_dispatch: the token that asked (tells which workflow run dispatched it). */
  token?: string
}

export class Hub {
  private readonly listeners: ((event: HubEvent) => void)[] = []
  webUrl = ''
  apiUrl = ''
  readonly users = new Map<string, UserRecord>()
  readonly teams: TeamRecord[] = []
  private readonly tokens = new Map<string, string>()
  private readonly revoked = new Set<string>()
  private readonly repositories = new Map<string, RepositoryRecord>()
  private readonly bare = new Map<string, BareRepository>()
  private readonly locks = new Map<string, Promise<unknown>>()
  private lastId = 0

  constructor(readonly root: string) {}

  nextId(): number {
    this.lastId += 1
    return this.lastId
  }

  addUser(login: string, options: AddUserOptions): UserRecord {
    const existing = this.users.get(login.toLowerCase())
    const id = existing?.id ?? this.nextId()
    const user: UserRecord = {
      id,
      login,
      type: options.type ?? 'User',
      permission: options.permission,
      name: options.name ?? login,
      email: options.email ?? `${id}+${login}@users.noreply.github.com`,
      readsOrgMembers: options.readsOrgMembers ?? false,
    }
    this.users.set(login.toLowerCase(), user)
    this.tokens.set(options.token, login.toLowerCase())
    this.revoked.delete(options.token)
    return user
  }

  /** Listens to every event; returns the function that stops listening. */
  onEvent(listener: (event: HubEvent) => void): () => void {
    this.listeners.push(listener)
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1)
  }

  emit(event: HubEvent): void {
    for (const listener of [...this.listeners]) listener(event)
  }

  findUser(login: string): UserRecord | undefined {
    return this.users.get(login.toLowerCase())
  }

  userForToken(token: string): UserRecord | null {
    if (this.revoked.has(token)) return null
    const login = this.tokens.get(token)
    return login === undefined ? null : (this.users.get(login) ?? null)
  }

  revokeToken(token: string): void {
    this.revoked.add(token)
  }

  restoreToken(token: string): void {
    this.revoked.delete(token)
  }

  addTeam(org: string, slug: string, members: string[]): TeamRecord {
    const existing = this.findTeam(org, slug)
    if (existing) {
      existing.members = [...members]
      return existing
    }
    const team: TeamRecord = { org, slug, members: [...members] }
    this.teams.push(team)
    return team
  }

  findTeam(org: string, slug: string): TeamRecord | undefined {
    return this.teams.find(
      (t) => t.org.toLowerCase() === org.toLowerCase() && t.slug.toLowerCase() === slug.toLowerCase(),
    )
  }

  /** The user's permission on the repository: a per-repository override, or the user's own. */
  permissionOf(login: string, repo: RepositoryRecord): Permission | null {
    const user = this.findUser(login)
    if (!user) return null
    return repo.permissions[user.login] ?? user.permission
  }

  identityOf(user: UserRecord): Identity {
    return { name: user.name, email: user.email }
  }

  findRepository(owner: string, name: string): RepositoryRecord | undefined {
    return this.repositories.get(`${owner}/${name}`.toLowerCase())
  }

  allRepositories(): RepositoryRecord[] {
    return [...this.repositories.values()]
  }

  git(repo: RepositoryRecord): BareRepository {
    let bare = this.bare.get(repo.gitDir)
    if (!bare) {
      bare = new BareRepository(repo.gitDir)
      this.bare.set(repo.gitDir, bare)
    }
    return bare
  }

  async createRepository(
    owner: string,
    name: string,
    options: CreateRepositoryOptions = {},
  ): Promise<RepositoryRecord> {
    if (this.findRepository(owner, name)) throw new Error(`repository ${owner}/${name} exists already`)
    const defaultBranch = options.defaultBranch ?? 'main'
    const gitDir = join(this.root, owner, `${name}.git`)
    const bare = await BareRepository.init(gitDir, defaultBranch)
    const repo: RepositoryRecord = {
      id: this.nextId(),
      owner,
      name,
      description: options.description ?? null,
      defaultBranch,
      gitDir,
      createdAt: timestamp(),
      permissions: {},
      protection: {},
      rulesets: [],
      immutableReleases: false,
      labels: [],
      issues: [],
      comments: [],
      reviews: [],
      releases: [],
      assets: [],
      checkRuns: [],
      statuses: [],
      pushes: [],
    }
    this.repositories.set(`${owner}/${name}`.toLowerCase(), repo)
    this.bare.set(gitDir, bare)
    if (options.empty) return repo

    const identity = { name: 'Local GitHub', email: 'local-github@example.invalid', date: repo.createdAt }
    const commit = await bare.commitDirectory(
      options.fromDirectory ?? null,
      options.files ?? {},
      [],
      options.message ?? 'Initial commit',
      identity,
    )
    await bare.updateRef(`refs/heads/${defaultBranch}`, commit, null)
    const branches = Array.isArray(options.branches)
      ? Object.fromEntries(options.branches.map((branch) => [branch, commit]))
      : (options.branches ?? {})
    for (const [branch, start] of Object.entries(branches)) {
      const sha = (await bare.resolveCommitish(start)) ?? commit
      await bare.updateRef(`refs/heads/${branch}`, sha, null)
    }
    return repo
  }

  /** Branch refs the user may not update directly: protected branches that change only through pull requests. */
  protectedRefsFor(login: string, repo: RepositoryRecord): string[] {
    const admin = this.permissionOf(login, repo) === 'admin'
    return Object.entries(repo.protection)
      .filter(([, rule]) => !rule.allowDirectPushes && !(admin && !rule.enforceAdmins))
      .map(([branch]) => `refs/heads/${branch}`)
  }

  /** Refuses an API ref change that branch protection or a ruleset forbids, with 422 as GitHub does. */
  assertDirectUpdateAllowed(
    repo: RepositoryRecord,
    login: string,
    ref: string,
    change: RefChange = 'update',
    forced = false,
  ): void {
    const refusal = directChangeRefusal(this, repo, login, ref, change, forced)
    if (refusal) throw new ApiError(422, apiRefusalMessage(refusal))
  }

  recordPush(repo: RepositoryRecord, push: Omit<PushRecord, 'at'>): void {
    repo.pushes.push({ ...push, at: timestamp() })
    if (!push.ref.startsWith('refs/pull/'))
      this.emit({
        repo,
        name: 'push',
        sender: push.login,
        ref: push.ref,
        before: push.before,
        after: push.after,
      })
  }

  async snapshotRefs(repo: RepositoryRecord): Promise<Map<string, string>> {
    return new Map((await this.git(repo).listRefs()).map((r) => [r.ref, r.sha]))
  }

  /** Records every ref that changed since `before` (a git push). */
  async recordRefChanges(repo: RepositoryRecord, before: Map<string, string>, login: string): Promise<void> {
    const after = await this.snapshotRefs(repo)
    for (const ref of new Set([...before.keys(), ...after.keys()])) {
      const old = before.get(ref) ?? null
      const now = after.get(ref) ?? null
      if (old !== now) this.recordPush(repo, { ref, before: old, after: now, login, via: 'git' })
    }
  }

  /** The login of the most recent push to a ref, or null. */
  lastPusher(repo: RepositoryRecord, ref: string): string | null {
    for (let i = repo.pushes.length - 1; i >= 0; i--) {
      const push = repo.pushes[i]
      if (push?.ref === ref) return push.login
    }
    return null
  }

  /** Pull requests follow their head branches (GitHub's "synchronize"). */
  async syncPullHeads(repo: RepositoryRecord): Promise<void> {
    const open = repo.issues.filter((issue) => issue.pull && !issue.pull.merged && issue.state === 'open')
    if (open.length === 0) return
    const refs = await this.snapshotRefs(repo)
    for (const issue of open) {
      const sha = issue.pull ? refs.get(`refs/heads/${issue.pull.headRef}`) : undefined
      if (issue.pull && sha && sha !== issue.pull.headSha) {
        const before = issue.pull.headSha
        issue.pull.headSha = sha
        issue.updatedAt = timestamp()
        const sender = this.lastPusher(repo, `refs/heads/${issue.pull.headRef}`) ?? issue.user
        this.emit({
          repo,
          name: 'pull_request',
          action: 'synchronize',
          sender,
          number: issue.number,
          before,
          after: sha,
        })
      }
      await this.syncPullRef(repo, issue)
    }
  }

  /**
   * GitHub keeps `refs/pull/<number>/head` at each pull request's head ("Checking out pull requests locally"),
   * fetchable by anyone who can read the repository, also for pull requests from forks.
   */
  async syncPullRef(repo: RepositoryRecord, issue: IssueRecord): Promise<void> {
    if (!issue.pull?.headSha) return
    const ref = `refs/pull/${issue.number}/head`
    const git = this.git(repo)
    const current = await git.readRef(ref)
    if (current !== issue.pull.headSha) await git.updateRef(ref, issue.pull.headSha, current)
  }

  async refreshHead(repo: RepositoryRecord, issue: IssueRecord): Promise<void> {
    const pull = issue.pull
    if (!pull || pull.merged || issue.state === 'closed') return
    const sha = await this.git(repo).readRef(`refs/heads/${pull.headRef}`)
    if (sha && sha !== pull.headSha) {
      const before = pull.headSha
      pull.headSha = sha
      issue.updatedAt = timestamp()
      await this.syncPullRef(repo, issue)
      const sender = this.lastPusher(repo, `refs/heads/${pull.headRef}`) ?? issue.user
      this.emit({
        repo,
        name: 'pull_request',
        action: 'synchronize',
        sender,
        number: issue.number,
        before,
        after: sha,
      })
    }
  }

  /** The test merge of `head` into `base` (computed once per pair of commits). */
  testMerge(repo: RepositoryRecord, base: string, head: string): Promise<MergeTreeResult> {
    return this.git(repo).mergeTree(base, head)
  }

  /** Runs `task` after every earlier task on the same repository has finished (merges, bookkeeping). */
  exclusive<T>(repo: RepositoryRecord, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(repo.gitDir) ?? Promise.resolve()
    const next = previous.then(task, task)
    this.locks.set(
      repo.gitDir,
      next.catch(() => undefined),
    )
    return next
  }

  async dispose(keepFiles: boolean): Promise<void> {
    if (!keepFiles) await rm(this.root, { recursive: true, force: true })
  }
}
