import { execFile, execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { parse, stringify } from 'yaml'
import { BUILT_CLI } from '../support/built-cli.js'
import { definition, packageFile, sourceFiles } from '../engine/fixture.js'
import { commitFiles, git, makeGitRepo, tempDir, tryGit } from '../engine/helpers.js'

// A fresh `build --all` now asks git, as soon as the tags are listed, what differs between HEAD and the release
// before each package's newest, and reads the differing files of the default folders; the default branch is
// asked before the sources are read. The built CLI of this tree and the one built before that change (a01bf4b)
// are run on copies of the same hostile repositories: exit code, stdout, stderr, every file written to the
// build folder (byte for byte) and every tag (name, what it points at, its message) must be the same.
// The CLI before is named by GANTRY_CLI_BEFORE_EARLY_READS (its dist/cli/index.js, built from a01bf4b or
// earlier): without it these comparisons are skipped.

const BEFORE = process.env.GANTRY_CLI_BEFORE_EARLY_READS ?? ''
const both = existsSync(BEFORE) && existsSync(BUILT_CLI)

const temp = tempDir('gantry-atk-rebuild-')
afterAll(() => temp.cleanup())

interface Outcome {
  code: number | null
  stdout: string
  stderr: string
  files: Record<string, string>
  tags: string | undefined
}

/** Runs a built CLI on `repo` with `env` added (no colour), returning code, stdout and stderr. */
function runCli(cli: string, repo: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('node', [cli, ...args, '--repo', repo], { env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr })
    })
  })
}

/** Every file under `folder`, by path relative to it, as base64 (byte for byte). */
function filesUnder(folder: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (!existsSync(folder)) return out
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else out[relative(folder, path)] = readFileSync(path).toString('base64')
    }
  }
  walk(folder)
  return out
}

/** The tags: name, type, the object they end at, and an annotated tag's message (not its date). */
const tagsOf = (repo: string) =>
  tryGit(repo, ['for-each-ref', '--format=%(refname) %(objecttype) %(if)%(*objectname)%(then)%(*objectname)%(else)%(objectname)%(end)%0a%(contents)%00', 'refs/tags/'])

/** A fresh copy of `pristine` at `work`; the CLI run on it; what it left. */
async function outcome(cli: string, pristine: string, work: string, args: string[], out: string, env?: Record<string, string>, sub = ''): Promise<Outcome> {
  rmSync(work, { recursive: true, force: true })
  rmSync(out, { recursive: true, force: true })
  execFileSync('cp', ['-a', pristine, work])
  const run = await runCli(cli, join(work, sub), args, env)
  return { ...run, files: filesUnder(out), tags: tagsOf(work) }
}

/** The CLI before and after on copies of `pristine`: the same in every respect. Returns the new one's outcome. */
async function same(pristine: string, args: string[], outFolder?: string, sub = ''): Promise<Outcome> {
  const work = `${pristine}-work`
  const out = outFolder ?? join(work, sub, '.gantry/build')
  const before = await outcome(BEFORE, pristine, work, args, out, undefined, sub)
  const now = await outcome(BUILT_CLI, pristine, work, args, out, undefined, sub)
  expect(now.code, 'exit code').toBe(before.code)
  expect(now.stdout, 'stdout').toBe(before.stdout)
  expect(now.stderr, 'stderr').toBe(before.stderr)
  expect(Object.keys(now.files).sort(), 'files written').toEqual(Object.keys(before.files).sort())
  for (const [file, bytes] of Object.entries(before.files)) expect(now.files[file], file).toBe(bytes)
  expect(now.tags, 'tags').toBe(before.tags)
  expect(now.stderr).not.toMatch(/Unhandled|UnhandledPromiseRejection|ERR_UNHANDLED/)
  return now
}

/** The git processes a CLI (the new one unless told) starts on `pristine` (GIT_TRACE2_EVENT): their arguments. */
async function gitCalls(pristine: string, args: string[], cli = BUILT_CLI): Promise<string[][]> {
  const work = `${pristine}-trace`
  const trace = `${pristine}-trace.json`
  rmSync(trace, { force: true })
  await outcome(cli, pristine, work, args, join(work, '.gantry/build'), { GIT_TRACE2_EVENT: trace })
  const calls = readFileSync(trace, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event: string; argv?: string[] })
    .filter((e) => e.event === 'start')
    .map((e) => e.argv!)
  rmSync(work, { recursive: true, force: true })
  return calls
}

