// The REST pipeline: read the body, match the operation, authenticate, apply faults, validate against
// GitHub's description, run the handler, answer with GitHub's headers, and log it all.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  FaultRegistry,
  primaryRateLimitMessage,
  SECONDARY_RATE_LIMIT_MESSAGE,
  type FaultTarget,
} from './faults.js'
import { basicAuthToken } from './git-http.js'
import { ApiError, type ApiContext, type ApiResult } from './http-util.js'
import type { Hub } from './hub.js'
import type { MatchedOperation, OperationTable } from './openapi-validator.js'
import { routes } from './routes/index.js'
import { RATE_LIMIT } from './routes/repos.js'
import type { FaultKind, RequestLogEntry, UserRecord, Violation } from './types.js'

export const API_PREFIX = '/api/v3'
export const UPLOADS_PREFIX = '/api/uploads'
const UPLOAD_OPERATION = 'repos/upload-release-asset'

export interface ApiDependencies {
  hub: Hub
  table: OperationTable
  faults: FaultRegistry
  validate: boolean
  lenient: boolean
  log: RequestLogEntry[]
  violations: Violation[]
  nextSeq(): number
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolvePromise(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function tokenFrom(header: string | undefined): string | null {
  if (!header) return null
  const match = /^(?:token|bearer)\s+(.+)$/i.exec(header.trim())
  if (match?.[1]) return match[1]
  return basicAuthToken(header)
}

function errorResult(error: ApiError): ApiResult {
  return { status: error.status, body: error.toBody(), headers: error.headers }
}

export async function handleApiRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  prefix: typeof API_PREFIX | typeof UPLOADS_PREFIX,
  deps: ApiDependencies,
): Promise<void> {
  const started = Date.now()
  const method = (req.method ?? 'GET').toUpperCase()
  const path = url.pathname.slice(prefix.length) || '/'
  const rawBody = await readBody(req)
  const { hub, table } = deps

  const entry: RequestLogEntry = {
    seq: deps.nextSeq(),
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams.entries()),
    operationId: null,
    route: null,
    login: null,
    status: 0,
    body: undefined,
    fault: null,
    durationMs: 0,
  }
  const violation = (kind: Violation['kind'], message: string, details: unknown[] = []) => {
    deps.violations.push({
      kind,
      method,
      path: url.pathname,
      operationId: entry.operationId,
      message,
      details,
    })
  }

