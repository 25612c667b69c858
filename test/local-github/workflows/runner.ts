// The local GitHub runs workflows: for every event it produces, it reads the workflow files at the ref GitHub
// reads them from for that event, parses them with GitHub's own parser (@actions/workflow-parser), applies the
// `on:` filters, the suppression of events caused by GITHUB_TOKEN, concurrency groups and job and step `if:`
// (GitHub's own evaluator, @actions/expressions), and runs the steps: actions/checkout as a real clone, the
// Gantry action from its sources (test/e2e/action-runner.ts), `run:` steps with bash, and the App-token step
// mocked (no GitHub App can exist here: it yields the bot's token when the App's secret is there). Secrets
// come as GitHub gives them: the repository's to every run but forks' and Dependabot's, a deployment
// environment's only to jobs that name it in runs whose ref its deployment branches and tags allow.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import {
  convertWorkflowTemplate,
  isMapping,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
} from '@actions/workflow-parser'
import type { Job, WorkflowTemplate } from '@actions/workflow-parser/model/workflow-template'
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token'
import { parse as parseYaml } from 'yaml'
import { type ActionRun, runAction } from '../../e2e/action-runner.js'
import type { HubEvent } from '../hub.js'
import type { IssueRecord } from '../types.js'
import type { LocalGitHub } from '../server.js'
import { asString, type Contexts, evaluateToken, truthy } from './expressions.js'
import { refPatternMatches } from '../rules.js'
import { eventFilter } from './filters.js'
import { buildPayload, payloadViolations, schedulePayload } from './payloads.js'

const run = promisify(execFile)
const ACTION_YML = resolve(import.meta.dirname, '../../../action.yml')

/** GitHub's login for GITHUB_TOKEN. */
export const ACTIONS_BOT = 'github-actions[bot]'
/** Dependabot's login: runs it triggers get no secrets. */
export const DEPENDABOT = 'dependabot[bot]'

export interface StepResult {
  id: string
  name: string
  outcome: 'success' | 'failure' | 'skipped'
  outputs: Record<string, string>
  message?: string
}

export interface JobResult {
  id: string
  result: 'success' | 'failure' | 'skipped'
  /** Why the job was skipped or failed. */
  reason?: string
  steps: StepResult[]
  /** The run of the Gantry action step, if the job ran one. */
  gantry?: ActionRun
}

export interface WorkflowRun {
  id: number
  /** `.github/workflows/<file>` */
  path: string
  name: string
  event: string
  action?: string
  actor: string
  group?: string
  status: 'queued' | 'in_progress' | 'completed' | 'canceled'
  /** Queued behind a run of its group (GitHub's "pending"): the only state a newer run replaces. */
  pending: boolean
  canceledBy?: number
  /** How long it ran (milliseconds). */
  ms?: number
  jobs: JobResult[]
  /** The event report this run belongs to. */
  report: EventReport
  readonly sha: string
  readonly ref: string
  readonly payload: Record<string, unknown>
  readonly template: WorkflowTemplate
  readonly raw: TemplateToken
  readonly token: string
  readonly secrets: Record<string, string>
  /** A run from a fork or by Dependabot: no repository or environment secrets. */
  readonly secretsWithheld: boolean
  readonly inputs: Record<string, unknown>
}

export interface EventReport {
  seq: number
  name: string
  action?: string
  sender: string
  /** The run whose GITHUB_TOKEN caused this event (a relay's workflow_dispatch), if any. */
  causedBy?: number
  /** Why no workflow at all could start (GITHUB_TOKEN, no merge ref...). */
  note?: string
  runs: WorkflowRun[]
  /** Workflows found at the ref whose `on:` did not take the event, with the reason. */
  skipped: { path: string; reason: string }[]
  /** Resolved once the event's workflows are known and queued. */
  triggered: Promise<void>
  /** The pull request or issue as it was when the event happened. */
  snapshot?: IssueRecord
  /** The event as the local GitHub produced it (for a redelivery). */
  readonly source: HubEvent | { name: 'schedule'; sender: string }
}

/** A deployment environment of the repository (Settings → Environments). */
export interface DeploymentEnvironment {
  /** Environment secrets: over the repository's, for jobs that name the environment. */
  secrets?: Record<string, string>
  /** Deployment branch rules ("Selected branches and tags"). */
  branches?: string[]
  /** Deployment tag rules. */
  tags?: string[]
}

/**
 * Why GitHub refuses a job that names `name` in a run of `ref` (its GITHUB_REF), or null when the
 * environment's deployment branches and tags let it in. GitHub ("Deployment branches and tags"): "The
 * deployment branch or tag rule is matched against the GITHUB_REF of the workflow run"; a branch rule
 * `main` admits refs/heads/main, a tag rule `*@*` refs/tags/billing@1, and a pull_request run (its
 * GITHUB_REF is refs/pull/<number>/merge) only through a branch rule that matches that whole ref. With no rules, every ref
 * deploys ("No restriction").
 */
