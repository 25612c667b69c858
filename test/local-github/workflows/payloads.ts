// The event payloads (GITHUB_EVENT_PATH, the `github.event` context) as GitHub's webhooks send them, built from
// the local GitHub's REST shapes, and checked against GitHub's webhook payload schemas
// (@octokit/webhooks-schemas, JSON Schema draft-07).
import { createRequire } from 'node:module'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { Hub, HubEvent } from '../hub.js'
import { renderPull } from '../routes/pulls.js'
import { issue, issueComment, repository, review, simpleUser } from '../shapes.js'
import type { IssueRecord, RepositoryRecord } from '../types.js'

type FormatsPlugin = (ajv: Ajv) => Ajv
const addFormats = (addFormatsModule as unknown as { default: FormatsPlugin }).default

/** The webhook repository object: the REST one, with the few fields webhooks add. */
function webhookRepository(hub: Hub, repo: RepositoryRecord): Record<string, unknown> {
  const rest = repository(hub, repo) as unknown as Record<string, unknown>
  return { ...rest, default_branch: repo.defaultBranch }
}

/**
 * REST objects as webhooks carry them: users without `user_view_type`, repositories without the counters of
 * the full REST repository and with `custom_properties` (what the webhook schemas describe).
 */
function asWebhook<T>(value: T): T {
  if (Array.isArray(value)) return value.map(asWebhook) as T
  if (!value || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = asWebhook(v)
  if ('login' in out && 'node_id' in out) {
    delete out.user_view_type
    // A bot's login in a URL is escaped: .../users/github-actions%5Bbot%5D
    for (const [k, v] of Object.entries(out))
      if ((k === 'url' || k.endsWith('_url')) && typeof v === 'string')
        out[k] = v.replace(/\[/g, '%5B').replace(/\]/g, '%5D')
  }
  if ('full_name' in out && 'owner' in out) {
    delete out.subscribers_count
    delete out.network_count
    out.custom_properties ??= {}
  }
  return out as T
}

/** The reactions rollup webhooks carry on issues and comments (none here). */
function reactions(url: string): Record<string, unknown> {
  return {
    url,
    total_count: 0,
    '+1': 0,
    '-1': 0,
    laugh: 0,
    confused: 0,
    heart: 0,
    hooray: 0,
    eyes: 0,
    rocket: 0,
  }
}

function withoutKeys<T extends object>(value: T, keys: string[]): T {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k))) as T
}

const FULL_PULL_ONLY = new Set([
  'merged',
  'mergeable',
  'rebaseable',
  'mergeable_state',
  'merged_by',
  'comments',
  'review_comments',
  'maintainer_can_modify',
  'commits',
  'additions',
  'deletions',
  'changed_files',
])

/** The webhook payload of an event, and the schema definition it must match (none for `schedule`). */
export async function buildPayload(
  hub: Hub,
  event: HubEvent,
  /** The pull request or issue as it was when the event happened (the payload may be built later). */
  snapshot?: IssueRecord,
): Promise<{ payload: Record<string, unknown>; definition?: string }> {
  const built = await restShapedPayload(hub, event)
  const pull = built.payload.pull_request as Record<string, unknown> | undefined
  if (snapshot?.pull && pull) {
    const head = pull.head as Record<string, unknown>
    Object.assign(pull, {
      state: snapshot.state,
      title: snapshot.title,
      body: snapshot.body,
      updated_at: snapshot.updatedAt,
      closed_at: snapshot.closedAt,
      merged_at: snapshot.pull.mergedAt,
      merge_commit_sha: snapshot.pull.mergeCommitSha ?? pull.merge_commit_sha,
      head: { ...head, sha: snapshot.pull.headSha },
    })
    if ('merged' in pull) pull.merged = snapshot.pull.merged
    if ('merged_by' in pull) pull.merged_by = snapshot.pull.mergedBy ? simpleUser(hub, snapshot.pull.mergedBy) : null
  }
  return { ...built, payload: asWebhook(built.payload) }
}

