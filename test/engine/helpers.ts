import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { main } from '../../src/cli/main.js'
import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import { runProcess } from '../support/fixtures.js'

export const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Gantry Test',
  GIT_AUTHOR_EMAIL: 'test@gantry.invalid',
  GIT_COMMITTER_NAME: 'Gantry Test',
  GIT_COMMITTER_EMAIL: 'test@gantry.invalid',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
}

/** A temporary folder removed by `cleanup()`. */
export function tempDir(prefix = 'gantry-engine-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Runs git in `dir` and returns stdout with the trailing newline removed. */
export function git(
  dir: string,
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): string {
  return execFileSync('git', ['-C', dir, ...args], {
    env: { ...GIT_ENV, ...options.env },
    input: options.input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString('utf8')
    .replace(/\n$/, '')
}

/** git, returning undefined instead of throwing (a missing ref, a missing file). */
export function tryGit(dir: string, args: string[]): string | undefined {
  try {
    return git(dir, args)
  } catch {
    return undefined
  }
}

/** Writes files (content) or deletes them (null) in a working tree. */
export function writeFiles(dir: string, files: Record<string, string | null>): void {
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path)
    if (content === null) rmSync(file, { force: true })
    else {
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, content)
    }
  }
}

/** Writes files in the working tree and commits them on the current branch; returns the commit. */
export function commitFiles(dir: string, files: Record<string, string | null>, message = 'change'): string {
  writeFiles(dir, files)
  git(dir, ['add', '--all'])
  git(dir, ['-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '--allow-empty', '-m', message])
  return git(dir, ['rev-parse', 'HEAD'])
}

/** A git repository on `main` holding `files` in one commit. */
export function makeGitRepo(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true })
  git(dir, ['init', '-q', '-b', 'main'])
  git(dir, ['config', 'user.name', 'Gantry Test'])
  git(dir, ['config', 'user.email', 'test@gantry.invalid'])
  return commitFiles(dir, files, 'Initial definitions')
}

/** Adds a bare `origin` next to the repository and pushes every local branch to it. */
export function addBareOrigin(dir: string): string {
  const origin = `${dir}.origin.git`
  execFileSync('git', ['init', '-q', '--bare', origin], { env: GIT_ENV })
  git(dir, ['remote', 'add', 'origin', origin])
  git(dir, ['push', '-q', 'origin', '--all'])
  git(dir, ['fetch', '-q', 'origin'])
  return origin
}

/**
 * Commits to a branch without touching the working tree, index or HEAD (a temporary index): a hand edit on
 * an environment branch. Returns the new commit.
 */
export function commitToBranch(
  dir: string,
  branch: string,
  files: Record<string, string | null>,
  message = 'hand edit',
): string {
  const index = join(dir, '.git', `test-index-${process.pid}-${Date.now()}`)
  const env = { GIT_INDEX_FILE: index }
  const parent = tryGit(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])
  try {
    if (parent) git(dir, ['read-tree', parent], { env })
    for (const [path, content] of Object.entries(files)) {
      if (content === null) git(dir, ['update-index', '--force-remove', path], { env })
      else {
        const blob = git(dir, ['hash-object', '-w', '--stdin'], { input: content })
        git(dir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env })
      }
    }
    const tree = git(dir, ['write-tree'], { env })
    const commit = git(dir, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message])
    git(dir, ['update-ref', `refs/heads/${branch}`, commit, ...(parent ? [parent] : [])])
    return commit
  } finally {
    rmSync(index, { force: true })
  }
}

/**
 * The bytes of a file at a revision (`git cat-file blob rev:path`), or undefined when the path or the revision
 * is not there. Any other failure (not a repository, a folder at the path, git missing) is thrown: "not on the
 * branch" must not be confused with "could not look".
 */
