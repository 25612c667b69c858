import type { Permission, ReviewFact } from '../../core/promotion/promotion-request.js'
import type { GitHubClient } from './octokit.js'
import { GitHubApiError, type RepoRef, httpStatus } from './repository-api.js'

export interface PullRequestFact {
  number: number
  state: 'open' | 'closed'
  merged: boolean
  mergedAt: string | null
  mergeCommit: string | null
  closedAt: string | null
  headRef: string
  headSha: string
  baseRef: string
  body: string
  author: string
  title: string
  /** Who pressed merge (GitHub's `merged_by`); null when not merged or not told. */
  mergedBy: string | null
}

/** A comment as Gantry reads it: only the author GitHub records can be trusted. */
export interface CommentFact {
  id: number
  body: string
  author: string
  createdAt: string
  /** When it was last edited (equal to createdAt when never edited). */
  updatedAt?: string
}

export type MergeOutcome = { merged: true; sha: string } | { merged: false; reason: 'head-moved' | 'not-mergeable'; message: string }

type PullData = {
  number: number
  state: string
  merged_at?: string | null
  merge_commit_sha?: string | null
  closed_at?: string | null
  head: { ref: string; sha: string }
  base: { ref: string }
  body?: string | null
  user?: { login: string } | null
  merged_by?: { login: string } | null
  title: string
}

function toFact(p: PullData): PullRequestFact {
  return {
    number: p.number,
    state: p.state === 'open' ? 'open' : 'closed',
    merged: Boolean(p.merged_at),
    mergedAt: p.merged_at ?? null,
    mergeCommit: p.merge_commit_sha ?? null,
    closedAt: p.closed_at ?? null,
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    body: p.body ?? '',
    author: p.user?.login ?? '',
    title: p.title,
    mergedBy: p.merged_by?.login ?? null,
  }
}

/**
 * The login the token acts as, when GitHub says (a personal or fine-grained token); undefined for the
 * workflow's GITHUB_TOKEN and App installation tokens, which `GET /user` refuses.
 */
export async function authenticatedLogin(octokit: GitHubClient): Promise<string | undefined> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login
  } catch {
    return undefined
  }
}

/** Pull requests, reviews and issues as promotions need them; lists are paginated, writes adopt on retry. */
export class PromotionApi {
  /**
   * `bot`: the login GitHub records for Gantry's own writes. Comments and issues are adopted only when GitHub
   * says the bot wrote them: anyone can paste a marker into a comment or an issue of their own.
   */
  constructor(
    private readonly octokit: GitHubClient,
    readonly ref: RepoRef,
    readonly bot: string,
    /** The web server (GITHUB_SERVER_URL), for links in summaries. */
    readonly webUrl = 'https://github.com',
  ) {}

  isBot(login: string | null | undefined): boolean {
    return Boolean(login) && login!.toLowerCase() === this.bot.toLowerCase()
  }

  private get repo() {
    return { owner: this.ref.owner, repo: this.ref.repo }
  }

  async listPullRequests(state: 'open' | 'closed' | 'all', options: { head?: string; maxPages?: number } = {}): Promise<PullRequestFact[]> {
    const out: PullRequestFact[] = []
    let page = 0
    for await (const response of this.octokit.paginate.iterator(this.octokit.rest.pulls.list, {
      ...this.repo,
      state,
      per_page: 100,
      sort: 'updated',
      direction: 'desc',
      ...(options.head ? { head: `${this.ref.owner}:${options.head}` } : {}),
    })) {
      out.push(...response.data.map((p) => toFact(p as PullData)))
      if (++page >= (options.maxPages ?? Infinity)) break
    }
    return out
  }

