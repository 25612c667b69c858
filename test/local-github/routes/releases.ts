// Releases and their assets (bytes kept in memory); publishing a release creates its tag like GitHub does.
import { createHash } from 'node:crypto'
import {
  booleanField,
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
  stringField,
  unprocessable,
  validationFailed,
  type ApiContext,
  type RouteTable,
} from '../http-util.js'
import { timestamp, type Hub } from '../hub.js'
import { release as releaseShape, releaseAsset } from '../shapes.js'
import type { AssetRecord, ReleaseRecord, RepositoryRecord } from '../types.js'

function canSeeDrafts(ctx: ApiContext, repo: RepositoryRecord): boolean {
  return ctx.user !== null && hasPermission(ctx.hub.permissionOf(ctx.user.login, repo), 'write')
}

function findRelease(ctx: ApiContext, repo: RepositoryRecord): ReleaseRecord {
  const id = integerParam(ctx, 'release_id')
  const found = repo.releases.find((r) => r.id === id)
  if (!found || (found.draft && !canSeeDrafts(ctx, repo))) throw notFound()
  return found
}

function findAsset(ctx: ApiContext, repo: RepositoryRecord): AssetRecord {
  const id = integerParam(ctx, 'asset_id')
  const found = repo.assets.find((a) => a.id === id)
  if (!found) throw notFound()
  return found
}

/** Creates the release's tag (lightweight, at target_commitish) when it does not exist yet. */
async function ensureTag(hub: Hub, repo: RepositoryRecord, record: ReleaseRecord): Promise<void> {
  const git = hub.git(repo)
  const ref = `refs/tags/${record.tagName}`
  if (await git.readRef(ref)) return
  const target = await git.resolveCommitish(record.targetCommitish)
  if (!target) throw validationFailed([{ resource: 'Release', code: 'invalid', field: 'target_commitish' }])
  if (!(await git.isValidRefName(ref)))
    throw validationFailed([{ resource: 'Release', code: 'invalid', field: 'tag_name' }])
  await git.updateRef(ref, target, null)
}

/**
 * "Immutable releases": once a release is published with the setting on, its assets can no longer be added,
 * changed or deleted; GitHub answers 422 "Cannot upload assets to an immutable release". Hence: create a
 * draft, upload, then publish.
 */
function refuseImmutable(record: ReleaseRecord): void {
  if (record.immutable) throw unprocessable('Cannot upload assets to an immutable release.')
}

function refuseDuplicateTag(repo: RepositoryRecord, tagName: string, except?: ReleaseRecord): void {
  const existing = repo.releases.find((r) => r.tagName === tagName && r !== except && !r.draft)
  if (existing) throw validationFailed([{ resource: 'Release', code: 'already_exists', field: 'tag_name' }])
}

/** Newest first, like GitHub's list. */
function newestFirst(releases: ReleaseRecord[]): ReleaseRecord[] {
  return [...releases].sort((a, b) => b.id - a.id)
}