export function deploymentRefusal(name: string, environment: DeploymentEnvironment, ref: string): string | null {
  if (!environment.branches && !environment.tags) return null
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : null
  const branch = tag !== null ? null : ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref
  const allowed =
    (branch !== null && (environment.branches ?? []).some((p) => refPatternMatches(p, branch))) ||
    (tag !== null && (environment.tags ?? []).some((p) => refPatternMatches(p, tag)))
  if (allowed) return null
  return `${tag !== null ? 'Tag' : 'Branch'} "${tag ?? branch}" is not allowed to deploy to ${name} due to environment protection rules.`
}

export interface WorkflowRunnerOptions {
  owner: string
  repo: string
  /** Where workspaces go. */
  work: string
  /** Repository secrets (absent from runs triggered by Dependabot). */
  secrets?: Record<string, string>
  vars?: Record<string, string>
  /**
   * The GitHub App behind actions/create-github-app-token, mocked: the step yields this token when its
   * `private-key` input is not empty, and fails as the real step does when it is.
   */
  appToken: string
  /** Environment for the Gantry step, filling what the workflow leaves empty (the test clock GANTRY_NOW...). */
  actionEnv?: () => Record<string, string>
  /**
   * Deployment environments (Settings → Environments): their secrets, and their deployment branches and tags
   * ("Selected branches and tags": fnmatch patterns, `*` stops at `/`; both absent: "No restriction"). A job
   * gets an environment's secrets only when it names the environment and the run's ref passes its policy; a
   * job whose ref the environment does not allow fails before its first step (see `deploymentRefusal`).
   */
  environments?: Record<string, DeploymentEnvironment>
  /** The actor of scheduled runs (GitHub: whoever last changed the cron). */
  scheduleActor?: string
  log?: (line: string) => void
}

let actionDefaults: Record<string, string> | undefined
async function gantryInputDefaults(): Promise<Record<string, string>> {
  if (!actionDefaults) {
    const doc = parseYaml(await readFile(ACTION_YML, 'utf8')) as {
      inputs: Record<string, { default?: string }>
    }
    actionDefaults = Object.fromEntries(
      Object.entries(doc.inputs).flatMap(([k, v]) =>
        v.default !== undefined ? [[k, String(v.default)]] : [],
      ),
    )
  }
  return actionDefaults
}

/** The workflow runs of one repository on the local GitHub. */
export class WorkflowRunner {
  readonly reports: EventReport[] = []
  /** Payloads that do not match GitHub's webhook schemas. Tests assert it stays empty. */
  readonly violations: string[] = []
  private readonly queue: WorkflowRun[] = []
  private readonly running = new Set<WorkflowRun>()
  private readonly runsByToken = new Map<string, WorkflowRun>()
  private chain: Promise<void> = Promise.resolve()
  private readonly stopListening: () => void
  private readonly parsed = new Map<
    string,
    Promise<{ template: WorkflowTemplate; raw: TemplateToken } | { error: string }>
  >()
  private readonly listings = new Map<string, Promise<string>>()
  private readonly started = new Set<EventReport>()
  /** Merge refs computed, by pull request, base and head. */
  private readonly merges = new Map<string, string>()
  private lastRunId = 0
  private seq = 0

  constructor(
    readonly github: LocalGitHub,
    readonly options: WorkflowRunnerOptions,
  ) {
    this.stopListening = github.hub.onEvent((event) => {
      if (event.repo.owner !== options.owner || event.repo.name !== options.repo) return
      this.accept(event)
    })
  }

  stop(): void {
    this.stopListening()
  }

  private get git(): string {
    return join(this.github.root, this.options.owner, `${this.options.repo}.git`)
  }

  /** Delivers an event again: GitHub's "Re-run all jobs" of the runs it started. */
  redeliver(report: EventReport): EventReport {
    return this.accept(report.source)
  }

  private accept(event: HubEvent | { name: 'schedule'; sender: string }): EventReport {
    const report: EventReport = {
      seq: ++this.seq,
      name: event.name,
      ...('action' in event && event.action ? { action: event.action } : {}),
      sender: event.sender,
      runs: [],
      skipped: [],
      triggered: Promise.resolve(),
      source: event,
    }
    const by = 'token' in event && event.token ? this.runsByToken.get(event.token) : undefined
    if (by) report.causedBy = by.id
    const number = 'number' in event ? event.number : undefined
    const record = number === undefined ? undefined : this.repoRecord().issues.find((i) => i.number === number)
    if (record) report.snapshot = structuredClone(record)
    this.reports.push(report)
    // A dispatch made by a run is turned into runs at once; other events when someone drives them (or a
    // later event's): a shortcut of the runner, since an event no run is driven for changes nothing.
    if (by) this.triggerNow(report)
    return report
  }

  /**
   * Turns the event into queued runs (once), in the order asked; its payload is built then. Events no one
   * drives are never turned into runs: they would change nothing here (their runs would not run), and
   * skipping them keeps the runner cheap.
   */
  triggerNow(report: EventReport): Promise<void> {
    if (!this.started.has(report)) {
      this.started.add(report)
      report.triggered = this.chain = this.chain
        .then(() => this.trigger(report.source, report))
        .catch((error: unknown) => {
          report.note = `the runner failed: ${error instanceof Error ? error.stack : String(error)}`
        })
    }
    return report.triggered
  }

