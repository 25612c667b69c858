import * as core from '@actions/core'
import { Git } from '../adapters/git/git.js'
import { type RemoteAuth, fetchAll } from '../adapters/git/remote.js'
import { createOctokit } from '../adapters/github/octokit.js'
import { PromotionApi, authenticatedLogin } from '../adapters/github/promotion-api.js'
import { RepositoryApi } from '../adapters/github/repository-api.js'
import { UsageError } from '../commands/errors.js'
import { parseTagName } from '../core/model/released-version.js'
import { inert } from '../core/render/markdown.js'
import { PULL_REQUEST_INPUT } from '../core/promotion/relay-workflow.js'
import { promotionBranch, readPromotionMarker } from '../core/render/promotion-body.js'
import { annotate } from './annotations.js'
import { checkEnvironmentPullRequest } from './events/environment-pull-request.js'
import { validatePullRequest } from './events/pull-request.js'
import { releaseOnPush } from './events/push.js'
import { type GitHubContext, readGitHubContext } from './github-context.js'
import { type ActionCommand, type ActionInputs, readInputs } from './inputs.js'
import { findTrustedWorkflow } from './trusted-workflow.js'
import { log } from './log.js'
import { refreshDashboard } from './promotion/dashboard.js'
import { PROMOTION_PREFIX, PromotionService, type RequestOutcome } from './promotion/promotion-service.js'
import { reconcile } from './promotion/reconcile.js'

interface PullRequestPayload {
  number: number
  merged?: boolean
  head: { sha: string; ref: string }
  base: { ref: string }
}

