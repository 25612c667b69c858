/**
 * API economy: how many GitHub requests the built action (dist/index.js) makes, against the local GitHub on
 * loopback, as the repository and the changes grow. Counts, not only times: every REST request the run
 * made (by operationId) and every git HTTP request, from the server's logs, reset before each run.
 *
 * Scenarios:
 * - release: the first push to main of a repository of `releasePackages` packages (each one built, tagged
 *   and released: "build N packages on merge"); in the larger source repository (released at version 1 by
 *   the setup), a merge that changes one package, and a re-run after it with nothing new. The re-runs with
 *   nothing new of both repositories show what each package in the repository costs every release run; the
 *   first push against the re-run of the small repository, what a new version adds.
 * - pull request: pull requests that change one definition in each of 1, 10, 100... packages of the source
 *   repository, validated on the pull_request event. The count should not grow with the packages touched,
 *   except through pagination of the changed files (one request per 100 files).
 *
 * Git runs asynchronously throughout: the local GitHub answers from this process.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
import { Octokit } from '@octokit/rest'
import { type ActionEvent, type ActionRun, runAction } from '../test/e2e/action-runner.js'
import { type LocalGitHub, startLocalGitHub } from '../test/local-github/server.js'
import { BENCH_IDENTITY, type GeneratedRepository, generateRepository } from './generate-repository.js'
import { CLI } from './paths.js'

export interface ApiEconomyOptions {
  /** Packages of the repository whose first push is the "build N packages on merge" figure. */
  releasePackages: number
  /** The source repository the pull requests change. */
  source: { packages: number; itemsPerPackage: number }
  /** Packages each pull request changes (one definition in each), one scenario each. */
  touches: number[]
  log: (line: string) => void
}

export interface ApiScenario {
  name: string
  event: 'push' | 'pull_request'
  /** Packages in the repository. */
  repositoryPackages: number
  /** Release: new versions the run created. Pull request: packages the action found touched. */
  packages: number
  /** Files the pull request changed (null for a push). */
  changedFiles: number | null
  /** REST requests (api/v3 and uploads) the run made. */
  api: number
  byOperation: Record<string, number>
  /** Git smart-HTTP requests the run made (fetch, push). */
  git: number
  gitByService: Record<string, number>
  wallMs: number
}

export interface Cost {
  api: number
  git: number
  /** Requests by operationId and by git service ("git upload-pack"), per unit: those of 0.1 or more. */
  byOperation: Record<string, number>
}

export interface ApiEconomyResult {
  scenarios: ApiScenario[]
  /** Requests GitHub would refuse, over the whole benchmark: should be none. */
  violations: { method: string; path: string; operationId: string | null; message: string }[]
  release: {
    /**
     * What each package in the repository costs every release run, new or not: the operations both re-runs
     * with nothing new make the same number of times per package of their repository.
     */
    perPackage: Cost
    /** What a new version adds: the first push of the small repository minus its re-run, per new version. */
    perNewVersion: Cost
  }
  pullRequests: {
    /** Requests beyond the smallest pull request's that pagination does not explain, per scenario. */
    excess: { name: string; changedFiles: number; extra: number; pagination: number; excess: number }[]
    /** True when no pull request costs more than the smallest one plus its extra pages of changed files. */
    flat: boolean
  }
}

const OWNER = 'acme'
const BOT = 'gantry-bot'
const AUTHOR = 'alice'
const TOKENS = { [BOT]: 'bot-token', [AUTHOR]: 'alice-token' } as const
const PAGE = 100

const execFileAsync = promisify(execFile)

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', ['-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...BENCH_IDENTITY, GIT_TERMINAL_PROMPT: '0' },
    maxBuffer: 1 << 28,
  })
  return stdout
}

const tally = (keys: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1
  return counts
}

const pages = (files: number) => Math.max(1, Math.ceil(files / PAGE))

/**
 * One definition of the package changed in place: a task's timeout (or another bounded number) moves by
 * one. Tasks are never pulled into other packages by includeReferences (only leaf kinds are), so the change
 * touches this package alone.
 */
