import { randomUUID } from 'node:crypto'
import { GANTRY_IDENTITY, type Git } from '../../adapters/git/git.js'
import { type RemoteAuth, fetchAll, pushWithLease } from '../../adapters/git/remote.js'
import { readLedgers } from '../../adapters/git/repository-reader.js'
import { editTree } from '../../adapters/git/tree-editor.js'
import type { PromotionApi, PullRequestFact } from '../../adapters/github/promotion-api.js'
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
import { code, hiddenMarker, inert } from '../../core/render/markdown.js'
import { promotionBranch, promotionTitle, readPromotionMarker, renderPromotionBody, withMarker } from '../../core/render/promotion-body.js'
import { RELAY_WORKFLOW_PATH, relayWorkflow } from '../../core/promotion/relay-workflow.js'
import { releaseDecision } from '../../core/schedule/release-schedule.js'
import { compareVersions } from '../../core/versions/versions.js'

export const PROMOTION_PREFIX = 'gantry/promote/'

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
}

const LABELS: Partial<Record<PromotionState, string>> = {
  ACCEPTED: 'gantry:awaiting-approval',
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
  /** Bundles that passed their digest check in this run, by tag, commit and digest. */
  private readonly verified = new Map<string, Bundle>()

  constructor(private readonly deps: PromotionDeps) {}

  /** The default branch as it is on origin: policy, packages and tags. */
  async source(): Promise<OpenRepository> {
    if (!this.cached) {
      const ref = `refs/remotes/origin/${this.deps.defaultBranch}`
      const config = await readConfigAt(this.deps.workspace, ref)
      const repository = await openRepository(this.deps.workspace, { commit: ref, config })
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
   * A rollback holds: automation does not promote a newer version over it until someone asks.
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
    const last = (await this.deps.api.listPullRequests('closed', { head: branch, maxPages: 1 })).find((p) => p.baseRef === base && readPromotionMarker(p.body))
    const marker = last && readPromotionMarker(last.body)
    if (!last || !marker || last.merged || marker.version !== version) return undefined
    return { number: last.number, status: marker.status ?? 'CLOSED' }
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
    const open = (await this.deps.api.listPullRequests('open', { head: branch })).find((p) => p.baseRef === env.branch)
    const previous = open ? readPromotionMarker(open.body) : undefined
    if (open && previous?.version === version && previous.digest === plan.ledger.digest) {
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
    const { tree } = await writeApplyCommit(repository.git, plan, prepared.view?.head, { sourceCommit: prepared.release.commit })
    // Each request proposes its own commit (the tree is what counts): of two runs proposing the same thing at
    // once, exactly one wins the lease below, instead of both "pushing" one identical commit.
    const summary = plan.changes.filter((c) => c.action !== 'keep').map((c) => `${c.action} ${c.item}`)
    const message = `${promotionTitle(marker)}\n\n${summary.join('\n') || 'no item changes'}\n\nGantry-Request: ${randomUUID()}\n`
    const commit = await repository.git.commitTree(tree, prepared.view?.head ? [prepared.view.head] : [], message, GANTRY_IDENTITY)
    const remote = await repository.git.resolve(`refs/remotes/origin/${branch}`)
    if (!(await pushWithLease(this.deps.workspace, commit, branch, remote ?? null, this.deps.auth))) {
      return { environment: envName, status: 'refused', message: `${branch} moved on origin since it was read (someone pushed to it): not overwritten; the next run tries again` }
    }
    const body = renderPromotionBody({ marker, bundle, plan, environment: env })
    let number: number
    if (open) {
      await this.deps.api.updatePullRequest(open.number, { title: promotionTitle(marker), body })
      if (previous && previous.version !== version) {
        await this.deps.api.comment(open.number, `${code(`${pkg}@${previous.version}`)} is **SUPERSEDED** by ${code(version)}: earlier approvals no longer count.`)
      }
      number = open.number
    } else {
      number = (await this.deps.api.createPullRequest({ head: branch, base: env.branch, title: promotionTitle(marker), body })).number
    }
    this.deps.log(`${pkg}@${version} -> ${envName}: promotion #${number} ${open ? 'updated' : 'opened'}`)
    await this.refresh()
    const decided = await this.decide(number)
    const state: PromotionState = 'pr' in decided ? decided.state : 'ACCEPTED'
    return { environment: envName, status: open ? 'updated' : 'opened', number, state }
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
    await pushWithLease(this.deps.workspace, commit, env.branch, null, this.deps.auth)
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
      if (await pushWithLease(this.deps.workspace, commit, env.branch, head, this.deps.auth)) written.push(env.branch)
    }
    if (written.length > 0) await this.refresh()
    return written
  }

  /** Where a promotion stands now, from its pull request, marker, reviews and the clock. Writes nothing. */
  async assess(number: number): Promise<Assessment | undefined> {
    const pr = await this.deps.api.getPullRequest(number)
    const marker = readPromotionMarker(pr.body)
    if (!marker || !pr.headRef.startsWith(PROMOTION_PREFIX)) return undefined
    const repository = await this.source()
    const environment = repository.config.environments.find((e) => e.name === marker.environment)
    // The marker is only a claim: a promotion comes from its own branch into its environment's branch. Anything
    // else (say, a dev marker on a pull request into qa) would borrow another environment's policy.
    if (!environment || pr.baseRef !== environment.branch || pr.headRef !== promotionBranch(marker.environment, marker.package)) return undefined
    if (pr.merged) return { pr, marker, environment, state: 'APPLIED' }
    if (pr.state === 'closed') return { pr, marker, environment, state: marker.status ?? 'CLOSED' }
    const decision = await this.approvals(pr, marker, environment)
    if (decision.changesRequested.length > 0) return { pr, marker, environment, state: 'REJECTED', decision }
    if (!decision.approved) return { pr, marker, environment, state: 'ACCEPTED', decision }
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
    const bundle = await this.bundleOf(marker)
    return bundle.instructions.filter((i) => i.when === 'before').map((i) => i.step)
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
    if (state === 'REJECTED') {
      const by = assessment.decision!.changesRequested[0]!
      await this.close(pr, marker, 'REJECTED', by.body.trim() || `changes requested by ${by.login}`, by.login)
      return assessment
    }
    // An approved promotion gets its label from the merge's outcome.
    if (state !== 'APPLIED') await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), LABELS[state])
    if (state === 'SCHEDULED') {
      const when = assessment.schedule?.next ? assessment.schedule.next.toISOString() : 'no upcoming window'
      await this.stickyNote(pr.number, 'schedule', `⏰ Approved and **SCHEDULED**: applies at the first run after ${code(when)} (${inert(assessment.schedule!.reason)}). Comment ${code('/gantry cancel')} to cancel.`)
      return assessment
    }
    if (state !== 'APPLIED') return assessment
    return this.merge(assessment)
  }

  private async merge(assessment: Assessment): Promise<Assessment> {
    const { pr, marker, decision } = assessment
    if (!(await this.isGantryCommit(pr, marker))) {
      await this.stickyNote(pr.number, 'integrity', `❌ The promotion branch no longer holds what Gantry proposed for ${code(`${marker.package}@${marker.version}`)}: nothing applied. Comment ${code('/gantry retry')} to propose it again.`)
      await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), LABELS.ACCEPTED)
      return { ...assessment, state: 'ACCEPTED' }
    }
    const approvers = decision?.approvers ?? []
    const message = [`Promotion #${pr.number}`, ...approvers.map((a) => `Approved-by: ${a.login} at ${a.sha}`)].join('\n')
    const outcome = await this.deps.api.merge(pr.number, pr.headSha, promotionTitle(marker), message)
    if (!outcome.merged) {
      await this.stickyNote(pr.number, 'merge', `⚠️ Not applied: ${outcome.reason === 'head-moved' ? 'the head moved after the approvals were checked' : inert(outcome.message)}. The next run looks again.`)
      await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), LABELS.ACCEPTED)
      return { ...assessment, state: 'ACCEPTED' }
    }
    this.deps.log(`${marker.package}@${marker.version} applied to ${marker.environment} (#${pr.number})`)
    await this.refresh()
    await this.applied({ ...pr, merged: true, mergedAt: this.deps.now.toISOString() }, marker, approvers)
    return { ...assessment, state: 'APPLIED' }
  }

  /**
   * What follows a merge, whoever made it and however often it is asked: the record in the ledger, the label
   * gone, and the promotions that may follow (the next environments; packages waiting for this one). Each
   * step is idempotent, so a run that stopped half-way is finished by the next event or scheduled run.
   */
  private async applied(pr: PullRequestFact, marker: PromotionMarker, approvers?: { login: string; sha: string }[]): Promise<void> {
    await this.record(pr, marker, approvers)
    const labels = await this.deps.api.labels(pr.number)
    if (labels.some((l) => l.startsWith('gantry:'))) await this.deps.api.setStatusLabel(pr.number, labels, undefined)
    const source = await this.source()
    // Only while the environment still runs this version: an old merged promotion asks for nothing.
    const ledger = (await this.ledgersOf(source, this.environment(source, marker.environment))).get(marker.package)
    if (ledger?.version !== marker.version) return
    await this.request(marker.package, marker.version, undefined, `${marker.environment} applied (#${pr.number})`)
    // Packages that were waiting for this one may be promotable now.
    for (const dependent of [...source.model.packages.values()].filter((p) => (p.manifest.dependencies ?? []).some((d) => d.package === marker.package))) {
      if (source.released.some((r) => r.package === dependent.name)) await this.request(dependent.name, undefined, undefined, `${marker.package} applied in ${marker.environment}`)
    }
  }

  /** The promotion branch must hold exactly the apply commit Gantry computes on its parent. */
  private async isGantryCommit(pr: PullRequestFact, marker: PromotionMarker): Promise<boolean> {
    const repository = await this.source()
    const git = repository.git
    const parents = (await git.text(['rev-list', '--parents', '-n', '1', pr.headSha]).catch(() => '')).trim().split(' ').slice(1)
    if (parents.length !== 1) return false
    const prepared = await preparePlan(repository, { repo: this.deps.workspace, target: `${marker.package}@${marker.version}`, environment: marker.environment, environmentHead: parents[0]! })
    if (!prepared.plan || !prepared.release) return false
    const expected = await writeApplyCommit(git, prepared.plan, parents[0], { sourceCommit: prepared.release.commit })
    const actual = (await git.text(['rev-parse', `${pr.headSha}^{tree}`])).trim()
    return expected.tree === actual
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
      const recorded: EnvironmentLedger = { ...ledger, promotion: pr.number, approvers: who, appliedAt: pr.mergedAt ?? this.deps.now.toISOString(), appliedBy: 'gantry' }
      const tree = await editTree(repository.git, (await repository.git.text(['rev-parse', `${head}^{tree}`])).trim(), new Map([[ledgerPath(marker.package), renderLedger(recorded)]]))
      const commit = await repository.git.commitTree(tree, [head], `gantry: record promotion #${pr.number} of ${marker.package}@${marker.version} in ${env.name}\n`, GANTRY_IDENTITY)
      if (await pushWithLease(this.deps.workspace, commit, env.branch, head, this.deps.auth)) {
        await this.refresh()
        return
      }
      await this.refresh()
    }
    this.deps.log(`could not record promotion #${pr.number}: ${marker.environment} kept moving; the next run records it`)
  }

  /** REJECTED or CANCELED: the reason goes into the marker (status and the dashboard read it), the PR closes. */
  async close(pr: PullRequestFact, marker: PromotionMarker, status: 'REJECTED' | 'CANCELED', reason: string, by: string): Promise<void> {
    const ended: PromotionMarker = { ...marker, status, reason }
    await this.deps.api.updatePullRequest(pr.number, { body: withMarker(pr.body, ended), state: 'closed' })
    await this.deps.api.setStatusLabel(pr.number, await this.deps.api.labels(pr.number), LABELS[status])
    const verb = status === 'REJECTED' ? 'Rejected' : 'Canceled'
    await this.deps.api.comment(pr.number, `${verb} by ${code(by)}: ${inert(reason, 2000)}\n\n${marker.package}@${marker.version} reaches ${inert(marker.environment)} only through a new request: comment ${code('/gantry retry')}.`)
  }

  /** `/gantry reject <reason>`, `/gantry cancel`, `/gantry retry` from someone with write access. */
  async command(number: number, login: string, text: string): Promise<string> {
    const match = /^\/gantry\s+(reject|cancel|retry)\b[ \t]*(.*)$/m.exec(text)
    if (!match) return 'not a command'
    const permission = await this.deps.api.permission(login)
    if (!['admin', 'maintain', 'write'].includes(permission)) return `${login} has no write access: ignored`
    const pr = await this.deps.api.getPullRequest(number)
    const marker = readPromotionMarker(pr.body)
    if (!marker || !pr.headRef.startsWith(PROMOTION_PREFIX)) return 'not a promotion pull request'
    const verb = match[1]!
    if (verb === 'retry') {
      if (pr.state === 'open') return (await this.decide(number)).state
      if (pr.merged) return 'already applied'
      const outcomes = await this.request(marker.package, marker.version, marker.environment, `retry by ${login}`, { explicit: true })
      return outcomes.map((o) => o.status).join(', ')
    }
    if (pr.merged) {
      await this.deps.api.comment(number, `Already applied: to undo it, promote an older version (a rollback).`)
      return 'already applied'
    }
    if (pr.state === 'closed') return 'already closed'
    if (verb === 'reject') await this.close(pr, marker, 'REJECTED', match[2]?.trim() || 'no reason given', login)
    else await this.close(pr, marker, 'CANCELED', match[2]?.trim() || 'canceled', login)
    return verb === 'reject' ? 'REJECTED' : 'CANCELED'
  }

  /** Promotion pull requests by state: the open ones, and the most recently closed ones (one page). */
  async promotions(state: 'open' | 'closed'): Promise<PullRequestFact[]> {
    const prs = await this.deps.api.listPullRequests(state, state === 'closed' ? { maxPages: 1 } : {})
    return prs.filter((p) => p.headRef.startsWith(PROMOTION_PREFIX) && readPromotionMarker(p.body))
  }

  /** One comment per kind of note on a pull request, updated rather than repeated on every run. */
  private async stickyNote(number: number, kind: string, text: string): Promise<void> {
    const marker = hiddenMarker(`note-${kind}`)
    await this.deps.api.upsertComment(number, marker, `${marker}\n${text}`)
  }
}

