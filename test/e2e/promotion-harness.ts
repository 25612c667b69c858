import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { Octokit } from '@octokit/rest'
import { expect } from 'vitest'
import { type LocalGitHub, startLocalGitHub } from '../local-github/server.js'
import type { IssueRecord, RepositoryRecord } from '../local-github/types.js'
import { type DeploymentEnvironment, describeReport, type EventReport, WorkflowRunner } from '../local-github/workflows/runner.js'
import type { PromotionMarker } from '../../src/core/promotion/promotion-request.js'
import { readPromotionMarker } from '../../src/core/render/promotion-body.js'
import { type ActionEvent, type ActionRun, runAction } from './action-runner.js'

// Promotions end to end: one small source repository per test on the local GitHub, carrying the workflows of
// examples/workflows as a user would copy them. The methods produce events (a push, a review, a comment, a
// scheduled tick, a dispatch); the local GitHub's workflow runner decides what runs, and the methods return
// the run of the Gantry step that the event led to. Shared by the promotion-*.test.ts files.

/** Preloaded into the action's process: sets its clock (GANTRY_TEST_CLOCK). */
const TEST_CLOCK = pathToFileURL(join(import.meta.dirname, 'test-clock.mjs')).href

export const OWNER = 'acme'
export const BOT = 'gantry-bot'

/**
 * Who is who. qa takes one approval from quinn, rita or reed (reed may only read the repository); prod takes
 * two from paula and the release managers (ravi). olga has write access but reviews nowhere; ada is an admin.
 */
export const PEOPLE = {
  alice: 'write',
  quinn: 'write',
  rita: 'write',
  reed: 'read',
  paula: 'write',
  ravi: 'write',
  olga: 'write',
  ada: 'admin',
} as const
export const tokenOf = (login: string): string => `${login}-token`

/** Tuesday 24 November 2026, 10:00 in New York: outside prod's window (Mon-Thu 00:00-01:00). */
export const OUTSIDE_WINDOW = '2026-11-24T15:00:00Z'
/** Wednesday 25 November 2026, 00:30 in New York: inside prod's window. */
export const INSIDE_WINDOW = '2026-11-25T05:30:00Z'

export const GANTRY_YAML = `versioning: dot
environments:
  - name: dev
    branch: env/dev
    approvals: 0
  - name: qa
    branch: env/qa
    after: [dev]
    approvals: 1
    reviewers: [quinn, rita, reed]
  - name: prod
    branch: env/prod
    after: [qa]
    approvals: 2
    reviewers: [paula, "@acme/release-managers"]
    timezone: America/New_York
    windows: ["Mon-Thu 00:00-01:00"]
    freezes:
      - {from: "2026-12-20", to: "2027-01-03", reason: Year-end close}
`

const CONNECTION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['host'],
  properties: { host: { type: 'string' }, port: { type: 'integer' } },
}
const TASK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['command', 'connection'],
  properties: { command: { type: 'string' }, connection: { type: 'string', 'x-gantry-ref': 'connection' } },
}

/** Text a reader could abuse: a mention, HTML, a workflow expression, a link and an image. */
export const HOSTILE =
  '@everyone <script>alert(1)</script> ${{ secrets.GITHUB_TOKEN }} [x](http://evil.example) ![i](http://evil.example/i.png)'

export const connection = (name: string, host: string): string =>
  `kind: connection\nname: ${name}\nspec:\n  host: ${host}\n  port: 5432\n`
export const task = (name: string, command: string, conn: string): string =>
  `kind: task\nname: ${name}\nspec:\n  command: ${command}\n  connection: ${conn}\n`

/**
 * Three independent packages: base (locked), jobs and reports (whose description, notes and instructions
 * carry hostile text).
 */