function changeOneDefinition(pkg: GeneratedRepository['packages'][number]): {
  file: string
  edit: (text: string) => string
} {
  const item = pkg.items.find((i) => i.startsWith('task/')) ?? pkg.items[0]!
  return {
    file: `definitions/${item}.yaml`,
    edit: (text) => {
      const number = /^ {2}(timeoutMinutes|maxParallel|timeoutSeconds|rotationDays|maxConcurrent): (\d+)$/m
      if (number.test(text))
        return text.replace(number, (_, field: string, n: string) => `  ${field}: ${Number(n) + 1}`)
      return `${text}# revised\n`
    },
  }
}

export async function runApiEconomyBench(options: ApiEconomyOptions): Promise<ApiEconomyResult> {
  const { log } = options
  const github = await startLocalGitHub()
  const work = await mkdtemp(join(tmpdir(), 'gantry-api-bench-'))
  try {
    return await measureAll(github, work, options)
  } finally {
    await github.stop()
    await rm(work, { recursive: true, force: true })
    log('  local GitHub stopped')
  }
}

async function measureAll(
  github: LocalGitHub,
  work: string,
  options: ApiEconomyOptions,
): Promise<ApiEconomyResult> {
  const { log } = options
  github.addUser(BOT, { token: TOKENS[BOT], permission: 'write', type: 'Bot' })
  github.addUser(AUTHOR, { token: TOKENS[AUTHOR], permission: 'write' })
  const scenarios: ApiScenario[] = []
  let checkouts = 0

  const seed = async (repo: string, generated: GeneratedRepository): Promise<void> => {
    const started = performance.now()
    await github.createRepository(OWNER, repo, {
      files: Object.fromEntries(generated.files),
      message: 'Synthetic source repository',
    })
    const s = generated.stats
    log(
      `  ${OWNER}/${repo}: ${s.definitions} definitions, ${s.packages} packages, ${s.references} references (seeded in ${Math.round(performance.now() - started)} ms)`,
    )
  }
  const checkout = async (repo: string, branch: string): Promise<string> => {
    const dir = join(work, `run-${++checkouts}`)
    await git(work, 'clone', '--quiet', '--branch', branch, github.gitUrl(OWNER, repo, TOKENS[BOT]), dir)
    return dir
  }
  const repository = (repo: string) => ({
    default_branch: 'main',
    name: repo,
    full_name: `${OWNER}/${repo}`,
    owner: { login: OWNER },
  })

  /** Runs the action once on a fresh checkout, with the request logs reset just before it starts. */
  const measure = async (
    name: string,
    repo: string,
    repositoryPackages: number,
    workspace: string,
    event: ActionEvent,
    changedFiles: number | null,
  ): Promise<{ scenario: ApiScenario; run: ActionRun }> => {
    github.resetRequestLog()
    const started = performance.now()
    const run = await runAction(github, { owner: OWNER, repo, token: TOKENS[BOT], workspace, event, inputs: { 'bot-login': BOT } })
    const wallMs = performance.now() - started
    const requests = [...github.requests]
    const gitRequests = [...github.gitRequests]
    if (run.code !== 0)
      throw new Error(
        `${name}: the action exited with ${run.code}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`,
      )
    const others = requests.filter((r) => r.login !== BOT)
    if (others.length > 0) throw new Error(`${name}: ${others.length} requests not made by the action`)
    const words = (output: string | undefined) => (output ?? '').split(' ').filter(Boolean)
    const scenario: ApiScenario = {
      name,
      event: event.name === 'pull_request' ? 'pull_request' : 'push',
      repositoryPackages,
      packages:
        event.name === 'pull_request'
          ? words(run.outputs.packages).length
          : words(run.outputs.created).length,
      changedFiles,
      api: requests.length,
      byOperation: tally(requests.map((r) => r.operationId ?? `${r.method} ${r.path}`)),
      git: gitRequests.length,
      gitByService: tally(gitRequests.map((r) => r.service ?? 'other')),
      wallMs,
    }
    log(`  ${name}: ${scenario.api} API requests, ${scenario.git} git requests, ${Math.round(wallMs)} ms`)
    return { scenario, run }
  }
  const push = (repo: string): ActionEvent => ({
    name: 'push',
    payload: { ref: 'refs/heads/main', repository: repository(repo) },
  })

  // Build N packages on merge: the first push of a repository of exactly N packages.
  const small = generateRepository({
    definitions: options.releasePackages * 5,
    packages: options.releasePackages,
    references: options.releasePackages * 15,
    seed: 'api-release',
  })
  await seed('release', small)
  const firstSmall = await measure(
    `release: first push, ${small.stats.packages} packages`,
    'release',
    small.stats.packages,
    await checkout('release', 'main'),
    push('release'),
    null,
  )
  scenarios.push(firstSmall.scenario)
  const smallRerun = await measure(
    `release: re-run, nothing new, ${small.stats.packages} packages`,
    'release',
    small.stats.packages,
    await checkout('release', 'main'),
    push('release'),
    null,
  )
  scenarios.push(smallRerun.scenario)

  // The source repository the pull requests change, released at version 1 by the setup (below).
  const { packages: sourcePackages, itemsPerPackage } = options.source
  const source = generateRepository({
    definitions: sourcePackages * itemsPerPackage,
    packages: sourcePackages,
    references: sourcePackages * itemsPerPackage * 3,
    seed: 'api-source',
  })
  const REPO = 'definitions'
  const total = source.stats.packages
  await seed(REPO, source)
  await releaseBySetup(github, REPO, await checkout(REPO, 'main'), log)

  // Pull requests changing one definition in each of k packages, each branched from main.
  const author = join(work, 'author')
  await git(work, 'clone', '--quiet', github.gitUrl(OWNER, REPO, TOKENS[AUTHOR]), author)
  const opened = new Map<number, number>()
  for (const count of options.touches) {
    const k = Math.min(count, total)
    const branch = `touch-${k}`
    await git(author, 'checkout', '--quiet', '-B', branch, 'origin/main')
    for (const pkg of source.packages.slice(0, k)) {
      const change = changeOneDefinition(pkg)
      const file = join(author, change.file)
      await writeFile(file, change.edit(await readFile(file, 'utf8')))
    }
    await git(author, 'commit', '--quiet', '-am', `Change one definition in each of ${k} packages`)
    const changed = (await git(author, 'diff', '--name-only', 'origin/main', 'HEAD'))
      .split('\n')
      .filter(Boolean)
    await git(author, 'push', '--quiet', 'origin', branch)
    const pr = await github.openPullRequestAs(AUTHOR, OWNER, REPO, {
      title: `Change ${k} packages`,
      head: branch,
      base: 'main',
    })
    opened.set(k, pr.number)
    const headSha = await github.resolveRef(OWNER, REPO, `refs/heads/${branch}`)
    const { scenario, run } = await measure(
      `pull request touching ${k} package${k === 1 ? '' : 's'}`,
      REPO,
      total,
      await checkout(REPO, branch),
      {
        name: 'pull_request',
        payload: {
          action: 'opened',
          number: pr.number,
          pull_request: { number: pr.number, head: { sha: headSha, ref: branch }, base: { ref: 'main' } },
          repository: repository(REPO),
        },
      },
      changed.length,
    )
    if (Number(run.outputs.errors ?? '0') > 0) throw new Error(`${scenario.name}: validation found errors`)
    scenarios.push(scenario)
  }

  // A merge that changes one package: one new version, every other package unchanged; then a re-run.
  const oneNumber = opened.get(Math.min(...opened.keys()))
  if (oneNumber === undefined) throw new Error('no pull request to merge')
  await github.mergePullRequestAs(AUTHOR, OWNER, REPO, oneNumber, { mergeMethod: 'merge' })
  const merge = await measure(
    `release: merge changing 1 of ${total} packages`,
    REPO,
    total,
    await checkout(REPO, 'main'),
    push(REPO),
    null,
  )
  scenarios.push(merge.scenario)
  const rerun = await measure(
    `release: re-run, nothing new, ${total} packages`,
    REPO,
    total,
    await checkout(REPO, 'main'),
    push(REPO),
    null,
  )
  scenarios.push(rerun.scenario)

  return {
    scenarios,
    violations: github.violations.map((v) => ({
      method: v.method,
      path: v.path,
      operationId: v.operationId,
      message: v.message,
    })),
    release: releaseCosts(firstSmall.scenario, smallRerun.scenario, rerun.scenario),
    pullRequests: pullRequestGrowth(scenarios.filter((s) => s.event === 'pull_request')),
  }
}

