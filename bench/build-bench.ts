/**
 * Builds by what changed, status and apply against their goals, each with its baseline measured in the same
 * run (CPU time of the process and its git children; ratios are medians over paired runs, the goal's run and
 * its baseline's one after the other):
 *
 *   - a build of 10 changed packages, in a repository of 10,000 definitions (and of 1,000, for the scaling);
 *   - a rebuild with nothing changed (`build --all`, 10 of 400 packages having an older release) against a
 *     plain `validate` of the same repository; beside it, no goal, the rebuild's own floor (the same bundles,
 *     byte for byte, by js-yaml, JSON.stringify, sha256 and writeFileSync: bench/floor-build.mjs) against the
 *     js-yaml floor of validate, and gantry's rebuild against that floor;
 *   - `status` with the packages applied to 3 environments, against a plain `validate`;
 *   - `validate --env dev` on the same branches, against a plain `validate` (what every pull request runs);
 *   - applying 10 items onto a branch of 50,000 definitions against the same apply onto 1,000 (bench/apply-bench).
 *   - the tags of a `build --all` releasing every package: git processes by subcommand (GIT_TRACE2_EVENT),
 *     the tag-writing ones as many for every package as for 10;
 *   - progress of `build --all` and `validate --env dev`: drawn on a pseudo-terminal, not on a pipe nor with
 *     --format json.
 *
 *   tsx bench/build-bench.ts [--quick] [--runs N]
 *
 * `measureBuildGoals` returns the rows {goal, measured, target, met}; `runBuildBench` is the hook bench/run.ts
 * calls (the rows in the shape of its goals table; its own apply benchmark measures the apply goal).
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { parse, stringify } from 'yaml'
import { preparePlan, writeApplyCommit } from '../src/commands/promote.js'
import { openRepository } from '../src/commands/repository.js'
import { runApplyBench } from './apply-bench.js'
import { type GenerateOptions, generateRepository, git, writeRepository } from './generate-repository.js'
import { type Run, expectExit, median, runNode } from './measure.js'
import { CLI, DATA_DIR, FLOOR_BUILD, FLOOR_PARSE_JS_YAML, FLOOR_WRITE, generatorKey } from './paths.js'

export interface GoalRow {
  /** The goal of the issue's table this row is: build-10-changed, rebuild-unchanged, status, validate-env, apply-scaling, tags, progress. */
  id?: string
  goal: string
  /** What was measured, with its unit (x for a ratio, s for seconds). */
  measured: string
  /** The goal; empty for a row reported without one. */
  target: string
  /** Undefined for a row without a goal. */
  met: boolean | undefined
}

export interface BuildBenchOptions {
  /** The repository of the main rows (10,000 definitions / 400 packages by default). */
  repository: GenerateOptions
  /** The smaller repository the 10-changed build is compared with. */
  small: GenerateOptions
  changed: number
  runs: number
  /** Sizes of the environment branch for the apply rows, smallest and largest; none to leave them out. */
  applySizes?: [number, number]
  log: (line: string) => void
}

export interface BuildBenchResult {
  rows: GoalRow[]
  figures: Record<string, number>
}

const GOALS = {
  changedBuildCpuMs: 2000,
  rebuildOverValidate: 1.5,
  statusOverValidate: 1,
  validateEnvOverValidate: 1.5,
  applyCostRatio: 1.25,
}

const ENVIRONMENTS = [
  { name: 'dev', branch: 'env/dev' },
  { name: 'qa', branch: 'env/qa' },
  { name: 'prod', branch: 'env/prod' },
]

/** The CLI measured: dist/cli/index.js, or another build of it to compare with. */
const GANTRY = process.env.GANTRY_BENCH_CLI ?? CLI

function cli(dir: string, args: string[], code = 0): Run {
  const run = runNode(GANTRY, [...args, '--repo', dir, '--format', 'json'], { cwd: dir })
  expectExit(run, code, `gantry ${args[0]}`)
  return run
}

/**
 * A source repository: `changed` packages (a set of their own, namespaced, with their dependencies among
 * themselves) beside a generated repository of `size` definitions, every package built and tagged at the
 * first commit (cached by generator key). The same packages in repositories of any size: what a build of
 * them costs should not depend on the rest.
 */
