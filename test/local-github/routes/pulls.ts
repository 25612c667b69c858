// Pull requests: in-memory records over real branches; mergeability by a real test merge; merges by
// `git merge-tree --write-tree` + `commit-tree` (or cherry-picks for rebase) and a compare-and-swap ref update.
import { assertBodyLength, mergeRefusal } from '../rules.js'
import {
  ApiError,
  bodyOf,
  hasPermission,
  json,
  listResult,
  notFound,
  paginate,
  repositoryOf,
  requirePermission,
  requireUser,
  stringField,
  booleanField,
  validationFailed,
  unprocessable,
  integerParam,
  nullableStringField,
  type ApiContext,
  type RouteTable,
} from '../http-util.js'
import { GITHUB_IDENTITY, timestamp, type Hub } from '../hub.js'
import {
  commit,
  diffEntry,
  pullRequest,
  pullRequestSimple,
  review as reviewShape,
  teamShape,
  simpleUser,
  type PullRender,
} from '../shapes.js'
import type { IssueRecord, RepositoryRecord, ReviewRecord, ReviewState, UserRecord } from '../types.js'

export interface OpenPullRequestInput {
  title: string
  /** Branch name, or `owner:branch`. */
  head: string
  base: string
  body?: string | null
  draft?: boolean
  maintainerCanModify?: boolean
}

export type ReviewEvent = 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT'

export interface ReviewInput {
  /** Omitted: a pending review. */
  event?: ReviewEvent
  body?: string
  /** Defaults to the pull request's head sha. */
  commitId?: string
}

export interface MergeInput {
  /** The head sha the caller expects: 409 when the head has moved. */
  sha?: string
  mergeMethod?: 'merge' | 'squash' | 'rebase'
  commitTitle?: string
  commitMessage?: string
  /** The `base-moved` fault: a commit lands on the base after the test merge, before the ref update. */
  moveBaseFirst?: boolean
}

export interface ApprovalStatus {
  required: number
  /** Reviewers whose latest decisive review approves the current head, with write access, not the author. */
  approvedBy: string[]
  changesRequestedBy: string[]
  satisfied: boolean
  /** Why a merge is refused, as GitHub words it; null when allowed. */
  reason: string | null
}

const EVENT_STATE: Record<ReviewEvent, ReviewState> = {
  APPROVE: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
}

export function findPull(
  repo: RepositoryRecord,
  number: number,
): IssueRecord & { pull: NonNullable<IssueRecord['pull']> } {
  const record = repo.issues.find((issue) => issue.number === number)
  if (!record?.pull) throw notFound()
  return record as IssueRecord & { pull: NonNullable<IssueRecord['pull']> }
}

export function nextIssueNumber(repo: RepositoryRecord): number {
  return repo.issues.reduce((max, issue) => Math.max(max, issue.number), 0) + 1
}

/** `owner:branch` or `branch` → branch, when the owner is the repository's (forks are not modelled). */
function headBranch(repo: RepositoryRecord, head: string): string | null {
  const colon = head.indexOf(':')
  if (colon === -1) return head
  return head.slice(0, colon).toLowerCase() === repo.owner.toLowerCase() ? head.slice(colon + 1) : null
}

export function refuseDuplicate(
  repo: RepositoryRecord,
  headRef: string,
  baseRef: string,
  except?: number,
): void {
  const duplicate = repo.issues.find(
    (issue) =>
      issue.pull &&
      issue.state === 'open' &&
      issue.number !== except &&
      issue.pull.headRef === headRef &&
      issue.pull.baseRef === baseRef,
  )
  if (duplicate) {
    throw validationFailed([
      {
        resource: 'PullRequest',
        code: 'custom',
        message: `A pull request already exists for ${repo.owner}:${headRef}.`,
      },
    ])
  }
}

