import { GANTRY_IDENTITY, type Git } from '../../adapters/git/git.js'
import { releasedOnBranch } from '../../adapters/git/released-on-branch.js'
import { ProtectedBranchError, type RemoteAuth, fetchAll, pushWithLease } from '../../adapters/git/remote.js'
import { readLedgers } from '../../adapters/git/repository-reader.js'
import { editTree } from '../../adapters/git/tree-editor.js'
import type { PromotionApi, PullRequestFact } from '../../adapters/github/promotion-api.js'
import { httpStatus } from '../../adapters/github/repository-api.js'
import { findRelease, loadVerifiedBundle } from '../../commands/artifacts.js'
import { preparePlan, writeApplyCommit } from '../../commands/promote.js'
import { type OpenRepository, openRepository, readConfigAt } from '../../commands/repository.js'
import type { Bundle } from '../../core/bundle/bundle.js'
import type { Diagnostic } from '../../core/diagnostics.js'
import type { ReleasedVersion } from '../../core/model/released-version.js'
import type { Environment, EnvironmentLedger } from '../../core/model/source-model.js'
import { evaluateApprovals, parseInstructionChecklist } from '../../core/promotion/approvals.js'
import { ledgerPath, renderLedger } from '../../core/promotion/plan-promotion.js'
import type { ApprovalDecision, Permission, PromotionMarker } from '../../core/promotion/promotion-request.js'
import { code, hiddenMarker, inert, readMarker } from '../../core/render/markdown.js'
import { formatTime } from '../../core/render/time.js'
import { instructionsToTick, promotionBranch, promotionTitle, readPromotionMarker, renderFullPlan, renderPromotionBody, withMarker } from '../../core/render/promotion-body.js'
import { RELAY_WORKFLOW_PATH, relayWorkflow } from '../../core/promotion/relay-workflow.js'
import { type SourcePullRequest, parseCommitMessages, pullRequestsOf } from '../../core/promotion/source-pull-requests.js'
import { itemPath } from '../../core/promotion/plan-promotion.js'
import { versionsOf } from '../../core/model/released-version.js'
import { releaseDecision } from '../../core/schedule/release-schedule.js'
import { compareVersions } from '../../core/versions/versions.js'

export const PROMOTION_PREFIX = 'gantry/promote/'

type Prepared = Awaited<ReturnType<typeof preparePlan>>

export interface PromotionDeps {
  api: PromotionApi
  workspace: string
  auth?: RemoteAuth
  defaultBranch: string
  now: Date
  dryRun: boolean
  log: (message: string) => void
  /** The trusted workflow's file that the environment branches' relay dispatches (default promotion.yml). */
  trustedWorkflow?: string
  /** This run's page (its job summary holds the full plans of the bodies it wrote). */
  runUrl?: string
}

export type RequestOutcome =
  | { environment: string; status: 'applied' | 'unchanged' | 'would-open'; number?: number }
  | { environment: string; status: 'opened' | 'updated'; number: number; state: PromotionState }
  | { environment: string; status: 'blocked'; diagnostics: Diagnostic[] }
  | { environment: string; status: 'refused'; message: string }
  /** This version's last request into the environment ended REJECTED or CANCELED: automation does not ask again. */
  | { environment: string; status: 'held'; number: number; message: string }

export type PromotionState = 'ACCEPTED' | 'SCHEDULED' | 'APPLIED' | 'REJECTED' | 'CANCELED' | 'SUPERSEDED' | 'CLOSED'

export interface Assessment {
  pr: PullRequestFact
  marker: PromotionMarker
  environment: Environment
  state: PromotionState
  decision?: ApprovalDecision
  schedule?: { due: boolean; reason: string; next?: Date }
  /** How it ended, from the bot's own comment. */
  ended?: EndedRecord
  /** Open again after it ended: closed again, never merged. */
  reopened?: boolean
  /** Approved, but the head is not Gantry's apply commit on the current branch head: why the approvals are void. */
  void?: string
}

export interface EndedRecord {
  status: 'REJECTED' | 'CANCELED'
  version: string
  reason: string
  by: string
}

/** The check run on each promotion's head that shows what it waits for. */
export const GATE_CHECK = 'Gantry promotion'

/** ACCEPTED reads "awaiting approval" only while approvals are missing; otherwise it waits for instructions. */
function labelOf(a: Assessment): string | undefined {
  if (a.state !== 'ACCEPTED') return LABELS[a.state]
  return !a.decision || a.decision.missingApprovals > 0 || a.void ? LABELS.ACCEPTED : 'gantry:awaiting-instructions'
}

/** The hidden marker of the bot's reply that acknowledges a command (by the command comment's id). */
const ACK_MARKER = 'ack'

const COMMAND_HELP = [
  'Gantry commands on a promotion pull request (write access needed):',
  '',
  '- `/gantry reject <reason>`: end this promotion as REJECTED.',
  '- `/gantry cancel`: end this promotion as CANCELED.',
  '- `/gantry retry`: look again now, or propose an ended promotion again as a new request.',
  '- `/gantry help`: this list.',
].join('\n')

/** The hidden marker of the bot's comment that records how a promotion ended. */
const ENDED_MARKER = 'ended'


const LABELS: Partial<Record<PromotionState, string>> = {
  ACCEPTED: 'gantry:awaiting-approval',
  APPLIED: 'gantry:applied',
  SCHEDULED: 'gantry:scheduled',
  REJECTED: 'gantry:rejected',
  CANCELED: 'gantry:canceled',
}

/**
 * Promotion pull requests, derived anew on every call from git (tags, ledgers, branches) and GitHub (pull
 * requests, their markers, reviews): a dropped or repeated run converges instead of remembering anything.
 */
export class PromotionService {
  /** The opened default branch, and the refs it was opened from (the branch and every tag). */
  private cached?: { repository: OpenRepository; refs: string }
  /** What this run did, for the job summary: Markdown lines with links. */
  readonly journal: string[] = []
  /** The full plan of every promotion body this run wrote, for the job summary (a body shows what fits). */
  readonly fullPlans: string[] = []
  /** Bundles that passed their digest check in this run, by tag, commit and digest. */
  private readonly verified = new Map<string, Bundle>()

  constructor(private readonly deps: PromotionDeps) {}

  /** The default branch as it is on origin: policy, packages and tags. */
  async source(): Promise<OpenRepository> {
    if (!this.cached) {
      const ref = `refs/remotes/origin/${this.deps.defaultBranch}`
      const config = await readConfigAt(this.deps.workspace, ref)
      const repository = await openRepository(this.deps.workspace, { commit: ref, config })
      // Only versions tagged on the default branch's history are promotable: a tag from any other branch is not.
      repository.released = await inVersionOrder(repository.git, await releasedOnBranch(repository.git, repository.released, ref), ref)
      this.cached = { repository, refs: await this.sourceRefs(repository.git) }
    }
    return this.cached.repository
  }