function prepareSource(
  size: GenerateOptions,
  changed: number,
  log: (line: string) => void,
): { dir: string; changed: string[]; packages: number } {
  const set: GenerateOptions = { definitions: changed * 25, packages: changed, references: changed * 125, seed: 'changed', namespace: 'changed' }
  const key = generatorKey({ size, set, for: 'build-bench' })
  const dir = join(DATA_DIR, `build-${size.definitions}-${size.packages}`)
  const keyFile = `${dir}.key`
  const generatedSet = generateRepository(set)
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
    log(`  reusing ${dir}`)
  } else {
    const started = performance.now()
    const files = new Map(generateRepository(size).files)
    for (const [path, content] of generatedSet.files) if (!files.has(path) || path.startsWith('definitions/') || path.startsWith('packages/')) files.set(path, content)
    writeRepository(files, dir, { commit: true })
    git(dir, ['config', 'user.name', 'Gantry Bench'])
    git(dir, ['config', 'user.email', 'bench@gantry.invalid'])
    git(dir, ['branch', 'base'])
    cli(dir, ['build', '--all'])
    writeFileSync(keyFile, key)
    log(`  generated and built ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  // Every run starts from the first commit with only the first tags.
  git(dir, ['checkout', '-q', '-f', 'main'])
  git(dir, ['reset', '-q', '--hard', 'base'])
  dropTagsBut(dir, (tag) => tag.endsWith('@1'))
  for (const env of ENVIRONMENTS) git(dir, ['update-ref', '-d', `refs/heads/${env.branch}`])
  return { dir, changed: generatedSet.packages.map((p) => p.name).sort(), packages: readdirSync(join(dir, 'packages')).length }
}

function dropTagsBut(dir: string, keep: (tag: string) => boolean): void {
  const drop = git(dir, ['tag', '--list'])
    .split('\n')
    .filter((t) => t && !keep(t))
  if (drop.length > 0) git(dir, ['tag', '-d', ...drop])
}

/** One commit changing the description of one declared definition in each of `count` packages. */
function changePackages(dir: string, packages: string[], count: number, text: string): string[] {
  const changed = packages.slice(0, count)
  for (const pkg of changed) {
    const manifest = parse(readFileSync(join(dir, 'packages', `${pkg}.yaml`), 'utf8')) as { items: string[] }
    const file = join(dir, 'definitions', `${manifest.items[0]}.yaml`)
    const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    writeFileSync(file, stringify({ ...doc, description: text }))
  }
  git(dir, ['add', '-A'])
  git(dir, ['commit', '-q', '-m', `change ${count} packages`])
  return changed
}

function cpu(run: Run): number {
  return run.cpuMs
}

/** Median CPU time of `runs` runs of `task`, resetting with `reset` before each. */
function medianCpu(runs: number, task: () => Run, reset: () => void = () => {}): number {
  const values: number[] = []
  for (let i = 0; i < runs; i++) {
    reset()
    values.push(cpu(task()))
  }
  return median(values)
}

/**
 * Median over paired runs of a's CPU time over b's, with the lowest and highest ratio. The order alternates
 * (a then b, b then a): whatever the first of a pair pays more (a cold page cache, a neighbour's burst) is
 * paid by each side as often.
 */
function pairedRatio(runs: number, a: () => Run, b: () => Run): { ratio: number; a: number; b: number; low: number; high: number } {
  const ratios: number[] = []
  const as: number[] = []
  const bs: number[] = []
  for (let i = 0; i < runs; i++) {
    let x: number
    let y: number
    if (i % 2 === 0) {
      x = cpu(a())
      y = cpu(b())
    } else {
      y = cpu(b())
      x = cpu(a())
    }
    as.push(x)
    bs.push(y)
    ratios.push(x / y)
  }
  return { ratio: median(ratios), a: median(as), b: median(bs), low: Math.min(...ratios), high: Math.max(...ratios) }
}

/**
 * The floor of the rebuild row, with `rebuild` (gantry's, which leaves its bundles in the repository's build
 * folder) paired against it. The plan the floor is given (which items, references and deltas each bundle holds)
 * is read from gantry's bundles, and the floor's files are checked to be those bundles byte for byte before
 * anything is timed: a floor that made other bytes would not be doing the same work.
 */
function measureRebuildFloor(
  dir: string,
  scratch: string,
  rounds: number,
  packages: number,
  rebuild: () => Run,
): { files: number; planCpuMs: number; build: ReturnType<typeof pairedRatio>; gantry: ReturnType<typeof pairedRatio> } {
  const built = join(dir, '.gantry', 'build')
  const reference = join(scratch, 'floor-reference')
  rebuild()
  // Out of the repository: the js-yaml floor of validate reads every YAML and JSON file but .git.
  renameSync(built, reference)
  const bundlesIn = (folder: string) => readdirSync(folder).filter((name) => name.endsWith('.gantry.json')).sort()
  const names = bundlesIn(reference)
  if (names.length !== packages) throw new Error(`gantry's rebuild wrote ${names.length} bundles for ${packages} packages`)
  const plan = names.map((file) => {
    const bundle = JSON.parse(readFileSync(join(reference, file), 'utf8')) as Record<string, unknown> & { items: Record<string, { origin: string; references: unknown[] }> }
    const items = Object.entries(bundle.items).map(([id, item]) => [id, item.origin, item.references])
    const { items: _items, contentDigest: _digest, ...rest } = bundle
    return { file, bundle: rest, items }
  })
  const planFile = join(scratch, 'floor-plan.json')
  writeFileSync(planFile, JSON.stringify(plan))
  let round = 0
  const planCpuMs: number[] = []
  let parsed = 0
  const floorBuild = (): Run => {
    const out = join(scratch, `floor-${++round}`)
    const run = runNode(FLOOR_BUILD, [dir, planFile, out])
    expectExit(run, 0, 'floor-build')
    const printed = JSON.parse(run.stdout) as { parsed: number; planCpuMs: number }
    parsed = printed.parsed
    planCpuMs.push(printed.planCpuMs)
    return { ...run, cpuMs: run.cpuMs - printed.planCpuMs }
  }
  const parse = (): Run => {
    const run = runNode(FLOOR_PARSE_JS_YAML, [dir])
    expectExit(run, 0, 'floor-parse-js-yaml')
    return run
  }
  // Before anything is timed: the floor wrote every bundle gantry did, with the same bytes, and parsed the same
  // files as the js-yaml floor of validate it is paired with.
  floorBuild()
  const written = bundlesIn(join(scratch, `floor-${round}`))
  if (written.join('\n') !== names.join('\n')) throw new Error(`the rebuild floor wrote ${written.length} bundles, gantry ${names.length}`)
  const differing = names.filter((file) => !readFileSync(join(scratch, `floor-${round}`, file)).equals(readFileSync(join(reference, file))))
  if (differing.length > 0) throw new Error(`the rebuild floor made other bytes than gantry for ${differing.length} bundles, ${differing[0]} first`)
  const parsedByFloor = (JSON.parse(parse().stdout) as { files: number }).files
  if (parsedByFloor !== parsed) throw new Error(`the rebuild floor parsed ${parsed} files, the js-yaml floor of validate ${parsedByFloor}`)
  planCpuMs.length = 0
  const build = pairedRatio(rounds, floorBuild, parse)
  const gantry = pairedRatio(rounds, rebuild, floorBuild)
  return { files: names.length, planCpuMs: median(planCpuMs), build, gantry }
}

/** The rounds of the ratio rows: at least 5, the two sides of a ratio vary with the machine's load. */
const ratioRuns = (runs: number) => Math.max(runs, 5)

const spread = (r: { low: number; high: number }, runs: number) => `(${runs} rounds, ${r.low.toFixed(2)}-${r.high.toFixed(2)}x)`

/** The build of the `changed` packages (tags it creates are removed again before the next run). */
function changedBuild(dir: string, changed: string[], runs: number): number {
  const tagsBefore = new Set(git(dir, ['tag', '--list']).split('\n'))
  const build = () => {
    const run = cli(dir, ['build', ...changed])
    const result = JSON.parse(run.stdout) as { artifacts: { created: boolean }[] }
    if (result.artifacts.filter((a) => a.created).length !== changed.length)
      throw new Error(`build of ${changed.length} changed packages made ${run.stdout.slice(0, 500)}`)
    return run
  }
  build() // untimed: warms the caches
  return medianCpu(runs, build, () => dropTagsBut(dir, (t) => tagsBefore.has(t)))
}

/** Packages in dependency order (dependencies first), by name otherwise. */
function dependencyOrder(dir: string): string[] {
  const deps = new Map<string, string[]>()
  for (const file of readdirSync(join(dir, 'packages')).sort()) {
    if (!file.endsWith('.yaml')) continue
    const manifest = parse(readFileSync(join(dir, 'packages', file), 'utf8')) as { name: string; dependencies?: { package: string }[] }
    deps.set(manifest.name, (manifest.dependencies ?? []).map((d) => d.package))
  }
  const order: string[] = []
  const seen = new Set<string>()
  const visit = (name: string) => {
    if (seen.has(name) || !deps.has(name)) return
    seen.add(name)
    for (const dep of deps.get(name)!) visit(dep)
    order.push(name)
  }
  for (const name of [...deps.keys()].sort()) visit(name)
  return order
}

export interface AppliedState {
  /** Packages applied to every environment. */
  applied: string[]
  /** Packages the apply refused, with the codes of its errors (the same in every environment). */
  refused: Map<string, string[]>
}

/**
 * Environment branches as Gantry's own apply leaves them: the newest release of every package applied to
 * dev, then qa, then prod, dependencies first, each with the code `gantry promote --apply` runs (plan, then
 * one commit of the items and the ledger). A package the apply refuses is left out, as it would be: the
 * generator's `includeReferences` packages include leaf definitions of packages they do not depend on, and
 * the second of two packages holding the same item is refused with `name-conflict` (and so are the packages
 * depending on it, with `missing-dependency`). The branches are kept under refs/bench-applied/ and reused
 * while the tags are the same.
 */
export async function applyEverywhere(dir: string, log: (line: string) => void): Promise<AppliedState> {
  // The releases, not the tag objects: a rebuilt tag has a new date but the same commit and digests.
  const tags = git(dir, ['for-each-ref', '--format=%(refname)%00%(*objectname)%00%(contents)', 'refs/tags/'])
  const key = createHash('sha256').update('applied-1\0').update(tags).digest('hex').slice(0, 16)
  const stateFile = join(dir, '.git', 'bench-applied.json')
  if (existsSync(stateFile)) {
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { key: string; applied: string[]; refused: [string, string[]][] }
    const refs = git(dir, ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/bench-applied/'])
    const known = new Map(refs.split('\n').filter(Boolean).map((line) => line.split(' ') as [string, string]))
    const heads = ENVIRONMENTS.map((env) => known.get(`refs/bench-applied/${env.branch}`))
    if (saved.key === key && heads.every((h) => h)) {
      ENVIRONMENTS.forEach((env, i) => git(dir, ['update-ref', `refs/heads/${env.branch}`, heads[i]!]))
      log(`  reusing the applied environment branches of ${dir}`)
      return { applied: saved.applied, refused: new Map(saved.refused) }
    }
  }
  const started = performance.now()
  for (const env of ENVIRONMENTS) git(dir, ['update-ref', '-d', `refs/heads/${env.branch}`])
  const repository = await openRepository(dir, { sources: false })
  const refused = new Map<string, string[]>()
  const order = dependencyOrder(dir)
  const now = () => new Date('2026-01-01T00:00:00.000Z')
  for (const env of ENVIRONMENTS) {
    for (const pkg of order) {
      if (refused.has(pkg)) continue
      const prepared = await preparePlan(repository, { repo: dir, target: pkg, environment: env.name })
      if (!prepared.plan || !prepared.ok) {
        refused.set(pkg, [...new Set(prepared.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code))])
        continue
      }
      const { commit } = await writeApplyCommit(repository.git, prepared.plan, prepared.view?.head, {
        sourceCommit: prepared.release!.commit,
        promotion: null,
        approvers: [],
        appliedAt: now().toISOString(),
        appliedBy: 'gantry-bench',
      })
      if (!(await repository.git.updateRef(`refs/heads/${env.branch}`, commit, prepared.view?.head))) throw new Error(`${env.branch} moved while applying ${pkg}`)
    }
  }
  const applied = order.filter((p) => !refused.has(p))
  for (const env of ENVIRONMENTS) git(dir, ['update-ref', `refs/bench-applied/${env.branch}`, `refs/heads/${env.branch}`])
  // A thousand applies leave tens of thousands of loose objects, which a clone (what CI reads) never has:
  // packed, git reads the branches at the cost it has in a real checkout (3x less for status's reads).
  git(dir, ['repack', '-adq'])
  writeFileSync(stateFile, JSON.stringify({ key, applied, refused: [...refused] }))
  log(`  applied ${applied.length} of ${order.length} packages to ${ENVIRONMENTS.length} environments in ${((performance.now() - started) / 1000).toFixed(1)} s (${refused.size} refused by the apply)`)
  return { applied, refused }
}

/**
 * validate --env on the applied state reports what the apply refused and nothing else: name-conflict errors
 * of refused packages only, and of every package refused for one (a missing dependency is a warning there).
 * Any other error means the state is not what an apply leaves, and the row would measure a lie.
 */
export function checkValidateEnv(run: Run, state: AppliedState): Run {
  const result = JSON.parse(run.stdout) as { diagnostics: { severity: string; code: string; package?: string; message: string }[] }
  const conflicted = new Set([...state.refused].filter(([, codes]) => codes.includes('name-conflict')).map(([pkg]) => pkg))
  const unexpected = result.diagnostics.filter((d) => d.severity === 'error' && !(d.code === 'name-conflict' && d.package && state.refused.has(d.package)))
  const reported = new Set(result.diagnostics.filter((d) => d.code === 'name-conflict').map((d) => d.package))
  const silent = [...conflicted].filter((p) => !reported.has(p))
  if (unexpected.length > 0 || silent.length > 0) {
    throw new Error(
      `validate --env dev on the applied state: ${unexpected.length} unexpected errors ` +
        `(${unexpected.slice(0, 3).map((d) => `${d.code} ${d.message}`).join('; ')}), ${silent.length} refused packages not reported (${silent.slice(0, 3).join(', ')})`,
    )
  }
  return run
}

/** Git processes a run started, by subcommand, read from a GIT_TRACE2_EVENT folder (a file per process). */
function gitProcesses(traceDir: string): Map<string, number> {
  const processes = new Map<string, { argv?: string[]; name?: string }>()
  for (const file of readdirSync(traceDir)) {
    for (const line of readFileSync(join(traceDir, file), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue
      const event = JSON.parse(line) as { event: string; sid: string; argv?: string[]; name?: string }
      if (event.event !== 'start' && event.event !== 'cmd_name') continue
      const entry = processes.get(event.sid) ?? {}
      if (event.event === 'start') entry.argv = event.argv
      else entry.name = event.name
      processes.set(event.sid, entry)
    }
  }
  const counts = new Map<string, number>()
  for (const { argv, name } of processes.values()) {
    if (!argv) continue // a cmd_name without its start: not a process this trace saw begin
    // The builtin's own name when git gave it; else the first word of argv after git's global options.
    let sub = name
    if (!sub) {
      const args = argv.slice(1)
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '-C' || args[i] === '-c') i++
        else if (!args[i]!.startsWith('-')) {
          sub = args[i]
          break
        }
      }
    }
    counts.set(sub ?? '(none)', (counts.get(sub ?? '(none)') ?? 0) + 1)
  }
  return counts
}

