// What route handlers share: the request context, results, GitHub-style errors, pagination.
import type { IncomingHttpHeaders } from 'node:http'
import type { Hub } from './hub.js'
import type { Permission, RepositoryRecord, UserRecord } from './types.js'

export const DOCUMENTATION_URL = 'https://docs.github.com/rest'

export interface ApiContext {
  hub: Hub
  operationId: string
  params: Record<string, string>
  query: URLSearchParams
  /** Parsed JSON body (undefined when none). */
  body: unknown
  rawBody: Buffer
  headers: IncomingHttpHeaders
  user: UserRecord | null
  /** The request's absolute URL. */
  url: URL
  /** A mergeable-null fault hit this request. */
  mergeableNull: boolean
  /** A base-moved fault hit this merge request. */
  baseMoved?: boolean
}

export interface ApiResult {
  status: number
  /** JSON body. */
  body?: unknown
  /** Raw body (then `contentType` applies). */
  raw?: Buffer
  contentType?: string
  headers?: Record<string, string>
}

export type Handler = (ctx: ApiContext) => Promise<ApiResult>
export type RouteTable = Record<string, Handler>

export interface FieldError {
  resource: string
  code: string
  field?: string
  message?: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  toBody(): Record<string, unknown> {
    return {
      message: this.message,
      ...this.extra,
      documentation_url: DOCUMENTATION_URL,
      status: String(this.status),
    }
  }
}

export const notFound = (): ApiError => new ApiError(404, 'Not Found')
export const validationFailed = (errors: FieldError[], message = 'Validation Failed'): ApiError =>
  new ApiError(422, message, { errors })
export const unprocessable = (message: string): ApiError => new ApiError(422, message)

export const json = (body: unknown, status = 200): ApiResult => ({ status, body })
export const noContent = (): ApiResult => ({ status: 204 })

/** The repository named in the path, or 404. */
export function repositoryOf(ctx: ApiContext): RepositoryRecord {
  const repo = ctx.hub.findRepository(ctx.params.owner ?? '', ctx.params.repo ?? '')
  if (!repo) throw notFound()
  return repo
}

export function requireUser(ctx: ApiContext): UserRecord {
  if (!ctx.user) throw new ApiError(401, 'Requires authentication')
  return ctx.user
}

const RANK: Record<Permission, number> = { read: 1, triage: 2, write: 3, maintain: 4, admin: 5 }

export function hasPermission(actual: Permission | null, needed: Permission): boolean {
  return actual !== null && RANK[actual] >= RANK[needed]
}

export function forbidden(user: UserRecord, needed: Permission): ApiError {
  if (user.type === 'Bot') return new ApiError(403, 'Resource not accessible by integration')
  return new ApiError(
    403,
    needed === 'admin' ? 'Must have admin rights to Repository.' : 'Must have push access to repository',
  )
}

/** The acting user, who must hold `needed` on the repository. */
export function requirePermission(ctx: ApiContext, repo: RepositoryRecord, needed: Permission): UserRecord {
  const user = requireUser(ctx)
  if (!hasPermission(ctx.hub.permissionOf(user.login, repo), needed)) throw forbidden(user, needed)
  return user
}

/** The JSON body as an object (validation has already checked its shape). */
export function bodyOf(ctx: ApiContext): Record<string, unknown> {
  const body = ctx.body
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {}
}

export function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key]
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined
}

export function booleanField(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key]
  return typeof value === 'boolean' ? value : undefined
}

export function nullableStringField(body: Record<string, unknown>, key: string): string | null | undefined {
  if (body[key] === null) return null
  return stringField(body, key)
}

export function integerParam(ctx: ApiContext, name: string): number {
  const value = Number(ctx.params[name])
  if (!Number.isInteger(value)) throw notFound()
  return value
}

export function queryInteger(ctx: ApiContext, name: string, fallback: number): number {
  const raw = ctx.query.get(name)
  const value = raw === null ? Number.NaN : Number(raw)
  return Number.isInteger(value) ? value : fallback
}

/** One page of `items` per `page`/`per_page` (default 30, at most 100), with GitHub's `Link` header. */
export function paginate<T>(
  ctx: ApiContext,
  items: readonly T[],
): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, queryInteger(ctx, 'per_page', 30)))
  const page = Math.max(1, queryInteger(ctx, 'page', 1))
  const lastPage = Math.max(1, Math.ceil(items.length / perPage))
  const slice = items.slice((page - 1) * perPage, page * perPage)
  const link = (target: number, rel: string) => {
    const url = new URL(ctx.url.href)
    url.searchParams.set('page', String(target))
    return `<${url.href}>; rel="${rel}"`
  }
  const links: string[] = []
  if (page > 1) links.push(link(Math.min(page - 1, lastPage), 'prev'))
  if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'))
  if (page > 1) links.push(link(1, 'first'))
  return { items: slice, headers: links.length > 0 ? { link: links.join(', ') } : {} }
}

/** A paginated JSON array response. */
export function listResult<T>(
  ctx: ApiContext,
  items: readonly T[],
  render: (item: T) => unknown = (item) => item,
): ApiResult {
  const { items: page, headers } = paginate(ctx, items)
  return { status: 200, body: page.map(render), headers }
}
