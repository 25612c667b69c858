// Helpers for tests that drive the local GitHub with real git clients and Octokit.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Octokit } from '@octokit/rest'
import { isolatedGitEnv, runGit } from './git-plumbing.js'
import type { LocalGitHub } from './server.js'

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
}

/** An Octokit client for one token, quiet about the errors tests provoke on purpose. */
export function octokitFor(gh: LocalGitHub, token: string): Octokit {
  return new Octokit({ baseUrl: gh.baseUrl, auth: token, log: silent })
}

/**
 * Runs a git client command. Always asynchronous: the server lives in this process, so a synchronous
 * child process would block the very server it talks to.
 */
export async function git(cwd: string, args: string[], identity = 'Test Author'): Promise<string> {
  const env = isolatedGitEnv({
    GIT_AUTHOR_NAME: identity,
    GIT_AUTHOR_EMAIL: `${identity.toLowerCase().replace(/\s+/g, '.')}@example.com`,
    GIT_COMMITTER_NAME: identity,
    GIT_COMMITTER_EMAIL: `${identity.toLowerCase().replace(/\s+/g, '.')}@example.com`,
  })
  const result = await runGit(args, { cwd, env })
  if (result.exitCode !== 0) {
    throw new Error(`git ${args.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`)
  }
  return result.stdout.toString().trim()
}

/** Like `git`, but returns the exit code and stderr instead of throwing. */
export async function tryGit(cwd: string, args: string[]): Promise<{ exitCode: number; stderr: string }> {
  const result = await runGit(args, { cwd, env: isolatedGitEnv() })
  return { exitCode: result.exitCode, stderr: result.stderr }
}

export async function scratchDir(
  prefix = 'local-github-test-',
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
  }
}

/** Writes files in a working copy, commits them and returns the new head sha. */
export async function commitAll(
  cwd: string,
  files: Record<string, string>,
  message: string,
  identity?: string,
): Promise<string> {
  await writeFiles(cwd, files)
  await git(cwd, ['add', '--all'], identity)
  await git(cwd, ['commit', '--quiet', '-m', message], identity)
  return git(cwd, ['rev-parse', 'HEAD'], identity)
}

/** The status of a rejected Octokit call (or of a thrown value that is not one: 0). */
export async function statusOf(
  promise: Promise<unknown>,
): Promise<{ status: number; message: string; headers: Record<string, string> }> {
  try {
    await promise
  } catch (error) {
    const e = error as { status?: number; message?: string; response?: { headers?: Record<string, string> } }
    return { status: e.status ?? 0, message: e.message ?? '', headers: e.response?.headers ?? {} }
  }
  throw new Error('expected the request to fail')
}

/** A request outside Octokit's typings, to send what a buggy client would. */
export function untypedRequest(
  octokit: Octokit,
  route: string,
  parameters: Record<string, unknown>,
): Promise<unknown> {
  return octokit.request(route, parameters)
}