  /** A scheduled tick: every workflow on the default branch with `on: schedule` starts. */
  schedule(): EventReport {
    return this.accept({ name: 'schedule', sender: this.options.scheduleActor ?? this.options.owner })
  }

  /**
   * Runs the queued runs of these events, and of the events their runs cause, to the end; other queued runs
   * wait (an event no one drives is one "not yet seen by any run"). Returns the runs, in the order queued.
   */
  async drive(roots: readonly EventReport[]): Promise<WorkflowRun[]> {
    const mine = (wr: WorkflowRun): boolean => {
      if (roots.includes(wr.report)) return true
      const parent = wr.report.causedBy === undefined ? undefined : this.runById(wr.report.causedBy)
      return parent ? mine(parent) : false
    }
    for (const root of roots) void this.triggerNow(root)
    for (;;) {
      const chain = this.chain
      await chain
      if (chain !== this.chain) continue
      const next = this.queue.find(mine)
      if (!next) {
        // A run of these events started by another drive may still queue more: wait for it.
        if (![...this.running].some(mine)) break
        await new Promise((r) => setTimeout(r, 20))
        continue
      }
      this.queue.splice(this.queue.indexOf(next), 1)
      this.running.add(next)
      next.status = 'in_progress'
      const started = Date.now()
      try {
        await this.execute(next)
      } finally {
        this.running.delete(next)
        next.status = 'completed'
        next.ms = Date.now() - started
      }
    }
    return roots.flatMap((r) => this.descendants(r))
  }

  private runById(id: number): WorkflowRun | undefined {
    for (const r of this.reports) for (const wr of r.runs) if (wr.id === id) return wr
    return undefined
  }

  /** The reports of events after `mark` (a value of mark()). */
  since(mark: number): EventReport[] {
    return this.reports.filter((r) => r.seq > mark)
  }

  /** The sequence number of the last event so far (pass it to settle to get what came after). */
  mark(): number {
    return this.seq
  }

  /** The runs an event led to, following the dispatches its runs made. */
  descendants(report: EventReport): WorkflowRun[] {
    const out: WorkflowRun[] = []
    const visit = (r: EventReport) => {
      for (const wr of r.runs) {
        out.push(wr)
        for (const child of this.reports.filter((c) => c.causedBy === wr.id)) visit(child)
      }
    }
    visit(report)
    return out
  }

  // --- which workflows an event starts ---------------------------------------------------------------------

