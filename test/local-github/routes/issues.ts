// Issues (pull requests are issues too), their comments, and labels.
import { assertBodyLength } from '../rules.js'
import {
  ApiError,
  bodyOf,
  hasPermission,
  integerParam,
  json,
  listResult,
  noContent,
  notFound,
  nullableStringField,
  repositoryOf,
  requirePermission,
  requireUser,
  stringField,
  validationFailed,
  type ApiContext,
  type RouteTable,
} from '../http-util.js'
import { timestamp, type Hub } from '../hub.js'
import { issue as issueShape, issueComment, issueLabels, label as labelShape } from '../shapes.js'
import type { CommentRecord, IssueRecord, LabelRecord, RepositoryRecord, UserRecord } from '../types.js'
import { nextIssueNumber, refuseDuplicate } from './pulls.js'

/** GitHub's default labels of a new repository are not modelled; labels appear when created or first used. */
const DEFAULT_COLOR = 'ededed'

export function findIssue(repo: RepositoryRecord, number: number): IssueRecord {
  const record = repo.issues.find((candidate) => candidate.number === number)
  if (!record) throw notFound()
  return record
}

function findLabel(repo: RepositoryRecord, name: string): LabelRecord | undefined {
  return repo.labels.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase())
}

/** The label, created with the default colour when missing (as adding labels to an issue does). */
function ensureLabel(hub: Hub, repo: RepositoryRecord, name: string): LabelRecord {
  const existing = findLabel(repo, name)
  if (existing) return existing
  const created: LabelRecord = {
    id: hub.nextId(),
    name,
    color: DEFAULT_COLOR,
    description: null,
    default: false,
  }
  repo.labels.push(created)
  return created
}

/** Label names from the forms GitHub accepts: ["a"], [{ name: "a" }], { labels: [...] }. */
function labelNames(value: unknown): string[] {
  const list = Array.isArray(value)
    ? value
    : typeof value === 'object' && value !== null && Array.isArray((value as { labels?: unknown }).labels)
      ? (value as { labels: unknown[] }).labels
      : typeof value === 'string'
        ? [value]
        : []
  return list.flatMap((item) => {
    if (typeof item === 'string') return [item]
    if (typeof item === 'object' && item !== null && typeof (item as { name?: unknown }).name === 'string') {
      return [(item as { name: string }).name]
    }
    return []
  })
}

function setLabels(hub: Hub, repo: RepositoryRecord, record: IssueRecord, names: string[]): void {
  const unique: string[] = []
  for (const name of names) {
    const labelRecord = ensureLabel(hub, repo, name)
    if (!unique.includes(labelRecord.name)) unique.push(labelRecord.name)
  }
  record.labels = unique
  record.updatedAt = timestamp()
}

/** The triage role and above manage issues and pull requests: labels, assignees, close and reopen. */
function canTriage(hub: Hub, repo: RepositoryRecord, user: UserRecord): boolean {
  return hasPermission(hub.permissionOf(user.login, repo), 'triage')
}

/** Editing someone else's title or body takes write access; triage may not ("Repository roles"). */
function refuseTriageEdit(ctx: ApiContext, repo: RepositoryRecord, record: IssueRecord, user: UserRecord): void {
  const body = bodyOf(ctx)
  const edits = body.title !== undefined || body.body !== undefined
  const author = record.user.toLowerCase() === user.login.toLowerCase()
  if (edits && !author && !hasPermission(ctx.hub.permissionOf(user.login, repo), 'write')) {
    throw new ApiError(403, 'Must have push access to repository')
  }
}

export function createComment(
  hub: Hub,
  repo: RepositoryRecord,
  user: UserRecord,
  number: number,
  body: string,
): CommentRecord {
  const record = findIssue(repo, number)
  if (record.locked && !canTriage(hub, repo, user))
    throw new ApiError(403, 'Unable to create comment because issue is locked.')
  const now = timestamp()
  const comment: CommentRecord = {
    id: hub.nextId(),
    issueNumber: number,
    body,
    user: user.login,
    createdAt: now,
    updatedAt: now,
  }
  repo.comments.push(comment)
  record.updatedAt = now
  hub.emit({ repo, name: 'issue_comment', action: 'created', sender: user.login, number, commentId: comment.id })
  return comment
}

