import { type SimpleGit, simpleGit } from 'simple-git'

export interface RemoteAuth {
  /** The server the token is for, e.g. https://github.com. */
  serverUrl: string
  token: string
}

/** simple-git on a checkout, with the token sent as a header for this server only and no prompts. */
function remoteGit(dir: string, auth: RemoteAuth | undefined): SimpleGit {
  const config = auth
    ? [`http.${auth.serverUrl.replace(/\/$/, '')}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${auth.token}`).toString('base64')}`]
    : []
  // Fetch and push need no identity, editor, pager or password prompt. simple-git refuses to run at all when the
  // environment names a program git could start (GIT_*, EDITOR, VISUAL, PAGER, SSH_ASKPASS, PREFIX), and npm
  // sets EDITOR for everything it runs: none of these are passed on.
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' }
  for (const [key, value] of Object.entries(process.env)) {
    const name = key.toUpperCase()
    if (value !== undefined && !name.startsWith('GIT_') && !PROGRAM_VARIABLES.has(name)) env[key] = value
  }
  return simpleGit({ baseDir: dir, config, allowEnvironment: ['GIT_TERMINAL_PROMPT'] }).env(env)
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

/**
 * Pushes tags in one push; when the remote refuses any (it already has a tag of that name), finds out which
 * by pushing them one by one. Returns the refused ones.
 */
export async function pushTags(dir: string, tags: readonly string[], auth?: RemoteAuth): Promise<string[]> {
  if (tags.length === 0) return []
  try {
    await remoteGit(dir, auth).push(['origin', ...tags.map((tag) => `refs/tags/${tag}:refs/tags/${tag}`)])
    return []
  } catch {
    const refused: string[] = []
    for (const tag of tags) {
      try {
        await remoteGit(dir, auth).push(['origin', `refs/tags/${tag}:refs/tags/${tag}`])
      } catch {
        refused.push(tag)
      }
    }
    return refused
  }
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