/** The index of the first git process whose arguments satisfy `p`, or -1. */
const firstCall = (calls: string[][], p: (args: string[]) => boolean) => calls.findIndex(p)

const build = (repo: string, args: string[] = ['--all']) => {
  const run = execFileSync('node', [BEFORE, 'build', ...args, '--repo', repo], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  return run.toString('utf8')
}

let counter = 0
/** A source repository released as the first CLI releases it: every package, then `tools` changed and again. */
function released(): { repo: string; first: string; second: string } {
  const repo = join(temp.dir, `r${++counter}`)
  makeGitRepo(repo, sourceFiles())
  build(repo)
  const first = git(repo, ['rev-parse', 'HEAD'])
  commitFiles(repo, { ...definition('task', 'cleanup', { command: 'cleanup.sh --all' }), ...packageFile({ name: 'tools', notes: 'Independent tools, again.', items: ['cred/tools', 'task/cleanup'] }) })
  build(repo)
  const second = git(repo, ['rev-parse', 'HEAD'])
  rmSync(join(repo, '.gantry'), { recursive: true, force: true })
  return { repo, first, second }
}

const bundles = (o: Outcome) => Object.keys(o.files).sort()

describe.skipIf(!both)('build --all, fresh: the CLI before and after the early reads, byte for byte', () => {
  test('released twice, default folders: text and JSON; the earlier commit is asked before the sources', async () => {
    const { repo, first } = released()
    const now = await same(repo, ['build', '--all'])
    expect(now.code).toBe(0)
    expect(bundles(now)).toEqual(['app-1.gantry.json', 'base-1.gantry.json', 'tools-1.1.gantry.json'])
    const json = await same(repo, ['build', '--all', '--format', 'json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true })
    // git is asked what differs between the release before the newest and HEAD.
    const calls = await gitCalls(repo, ['build', '--all'])
    expect(firstCall(calls, (a) => a.includes('diff-tree') && a.includes(first))).toBeGreaterThanOrEqual(0)
  }, 120_000)

  test('--out to another folder, and --debug', async () => {
    const { repo } = released()
    const out = `${repo}-out`
    const now = await same(repo, ['build', '--all', '--out', out], out)
    expect(bundles(now)).toEqual(['app-1.gantry.json', 'base-1.gantry.json', 'tools-1.1.gantry.json'])
    const debug = await same(repo, ['build', '--all', '--debug', '--format', 'json'])
    expect(debug.code).toBe(0)
    expect(Object.keys(debug.files).length).toBeGreaterThan(0)
  }, 120_000)

  test('folders of its own, with stale sources at the default folders that differ between the releases', async () => {
    const repo = join(temp.dir, `own${++counter}`)
    const moved: Record<string, string> = {}
    for (const [path, content] of Object.entries(sourceFiles())) {
      if (path === 'gantry.yaml') moved[path] = stringify({ ...(parse(content) as Record<string, unknown>), paths: { kinds: 'src/kinds', definitions: 'src/definitions', packages: 'src/packages' } })
      else if (/^(kinds|definitions|packages)\//.test(path)) moved[`src/${path}`] = content
      else moved[path] = content
    }
    makeGitRepo(repo, moved)
    build(repo)
    const changed: Record<string, string> = {}
    for (const [path, content] of Object.entries({ ...definition('task', 'cleanup', { command: 'x.sh' }), ...packageFile({ name: 'tools', notes: 'Again.', items: ['cred/tools', 'task/cleanup'] }) })) changed[`src/${path}`] = content
    // At the default folders: what would change the delta were it read as the sources.
    Object.assign(changed, definition('task', 'cleanup', { command: 'elsewhere.sh' }), definition('cred', 'tools', { path: 'vault://elsewhere' }), packageFile({ name: 'tools', notes: 'x', items: ['cred/tools'] }))
    commitFiles(repo, changed)
    build(repo)
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const now = await same(repo, ['build', '--all'])
    expect(now.code).toBe(0)
    expect(JSON.parse(Buffer.from(now.files['tools-1.1.gantry.json']!, 'base64').toString()).delta).toEqual({ previous: '1', added: [], changed: ['task/cleanup'], removed: [] })
  }, 120_000)

  test('folders of its own where only packages/ moved: the early file list matches that asked for', async () => {
    const repo = join(temp.dir, `half${++counter}`)
    const files = sourceFiles()
    const moved: Record<string, string> = {}
    for (const [path, content] of Object.entries(files)) {
      if (path === 'gantry.yaml') moved[path] = stringify({ ...(parse(content) as Record<string, unknown>), paths: { packages: 'pk' } })
      else if (path.startsWith('packages/')) moved[`pk/${path.slice('packages/'.length)}`] = content
      else moved[path] = content
    }
    makeGitRepo(repo, moved)
    build(repo)
    commitFiles(repo, definition('task', 'cleanup', { command: 'y.sh' }))
    build(repo)
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const now = await same(repo, ['build', '--all', '--format', 'json'])
    expect(now.code).toBe(0)
  }, 120_000)

  test('tags at commits not on the default branch, lightweight tags, odd and prerelease versions', async () => {
    const { repo, first } = released()
    // A release pushed from a side branch, newer than every released one.
    git(repo, ['checkout', '-q', '-b', 'side'])
    commitFiles(repo, definition('task', 'cleanup', { command: 'side.sh' }))
    git(repo, ['tag', '-a', 'tools@9', '-m', 'unreviewed'])
    git(repo, ['tag', '-a', 'tools@1.0.5', '-m', 'side, between'])
    git(repo, ['checkout', '-q', 'main'])
    // Lightweight tags, a prerelease, a version that is no version, a ghost package released twice.
    git(repo, ['tag', 'tools@1.2', first])
    git(repo, ['tag', '-a', 'tools@1.1-rc1', '-m', 'pre', first])
    git(repo, ['tag', '-a', 'app@1.10', '-m', 'odd', first])
    git(repo, ['tag', '-a', 'app@1.9', '-m', 'odd', 'HEAD'])
    git(repo, ['tag', '-a', 'ghost@x.y', '-m', 'ghost', first])
    git(repo, ['tag', '-a', 'ghost@2', '-m', 'ghost', 'side'])
    // Tags at a tree and at a blob, the tree one the release before base's newest.
    git(repo, ['tag', '-a', 'base@0.5', '-m', 'a tree', `${first}^{tree}`])
    git(repo, ['tag', '-a', 'ghost@1', '-m', 'a blob', `${first}:gantry.yaml`])
    const now = await same(repo, ['build', '--all'])
    await same(repo, ['build', '--all', '--format', 'json'])
    expect(now.stdout.length + now.stderr.length).toBeGreaterThan(0)
  }, 120_000)

  test('a tag whose message lies about its digest: refused, nothing written, same diagnostics', async () => {
    const { repo, second } = released()
    const message = git(repo, ['for-each-ref', '--format=%(contents)', 'refs/tags/tools@1.1'])
    const lied = message.replace(/sha256:[0-9a-f]{64}/, `sha256:${'0'.repeat(64)}`)
    expect(lied).not.toBe(message)
    git(repo, ['tag', '-d', 'tools@1.1'])
    git(repo, ['tag', '-a', 'tools@1.1', '-F', '-', second], { input: lied })
    for (const format of [[], ['--format', 'json']]) {
      const now = await same(repo, ['build', '--all', ...format])
      expect(now.code).not.toBe(0)
      expect(now.stdout + now.stderr).toMatch(/digest/)
      expect(now.files).toEqual({})
    }
  }, 120_000)

  test('the earlier release commit holds a symlink, then a submodule, where items are', async () => {
    for (const odd of ['symlink', 'submodule'] as const) {
      const repo = join(temp.dir, `${odd}${++counter}`)
      makeGitRepo(repo, sourceFiles())
      if (odd === 'symlink') {
        unlinkSync(join(repo, 'definitions/task/cleanup.yaml'))
        symlinkSync('../cred/tools.yaml', join(repo, 'definitions/task/cleanup.yaml'))
        git(repo, ['add', '-A'])
      } else {
        git(repo, ['rm', '-q', '--cached', 'definitions/task/cleanup.yaml'])
        git(repo, ['update-index', '--add', '--cacheinfo', `160000,${git(repo, ['rev-parse', 'HEAD'])},definitions/task/cleanup.yaml`])
      }
      git(repo, ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', odd])
      const odds = git(repo, ['rev-parse', 'HEAD'])
      // Tagged by hand (a build would refuse it): tools@1 at the odd commit, as if released there.
      git(repo, ['tag', '-a', 'tools@1', '-m', 'odd', odds])
      git(repo, ['reset', '-q', '--hard', odds])
      git(repo, ['rm', '-q', '-r', '--cached', 'definitions/task/cleanup.yaml'])
      rmSync(join(repo, 'definitions/task/cleanup.yaml'), { recursive: true, force: true })
      commitFiles(repo, definition('task', 'cleanup', { command: 'back.sh' }))
      build(repo)
      git(repo, ['tag', '-a', 'tools@0.9', '-m', 'odd', odds])
      rmSync(join(repo, '.gantry'), { recursive: true, force: true })
      const now = await same(repo, ['build', '--all', '--format', 'json'])
      expect(now.stdout.length).toBeGreaterThan(0)
    }
  }, 180_000)

  /** Deletes the loose object `id` of `repo`. */
  const lose = (repo: string, id: string) => {
    unlinkSync(join(repo, '.git/objects', id.slice(0, 2), id.slice(2)))
    expect(tryGit(repo, ['cat-file', '-e', id])).toBeUndefined()
  }

  test('the earlier release commit cannot be compared (its tree deleted): same result, no unhandled rejection', async () => {
    const { repo, first } = released()
    lose(repo, git(repo, ['rev-parse', `${first}^{tree}`]))
    for (const format of [[], ['--format', 'json']]) {
      const now = await same(repo, ['build', '--all', ...format])
      expect(now.stdout + now.stderr).not.toBe('')
    }
    // diff-tree of that commit was asked, and failed.
    const calls = await gitCalls(repo, ['build', '--all'])
    expect(firstCall(calls, (a) => a.includes('diff-tree') && a.includes(first))).toBeGreaterThanOrEqual(0)
  }, 120_000)

  test('a differing file of the earlier release is missing: the early read fails, the build says as before', async () => {
    const { repo, first } = released()
    lose(repo, git(repo, ['rev-parse', `${first}:definitions/task/cleanup.yaml`]))
    for (const format of [[], ['--format', 'json']]) await same(repo, ['build', '--all', ...format])
    const calls = await gitCalls(repo, ['build', '--all'])
    expect(firstCall(calls, (a) => a.includes('diff-tree') && a.includes(first))).toBeGreaterThanOrEqual(0)
  }, 120_000)

  test('the earlier release commit object is missing', async () => {
    const { repo, first } = released()
    lose(repo, first)
    for (const format of [[], ['--format', 'json']]) await same(repo, ['build', '--all', ...format])
  }, 120_000)

  test('the earlier release cannot be compared and HEAD holds a broken gantry.yaml: the build throws with early reads running', async () => {
    const { repo, first } = released()
    commitFiles(repo, { 'gantry.yaml': 'versioning: [\n' })
    lose(repo, git(repo, ['rev-parse', `${first}:definitions/task/cleanup.yaml`]))
    const now = await same(repo, ['build', '--all'])
    expect(now.code).toBe(2)
    expect(now.files).toEqual({})
    await same(repo, ['build', '--all', '--format', 'json'])
    // The early reads ran in this build that throws (the CLI before never compared the commits: it stopped first).
    const asked = (calls: string[][]) => firstCall(calls, (a) => a.includes('diff-tree') && a.includes(first)) >= 0
    expect(asked(await gitCalls(repo, ['build', '--all']))).toBe(true)
    expect(asked(await gitCalls(repo, ['build', '--all'], BEFORE))).toBe(false)
  }, 120_000)

  test('a shallow clone: the earlier release commits are not there', async () => {
    const { repo } = released()
    const clone = join(temp.dir, `shallow${++counter}`)
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${repo}`, clone])
    // The tags, as a CI checkout fetches them: the tag objects, their commits shallow or missing.
    execFileSync('git', ['-C', clone, 'fetch', '-q', '--depth', '1', 'origin', '+refs/tags/*:refs/tags/*'])
    const now = await same(clone, ['build', '--all'])
    await same(clone, ['build', '--all', '--format', 'json'])
    expect(now.stdout + now.stderr).not.toBe('')
    // And made shallow by hand at HEAD: the release commits are in the object store but not in the history.
    const grafted = join(temp.dir, `grafted${++counter}`)
    execFileSync('cp', ['-a', repo, grafted])
    writeFileSync(join(grafted, '.git/shallow'), `${git(grafted, ['rev-parse', 'HEAD'])}\n`)
    await same(grafted, ['build', '--all', '--format', 'json'])
  }, 120_000)

  test('HEAD detached, no origin: symbolic-ref fails; then HEAD on a branch that does not exist', async () => {
    const { repo } = released()
    git(repo, ['checkout', '-q', '--detach'])
    const now = await same(repo, ['build', '--all'])
    await same(repo, ['build', '--all', '--format', 'json'])
    expect(now.stdout + now.stderr).not.toBe('')
    const unborn = join(temp.dir, `unborn${++counter}`)
    execFileSync('cp', ['-a', repo, unborn])
    git(unborn, ['symbolic-ref', 'HEAD', 'refs/heads/nowhere'])
    const none = await same(unborn, ['build', '--all'])
    expect(none.code).not.toBe(0)
    // origin/HEAD pointing at a pruned branch, HEAD detached.
    const pruned = join(temp.dir, `pruned${++counter}`)
    execFileSync('cp', ['-a', repo, pruned])
    git(pruned, ['remote', 'add', 'origin', 'file:///nonexistent'])
    git(pruned, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/gone'])
    await same(pruned, ['build', '--all', '--format', 'json'])
  }, 120_000)

  test('many versions, packages released three times and more, more than four distinct earlier commits', async () => {
    const repo = join(temp.dir, `many${++counter}`)
    const files = sourceFiles()
    for (let p = 0; p < 7; p++) Object.assign(files, definition('cred', `c${p}`, { path: `vault://c${p}/0` }), packageFile({ name: `p${p}`, items: [`cred/c${p}`] }))
    makeGitRepo(repo, files)
    build(repo)
    // Each round changes a different set of packages: their releases before the newest fall on different commits.
    for (let round = 1; round <= 6; round++) {
      const changed: Record<string, string> = {}
      for (let p = 0; p < 7; p++) if ((p + round) % 3 !== 0) Object.assign(changed, definition('cred', `c${p}`, { path: `vault://c${p}/${round}` }))
      if (round % 2 === 0) Object.assign(changed, definition('task', 'cleanup', { command: `r${round}.sh` }))
      commitFiles(repo, changed)
      build(repo)
    }
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const now = await same(repo, ['build', '--all', '--format', 'json'])
    expect(now.code).toBe(0)
    const versions = (JSON.parse(now.stdout) as { artifacts: { package: string; version: string }[] }).artifacts.map((a) => `${a.package}@${a.version}`)
    expect(versions.filter((v) => /^p\d@1\.[3-9]$/.test(v)).length).toBeGreaterThan(3)
    await same(repo, ['build', '--all'])
  }, 300_000)

  test('a build that refuses at HEAD (a missing item) with earlier releases: nothing written, same diagnostics', async () => {
    const { repo } = released()
    commitFiles(repo, packageFile({ name: 'tools', notes: 'Broken.', items: ['cred/tools', 'task/cleanup', 'task/nope'] }))
    for (const format of [[], ['--format', 'json']]) {
      const now = await same(repo, ['build', '--all', ...format])
      expect(now.code).not.toBe(0)
      expect(now.stdout + now.stderr).toMatch(/task\/nope/)
      expect(now.files).toEqual({})
    }
    // A new version made at HEAD (a change) beside the rebuilt releases, written to another folder.
    const { repo: again } = released()
    commitFiles(again, definition('cred', 'tools', { path: 'vault://kv/tools2' }))
    const changed = await same(again, ['build', '--all', '--out', `${again}-out`], `${again}-out`)
    expect(changed.code).toBe(0)
    expect(bundles(changed)).toContain('tools-1.2.gantry.json')
  }, 180_000)

  test('the sources in a folder of the git repository (--repo names it), released twice', async () => {
    const root = join(temp.dir, `mono${++counter}`)
    const inner: Record<string, string> = { 'packages/web/package.json': '{"name":"web"}\n' }
    for (const [path, content] of Object.entries(sourceFiles())) inner[`ops/${path}`] = content
    makeGitRepo(root, inner)
    const repo = join(root, 'ops')
    build(repo)
    commitFiles(root, { 'ops/definitions/task/cleanup.yaml': definition('task', 'cleanup', { command: 'mono.sh' })['definitions/task/cleanup.yaml']!, 'packages/web/package.json': '{"name":"web2"}\n' })
    build(repo)
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const now = await same(root, ['build', '--all', '--format', 'json'], undefined, 'ops')
    expect(now.code, now.stdout + now.stderr).toBe(0)
    expect(Object.keys(now.files).sort()).toEqual(['app-1.gantry.json', 'base-1.gantry.json', 'tools-1.1.gantry.json'])
  }, 120_000)

  test('files beside the default folders whose names start like them, and gantry.yaml beside itself', async () => {
    const { repo } = released()
    commitFiles(repo, {
      'definitions-old/task/cleanup.yaml': stringify({ kind: 'task', name: 'cleanup', spec: { command: 'old.sh' } }),
      'definitionsX/cred/tools.yaml': 'kind: [\n',
      'packages.bak/tools.yaml': stringify({ name: 'tools', items: ['cred/tools'] }),
      'packages2/extra.yaml': stringify({ name: 'extra', items: ['cred/tools'] }),
      'kinds0/task.schema.json': '{"type":"object","required":["nothing"]}\n',
      'gantry.yaml.orig': 'versioning: [\n',
    })
    for (const format of [[], ['--format', 'json']]) {
      const now = await same(repo, ['build', '--all', ...format])
      expect(now.code).toBe(0)
      expect(bundles(now)).toEqual(['app-1.gantry.json', 'base-1.gantry.json', 'tools-1.1.gantry.json'])
    }
  }, 120_000)

  test('folders of its own, and a workspace at packages/ that changed between the releases: not read ahead for nothing', async () => {
    const repo = join(temp.dir, `workspace${++counter}`)
    const files: Record<string, string> = {}
    for (const [path, content] of Object.entries(sourceFiles())) {
      if (path === 'gantry.yaml') files[path] = stringify({ ...(parse(content) as Record<string, unknown>), paths: { kinds: 'gantry/kinds', definitions: 'gantry/definitions', packages: 'gantry/packages' } })
      else if (/^(kinds|definitions|packages)\//.test(path)) files[`gantry/${path}`] = content
      else files[path] = content
    }
    const web = (round: number) => Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`packages/web${i % 3}/src/f${i}.js`, `export const v = ${round * 100 + i}\n`]))
    makeGitRepo(repo, { ...files, ...web(0) })
    build(repo)
    const first = git(repo, ['rev-parse', 'HEAD'])
    commitFiles(repo, { 'gantry/definitions/task/cleanup.yaml': definition('task', 'cleanup', { command: 'ws.sh' })['definitions/task/cleanup.yaml']!, ...web(1) })
    build(repo)
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const now = await same(repo, ['build', '--all', '--format', 'json'])
    expect(now.code).toBe(0)
    expect(bundles(now)).toEqual(['app-1.gantry.json', 'base-1.gantry.json', 'tools-1.1.gantry.json'])
    // The files of the earlier release are listed once, for the sources gantry.yaml names: the workspace's never.
    const calls = await gitCalls(repo, ['build', '--all'])
    expect(calls.filter((a) => a.includes('diff-tree') && a.includes(first)).length).toBe(1)
    const listed = calls.filter((a) => a.includes('ls-tree') && a.includes(first))
    expect(listed.length).toBe(1)
    expect(listed.flat().some((a) => a.startsWith('packages/'))).toBe(false)
  }, 120_000)
})