/** The git subcommands that can write a tag object or a tag ref. */
const TAG_WRITERS = ['tag', 'mktag', 'hash-object', 'update-ref']

const countsText = (counts: Map<string, number>) =>
  [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([sub, n]) => `${sub} ${n}`).join(', ')

/**
 * `build --all` creating the tags of every package of the repository, and of `few` of them, in a shared
 * clone of the base commit (no tags: every package new), with GIT_TRACE2_EVENT counting the git processes
 * of each build. The tags are written in one batch when the tag-writing processes are as many for all the
 * packages as for a few; the tags must then exist, annotated, one per package.
 */
function measureTagBatch(clone: string, packages: number, few: string[], log: (line: string) => void): GoalRow {
  const build = (expected: number) => {
    const traceDir = mkdtempSync(join(tmpdir(), 'gantry-bench-trace-'))
    try {
      const run = runNode(GANTRY, ['build', '--all', '--repo', clone, '--format', 'json'], { cwd: clone, env: { GIT_TRACE2_EVENT: traceDir } })
      expectExit(run, 0, 'gantry build --all')
      const created = (JSON.parse(run.stdout) as { artifacts: { created: boolean }[] }).artifacts.filter((a) => a.created).length
      if (created !== expected) throw new Error(`build --all with ${expected} new packages created ${created}`)
      return gitProcesses(traceDir)
    } finally {
      rmSync(traceDir, { recursive: true, force: true })
    }
  }
  dropTagsBut(clone, () => false)
  const all = build(packages)
  const tags = git(clone, ['for-each-ref', '--format=%(objecttype) %(refname:short)', 'refs/tags/']).split('\n').filter(Boolean)
  const annotated = tags.filter((t) => t.startsWith('tag ')).length
  const fewTags = few.map((name) => `${name}@1`)
  dropTagsBut(clone, (t) => !fewTags.includes(t))
  const some = build(few.length)
  const writers = (counts: Map<string, number>) => new Map(TAG_WRITERS.filter((w) => counts.has(w)).map((w) => [w, counts.get(w)!]))
  const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0)
  const grows = TAG_WRITERS.filter((w) => (all.get(w) ?? 0) > (some.get(w) ?? 0))
  log(`  build --all, ${few.length} new tags: ${total(some)} git processes (${countsText(some)})`)
  log(`  build --all, ${packages} new tags: ${total(all)} git processes (${countsText(all)}); ${tags.length} tags after it, ${annotated} annotated`)
  const complete = tags.length === packages && annotated === packages
  return {
    id: 'tags',
    goal: `creating ${packages} annotated tags (build --all, every package new): tag-writing git processes, ${packages} vs ${few.length} tags`,
    measured:
      `${countsText(writers(all)) || 'none'} for ${packages}; ${countsText(writers(some)) || 'none'} for ${few.length}` +
      `${grows.length > 0 ? `; GROWS: ${grows.join(', ')}` : ''}${complete ? '' : `; ${annotated} of ${packages} annotated tags exist`}`,
    target: 'one batch (no more processes for more tags)',
    // No tag-writing process at all would mean the trace saw nothing: not a batch, a blind measure.
    met: grows.length === 0 && complete && writers(all).size > 0,
  }
}