/**
 * Version 1 of every package, made the way the action makes it but without its pacing of writes (a second or
 * more between writes, as GitHub asks of clients): `gantry build --all`, one push of the tags, a release per
 * tag with its bundle attached. Setup, not measured.
 */
async function releaseBySetup(
  github: LocalGitHub,
  repo: string,
  workspace: string,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now()
  const { stdout } = await execFileAsync(process.execPath, [CLI, 'build', '--all', '--format', 'json'], {
    cwd: workspace,
    encoding: 'utf8',
    env: { ...process.env, ...BENCH_IDENTITY, NO_COLOR: '1' },
    maxBuffer: 1 << 28,
  })
  const build = JSON.parse(stdout) as { ok: boolean; artifacts: { tag: string | null; file: string }[] }
  if (!build.ok)
    throw new Error(`gantry build --all failed in the setup of ${repo}: ${stdout.slice(0, 2000)}`)
  await git(workspace, 'push', '--quiet', 'origin', '--tags')
  const octokit = new Octokit({ baseUrl: github.baseUrl, auth: TOKENS[BOT] })
  for (const artifact of build.artifacts) {
    if (!artifact.tag) continue
    const { data } = await octokit.rest.repos.createRelease({
      owner: OWNER,
      repo,
      tag_name: artifact.tag,
      name: artifact.tag,
    })
    const bytes = await readFile(join(workspace, artifact.file), 'utf8')
    await octokit.rest.repos.uploadReleaseAsset({
      owner: OWNER,
      repo,
      release_id: data.id,
      url: data.upload_url,
      name: basename(artifact.file),
      data: bytes,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(bytes) },
    })
  }
  log(
    `  released ${build.artifacts.length} packages of ${OWNER}/${repo} at version 1 (setup, ${Math.round(performance.now() - started)} ms)`,
  )
}