  /**
   * Fetch again after writing: state is what origin says now. Environment and promotion branches are read
   * live from git; the default branch is opened again only when it or a tag moved.
   */
  async refresh(): Promise<void> {
    await fetchAll(this.deps.workspace, this.deps.auth)
    if (this.cached && (await this.sourceRefs(this.cached.repository.git)) !== this.cached.refs) this.cached = undefined
  }

  private sourceRefs(git: Git): Promise<string> {
    return git.text(['for-each-ref', '--format=%(refname) %(objectname)', `refs/remotes/origin/${this.deps.defaultBranch}`, 'refs/tags'])
  }

  environment(repository: OpenRepository, name: string): Environment {
    const env = repository.config.environments.find((e) => e.name === name)
    if (!env) throw new Error(`unknown environment ${name}; gantry.yaml declares ${repository.config.environments.map((e) => e.name).join(', ')}`)
    return env
  }

  async ledgersOf(repository: OpenRepository, env: Environment): Promise<Map<string, EnvironmentLedger>> {
    const head = await repository.git.resolve(`refs/remotes/origin/${env.branch}`)
    return readLedgers(repository.git, head, repository.model.schemas)
  }

  /**
   * Environments a version should be promoted to now: not applied there, every `after` environment has it.
   * A rollback holds: automation does not promote a newer version over it until someone asks, and does not
   * carry a rollback on to the next environments.
   */
  async eligibleEnvironments(pkg: string, version: string, automatic: boolean): Promise<string[]> {
    const repository = await this.source()
    const applied = new Map<string, EnvironmentLedger | undefined>()
    for (const env of repository.config.environments) applied.set(env.name, (await this.ledgersOf(repository, env)).get(pkg))
    return repository.config.environments
      .filter((env) => {
        const ledger = applied.get(env.name)
        if (ledger?.version === version) return false
        if (automatic && ledger?.rollback && compareVersions(version, ledger.version) > 0) return false
        // Nor does it propose a rollback: an older version reaching the previous environment (rolled back
        // there) does not roll this one back on its own; a person asks by naming the environment.
        if (automatic && ledger && compareVersions(version, ledger.version) < 0) return false
        return (env.after ?? []).every((before) => applied.get(before)?.version === version)
      })
      .map((env) => env.name)
  }

  /**
   * A tag, a release, a dispatch or an upstream merge asks for a version: open or update its promotions.
   * `explicit`: a person asked (a manual run, `/gantry retry`), which is what a REJECTED or CANCELED version
   * needs to be proposed again; automation does not re-open those.
   */
  async request(pkg: string, version: string | undefined, environment: string | undefined, requestedBy: string, options: { explicit?: boolean } = {}): Promise<RequestOutcome[]> {
    const repository = await this.source()
    const release = findRelease(repository, pkg, version)
    const targets = environment ? [environment] : await this.eligibleEnvironments(pkg, release.version, true)
    const outcomes: RequestOutcome[] = []
    for (const env of targets) {
      const outcome = await this.openOrUpdate(pkg, release.version, env, requestedBy, options.explicit ?? false)
      if (outcome.status === 'refused' || outcome.status === 'held') this.deps.log(`${pkg}@${release.version} -> ${env}: ${outcome.message}`)
      if (outcome.status === 'blocked') for (const d of outcome.diagnostics) this.deps.log(`${pkg}@${release.version} -> ${env}: ${d.message}`)
      outcomes.push(outcome)
    }
    return outcomes
  }

  /** The last request of `version` through `branch` into `base`, when it ended without being applied. */
  private async endedRequest(branch: string, base: string, version: string): Promise<{ number: number; status: string } | undefined> {
    const last = (await this.deps.api.listPullRequests('closed', { head: branch, maxPages: 1 })).find((p) => p.baseRef === base && this.deps.api.isBot(p.author) && readPromotionMarker(p.body))
    if (!last || last.merged) return undefined
    const ended = await this.ended(last.number)
    if (!ended || ended.version !== version) return undefined
    return { number: last.number, status: ended.status }
  }

  /**
   * How a promotion ended (REJECTED or CANCELED, why, by whom), read only from the bot's own comment: the
   * body's marker is a cache anyone with write access can edit.
   */
  async ended(number: number): Promise<EndedRecord | undefined> {
    for (const comment of (await this.deps.api.botComments(number)).reverse()) {
      const data = readMarker(comment.body, ENDED_MARKER)
      if (data && (data.status === 'REJECTED' || data.status === 'CANCELED') && typeof data.version === 'string') {
        return { status: data.status, version: data.version, reason: typeof data.reason === 'string' ? data.reason : '', by: typeof data.by === 'string' ? data.by : '' }
      }
    }
    return undefined
  }