export async function createPull(
  hub: Hub,
  repo: RepositoryRecord,
  user: UserRecord,
  input: OpenPullRequestInput,
): Promise<IssueRecord> {
  return hub.exclusive(repo, async () => {
    const git = hub.git(repo)
    const headRef = headBranch(repo, input.head)
    const headSha = headRef === null ? null : await git.readRef(`refs/heads/${headRef}`)
    if (headRef === null || !headSha) {
      throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }])
    }
    const baseSha = await git.readRef(`refs/heads/${input.base}`)
    if (!baseSha) throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
    if (input.title.trim() === '')
      throw validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }])
    refuseDuplicate(repo, headRef, input.base)
    if ((await git.revList(headSha, [baseSha], { max: 1 })).length === 0) {
      throw validationFailed([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `No commits between ${input.base} and ${headRef}`,
        },
      ])
    }
    const now = timestamp()
    const record: IssueRecord = {
      id: hub.nextId(),
      number: nextIssueNumber(repo),
      title: input.title,
      body: input.body ?? null,
      state: 'open',
      stateReason: null,
      user: user.login,
      labels: [],
      assignees: [],
      locked: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      closedBy: null,
      pull: {
        headRef,
        headSha,
        baseRef: input.base,
        draft: input.draft ?? false,
        merged: false,
        mergedAt: null,
        mergedBy: null,
        mergeCommitSha: null,
        baseShaAtMerge: null,
        maintainerCanModify: input.maintainerCanModify ?? true,
        requestedReviewers: [],
        requestedTeams: [],
      },
    }
    repo.issues.push(record)
    await hub.syncPullRef(repo, record)
    hub.emit({ repo, name: 'pull_request', action: 'opened', sender: user.login, number: record.number })
    return record
  })
}

export function approvalStatus(hub: Hub, repo: RepositoryRecord, record: IssueRecord): ApprovalStatus {
  const pull = record.pull
  if (!pull) throw notFound()
  const protection = repo.protection[pull.baseRef]
  const required = protection?.requiredApprovals ?? 0
  const latest = new Map<string, ReviewRecord>()
  const reviews = repo.reviews.filter((r) => r.pullNumber === record.number).sort((a, b) => a.id - b.id)
  for (const r of reviews) {
    if (r.user.toLowerCase() === record.user.toLowerCase()) continue
    if (r.state === 'APPROVED' || r.state === 'CHANGES_REQUESTED' || r.state === 'DISMISSED')
      latest.set(r.user.toLowerCase(), r)
  }
  const canWrite = (login: string) => hasPermission(hub.permissionOf(login, repo), 'write')
  const lastPusher = protection?.requireLastPushApproval
    ? hub.lastPusher(repo, `refs/heads/${pull.headRef}`)
    : null
  const decisive = [...latest.values()].filter(
    (r) => canWrite(r.user) && r.user.toLowerCase() !== lastPusher?.toLowerCase(),
  )
  const approvedBy = decisive
    .filter(
      (r) =>
        r.state === 'APPROVED' && (protection?.dismissStaleReviews === false || r.commitId === pull.headSha),
    )
    .map((r) => r.user)
  const changesRequestedBy = decisive.filter((r) => r.state === 'CHANGES_REQUESTED').map((r) => r.user)
  if (!protection) return { required, approvedBy, changesRequestedBy, satisfied: true, reason: null }
  let reason: string | null = null
  if (changesRequestedBy.length > 0)
    reason = 'Changes requested by a reviewer with write access must be resolved.'
  else if (approvedBy.length < required) {
    reason =
      required === 1
        ? 'At least 1 approving review is required by reviewers with write access.'
        : `At least ${required} approving reviews are required by reviewers with write access.`
  }
  return { required, approvedBy, changesRequestedBy, satisfied: reason === null, reason }
}

async function baseShaOf(hub: Hub, repo: RepositoryRecord, record: IssueRecord): Promise<string> {
  const pull = record.pull
  if (!pull) return ''
  if (pull.merged && pull.baseShaAtMerge) return pull.baseShaAtMerge
  return (await hub.git(repo).readRef(`refs/heads/${pull.baseRef}`)) ?? pull.baseShaAtMerge ?? ''
}

async function renderPull(hub: Hub, repo: RepositoryRecord, record: IssueRecord, mergeableNull = false) {
  const pull = record.pull
  if (!pull) throw notFound()
  const git = hub.git(repo)
  const [, baseSha] = await Promise.all([hub.refreshHead(repo, record), baseShaOf(hub, repo, record)])
  const open = record.state === 'open' && !mergeableNull && baseSha !== ''
  const [commits, files, test] = await Promise.all([
    baseSha ? git.revList(pull.headSha, [baseSha]) : [],
    (async () => {
      const mergeBase = baseSha ? await git.mergeBase(baseSha, pull.headSha) : null
      return mergeBase ? git.diff(mergeBase, pull.headSha) : []
    })(),
    open ? hub.testMerge(repo, baseSha, pull.headSha) : null,
  ])
  const render: PullRender = {
    baseSha,
    mergeable: null,
    mergeableState: 'unknown',
    commits: commits.length,
    additions: files.reduce((sum, f) => sum + f.additions, 0),
    deletions: files.reduce((sum, f) => sum + f.deletions, 0),
    changedFiles: files.length,
  }
  if (test) {
    if (!test.clean) {
      render.mergeable = false
      render.mergeableState = 'dirty'
    } else {
      render.mergeable = true
      render.mergeableState = pull.draft
        ? 'draft'
        : approvalStatus(hub, repo, record).satisfied
          ? 'clean'
          : 'blocked'
    }
  }
  return pullRequest(hub, repo, record, render)
}

