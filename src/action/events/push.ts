import * as core from '@actions/core'
import { fetchAll, pushTags, type RemoteAuth } from '../../adapters/git/remote.js'
import { readReleasedVersions } from '../../adapters/git/repository-reader.js'
import { Git } from '../../adapters/git/git.js'
import type { RepositoryApi } from '../../adapters/github/repository-api.js'
import { type BuiltArtifact, buildPackages } from '../../commands/build.js'
import type { Diagnostic } from '../../core/diagnostics.js'
import { bundleFileName } from '../../core/bundle/bundle.js'
import { renderReleaseBody } from '../../core/render/release-body.js'
import { log } from '../log.js'

export interface ReleaseRun {
  api: RepositoryApi
  workspace: string
  auth?: RemoteAuth
  dryRun: boolean
  /** The repository's default branch (asked of GitHub when not given). */
  defaultBranch?: string
}

export interface ReleaseOutcome {
  artifacts: BuiltArtifact[]
  released: { tag: string; releaseCreated: boolean; tagPushed: boolean }[]
  diagnostics: Diagnostic[]
}

/**
 * A push to the default branch: build every package whose content changed, push the new tags, and make
 * sure each version has its release with the bundle attached. A re-run finds the tags and releases it
 * made and adopts them: one tag, one release, one asset.
 */
export async function releaseOnPush(run: ReleaseRun): Promise<ReleaseOutcome> {
  const stale = await notAtDefaultTip(run)
  if (stale) {
    log.warning(stale)
    return { artifacts: [], released: [], diagnostics: [] }
  }
  const build = await core.group('Build', () => buildPackages({ repo: run.workspace, packages: [], all: true, debug: false }))
  const released: ReleaseOutcome['released'] = []
  const diagnostics = [...build.diagnostics]
  if (run.dryRun) return { artifacts: build.artifacts, released, diagnostics }
  const newTags = build.artifacts.filter((a) => a.created && a.tag).map((a) => a.tag!)
  const pushes = await pushTags(run.workspace, newTags, run.auth)
  const declined = pushes.filter((p) => p.status === 'refused')
  if (declined.length > 0) {
    // GitHub declined the tags (a tag ruleset, a hook): retrying cannot help, the repository's settings can.
    const pushed = pushes.filter((p) => p.status !== 'refused').map((p) => `${p.tag}: ${p.status === 'pushed' ? 'pushed' : 'already on the remote'}`)
    throw new Error(
      [
        `GitHub refused to create ${declined.length === 1 ? 'the tag' : 'tags'}; nothing was released:`,
        ...declined.map((p) => `${p.tag}: ${'detail' in p ? p.detail : ''}`),
        ...pushed,
        'Allow the identity Gantry runs as (its GitHub App) to create tags matching <package>@<version>: add it as a bypass actor of the tag ruleset. The next run pushes them again.',
      ].join('\n'),
    )
  }
  const refused = new Set(pushes.filter((p) => p.status === 'exists').map((p) => p.tag))
  if (refused.size > 0) {
    // Another run pushed the same tag first: keep it only if it names the same bundle.
    await fetchAll(run.workspace, run.auth)
    const remote = await readReleasedVersions(new Git(run.workspace))
    for (const artifact of build.artifacts.filter((a) => a.tag && refused.has(a.tag))) {
      const theirs = remote.find((r) => r.tag === artifact.tag)
      if (theirs?.digest !== artifact.digest) {
        diagnostics.push({ severity: 'error', code: 'digest-mismatch', package: artifact.package, message: `${artifact.tag} exists on the remote with another bundle (expected ${artifact.digest}, got ${theirs?.digest ?? 'none'})`, hint: 'run the release again: it rebuilds from the tags that exist' })
      }
    }
  }
  const known = await run.api.listReleases()
  for (const artifact of build.artifacts) {
    if (!artifact.tag || diagnostics.some((d) => d.package === artifact.package && d.severity === 'error')) continue
    const assetName = bundleFileName(artifact.package, artifact.version)
    // Versions that already have their published release and bundle cost nothing more.
    const existing = known.get(artifact.tag)
    if (existing?.draft === false && existing.assets.includes(assetName)) {
      released.push({ tag: artifact.tag, releaseCreated: false, tagPushed: false })
      continue
    }
    const release = await run.api.ensureRelease({
      tag: artifact.tag,
      name: artifact.tag,
      body: releaseBody(artifact),
      assetName,
      asset: artifact.bytes,
    }, known)
    released.push({ tag: artifact.tag, releaseCreated: release.created, tagPushed: newTags.includes(artifact.tag) && !refused.has(artifact.tag) })
  }
  return { artifacts: build.artifacts, released, diagnostics }
}

/**
 * Releases are made only from the tip of the default branch. A re-run of an old release run checks out an
 * older commit: building it would tag older content as the newest version (and apply it to the first
 * environments). Answers why nothing is released, or undefined at the tip.
 */
async function notAtDefaultTip(run: ReleaseRun): Promise<string | undefined> {
  // origin/<default> as the run fetched it when it started (main.ts fetches every branch and tag first).
  const branch = run.defaultBranch ?? (await run.api.defaultBranch())
  const git = new Git(run.workspace)
  const [head, tip] = await Promise.all([git.resolve('HEAD'), git.resolve(`refs/remotes/origin/${branch}`)])
  if (head && head === tip) return undefined
  return `not released: this run checked out ${head?.slice(0, 12) ?? 'nothing'}, but ${branch} is at ${tip?.slice(0, 12) ?? 'nothing'}; releases are made only from the tip of ${branch} (the run for its newest commit releases it)`
}

function releaseBody(artifact: BuiltArtifact): string {
  return renderReleaseBody(artifact)
}