/** The action: reads inputs and context, picks the job from the event, and fails the step on errors. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs()
    const context = readGitHubContext(process.env)
    const workspace = inputs.workingDirectory ?? context.workspace
    // GANTRY_SPACE_WRITES=false: for servers without secondary rate limits (a local GitHub in tests).
    const spaceWrites = process.env.GANTRY_SPACE_WRITES !== 'false'
    const octokit = createOctokit({ token: inputs.token, baseUrl: context.apiUrl, spaceWrites, log: log.info })
    const ref = { owner: context.owner, repo: context.repo }
    const bot = inputs.botLogin ?? (await authenticatedLogin(octokit)) ?? 'github-actions[bot]'
    const api = new RepositoryApi(octokit, ref, bot)
    const promotionApi = new PromotionApi(octokit, ref, bot, context.serverUrl)
    const auth = { serverUrl: context.serverUrl, token: inputs.token }
    const repository = context.payload.repository as { default_branch?: string } | undefined
    const defaultBranch = repository?.default_branch ?? (await api.defaultBranch())
    const command = inputs.command === 'auto' ? commandFor(context, defaultBranch) : inputs.command
    log.info(`gantry ${command} on ${context.eventName} in ${context.owner}/${context.repo}`)
    await core.group('Fetch branches and tags', () => fetchAll(workspace, auth))
    const now = clock(process.env.GANTRY_NOW, inputs.dryRun)
    // The job summary of this run holds the full plan of each promotion body it writes.
    const runUrl = context.runId ? `${context.serverUrl}/${context.owner}/${context.repo}/actions/runs/${context.runId}` : undefined
    const trustedWorkflow = await findTrustedWorkflow(new Git(workspace), `refs/remotes/origin/${defaultBranch}`, (m) => log.warning(m))
    const service = new PromotionService({ api: promotionApi, workspace, auth, defaultBranch, now, dryRun: inputs.dryRun, log: log.info, trustedWorkflow, ...(runUrl ? { runUrl } : {}) })
    const pr = (context.payload.pull_request as PullRequestPayload | undefined) ?? (await relayedPullRequest(context, promotionApi))
    // What could not be done: reported as it happens, failing the step once the dashboard is current.
    const failures: string[] = []

    switch (command) {
      case 'validate': {
        if (!pr) throw new UsageError('validate runs on pull_request events (no pull_request in the payload)')
        const outcome = await validatePullRequest({ api, workspace, number: pr.number, headSha: pr.head.sha, defaultBranch, dryRun: inputs.dryRun })
        core.setOutput('errors', outcome.errors)
        core.setOutput('warnings', outcome.warnings)
        core.setOutput('packages', outcome.touched.join(' '))
        if (outcome.errors > 0) log.failed(`Gantry found ${outcome.errors} error${outcome.errors === 1 ? '' : 's'}: see the pull request comment and annotations`)
        return
      }
      case 'release': {
        failures.push(...(await release(service, api, workspace, auth, inputs)))
        break
      }
      case 'promote': {
        const target = await promotionTarget(context, inputs)
        const outcomes = await service.request(target.package, target.version, target.environment, target.requestedBy, { explicit: target.explicit })
        failures.push(...reportRequest(target.package, outcomes, target.explicit))
        core.setOutput('promotions', JSON.stringify(outcomes.map((o) => ({ environment: o.environment, status: o.status, ...('number' in o ? { number: o.number } : {}) }))))
        break
      }
      case 'cancel': {
        if (!inputs.package || !inputs.environment) throw new UsageError('cancel needs the package and environment inputs')
        const open = (await promotionApi.listPullRequests('open', { head: promotionBranch(inputs.environment, inputs.package) }))[0]
        if (!open) throw new UsageError(`no open promotion of ${inputs.package} into ${inputs.environment}`)
        const marker = readPromotionMarker(open.body)
        if (marker && !inputs.dryRun) await service.close(open, marker, 'CANCELED', `canceled by a manual run of ${context.actor || 'someone'}`, context.actor || 'workflow_dispatch')
        break
      }
      case 'reconcile': {
        for (const branch of await service.ensureRelays()) log.info(`${branch}: relay workflow written`)
        const outcome = await core.group('Reconcile', () => reconcile(service))
        for (const d of outcome.decided) log.info(`#${d.number}: ${d.state}`)
        for (const r of outcome.requested) failures.push(...reportRequest(`${r.package}@${r.version}`, r.outcomes, false))
        for (const e of outcome.errors) log.error(e)
        failures.push(...outcome.errors)
        break
      }
      default:
        await handlePullRequestActivity(context, service, api, pr, inputs.dryRun, auth)
    }
    await core.group('Dashboard', () => refreshDashboard(service, promotionApi, now, inputs.dryRun))
    await writeSummary(`${command} on ${context.eventName}${inputs.dryRun ? ' (dry run)' : ''}`, service.journal, failures, service.fullPlans)
    if (failures.length > 0) log.failed(failures.length === 1 ? failures[0]! : `${failures.length} promotions could not proceed: ${failures.join('; ')}`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''
    log.failed(`${message}${cause}`)
  }
}

/**
 * The real time, except in a rehearsal: GANTRY_NOW sets the clock only with dry-run, which writes nothing.
 * Anywhere else it would let a changed workflow move the clock into a release window or past a freeze.
 */
function clock(rehearsal: string | undefined, dryRun: boolean): Date {
  if (!rehearsal) return new Date()
  if (!dryRun) {
    log.warning('GANTRY_NOW is ignored: it sets the clock only for rehearsals with dry-run: true, which write nothing')
    return new Date()
  }
  const at = new Date(rehearsal)
  if (Number.isNaN(at.getTime())) throw new UsageError(`GANTRY_NOW=${rehearsal} is not an ISO 8601 instant (e.g. 2026-12-01T05:30:00Z)`)
  log.info(`rehearsal at ${at.toISOString()} (GANTRY_NOW, dry run)`)
  return at
}

/** The job summary of every run: what it did to promotions, with links, and what could not proceed. */
async function writeSummary(what: string, journal: readonly string[], failures: readonly string[], fullPlans: readonly string[] = []): Promise<void> {
  const lines = [`### Gantry: ${what}`, '', ...(journal.length ? journal.map((j) => `- ${j}`) : ['Nothing to do: every promotion is where it should be.'])]
  if (failures.length) lines.push('', '**Could not proceed:**', ...failures.map((f) => `- ${inert(f, 500)}`))
  // Every row of each plan: a promotion body shows what fits under GitHub's limit and links here.
  for (const plan of fullPlans) lines.push('', plan)
  await core.summary.addRaw(`${lines.join('\n')}\n`, true).write()
}

type Command = Exclude<ActionCommand, 'auto'> | 'activity'