export async function createReview(
  hub: Hub,
  repo: RepositoryRecord,
  user: UserRecord,
  number: number,
  input: ReviewInput,
): Promise<ReviewRecord> {
  const record = findPull(repo, number)
  await hub.refreshHead(repo, record)
  const isAuthor = record.user.toLowerCase() === user.login.toLowerCase()
  if (isAuthor && input.event === 'APPROVE')
    throw unprocessableList('Review Can not approve your own pull request')
  if (isAuthor && input.event === 'REQUEST_CHANGES') {
    throw unprocessableList('Review Can not request changes on your own pull request')
  }
  if ((input.event === 'REQUEST_CHANGES' || input.event === 'COMMENT') && !input.body) {
    throw unprocessableList(`Review Body is required when using ${input.event}`)
  }
  if (record.pull.merged && input.event !== undefined && input.event !== 'COMMENT') {
    throw unprocessableList('Review Can not review a merged pull request')
  }
  const pending = repo.reviews.find(
    (r) => r.pullNumber === number && r.state === 'PENDING' && r.user === user.login,
  )
  if (pending && input.event === undefined) {
    throw unprocessableList('Review User can only have one pending review per pull request')
  }
  const commitId = input.commitId ?? record.pull.headSha
  if ((await hub.git(repo).objectType(commitId)) !== 'commit') {
    throw validationFailed([{ resource: 'PullRequestReview', field: 'commit_id', code: 'invalid' }])
  }
  const review: ReviewRecord = {
    id: hub.nextId(),
    pullNumber: number,
    user: user.login,
    body: input.body ?? '',
    state: input.event ? EVENT_STATE[input.event] : 'PENDING',
    commitId,
    submittedAt: input.event ? timestamp() : null,
  }
  repo.reviews.push(review)
  if (review.state !== 'PENDING') reviewSubmitted(record, user)
  if (review.state !== 'PENDING')
    hub.emit({ repo, name: 'pull_request_review', action: 'submitted', sender: user.login, number, reviewId: review.id })
  return review
}

function reviewSubmitted(record: IssueRecord, user: UserRecord): void {
  if (!record.pull) return
  record.pull.requestedReviewers = record.pull.requestedReviewers.filter(
    (login) => login.toLowerCase() !== user.login.toLowerCase(),
  )
  record.updatedAt = timestamp()
}

function unprocessableList(message: string): ApiError {
  return new ApiError(422, 'Unprocessable Entity', { errors: [message] })
}

