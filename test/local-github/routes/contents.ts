// Repository contents, commits, comparisons and branches, read from (and written to) the bare repositories.
import type { components } from '@octokit/openapi-types'
import { EMPTY_TREE } from '../git-plumbing.js'
import {
  ApiError,
  bodyOf,
  json,
  listResult,
  notFound,
  paginate,
  repositoryOf,
  requirePermission,
  stringField,
  unprocessable,
  type ApiContext,
  type RouteTable,
} from '../http-util.js'
import type { Hub } from '../hub.js'
import { commit, contentLinks, diffEntry, gitCommit } from '../shapes.js'
import type { RepositoryRecord } from '../types.js'
import { base64Lines } from './git.js'

type Schemas = components['schemas']

/** Strips "owner:" from a ref given as `owner:branch`, as compare accepts. */
function localRef(repo: RepositoryRecord, name: string): string {
  const colon = name.indexOf(':')
  if (colon !== -1 && name.slice(0, colon).toLowerCase() === repo.owner.toLowerCase())
    return name.slice(colon + 1)
  return name
}

async function commitOrNotFound(
  hub: Hub,
  repo: RepositoryRecord,
  name: string,
  message?: string,
): Promise<string> {
  const sha = await hub.git(repo).resolveCommitish(name)
  if (!sha) throw message ? new ApiError(404, message) : notFound()
  return sha
}

async function renderCommit(hub: Hub, repo: RepositoryRecord, sha: string, withFiles = false) {
  const git = hub.git(repo)
  const record = await git.readCommit(sha)
  if (!record) throw notFound()
  const files = withFiles ? await git.diff(record.parents[0] ?? EMPTY_TREE, sha) : undefined
  return commit(hub, repo, record, files)
}

function normalizePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '')
}

function wantsRaw(ctx: ApiContext): boolean {
  const accept = String(ctx.headers.accept ?? '')
  return /application\/vnd\.github(\.v3)?\.raw/.test(accept)
}

type ContentEntry = Schemas['content-directory'][number]