export const SOURCE_FILES: Record<string, string> = {
  'gantry.yaml': GANTRY_YAML,
  'kinds/connection.schema.json': `${JSON.stringify(CONNECTION_SCHEMA, null, 2)}\n`,
  'kinds/task.schema.json': `${JSON.stringify(TASK_SCHEMA, null, 2)}\n`,
  'definitions/connection/warehouse.yaml': connection('warehouse', 'warehouse.internal'),
  'definitions/connection/jobs-db.yaml': connection('jobs-db', 'jobs-db.internal'),
  'definitions/connection/report-db.yaml': connection('report-db', 'report-db.internal'),
  'definitions/task/nightly.yaml': task('nightly', 'run-nightly', 'jobs-db'),
  'definitions/task/weekly-report.yaml': task('weekly-report', 'make-report', 'report-db'),
  'packages/base.yaml':
    'name: base\ndescription: Shared connections\nnotes: The warehouse connection.\nlocked: true\nitems:\n  - connection/warehouse\n',
  'packages/jobs.yaml':
    'name: jobs\ndescription: Nightly jobs\nnotes: The nightly job.\nitems:\n  - task/nightly\n  - connection/jobs-db\n',
  'packages/reports.yaml': [
    'name: reports',
    `description: ${JSON.stringify(`Reports ${HOSTILE}`)}`,
    `notes: ${JSON.stringify(`Weekly report ${HOSTILE}`)}`,
    'items:',
    '  - task/weekly-report',
    '  - connection/report-db',
    'instructions:',
    `  - step: ${JSON.stringify(`Tell ${HOSTILE}`)}`,
    '    when: after',
    '',
  ].join('\n'),
}

const PACKAGES = ['base', 'jobs', 'reports'] as const
export type PackageName = (typeof PACKAGES)[number]
/** The files only one package needs. */
const PACKAGE_FILES: [PackageName, string[]][] = [
  ['base', ['packages/base.yaml', 'definitions/connection/warehouse.yaml']],
  ['jobs', ['packages/jobs.yaml', 'definitions/connection/jobs-db.yaml', 'definitions/task/nightly.yaml']],
  [
    'reports',
    ['packages/reports.yaml', 'definitions/connection/report-db.yaml', 'definitions/task/weekly-report.yaml'],
  ],
]

type EventName = ActionEvent['name']

const EXAMPLES = join(import.meta.dirname, '../../examples/workflows')

/** The example workflows, as a user copies them into .github/workflows/. */
export async function exampleWorkflows(): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const name of (await readdir(EXAMPLES)).filter((n) => n.endsWith('.yml')))
    files[`.github/workflows/${name}`] = await readFile(join(EXAMPLES, name), 'utf8')
  return files
}

/** The App's private key (a stand-in: the runner mocks the App-token step). */
export const APP_KEY = { GANTRY_APP_PRIVATE_KEY: 'test-private-key' }
/** Repository secrets of the example workflows: none, the App's key is the `gantry` environment's. */
export const SECRETS: Record<string, string> = {}
export const VARS = { GANTRY_APP_ID: '1' }
/**
 * The deployment environment of the example workflows, as docs/action.md sets it up: the App's key as its
 * secret, deployment limited to the default branch and version tags.
 */
export const ENVIRONMENTS: Record<string, DeploymentEnvironment> = {
  gantry: { secrets: APP_KEY, branches: ['main'], tags: ['*@*'] },
}

/** One local GitHub for a test file; each test gets its own repository through `repository()`. */
export class PromotionHub {
  private counter = 0
  private constructor(
    readonly github: LocalGitHub,
    readonly work: string,
  ) {}

  static async start(): Promise<PromotionHub> {
    const github = await startLocalGitHub()
    const work = await mkdtemp(join(tmpdir(), 'gantry-promotion-'))
    github.addUser(BOT, { token: tokenOf(BOT), permission: 'write', type: 'Bot', readsOrgMembers: true })
    for (const [login, permission] of Object.entries(PEOPLE))
      github.addUser(login, { token: tokenOf(login), permission })
    github.addTeam(OWNER, 'release-managers', ['ravi'])
    return new PromotionHub(github, work)
  }