export async function mergePull(
  hub: Hub,
  repo: RepositoryRecord,
  user: UserRecord,
  number: number,
  input: MergeInput,
): Promise<{ sha: string }> {
  return hub.exclusive(repo, async () => {
    const record = findPull(repo, number)
    const pull = record.pull
    if (pull.merged || record.state !== 'open') throw new ApiError(405, 'Pull Request is not mergeable')
    await hub.refreshHead(repo, record)
    if (input.sha !== undefined && input.sha !== pull.headSha) {
      throw new ApiError(409, 'Head branch was modified. Review and try the merge again.')
    }
    if (pull.draft) throw new ApiError(405, 'Pull Request is still a draft')
    const git = hub.git(repo)
    const baseRef = `refs/heads/${pull.baseRef}`
    const baseSha = await git.readRef(baseRef)
    if (!baseSha) throw new ApiError(405, 'Base branch does not exist')
    const approval = approvalStatus(hub, repo, record)
    if (!approval.satisfied) throw new ApiError(405, approval.reason ?? 'Pull Request is not mergeable')
    // Rulesets ("Restrict updates" unless a bypass actor merges) and required status checks: 405, as GitHub.
    const ruled = mergeRefusal(repo, user.login, pull.baseRef, pull.headSha, approval.approvedBy.length)
    if (ruled) throw new ApiError(405, ruled)
    const test = await hub.testMerge(repo, baseSha, pull.headSha)
    if (!test.clean) throw new ApiError(405, 'Pull Request is not mergeable')

    const method = input.mergeMethod ?? 'merge'
    const author = hub.findUser(record.user)
    const authorIdentity = author
      ? hub.identityOf(author)
      : { name: record.user, email: `${record.user}@users.noreply.github.com` }
    const commits = await git.revList(pull.headSha, [baseSha])
    let sha: string
    if (method === 'merge') {
      const title = input.commitTitle ?? `Merge pull request #${number} from ${repo.owner}/${pull.headRef}`
      const message = `${title}\n\n${input.commitMessage ?? record.title}\n`
      sha = await git.commitTree(
        test.tree,
        [baseSha, pull.headSha],
        message,
        hub.identityOf(user),
        GITHUB_IDENTITY,
      )
    } else if (method === 'squash') {
      const title = input.commitTitle ?? `${record.title} (#${number})`
      let details = input.commitMessage
      if (details === undefined) {
        const messages = await Promise.all(commits.map(async (c) => (await git.readCommit(c))?.message ?? ''))
        details = messages.map((m) => `* ${m.trim()}`).join('\n\n')
      }
      sha = await git.commitTree(
        test.tree,
        [baseSha],
        `${title}\n\n${details}\n`,
        authorIdentity,
        GITHUB_IDENTITY,
      )
    } else {
      const replayed = await git.replayCommits(baseSha, commits, GITHUB_IDENTITY)
      if (!replayed) throw new ApiError(405, 'This branch can\u2019t be rebased')
      sha = replayed
    }
    if (input.moveBaseFirst) await moveBase(hub, repo, baseRef, baseSha)
    if (!(await git.updateRef(baseRef, sha, baseSha))) {
      // "Merge a pull request": 405 when the merge cannot be performed; a base that moved meanwhile is one case.
      throw new ApiError(405, 'Base branch was modified. Review and try the merge again.')
    }
    hub.recordPush(repo, { ref: baseRef, before: baseSha, after: sha, login: user.login, via: 'merge' })
    const now = timestamp()
    pull.merged = true
    pull.mergedAt = now
    pull.mergedBy = user.login
    pull.mergeCommitSha = sha
    pull.baseShaAtMerge = baseSha
    record.state = 'closed'
    record.closedAt = now
    record.closedBy = user.login
    record.updatedAt = now
    await hub.syncPullHeads(repo)
    hub.emit({ repo, name: 'pull_request', action: 'closed', sender: user.login, number })
    return { sha }
  })
}

/** Someone else's commit on the base (an empty one), as if pushed while a merge was being computed. */
async function moveBase(hub: Hub, repo: RepositoryRecord, baseRef: string, baseSha: string): Promise<void> {
  const git = hub.git(repo)
  const tree = (await git.readCommit(baseSha))?.tree
  if (!tree) return
  const identity = { name: 'Local GitHub', email: 'local-github@example.invalid' }
  const moved = await git.commitTree(tree, [baseSha], 'Meanwhile on the base branch\n', identity, identity)
  await git.updateRef(baseRef, moved, baseSha)
  hub.recordPush(repo, { ref: baseRef, before: baseSha, after: moved, login: 'local-github', via: 'git' })
}

