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
}

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
    return new Map(releases.map((r) => [r.tag_name, { id: r.id, upload_url: r.upload_url, html_url: r.html_url, assets: r.assets.map((a) => a.name) }]))
  }

  /**
   * The release of a tag, created with the notes as its body if missing, with the bundle attached once.
   * `known` is what `listReleases` saw at the start of the run; a 5xx after a write is adopted by reading again.
   */
  async ensureRelease(
    options: { tag: string; name: string; body: string; assetName: string; asset: string },
    known: ReadonlyMap<string, KnownRelease>,
  ): Promise<{ id: number; created: boolean; assetUploaded: boolean; url: string }> {
    let release = known.get(options.tag)
    let created = false
    if (!release) {
      try {
        const { data } = await this.octokit.rest.repos.createRelease({ ...this.ref, tag_name: options.tag, name: options.name, body: options.body })
        release = { id: data.id, upload_url: data.upload_url, html_url: data.html_url, assets: [] }
        created = true
      } catch (error) {
        const adopted = await this.releaseByTag(options.tag)
        if (!adopted) throw new GitHubApiError(`could not create the release ${options.tag}`, { cause: error })
        release = adopted
      }
    }
    let assetUploaded = false
    if (!release.assets.includes(options.assetName)) {
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
    return { id: release.id, created, assetUploaded, url: release.html_url }
  }

  private async releaseByTag(tag: string): Promise<KnownRelease | undefined> {
    try {
      const { data } = await this.octokit.rest.repos.getReleaseByTag({ ...this.ref, tag })
      return { id: data.id, upload_url: data.upload_url, html_url: data.html_url, assets: data.assets.map((a) => a.name) }
    } catch (error) {
      if (httpStatus(error) === 404) return undefined
      throw new GitHubApiError(`could not read the release ${tag}`, { cause: error })
    }
  }
}
