// Git's smart HTTP protocol, served by `git http-backend` as a CGI program, behind token auth.
import { spawn } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isolatedGitEnv } from './git-plumbing.js'
import type { GitRequestLogEntry, Permission, UserRecord } from './types.js'

export interface GitHttpAccess {
  projectRoot: string
  /** The user a token stands for, or null for an unknown or revoked token. */
  userForToken(token: string): UserRecord | null
  permissionOf(login: string, owner: string, repo: string): Permission | null
  repositoryExists(owner: string, repo: string): boolean
  /**
   * Called before a push is received: returns the environment for git's hooks (protected refs) and a
   * callback for after it, to record the push and let pull requests follow their head branches.
   */
  startPush(
    owner: string,
    repo: string,
    login: string,
  ): Promise<{ env: Record<string, string>; finish(): Promise<void> }>
  log(entry: GitRequestLogEntry): void
}

const GIT_PATH = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/

export function isGitRequest(pathname: string): boolean {
  return GIT_PATH.test(pathname)
}

/** Token from `Authorization: Basic base64(user:token)`; the user name is ignored, as on GitHub. */
export function basicAuthToken(header: string | undefined): string | null {
  // The scheme is case-insensitive (HTTP): actions/checkout sends `AUTHORIZATION: basic ...`.
  if (!header || !/^basic /i.test(header)) return null
  const decoded = Buffer.from(header.slice(6), 'base64').toString()
  const colon = decoded.indexOf(':')
  return colon === -1 ? decoded : decoded.slice(colon + 1)
}

function deny(res: ServerResponse, status: number, message: string, challenge: boolean): void {
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' }
  if (challenge) headers['www-authenticate'] = 'Basic realm="GitHub"'
  res.writeHead(status, headers)
  res.end(`${message}\n`)
}

export async function handleGitRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  access: GitHttpAccess,
): Promise<void> {
  const match = GIT_PATH.exec(url.pathname)
  const [, owner = '', repo = '', rest = ''] = match ?? []
  const service =
    url.searchParams.get('service') === 'git-receive-pack' || rest === '/git-receive-pack'
      ? 'receive-pack'
      : url.searchParams.get('service') === 'git-upload-pack' || rest === '/git-upload-pack'
        ? 'upload-pack'
        : null
  const entry: GitRequestLogEntry = {
    method: req.method ?? 'GET',
    path: url.pathname,
    login: null,
    service,
    status: 0,
  }
  const finish = (status: number) => {
    entry.status = status
    access.log(entry)
  }

  const token = basicAuthToken(req.headers.authorization)
  const user = token === null ? null : access.userForToken(token)
  if (!user) {
    req.resume()
    deny(res, 401, token === null ? 'Authentication required' : 'Invalid username or token.', true)
    return finish(401)
  }
  entry.login = user.login
  if (!access.repositoryExists(owner, repo)) {
    req.resume()
    deny(res, 404, 'Repository not found.', false)
    return finish(404)
  }
  const permission = access.permissionOf(user.login, owner, repo)
  if (service === 'receive-pack' && permission !== 'write' && permission !== 'maintain' && permission !== 'admin') {
    req.resume()
    deny(res, 403, `Permission to ${owner}/${repo}.git denied to ${user.login}.`, false)
    return finish(403)
  }

  const env = isolatedGitEnv({
    GIT_PROJECT_ROOT: access.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${owner}/${repo}.git${rest}`,
    REMOTE_USER: user.login,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
  })
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length']
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding']
  const protocol = req.headers['git-protocol']
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol

  const push =
    service === 'receive-pack' && rest === '/git-receive-pack'
      ? await access.startPush(owner, repo, user.login)
      : null
  Object.assign(env, push?.env)
  const child = spawn('git', ['http-backend'], { env })
  req.pipe(child.stdin)
  child.stdin.on('error', () => undefined)

  let headerBuffer: Buffer = Buffer.alloc(0)
  let headersSent = false
  let status = 200
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk)
      return
    }
    headerBuffer = Buffer.concat([headerBuffer, chunk])
    const end = headerBuffer.indexOf('\r\n\r\n')
    const endLf = headerBuffer.indexOf('\n\n')
    const split = end !== -1 ? end : endLf
    if (split === -1) return
    const sepLength = end !== -1 ? 4 : 2
    const head = headerBuffer.subarray(0, split).toString()
    const body = headerBuffer.subarray(split + sepLength)
    const headers: Record<string, string> = {}
    for (const line of head.split(/\r?\n/)) {
      const colon = line.indexOf(':')
      if (colon === -1) continue
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      if (name === 'status') status = Number.parseInt(value, 10) || 200
      else headers[name] = value
    }
    res.writeHead(status, headers)
    headersSent = true
    if (body.length > 0) res.write(body)
  })
  const stderr: Buffer[] = []
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))

  await new Promise<void>((resolvePromise) => {
    child.on('error', () => resolvePromise())
    child.on('close', () => resolvePromise())
  })
  if (!headersSent) {
    status = 500
    deny(res, 500, `git http-backend failed: ${Buffer.concat(stderr).toString().trim()}`, false)
    return finish(status)
  }
  // Pull requests follow their heads before the client sees the push complete, as on GitHub.
  await push?.finish()
  res.end()
  finish(status)
}