  private async trigger(
    event: HubEvent | { name: 'schedule'; sender: string },
    report: EventReport,
  ): Promise<void> {
    const sender = event.sender
    // GitHub: events caused by GITHUB_TOKEN start no new workflow run, except workflow_dispatch and
    // repository_dispatch ("Triggering a workflow from a workflow").
    if (sender === ACTIONS_BOT && event.name !== 'workflow_dispatch') {
      report.note = 'caused by GITHUB_TOKEN: GitHub starts no workflow for it'
      return
    }
    const defaultBranch = this.github.hub.findRepository(this.options.owner, this.options.repo)!.defaultBranch
    if (event.name === 'schedule') {
      const sha = await this.github.resolveRef(
        this.options.owner,
        this.options.repo,
        `refs/heads/${defaultBranch}`,
      )
      if (!sha) return
      for (const wf of await this.workflows(sha, report)) {
        const crons = wf.template.events.schedule
        if (!crons?.length) {
          report.skipped.push({ path: wf.path, reason: 'no `on: schedule`' })
          continue
        }
        const payload = schedulePayload(this.github.hub, this.repoRecord(), crons[0]!.cron)
        this.enqueue(wf, report, {
          event: 'schedule',
          sha,
          ref: `refs/heads/${defaultBranch}`,
          payload,
          actor: sender,
        })
      }
      return
    }
    // Which events, read from which ref: GitHub's "Events that trigger workflows" (GITHUB_SHA / GITHUB_REF).
    const targets: { event: string; sha: string; ref: string; base?: string; files?: string[] }[] = []
    switch (event.name) {
      case 'push': {
        if (!event.after) {
          report.note = 'a deleted ref: no push workflow runs'
          return
        }
        const files =
          event.before &&
          !event.ref!.startsWith('refs/tags/') &&
          (await this.hasPathFilter(event.after, 'push'))
            ? await this.diff(event.before, event.after)
            : undefined
        targets.push({ event: 'push', sha: event.after, ref: event.ref!, ...(files ? { files } : {}) })
        break
      }
      case 'pull_request':
      case 'pull_request_review': {
        const record = this.repoRecord().issues.find((i) => i.number === event.number)!
        const pull = record.pull!
        const base = await this.github.resolveRef(
          this.options.owner,
          this.options.repo,
          `refs/heads/${pull.baseRef}`,
        )
        // The merge ref's workflows come from the base or the head: when neither has one for this event, no
        // need to compute the merge (a shortcut of the runner, not a GitHub rule).
        const listens = async (sha: string | null) =>
          sha !== null &&
          (await this.workflows(sha)).some((wf) => wf.template.events[event.name] !== undefined)
        const needed = (await listens(base)) || (await listens(pull.headSha))
        const merge = needed
          ? await this.mergeRef(
              event.number!,
              pull.baseRef,
              pull.headSha,
              pull.merged || record.state === 'closed',
            )
          : null
        if (!needed) report.note = `no workflow for ${event.name} at the base or the head of #${event.number}`
        const files =
          base &&
          needed &&
          ((await this.hasPathFilter(base, event.name)) ||
            (await this.hasPathFilter(pull.headSha, event.name)))
            ? await this.diffMergeBase(base, pull.headSha)
            : undefined
        if (merge)
          targets.push({
            event: event.name,
            sha: merge,
            ref: `refs/pull/${event.number}/merge`,
            base: pull.baseRef,
            ...(files ? { files } : {}),
          })
        else if (needed)
          report.note = `#${event.number} has no merge ref (conflicts): no ${event.name} workflow runs`
        // The same activity is also a pull_request_target event, whose workflows come from the base branch.
        if (event.name === 'pull_request' && base)
          targets.push({
            event: 'pull_request_target',
            sha: base,
            ref: `refs/heads/${pull.baseRef}`,
            base: pull.baseRef,
            ...(files ? { files } : {}),
          })
        break
      }
      case 'issue_comment': {
        const sha = await this.github.resolveRef(
          this.options.owner,
          this.options.repo,
          `refs/heads/${defaultBranch}`,
        )
        if (sha) targets.push({ event: 'issue_comment', sha, ref: `refs/heads/${defaultBranch}` })
        break
      }
      case 'workflow_dispatch': {
        const sha = await this.github.resolveRef(this.options.owner, this.options.repo, event.ref!)
        if (sha) targets.push({ event: 'workflow_dispatch', sha, ref: event.ref! })
        break
      }
    }
    let built: { payload: Record<string, unknown> } | undefined
    const payloadOf = async () => {
      if (!built) {
        const { payload, definition } = await buildPayload(this.github.hub, event, report.snapshot)
        if (definition) for (const v of payloadViolations(definition, payload)) this.violations.push(v)
        built = { payload }
      }
      return built.payload
    }
    for (const target of targets) {
      for (const wf of await this.workflows(target.sha, report)) {
        if (target.event === 'workflow_dispatch' && wf.path !== `.github/workflows/${event.workflow}`)
          continue
        const verdict = eventFilter(wf.template.events, {
          name: target.event,
          ...(event.action ? { action: event.action } : {}),
          ref: target.base ? `refs/heads/${target.base}` : target.ref,
          ...(target.files ? { files: target.files } : {}),
        })
        if (!verdict.ok) {
          report.skipped.push({ path: wf.path, reason: verdict.reason })
          continue
        }
        this.enqueue(wf, report, {
          event: target.event,
          sha: target.sha,
          ref: target.ref,
          payload: await payloadOf(),
          actor: sender,
          ...(event.inputs ? { inputs: event.inputs } : {}),
        })
      }
    }
  }

  /** Whether a workflow at the commit filters this event by paths (the changed files are needed only then). */
  private async hasPathFilter(sha: string, name: string): Promise<boolean> {
    return (await this.workflows(sha)).some((wf) => {
      const on = wf.template.events[name] as { paths?: unknown; 'paths-ignore'?: unknown } | undefined
      return on?.paths !== undefined || on?.['paths-ignore'] !== undefined
    })
  }

  private repoRecord() {
    return this.github.hub.findRepository(this.options.owner, this.options.repo)!
  }