  async getPullRequest(number: number): Promise<PullRequestFact> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.repo, pull_number: number })
    return toFact(data as PullData)
  }

  /** Opens the pull request, or adopts the open one of that head when a retry or a race got there first. */
  async createPullRequest(input: { head: string; base: string; title: string; body: string }): Promise<PullRequestFact> {
    try {
      const { data } = await this.octokit.rest.pulls.create({ ...this.repo, ...input })
      return toFact(data as PullData)
    } catch (error) {
      // Adopted only when the bot opened it (a retried create that did go through): a person's pull request
      // from the same branch is not Gantry's request.
      const open = (await this.listPullRequests('open', { head: input.head })).find((p) => p.baseRef === input.base && this.isBot(p.author))
      if (open) return open
      throw new GitHubApiError(`could not open a pull request from ${input.head} into ${input.base}`, { cause: error })
    }
  }

  async updatePullRequest(number: number, fields: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<void> {
    await this.octokit.rest.pulls.update({ ...this.repo, pull_number: number, ...fields })
  }

  async listReviews(number: number): Promise<ReviewFact[]> {
    const reviews = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...this.repo, pull_number: number, per_page: 100 })
    return reviews.map((r) => ({
      id: r.id,
      reviewer: r.user?.login ?? '',
      state: r.state as ReviewFact['state'],
      commitId: r.commit_id ?? '',
      submittedAt: r.submitted_at ?? '',
      body: r.body ?? '',
    }))
  }

  /** Logins (or e-mails when GitHub cannot map them) of everyone who authored or committed on the branch. */
  async listCommitAuthors(number: number): Promise<string[]> {
    const commits = await this.octokit.paginate(this.octokit.rest.pulls.listCommits, { ...this.repo, pull_number: number, per_page: 100 })
    const people = new Set<string>()
    for (const c of commits) {
      people.add(c.author?.login ?? c.commit.author?.email ?? '')
      people.add(c.committer?.login ?? c.commit.committer?.email ?? '')
    }
    people.delete('')
    return [...people]
  }

  async permission(login: string): Promise<Permission> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({ ...this.repo, username: login })
      const role = (data as { role_name?: string }).role_name
      return (role && ['admin', 'maintain', 'write', 'triage', 'read'].includes(role) ? role : data.permission) as Permission
    } catch (error) {
      if (httpStatus(error) === 404) return 'none'
      throw new GitHubApiError(`could not read ${login}'s permission`, { cause: error })
    }
  }

  /** Members of "@org/team". */
  async teamMembers(team: string): Promise<string[]> {
    const [org, slug] = team.replace(/^@/, '').split('/')
    if (!org || !slug) return []
    try {
      const members = await this.octokit.paginate(this.octokit.rest.teams.listMembersInOrg, { org, team_slug: slug, per_page: 100 })
      return members.map((m) => m.login)
    } catch (error) {
      if (httpStatus(error) === 404) return []
      throw new GitHubApiError(`could not list the members of ${team}`, { cause: error })
    }
  }

  /** Squash-merges only if the head is still `sha`: a head that moved after the approval check applies nothing. */
  async merge(number: number, sha: string, title: string, message: string): Promise<MergeOutcome> {
    try {
      const { data } = await this.octokit.rest.pulls.merge({ ...this.repo, pull_number: number, sha, merge_method: 'squash', commit_title: title, commit_message: message })
      return { merged: true, sha: data.sha }
    } catch (error) {
      const code = httpStatus(error)
      const message = error instanceof Error ? error.message : String(error)
      if (code === 409) return { merged: false, reason: 'head-moved', message }
      if (code === 405 || code === 422) {
        // A 5xx retried after GitHub merged answers "not mergeable": adopt the merge that happened.
        const now = await this.getPullRequest(number)
        if (now.merged && now.mergeCommit) return { merged: true, sha: now.mergeCommit }
        return { merged: false, reason: 'not-mergeable', message }
      }
      const now = await this.getPullRequest(number).catch(() => undefined)
      if (now?.merged && now.mergeCommit) return { merged: true, sha: now.mergeCommit }
      throw new GitHubApiError(`could not merge #${number}`, { cause: error })
    }
  }

  /** A comment, written once: a retry first looks whether the failed attempt was written after all. */
  async comment(number: number, body: string): Promise<void> {
    await this.createCommentOnce(number, body, (c) => c.body === body)
  }

  /**
   * The bot's comment carrying `marker`, created once and then updated in place. Two runs creating it at once
   * converge: each looks again after creating, and every copy but the oldest is deleted.
   */
  async upsertComment(number: number, marker: string, body: string): Promise<void> {
    const isIt = (c: CommentFact) => c.body.includes(marker)
    let existing = (await this.botComments(number)).filter(isIt)
    if (existing.length === 0) {
      await this.createCommentOnce(number, body, isIt)
      existing = (await this.botComments(number)).filter(isIt)
    }
    const [first, ...copies] = existing.sort((a, b) => a.id - b.id)
    for (const copy of copies) await this.octokit.rest.issues.deleteComment({ ...this.repo, comment_id: copy.id }).catch(() => undefined)
    if (first && first.body !== body) await this.octokit.rest.issues.updateComment({ ...this.repo, comment_id: first.id, body })
  }

  /**
   * Creating a comment is not idempotent: GitHub may answer 5xx after it wrote one, and the client's own retry
   * would write a second. So it is retried here, and only after looking for the one the failed attempt made.
   */
  private async createCommentOnce(number: number, body: string, isIt: (c: CommentFact) => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let author: string | undefined
      try {
        author = (await this.octokit.rest.issues.createComment({ ...this.repo, issue_number: number, body, request: { retries: 0 } })).data.user?.login
      } catch (error) {
        if ((await this.botComments(number)).some(isIt)) return
        if (attempt >= 3 || (httpStatus(error) ?? 0) < 500) throw new GitHubApiError(`could not comment on #${number}`, { cause: error })
        continue
      }
      this.checkAuthor(author)
      return
    }
  }

  /**
   * What Gantry writes must be recognisable as its own on the next run: a token that writes as someone other
   * than `bot-login` would make every run write again, so it stops here with what to set.
   */
  private checkAuthor(author: string | undefined): void {
    if (author && !this.isBot(author)) {
      throw new GitHubApiError(`GitHub records Gantry's writes as ${author}, but the bot-login input is ${this.bot}: set bot-login: ${author} (with an App token, ${'`<app-slug>[bot]`'})`)
    }
  }

  /** Every comment on an issue or pull request, oldest first. */
  async listComments(number: number): Promise<CommentFact[]> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.repo, issue_number: number, per_page: 100 })
    return comments.map((c) => ({ id: c.id, body: c.body ?? '', author: c.user?.login ?? '', createdAt: c.created_at, updatedAt: c.updated_at }))
  }

  /** Issues and pull requests with a `/gantry` comment by someone other than the bot since `since`. */
  async commandTargets(since: Date): Promise<number[]> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listCommentsForRepo, { ...this.repo, since: since.toISOString(), per_page: 100 })
    const numbers = comments
      .filter((c) => !this.isBot(c.user?.login) && (c.body ?? '').trimStart().startsWith('/gantry'))
      .map((c) => Number(/\/(\d+)$/.exec(c.issue_url)?.[1]))
      .filter((n) => Number.isInteger(n) && n > 0)
    return [...new Set(numbers)]
  }

  /** The comments GitHub records as the bot's: the only ones Gantry reads state from. */
  async botComments(number: number): Promise<CommentFact[]> {
    return (await this.listComments(number)).filter((c) => this.isBot(c.author))
  }

  /**
   * The check run `name` on `sha`, created or updated. Only the App that created a check run may update it
   * (GitHub's rule for check runs), so an update refused is answered by creating Gantry's own.
   */
  async upsertCheckRun(sha: string, name: string, run: { status: 'in_progress' | 'completed'; conclusion?: 'success' | 'failure' | 'cancelled' | 'neutral'; title: string; summary: string; detailsUrl?: string }): Promise<void> {
    const fields = {
      status: run.status,
      ...(run.conclusion ? { conclusion: run.conclusion } : {}),
      ...(run.detailsUrl ? { details_url: run.detailsUrl } : {}),
      output: { title: run.title.slice(0, 1000), summary: run.summary.slice(0, 60_000) },
    }
    const { data } = await this.octokit.rest.checks.listForRef({ ...this.repo, ref: sha, check_name: name, filter: 'latest', per_page: 100 })
    const existing = data.check_runs[0]
    if (existing) {
      if (existing.status === run.status && existing.conclusion === (run.conclusion ?? null) && existing.output.title === fields.output.title && existing.output.summary === fields.output.summary) return
      try {
        await this.octokit.rest.checks.update({ ...this.repo, check_run_id: existing.id, ...fields })
        return
      } catch (error) {
        if (![403, 404].includes(httpStatus(error) ?? 0)) throw error
      }
    }
    await this.octokit.rest.checks.create({ ...this.repo, head_sha: sha, name, ...fields })
  }

  /** Updates the bot's comment carrying `marker`, if there is one; creates nothing. */
  async updateCommentIfAny(number: number, marker: string, body: string): Promise<void> {
    const existing = (await this.botComments(number)).find((c) => c.body.includes(marker))
    if (existing && existing.body !== body) await this.octokit.rest.issues.updateComment({ ...this.repo, comment_id: existing.id, body })
  }

  /** The web address of a page of the repository (`releases/tag/...`, `compare/a...b`). */
  page(path: string): string {
    return `${this.webUrl}/${this.ref.owner}/${this.ref.repo}/${path}`
  }

  /** The web address of an issue or pull request. */
  url(number: number, kind: 'pull' | 'issues' = 'pull'): string {
    return `${this.webUrl}/${this.ref.owner}/${this.ref.repo}/${kind}/${number}`
  }

  /** Requests reviews from the environment's reviewers (logins and "@org/team"); those GitHub refuses are skipped. */
  async requestReviewers(number: number, reviewers: readonly string[]): Promise<void> {
    const users = reviewers.filter((r) => !r.includes('/') && !this.isBot(r))
    const teams = reviewers.filter((r) => r.includes('/')).map((r) => r.replace(/^@/, '').split('/')[1]!)
    if (users.length === 0 && teams.length === 0) return
    const ask = (reviewers: string[], team_reviewers: string[]) =>
      this.octokit.rest.pulls.requestReviewers({ ...this.repo, pull_number: number, reviewers, team_reviewers }).then(
        () => true,
        () => false,
      )
    if (await ask(users, teams)) return
    // GitHub refuses the whole request (422 "Reviews may only be requested from collaborators") when any one
    // of the users or teams is not a collaborator, or is the author: one stale name in gantry.yaml would leave
    // every reviewer unasked. Each is then asked on its own, and only those GitHub refuses are skipped.
    for (const user of users) await ask([user], [])
    for (const team of teams) await ask([], [team])
  }

  /** Labels are display only, re-derived each run: add the wanted ones, remove the other gantry ones. */
  async setStatusLabel(number: number, current: string[], wanted: string | undefined): Promise<void> {
    for (const label of current.filter((l) => l.startsWith('gantry:') && l !== wanted)) {
      await this.octokit.rest.issues.removeLabel({ ...this.repo, issue_number: number, name: label }).catch(() => undefined)
    }
    if (wanted && !current.includes(wanted)) {
      await this.octokit.rest.issues.addLabels({ ...this.repo, issue_number: number, labels: [wanted] }).catch(() => undefined)
    }
  }

  async labels(number: number): Promise<string[]> {
    const labels = await this.octokit.paginate(this.octokit.rest.issues.listLabelsOnIssue, { ...this.repo, issue_number: number, per_page: 100 })
    return labels.map((l) => l.name)
  }

  /**
   * The one issue carrying `marker` that the bot opened: updated in place, created once. Two runs creating it
   * at once converge on the oldest; the other is closed as a duplicate.
   */
  async upsertIssue(marker: string, title: string, body: string): Promise<number> {
    const find = async () => {
      const issues = await this.octokit.paginate(this.octokit.rest.issues.listForRepo, { ...this.repo, state: 'open', creator: this.bot, per_page: 100 })
      return issues.filter((i) => !i.pull_request && this.isBot(i.user?.login) && (i.body ?? '').includes(marker)).sort((a, b) => a.number - b.number)
    }
    let found = await find()
    if (found.length === 0) {
      await this.createIssueOnce(title, body, async () => (await find()).length > 0)
      found = await find()
    }
    const [first, ...copies] = found
    for (const copy of copies) await this.octokit.rest.issues.update({ ...this.repo, issue_number: copy.number, state: 'closed', state_reason: 'duplicate' }).catch(() => undefined)
    if (!first) throw new GitHubApiError('could not find the dashboard issue just created')
    if (first.body !== body) await this.octokit.rest.issues.update({ ...this.repo, issue_number: first.number, body })
    return first.number
  }

  private async createIssueOnce(title: string, body: string, exists: () => Promise<boolean>): Promise<void> {
    // As with comments: not the client's retry, which would open a second issue after a 5xx that wrote one.
    for (let attempt = 1; ; attempt++) {
      let author: string | undefined
      try {
        author = (await this.octokit.rest.issues.create({ ...this.repo, title, body, request: { retries: 0 } })).data.user?.login
      } catch (error) {
        if (await exists()) return
        if (attempt >= 3 || (httpStatus(error) ?? 0) < 500) throw new GitHubApiError('could not create the dashboard issue', { cause: error })
        continue
      }
      this.checkAuthor(author)
      return
    }
  }
}
