// Check runs and commit statuses, kept in memory against real commits.
import type { components } from '@octokit/openapi-types'
import {
  ApiError,
  bodyOf,
  integerParam,
  json,
  notFound,
  nullableStringField,
  paginate,
  repositoryOf,
  requirePermission,
  stringField,
  unprocessable,
  type ApiContext,
  type RouteTable,
} from '../http-util.js'
import { timestamp } from '../hub.js'
import { checkRun, commitStatus, repositorySummary } from '../shapes.js'
import type { CheckRunRecord, RepositoryRecord, StatusRecord } from '../types.js'

type Schemas = components['schemas']

const CHECK_STATUSES: readonly CheckRunRecord['status'][] = [
  'queued',
  'in_progress',
  'completed',
  'waiting',
  'requested',
  'pending',
]
const STATUS_STATES: readonly StatusRecord['state'][] = ['error', 'failure', 'pending', 'success']

function applyOutput(record: CheckRunRecord, body: Record<string, unknown>): void {
  const output = body.output
  if (typeof output !== 'object' || output === null) return
  const fields = output as Record<string, unknown>
  const title = nullableStringField(fields, 'title')
  if (title !== undefined) record.title = title
  const summary = nullableStringField(fields, 'summary')
  if (summary !== undefined) record.summary = summary
  const text = nullableStringField(fields, 'text')
  if (text !== undefined) record.text = text
  // Annotations accumulate across updates, as on GitHub.
  if (Array.isArray(fields.annotations)) record.annotations.push(...(fields.annotations as unknown[]))
}

function applyState(record: CheckRunRecord, body: Record<string, unknown>): void {
  const status = stringField(body, 'status')
  if (status !== undefined && (CHECK_STATUSES as readonly string[]).includes(status)) {
    record.status = status as CheckRunRecord['status']
  }
  const conclusion = stringField(body, 'conclusion')
  if (conclusion !== undefined) {
    record.conclusion = conclusion
    record.status = 'completed'
  }
  if (record.status === 'completed') {
    record.completedAt = stringField(body, 'completed_at') ?? record.completedAt ?? timestamp()
  }
}

/** Check runs need a GitHub App token (Actions' GITHUB_TOKEN is one); accounts of type Bot stand for those. */
function requireApp(ctx: ApiContext, repo: RepositoryRecord) {
  const user = requirePermission(ctx, repo, 'write')
  if (user.type !== 'Bot') throw new ApiError(403, 'You must authenticate via a GitHub App.')
  return user
}

function findCheckRun(ctx: ApiContext, repo: RepositoryRecord): CheckRunRecord {
  const id = integerParam(ctx, 'check_run_id')
  const found = repo.checkRuns.find((r) => r.id === id)
  if (!found) throw notFound()
  return found
}

async function commitOf(ctx: ApiContext, repo: RepositoryRecord, ref: string): Promise<string> {
  const sha = await ctx.hub.git(repo).resolveCommitish(ref)
  if (!sha) throw unprocessable(`No commit found for SHA: ${ref}`)
  return sha
}

function combinedState(statuses: StatusRecord[]): string {
  if (statuses.some((s) => s.state === 'error' || s.state === 'failure')) return 'failure'
  if (statuses.length === 0 || statuses.some((s) => s.state === 'pending')) return 'pending'
  return 'success'
}