  /** The workflow files at a commit, parsed (a file that does not parse is reported and skipped, as GitHub does). */
  private async workflows(
    sha: string,
    report?: EventReport,
  ): Promise<{ path: string; template: WorkflowTemplate; raw: TemplateToken }[]> {
    let listing = this.listings.get(sha)
    if (!listing) {
      listing = run('git', ['--git-dir', this.git, 'ls-tree', '-r', sha, '--', '.github/workflows/'], {
        encoding: 'utf8',
      }).then((r) => r.stdout)
      this.listings.set(sha, listing)
    }
    const stdout = await listing
    const out: { path: string; template: WorkflowTemplate; raw: TemplateToken }[] = []
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [meta, path] = line.split('\t') as [string, string]
      if (!/\.ya?ml$/.test(path) || path.slice('.github/workflows/'.length).includes('/')) continue
      const blob = meta.split(' ')[2]!
      let parsed = this.parsed.get(blob)
      if (!parsed) {
        parsed = this.parse(path, blob)
        this.parsed.set(blob, parsed)
      }
      const result = await parsed
      if ('error' in result) report?.skipped.push({ path, reason: `invalid workflow: ${result.error}` })
      else out.push({ path, ...result })
    }
    return out
  }

  private async parse(
    path: string,
    blob: string,
  ): Promise<{ template: WorkflowTemplate; raw: TemplateToken } | { error: string }> {
    const { stdout: content } = await run('git', ['--git-dir', this.git, 'cat-file', 'blob', blob], {
      encoding: 'utf8',
    })
    const result = parseWorkflow({ name: path, content }, new NoOperationTraceWriter())
    if (!result.value || result.context.errors.count > 0)
      return {
        error:
          result.context.errors
            .getErrors()
            .map((e) => e.message)
            .join('; ') || 'unparsable',
      }
    const template = await convertWorkflowTemplate(result.context, result.value)
    if (template.errors?.length) return { error: template.errors.map((e) => e.Message).join('; ') }
    return { template, raw: result.value }
  }

  private async diff(from: string, to: string): Promise<string[]> {
    const { stdout } = await run('git', ['--git-dir', this.git, 'diff', '--name-only', from, to], {
      encoding: 'utf8',
    })
    return stdout.split('\n').filter(Boolean)
  }

  private async diffMergeBase(base: string, head: string): Promise<string[] | undefined> {
    try {
      const { stdout } = await run(
        'git',
        ['--git-dir', this.git, 'diff', '--name-only', `${base}...${head}`],
        { encoding: 'utf8' },
      )
      return stdout.split('\n').filter(Boolean)
    } catch {
      return undefined
    }
  }

  /**
   * refs/pull/N/merge: GitHub's test merge of the head into the base, which pull_request and
   * pull_request_review read their workflows from. Kept as it was once the pull request is closed.
   */
  private async mergeRef(
    number: number,
    baseRef: string,
    head: string,
    closed: boolean,
  ): Promise<string | null> {
    const ref = `refs/pull/${number}/merge`
    const existing = await this.github.resolveRef(this.options.owner, this.options.repo, ref)
    if (closed && existing) return existing
    const base = await this.github.resolveRef(this.options.owner, this.options.repo, `refs/heads/${baseRef}`)
    if (!base) return existing
    const key = `${number}:${base}:${head}`
    const cached = this.merges.get(key)
    if (cached) return cached
    const merged = await run(
      'git',
      ['--git-dir', this.git, 'merge-tree', '--write-tree', '--name-only', '--no-messages', base, head],
      { encoding: 'utf8' },
    ).catch(() => null)
    if (!merged) return closed ? existing : null
    const tree = merged.stdout.split('\n')[0]!.trim()
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 'GitHub',
      GIT_AUTHOR_EMAIL: 'noreply@github.com',
      GIT_COMMITTER_NAME: 'GitHub',
      GIT_COMMITTER_EMAIL: 'noreply@github.com',
    }
    const { stdout } = await run(
      'git',
      [
        '--git-dir',
        this.git,
        'commit-tree',
        tree,
        '-p',
        base,
        '-p',
        head,
        '-m',
        `Merge ${head} into ${base}`,
      ],
      { encoding: 'utf8', env },
    )
    const sha = stdout.trim()
    await run('git', ['--git-dir', this.git, 'update-ref', ref, sha])
    await run('git', ['--git-dir', this.git, 'update-ref', `refs/pull/${number}/head`, head])
    this.merges.set(key, sha)
    return sha
  }

  // --- concurrency ------------------------------------------------------------------------------------------

  private enqueue(
    wf: { path: string; template: WorkflowTemplate; raw: TemplateToken },
    report: EventReport,
    target: {
      event: string
      sha: string
      ref: string
      payload: Record<string, unknown>
      actor: string
      inputs?: Record<string, string>
    },
  ): void {
    const id = ++this.lastRunId
    const token = `ghs_run_${this.options.repo}_${id}`
    // GITHUB_TOKEN: GitHub's bot; its permissions block is not modelled (it may write).
    this.github.addUser(ACTIONS_BOT, { token, permission: 'write', type: 'Bot' })
    // GitHub: "With the exception of GITHUB_TOKEN, secrets are not passed to the runner when a workflow is
    // triggered from a forked repository" and workflows triggered by Dependabot get no Actions secrets.
    const fork = (target.payload.pull_request as { head?: { repo?: { full_name?: string } } } | undefined)
      ?.head?.repo?.full_name
    const forked =
      target.event === 'pull_request' &&
      fork !== undefined &&
      fork !== `${this.options.owner}/${this.options.repo}`
    const secretsWithheld = target.actor === DEPENDABOT || forked
    const secrets = secretsWithheld ? {} : { ...(this.options.secrets ?? {}) }
    const inputs = dispatchInputs(wf.template, target.inputs)
    const wr: WorkflowRun = {
      id,
      path: wf.path,
      name: workflowName(wf.raw, wf.path),
      event: target.event,
      ...(report.action ? { action: report.action } : {}),
      actor: target.actor,
      status: 'queued',
      pending: false,
      jobs: [],
      report,
      sha: target.sha,
      ref: target.ref,
      payload: target.payload,
      template: wf.template,
      raw: wf.raw,
      token,
      secrets,
      secretsWithheld,
      inputs,
    }
    this.runsByToken.set(token, wr)
    report.runs.push(wr)
    const concurrency = evaluateToken(wf.template.concurrency, this.contexts(wr, {}))
    const setting =
      typeof concurrency === 'string'
        ? { group: concurrency, cancel: false }
        : concurrency && typeof concurrency === 'object'
          ? {
              group: asString((concurrency as Record<string, unknown>).group),
              cancel: truthy((concurrency as Record<string, unknown>)['cancel-in-progress']),
            }
          : undefined
    if (setting?.group) {
      wr.group = setting.group
      // GitHub: "at most one running and one pending job in a concurrency group at any time. When a
      // concurrent job or workflow is queued, if another job or workflow using the same concurrency group in
      // the repository is in progress, the queued job or workflow will be pending. Any pending job or
      // workflow in the concurrency group will be canceled" (and, with cancel-in-progress, the running one).
      // Runs this runner has queued but not started count as in progress unless they were pending themselves.
      const same = [...this.running, ...this.queue].filter((r) => r.group === setting.group)
      for (const other of same) {
        if (other.pending || (setting.cancel && other.status === 'queued')) {
          other.status = 'canceled'
          other.canceledBy = id
          this.queue.splice(this.queue.indexOf(other), 1)
        }
      }
      // A running run cancelled by cancel-in-progress is not interrupted here (it runs to its end): noted.
      wr.pending = [...this.running, ...this.queue].some((r) => r.group === setting.group)
    }
    this.queue.push(wr)
  }

  // --- running a workflow -----------------------------------------------------------------------------------

  private contexts(wr: WorkflowRun, extra: Contexts): Contexts {
    const full = `${this.options.owner}/${this.options.repo}`
    const pr = wr.payload.pull_request as { head?: { ref?: string }; base?: { ref?: string } } | undefined
    return {
      github: {
        event_name: wr.event,
        event: wr.payload,
        actor: wr.actor,
        triggering_actor: wr.actor,
        repository: full,
        repository_owner: this.options.owner,
        ref: wr.ref,
        ref_name: wr.ref.replace(/^refs\/(heads|tags)\//, ''),
        sha: wr.sha,
        head_ref: wr.event.startsWith('pull_request') ? (pr?.head?.ref ?? '') : '',
        base_ref: wr.event.startsWith('pull_request') ? (pr?.base?.ref ?? '') : '',
        run_id: String(wr.id),
        run_number: String(wr.id),
        run_attempt: '1',
        workflow: wr.name,
        server_url: this.github.webUrl,
        api_url: this.github.baseUrl,
        token: wr.token,
      },
      inputs: wr.inputs,
      vars: this.options.vars ?? {},
      secrets: { GITHUB_TOKEN: wr.token, ...wr.secrets },
      env: {},
      needs: {},
      runner: { os: 'Linux', arch: 'X64', temp: this.options.work },
      ...extra,
    }
  }

  private async execute(wr: WorkflowRun): Promise<void> {
    for (const job of wr.template.jobs) {
      if (job.type !== 'job') continue
      const result: JobResult = { id: job.id.value, result: 'success', steps: [] }
      wr.jobs.push(result)
      const jobIf = evaluateToken(job.if, this.contexts(wr, { job: { status: 'success' } }))
      if (!truthy(jobIf)) {
        result.result = 'skipped'
        result.reason = `if: ${job.if.source?.trim() ?? job.if.expression}`
        continue
      }
      await this.runJob(wr, job, result)
    }
    this.options.log?.(describeRun(wr))
  }

  private async runJob(wr: WorkflowRun, job: Job, result: JobResult): Promise<void> {
    const workspace = await mkdtemp(join(this.options.work, `run-${wr.id}-`))
    const steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }> = {}
    const raw = rawSteps(wr.raw, job.id.value)
    const environment = this.environmentOf(wr, job)
    if (environment && 'refused' in environment) {
      result.result = 'failure'
      result.reason = environment.refused
      return
    }
    const secrets = environment ? { secrets: environment.secrets } : {}
    let failed = false
    for (const [index, step] of job.steps.entries()) {
      if (!('uses' in step) && !('run' in step)) continue
      const ctx = () => this.contexts(wr, { steps, job: { status: failed ? 'failure' : 'success' }, env: {}, ...secrets })
      const name = step.name
        ? asString(evaluateToken(step.name, ctx()))
        : 'uses' in step
          ? step.uses.value
          : 'run'
      const stepResult: StepResult = { id: step.id, name, outcome: 'skipped', outputs: {} }
      result.steps.push(stepResult)
      if (!truthy(evaluateToken(step.if, ctx(), { failed }))) {
        steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' }
        continue
      }
      const env = Object.fromEntries(
        Object.entries((evaluateToken(job.env, ctx()) ?? {}) as Record<string, unknown>)
          .concat(Object.entries((evaluateToken(step.env, ctx()) ?? {}) as Record<string, unknown>))
          .map(([k, v]) => [k, asString(v)]),
      )
      const withInputs = Object.fromEntries(
        Object.entries((evaluateToken(raw[index]?.with, ctx()) ?? {}) as Record<string, unknown>).map(
          ([k, v]) => [k, asString(v)],
        ),
      )
      try {
        if ('uses' in step)
          await this.runAction(wr, step.uses.value, withInputs, env, workspace, stepResult, result)
        else await this.runScript(wr, asString(evaluateToken(step.run, ctx())), env, workspace, stepResult)
      } catch (error) {
        stepResult.outcome = 'failure'
        stepResult.message = error instanceof Error ? error.message : String(error)
      }
      steps[step.id] = {
        outputs: stepResult.outputs,
        outcome: stepResult.outcome,
        conclusion: stepResult.outcome,
      }
      if (stepResult.outcome === 'failure') {
        failed = true
        result.result = 'failure'
        result.reason ??= `step ${name}: ${stepResult.message ?? 'failed'}`
      }
    }
  }

  /**
   * The deployment environment a job names (`environment: name` or `environment: {name: ...}`), if the
   * repository has it: the job's secrets with the environment's over the repository's, or why GitHub refuses
   * the job. GitHub: "Secrets stored in an environment are only available to workflow jobs that reference the
   * environment", and "Any protection rules configured for the environment must pass before a job
   * referencing the environment is sent to a runner" (deployment branches and tags: deploymentRefusal).
   * Environment secrets, like repository secrets, are not passed to runs from forks or Dependabot. A name
   * the repository does not have is created by GitHub on first use, with no rules and no secrets: the job
   * runs with the repository's secrets only.
   */
  private environmentOf(
    wr: WorkflowRun,
    job: Job,
  ): { secrets: Record<string, string> } | { refused: string } | undefined {
    if (!job.environment) return undefined
    const value = evaluateToken(job.environment, this.contexts(wr, {}))
    const name =
      typeof value === 'string' ? value : asString((value as Record<string, unknown> | undefined)?.name)
    const environment = name ? this.options.environments?.[name] : undefined
    if (!environment) return undefined
    const refused = deploymentRefusal(name, environment, wr.ref)
    if (refused) return { refused }
    return {
      secrets: {
        GITHUB_TOKEN: wr.token,
        ...wr.secrets,
        ...(wr.secretsWithheld ? {} : (environment.secrets ?? {})),
      },
    }
  }

  private baseEnv(wr: WorkflowRun, workspace: string): Record<string, string> {
    return {
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: `${this.options.owner}/${this.options.repo}`,
      GITHUB_EVENT_NAME: wr.event,
      GITHUB_API_URL: this.github.baseUrl,
      GITHUB_SERVER_URL: this.github.webUrl,
      GITHUB_WORKSPACE: workspace,
      GITHUB_SHA: wr.sha,
      GITHUB_REF: wr.ref,
      GITHUB_ACTOR: wr.actor,
      GITHUB_TRIGGERING_ACTOR: wr.actor,
      GITHUB_RUN_ID: String(wr.id),
      GITHUB_WORKFLOW: wr.name,
      GITHUB_WORKFLOW_REF: `${this.options.owner}/${this.options.repo}/${wr.path}@${wr.ref}`,
    }
  }

  private async runAction(
    wr: WorkflowRun,
    uses: string,
    inputs: Record<string, string>,
    env: Record<string, string>,
    workspace: string,
    step: StepResult,
    job: JobResult,
  ): Promise<void> {
    const action = uses.replace(/@.*$/, '')
    if (action === 'actions/checkout') {
      await this.checkout(wr, inputs, workspace)
      step.outcome = 'success'
      return
    }
    if (action === 'actions/create-github-app-token') {
      // Mocked (no GitHub App exists here): the real step fails without its private key.
      if (!inputs['private-key']) throw new Error('Input required and not supplied: private-key')
      step.outputs = { token: this.options.appToken }
      step.outcome = 'success'
      return
    }
    if (/(^|\/)gantry$/.test(action) || action === '.') {
      const filled = this.options.actionEnv?.() ?? {}
      // Inputs the test environment sets (INPUT_BOT-LOGIN...) win over action.yml's defaults.
      const defaults = Object.fromEntries(
        Object.entries(await gantryInputDefaults()).filter(
          ([k]) => filled[`INPUT_${k.toUpperCase()}`] === undefined,
        ),
      )
      const given = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== ''))
      const stepEnv = { ...env }
      for (const [k, v] of Object.entries(filled)) if (!stepEnv[k]) stepEnv[k] = v
      const out = await runAction(this.github, {
        owner: this.options.owner,
        repo: this.options.repo,
        token: inputs.token ?? '',
        workspace,
        event: { name: wr.event, payload: wr.payload },
        inputs: { ...defaults, ...given, token: inputs.token ?? '' },
        env: { ...this.baseEnv(wr, workspace), ...stepEnv },
      })
      job.gantry = out
      step.outputs = out.outputs
      step.outcome = out.code === 0 ? 'success' : 'failure'
      if (out.code !== 0) step.message = lastError(out)
      return
    }
    throw new Error(`${uses}: this action is not modelled by the local runner`)
  }

  /** actions/checkout: a real clone; `ref` (or the event's ref and sha), full history and tags (fetch-depth: 0). */
  private async checkout(wr: WorkflowRun, inputs: Record<string, string>, workspace: string): Promise<void> {
    const url = this.github.gitUrl(this.options.owner, this.options.repo, inputs.token || wr.token)
    const git = (...args: string[]) => run('git', args, { cwd: workspace, encoding: 'utf8' })
    await git('init', '--quiet')
    await git('remote', 'add', 'origin', url)
    await git('fetch', '--quiet', '--tags', 'origin', '+refs/heads/*:refs/remotes/origin/*')
    const ref = inputs.ref || wr.ref
    const branch = ref.replace(/^refs\/heads\//, '')
    const known = await git('rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}`).catch(
      () => null,
    )
    if (known) {
      const sha = inputs.ref ? known.stdout.trim() : wr.sha
      await git('checkout', '--quiet', '-B', branch, sha)
    } else {
      await git('fetch', '--quiet', 'origin', ref.startsWith('refs/') ? `+${ref}:${ref}` : ref)
      await git('checkout', '--quiet', '--detach', inputs.ref ? 'FETCH_HEAD' : wr.sha)
    }
  }

  private async runScript(
    wr: WorkflowRun,
    script: string,
    env: Record<string, string>,
    workspace: string,
    step: StepResult,
  ): Promise<void> {
    const dir = await mkdtemp(join(this.options.work, `step-${wr.id}-`))
    const output = join(dir, 'output')
    await writeFile(output, '')
    await mkdir(workspace, { recursive: true })
    try {
      const result = await run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
        cwd: workspace,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...this.baseEnv(wr, workspace),
          GITHUB_OUTPUT: output,
          ...env,
        },
      })
      step.message = result.stdout.trim()
      step.outcome = 'success'
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string }
      step.outcome = 'failure'
      step.message = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message
    }
    for (const line of (await readFile(output, 'utf8')).split('\n')) {
      const eq = line.indexOf('=')
      if (eq > 0) step.outputs[line.slice(0, eq)] = line.slice(eq + 1)
    }
  }
}