async function updatePull(
  hub: Hub,
  repo: RepositoryRecord,
  user: UserRecord,
  number: number,
  body: Record<string, unknown>,
) {
  return hub.exclusive(repo, async () => {
    const record = findPull(repo, number)
    const pull = record.pull
    const stateBefore = record.state
    const isAuthor = record.user.toLowerCase() === user.login.toLowerCase()
    if (!isAuthor && !hasPermission(hub.permissionOf(user.login, repo), 'write')) {
      throw new ApiError(403, 'Must have push access to repository')
    }
    const title = stringField(body, 'title')
    const text = nullableStringField(body, 'body')
    const edited = (title !== undefined && title !== record.title) || (text !== undefined && text !== record.body)
    if (title !== undefined) record.title = title
    if (text !== undefined) record.body = text
    const canModify = booleanField(body, 'maintainer_can_modify')
    if (canModify !== undefined) pull.maintainerCanModify = canModify
    const base = stringField(body, 'base')
    if (base !== undefined && base !== pull.baseRef) {
      if (record.state !== 'open')
        throw unprocessable('Cannot change the base branch of a closed pull request.')
      if (!(await hub.git(repo).readRef(`refs/heads/${base}`))) {
        throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }])
      }
      refuseDuplicate(repo, pull.headRef, base, number)
      pull.baseRef = base
    }
    const state = stringField(body, 'state')
    if (state === 'closed' && record.state === 'open') {
      record.state = 'closed'
      record.closedAt = timestamp()
      record.closedBy = user.login
    } else if (state === 'open' && record.state === 'closed') {
      if (pull.merged)
        throw validationFailed([
          {
            resource: 'PullRequest',
            field: 'state',
            code: 'invalid',
            message: 'state cannot be changed. The pull request has been merged.',
          },
        ])
      if (!(await hub.git(repo).readRef(`refs/heads/${pull.headRef}`))) {
        throw validationFailed([
          {
            resource: 'PullRequest',
            field: 'state',
            code: 'invalid',
            message: 'state cannot be changed. The head branch has been deleted.',
          },
        ])
      }
      refuseDuplicate(repo, pull.headRef, pull.baseRef, number)
      record.state = 'open'
      record.closedAt = null
      record.closedBy = null
      await hub.refreshHead(repo, record)
    }
    record.updatedAt = timestamp()
    if (edited) hub.emit({ repo, name: 'pull_request', action: 'edited', sender: user.login, number })
    if (record.state !== stateBefore)
      hub.emit({ repo, name: 'pull_request', action: record.state === 'closed' ? 'closed' : 'reopened', sender: user.login, number })
    return record
  })
}

function sortPulls(ctx: ApiContext, repo: RepositoryRecord, items: IssueRecord[]): IssueRecord[] {
  const sort = ctx.query.get('sort') ?? 'created'
  const direction = ctx.query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc')
  const comments = (issue: IssueRecord) => repo.comments.filter((c) => c.issueNumber === issue.number).length
  const key = (issue: IssueRecord): number | string =>
    sort === 'updated' ? issue.updatedAt : sort === 'popularity' ? comments(issue) : issue.number
  const sorted = [...items].sort((a, b) => {
    const ka = key(a)
    const kb = key(b)
    return ka < kb ? -1 : ka > kb ? 1 : a.number - b.number
  })
  return direction === 'desc' ? sorted.reverse() : sorted
}

function reviewEvent(value: string | undefined): ReviewEvent | undefined {
  return value === 'APPROVE' || value === 'REQUEST_CHANGES' || value === 'COMMENT' ? value : undefined
}

function visibleReviews(repo: RepositoryRecord, number: number, viewer: UserRecord | null): ReviewRecord[] {
  return repo.reviews
    .filter((r) => r.pullNumber === number && (r.state !== 'PENDING' || r.user === viewer?.login))
    .sort((a, b) => a.id - b.id)
}

function findReview(ctx: ApiContext, repo: RepositoryRecord, number: number): ReviewRecord {
  const id = integerParam(ctx, 'review_id')
  const found = repo.reviews.find((r) => r.id === id && r.pullNumber === number)
  if (!found || (found.state === 'PENDING' && found.user !== ctx.user?.login)) throw notFound()
  return found
}