  const result = await (async (): Promise<ApiResult> => {
    let matched: MatchedOperation | null = table.match(method, path)
    // Uploads go to the uploads host only, and only uploads go there.
    if (matched && (matched.operation.operationId === UPLOAD_OPERATION) !== (prefix === UPLOADS_PREFIX)) {
      matched = null
    }
    if (!matched) {
      if (prefix === API_PREFIX && table.isOtherGitHubRoute(method, path)) {
        violation(
          'not-implemented',
          `${method} ${path} exists on GitHub but the local GitHub does not implement it`,
        )
        return errorResult(new ApiError(501, `Not implemented by the local GitHub: ${method} ${path}`))
      }
      violation('unknown-route', `GitHub has no route ${method} ${path}`)
      return errorResult(new ApiError(404, 'Not Found'))
    }

    // The body: JSON for the API, raw bytes for uploads.
    let body: unknown = undefined
    const hasJsonBody = prefix === API_PREFIX && rawBody.length > 0
    if (hasJsonBody) {
      try {
        body = JSON.parse(rawBody.toString('utf8'))
      } catch {
        const contentType = String(req.headers['content-type'] ?? 'none')
        violation('unparsable-body', `Problems parsing JSON (content-type ${contentType})`)
        return errorResult(new ApiError(400, 'Problems parsing JSON'))
      }
    }
    entry.body = prefix === API_PREFIX ? body : { bytes: rawBody.length }
    entry.operationId = matched.operation.operationId
    entry.route = matched.operation.path

    const token = tokenFrom(req.headers.authorization)
    let user: UserRecord | null = null
    if (token !== null) {
      user = hub.userForToken(token)
      if (!user) return errorResult(new ApiError(401, 'Bad credentials'))
      entry.login = user.login
    }

    const target: FaultTarget = {
      method,
      path,
      operationId: entry.operationId,
      route: entry.route,
      login: user?.login ?? null,
    }
    const early = takeEarlyFault(deps.faults, target, entry, user, token, hub)
    if (early) return early

    if (deps.validate) {
      const problem = table.validate(matched, url.searchParams, body, hasJsonBody)
      if (problem) {
        violation(problem.kind, problem.message, problem.details)
        if (!deps.lenient) {
          // GitHub answers 404 for a path it cannot parse (/pulls/abc), 422 for a bad query or body.
          if (problem.where === 'path') return errorResult(new ApiError(404, 'Not Found'))
          return errorResult(new ApiError(422, problem.message))
        }
      }
    }

    const handler = routes[matched.operation.operationId]
    if (!handler) return errorResult(new ApiError(501, `No handler for ${matched.operation.operationId}`))
    const ctx: ApiContext = {
      hub,
      operationId: matched.operation.operationId,
      params: matched.params,
      query: url.searchParams,
      body,
      rawBody,
      headers: req.headers,
      user,
      url,
      mergeableNull:
        matched.operation.operationId === 'pulls/get' &&
        deps.faults.take(target, ['mergeable-null']) !== null,
    }
    if (ctx.mergeableNull) entry.fault = 'mergeable-null'
    if (matched.operation.operationId === 'pulls/merge' && deps.faults.take(target, ['base-moved'])) {
      ctx.baseMoved = true
      entry.fault = 'base-moved'
    }
    let handled: ApiResult
    try {
      handled = await handler(ctx)
    } catch (error) {
      if (error instanceof ApiError) return errorResult(error)
      const message = error instanceof Error ? error.message : String(error)
      console.error(`local GitHub: ${method} ${path} failed:`, error)
      return errorResult(new ApiError(500, `Internal error in the local GitHub: ${message}`))
    }
    if (handled.status < 400) {
      const late = deps.faults.take(target, ['5xx-after-write'])
      if (late) {
        entry.fault = late.kind
        return errorResult(new ApiError(late.status ?? 502, 'Server Error'))
      }
    }
    return handled
  })()

  const headers: Record<string, string> = {
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': randomUUID(),
    'x-ratelimit-limit': String(RATE_LIMIT),
    'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - 1 - (entry.seq % RATE_LIMIT))),
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
    'x-ratelimit-used': String(1 + (entry.seq % RATE_LIMIT)),
    'x-ratelimit-resource': 'core',
    ...result.headers,
  }
  let payload: Buffer | null = null
  if (result.raw) {
    headers['content-type'] = result.contentType ?? 'application/octet-stream'
    payload = result.raw
  } else if (result.body !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8'
    payload = Buffer.from(JSON.stringify(result.body))
  }
  if (payload) headers['content-length'] = String(payload.length)
  res.writeHead(result.status, headers)
  res.end(payload ?? undefined)

  entry.status = result.status
  entry.durationMs = Date.now() - started
  deps.log.push(entry)
}

/** Faults that answer instead of the handler: rate limits, revoked tokens, server errors before any write. */
function takeEarlyFault(
  faults: FaultRegistry,
  target: FaultTarget,
  entry: RequestLogEntry,
  user: UserRecord | null,
  token: string | null,
  hub: Hub,
): ApiResult | null {
  const kinds: FaultKind[] = [
    'secondary-rate-limit',
    'primary-rate-limit',
    'token-revoked',
    '5xx-before-write',
  ]
  const fault = faults.take(target, kinds)
  if (!fault) return null
  entry.fault = fault.kind
  const wait = fault.retryAfterSeconds ?? 1
  switch (fault.kind) {
    case 'secondary-rate-limit':
      return errorResult(new ApiError(403, SECONDARY_RATE_LIMIT_MESSAGE, {}, { 'retry-after': String(wait) }))
    case 'primary-rate-limit':
      return errorResult(
        new ApiError(
          403,
          primaryRateLimitMessage(user?.id ?? null),
          {},
          {
            'x-ratelimit-limit': String(RATE_LIMIT),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-used': String(RATE_LIMIT),
            'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + wait),
          },
        ),
      )
    case 'token-revoked':
      // The token stays revoked (API and git) until restoreToken().
      if (token !== null) hub.revokeToken(token)
      return errorResult(new ApiError(401, 'Bad credentials'))
    default:
      return errorResult(new ApiError(fault.status ?? 502, 'Server Error'))
  }
}