/** A progress line as src/cli/progress.ts draws it: `\r\x1b[2K<phase> <done>/<total> (<pct>%)`. */
// eslint-disable-next-line no-control-regex -- the escape sequence is what is looked for
const PROGRESS = /\r\u001b\[2K([^\r\n\u001b]+?) (\d+)\/(\d+)(?: \(\d+%\))?(?=\r|\n|$)/g

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The CLI under a pseudo-terminal (util-linux `script`): what a person at a terminal sees, stdout and stderr. */
function onTerminal(dir: string, args: string[]): { code: number; output: string } {
  const command = [process.execPath, GANTRY, ...args, '--repo', dir].map(shellQuote).join(' ')
  const result = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 })
  if (result.error) throw result.error
  return { code: result.status ?? -1, output: result.stdout.toString() }
}

/** The progress lines of an output: how many, and the last one that reached its total (if any). */
function progressIn(output: string): { lines: number; reached?: string } {
  const matches = [...output.matchAll(PROGRESS)]
  const full = matches.filter((m) => m[2] === m[3] && Number(m[3]) > 0 && Number(m[3]) === Math.max(...matches.map((x) => Number(x[3]))))
  const last = full.at(-1)
  return { lines: matches.length, ...(last ? { reached: `${last[1]} ${last[2]}/${last[3]}` } : {}) }
}

