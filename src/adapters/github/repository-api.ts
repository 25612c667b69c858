import type { GitHubClient } from './octokit.js'

export interface RepoRef {
  owner: string
  repo: string
}

export interface KnownRelease {
  id: number
  upload_url: string
  html_url: string
  assets: string[]
  /** Not published yet: uploads are still possible whatever the repository's settings. */
  draft?: boolean
  /** Published while immutable releases were on: its assets can no longer change. */
  immutable?: boolean
}

/** One annotation of a check run, as the Checks API takes it. */
export interface CheckAnnotation {
  path: string
  start_line: number
  end_line: number
  start_column?: number
  end_column?: number
  annotation_level: 'failure' | 'warning' | 'notice'
  message: string
  title?: string
}

/** Annotations written per check run at most (ten requests); the rest are in its summary and the job summary. */
const MAX_CHECK_ANNOTATIONS = 500

export class GitHubApiError extends Error {
  override name = 'GitHubApiError'
}

/** The HTTP status of an Octokit error, if it has one. */
export function httpStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : undefined
}

/** GitHub operations Gantry needs, each idempotent: a retry or a re-run adopts what already exists. */
export class RepositoryApi {
  /** `bot`: when given, only comments GitHub records as the bot's are adopted (anyone can paste a marker). */
  constructor(
    private readonly octokit: GitHubClient,
    readonly ref: RepoRef,
    readonly bot?: string,
  ) {}

  /** The pull request comment carrying `marker`, created once and then updated in place. */
  async upsertComment(issueNumber: number, marker: string, body: string): Promise<{ id: number; created: boolean }> {
    const existing = await this.findComment(issueNumber, marker)
    if (existing) {
      if (existing.body !== body) await this.octokit.rest.issues.updateComment({ ...this.ref, comment_id: existing.id, body })
      return { id: existing.id, created: false }
    }
    try {
      // No blind retry: a 5xx may come after GitHub wrote the comment, so a failure is answered by looking.
      const { data } = await this.octokit.rest.issues.createComment({ ...this.ref, issue_number: issueNumber, body, request: { retries: 0 } })
      return { id: data.id, created: true }
    } catch (error) {
      // A 5xx after the server wrote it: adopt the comment instead of writing a second one.
      const adopted = await this.findComment(issueNumber, marker)
      if (adopted) return { id: adopted.id, created: false }
      throw new GitHubApiError(`could not comment on #${issueNumber}`, { cause: error })
    }
  }

