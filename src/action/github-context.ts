import { readFileSync } from 'node:fs'

/** What the Actions runtime tells a run about its event, read once from the environment. */
export interface GitHubContext {
  eventName: string
  payload: Record<string, unknown>
  owner: string
  repo: string
  serverUrl: string
  apiUrl: string
  workspace: string
  sha: string
  ref: string
  actor: string
  /** GITHUB_RUN_ID: the run's page is <server>/<owner>/<repo>/actions/runs/<id>. */
  runId: string
}

export function readGitHubContext(env: NodeJS.ProcessEnv): GitHubContext {
  const repository = env.GITHUB_REPOSITORY ?? ''
  const [owner = '', repo = ''] = repository.split('/')
  if (!owner || !repo) throw new Error('GITHUB_REPOSITORY is not set (owner/repo): is this running in GitHub Actions?')
  let payload: Record<string, unknown> = {}
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as Record<string, unknown>
    } catch (error) {
      throw new Error(`cannot read the event payload ${env.GITHUB_EVENT_PATH}`, { cause: error })
    }
  }
  return {
    eventName: env.GITHUB_EVENT_NAME ?? 'workflow_dispatch',
    payload,
    owner,
    repo,
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    actor: env.GITHUB_ACTOR ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
  }
}