  private async openOrUpdate(pkg: string, version: string, envName: string, requestedBy: string, explicit: boolean): Promise<RequestOutcome> {
    let repository = await this.source()
    const env = this.environment(repository, envName)
    if (await this.ensureEnvironmentBranch(repository, env)) repository = await this.source()
    const prepared = await preparePlan(repository, { repo: this.deps.workspace, target: `${pkg}@${version}`, environment: envName })
    const plan = prepared.plan
    if (!plan || !prepared.release || !plan.ok) return { environment: envName, status: 'blocked', diagnostics: prepared.diagnostics }
    const current = prepared.view?.ledgers.get(pkg)
    if (plan.writes.size === 0 && current?.version === version && current.digest === plan.ledger.digest) {
      return { environment: envName, status: 'applied' }
    }
    const bundle = await this.verifiedBundle(repository, prepared.release)
    const branch = promotionBranch(envName, pkg)
    const fromBranch = (await this.deps.api.listPullRequests('open', { head: branch })).filter((p) => p.baseRef === env.branch)
    const open = fromBranch.find((p) => this.deps.api.isBot(p.author))
    const previous = open ? readPromotionMarker(open.body) : undefined
    // Unchanged only when the branch holds exactly the commit Gantry would push now (see applyCommit).
    if (open && previous?.version === version && previous.digest === plan.ledger.digest && open.headSha === (await this.applyCommit(repository, prepared, previous))) {
      return { environment: envName, status: 'unchanged', number: open.number }
    }
    if (!open && !explicit) {
      const ended = await this.endedRequest(branch, env.branch, version)
      if (ended) {
        const message = `${pkg}@${version} was ${ended.status} in ${envName} (#${ended.number}): it is proposed again only when someone asks (/gantry retry or a manual run)`
        return { environment: envName, status: 'held', number: ended.number, message }
      }
    }
    if (this.deps.dryRun) return { environment: envName, status: 'would-open' }
    const marker: PromotionMarker = {
      package: pkg,
      version,
      environment: envName,
      digest: plan.ledger.digest,
      from: current?.version ?? null,
      rollback: plan.rollback,
      releaseAt: bundle.environments[envName]?.release ?? null,
      requestedBy,
    }
    const commit = await this.applyCommit(repository, prepared, marker)
    const remote = await repository.git.resolve(`refs/remotes/origin/${branch}`)
    // The apply commit is deterministic: a concurrent run proposing the same thing may have pushed this very commit.
    const proposed = remote === commit ? { status: 'pushed' as const } : await pushWithLease(this.deps.workspace, commit, branch, remote ?? null, this.deps.auth)
    if (proposed.status === 'protected') throw new ProtectedBranchError(branch, proposed.detail, `cannot propose ${pkg}@${version} for ${envName}`)
    if (proposed.status === 'moved') {
      await this.refresh()
      if ((await repository.git.resolve(`refs/remotes/origin/${branch}`)) !== commit) {
        return { environment: envName, status: 'refused', message: `${branch} moved on origin since it was read (someone pushed to it): not overwritten; the next run tries again` }
      }
    }
    const tag = (v: string) => encodeURIComponent(`${pkg}@${v}`)
    const pullRequests = plan.rollback ? [] : await this.sourcePullRequests(repository, bundle, prepared.release.commit, current?.version)
    const provenance = {
      releaseUrl: this.deps.api.page(`releases/tag/${tag(version)}`),
      ...(pullRequests.length ? { pullRequests: pullRequests.map((p) => ({ ...p, url: this.deps.api.url(p.number) })) } : {}),
      ...(current?.version && current.version !== version ? { compareUrl: this.deps.api.page(`compare/${tag(current.version)}...${tag(version)}`) } : {}),
    }
    const body = renderPromotionBody({ marker, bundle, plan, environment: env, provenance, now: this.deps.now, ...(this.deps.runUrl ? { fullPlanUrl: this.deps.runUrl } : {}) })
    this.fullPlans.push(renderFullPlan(marker, plan, env))
    let number: number
    if (open) {
      await this.deps.api.updatePullRequest(open.number, { title: promotionTitle(marker), body })
      if (previous && previous.version !== version) {
        await this.deps.api.comment(open.number, `${code(`${pkg}@${previous.version}`)} is **SUPERSEDED** by ${code(version)}: earlier approvals no longer count.`)
      }
      number = open.number
    } else {
      await this.closeLookAlikes(fromBranch, branch, `${pkg}@${version}`)
      number = (await this.deps.api.createPullRequest({ head: branch, base: env.branch, title: promotionTitle(marker), body })).number
      // The environment's reviewers (users and teams) are asked: GitHub notifies them and lists the request.
      if ((env.approvals ?? 0) > 0 && env.reviewers?.length) await this.deps.api.requestReviewers(number, env.reviewers)
    }
    this.journal.push(`${open ? 'Updated' : 'Opened'} [#${number}](${this.deps.api.url(number)}): ${code(`${pkg}@${version}`)} → ${inert(envName)}`)
    this.deps.log(`${pkg}@${version} -> ${envName}: promotion #${number} ${open ? 'updated' : 'opened'}`)
    await this.refresh()
    const decided = await this.decide(number)
    const state: PromotionState = 'pr' in decided ? decided.state : 'ACCEPTED'
    return { environment: envName, status: open ? 'updated' : 'opened', number, state }
  }

  /**
   * GitHub allows one open pull request per head and base ("A pull request already exists"): one that a
   * person opened from Gantry's promotion branch would keep Gantry from proposing at all. It is no promotion
   * (only the bot's are), so it is closed, saying why.
   */
  private async closeLookAlikes(fromBranch: PullRequestFact[], branch: string, what: string): Promise<void> {
    for (const other of fromBranch.filter((p) => !this.deps.api.isBot(p.author))) {
      await this.deps.api.comment(other.number, `Closed by Gantry: ${code(branch)} is Gantry's promotion branch, and only Gantry opens pull requests from it. Gantry proposes ${code(what)} in a pull request of its own; to ask for a promotion, comment ${code('/gantry retry')} on a promotion or run the promotion workflow.`)
      await this.deps.api.updatePullRequest(other.number, { state: 'closed' })
      this.journal.push(`Closed [#${other.number}](${this.deps.api.url(other.number)}): a pull request from ${code(branch)} not opened by Gantry`)
    }
  }

  /** An environment branch that does not exist yet starts as a commit holding only an explanation. */
  private async ensureEnvironmentBranch(repository: OpenRepository, env: Environment): Promise<boolean> {
    if (await repository.git.resolve(`refs/remotes/origin/${env.branch}`)) return false
    if (this.deps.dryRun) return false
    const tree = await editTree(repository.git, undefined, new Map([
      ['.gantry/README.md', `This branch holds the desired state of the ${env.name} environment, written by Gantry promotions.\n`],
      // Events on pull requests into this branch start workflows from here, not from the default branch.
      [RELAY_WORKFLOW_PATH, relayWorkflow(this.deps.trustedWorkflow)],
    ]))
    const commit = await repository.git.commitTree(tree, [], `gantry: create ${env.branch}\n`, GANTRY_IDENTITY)
    const created = await pushWithLease(this.deps.workspace, commit, env.branch, null, this.deps.auth)
    if (created.status === 'protected') throw new ProtectedBranchError(env.branch, created.detail, `cannot create ${env.branch}`)
    await this.refresh()
    return true
  }

  /**
   * Writes the relay workflow onto every existing environment branch that lacks its current text (branches
   * created before it existed, or edited by hand); the scheduled run calls it. Returns the branches written.
   */
  async ensureRelays(): Promise<string[]> {
    if (this.deps.dryRun) return []
    const repository = await this.source()
    const text = relayWorkflow(this.deps.trustedWorkflow)
    const written: string[] = []
    for (const env of repository.config.environments) {
      const head = await repository.git.resolve(`refs/remotes/origin/${env.branch}`)
      if (!head) continue
      const spec = `${head}:${RELAY_WORKFLOW_PATH}`
      if ((await repository.git.readBlobs([spec])).get(spec)?.toString('utf8') === text) continue
      const tree = await editTree(repository.git, head, new Map([[RELAY_WORKFLOW_PATH, text]]))
      const commit = await repository.git.commitTree(tree, [head], `gantry: relay workflow for ${env.branch}\n`, GANTRY_IDENTITY)
      const pushed = await pushWithLease(this.deps.workspace, commit, env.branch, head, this.deps.auth)
      if (pushed.status === 'protected') throw new ProtectedBranchError(env.branch, pushed.detail, `cannot write the relay workflow to ${env.branch}`)
      if (pushed.status === 'pushed') written.push(env.branch)
    }
    if (written.length > 0) await this.refresh()
    return written
  }