export const releaseRoutes: RouteTable = {
  'repos/list-releases': async (ctx) => {
    const repo = repositoryOf(ctx)
    const drafts = canSeeDrafts(ctx, repo)
    const visible = newestFirst(repo.releases.filter((r) => drafts || !r.draft))
    return listResult(ctx, visible, (r) => releaseShape(ctx.hub, repo, r))
  },

  'repos/create-release': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = bodyOf(ctx)
    const tagName = stringField(body, 'tag_name') ?? ''
    const draft = booleanField(body, 'draft') ?? false
    return ctx.hub.exclusive(repo, async () => {
      if (!draft) refuseDuplicateTag(repo, tagName)
      const now = timestamp()
      const record: ReleaseRecord = {
        id: ctx.hub.nextId(),
        tagName,
        targetCommitish: stringField(body, 'target_commitish') ?? repo.defaultBranch,
        name: nullableStringField(body, 'name') ?? null,
        body: nullableStringField(body, 'body') ?? null,
        draft,
        prerelease: booleanField(body, 'prerelease') ?? false,
        author: user.login,
        createdAt: now,
        publishedAt: draft ? null : now,
        immutable: !draft && repo.immutableReleases,
      }
      if (!draft) await ensureTag(ctx.hub, repo, record)
      repo.releases.push(record)
      return json(releaseShape(ctx.hub, repo, record), 201)
    })
  },

  'repos/get-release': async (ctx) => {
    const repo = repositoryOf(ctx)
    return json(releaseShape(ctx.hub, repo, findRelease(ctx, repo)))
  },

  'repos/get-release-by-tag': async (ctx) => {
    const repo = repositoryOf(ctx)
    const tag = ctx.params.tag ?? ''
    const found = repo.releases.find((r) => r.tagName === tag && !r.draft)
    if (!found) throw notFound()
    return json(releaseShape(ctx.hub, repo, found))
  },

  'repos/get-latest-release': async (ctx) => {
    const repo = repositoryOf(ctx)
    const found = newestFirst(repo.releases.filter((r) => !r.draft && !r.prerelease))[0]
    if (!found) throw notFound()
    return json(releaseShape(ctx.hub, repo, found))
  },

  'repos/update-release': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const record = findRelease(ctx, repo)
    const body = bodyOf(ctx)
    return ctx.hub.exclusive(repo, async () => {
      const tagName = stringField(body, 'tag_name')
      const draft = booleanField(body, 'draft')
      const willBeDraft = draft ?? record.draft
      if (tagName !== undefined && tagName !== record.tagName && !willBeDraft)
        refuseDuplicateTag(repo, tagName, record)
      if (record.draft && draft === false) refuseDuplicateTag(repo, tagName ?? record.tagName, record)
      if (tagName !== undefined) record.tagName = tagName
      const target = stringField(body, 'target_commitish')
      if (target !== undefined) record.targetCommitish = target
      const name = nullableStringField(body, 'name')
      if (name !== undefined) record.name = name
      const text = nullableStringField(body, 'body')
      if (text !== undefined) record.body = text
      const prerelease = booleanField(body, 'prerelease')
      if (prerelease !== undefined) record.prerelease = prerelease
      if (draft !== undefined) record.draft = draft
      if (!record.draft) {
        await ensureTag(ctx.hub, repo, record)
        record.publishedAt ??= timestamp()
        record.immutable ||= repo.immutableReleases
      }
      return json(releaseShape(ctx.hub, repo, record))
    })
  },

  'repos/delete-release': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const record = findRelease(ctx, repo)
    repo.releases = repo.releases.filter((r) => r !== record)
    repo.assets = repo.assets.filter((a) => a.releaseId !== record.id)
    return noContent()
  },

  'repos/list-release-assets': async (ctx) => {
    const repo = repositoryOf(ctx)
    const record = findRelease(ctx, repo)
    const assets = repo.assets.filter((a) => a.releaseId === record.id)
    return listResult(ctx, assets, (a) => releaseAsset(ctx.hub, repo, a))
  },

  'repos/upload-release-asset': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const record = findRelease(ctx, repo)
    refuseImmutable(record)
    const name = ctx.query.get('name') ?? ''
    if (repo.assets.some((a) => a.releaseId === record.id && a.name === name)) {
      throw validationFailed([{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }])
    }
    const data = new Uint8Array(ctx.rawBody)
    const now = timestamp()
    const asset: AssetRecord = {
      id: ctx.hub.nextId(),
      releaseId: record.id,
      name,
      label: ctx.query.get('label'),
      contentType: String(ctx.headers['content-type'] ?? 'application/octet-stream'),
      size: data.length,
      digest: `sha256:${createHash('sha256').update(data).digest('hex')}`,
      uploader: user.login,
      createdAt: now,
      updatedAt: now,
      data,
    }
    repo.assets.push(asset)
    return json(releaseAsset(ctx.hub, repo, asset), 201)
  },

  'repos/get-release-asset': async (ctx) => {
    const repo = repositoryOf(ctx)
    const asset = findAsset(ctx, repo)
    if (String(ctx.headers.accept ?? '').includes('application/octet-stream')) {
      return {
        status: 200,
        raw: Buffer.from(asset.data),
        contentType: 'application/octet-stream',
        headers: { 'content-disposition': `attachment; filename=${asset.name}` },
      }
    }
    return json(releaseAsset(ctx.hub, repo, asset))
  },

  'repos/delete-release-asset': async (ctx) => {
    const repo = repositoryOf(ctx)
    requirePermission(ctx, repo, 'write')
    const asset = findAsset(ctx, repo)
    const owner = repo.releases.find((r) => r.id === asset.releaseId)
    if (owner) refuseImmutable(owner)
    repo.assets = repo.assets.filter((a) => a !== asset)
    return noContent()
  },
}

/** The bytes behind a `browser_download_url`, or null. */
export function downloadAsset(
  hub: Hub,
  owner: string,
  name: string,
  tag: string,
  file: string,
): AssetRecord | null {
  const repo = hub.findRepository(owner, name)
  const record = repo?.releases.find((r) => r.tagName === tag && !r.draft)
  if (!repo || !record) return null
  return repo.assets.find((a) => a.releaseId === record.id && a.name === file) ?? null
}