export const contentRoutes: RouteTable = {
  'repos/get-content': async (ctx) => {
    const repo = repositoryOf(ctx)
    const git = ctx.hub.git(repo)
    const ref = ctx.query.get('ref') ?? repo.defaultBranch
    const sha = await git.resolveCommitish(ref)
    if (!sha) throw new ApiError(404, `No commit found for the ref ${ref}`)
    const path = normalizePath(ctx.params.path ?? '')
    const entry = path === '' ? null : await git.entryAt(sha, path)
    if (path !== '' && !entry) throw notFound()
    if (entry === null || entry.type === 'tree') {
      const entries = await git.listTree(sha, path === '' ? {} : { path })
      const listing: Schemas['content-directory'] = entries.map((child): ContentEntry => {
        const type =
          child.type === 'tree'
            ? 'dir'
            : child.type === 'commit'
              ? 'submodule'
              : child.mode === '120000'
                ? 'symlink'
                : 'file'
        return {
          type,
          size: child.size ?? 0,
          name: child.path.split('/').pop() ?? child.path,
          path: child.path,
          sha: child.sha,
          ...contentLinks(ctx.hub, repo, child.path, ref, child.sha, type),
        }
      })
      return json(listing)
    }
    const name = path.split('/').pop() ?? path
    if (entry.type === 'commit') {
      return json({
        type: 'submodule',
        size: 0,
        name,
        path,
        sha: entry.sha,
        ...contentLinks(ctx.hub, repo, path, ref, entry.sha, 'submodule'),
      })
    }
    const data = await git.readBlob(entry.sha)
    if (entry.mode === '120000') {
      const symlink: Schemas['content-symlink'] = {
        type: 'symlink',
        target: data.toString(),
        size: data.length,
        name,
        path,
        sha: entry.sha,
        ...contentLinks(ctx.hub, repo, path, ref, entry.sha, 'symlink'),
      }
      return json(symlink)
    }
    if (wantsRaw(ctx)) return { status: 200, raw: data, contentType: 'application/vnd.github.raw' }
    const file: Schemas['content-file'] = {
      type: 'file',
      encoding: 'base64',
      size: data.length,
      name,
      path,
      content: base64Lines(data),
      sha: entry.sha,
      ...contentLinks(ctx.hub, repo, path, ref, entry.sha, 'file'),
    }
    return json(file)
  },

  'repos/create-or-update-file-contents': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const path = normalizePath(ctx.params.path ?? '')
    const data = Buffer.from(stringField(body, 'content') ?? '', 'base64')
    const result = await writeFile(ctx, repo, path, data, user.login, body)
    return json(result.body, result.created ? 201 : 200)
  },

  'repos/delete-file': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const path = normalizePath(ctx.params.path ?? '')
    const result = await writeFile(ctx, repo, path, null, user.login, body)
    return json(result.body)
  },

  'repos/get-commit': async (ctx) => {
    const repo = repositoryOf(ctx)
    const ref = ctx.params.ref ?? ''
    const sha = await commitOrNotFound(ctx.hub, repo, ref, `No commit found for SHA: ${ref}`)
    const shape = await renderCommit(ctx.hub, repo, sha, true)
    // Files come 300 at a time, paginated when asked.
    const files = shape.files ?? []
    const paged = ctx.query.has('page') || ctx.query.has('per_page')
    const listed = paged ? paginate(ctx, files) : { items: files.slice(0, 300), headers: {} }
    return { status: 200, body: { ...shape, files: listed.items }, headers: listed.headers }
  },

  'repos/list-commits': async (ctx) => {
    const repo = repositoryOf(ctx)
    const start = ctx.query.get('sha') ?? repo.defaultBranch
    const git = ctx.hub.git(repo)
    const sha = await git.resolveCommitish(start)
    if (!sha) throw new ApiError(404, 'Not Found')
    const path = ctx.query.get('path') ?? undefined
    let shas = (await git.revList(sha, [], path ? { path } : {})).reverse()
    const author = ctx.query.get('author')?.toLowerCase()
    const since = ctx.query.get('since')
    const until = ctx.query.get('until')
    if (author || since || until) {
      const user = author ? ctx.hub.findUser(author) : undefined
      const records = await Promise.all(shas.map((item) => git.readCommit(item)))
      shas = records.flatMap((record) => {
        if (!record) return []
        const email = record.author.email.toLowerCase()
        if (author && email !== author && email !== user?.email.toLowerCase()) return []
        const date = Date.parse(record.committer.date)
        if (since && date < Date.parse(since)) return []
        if (until && date > Date.parse(until)) return []
        return [record.sha]
      })
    }
    const page = paginate(ctx, shas)
    const body = await Promise.all(page.items.map((item) => renderCommit(ctx.hub, repo, item)))
    return { status: 200, body, headers: page.headers }
  },

  'repos/compare-commits': async (ctx) => compare(ctx),
  'repos/compare-commits-with-basehead': async (ctx) => compare(ctx),

  'repos/list-branches': async (ctx) => {
    const repo = repositoryOf(ctx)
    const refs = (await ctx.hub.git(repo).listRefs()).filter((r) => r.ref.startsWith('refs/heads/'))
    const branches = refs.map((r): Schemas['short-branch'] => {
      const name = r.ref.slice('refs/heads/'.length)
      return {
        name,
        commit: { sha: r.sha, url: `${ctx.hub.apiUrl}/repos/${repo.owner}/${repo.name}/commits/${r.sha}` },
        protected: repo.protection[name] !== undefined,
      }
    })
    const protectedOnly = ctx.query.get('protected')
    return listResult(ctx, protectedOnly === 'true' ? branches.filter((b) => b.protected) : branches)
  },

  'repos/get-branch': async (ctx) => {
    const repo = repositoryOf(ctx)
    const name = ctx.params.branch ?? ''
    const sha = await ctx.hub.git(repo).readRef(`refs/heads/${name}`)
    if (!sha) throw new ApiError(404, 'Branch not found')
    const api = `${ctx.hub.apiUrl}/repos/${repo.owner}/${repo.name}/branches/${name}`
    const protection = repo.protection[name]
    const branch: Schemas['branch-with-protection'] = {
      name,
      commit: await renderCommit(ctx.hub, repo, sha),
      _links: { html: `${ctx.hub.webUrl}/${repo.owner}/${repo.name}/tree/${name}`, self: api },
      protected: protection !== undefined,
      protection: {
        enabled: protection !== undefined,
        ...(protection
          ? {
              required_pull_request_reviews: {
                url: `${api}/protection/required_pull_request_reviews`,
                dismiss_stale_reviews: protection.dismissStaleReviews,
                require_code_owner_reviews: false,
                required_approving_review_count: protection.requiredApprovals,
              },
            }
          : {}),
      },
      protection_url: `${api}/protection`,
    }
    return json(branch)
  },
}