/** The inputs context of a workflow_dispatch run: the given inputs over the workflow's defaults. */
function dispatchInputs(
  template: WorkflowTemplate,
  given: Record<string, string> | undefined,
): Record<string, unknown> {
  const defined = template.events.workflow_dispatch?.inputs ?? {}
  if (!given) return {}
  const out: Record<string, unknown> = {}
  for (const [name, input] of Object.entries(defined)) {
    const value = given[name] ?? (input.default !== undefined ? String(input.default) : '')
    out[name] = input.type === 'boolean' ? value === 'true' : value
  }
  return out
}

function workflowName(raw: TemplateToken, path: string): string {
  if (isMapping(raw)) {
    for (let i = 0; i < raw.count; i++) {
      const pair = raw.get(i)
      if (isString(pair.key) && pair.key.value === 'name' && isString(pair.value)) return pair.value.value
    }
  }
  return path
}

/** The raw step mappings of a job: the converted model drops `with:`, which the runner needs. */
function rawSteps(raw: TemplateToken, jobId: string): { with?: TemplateToken }[] {
  const get = (token: TemplateToken | undefined, key: string): TemplateToken | undefined => {
    if (!token || !isMapping(token)) return undefined
    for (let i = 0; i < token.count; i++) {
      const pair = token.get(i)
      if (isString(pair.key) && pair.key.value === key) return pair.value
    }
    return undefined
  }
  const steps = get(get(get(raw, 'jobs'), jobId), 'steps')
  if (!steps || !isSequence(steps)) return []
  const out: { with?: TemplateToken }[] = []
  for (let i = 0; i < steps.count; i++) {
    const w = get(steps.get(i), 'with')
    out.push(w ? { with: w } : {})
  }
  return out
}