  async stop(): Promise<void> {
    await this.github.stop()
    await rm(this.work, { recursive: true, force: true })
  }

  /**
   * A new source repository with some of the packages (all three by default), released at version 1 and
   * applied to dev by the first push, its promotions into qa open.
   */
  async repository(packages: readonly PackageName[] = PACKAGES): Promise<PromotionRepo> {
    const name = `pipelines-${++this.counter}`
    const files = Object.fromEntries(
      Object.entries(SOURCE_FILES).filter(
        ([path]) => !PACKAGE_FILES.some(([pkg, own]) => !packages.includes(pkg) && own.includes(path)),
      ),
    )
    await this.github.createRepository(OWNER, name, { files: { ...files, ...(await exampleWorkflows()) } })
    const repo = new PromotionRepo(this, name)
    const first = await repo.push()
    expect(first.outputs.created?.split(' ').sort()).toEqual(packages.map((p) => `${p}@1`).sort())
    for (const pkg of packages) {
      expect(ledgerFields(await repo.ledger('dev', pkg)).version, `${pkg} in dev`).toBe('1')
      expect(repo.openPromotion('qa', pkg).labels).toEqual(['gantry:awaiting-approval'])
    }
    return repo
  }

  nextDirectory(prefix: string): string {
    return join(this.work, `${prefix}-${++this.counter}`)
  }
}

/** One source repository on the local GitHub, with the steps of the promotion flow as methods. */
export class PromotionRepo {
  /** The clock of the action's runs (the process's clock, through test-clock.mjs). */
  now = OUTSIDE_WINDOW
  readonly repository: Record<string, unknown>
  /** Runs the repository's workflows for the events the local GitHub produces. */
  readonly runner: WorkflowRunner

  constructor(
    readonly hub: PromotionHub,
    readonly name: string,
  ) {
    this.repository = { default_branch: 'main', name, full_name: `${OWNER}/${name}`, owner: { login: OWNER } }
    this.runner = new WorkflowRunner(hub.github, {
      owner: OWNER,
      repo: name,
      work: hub.work,
      secrets: SECRETS,
      environments: ENVIRONMENTS,
      vars: VARS,
      appToken: tokenOf(BOT),
      scheduleActor: 'ada',
      actionEnv: () => ({ GANTRY_TEST_CLOCK: this.now, NODE_OPTIONS: `--import=${TEST_CLOCK}`, GANTRY_SPACE_WRITES: 'false', 'INPUT_BOT-LOGIN': BOT }),
    })
  }

  /**
   * Lets the workflows run for these events (and what their runs cause), and returns the run of the first
   * Gantry step among them; `expectSuccess` (the default) fails the test when it failed or none ran.
   */
  async drive(reports: EventReport[], what: string, expectSuccess = true): Promise<ActionRun> {
    const runs = await this.runner.drive(reports)
    const gantry = runs.flatMap((r) => r.jobs).find((j) => j.gantry)?.gantry
    const story = () =>
      reports
        .map(
          (r) =>
            `${r.name}${r.action ? ` ${r.action}` : ''} by ${r.sender}:\n${describeReport(r).join('\n')}`,
        )
        .join('\n')
    if (!gantry) throw new Error(`${what}: no Gantry step ran\n${story()}`)
    if (expectSuccess)
      expect(gantry.code, `${what} failed:\n${story()}\n${gantry.stdout}\n${gantry.stderr}`).toBe(0)
    expect(this.runner.violations, 'payloads GitHub would not send').toEqual([])
    return gantry
  }

  /** Does what `act` does and drives the events it produced. */
  private async events(what: string, act: () => Promise<unknown>, expectSuccess = true): Promise<ActionRun> {
    const mark = this.runner.mark()
    await act()
    return this.drive(this.runner.since(mark), what, expectSuccess)
  }