export const checkRoutes: RouteTable = {
  'checks/create': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requireApp(ctx, repo)
    const body = bodyOf(ctx)
    const headSha = stringField(body, 'head_sha') ?? ''
    if ((await ctx.hub.git(repo).objectType(headSha)) !== 'commit') {
      throw new ApiError(422, 'No commit found for SHA: ' + headSha)
    }
    const record: CheckRunRecord = {
      id: ctx.hub.nextId(),
      name: stringField(body, 'name') ?? '',
      headSha,
      status: 'queued',
      conclusion: null,
      startedAt: stringField(body, 'started_at') ?? timestamp(),
      completedAt: null,
      externalId: stringField(body, 'external_id') ?? null,
      detailsUrl: stringField(body, 'details_url') ?? null,
      title: null,
      summary: null,
      text: null,
      annotations: [],
      creator: user.login,
    }
    applyState(record, body)
    applyOutput(record, body)
    repo.checkRuns.push(record)
    return json(checkRun(ctx.hub, repo, record), 201)
  },

  'checks/update': async (ctx) => {
    const repo = repositoryOf(ctx)
    requireApp(ctx, repo)
    const record = findCheckRun(ctx, repo)
    const body = bodyOf(ctx)
    const name = stringField(body, 'name')
    if (name !== undefined) record.name = name
    const details = stringField(body, 'details_url')
    if (details !== undefined) record.detailsUrl = details
    const external = stringField(body, 'external_id')
    if (external !== undefined) record.externalId = external
    applyState(record, body)
    applyOutput(record, body)
    return json(checkRun(ctx.hub, repo, record))
  },

  'checks/get': async (ctx) => {
    const repo = repositoryOf(ctx)
    return json(checkRun(ctx.hub, repo, findCheckRun(ctx, repo)))
  },

  'checks/list-for-ref': async (ctx) => {
    const repo = repositoryOf(ctx)
    const sha = await commitOf(ctx, repo, ctx.params.ref ?? '')
    let runs = repo.checkRuns.filter((r) => r.headSha === sha).sort((a, b) => b.id - a.id)
    const name = ctx.query.get('check_name')
    if (name) runs = runs.filter((r) => r.name === name)
    const status = ctx.query.get('status')
    if (status) runs = runs.filter((r) => r.status === status)
    if ((ctx.query.get('filter') ?? 'latest') === 'latest') {
      const seen = new Set<string>()
      runs = runs.filter((r) => !seen.has(r.name) && seen.add(r.name) !== undefined)
    }
    const page = paginate(ctx, runs)
    return {
      status: 200,
      body: { total_count: runs.length, check_runs: page.items.map((r) => checkRun(ctx.hub, repo, r)) },
      headers: page.headers,
    }
  },

  'repos/create-commit-status': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const sha = ctx.params.sha ?? ''
    if ((await ctx.hub.git(repo).objectType(sha)) !== 'commit')
      throw unprocessable(`No commit found for SHA: ${sha}`)
    const state = stringField(body, 'state') ?? ''
    if (!(STATUS_STATES as readonly string[]).includes(state)) throw unprocessable('Validation Failed')
    const record: StatusRecord = {
      id: ctx.hub.nextId(),
      sha,
      state: state as StatusRecord['state'],
      context: stringField(body, 'context') ?? 'default',
      description: nullableStringField(body, 'description') ?? null,
      targetUrl: nullableStringField(body, 'target_url') ?? null,
      creator: user.login,
      createdAt: timestamp(),
    }
    repo.statuses.push(record)
    return json(commitStatus(ctx.hub, repo, record), 201)
  },

  'repos/list-commit-statuses-for-ref': async (ctx) => {
    const repo = repositoryOf(ctx)
    const sha = await commitOf(ctx, repo, ctx.params.ref ?? '')
    const statuses = repo.statuses.filter((s) => s.sha === sha).sort((a, b) => b.id - a.id)
    const page = paginate(ctx, statuses)
    return { status: 200, body: page.items.map((s) => commitStatus(ctx.hub, repo, s)), headers: page.headers }
  },

  'repos/get-combined-status-for-ref': async (ctx) => {
    const repo = repositoryOf(ctx)
    const sha = await commitOf(ctx, repo, ctx.params.ref ?? '')
    const latest = new Map<string, StatusRecord>()
    for (const s of repo.statuses.filter((candidate) => candidate.sha === sha).sort((a, b) => a.id - b.id)) {
      latest.set(s.context, s)
    }
    const statuses = [...latest.values()]
    const page = paginate(ctx, statuses)
    const api = `${ctx.hub.apiUrl}/repos/${repo.owner}/${repo.name}`
    const combined: Schemas['combined-commit-status'] = {
      state: combinedState(statuses),
      statuses: page.items.map((s) => {
        const shape = commitStatus(ctx.hub, repo, s)
        return {
          description: shape.description,
          id: shape.id,
          node_id: shape.node_id,
          state: shape.state,
          context: shape.context,
          target_url: shape.target_url,
          avatar_url: shape.avatar_url,
          url: shape.url,
          created_at: shape.created_at,
          updated_at: shape.updated_at,
        }
      }),
      sha,
      total_count: statuses.length,
      repository: { ...repositorySummary(ctx.hub, repo), license: null },
      commit_url: `${api}/commits/${sha}`,
      url: `${api}/commits/${sha}/status`,
    }
    return { status: 200, body: combined, headers: page.headers }
  },
}
