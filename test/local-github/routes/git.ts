// Git database endpoints: refs, annotated tags, commits, trees and blobs, on the bare repositories.
import type { components } from '@octokit/openapi-types'
import type { TagObject, TreeChange } from '../git-plumbing.js'
import {
  ApiError,
  bodyOf,
  json,
  noContent,
  notFound,
  repositoryOf,
  requirePermission,
  stringField,
  unprocessable,
  type ApiContext,
  type RouteTable,
} from '../http-util.js'
import type { Hub } from '../hub.js'
import { gitCommit, gitRef, nodeId } from '../shapes.js'
import type { RepositoryRecord, UserRecord } from '../types.js'

type Schemas = components['schemas']

async function refShape(hub: Hub, repo: RepositoryRecord, ref: string, sha: string) {
  const type = (await hub.git(repo).objectType(sha)) ?? 'commit'
  return gitRef(hub, repo, ref, sha, type)
}

/** The full ref for a `{ref}` path parameter such as heads/main or tags/base@1. */
function fullRef(ctx: ApiContext): string {
  return `refs/${(ctx.params.ref ?? '').replace(/^\/+/, '')}`
}

interface SignatureInput {
  name?: string
  email?: string
  date?: string
}

function signature(body: Record<string, unknown>, key: string, fallback: UserRecord, hub: Hub) {
  const given = body[key] as SignatureInput | undefined
  const identity = hub.identityOf(fallback)
  return { name: given?.name ?? identity.name, email: given?.email ?? identity.email, date: given?.date }
}

/** Creates or moves a ref with compare-and-swap; `force` false demands a fast-forward. */
export async function updateBranchRef(
  hub: Hub,
  repo: RepositoryRecord,
  user: UserRecord,
  ref: string,
  sha: string,
  force: boolean,
): Promise<void> {
  hub.assertDirectUpdateAllowed(repo, user.login, ref, 'update', force)
  const git = hub.git(repo)
  const current = await git.readRef(ref)
  if (!current) throw unprocessable('Reference does not exist')
  if (!(await git.objectType(sha))) throw unprocessable('Object does not exist')
  if (!force && current !== sha) {
    const from = await git.resolve(current, 'commit')
    const to = await git.resolve(sha, 'commit')
    if (!from || !to || !(await git.isAncestor(from, to))) throw unprocessable('Update is not a fast forward')
  }
  if (!(await git.updateRef(ref, sha, current))) throw unprocessable('Reference cannot be updated')
  hub.recordPush(repo, { ref, before: current, after: sha, login: user.login, via: 'api' })
  await hub.syncPullHeads(repo)
}