  /**
   * Where a promotion stands now, from its pull request, reviews, the verified bundle and the clock. Writes
   * nothing. Package and environment come from the branch name, policy from the default branch, release date
   * and instructions from the verified bundle; the marker only names the version, which the head commit must
   * then bind (see integrity()).
   */
  async assess(number: number): Promise<Assessment | undefined> {
    const pr = await this.deps.api.getPullRequest(number)
    const cached = readPromotionMarker(pr.body)
    // Only pull requests the bot opened are promotions: anyone can open one from a look-alike branch.
    if (!cached || !pr.headRef.startsWith(PROMOTION_PREFIX) || !this.deps.api.isBot(pr.author)) return undefined
    const repository = await this.source()
    const [envName, ...rest] = pr.headRef.slice(PROMOTION_PREFIX.length).split('/')
    const environment = repository.config.environments.find((e) => e.name === envName)
    // A promotion comes from its own branch into its environment's branch; a marker claiming anything else
    // (say, a dev marker on a pull request into qa) would borrow another environment's policy.
    if (!environment || pr.baseRef !== environment.branch || cached.environment !== envName || cached.package !== rest.join('/')) return undefined
    const bundle = await this.bundleOf(cached).catch(() => undefined)
    const marker: PromotionMarker = { ...cached, releaseAt: bundle?.environments[environment.name]?.release ?? null }
    if (pr.merged) return { pr, marker, environment, state: 'APPLIED' }
    // Whether it is a rollback decides which before-instructions must be ticked: it comes from the version the
    // environment runs now, as the plan derives it, never from the marker (anyone with write access edits it).
    const running = (await this.ledgersOf(repository, environment)).get(cached.package)
    marker.rollback = running !== undefined && compareVersions(cached.version, running.version) < 0
    const ended = await this.ended(pr.number)
    if (pr.state === 'closed') return { pr, marker, environment, state: ended?.status ?? 'CLOSED', ...(ended ? { ended } : {}) }
    // Reopened after it ended: an ended promotion stays ended (a new request starts from zero).
    if (ended) return { pr, marker, environment, state: ended.status, ended, reopened: true }
    const decision = await this.approvals(pr, marker, environment)
    if (decision.changesRequested.length > 0) return { pr, marker, environment, state: 'REJECTED', decision }
    if (!decision.approved) return { pr, marker, environment, state: 'ACCEPTED', decision }
    const integrity = await this.integrity(pr, marker)
    if (!integrity.ok) return { pr, marker, environment, state: 'ACCEPTED', decision, void: integrity.reason }
    const schedule = releaseDecision(this.deps.now, environment, marker.releaseAt ?? undefined)
    return { pr, marker, environment, state: schedule.due ? 'APPLIED' : 'SCHEDULED', decision, schedule }
  }

  private async approvals(pr: PullRequestFact, marker: PromotionMarker, environment: Environment): Promise<ApprovalDecision> {
    const reviews = await this.deps.api.listReviews(pr.number)
    const permissions = new Map<string, Permission>()
    for (const login of new Set(reviews.map((r) => r.reviewer.toLowerCase()))) permissions.set(login, await this.deps.api.permission(login))
    const teamMembers = new Map<string, string[]>()
    for (const team of (environment.reviewers ?? []).filter((r) => r.includes('/'))) teamMembers.set(team, await this.deps.api.teamMembers(team))
    const pushers = (await this.deps.api.listCommitAuthors(pr.number)).filter((p) => p !== pr.author && p !== GANTRY_IDENTITY.email)
    const before = await this.beforeSteps(marker)
    return evaluateApprovals({
      reviews,
      headSha: pr.headSha,
      author: pr.author,
      bot: pr.author,
      pushers,
      permissions,
      ...(environment.reviewers ? { reviewers: environment.reviewers } : {}),
      teamMembers,
      required: environment.approvals ?? 0,
      instructions: before.length ? parseInstructionChecklist(pr.body, before) : [],
    })
  }

  private async beforeSteps(marker: PromotionMarker): Promise<string[]> {
    // A rollback asks only for the steps marked `rollback: true` (see instructionsToTick).
    return instructionsToTick(await this.bundleOf(marker), marker.rollback)
  }

  private async bundleOf(marker: PromotionMarker): Promise<Bundle> {
    const repository = await this.source()
    return this.verifiedBundle(repository, findRelease(repository, marker.package, marker.version))
  }

  /** A released version's bundle, checked against the digest in its tag once per run. */
  private async verifiedBundle(repository: OpenRepository, release: ReleasedVersion): Promise<Bundle> {
    const key = `${release.tag} ${release.commit} ${release.digest ?? ''}`
    const known = this.verified.get(key)
    if (known) return known
    const { verified, diagnostics } = await loadVerifiedBundle(repository, release)
    if (!verified) throw new Error(diagnostics.map((d) => d.message).join('; '))
    this.verified.set(key, verified.bundle)
    return verified.bundle
  }