  async findComment(issueNumber: number, marker: string): Promise<{ id: number; body: string } | undefined> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.ref, issue_number: issueNumber, per_page: 100 })
    const ours = (login: string | undefined) => !this.bot || login?.toLowerCase() === this.bot.toLowerCase()
    const found = comments.find((c) => ours(c.user?.login) && (c.body ?? '').includes(marker))
    return found ? { id: found.id, body: found.body ?? '' } : undefined
  }

  async listPullRequestFiles(pullNumber: number): Promise<string[]> {
    const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, { ...this.ref, pull_number: pullNumber, per_page: 100 })
    return files.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])])
  }

  async defaultBranch(): Promise<string> {
    const { data } = await this.octokit.rest.repos.get({ owner: this.ref.owner, repo: this.ref.repo })
    return data.default_branch
  }

  /** Every release with its asset names, in one paginated listing: a run looks up releases once, not per tag. */
  async listReleases(): Promise<Map<string, KnownRelease>> {
    const releases = await this.octokit.paginate(this.octokit.rest.repos.listReleases, { owner: this.ref.owner, repo: this.ref.repo, per_page: 100 })
    // A published release wins over a draft of the same tag (a draft is what an interrupted run leaves).
    const ordered = [...releases].sort((a, b) => Number(b.draft) - Number(a.draft))
    return new Map(ordered.map((r) => [r.tag_name, knownRelease(r)]))
  }

  /**
   * The release of a tag with the bundle attached once, made as GitHub's immutable releases require: created as
   * a draft, the bundle uploaded, then published (a published immutable release refuses uploads). `known` is
   * what `listReleases` saw at the start of the run (drafts included); a 5xx after a write is adopted by reading
   * again, and a draft left by an interrupted run is finished.
   */
  async ensureRelease(
    options: { tag: string; name: string; body: string; assetName: string; asset: string },
    known: ReadonlyMap<string, KnownRelease>,
  ): Promise<{ id: number; created: boolean; assetUploaded: boolean; url: string }> {
    let release = known.get(options.tag)
    let created = false
    if (!release) {
      try {
        // No blind retry: GitHub takes any number of drafts per tag, so a 5xx is answered by looking.
        const { data } = await this.octokit.rest.repos.createRelease({ ...this.ref, tag_name: options.tag, name: options.name, body: options.body, draft: true, request: { retries: 0 } })
        release = { id: data.id, upload_url: data.upload_url, html_url: data.html_url, assets: [], draft: true }
        created = true
      } catch (error) {
        const adopted = await this.releaseByTag(options.tag)
        if (!adopted) throw new GitHubApiError(`could not create the release ${options.tag}`, { cause: error })
        release = adopted
      }
    }
    let assetUploaded = false
    if (!release.assets.includes(options.assetName)) {
      if (release.draft === false && release.immutable) {
        throw new GitHubApiError(`${options.tag} is published as an immutable release without ${options.assetName}: it can no longer be attached; delete the release and its tag, then run the release again`)
      }
      try {
        await this.octokit.rest.repos.uploadReleaseAsset({
          ...this.ref,
          release_id: release.id,
          name: options.assetName,
          url: release.upload_url,
          data: options.asset as unknown as string,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.asset) },
        })
        assetUploaded = true
      } catch (error) {
        const again = await this.releaseByTag(options.tag)
        if (!again?.assets.includes(options.assetName)) throw new GitHubApiError(`could not attach ${options.assetName} to ${options.tag}`, { cause: error })
      }
    }
    if (release.draft !== false) {
      try {
        const { data } = await this.octokit.rest.repos.updateRelease({ ...this.ref, release_id: release.id, draft: false })
        release = { ...release, html_url: data.html_url, draft: false }
      } catch (error) {
        // Another run published its own release of this tag first: adopt it if it carries the bundle.
        const published = await this.releaseByTag(options.tag)
        if (published?.draft !== false || !published.assets.includes(options.assetName)) throw new GitHubApiError(`could not publish the release ${options.tag}`, { cause: error })
        await this.octokit.rest.repos.deleteRelease({ ...this.ref, release_id: release.id }).catch(() => undefined)
        release = published
        created = false
      }
    }
    return { id: release.id, created, assetUploaded, url: release.html_url }
  }

  /**
   * A completed check run with its annotations, where the merge box lists checks and the Files changed tab shows
   * annotations. The Checks API takes at most 50 annotations per request; more are appended by updates of the
   * check run (GitHub's "Create a check run" / "Update a check run"), so they follow in batches. Only GitHub Apps
   * (the workflow's GITHUB_TOKEN included) may write check runs: with another token this returns false.
   */
  async publishCheckRun(sha: string, name: string, run: { conclusion: 'success' | 'failure' | 'neutral'; title: string; summary: string; annotations: readonly CheckAnnotation[] }): Promise<boolean> {
    const batches: CheckAnnotation[][] = []
    for (let i = 0; i < Math.min(run.annotations.length, MAX_CHECK_ANNOTATIONS); i += 50) batches.push(run.annotations.slice(i, i + 50))
    const output = (annotations: CheckAnnotation[] | undefined) => ({ title: run.title.slice(0, 1000), summary: run.summary.slice(0, 65_000), ...(annotations ? { annotations } : {}) })
    try {
      const { data } = await this.octokit.rest.checks.create({ owner: this.ref.owner, repo: this.ref.repo, head_sha: sha, name, status: 'completed', conclusion: run.conclusion, output: output(batches[0]) })
      for (const batch of batches.slice(1)) await this.octokit.rest.checks.update({ owner: this.ref.owner, repo: this.ref.repo, check_run_id: data.id, output: output(batch) })
      return true
    } catch (error) {
      if (httpStatus(error) === 403) return false
      throw new GitHubApiError(`could not write the check run ${name}`, { cause: error })
    }
  }

  /** The release of a tag, a published one before a draft (drafts are found only by listing). */
  private async releaseByTag(tag: string): Promise<KnownRelease | undefined> {
    try {
      const releases = await this.octokit.paginate(this.octokit.rest.repos.listReleases, { owner: this.ref.owner, repo: this.ref.repo, per_page: 100 })
      const mine = releases.filter((r) => r.tag_name === tag).sort((a, b) => Number(a.draft) - Number(b.draft))
      return mine[0] ? knownRelease(mine[0]) : undefined
    } catch (error) {
      throw new GitHubApiError(`could not read the release ${tag}`, { cause: error })
    }
  }
}

function knownRelease(r: { id: number; upload_url: string; html_url: string; draft: boolean; immutable?: boolean; assets: { name: string }[] }): KnownRelease {
  return { id: r.id, upload_url: r.upload_url, html_url: r.html_url, assets: r.assets.map((a) => a.name), draft: r.draft, immutable: r.immutable === true }
}