export const gitRoutes: RouteTable = {
  'git/get-ref': async (ctx) => {
    const repo = repositoryOf(ctx)
    const ref = fullRef(ctx)
    const sha = await ctx.hub.git(repo).readRef(ref)
    if (!sha) throw notFound()
    return json(await refShape(ctx.hub, repo, ref, sha))
  },

  'git/list-matching-refs': async (ctx) => {
    const repo = repositoryOf(ctx)
    const prefix = fullRef(ctx)
    const refs = (await ctx.hub.git(repo).listRefs()).filter((r) => r.ref.startsWith(prefix))
    return json(refs.map((r) => gitRef(ctx.hub, repo, r.ref, r.sha, r.type)))
  },

  'git/create-ref': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const ref = stringField(body, 'ref') ?? ''
    const sha = stringField(body, 'sha') ?? ''
    const git = ctx.hub.git(repo)
    if (!ref.startsWith('refs/') || ref.split('/').length < 3 || !(await git.isValidRefName(ref))) {
      throw unprocessable(`${ref} is not a valid ref name.`)
    }
    if (!/^[0-9a-f]{40}$/.test(sha) || !(await git.objectType(sha))) {
      throw unprocessable('Object does not exist')
    }
    ctx.hub.assertDirectUpdateAllowed(repo, user.login, ref, 'create')
    if (!(await git.updateRef(ref, sha, null))) throw unprocessable('Reference already exists')
    ctx.hub.recordPush(repo, { ref, before: null, after: sha, login: user.login, via: 'api' })
    await ctx.hub.syncPullHeads(repo)
    return json(await refShape(ctx.hub, repo, ref, sha), 201)
  },

  'git/update-ref': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const ref = fullRef(ctx)
    const sha = stringField(body, 'sha') ?? ''
    await updateBranchRef(ctx.hub, repo, user, ref, sha, body.force === true)
    return json(await refShape(ctx.hub, repo, ref, sha))
  },

  'git/delete-ref': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const ref = fullRef(ctx)
    const git = ctx.hub.git(repo)
    const current = await git.readRef(ref)
    if (!current) throw unprocessable('Reference does not exist')
    ctx.hub.assertDirectUpdateAllowed(repo, user.login, ref, 'delete')
    if (!(await git.deleteRef(ref, current))) throw unprocessable('Reference cannot be deleted')
    ctx.hub.recordPush(repo, { ref, before: current, after: null, login: user.login, via: 'api' })
    return noContent()
  },

  'git/get-tag': async (ctx) => {
    const repo = repositoryOf(ctx)
    const tag = await ctx.hub.git(repo).readTag(ctx.params.tag_sha ?? '')
    if (!tag) throw notFound()
    return json(tagShape(ctx.hub, repo, tag))
  },

  'git/create-tag': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const object = stringField(body, 'object') ?? ''
    const type = stringField(body, 'type') ?? 'commit'
    const git = ctx.hub.git(repo)
    const actualType = /^[0-9a-f]{40}$/.test(object) ? await git.objectType(object) : null
    if (!actualType) throw unprocessable('Object does not exist')
    if (actualType !== type) throw unprocessable(`Object ${object} is a ${actualType}, not a ${type}`)
    const tagger = signature(body, 'tagger', user, ctx.hub)
    const sha = await git.makeTag(
      object,
      type,
      stringField(body, 'tag') ?? '',
      tagger,
      stringField(body, 'message') ?? '',
    )
    const tag = await git.readTag(sha)
    if (!tag) throw new ApiError(500, 'tag was not written')
    return json(tagShape(ctx.hub, repo, tag), 201)
  },

  'git/get-commit': async (ctx) => {
    const repo = repositoryOf(ctx)
    const commit = await ctx.hub.git(repo).readCommit(ctx.params.commit_sha ?? '')
    if (!commit) throw notFound()
    return json(gitCommit(ctx.hub, repo, commit))
  },

  'git/create-commit': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const git = ctx.hub.git(repo)
    const tree = stringField(body, 'tree') ?? ''
    if ((await git.objectType(tree)) !== 'tree') throw unprocessable('Tree SHA does not exist')
    const parents = Array.isArray(body.parents) ? body.parents.map(String) : []
    for (const parent of parents) {
      if ((await git.objectType(parent)) !== 'commit')
        throw unprocessable('Parent SHA does not exist or is not a commit object')
    }
    const author = signature(body, 'author', user, ctx.hub)
    const committer = body.committer ? signature(body, 'committer', user, ctx.hub) : author
    const sha = await git.commitTree(tree, parents, stringField(body, 'message') ?? '', author, committer)
    const commit = await git.readCommit(sha)
    if (!commit) throw new ApiError(500, 'commit was not written')
    return json(gitCommit(ctx.hub, repo, commit), 201)
  },

  'git/get-tree': async (ctx) => {
    const repo = repositoryOf(ctx)
    const git = ctx.hub.git(repo)
    const name = ctx.params.tree_sha ?? ''
    const sha = (await git.resolve(name, 'tree')) ?? (await git.resolve(`refs/heads/${name}`, 'tree'))
    if (!sha) throw notFound()
    const recursive = ['1', 'true'].includes(ctx.query.get('recursive') ?? '')
    return json(await treeShape(ctx.hub, repo, sha, recursive))
  },

  'git/create-tree': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const git = ctx.hub.git(repo)
    const baseName = stringField(body, 'base_tree')
    let baseTree: string | null = null
    if (baseName) {
      baseTree = await git.resolve(baseName, 'tree')
      if (!baseTree) throw unprocessable('base_tree is not a valid tree oid')
    }
    const entries = Array.isArray(body.tree) ? (body.tree as Record<string, unknown>[]) : []
    const changes: TreeChange[] = []
    for (const entry of entries) {
      const path = stringField(entry, 'path') ?? ''
      const mode = stringField(entry, 'mode') ?? '100644'
      const content = stringField(entry, 'content')
      if (content !== undefined) {
        changes.push({ path, mode, sha: await git.writeBlob(content) })
      } else if (entry.sha === null) {
        changes.push({ path, mode, sha: null })
      } else {
        const sha = stringField(entry, 'sha') ?? ''
        if (!(await git.objectType(sha)))
          throw unprocessable(`tree.sha ${sha} is not a valid ${entry.type ?? 'blob'}`)
        changes.push({ path, mode, sha })
      }
    }
    const sha = await git.editTree(baseTree, changes)
    return json(await treeShape(ctx.hub, repo, sha, false), 201)
  },

  'git/get-blob': async (ctx) => {
    const repo = repositoryOf(ctx)
    const git = ctx.hub.git(repo)
    const sha = ctx.params.file_sha ?? ''
    if ((await git.objectType(sha)) !== 'blob') throw notFound()
    const data = await git.readBlob(sha)
    const blob: Schemas['blob'] = {
      content: base64Lines(data),
      encoding: 'base64',
      url: `${ctx.hub.apiUrl}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`,
      sha,
      size: data.length,
      node_id: nodeId('Blob', sha),
    }
    return json(blob)
  },

  'git/create-blob': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const content = stringField(body, 'content') ?? ''
    const data =
      stringField(body, 'encoding') === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content)
    const sha = await ctx.hub.git(repo).writeBlob(data)
    const blob: Schemas['short-blob'] = {
      url: `${ctx.hub.apiUrl}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`,
      sha,
    }
    return json(blob, 201)
  },
}

/** Base64 wrapped at 60 characters, as GitHub sends file contents. */
export function base64Lines(data: Buffer): string {
  const text = data.toString('base64')
  const lines: string[] = []
  for (let i = 0; i < text.length; i += 60) lines.push(text.slice(i, i + 60))
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

function tagShape(hub: Hub, repo: RepositoryRecord, tag: TagObject) {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}`
  const objectPath = tag.type === 'tag' ? 'git/tags' : `git/${tag.type}s`
  const shape: Schemas['git-tag'] = {
    node_id: nodeId('Tag', tag.sha),
    tag: tag.tag,
    sha: tag.sha,
    url: `${api}/git/tags/${tag.sha}`,
    message: tag.message,
    tagger: tag.tagger ?? { name: '', email: '', date: new Date(0).toISOString() },
    object: { sha: tag.object, type: tag.type, url: `${api}/${objectPath}/${tag.object}` },
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  }
  return shape
}

async function treeShape(
  hub: Hub,
  repo: RepositoryRecord,
  sha: string,
  recursive: boolean,
): Promise<Schemas['git-tree']> {
  const api = `${hub.apiUrl}/repos/${repo.owner}/${repo.name}`
  const entries = await hub.git(repo).listTree(sha, { recursive })
  return {
    sha,
    url: `${api}/git/trees/${sha}`,
    truncated: false,
    tree: entries.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size === null ? {} : { size: entry.size }),
      url: `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`,
    })),
  }
}