/**
 * Progress of `build --all` (every package new, in the clone) and of `validate --env dev` (the applied
 * state): drawn, up to its total, on a terminal; nothing with stderr on a pipe, nothing with --format json.
 */
function measureProgress(clone: string, applied: string, validateCode: number, log: (line: string) => void): GoalRow {
  const commands: { name: string; dir: string; args: string[]; code: number; reset: () => void }[] = [
    { name: 'build --all', dir: clone, args: ['build', '--all'], code: 0, reset: () => dropTagsBut(clone, () => false) },
    { name: 'validate --env dev', dir: applied, args: ['validate', '--env', 'dev'], code: validateCode, reset: () => {} },
  ]
  const shown: string[] = []
  const failures: string[] = []
  let silentPipe = true
  let silentJson = true
  for (const c of commands) {
    c.reset()
    const tty = onTerminal(c.dir, c.args)
    if (tty.code !== c.code) throw new Error(`${c.name} on a terminal exited ${tty.code}: ${tty.output.slice(-500)}`)
    const progress = progressIn(tty.output)
    if (progress.reached) shown.push(`${c.name}: ${progress.lines} redraws to "${progress.reached}"`)
    else failures.push(`${c.name}: ${progress.lines} progress lines on a terminal, none reaching the total`)
    c.reset()
    const piped = runNode(GANTRY, [...c.args, '--repo', c.dir], { cwd: c.dir })
    expectExit(piped, c.code, `gantry ${c.name}, stderr on a pipe`)
    const pipeLines = progressIn(piped.stderr + piped.stdout).lines + (piped.stderr.includes('\r') ? 1 : 0)
    if (pipeLines > 0) {
      silentPipe = false
      failures.push(`${c.name}: progress on a pipe`)
    }
    c.reset()
    const json = onTerminal(c.dir, [...c.args, '--format', 'json'])
    if (json.code !== c.code) throw new Error(`${c.name} --format json on a terminal exited ${json.code}: ${json.output.slice(-500)}`)
    if (progressIn(json.output).lines > 0 || json.output.includes('\u001b[2K')) {
      silentJson = false
      failures.push(`${c.name}: progress with --format json`)
    }
  }
  log(`  progress on a terminal: ${shown.join('; ') || 'none'}; on a pipe: ${silentPipe ? 'none' : 'SHOWN'}; with --format json: ${silentJson ? 'none' : 'SHOWN'}`)
  return {
    id: 'progress',
    goal: 'build --all (every package new), validate --env dev (applied state): progress on a terminal, none on a pipe or with --format json',
    measured: failures.length === 0 ? `${shown.join('; ')}; none on a pipe or with --format json` : failures.join('; '),
    target: 'progress shown',
    met: failures.length === 0,
  }
}