function lastError(run: ActionRun): string {
  const errors = run.annotations.filter((a) => a.level === 'error').map((a) => a.message)
  return errors.at(-1) ?? `exit code ${run.code}`
}

/** One line per run: workflow, job, result. */
export function describeRun(wr: WorkflowRun): string {
  if (wr.status === 'canceled')
    return `${wr.path} (${wr.name}): canceled, replaced in its concurrency group by run ${wr.canceledBy}`
  const jobs = wr.jobs
    .map((j) => `${j.id} ${j.result}${j.reason ? ` (${j.reason.split('\n')[0]})` : ''}`)
    .join(', ')
  return `${wr.path} (${wr.name}): ${jobs || 'no jobs'}`
}

/**
 * What an event led to: one line per workflow run, one per workflow whose `on:` filters turned the event
 * away, and a line saying why nothing ran when nothing did (workflows without the event are not listed).
 */
export function describeReport(report: EventReport): string[] {
  const lines: string[] = []
  if (report.note) lines.push(`  ${report.note}`)
  for (const wr of report.runs) lines.push(`  ${describeRun(wr)}`)
  const filtered = report.skipped.filter((s) => !s.reason.startsWith('no `on:'))
  for (const s of filtered) lines.push(`  ${s.path}: not started (${s.reason})`)
  if (lines.length === 0) lines.push(`  no workflow takes ${report.name} at the ref GitHub reads for it`)
  return lines
}