function findComment(ctx: ApiContext, repo: RepositoryRecord): CommentRecord {
  const id = integerParam(ctx, 'comment_id')
  const found = repo.comments.find((candidate) => candidate.id === id)
  if (!found) throw notFound()
  return found
}

function requireAuthorOrWriter(ctx: ApiContext, repo: RepositoryRecord, author: string): UserRecord {
  const user = requireUser(ctx)
  if (user.login.toLowerCase() !== author.toLowerCase() && !canTriage(ctx.hub, repo, user)) {
    throw new ApiError(403, 'Must have admin rights to Repository.')
  }
  return user
}

function sinceFilter<T extends { updatedAt: string }>(ctx: ApiContext, items: T[]): T[] {
  const since = ctx.query.get('since')
  if (!since) return items
  const threshold = Date.parse(since)
  return items.filter((item) => Date.parse(item.updatedAt) >= threshold)
}

export const issueRoutes: RouteTable = {
  'issues/list-for-repo': async (ctx) => {
    const repo = repositoryOf(ctx)
    const state = ctx.query.get('state') ?? 'open'
    const labels = (ctx.query.get('labels') ?? '')
      .split(',')
      .map((l) => l.trim().toLowerCase())
      .filter((l) => l !== '')
    const creator = ctx.query.get('creator')?.toLowerCase()
    const assignee = ctx.query.get('assignee')?.toLowerCase()
    let items = repo.issues.filter((record) => state === 'all' || record.state === state)
    if (labels.length > 0) {
      items = items.filter((record) =>
        labels.every((name) => record.labels.some((l) => l.toLowerCase() === name)),
      )
    }
    if (creator) items = items.filter((record) => record.user.toLowerCase() === creator)
    if (assignee === 'none') items = items.filter((record) => record.assignees.length === 0)
    else if (assignee && assignee !== '*')
      items = items.filter((record) => record.assignees.some((a) => a.toLowerCase() === assignee))
    else if (assignee === '*') items = items.filter((record) => record.assignees.length > 0)
    items = sinceFilter(ctx, items)
    const sort = ctx.query.get('sort') ?? 'created'
    const direction = ctx.query.get('direction') ?? 'desc'
    const comments = (record: IssueRecord) =>
      repo.comments.filter((c) => c.issueNumber === record.number).length
    const key = (record: IssueRecord): string | number =>
      sort === 'updated' ? record.updatedAt : sort === 'comments' ? comments(record) : record.number
    items = [...items].sort((a, b) => {
      const ka = key(a)
      const kb = key(b)
      return ka < kb ? -1 : ka > kb ? 1 : a.number - b.number
    })
    if (direction === 'desc') items.reverse()
    return listResult(ctx, items, (record) => issueShape(ctx.hub, repo, record))
  },

  'issues/create': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requireUser(ctx)
    const body = bodyOf(ctx)
    const title = stringField(body, 'title') ?? ''
    if (title.trim() === '')
      throw validationFailed([{ resource: 'Issue', field: 'title', code: 'missing_field' }])
    assertBodyLength('Issue', nullableStringField(body, 'body'))
    const now = timestamp()
    const record: IssueRecord = {
      id: ctx.hub.nextId(),
      number: nextIssueNumber(repo),
      title,
      body: nullableStringField(body, 'body') ?? null,
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
      pull: null,
    }
    // As on GitHub, labels and assignees from users without push access are silently dropped.
    if (canTriage(ctx.hub, repo, user)) {
      setLabels(ctx.hub, repo, record, labelNames(body.labels))
      record.assignees = Array.isArray(body.assignees) ? body.assignees.map(String) : []
    }
    repo.issues.push(record)
    return json(issueShape(ctx.hub, repo, record), 201)
  },

  'issues/get': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findIssue(repo, integerParam(ctx, 'issue_number'))
    await ctx.hub.refreshHead(repo, record)
    return json(issueShape(ctx.hub, repo, record))
  },

  'issues/update': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findIssue(repo, integerParam(ctx, 'issue_number'))
    const user = requireAuthorOrWriter(ctx, repo, record.user)
    refuseTriageEdit(ctx, repo, record, user)
    const body = bodyOf(ctx)
    assertBodyLength(record.pull ? 'PullRequest' : 'Issue', nullableStringField(body, 'body'))
    const title = stringField(body, 'title')
    if (title !== undefined) record.title = title
    const text = nullableStringField(body, 'body')
    if (text !== undefined) record.body = text
    if (body.labels !== undefined && canTriage(ctx.hub, repo, user))
      setLabels(ctx.hub, repo, record, labelNames(body.labels))
    if (Array.isArray(body.assignees) && canTriage(ctx.hub, repo, user))
      record.assignees = body.assignees.map(String)
    const state = stringField(body, 'state')
    const reason = stringField(body, 'state_reason')
    const stateBefore = record.state
    if (state === 'closed' && record.state === 'open') {
      record.state = 'closed'
      record.closedAt = timestamp()
      record.closedBy = user.login
      record.stateReason = reason === 'not_planned' || reason === 'duplicate' ? reason : 'completed'
    } else if (state === 'open' && record.state === 'closed') {
      if (record.pull?.merged) {
        throw validationFailed([
          {
            resource: 'Issue',
            field: 'state',
            code: 'invalid',
            message: 'state cannot be changed. The pull request has been merged.',
          },
        ])
      }
      if (record.pull) refuseDuplicate(repo, record.pull.headRef, record.pull.baseRef, record.number)
      record.state = 'open'
      record.closedAt = null
      record.closedBy = null
      record.stateReason = 'reopened'
      if (record.pull) await ctx.hub.refreshHead(repo, record)
    }
    record.updatedAt = timestamp()
    // A pull request closed or reopened through the issues API is the same activity as through the pulls
    // API: GitHub's pull_request webhook fires with `closed` or `reopened` ("Webhook events and payloads").
    if (record.pull && record.state !== stateBefore)
      ctx.hub.emit({ repo, name: 'pull_request', action: record.state === 'closed' ? 'closed' : 'reopened', sender: user.login, number: record.number })
    return json(issueShape(ctx.hub, repo, record))
  },

  'issues/list-comments': async (ctx) => {
    const repo = repositoryOf(ctx)
    const number = integerParam(ctx, 'issue_number')
    findIssue(repo, number)
    const comments = sinceFilter(
      ctx,
      repo.comments.filter((c) => c.issueNumber === number),
    )
    return listResult(ctx, comments, (c) => issueComment(ctx.hub, repo, c))
  },

  'issues/list-comments-for-repo': async (ctx) => {
    const repo = repositoryOf(ctx)
    const direction = ctx.query.get('direction') ?? 'asc'
    const comments = sinceFilter(ctx, [...repo.comments])
    if (direction === 'desc') comments.reverse()
    return listResult(ctx, comments, (c) => issueComment(ctx.hub, repo, c))
  },

  'issues/create-comment': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requireUser(ctx)
    assertBodyLength('IssueComment', stringField(bodyOf(ctx), 'body'))
    const comment = createComment(
      ctx.hub,
      repo,
      user,
      integerParam(ctx, 'issue_number'),
      stringField(bodyOf(ctx), 'body') ?? '',
    )
    return json(issueComment(ctx.hub, repo, comment), 201)
  },

  'issues/get-comment': async (ctx) => {
    const repo = repositoryOf(ctx)
    return json(issueComment(ctx.hub, repo, findComment(ctx, repo)))
  },

  'issues/update-comment': async (ctx) => {
    const repo = repositoryOf(ctx)
    const comment = findComment(ctx, repo)
    requireAuthorOrWriter(ctx, repo, comment.user)
    assertBodyLength('IssueComment', stringField(bodyOf(ctx), 'body'))
    comment.body = stringField(bodyOf(ctx), 'body') ?? comment.body
    comment.updatedAt = timestamp()
    // GitHub fires issue_comment `edited` ("Webhook events and payloads"); the sender is the editor.
    ctx.hub.emit({ repo, name: 'issue_comment', action: 'edited', sender: requireUser(ctx).login, number: comment.issueNumber, commentId: comment.id })
    return json(issueComment(ctx.hub, repo, comment))
  },

  'issues/delete-comment': async (ctx) => {
    const repo = repositoryOf(ctx)
    const comment = findComment(ctx, repo)
    requireAuthorOrWriter(ctx, repo, comment.user)
    repo.comments = repo.comments.filter((candidate) => candidate !== comment)
    return noContent()
  },

  'issues/list-labels-on-issue': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findIssue(repo, integerParam(ctx, 'issue_number'))
    return listResult(ctx, issueLabels(ctx.hub, repo, record))
  },

  'issues/add-labels': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'triage')
    const record = findIssue(repo, integerParam(ctx, 'issue_number'))
    setLabels(ctx.hub, repo, record, [...record.labels, ...labelNames(ctx.body)])
    return json(issueLabels(ctx.hub, repo, record))
  },

  'issues/set-labels': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'triage')
    const record = findIssue(repo, integerParam(ctx, 'issue_number'))
    setLabels(ctx.hub, repo, record, labelNames(ctx.body))
    return json(issueLabels(ctx.hub, repo, record))
  },

  'issues/remove-label': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'triage')
    const record = findIssue(repo, integerParam(ctx, 'issue_number'))
    const name = (ctx.params.name ?? '').toLowerCase()
    if (!record.labels.some((l) => l.toLowerCase() === name)) throw new ApiError(404, 'Label does not exist')
    record.labels = record.labels.filter((l) => l.toLowerCase() !== name)
    record.updatedAt = timestamp()
    return json(issueLabels(ctx.hub, repo, record))
  },

  'issues/remove-all-labels': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'triage')
    const record = findIssue(repo, integerParam(ctx, 'issue_number'))
    record.labels = []
    record.updatedAt = timestamp()
    return noContent()
  },

  'issues/list-labels-for-repo': async (ctx) => {
    const repo = repositoryOf(ctx)
    return listResult(ctx, repo.labels, (l) => labelShape(ctx.hub, repo, l))
  },

  'issues/create-label': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const name = stringField(body, 'name') ?? ''
    if (findLabel(repo, name))
      throw validationFailed([{ resource: 'Label', code: 'already_exists', field: 'name' }])
    const created: LabelRecord = {
      id: ctx.hub.nextId(),
      name,
      color: (stringField(body, 'color') ?? DEFAULT_COLOR).replace(/^#/, ''),
      description: stringField(body, 'description') ?? null,
      default: false,
    }
    repo.labels.push(created)
    return json(labelShape(ctx.hub, repo, created), 201)
  },

  'issues/get-label': async (ctx) => {
    const repo = repositoryOf(ctx)
    const found = findLabel(repo, ctx.params.name ?? '')
    if (!found) throw notFound()
    return json(labelShape(ctx.hub, repo, found))
  },

  'issues/update-label': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const found = findLabel(repo, ctx.params.name ?? '')
    if (!found) throw notFound()
    const body = bodyOf(ctx)
    const newName = stringField(body, 'new_name')
    if (newName !== undefined && newName !== found.name) {
      const clash = findLabel(repo, newName)
      if (clash && clash !== found)
        throw validationFailed([{ resource: 'Label', code: 'already_exists', field: 'name' }])
      for (const record of repo.issues)
        record.labels = record.labels.map((l) => (l === found.name ? newName : l))
      found.name = newName
    }
    const color = stringField(body, 'color')
    if (color !== undefined) found.color = color.replace(/^#/, '')
    const description = nullableStringField(body, 'description')
    if (description !== undefined) found.description = description
    return json(labelShape(ctx.hub, repo, found))
  },

  'issues/delete-label': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const found = findLabel(repo, ctx.params.name ?? '')
    if (!found) throw notFound()
    repo.labels = repo.labels.filter((l) => l !== found)
    for (const record of repo.issues) record.labels = record.labels.filter((l) => l !== found.name)
    return noContent()
  },
}