export async function measureBuildGoals(options: BuildBenchOptions): Promise<BuildBenchResult> {
  const { log, runs, changed: count } = options
  const rows: GoalRow[] = []
  const figures: Record<string, number> = {}

  // 10 changed packages, in the small repository and in the large one.
  const small = prepareSource(options.small, count, log)
  const smallChanged = changePackages(small.dir, small.changed, count, 'changed once')
  figures.changedSmallCpuMs = changedBuild(small.dir, smallChanged, runs)
  const large = prepareSource(options.repository, count, log)
  const largeChanged = changePackages(large.dir, large.changed, count, 'changed once')
  figures.changedLargeCpuMs = changedBuild(large.dir, largeChanged, runs)
  log(
    `  build of ${count} changed packages: ${Math.round(figures.changedSmallCpuMs)} ms cpu at ${options.small.definitions} definitions, ` +
      `${Math.round(figures.changedLargeCpuMs)} ms at ${options.repository.definitions}`,
  )
  rows.push({
    id: 'build-10-changed',
    goal: `build of ${count} changed packages, ${options.repository.definitions.toLocaleString('en-US')} definitions (cpu)`,
    measured: `${(figures.changedLargeCpuMs / 1000).toFixed(2)} s`,
    target: `<= ${GOALS.changedBuildCpuMs / 1000} s`,
    met: figures.changedLargeCpuMs <= GOALS.changedBuildCpuMs,
  })
  figures.changedScaling = figures.changedLargeCpuMs / figures.changedSmallCpuMs
  rows.push({
    goal: `the same build at ${options.repository.definitions.toLocaleString('en-US')} over ${options.small.definitions.toLocaleString('en-US')} definitions (cpu)`,
    measured: `${figures.changedScaling.toFixed(2)}x`,
    target: '<= 1.25x',
    met: figures.changedScaling <= 1.25,
  })

  // Release the changed packages: 10 of them now have an older release. Then a rebuild changes nothing.
  cli(large.dir, ['build', '--all'])
  const validate = () => cli(large.dir, ['validate'])
  // As the action runs it on every push: a fresh checkout, no build folder. The previous round's folder is
  // moved out of the repository before each run (untimed) and removed only once every round is done: a
  // checkout frees no files, and removing 410 of them right before a build can make each file the build
  // creates dearer. ext4 without a journal (the file system of some virtual machines) skips, when it allocates
  // an inode, every inode of the group freed in the last 60 seconds (360 while its inode table block is not
  // yet written back): fs/ext4/ialloc.c, recently_deleted(). There, with the folder removed before each
  // round, each create scanned past the files of the rounds before and cost 0.5-0.9 ms of system time.
  // After each run, untimed: what the file system alone takes to create and write the same bundle files in a
  // fresh folder beside them (bench/floor-write.mjs), a figure to read the rebuild's with.
  const old = `${large.dir}.old-builds`
  rmSync(old, { recursive: true, force: true })
  mkdirSync(old)
  const writes: number[] = []
  let round = 0
  const rebuild = () => {
    const out = join(large.dir, '.gantry', 'build')
    round++
    if (existsSync(out)) renameSync(out, join(old, `build-${round}`))
    const run = cli(large.dir, ['build', '--all'])
    if ((JSON.parse(run.stdout) as { artifacts: { created: boolean }[] }).artifacts.some((a) => a.created))
      throw new Error('a rebuild with nothing changed made a new version')
    const floor = runNode(FLOOR_WRITE, [out, join(old, `write-${round}`)])
    expectExit(floor, 0, 'floor-write')
    writes.push((JSON.parse(floor.stdout) as { cpuMs: number }).cpuMs)
    return run
  }
  rebuild()
  validate()
  writes.length = 0
  const rebuildRatio = pairedRatio(ratioRuns(runs), rebuild, validate)
  figures.rebuildCpuMs = rebuildRatio.a
  figures.validateCpuMs = rebuildRatio.b
  figures.rebuildOverValidate = rebuildRatio.ratio
  figures.rebuildWriteFloorCpuMs = median(writes)
  log(`  rebuild, nothing changed, no build folder: ${Math.round(rebuildRatio.a)} ms cpu, validate ${Math.round(rebuildRatio.b)} ms: ${rebuildRatio.ratio.toFixed(2)}x ${spread(rebuildRatio, ratioRuns(runs))}`)
  log(`    of which creating and writing its ${large.packages} bundle files, by the file system alone in the same folder: ${Math.round(median(writes))} ms cpu (rounds ${writes.map((w) => Math.round(w)).join(', ')})`)
  // The same with the bundles of the previous build in the folder (a person building again): not a goal.
  const again = () => cli(large.dir, ['build', '--all'])
  again()
  const againRatio = pairedRatio(ratioRuns(runs), again, validate)
  figures.rebuildWithFolderOverValidate = againRatio.ratio
  log(`  rebuild, nothing changed, build folder kept: ${Math.round(againRatio.a)} ms cpu: ${againRatio.ratio.toFixed(2)}x ${spread(againRatio, ratioRuns(runs))}`)
  // The rebuild's own floor: the same bundles, byte for byte, made the fastest well-kept way (js-yaml, a sorted
  // copy, JSON.stringify, sha256, writeFileSync; bench/floor-build.mjs), against the js-yaml floor of validate
  // on the same files. Context for the row's ratio: what the bundles alone cost over reading the repository,
  // when nothing but the work is done. Not a goal.
  const floor = measureRebuildFloor(large.dir, old, ratioRuns(runs), large.packages, rebuild)
  figures.rebuildFloorCpuMs = floor.build.a
  figures.rebuildFloorOverParseFloor = floor.build.ratio
  figures.rebuildOverRebuildFloor = floor.gantry.ratio
  log(`  the same ${floor.files} bundles, byte for byte, made the fastest well-kept way (bench/floor-build.mjs: every file parsed by js-yaml, keys sorted, JSON.stringify, sha256, writeFileSync; given which items, references, versions and deltas each holds: no checks, no git; the plan's read, ${Math.round(floor.planCpuMs)} ms, not counted): ${Math.round(floor.build.a)} ms cpu`)
  log(`    over the js-yaml floor of validate on the same files (${Math.round(floor.build.b)} ms): ${floor.build.ratio.toFixed(2)}x ${spread(floor.build, ratioRuns(runs))}`)
  log(`    gantry's rebuild over it: ${floor.gantry.ratio.toFixed(2)}x ${spread(floor.gantry, ratioRuns(runs))}`)
  rows.push({
    goal: 'the rebuild floor (the same bundles by js-yaml, JSON.stringify, sha256, writeFileSync, given what each holds: no checks, no git) over the js-yaml floor of validate (cpu)',
    measured: `${floor.build.ratio.toFixed(2)}x (${Math.round(floor.build.a)} ms vs ${Math.round(floor.build.b)} ms; gantry's rebuild over it ${floor.gantry.ratio.toFixed(2)}x)`,
    target: '',
    met: undefined,
  })
  rows.push({
    id: 'rebuild-unchanged',
    goal: `rebuild with nothing changed, fresh checkout (${count} of ${large.packages} with an older release) over validate (cpu)`,
    measured: `${rebuildRatio.ratio.toFixed(2)}x`,
    target: `<= ${GOALS.rebuildOverValidate}x`,
    met: rebuildRatio.ratio <= GOALS.rebuildOverValidate,
  })

  // Every package Gantry's apply accepts applied to three environments: status, and validate --env dev.
  const state = await applyEverywhere(large.dir, log)
  const appliedNote = `${state.applied.length} of ${large.packages} packages`
  const status = () => cli(large.dir, ['status'])
  status()
  const statusRatio = pairedRatio(ratioRuns(runs), status, validate)
  // The state must be what applies leave: no drift, no error. Said either way, with the row.
  const shown = JSON.parse(status().stdout) as { ok: boolean; drift: { code: string }[] }
  log(`  status on the bench's environment branches: ${shown.ok ? 'ok' : 'NOT ok'}, ${shown.drift.length === 0 ? 'no drift' : `drift ${[...new Set(shown.drift.map((d) => d.code))].join(', ')} (${shown.drift.length})`}`)
  figures.statusCpuMs = statusRatio.a
  figures.statusOverValidate = statusRatio.ratio
  log(`  status, ${appliedNote} x ${ENVIRONMENTS.length} environments: ${Math.round(statusRatio.a)} ms cpu, validate ${Math.round(statusRatio.b)} ms: ${statusRatio.ratio.toFixed(2)}x ${spread(statusRatio, ratioRuns(runs))}`)
  rows.push({
    id: 'status',
    goal: `status, ${appliedNote} x ${ENVIRONMENTS.length} environments, over validate (cpu)`,
    measured: `${statusRatio.ratio.toFixed(2)}x`,
    target: `<= ${GOALS.statusOverValidate}x`,
    met: statusRatio.ratio <= GOALS.statusOverValidate,
  })

  // Errors (and exit 1) only for packages refused for a name conflict; other refusals (a dependency's version
  // out of range) are warnings there, since promoting the dependency first clears them.
  const conflicts = [...state.refused.values()].some((codes) => codes.includes('name-conflict'))
  const validateEnv = () => checkValidateEnv(cli(large.dir, ['validate', '--env', 'dev'], conflicts ? 1 : 0), state)
  validateEnv()
  // Paired rounds as the status and rebuild rows: the median, and the lowest and highest ratio beside it.
  const envRatio = pairedRatio(ratioRuns(runs), validateEnv, validate)
  figures.validateEnvCpuMs = envRatio.a
  figures.validateEnvOverValidate = envRatio.ratio
  log(`  validate --env dev, ${appliedNote} applied: ${Math.round(envRatio.a)} ms cpu, validate ${Math.round(envRatio.b)} ms: ${envRatio.ratio.toFixed(2)}x ${spread(envRatio, ratioRuns(runs))}`)
  rows.push({
    id: 'validate-env',
    goal: `validate --env dev, ${appliedNote} applied, over validate (cpu)`,
    measured: `${envRatio.ratio.toFixed(2)}x`,
    target: `<= ${GOALS.validateEnvOverValidate}x`,
    met: envRatio.ratio <= GOALS.validateEnvOverValidate,
  })

  // Tags and progress in a shared clone of the base commit without its tags: every package new, the
  // repository's own tags (and the applied state keyed on them) untouched.
  const clone = mkdtempSync(join(tmpdir(), 'gantry-bench-clone-'))
  try {
    git(large.dir, ['clone', '-q', '--shared', '--no-tags', '--branch', 'base', large.dir, clone])
    git(clone, ['config', 'user.name', 'Gantry Bench'])
    git(clone, ['config', 'user.email', 'bench@gantry.invalid'])
    rows.push(measureTagBatch(clone, large.packages, large.changed, log))
    rows.push(measureProgress(clone, large.dir, conflicts ? 1 : 0, log))
  } finally {
    rmSync(clone, { recursive: true, force: true })
  }

  if (options.applySizes) {
    const apply = runApplyBench({ sizes: options.applySizes, items: 10, runs, log })
    figures.applyCostRatio = apply.gantryCpuCostRatio
    figures.applyWallCostRatio = apply.gantryCostRatio
    figures.applyFloorCostRatio = apply.floorCpuCostRatio
    // The apply benchmark's measure: CPU time of gantry and its git processes, median of paired rounds.
    log(`  apply, ${options.applySizes[1]} over ${options.applySizes[0]} definitions: ${apply.gantryCpuCostRatio.toFixed(2)}x cpu (${apply.rounds} paired rounds), ${apply.gantryCostRatio.toFixed(2)}x wall; the floor ${apply.floorCpuCostRatio.toFixed(2)}x cpu`)
    rows.push({
      id: 'apply-scaling',
      goal: `apply of 10 items, ${options.applySizes[1].toLocaleString('en-US')} over ${options.applySizes[0].toLocaleString('en-US')} definitions on the branch (cpu, git processes included, median of ${apply.rounds} paired rounds)`,
      measured: `${apply.gantryCpuCostRatio.toFixed(2)}x`,
      target: `<= ${GOALS.applyCostRatio}x`,
      met: apply.gantryCpuCostRatio <= GOALS.applyCostRatio,
    })
  }
  // The rebuilds' folders, removed once nothing is measured after them.
  rmSync(old, { recursive: true, force: true })
  return { rows, figures }
}