function releaseCosts(
  first: ApiScenario,
  smallRerun: ApiScenario,
  largeRerun: ApiScenario,
): ApiEconomyResult['release'] {
  const counts = (s: ApiScenario): Record<string, number> => {
    const out: Record<string, number> = { ...s.byOperation }
    for (const [service, n] of Object.entries(s.gitByService)) out[`git ${service}`] = n
    return out
  }
  const cost = (values: Record<string, number>): Cost => {
    const shown = Object.entries(values).filter(([, v]) => Math.abs(v) >= 0.1)
    return {
      api: Object.entries(values).reduce((n, [key, v]) => n + (key.startsWith('git ') ? 0 : v), 0),
      git: Object.entries(values).reduce((n, [key, v]) => n + (key.startsWith('git ') ? v : 0), 0),
      byOperation: Object.fromEntries(shown.sort(([, x], [, y]) => y - x)),
    }
  }
  const small = counts(smallRerun)
  const large = counts(largeRerun)
  const perPackage: Record<string, number> = {}
  for (const key of Object.keys(large)) {
    const k = large[key]! / largeRerun.repositoryPackages
    if (Number.isInteger(k) && k > 0 && small[key] === k * smallRerun.repositoryPackages) perPackage[key] = k
  }
  const before = counts(first)
  const perNew: Record<string, number> = {}
  for (const key of new Set([...Object.keys(before), ...Object.keys(small)]))
    perNew[key] = ((before[key] ?? 0) - (small[key] ?? 0)) / (first.packages || 1)
  return { perPackage: cost(perPackage), perNewVersion: cost(perNew) }
}

function pullRequestGrowth(prs: readonly ApiScenario[]): ApiEconomyResult['pullRequests'] {
  const base = prs[0]
  if (!base) return { excess: [], flat: true }
  const excess = prs.map((s) => {
    const extra = s.api - base.api
    const pagination = pages(s.changedFiles ?? 0) - pages(base.changedFiles ?? 0)
    return { name: s.name, changedFiles: s.changedFiles ?? 0, extra, pagination, excess: extra - pagination }
  })
  return { excess, flat: excess.every((e) => e.excess <= 0) }
}