  /** Assess, then act: reject, schedule, or merge (with the SHA that was approved), and record it. */
  async decide(number: number): Promise<Assessment | { state: 'NOT_A_PROMOTION' }> {
    const assessment = await this.assess(number)
    if (!assessment) return { state: 'NOT_A_PROMOTION' }
    const { pr, marker, state } = assessment
    if (this.deps.dryRun) return assessment
    if (pr.merged) {
      await this.applied(pr, marker)
      return assessment
    }
    if (pr.state === 'closed') return assessment
    if (assessment.reopened) {
      const ended = assessment.ended!
      await this.deps.api.updatePullRequest(pr.number, { state: 'closed' })
      await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), LABELS[ended.status])
      await this.deps.api.comment(pr.number, `Reopened, but this promotion ended ${ended.status} and stays ended: closed again. Its approvals do not carry over. To propose ${code(`${marker.package}@${marker.version}`)} again, comment ${code('/gantry retry')}: a new request, approved from zero.`)
      return assessment
    }
    if (state === 'REJECTED') {
      const by = assessment.decision!.changesRequested[0]!
      await this.close(pr, marker, 'REJECTED', by.body.trim() || `changes requested by ${by.login}`, by.login)
      return assessment
    }
    if (assessment.void) return this.proposeAgain(assessment)
    // An approved promotion gets its label from the merge's outcome.
    if (state !== 'APPLIED') await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), labelOf(assessment))
    await this.publishGate(assessment)
    if (state === 'SCHEDULED') {
      // Times shown to people are in the environment's zone, in one format (as its windows are written).
      const next = assessment.schedule?.next
      const when = next ? `at the first run after ${code(formatTime(next, assessment.environment.timezone))}` : 'when a window opens (none is upcoming)'
      await this.stickyNote(pr.number, 'schedule', `⏰ Approved and **SCHEDULED**: applies ${when} (${inert(assessment.schedule!.reason)}). Comment ${code('/gantry cancel')} to cancel.`)
      return assessment
    }
    if (state !== 'APPLIED') return assessment
    return this.merge(assessment)
  }

  /**
   * The head is not Gantry's apply commit on the current branch head: the approvals were given to something
   * else, so they are void. Gantry pushes its own commit again (approvals start from zero) and says why.
   */
  private async proposeAgain(assessment: Assessment): Promise<Assessment> {
    const { pr, marker } = assessment
    await this.stickyNote(pr.number, 'integrity', `❌ Not applied: ${inert(assessment.void!)}. The approvals given so far are void: Gantry proposed ${code(`${marker.package}@${marker.version}`)} again on the current ${code(assessment.environment.branch)}; approve the new head.`)
    await this.openOrUpdate(marker.package, marker.version, marker.environment, marker.requestedBy, true)
    return { ...assessment, state: 'ACCEPTED' }
  }

  private async merge(assessment: Assessment): Promise<Assessment> {
    const { pr, marker, decision } = assessment
    const approvers = decision?.approvers ?? []
    const message = [`Promotion #${pr.number}`, ...approvers.map((a) => `Approved-by: ${a.login} at ${a.sha}`)].join('\n')
    // The SHA checked above is the one merged: a head that moves in between makes GitHub refuse.
    const outcome = await this.deps.api.merge(pr.number, pr.headSha, promotionTitle(marker), message)
    if (!outcome.merged) {
      await this.stickyNote(pr.number, 'merge', `⚠️ Not applied: ${outcome.reason === 'head-moved' ? 'the head moved after the approvals were checked' : inert(outcome.message)}. The next run looks again.`)
      await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), LABELS.ACCEPTED)
      return { ...assessment, state: 'ACCEPTED' }
    }
    this.deps.log(`${marker.package}@${marker.version} applied to ${marker.environment} (#${pr.number})`)
    this.journal.push(`Applied [#${pr.number}](${this.deps.api.url(pr.number)}): ${code(`${marker.package}@${marker.version}`)} → ${inert(marker.environment)}`)
    await this.publishGate({ ...assessment, state: 'APPLIED' })
    await this.refresh()
    await this.applied({ ...pr, merged: true, mergedAt: this.deps.now.toISOString(), mergedBy: this.deps.api.bot }, marker, approvers)
    return { ...assessment, state: 'APPLIED' }
  }

  /**
   * What follows a merge, whoever made it and however often it is asked: the record in the ledger, the label
   * gone, and the promotions that may follow (the next environments; packages waiting for this one). Each
   * step is idempotent, so a run that stopped half-way is finished by the next event or scheduled run.
   */
  private async applied(pr: PullRequestFact, marker: PromotionMarker, approvers?: { login: string; sha: string }[]): Promise<void> {
    await this.record(pr, marker, approvers)
    const source = await this.source()
    // Labels follow the state to the end; a SCHEDULED note says that it applied.
    const labels = await this.deps.api.labels(pr.number)
    if (!labels.includes(LABELS.APPLIED!)) {
      await this.deps.api.setStatusLabel(pr.number, labels, LABELS.APPLIED)
      const note = hiddenMarker('note-schedule')
      const zone = source.config.environments.find((e) => e.name === marker.environment)?.timezone
      await this.deps.api.updateCommentIfAny(pr.number, note, `${note}\n✅ Was **SCHEDULED**; **APPLIED** at ${code(formatTime(pr.mergedAt ?? this.deps.now, zone))}.`)
    }
    // Only while the environment still runs this version: an old merged promotion asks for nothing.
    const ledger = (await this.ledgersOf(source, this.environment(source, marker.environment))).get(marker.package)
    if (ledger?.version !== marker.version) return
    await this.request(marker.package, marker.version, undefined, `${marker.environment} applied (#${pr.number})`)
    // Packages that were waiting for this one may be promotable now.
    for (const dependent of [...source.model.packages.values()].filter((p) => (p.manifest.dependencies ?? []).some((d) => d.package === marker.package))) {
      if (source.released.some((r) => r.package === dependent.name)) await this.request(dependent.name, undefined, undefined, `${marker.package} applied in ${marker.environment}`)
    }
  }

  /**
   * The one commit Gantry proposes for a promotion: the verified bundle's plan applied onto the environment
   * branch's head, with a fixed identity, a date taken from the released commit and a message made of package,
   * version, environment and digest. Nothing in it is random, so Gantry can compute it again at any time and
   * two runs proposing the same thing push the same commit.
   */
  private async applyCommit(repository: OpenRepository, prepared: Prepared, marker: Pick<PromotionMarker, 'package' | 'version' | 'environment' | 'digest' | 'rollback'>): Promise<string> {
    const plan = prepared.plan!
    const head = prepared.view?.head
    const { tree } = await writeApplyCommit(repository.git, plan, head, { sourceCommit: prepared.release!.commit })
    const date = (await repository.git.text(['show', '-s', '--format=%ct', prepared.release!.commit])).trim()
    const summary = plan.changes.filter((c) => c.action !== 'keep').map((c) => `${c.action} ${c.item}`)
    const message = [
      promotionTitle({ ...marker, rollback: plan.rollback, from: null, releaseAt: null, requestedBy: '' }),
      '',
      summary.join('\n') || 'no item changes',
      '',
      `Gantry-Package: ${plan.package}`,
      `Gantry-Version: ${plan.version}`,
      `Gantry-Environment: ${plan.environment}`,
      `Gantry-Digest: ${plan.ledger.digest}`,
      '',
    ].join('\n')
    return repository.git.commitTree(tree, head ? [head] : [], message, { ...GANTRY_IDENTITY, date: `${date} +0000` })
  }

  /**
   * Whether the promotion pull request's head is what may merge: Gantry's apply commit of the verified bundle,
   * recomputed and compared by SHA, so neither commit metadata nor the marker is trusted. Either the head is
   * that commit on the environment branch's current head, or it is that commit on an earlier head of the
   * branch (another promotion merged meanwhile) and makes exactly the change Gantry's commit on the current
   * head would make: the squash merge then leaves the branch as Gantry's apply onto its head at merge time.
   * A commit slipped under Gantry's (a parent that is not on the branch) or over it never matches.
   */
  private async integrity(pr: PullRequestFact, marker: PromotionMarker): Promise<{ ok: true } | { ok: false; reason: string }> {
    const repository = await this.source()
    const git = repository.git
    const env = this.environment(repository, marker.environment)
    const head = await git.resolve(`refs/remotes/origin/${env.branch}`)
    const current = head ? await this.preparedOn(repository, marker, head) : undefined
    if (!current) return { ok: false, reason: `${marker.package}@${marker.version} cannot be planned for ${marker.environment} any more` }
    const expected = await this.applyCommit(repository, current, { ...marker, digest: current.plan!.ledger.digest })
    if (pr.headSha === expected) return { ok: true }
    const parents = (await git.text(['rev-list', '--parents', '-n', '1', pr.headSha]).catch(() => '')).trim().split(' ').slice(1)
    const parent = parents.length === 1 ? parents[0]! : undefined
    const onBranch = parent !== undefined && (await git.run(['merge-base', '--is-ancestor', parent, head!], { okCodes: [1, 128] })).code === 0
    if (parent && onBranch) {
      const stale = await this.preparedOn(repository, marker, parent)
      if (stale && pr.headSha === (await this.applyCommit(repository, stale, { ...marker, digest: stale.plan!.ledger.digest }))) {
        if ((await this.change(git, parent, pr.headSha)) === (await this.change(git, head!, expected))) return { ok: true }
        return { ok: false, reason: `${env.branch} moved since this was proposed, and the change it would make there is no longer the same` }
      }
    }
    return { ok: false, reason: 'the promotion branch no longer holds what Gantry proposed (a commit was pushed to it by someone else)' }
  }

  /**
   * What `to` changes against `from`: each path with its blob before and after. Equal changes on two bases
   * mean the paths they touch are alike on both, so a squash merge of one onto the other's base is clean and
   * gives exactly the other's tree.
   */
  private async change(git: Git, from: string, to: string): Promise<string> {
    const out = await git.text(['diff-tree', '-r', '--no-renames', from, to])
    return out.split('\n').filter(Boolean).sort().join('\n')
  }

  private async preparedOn(repository: OpenRepository, marker: PromotionMarker, head: string): Promise<Prepared | undefined> {
    const prepared = await preparePlan(repository, { repo: this.deps.workspace, target: `${marker.package}@${marker.version}`, environment: marker.environment, environmentHead: head }).catch(() => undefined)
    return prepared?.plan?.ok && prepared.release ? prepared : undefined
  }

  /**
   * After the merge the ledger gets the bookkeeping: promotion number, approvers with the SHA they approved,
   * when. Idempotent: a crash between the merge and this step is finished by the next run, never re-merged.
   */
  async record(pr: PullRequestFact, marker: PromotionMarker, approvers?: { login: string; sha: string }[]): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const repository = await this.source()
      const env = this.environment(repository, marker.environment)
      const head = await repository.git.resolve(`refs/remotes/origin/${env.branch}`)
      const ledger = (await readLedgers(repository.git, head, repository.model.schemas)).get(marker.package)
      if (!head || !ledger || ledger.version !== marker.version || ledger.promotion === pr.number) return
      const who = approvers ?? (await this.approvals(pr, marker, env)).approvers
      // pulls.list leaves merged_by out: ask for the pull request itself when it is not known.
      const merger = pr.mergedBy ? pr : await this.deps.api.getPullRequest(pr.number)
      const recorded: EnvironmentLedger = { ...ledger, promotion: pr.number, approvers: who, appliedAt: pr.mergedAt ?? this.deps.now.toISOString(), appliedBy: mergedBy(merger, this.deps.api) }
      const tree = await editTree(repository.git, (await repository.git.text(['rev-parse', `${head}^{tree}`])).trim(), new Map([[ledgerPath(marker.package), renderLedger(recorded)]]))
      const commit = await repository.git.commitTree(tree, [head], `gantry: record promotion #${pr.number} of ${marker.package}@${marker.version} in ${env.name}\n`, GANTRY_IDENTITY)
      const pushed = await pushWithLease(this.deps.workspace, commit, env.branch, head, this.deps.auth)
      // A refusal by GitHub's rules is not a lost lease: fail the run saying what to configure; later runs retry.
      if (pushed.status === 'protected') throw new ProtectedBranchError(env.branch, pushed.detail, `could not record promotion #${pr.number} of ${marker.package}@${marker.version} in ${env.name}`)
      if (pushed.status === 'pushed') {
        await this.refresh()
        return
      }
      await this.refresh()
    }
    this.deps.log(`could not record promotion #${pr.number}: ${marker.environment} kept moving; the next run records it`)
  }

  /**
   * REJECTED or CANCELED: the PR closes, and the bot's comment records the end (status, version, reason) in a
   * hidden marker: that comment, which only the bot can write, is where later runs read it. The body's marker
   * gets the same for readers of the body, as a cache.
   */
  async close(pr: PullRequestFact, marker: PromotionMarker, status: 'REJECTED' | 'CANCELED', reason: string, by: string): Promise<void> {
    const record = hiddenMarker(ENDED_MARKER, { status, version: marker.version, reason: reason.slice(0, 2000), by })
    const verb = status === 'REJECTED' ? 'Rejected' : 'Canceled'
    await this.deps.api.comment(pr.number, `${verb} by ${code(by)}: ${inert(reason, 2000)}\n\n${marker.package}@${marker.version} reaches ${inert(marker.environment)} only through a new request: comment ${code('/gantry retry')}.\n${record}`)
    await this.deps.api.updatePullRequest(pr.number, { body: withMarker(pr.body, { ...marker, status, reason }), state: 'closed' })
    await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), LABELS[status])
    this.journal.push(`${verb} [#${pr.number}](${this.deps.api.url(pr.number)}): ${code(`${marker.package}@${marker.version}`)} → ${inert(marker.environment)}`)
    const environment = this.environment(await this.source(), marker.environment)
    await this.publishGate({ pr, marker, environment, state: status, ended: { status, version: marker.version, reason, by } })
  }

  /**
   * Every `/gantry` command on a pull request that has no acknowledgement yet, oldest first: each is carried
   * out (or refused) and answered by a bot reply carrying the command's id. A command whose run was dropped
   * (workflow concurrency replaces pending runs) is picked up by the next event on the pull request or by the
   * scheduled run. Returns what each command became.
   */
  async handleCommands(number: number): Promise<string[]> {
    const comments = await this.deps.api.listComments(number)
    const acknowledged = new Set(comments.filter((c) => this.deps.api.isBot(c.author)).map((c) => readMarker(c.body, ACK_MARKER)?.comment))
    const out: string[] = []
    for (const c of comments) {
      if (this.deps.api.isBot(c.author) || !c.body.trimStart().startsWith('/gantry') || acknowledged.has(c.id)) continue
      // Anyone with write access can edit anyone's comment, and GitHub does not say who edited it: a command
      // edited into a comment would act in its author's name. Only commands as they were written count.
      const edited = c.updatedAt !== undefined && Date.parse(c.updatedAt) > Date.parse(c.createdAt)
      const reply = this.deps.dryRun
        ? { outcome: 'dry run', text: '' }
        : edited
          ? { outcome: 'edited after it was written: ignored', text: `Nothing done: this comment was edited after it was written, and a command acts in its author's name (${code(c.author)}), while anyone with write access can edit comments. Write the command in a new comment.` }
          : await this.command(number, c.author, c.body)
      out.push(`${c.author}: ${reply.outcome}`)
      this.journal.push(`[#${number}](${this.deps.api.url(number)}): ${code(c.body.trim().split('\n')[0]!.slice(0, 100))} by ${code(c.author)}: ${inert(reply.outcome)}`)
      if (this.deps.dryRun) continue
      const first = c.body.trim().split('\n')[0]!
      const ack = hiddenMarker(ACK_MARKER, { comment: c.id })
      await this.deps.api.upsertComment(number, ack, `${ack}\n> ${inert(first, 200)}\n\n${reply.text}`)
    }
    return out
  }

  /** Pull requests with `/gantry` comments from the last `days` days (answered or not: handleCommands tells). */
  commandTargets(days: number): Promise<number[]> {
    return this.deps.api.commandTargets(new Date(this.deps.now.getTime() - days * 86_400_000))
  }

  /** One `/gantry` command: carried out when allowed, and the reply that says what happened or why not. */
  async command(number: number, login: string, text: string): Promise<{ outcome: string; text: string }> {
    const match = /^\s*\/gantry(?:\s+(\S+))?[ \t]*(.*)$/m.exec(text)
    const verb = match?.[1]?.toLowerCase() ?? 'help'
    if (verb === 'help') return { outcome: 'help', text: COMMAND_HELP }
    if (!['reject', 'cancel', 'retry'].includes(verb)) return { outcome: 'unknown command', text: `${code(`/gantry ${verb}`)} is not a Gantry command: nothing done.\n\n${COMMAND_HELP}` }
    const permission = await this.deps.api.permission(login)
    if (!['admin', 'maintain', 'write'].includes(permission)) {
      return { outcome: `${login} has no write access: ignored`, text: `Nothing done: ${code(login)} has ${permission === 'none' ? 'no' : code(permission)} access to this repository, and ${code(`/gantry ${verb}`)} needs write access (write, maintain or admin).` }
    }
    // An issue (not a pull request) answers 404 here: it is no promotion either.
    const assessment = await this.assess(number).catch((error: unknown) => {
      if (httpStatus(error) === 404) return undefined
      throw error
    })
    if (!assessment) return { outcome: 'not a promotion pull request', text: 'Nothing done: this is not a promotion pull request opened by Gantry.' }
    const { pr, marker } = assessment
    const what = code(`${marker.package}@${marker.version}`)
    if (verb === 'retry') {
      if (pr.merged) return { outcome: 'already applied', text: `Nothing to retry: ${what} is already applied.` }
      if (pr.state === 'open' && !assessment.reopened) {
        const state = (await this.decide(number)).state
        return { outcome: state, text: `Looked again: ${what} is ${state}.` }
      }
      const outcomes = await this.request(marker.package, marker.version, marker.environment, `retry by ${login}`, { explicit: true })
      const opened = outcomes.map((o) => ('number' in o && o.number ? `${o.status} (#${o.number})` : o.status)).join(', ')
      return { outcome: opened, text: `Proposed again as a new request, approvals from zero: ${opened}.` }
    }
    if (pr.merged) return { outcome: 'already applied', text: `Already applied: to undo it, promote an older version (a rollback).` }
    if (pr.state === 'closed' || assessment.reopened) return { outcome: 'already closed', text: `Nothing done: this promotion already ended (${assessment.ended?.status ?? 'closed'}).` }
    const status = verb === 'reject' ? 'REJECTED' : 'CANCELED'
    await this.close(pr, marker, status, match?.[2]?.trim() || (verb === 'reject' ? 'no reason given' : 'canceled'), login)
    return { outcome: status, text: `Done: ${what} is ${status}.` }
  }

  /**
   * Merged promotions whose bookkeeping is still missing, derived from git rather than from a page of recent
   * pull requests: an environment's ledger without a promotion number, where a promotion branch of that
   * package exists, is looked up through that branch's closed pull requests.
   */
  async unrecorded(): Promise<{ pr: PullRequestFact; marker: PromotionMarker }[]> {
    const repository = await this.source()
    const branches = new Set((await repository.git.text(['for-each-ref', '--format=%(refname)', `refs/remotes/origin/${PROMOTION_PREFIX}`])).split('\n').filter(Boolean).map((r) => r.slice('refs/remotes/origin/'.length)))
    const out: { pr: PullRequestFact; marker: PromotionMarker }[] = []
    for (const env of repository.config.environments) {
      for (const [pkg, ledger] of await this.ledgersOf(repository, env)) {
        const branch = promotionBranch(env.name, pkg)
        if (ledger.promotion !== undefined || !branches.has(branch)) continue
        const merged = (await this.deps.api.listPullRequests('closed', { head: branch, maxPages: 1 })).find((p) => p.merged && p.baseRef === env.branch && this.deps.api.isBot(p.author) && readPromotionMarker(p.body)?.version === ledger.version)
        if (merged) out.push({ pr: merged, marker: readPromotionMarker(merged.body)! })
      }
    }
    return out
  }

  /** Promotion pull requests by state: the open ones, and the most recently closed ones (one page). */
  async promotions(state: 'open' | 'closed'): Promise<PullRequestFact[]> {
    const prs = await this.deps.api.listPullRequests(state, state === 'closed' ? { maxPages: 1 } : {})
    return prs.filter((p) => p.headRef.startsWith(PROMOTION_PREFIX) && this.deps.api.isBot(p.author) && readPromotionMarker(p.body))
  }

  /**
   * The check run "Gantry promotion" on the head: what the promotion waits for (approvals x of y,
   * instructions, release date, window), where GitHub shows gates, in the merge box. A token that may not
   * write checks (only Apps may) loses only this display.
   */
  private async publishGate(a: Assessment): Promise<void> {
    try {
      const required = a.environment.approvals ?? 0
      const approved = a.decision?.approvers.length ?? 0
      const bundle = await this.bundleOf(a.marker).catch(() => undefined)
      // The steps this promotion asks (a rollback asks only those marked for rollbacks), as its body lists them.
      const before = bundle ? instructionsToTick(bundle, a.marker.rollback) : []
      const unticked = a.decision?.unticked.length ?? before.length
      const windows = a.environment.windows ?? []
      const rows = [
        required > 0
          ? `- Approvals: ${approved} of ${required}${approved ? `, by ${a.decision!.approvers.map((r) => code(r.login)).join(', ')}` : ''}${a.environment.reviewers?.length ? ` (reviewers: ${a.environment.reviewers.map((r) => code(r)).join(', ')})` : ''}`
          : '- Approvals: none needed in this environment',
        `- Instructions: ${before.length ? `${before.length - unticked} of ${before.length} ticked` : 'none'}`,
        `- Release date: ${a.marker.releaseAt ? code(formatTime(a.marker.releaseAt, a.environment.timezone)) : 'none'}`,
        `- Window: ${windows.length ? windows.map((w) => code(w)).join(', ') : 'any time'}${a.environment.timezone ? ` (${inert(a.environment.timezone)})` : ''}`,
      ]
      const waiting = [
        a.decision && a.decision.missingApprovals > 0 ? `${a.decision.missingApprovals} more approval${a.decision.missingApprovals === 1 ? '' : 's'}` : '',
        unticked > 0 ? `${unticked} instruction${unticked === 1 ? '' : 's'} to tick` : '',
      ].filter(Boolean)
      const title =
        a.state === 'APPLIED' ? 'Applied by Gantry'
        : a.state === 'SCHEDULED' ? `Scheduled: ${a.schedule?.reason ?? ''}${a.schedule?.next ? `, next at ${formatTime(a.schedule.next, a.environment.timezone)}` : ''}`
        : a.state === 'REJECTED' || a.state === 'CANCELED' ? `${a.state}: ${a.ended?.reason ?? ''}`
        : a.void ? `Proposed again: ${a.void}`
        : `Waiting for ${waiting.join(' and ') || 'the next run'}`
      const status = a.state === 'APPLIED' || a.state === 'REJECTED' || a.state === 'CANCELED' ? 'completed' : 'in_progress'
      const conclusion = a.state === 'APPLIED' ? 'success' : a.state === 'REJECTED' ? 'failure' : a.state === 'CANCELED' ? 'cancelled' : undefined
      await this.deps.api.upsertCheckRun(a.pr.headSha, GATE_CHECK, { status, ...(conclusion ? { conclusion } : {}), title, summary: [`**${a.state}**: ${inert(title)}`, '', ...rows].join('\n'), detailsUrl: this.deps.api.url(a.pr.number) })
    } catch (error) {
      this.deps.log(`#${a.pr.number}: the check run was not written (${error instanceof Error ? error.message : String(error)})`)
    }
  }

  /**
   * The pull requests that changed this package between the version the environment runs (else the package's
   * previous version) and this one, from the default branch's first-parent history: the merges GitHub made,
   * limited to those touching the package's file or its items' files. Unknown (shallow history): none.
   */
  private async sourcePullRequests(repository: OpenRepository, bundle: Bundle, to: string, running: string | undefined): Promise<SourcePullRequest[]> {
    const versions = versionsOf(repository.released, bundle.package)
    const since = running !== undefined ? versions.find((r) => r.version === running) : versions.filter((r) => compareVersions(r.version, bundle.version) < 0).sort((a, b) => compareVersions(b.version, a.version))[0]
    const { paths } = repository
    const files = [`${paths.packages}/${bundle.package}.yaml`, `${paths.packages}/${bundle.package}.yml`]
    const items = Object.keys(bundle.items) as Parameters<typeof itemPath>[1][]
    // A very large package: its whole definitions folder, rather than a command line of thousands of paths.
    if (items.length > 500) files.push(paths.definitions)
    else for (const id of items) files.push(itemPath(paths, id), itemPath(paths, id).replace(/\.yaml$/, '.yml'))
    const range = since && since.commit !== to ? [`${since.commit}..${to}`] : [to, '--max-count=200']
    try {
      const log = await repository.git.text(['log', '--first-parent', '--format=%s%x00%b%x1e', ...range, '--', ...files])
      return pullRequestsOf(parseCommitMessages(log)).slice(0, 50)
    } catch {
      return []
    }
  }

  /** One comment per kind of note on a pull request, updated rather than repeated on every run. */
  private async stickyNote(number: number, kind: string, text: string): Promise<void> {
    const marker = hiddenMarker(`note-${kind}`)
    await this.deps.api.upsertComment(number, marker, `${marker}\n${text}`)
  }
}