/** The repositories of the goals: 10,000 definitions / 400 packages (and 1,000 for the scaling). */
function defaultOptions(quick: boolean, runs: number | undefined, log: (line: string) => void): BuildBenchOptions {
  return {
    repository: quick ? { definitions: 2000, packages: 80, references: 10_000, seed: 1 } : { definitions: 10_000, packages: 400, references: 50_000, seed: 1 },
    small: { definitions: 1000, packages: 40, references: 5000, seed: 1 },
    changed: 10,
    runs: runs ?? (quick ? 1 : 3),
    log,
  }
}

/**
 * The hook of bench/run.ts: the build, rebuild, status and validate --env goals (run.ts measures apply itself), as rows of
 * its goals table {id, measure, figures, goal, met}.
 */
export async function runBuildBench(options: {
  quick: boolean
  runs?: number
  log: (line: string) => void
}): Promise<{ id?: string; measure: string; figures: string; goal: string; met: boolean | undefined }[]> {
  const result = await measureBuildGoals(defaultOptions(options.quick, options.runs, options.log))
  printGoalRows(result.rows, options.log)
  return result.rows.map((row) => ({ ...(row.id ? { id: row.id } : {}), measure: row.goal, figures: row.measured, goal: row.target, met: row.met }))
}

export function printGoalRows(rows: readonly GoalRow[], log: (line: string) => void): void {
  for (const row of rows) log(row.target === '' ? `no goal: ${row.goal}: ${row.measured}` : `goal: ${row.goal}: ${row.measured} (${row.target}): ${row.met ? 'met' : 'MISSED'}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { quick: { type: 'boolean', default: false }, runs: { type: 'string' }, 'no-apply': { type: 'boolean', default: false } } })
  const quick = values.quick === true
  const log = (line: string) => process.stdout.write(`${line}\n`)
  const result = await measureBuildGoals({
    ...defaultOptions(quick, values.runs ? Number(values.runs) : undefined, log),
    ...(values['no-apply'] ? {} : { applySizes: quick ? ([200, 2000] as [number, number]) : ([1000, 50_000] as [number, number]) }),
  })
  printGoalRows(result.rows, log)
}