function commandFor(context: GitHubContext, defaultBranch: string): Command {
  const pr = context.payload.pull_request as PullRequestPayload | undefined
  switch (context.eventName) {
    case 'pull_request':
    case 'pull_request_target':
      return pr && pr.base.ref === defaultBranch ? 'validate' : 'activity'
    case 'push':
      return context.ref.startsWith('refs/tags/') ? 'promote' : 'release'
    case 'release':
      return 'promote'
    case 'create':
      // A created tag asks for its version; a created branch is nothing to act on.
      return (context.payload as { ref_type?: string }).ref_type === 'tag' ? 'promote' : 'activity'
    case 'schedule':
      return 'reconcile'
    case 'workflow_dispatch':
      // A relay from an environment branch names a pull request: decided as for a review of it.
      if (relayedNumber(context) !== undefined) return 'activity'
      return (context.payload.inputs as { package?: string } | undefined)?.package || process.env['INPUT_PACKAGE'] ? 'promote' : 'reconcile'
    default:
      return 'activity'
  }
}

/**
 * Logs what became of a request, and returns what must fail the run: a digest mismatch always (the bundle is
 * not what was released), anything else blocked only when a person asked explicitly.
 */
function reportRequest(what: string, outcomes: RequestOutcome[], explicit: boolean): string[] {
  const failures: string[] = []
  for (const o of outcomes) {
    log.info(`${what} -> ${o.environment}: ${o.status}${'number' in o && o.number ? ` (#${o.number})` : ''}`)
    if (o.status === 'refused' || o.status === 'held') log.warning(o.message)
    if (o.status !== 'blocked') continue
    for (const d of o.diagnostics) {
      const fails = d.severity === 'error' && (explicit || d.code === 'digest-mismatch')
      if (fails) failures.push(d.message)
      annotate([fails ? d : { ...d, severity: 'warning' }])
    }
  }
  return failures
}

async function release(service: PromotionService, api: RepositoryApi, workspace: string, auth: { serverUrl: string; token: string }, inputs: ActionInputs): Promise<string[]> {
  const outcome = await releaseOnPush({ api, workspace, auth, dryRun: inputs.dryRun })
  for (const r of outcome.released) log.info(`${r.tag}: tag ${r.tagPushed ? 'pushed' : 'already there'}, release ${r.releaseCreated ? 'created' : 'already there'}`)
  core.setOutput('versions', outcome.artifacts.map((a) => a.tag).filter(Boolean).join(' '))
  core.setOutput('created', outcome.artifacts.filter((a) => a.created).map((a) => a.tag).join(' '))
  const errors = outcome.diagnostics.filter((d) => d.severity === 'error')
  annotate(errors)
  await core.summary
    .addHeading('Gantry release', 3)
    .addTable([
      [{ data: 'package', header: true }, { data: 'version', header: true }, { data: 'tag', header: true }, { data: 'new', header: true }],
      ...outcome.artifacts.map((a) => [a.package, a.version, a.tag ?? '', a.created ? 'yes' : 'no']),
    ])
    .write()
  if (errors.length > 0) return [`Gantry could not release ${errors.length} package${errors.length === 1 ? '' : 's'}`]
  // New versions go straight on to their first environments: no need to wait for a tag event.
  await service.refresh()
  const source = await service.source()
  const created = dependencyOrder(outcome.artifacts.filter((a) => a.created), (name) => (source.model.packages.get(name)?.manifest.dependencies ?? []).map((d) => d.package))
  const failures: string[] = []
  for (const artifact of created) {
    failures.push(...reportRequest(artifact.tag ?? artifact.package, await service.request(artifact.package, artifact.version, undefined, `release of ${artifact.tag}`), false))
  }
  return failures
}

async function promotionTarget(context: GitHubContext, inputs: ActionInputs): Promise<{ package: string; version?: string; environment?: string; requestedBy: string; explicit: boolean }> {
  const tag = context.ref.startsWith('refs/tags/') ? context.ref.slice('refs/tags/'.length) : (context.payload.release as { tag_name?: string } | undefined)?.tag_name
  if (!inputs.package && tag) {
    const parsed = parseTagName(tag)
    if (!parsed) throw new UsageError(`${tag} is not a <package>@<version> tag`)
    return { package: parsed.package, version: parsed.version, requestedBy: `tag ${tag}`, explicit: false }
  }
  if (!inputs.package) throw new UsageError('promote needs the package input (and optionally version and environment)')
  return {
    package: inputs.package,
    ...(inputs.version ? { version: inputs.version } : {}),
    ...(inputs.environment ? { environment: inputs.environment } : {}),
    requestedBy: `manual run by ${context.actor || 'someone'}`,
    explicit: true,
  }
}

/** The pull request a relay's `workflow_dispatch` names (input `pull-request`), if any. */
function relayedNumber(context: GitHubContext): number | undefined {
  if (context.eventName !== 'workflow_dispatch') return undefined
  const raw = (context.payload.inputs as Record<string, unknown> | undefined)?.[PULL_REQUEST_INPUT] ?? core.getInput(PULL_REQUEST_INPUT)
  const text = String(raw ?? '').trim()
  if (!text) return undefined
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new UsageError(`the ${PULL_REQUEST_INPUT} input must be a pull request number, not ${JSON.stringify(text)}`)
  return Number(text)
}

/**
 * The relayed pull request as GitHub has it now: the relay passes only a number, so nothing else it could
 * claim (branch, head, base) is taken from it.
 */
async function relayedPullRequest(context: GitHubContext, api: PromotionApi): Promise<PullRequestPayload | undefined> {
  const number = relayedNumber(context)
  if (number === undefined) return undefined
  const pr = await api.getPullRequest(number)
  return { number: pr.number, merged: pr.merged, head: { sha: pr.headSha, ref: pr.headRef }, base: { ref: pr.baseRef } }
}

/** Reviews, comments and pull requests around promotions and environment branches. */
async function handlePullRequestActivity(context: GitHubContext, service: PromotionService, api: RepositoryApi, pr: PullRequestPayload | undefined, dryRun: boolean, auth?: RemoteAuth): Promise<void> {
  if (context.eventName === 'issue_comment') {
    const issue = context.payload.issue as { number: number; pull_request?: unknown } | undefined
    const comment = context.payload.comment as { body?: string; user?: { login: string } } | undefined
    if (!issue?.pull_request || !comment?.body?.trimStart().startsWith('/gantry')) return
    // Every unanswered command on the pull request, not only this one: a run dropped by concurrency is caught up.
    for (const handled of await service.handleCommands(issue.number)) log.info(`#${issue.number}: ${handled}`)
    return
  }
  if (!pr) return
  if (pr.head.ref.startsWith(PROMOTION_PREFIX)) {
    // Commands a run dropped by concurrency left unanswered are answered first (they may end the promotion).
    for (const handled of await service.handleCommands(pr.number)) log.info(`#${pr.number}: ${handled}`)
    const decided = await service.decide(pr.number)
    log.info(`#${pr.number}: ${decided.state}`)
    if (decided.state !== 'NOT_A_PROMOTION') return
  }
  // A pull request into an environment branch that Gantry did not open (or that only looks like a promotion):
  // the lock and drift check.
  const repository = await service.source()
  const environment = repository.config.environments.find((e) => e.branch === pr.base.ref)
  if (!environment) return
  const findings = await checkEnvironmentPullRequest({ repository, api, number: pr.number, baseBranch: pr.base.ref, environment: environment.name, dryRun, ...(auth ? { auth } : {}) })
  const errors = findings.filter((d) => d.severity === 'error').length
  if (errors > 0) log.failed(`${errors} change${errors === 1 ? '' : 's'} to locked items or ledgers: they change only through promotion`)
}

/** Dependencies first, so that a package's dependencies are applied before it is planned. */
function dependencyOrder<T extends { package: string }>(items: T[], dependencies: (name: string) => string[]): T[] {
  const byName = new Map(items.map((i) => [i.package, i]))
  const out: T[] = []
  const seen = new Set<string>()
  const visit = (name: string) => {
    if (seen.has(name)) return
    seen.add(name)
    for (const dep of dependencies(name)) visit(dep)
    const item = byName.get(name)
    if (item) out.push(item)
  }
  for (const item of [...items].sort((a, b) => a.package.localeCompare(b.package))) visit(item.package)
  return out
}