export const pullRoutes: RouteTable = {
  'pulls/list': async (ctx) => {
    const repo = repositoryOf(ctx)
    const state = ctx.query.get('state') ?? 'open'
    const head = ctx.query.get('head')
    const base = ctx.query.get('base')
    // Like GitHub, a `head` filter without "owner:" is ignored.
    const headFilter = head && head.includes(':') ? headBranch(repo, head) : undefined
    let items = repo.issues.filter((issue) => issue.pull && (state === 'all' || issue.state === state))
    if (headFilter !== undefined)
      items = items.filter((issue) => headFilter !== null && issue.pull?.headRef === headFilter)
    if (base) items = items.filter((issue) => issue.pull?.baseRef === base)
    await ctx.hub.syncPullHeads(repo)
    const page = paginate(ctx, sortPulls(ctx, repo, items))
    const body = await Promise.all(
      page.items.map(async (issue) =>
        pullRequestSimple(ctx.hub, repo, issue, await baseShaOf(ctx.hub, repo, issue)),
      ),
    )
    return { status: 200, body, headers: page.headers }
  },

  'pulls/create': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requireUser(ctx)
    const body = bodyOf(ctx)
    if (body.issue !== undefined)
      throw unprocessable('Converting issues to pull requests is not supported by the local GitHub')
    assertBodyLength('PullRequest', nullableStringField(body, 'body'))
    const record = await createPull(ctx.hub, repo, user, {
      title: stringField(body, 'title') ?? '',
      head: stringField(body, 'head') ?? '',
      base: stringField(body, 'base') ?? '',
      body: nullableStringField(body, 'body') ?? null,
      draft: booleanField(body, 'draft') ?? false,
      maintainerCanModify: booleanField(body, 'maintainer_can_modify') ?? true,
    })
    return json(await renderPull(ctx.hub, repo, record), 201)
  },

  'pulls/get': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findPull(repo, integerParam(ctx, 'pull_number'))
    return json(await renderPull(ctx.hub, repo, record, ctx.mergeableNull))
  },

  'pulls/update': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requireUser(ctx)
    assertBodyLength('PullRequest', nullableStringField(bodyOf(ctx), 'body'))
    const record = await updatePull(ctx.hub, repo, user, integerParam(ctx, 'pull_number'), bodyOf(ctx))
    return json(await renderPull(ctx.hub, repo, record))
  },

  'pulls/list-files': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findPull(repo, integerParam(ctx, 'pull_number'))
    await ctx.hub.refreshHead(repo, record)
    const git = ctx.hub.git(repo)
    const baseSha = await baseShaOf(ctx.hub, repo, record)
    const mergeBase = baseSha ? await git.mergeBase(baseSha, record.pull.headSha) : null
    const files = mergeBase ? await git.diff(mergeBase, record.pull.headSha) : []
    return listResult(ctx, files.slice(0, 3000), (file) =>
      diffEntry(ctx.hub, repo, record.pull.headSha, file),
    )
  },

  'pulls/list-commits': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findPull(repo, integerParam(ctx, 'pull_number'))
    await ctx.hub.refreshHead(repo, record)
    const git = ctx.hub.git(repo)
    const baseSha = await baseShaOf(ctx.hub, repo, record)
    const shas = (baseSha ? await git.revList(record.pull.headSha, [baseSha]) : []).slice(0, 250)
    const page = paginate(ctx, shas)
    const body = await Promise.all(
      page.items.map(async (sha) => {
        const c = await git.readCommit(sha)
        if (!c) throw notFound()
        return commit(ctx.hub, repo, c)
      }),
    )
    return { status: 200, body, headers: page.headers }
  },

  'pulls/check-if-merged': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findPull(repo, integerParam(ctx, 'pull_number'))
    if (!record.pull.merged) throw notFound()
    return { status: 204 }
  },

  'pulls/merge': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const method = stringField(body, 'merge_method')
    const input: MergeInput = {}
    const sha = stringField(body, 'sha')
    if (sha !== undefined) input.sha = sha
    if (method === 'merge' || method === 'squash' || method === 'rebase') input.mergeMethod = method
    const title = stringField(body, 'commit_title')
    if (title !== undefined) input.commitTitle = title
    const message = stringField(body, 'commit_message')
    if (message !== undefined) input.commitMessage = message
    if (ctx.baseMoved) input.moveBaseFirst = true
    const result = await mergePull(ctx.hub, repo, user, integerParam(ctx, 'pull_number'), input)
    return json({ sha: result.sha, merged: true, message: 'Pull Request successfully merged' })
  },

  'pulls/list-reviews': async (ctx) => {
    const repo = repositoryOf(ctx)
    const number = integerParam(ctx, 'pull_number')
    findPull(repo, number)
    return listResult(ctx, visibleReviews(repo, number, ctx.user), (r) => reviewShape(ctx.hub, repo, r))
  },

  'pulls/create-review': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requireUser(ctx)
    const body = bodyOf(ctx)
    const input: ReviewInput = {}
    const event = reviewEvent(stringField(body, 'event'))
    if (event) input.event = event
    const text = stringField(body, 'body')
    if (text !== undefined) input.body = text
    const commitId = stringField(body, 'commit_id')
    if (commitId !== undefined) input.commitId = commitId
    const created = await createReview(ctx.hub, repo, user, integerParam(ctx, 'pull_number'), input)
    return json(reviewShape(ctx.hub, repo, created))
  },

  'pulls/get-review': async (ctx) => {
    const repo = repositoryOf(ctx)
    const number = integerParam(ctx, 'pull_number')
    findPull(repo, number)
    return json(reviewShape(ctx.hub, repo, findReview(ctx, repo, number)))
  },

  'pulls/submit-review': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requireUser(ctx)
    const number = integerParam(ctx, 'pull_number')
    const record = findPull(repo, number)
    const found = findReview(ctx, repo, number)
    if (found.state !== 'PENDING') throw unprocessableList('Review has already been submitted')
    const body = bodyOf(ctx)
    const event = reviewEvent(stringField(body, 'event'))
    if (!event) throw validationFailed([{ resource: 'PullRequestReview', field: 'event', code: 'invalid' }])
    const isAuthor = record.user.toLowerCase() === user.login.toLowerCase()
    if (isAuthor && event !== 'COMMENT')
      throw unprocessableList('Review Can not approve your own pull request')
    const text = stringField(body, 'body')
    if (text !== undefined) found.body = text
    found.state = EVENT_STATE[event]
    found.submittedAt = timestamp()
    reviewSubmitted(record, user)
    ctx.hub.emit({ repo, name: 'pull_request_review', action: 'submitted', sender: user.login, number, reviewId: found.id })
    return json(reviewShape(ctx.hub, repo, found))
  },

  'pulls/dismiss-review': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const number = integerParam(ctx, 'pull_number')
    findPull(repo, number)
    const found = findReview(ctx, repo, number)
    if (found.state !== 'APPROVED' && found.state !== 'CHANGES_REQUESTED') {
      throw unprocessableList(
        `Can not dismiss a ${found.state.toLowerCase().replace('_', ' ')} pull request review`,
      )
    }
    found.state = 'DISMISSED'
    ctx.hub.emit({ repo, name: 'pull_request_review', action: 'dismissed', sender: requireUser(ctx).login, number, reviewId: found.id })
    return json(reviewShape(ctx.hub, repo, found))
  },

  'pulls/list-requested-reviewers': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findPull(repo, integerParam(ctx, 'pull_number'))
    const teams = record.pull.requestedTeams.flatMap((slug) => {
      const team = ctx.hub.findTeam(repo.owner, slug)
      return team ? [teamShape(ctx.hub, team)] : []
    })
    return json({ users: record.pull.requestedReviewers.map((login) => simpleUser(ctx.hub, login)), teams })
  },

  'pulls/request-reviewers': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const record = findPull(repo, integerParam(ctx, 'pull_number'))
    const body = bodyOf(ctx)
    const reviewers = Array.isArray(body.reviewers) ? body.reviewers.map(String) : []
    const teams = Array.isArray(body.team_reviewers) ? body.team_reviewers.map(String) : []
    for (const login of reviewers) {
      if (login.toLowerCase() === record.user.toLowerCase()) {
        throw unprocessable('Review cannot be requested from pull request author.')
      }
      if (!ctx.hub.findUser(login) || !ctx.hub.permissionOf(login, repo)) {
        throw unprocessable(
          'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the repository.',
        )
      }
    }
    for (const slug of teams) {
      if (!ctx.hub.findTeam(repo.owner, slug)) {
        throw unprocessable(
          'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the repository.',
        )
      }
    }
    const pull = record.pull
    for (const login of reviewers) {
      const user = ctx.hub.findUser(login)
      if (user && !pull.requestedReviewers.includes(user.login)) pull.requestedReviewers.push(user.login)
    }
    for (const slug of teams) if (!pull.requestedTeams.includes(slug)) pull.requestedTeams.push(slug)
    record.updatedAt = timestamp()
    return json(pullRequestSimple(ctx.hub, repo, record, await baseShaOf(ctx.hub, repo, record)), 201)
  },

  'pulls/remove-requested-reviewers': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const record = findPull(repo, integerParam(ctx, 'pull_number'))
    const body = bodyOf(ctx)
    const reviewers = new Set(
      (Array.isArray(body.reviewers) ? body.reviewers.map(String) : []).map((l) => l.toLowerCase()),
    )
    const teams = new Set(Array.isArray(body.team_reviewers) ? body.team_reviewers.map(String) : [])
    record.pull.requestedReviewers = record.pull.requestedReviewers.filter(
      (login) => !reviewers.has(login.toLowerCase()),
    )
    record.pull.requestedTeams = record.pull.requestedTeams.filter((slug) => !teams.has(slug))
    return json(pullRequestSimple(ctx.hub, repo, record, await baseShaOf(ctx.hub, repo, record)))
  },
}

export { renderPull }