export function showBytes(dir: string, rev: string, path: string): Buffer | undefined {
  try {
    return execFileSync('git', ['-C', dir, 'cat-file', 'blob', `${rev}:${path}`], {
      env: GIT_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '')
    if (/^fatal: (path '.*' (does not exist|exists on disk, but not) in '.*'|invalid object name '.*'\.|Not a valid object name .*)$/m.test(stderr)) return undefined
    throw error
  }
}

/** The text of a file at a revision (`git show rev:path`), or undefined when it is not there. */
export function show(dir: string, rev: string, path: string): string | undefined {
  return showBytes(dir, rev, path)?.toString('utf8')
}

/** A YAML file at a revision, parsed. */
export function showYaml<T = Record<string, unknown>>(dir: string, rev: string, path: string): T | undefined {
  const text = show(dir, rev, path)
  return text === undefined ? undefined : (parse(text) as T)
}

/** The commit `ref` points at, or undefined when there is no such ref (exit 1 of --verify --quiet); other failures throw. */
export function head(dir: string, ref: string): string | undefined {
  try {
    return git(dir, ['rev-parse', '--verify', '--quiet', ref])
  } catch (error) {
    const failed = error as { status?: number; stderr?: Buffer }
    if (failed.status === 1 && String(failed.stderr ?? '') === '') return undefined
    throw error
  }
}

export function ledgerOn(dir: string, branch: string, pkg: string): EnvironmentLedger | undefined {
  const text = show(dir, branch, `.gantry/installed/${pkg}.yaml`)
  return text === undefined ? undefined : (parse(text) as EnvironmentLedger)
}

/** The digest in the message of the annotated tag `<package>@<version>`. */
export function tagDigest(dir: string, tag: string): string | undefined {
  const object = git(dir, ['cat-file', '-p', `refs/tags/${tag}`])
  return /^digest: (sha256:[0-9a-f]{64})$/m.exec(object)?.[1]
}

export function tags(dir: string): string[] {
  return git(dir, ['tag', '--list']).split('\n').filter(Boolean).sort()
}

/** The working tree, index and HEAD of a repository, to check that a command left them alone. */
export function workspaceState(dir: string): { head: string; status: string; index: string } {
  return {
    head: git(dir, ['rev-parse', 'HEAD']),
    status: git(dir, ['status', '--porcelain', '--untracked-files=all', '--ignored=no']),
    index: git(dir, ['ls-files', '--stage']),
  }
}

class Capture extends Writable {
  chunks: string[] = []
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk.toString())
    done()
  }
  get text(): string {
    return this.chunks.join('')
  }
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Calls the CLI in-process, as `gantry <args> --repo <repo>` would, with `env` added to its environment. */
export async function cli(repo: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const stdout = new Capture()
  const stderr = new Capture()
  const code = await main([...args, '--repo', repo], { stdout, stderr, env: { NO_COLOR: '1', ...env } })
  return { code, stdout: stdout.text, stderr: stderr.text }
}

/** Calls the CLI with `--format json` and parses the single JSON object it prints. */
export async function cliJson<T = Record<string, unknown>>(
  repo: string,
  args: string[],
): Promise<{ code: number; json: T; stderr: string }> {
  const run = await cli(repo, [...args, '--format', 'json'])
  let json: T
  try {
    json = JSON.parse(run.stdout) as T
  } catch (error) {
    throw new Error(`not one JSON object on stdout (exit ${run.code}):\n${run.stdout}\n${run.stderr}`, {
      cause: error,
    })
  }
  return { code: run.code, json, stderr: run.stderr }
}

/** Runs the CLI as a separate process (through tsx, so no build is needed). */
export function spawnCli(args: string[]): Promise<CliRun> {
  return runProcess(process.execPath, ['--import', 'tsx', join(PROJECT, 'src/cli/index.ts'), ...args], { ...GIT_ENV, NO_COLOR: '1' })
}

export function readText(file: string): string {
  return readFileSync(file, 'utf8')
}

/** Copies an example folder (examples/<name>) into `dir` and makes it a repository with one commit. */
export function exampleRepo(name: string, dir: string): void {
  execFileSync(
    process.execPath,
    [join(PROJECT, 'scripts/make-example-repo.mjs'), join(PROJECT, 'examples', name), dir],
    {
      env: GIT_ENV,
      stdio: 'pipe',
    },
  )
}

/** Every object in a JSON value has its keys in sorted order. */
export function keysSortedEverywhere(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(keysSortedEverywhere)
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
    const sorted = [...keys].sort()
    return keys.every((k, i) => k === sorted[i]) && Object.values(value).every(keysSortedEverywhere)
  }
  return true
}

/** The git processes `run` starts, each as its arguments (from git's own trace, written under `dir`). */
export async function gitProcesses<T>(dir: string, run: () => Promise<T>): Promise<{ result: T; argv: string[][] }> {
  const trace = join(dir, `trace-${Math.random().toString(36).slice(2)}.json`)
  const before = process.env.GIT_TRACE2_EVENT
  process.env.GIT_TRACE2_EVENT = trace
  try {
    const result = await run()
    const argv = readFileSync(trace, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; argv?: string[] })
      .filter((e) => e.event === 'start')
      .map((e) => e.argv!)
    return { result, argv }
  } finally {
    if (before === undefined) delete process.env.GIT_TRACE2_EVENT
    else process.env.GIT_TRACE2_EVENT = before
    rmSync(trace, { force: true })
  }
}