async function compare(ctx: ApiContext) {
  const repo = repositoryOf(ctx)
  let baseName = ctx.params.base
  let headName = ctx.params.head
  if (ctx.params.basehead !== undefined) {
    const split = ctx.params.basehead.indexOf('...')
    if (split === -1) throw notFound()
    baseName = ctx.params.basehead.slice(0, split)
    headName = ctx.params.basehead.slice(split + 3)
  }
  const hub = ctx.hub
  const git = hub.git(repo)
  const base = await commitOrNotFound(hub, repo, localRef(repo, baseName ?? ''))
  const head = await commitOrNotFound(hub, repo, localRef(repo, headName ?? ''))
  const mergeBase = await git.mergeBase(base, head)
  if (!mergeBase) throw new ApiError(404, `No common ancestor between ${baseName} and ${headName}.`)
  const ahead = await git.revList(head, [base])
  const behind = await git.revList(base, [head])
  const status =
    ahead.length === 0
      ? behind.length === 0
        ? 'identical'
        : 'behind'
      : behind.length === 0
        ? 'ahead'
        : 'diverged'
  const paged = ctx.query.has('page') || ctx.query.has('per_page')
  const listed = paged ? paginate(ctx, ahead) : { items: ahead.slice(0, 250), headers: {} }
  const files = await git.diff(mergeBase, head)
  const full = `${repo.owner}/${repo.name}`
  const range = `${baseName}...${headName}`
  const shape: Schemas['commit-comparison'] = {
    url: `${hub.apiUrl}/repos/${full}/compare/${range}`,
    html_url: `${hub.webUrl}/${full}/compare/${range}`,
    permalink_url: `${hub.webUrl}/${full}/compare/${base}...${head}`,
    diff_url: `${hub.webUrl}/${full}/compare/${range}.diff`,
    patch_url: `${hub.webUrl}/${full}/compare/${range}.patch`,
    base_commit: await renderCommit(hub, repo, base),
    merge_base_commit: await renderCommit(hub, repo, mergeBase),
    status,
    ahead_by: ahead.length,
    behind_by: behind.length,
    total_commits: ahead.length,
    commits: await Promise.all(listed.items.map((sha) => renderCommit(hub, repo, sha))),
    files: files.slice(0, 300).map((file) => diffEntry(hub, repo, head, file)),
  }
  return { status: 200, body: shape, headers: listed.headers }
}

/** Creates, updates (data) or deletes (null) one file on a branch with one commit, as the contents API does. */
async function writeFile(
  ctx: ApiContext,
  repo: RepositoryRecord,
  path: string,
  data: Buffer | null,
  login: string,
  body: Record<string, unknown>,
): Promise<{ created: boolean; body: Schemas['file-commit'] }> {
  const hub = ctx.hub
  const git = hub.git(repo)
  const branch = stringField(body, 'branch') ?? repo.defaultBranch
  const ref = `refs/heads/${branch}`
  hub.assertDirectUpdateAllowed(repo, login, ref)
  const parent = await git.readRef(ref)
  if (!parent && branch !== repo.defaultBranch) throw new ApiError(404, `Branch ${branch} not found`)
  const current = parent ? await git.entryAt(parent, path) : null
  const expected = stringField(body, 'sha')
  if (data === null && !current) throw notFound()
  if (current && expected === undefined) throw unprocessable(`Invalid request.\n\n"sha" wasn't supplied.`)
  if (current && expected !== current.sha) throw new ApiError(409, `${path} does not match ${expected ?? ''}`)
  const parentCommit = parent ? await git.readCommit(parent) : null
  const blob = data === null ? null : await git.writeBlob(data)
  const tree = await git.editTree(parentCommit?.tree ?? null, [
    { path, mode: current?.mode ?? '100644', sha: blob },
  ])
  const user = hub.findUser(login)
  const fallback = user ? hub.identityOf(user) : { name: login, email: `${login}@users.noreply.github.com` }
  const given = (key: string) => body[key] as { name?: string; email?: string; date?: string } | undefined
  const author = { ...fallback, ...given('author') }
  const committer = { ...fallback, ...(given('committer') ?? given('author')) }
  const sha = await git.commitTree(
    tree,
    parent ? [parent] : [],
    stringField(body, 'message') ?? '',
    author,
    committer,
  )
  if (!(await git.updateRef(ref, sha, parent)))
    throw new ApiError(409, `is at ${parent ?? 'nothing'} but expected it to be unchanged`)
  hub.recordPush(repo, { ref, before: parent, after: sha, login, via: 'api' })
  await hub.syncPullHeads(repo)
  const record = await git.readCommit(sha)
  if (!record) throw new ApiError(500, 'commit was not written')
  const name = path.split('/').pop() ?? path
  let content: Schemas['file-commit']['content'] = null
  if (data !== null && blob !== null) {
    const links = contentLinks(hub, repo, path, branch, blob, 'file')
    content = {
      name,
      path,
      sha: blob,
      size: data.length,
      type: 'file',
      ...links,
      download_url: links.download_url ?? '',
    }
  }
  const shape: Schemas['file-commit'] = { content, commit: gitCommit(hub, repo, record) }
  return { created: !current, body: shape }
}