async function restShapedPayload(
  hub: Hub,
  event: HubEvent,
): Promise<{ payload: Record<string, unknown>; definition?: string }> {
  const repo = event.repo
  const common = { repository: webhookRepository(hub, repo), sender: simpleUser(hub, event.sender) }
  switch (event.name) {
    case 'push': {
      const user = hub.findUser(event.sender)
      const full = `${repo.owner}/${repo.name}`
      const zero = '0000000000000000000000000000000000000000'
      return {
        definition: 'push$event',
        payload: {
          ref: event.ref,
          before: event.before ?? zero,
          after: event.after ?? zero,
          created: event.before === null,
          deleted: event.after === null,
          forced: false,
          base_ref: null,
          compare: `${hub.webUrl}/${full}/compare/${(event.before ?? zero).slice(0, 12)}...${(event.after ?? zero).slice(0, 12)}`,
          commits: [],
          head_commit: null,
          pusher: { name: user?.login ?? event.sender, email: user?.email ?? null },
          ...common,
        },
      }
    }
    case 'pull_request':
    case 'pull_request_review': {
      const record = repo.issues.find((i) => i.number === event.number && i.pull)
      if (!record) throw new Error(`no pull request #${event.number}`)
      const pull = (await renderPull(hub, repo, record)) as unknown as Record<string, unknown>
      // Webhook payloads render teams without the REST API's `type` (the webhook schemas' `team` has none).
      if (Array.isArray(pull.requested_teams))
        pull.requested_teams = (pull.requested_teams as Record<string, unknown>[]).map((team) => withoutKeys(team, ['type']))
      if (event.name === 'pull_request') {
        const extra =
          event.action === 'edited'
            ? { changes: {} }
            : event.action === 'synchronize'
              ? { before: event.before, after: event.after }
              : {}
        return {
          definition: `pull_request$${event.action}`,
          payload: { action: event.action, number: record.number, pull_request: pull, ...extra, ...common },
        }
      }
      const found = repo.reviews.find((r) => r.id === event.reviewId)
      if (!found) throw new Error(`no review ${event.reviewId}`)
      // Review events carry the review's state in lower case and the pull request without the fields that
      // only the full pull request has (mergeability, counts, merged_by).
      const shaped = review(hub, repo, found) as unknown as Record<string, unknown>
      const simple = Object.fromEntries(Object.entries(pull).filter(([k]) => !FULL_PULL_ONLY.has(k)))
      return {
        definition: `pull_request_review$${event.action}`,
        payload: {
          action: event.action,
          review: { ...shaped, state: String(shaped.state).toLowerCase() },
          pull_request: simple,
          ...common,
        },
      }
    }
    case 'issue_comment': {
      const record = repo.issues.find((i) => i.number === event.number)
      const comment = repo.comments.find((c) => c.id === event.commentId)
      if (!record || !comment) throw new Error(`no comment ${event.commentId} on #${event.number}`)
      return {
        definition: `issue_comment$${event.action}`,
        payload: {
          action: event.action,
          issue: withoutKeys(
            {
              ...issue(hub, repo, record),
              reactions: reactions(
                `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/issues/${record.number}/reactions`,
              ),
            },
            ['closed_by'],
          ),
          comment: {
            ...issueComment(hub, repo, comment),
            performed_via_github_app: null,
            reactions: reactions(
              `${hub.apiUrl}/repos/${repo.owner}/${repo.name}/issues/comments/${comment.id}/reactions`,
            ),
          },
          ...common,
        },
      }
    }
    case 'workflow_dispatch':
      return {
        definition: 'workflow_dispatch$event',
        payload: {
          inputs: event.inputs ?? {},
          ref: event.ref,
          workflow: `.github/workflows/${event.workflow}`,
          ...common,
        },
      }
  }
}

/** The `schedule` payload: GitHub sends the cron that fired (there is no webhook for it). */
export function schedulePayload(hub: Hub, repo: RepositoryRecord, cron: string): Record<string, unknown> {
  return asWebhook({ schedule: cron, repository: webhookRepository(hub, repo) })
}

let validators: ((definition: string) => ValidateFunction) | undefined

/** What is wrong with a payload by GitHub's webhook schema (empty: nothing). */
export function payloadViolations(definition: string, payload: unknown): string[] {
  if (!validators) {
    const schema = createRequire(import.meta.url)('@octokit/webhooks-schemas') as Record<string, unknown>
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
    addFormats(ajv)
    ajv.addSchema(schema, 'webhooks')
    const cache = new Map<string, ValidateFunction>()
    validators = (name) => {
      let found = cache.get(name)
      if (!found) {
        found = ajv.compile({ $ref: `webhooks#/definitions/${name}` })
        cache.set(name, found)
      }
      return found
    }
  }
  const validate = validators(definition)
  if (validate(payload)) return []
  return (validate.errors ?? [])
    .slice(0, 20)
    .map(
      (e) =>
        `${definition}${e.instancePath} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`,
    )
}
