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
  // Fetch and push need no identity; simple-git refuses several GIT_* variables, so none are passed on.
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' }
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('GIT_')) env[key] = value
  return simpleGit({ baseDir: dir, config, allowEnvironment: ['GIT_TERMINAL_PROMPT'] }).env(env)
}

/** Brings every branch (as origin/*) and every tag from origin, so state is derived from what is there now. */
export async function fetchAll(dir: string, auth?: RemoteAuth): Promise<void> {
  await remoteGit(dir, auth).fetch(['--prune', '--force', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'])
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

/**
 * Points `branch` on origin at `commit` only if it is still at `expected` (null: must not exist). A person's
 * push in between makes this fail instead of being overwritten.
 */
export async function pushWithLease(dir: string, commit: string, branch: string, expected: string | null, auth?: RemoteAuth): Promise<boolean> {
  try {
    await remoteGit(dir, auth).push([`--force-with-lease=refs/heads/${branch}:${expected ?? ''}`, 'origin', `${commit}:refs/heads/${branch}`])
    return true
  } catch (error) {
    // A stale lease is an answer (someone else moved the branch); anything else is a failure to report.
    const message = error instanceof Error ? error.message : String(error)
    if (/stale info|rejected|fetch first|non-fast-forward/i.test(message)) return false
    throw new Error(`cannot push ${branch}: ${message.trim()}`, { cause: error })
  }
}