/**
 * Keeps the versions whose content is not older than an earlier version of the same package: a tag that names
 * a higher version on a commit that is a proper ancestor of a lower version's commit (old content, tagged by
 * hand with a digest computed as gantry build would) would pass as an upgrade, skip the rollback hold and
 * apply at once where no approval is needed. The release job only tags the tip of the default branch, so its
 * versions always follow the history. One rev-list of the default branch; an ancestry check only for a
 * version whose commit comes later in topological order than the version before it.
 */
async function inVersionOrder(git: Git, released: ReleasedVersion[], ref: string): Promise<ReleasedVersion[]> {
  if (released.length < 2) return released
  const order = new Map((await git.text(['rev-list', '--topo-order', ref])).split('\n').filter(Boolean).map((sha, i) => [sha, i]))
  const dropped = new Set<ReleasedVersion>()
  const byPackage = new Map<string, ReleasedVersion[]>()
  for (const r of released) byPackage.set(r.package, [...(byPackage.get(r.package) ?? []), r])
  for (const versions of byPackage.values()) {
    let previous: ReleasedVersion | undefined
    for (const v of versions.sort((a, b) => compareVersions(a.version, b.version))) {
      // Topological order lists descendants first: an ancestor of the previous commit comes after it.
      const later = previous && v.commit !== previous.commit && (order.get(v.commit) ?? -1) > (order.get(previous.commit) ?? Infinity)
      if (later && (await git.run(['merge-base', '--is-ancestor', v.commit, previous!.commit], { okCodes: [1] })).code === 0) {
        dropped.add(v)
        continue
      }
      previous = v
    }
  }
  return released.filter((r) => !dropped.has(r))
}

/**
 * Who applied a merged promotion, for the ledger: `gantry` when GitHub records the bot as the one who merged,
 * otherwise the login of the person who pressed Merge (which status and the dashboard show as drift).
 */
export function mergedBy(pr: Pick<PullRequestFact, 'mergedBy'>, api: Pick<PromotionApi, 'isBot'>): string {
  return !pr.mergedBy || api.isBot(pr.mergedBy) ? 'gantry' : pr.mergedBy
}