  get github(): LocalGitHub {
    return this.hub.github
  }

  state(): RepositoryRecord {
    const state = this.github.getState().repositories[`${OWNER}/${this.name}`]
    if (!state) throw new Error(`no repository ${this.name}`)
    return state
  }

  octokit(login: string): Octokit {
    return new Octokit({ baseUrl: this.github.baseUrl, auth: tokenOf(login) })
  }

  async git(cwd: string, ...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)('git', args, { cwd, encoding: 'utf8' })
    return stdout
  }

  get gitDir(): string {
    return join(this.github.root, OWNER, `${this.name}.git`)
  }

  /** A fresh clone for one run, as actions/checkout makes it. */
  async clone(branch = 'main', token = tokenOf(BOT)): Promise<string> {
    const dir = this.hub.nextDirectory(this.name)
    await this.git(
      this.hub.work,
      'clone',
      '--quiet',
      '--branch',
      branch,
      this.github.gitUrl(OWNER, this.name, token),
      dir,
    )
    return dir
  }

  /**
   * Runs the action directly on a fresh clone of `branch`, with a payload made by hand: not an event, no
   * workflow. Only for what GitHub would never send (forged payloads, a checkout of another branch).
   */
  async run(
    name: EventName,
    payload: Record<string, unknown>,
    options: {
      inputs?: Record<string, string>
      env?: Record<string, string>
      branch?: string
      expectSuccess?: boolean
      token?: string
    } = {},
  ): Promise<ActionRun> {
    const workspace = await this.clone(options.branch)
    const result = await runAction(this.github, {
      owner: OWNER,
      repo: this.name,
      token: options.token ?? tokenOf(BOT),
      workspace,
      event: { name, payload: { repository: this.repository, ...payload } },
      // The process's clock (GANTRY_NOW is honoured only in dry run): see test-clock.mjs.
      env: { GANTRY_TEST_CLOCK: this.now, NODE_OPTIONS: `--import=${TEST_CLOCK}`, GANTRY_SPACE_WRITES: 'false', ...options.env },
      // The bot is an installation-like user (GET /user refuses it): runs name it, as workflows with an App do.
      inputs: { 'bot-login': BOT, ...options.inputs },
    })
    if (options.expectSuccess !== false)
      expect(result.code, `${name} run failed:\n${result.stdout}\n${result.stderr}`).toBe(0)
    return result
  }

  /**
   * The push of main's head as GitHub delivers it (again, when it was pushed before): the release workflow
   * runs. With `token`, the direct run of the action with that token instead.
   */
  async push(options: { expectSuccess?: boolean; token?: string } = {}): Promise<ActionRun> {
    if (options.token) return this.run('push', { ref: 'refs/heads/main' }, options)
    const head = await this.head('main')
    const parent = (
      await this.git(
        this.hub.work,
        '--git-dir',
        this.gitDir,
        'rev-parse',
        '--verify',
        '--quiet',
        `${head}^`,
      ).catch(() => '')
    ).trim()
    return this.events(
      'push to main',
      async () => {
        this.github.hub.emit({
          repo: this.state_(),
          name: 'push',
          sender: 'alice',
          ref: 'refs/heads/main',
          before: parent || null,
          after: head,
        })
      },
      options.expectSuccess !== false,
    )
  }

  /** A scheduled tick; with `branch`, the direct run of the action on a checkout of that branch instead. */
  async reconcile(options: { expectSuccess?: boolean; branch?: string } = {}): Promise<ActionRun> {
    if (options.branch) return this.run('schedule', { schedule: '*/30 * * * *' }, options)
    return this.events('scheduled run', async () => this.runner.schedule(), options.expectSuccess !== false)
  }

  /** "Run workflow" on promotion.yml by ada, with these inputs. */
  dispatch(
    inputs: { package: string; version?: string; environment?: string },
    options: { expectSuccess?: boolean } = {},
  ): Promise<ActionRun> {
    return this.events(
      'manual run',
      () =>
        this.octokit('ada').rest.actions.createWorkflowDispatch({
          owner: OWNER,
          repo: this.name,
          workflow_id: 'promotion.yml',
          ref: 'main',
          inputs: { command: 'auto', ...inputs },
        }),
      options.expectSuccess !== false,
    )
  }

  /** The payload part GitHub sends about a pull request (for direct runs). */
  pullPayload(number: number): Record<string, unknown> {
    const pr = this.issue(number)
    if (!pr.pull) throw new Error(`#${number} is not a pull request`)
    return {
      number,
      pull_request: {
        number,
        head: { sha: pr.pull.headSha, ref: pr.pull.headRef },
        base: { ref: pr.pull.baseRef },
      },
    }
  }

  /** A review by `login`: its event waits, seen by no run until reviewRun (or approve) lets it run. */
  async review(
    login: string,
    number: number,
    event: 'APPROVE' | 'REQUEST_CHANGES' | 'COMMENT' = 'APPROVE',
    options: { body?: string; commitId?: string } = {},
  ): Promise<void> {
    await this.github.review(login, OWNER, this.name, number, event, options)
  }

  /**
   * The runs GitHub starts for the latest review by `login` on `number` (through the environment branch's
   * relay); a review whose runs are over is delivered again (GitHub's re-run). With `branch`, the direct run
   * of the action on a checkout of that branch instead.
   */
  async reviewRun(
    login: string,
    number: number,
    state = 'approved',
    options: { expectSuccess?: boolean; branch?: string } = {},
  ): Promise<ActionRun> {
    if (options.branch)
      return this.run(
        'pull_request_review',
        { action: 'submitted', review: { state, user: { login } }, ...this.pullPayload(number) },
        options,
      )
    const latest = this.runner.reports
      .filter(
        (r) =>
          r.name === 'pull_request_review' &&
          r.sender === login &&
          'number' in r.source &&
          r.source.number === number,
      )
      .at(-1)
    if (!latest) throw new Error(`no review by ${login} on #${number}`)
    await this.runner.triggerNow(latest)
    const over =
      latest.runs.length > 0 &&
      this.runner.descendants(latest).every((r) => r.status === 'completed' || r.status === 'canceled')
    const report = over ? this.runner.redeliver(latest) : latest
    return this.drive([report], `review of #${number} by ${login}`, options.expectSuccess !== false)
  }

  /** A review and the runs it starts. */
  async approve(login: string, number: number): Promise<ActionRun> {
    await this.review(login, number, 'APPROVE')
    return this.reviewRun(login, number)
  }

  /** A `/gantry ...` comment and the runs it starts. */
  async command(
    login: string,
    number: number,
    body: string,
    options: { expectSuccess?: boolean } = {},
  ): Promise<ActionRun> {
    return this.events(
      `comment on #${number} by ${login}`,
      () => this.github.comment(login, OWNER, this.name, number, body),
      options.expectSuccess !== false,
    )
  }

  private state_(): RepositoryRecord {
    const found = this.github.hub.findRepository(OWNER, this.name)
    if (!found) throw new Error(`no repository ${this.name}`)
    return found
  }

  issue(number: number): IssueRecord {
    const found = this.state().issues.find((i) => i.number === number)
    if (!found) throw new Error(`no issue #${number}`)
    return found
  }

  /** Every promotion pull request of (environment, package), oldest first. */
  promotions(env?: string, pkg?: string): IssueRecord[] {
    return this.state()
      .issues.filter((i) => i.pull?.headRef.startsWith('gantry/promote/'))
      .filter(
        (i) =>
          (env === undefined || i.pull!.baseRef === `env/${env}`) &&
          (pkg === undefined || i.pull!.headRef === `gantry/promote/${env}/${pkg}`),
      )
  }

  openPromotion(env: string, pkg: string): IssueRecord {
    const open = this.promotions(env, pkg).filter((p) => p.state === 'open')
    expect(
      open.map((p) => p.number),
      `open promotions of ${pkg} into ${env}`,
    ).toHaveLength(1)
    return open[0]!
  }

  /** The hidden marker of a promotion pull request, as later runs read it. */
  marker(number: number): PromotionMarker {
    const marker = readPromotionMarker(this.issue(number).body)
    if (!marker) throw new Error(`#${number} carries no promotion marker`)
    return marker
  }

  comments(number: number): string[] {
    return this.state()
      .comments.filter((c) => c.issueNumber === number)
      .map((c) => c.body)
  }

  dashboard(): IssueRecord | undefined {
    const found = this.state().issues.filter((i) => !i.pull && (i.body ?? '').includes('gantry:dashboard'))
    expect(found.length).toBeLessThanOrEqual(1)
    return found[0]
  }

  async head(branch: string): Promise<string | null> {
    return this.github.resolveRef(OWNER, this.name, `refs/heads/${branch}`)
  }

  /**
   * The ledger of `pkg` on env/<env> in the bare repository; undefined only when the branch or the file is
   * not there (any other failure throws, so "not applied" is never a failed lookup).
   */
  async ledger(env: string, pkg: string): Promise<string | undefined> {
    const head = await this.head(`env/${env}`)
    if (!head) return undefined
    return this.file(head, `.gantry/installed/${pkg}.yaml`)
  }

  /** A file at a revision; undefined only when the revision or the path does not exist, else git's error. */
  async file(ref: string, path: string): Promise<string | undefined> {
    const bare = ['--git-dir', this.gitDir]
    let commit: string
    try {
      commit = (
        await this.git(this.hub.work, ...bare, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`)
      ).trim()
    } catch (error) {
      // --verify --quiet: exit 1 and nothing on stderr means "no such revision"; anything else is a failure.
      const failed = error as { code?: unknown; stderr?: string }
      if (failed.code === 1 && !failed.stderr) return undefined
      throw error
    }
    const entry = await this.git(this.hub.work, ...bare, 'ls-tree', '--full-tree', commit, '--', path)
    if (entry === '') return undefined
    return this.git(this.hub.work, ...bare, 'cat-file', 'blob', `${commit}:${path}`)
  }

  /** Commits on a branch, newest first (subject lines). */
  async log(branch: string): Promise<string[]> {
    const out = await this.git(
      this.hub.work,
      '--git-dir',
      this.gitDir,
      'log',
      '--format=%s',
      `refs/heads/${branch}`,
    )
    return out.trim().split('\n')
  }

  async tags(): Promise<string[]> {
    const out = await this.git(this.hub.work, '--git-dir', this.gitDir, 'tag', '--list')
    return out.trim().split('\n').filter(Boolean).sort()
  }

  /** A change pushed to main, as a merged pull request would leave it; the push's release run. */
  async change(files: Record<string, string | null>, message = 'Change definitions'): Promise<ActionRun> {
    return this.events('push to main', () =>
      this.github.commitFiles(OWNER, this.name, { branch: 'main', files, message, author: 'alice' }),
    )
  }
}

/** The fields of a ledger that tests look at. */
export function ledgerFields(text: string | undefined): {
  version?: string
  promotion?: string
  approvers: string[]
  appliedAt?: string
} {
  const field = (name: string) => new RegExp(`^${name}: "?([^"\\n]*)"?$`, 'm').exec(text ?? '')?.[1]
  return {
    ...(field('version') !== undefined ? { version: field('version') } : {}),
    ...(field('promotion') !== undefined ? { promotion: field('promotion') } : {}),
    ...(field('appliedAt') !== undefined ? { appliedAt: field('appliedAt') } : {}),
    approvers: [...(text ?? '').matchAll(/login: (\S+)/g)].map((m) => m[1]!),
  }
}
