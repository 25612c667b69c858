import { execFile } from 'node:child_process'
import { type SimpleGit, simpleGit } from 'simple-git'

export interface RemoteAuth {
  /** The server the token is for, e.g. https://github.com. */
  serverUrl: string
  token: string
}

/** simple-git on a checkout, with the token sent as a header for this server only and no prompts. */
function remoteGit(dir: string, auth: RemoteAuth | undefined): SimpleGit {
  const config = auth ? [authHeader(auth)] : []
  // Fetch and push need no identity, editor, pager or password prompt. simple-git refuses to run at all when the
  // environment names a program git could start (GIT_*, EDITOR, VISUAL, PAGER, SSH_ASKPASS, PREFIX), and npm
  // sets EDITOR for everything it runs: none of these are passed on.
  return simpleGit({ baseDir: dir, config, allowEnvironment: ['GIT_TERMINAL_PROMPT', 'GIT_NO_REPLACE_OBJECTS'] }).env(gitEnvironment())
}

/** The token as an HTTP header for the server's URLs only, given as configuration (never in a URL or on disk). */
function authHeader(auth: RemoteAuth): string {
  return `http.${auth.serverUrl.replace(/\/$/, '')}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${auth.token}`).toString('base64')}`
}

function gitEnvironment(): Record<string, string> {
  // Objects read as they are, never through replace refs (see gitEnvironment in git.ts).
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0', GIT_NO_REPLACE_OBJECTS: '1' }
  for (const [key, value] of Object.entries(process.env)) {
    const name = key.toUpperCase()
    if (value !== undefined && !name.startsWith('GIT_') && !PROGRAM_VARIABLES.has(name)) env[key] = value
  }
  return env
}

/** Variables naming a program git could run, besides GIT_*: simple-git refuses them (its "unsafe" checks). */
const PROGRAM_VARIABLES = new Set(['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS', 'PREFIX'])

/** Brings every branch (as origin/*) and every tag from origin, so state is derived from what is there now. */
export async function fetchAll(dir: string, auth?: RemoteAuth): Promise<void> {
  await remoteGit(dir, auth).fetch(['--prune', '--force', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'])
}

/**
 * Fetches a pull request's head as GitHub keeps it (`refs/pull/<n>/head`, there also for pull requests from
 * forks) and returns its commit.
 */
export async function fetchPullRequestHead(dir: string, number: number, auth?: RemoteAuth): Promise<string> {
  const local = `refs/gantry/pull/${number}/head`
  await remoteGit(dir, auth).fetch(['--no-tags', '--force', 'origin', `+refs/pull/${number}/head:${local}`])
  return (await remoteGit(dir, undefined).revparse([`${local}^{commit}`])).trim()
}

/** What became of one tag in a push, as git reports it per ref. */
export type TagPush =
  | { tag: string; status: 'pushed' }
  /** The remote already has a tag of that name: elsewhere (git: `[rejected] (already exists)`) or the same (`=`). */
  | { tag: string; status: 'exists' }
  /** The remote declined this tag for another reason (a ruleset, protection, a hook): git's reason in `detail`. */
  | { tag: string; status: 'refused'; detail: string }

/** A push that failed as a whole (network, authentication, permissions): no tag has an outcome of its own. */
export class TagPushError extends Error {
  override name = 'TagPushError'
}

/**
 * Pushes tags in one push and reports each tag's outcome from git's per-ref lines (`git push --porcelain`,
 * git-push's OUTPUT section: `<flag> TAB <from>:<to> TAB <summary> (<reason>)`, flag `!` for a ref that was
 * rejected or failed). A failure without a line for every tag is not about the tags (the remote could not be
 * reached, the token was refused): it throws with git's message.
 */
export async function pushTags(dir: string, tags: readonly string[], auth?: RemoteAuth): Promise<TagPush[]> {
  if (tags.length === 0) return []
  const refs = tags.map((tag) => `refs/tags/${tag}`)
  const result = await runGit(dir, auth, ['push', '--porcelain', 'origin', ...refs.map((ref) => `${ref}:${ref}`)])
  const lines = new Map<string, { flag: string; summary: string }>()
  for (const line of result.stdout.split('\n')) {
    const match = /^(.)\t([^\t]*):([^\t]*)\t(.*)$/.exec(line)
    if (match) lines.set(match[3]!, { flag: match[1]!, summary: match[4]!.trim() })
  }
  if (refs.some((ref) => !lines.has(ref))) {
    const message = (result.stderr.trim() || result.stdout.trim() || `git push exited with ${result.code}`).slice(0, 2000)
    throw new TagPushError(
      `cannot push the tags ${tags.join(', ')} to origin: ${message}\nNo tag was reported refused: check that the remote can be reached and that the token can push to the repository (contents: write). Nothing was released; the next run pushes them again.`,
    )
  }
  return tags.map((tag): TagPush => {
    const { flag, summary } = lines.get(`refs/tags/${tag}`)!
    if (flag === '=') return { tag, status: 'exists' }
    if (flag !== '!') return { tag, status: 'pushed' }
    // "[rejected]" is git's own check against the remote's refs (a tag is never moved without --force);
    // "[remote rejected]" is the remote's receive hook declining (GitHub's rulesets, GH013, answer there).
    if (/^\[rejected\]/.test(summary)) return { tag, status: 'exists' }
    const refusal = protectionRefusal(result.stderr)
    return { tag, status: 'refused', detail: refusal ? `${summary}: ${refusal}` : summary }
  })
}

/** Runs git on a checkout as remoteGit does, keeping both outputs whatever the exit code. */
function runGit(dir: string, auth: RemoteAuth | undefined, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = auth ? ['-c', authHeader(auth)] : []
  return new Promise((resolve, reject) => {
    execFile('git', [...config, ...args], { cwd: dir, env: gitEnvironment(), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error)
      else resolve({ code: error ? Number(error.code) : 0, stdout, stderr })
    })
  })
}

/** What became of a push with a lease. */
export type LeaseOutcome =
  | { status: 'pushed' }
  /** Someone else moved the branch since it was read: an answer, not a failure; read again and retry. */
  | { status: 'moved' }
  /** GitHub's branch protection (GH006) or a ruleset (GH013) refused the push: retrying cannot help. */
  | { status: 'protected'; branch: string; detail: string }

/**
 * A push that GitHub's rules refused. The fix is in the repository's settings: Gantry's identity must be allowed
 * to update the branch (a bypass actor of the ruleset, or allowed to push past the branch protection).
 */
export class ProtectedBranchError extends Error {
  override name = 'ProtectedBranchError'
  constructor(
    readonly branch: string,
    readonly detail: string,
    what: string,
  ) {
    super(`${what}: GitHub refused the push to ${branch} (${detail}). Add the identity Gantry runs as (its GitHub App) as a bypass actor of the ruleset or branch protection on ${branch}; the next run finishes it.`)
  }
}

/** The refusal lines GitHub prints for protection (GH006) and rulesets (GH013), or undefined for any other failure. */
export function protectionRefusal(message: string): string | undefined {
  if (!/GH006|GH013|Protected branch update failed|Repository rule violations|protected branch hook declined|pre-receive hook declined/i.test(message)) return undefined
  const lines = message.split('\n').map((l) => l.replace(/^remote:\s*/, '').trim())
  const named = lines.filter((l) => /GH00?\d+|^- |^error: (?!failed to push)/i.test(l))
  return (named.length ? named : ['pre-receive hook declined']).join(' ').slice(0, 500)
}

/**
 * Points `branch` on origin at `commit` only if it is still at `expected` (null: must not exist). A person's
 * push in between makes this answer `moved` instead of being overwritten; a push GitHub's rules refuse
 * answers `protected`, which no retry fixes.
 */
export async function pushWithLease(dir: string, commit: string, branch: string, expected: string | null, auth?: RemoteAuth): Promise<LeaseOutcome> {
  try {
    await remoteGit(dir, auth).push([`--force-with-lease=refs/heads/${branch}:${expected ?? ''}`, 'origin', `${commit}:refs/heads/${branch}`])
    return { status: 'pushed' }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // Protection first: its "[remote rejected]" line would otherwise read as a lost lease.
    const refusal = protectionRefusal(message)
    if (refusal) return { status: 'protected', branch, detail: refusal }
    if (/stale info|rejected|fetch first|non-fast-forward/i.test(message)) return { status: 'moved' }
    throw new Error(`cannot push ${branch}: ${message.trim()}`, { cause: error })
  }
}
