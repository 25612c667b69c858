import * as core from '@actions/core'
import { fetchAll } from '../adapters/git/remote.js'
import { createOctokit } from '../adapters/github/octokit.js'
import { RepositoryApi } from '../adapters/github/repository-api.js'
import { UsageError } from '../commands/errors.js'
import { releaseOnPush } from './events/push.js'
import { validatePullRequest } from './events/pull-request.js'
import { readGitHubContext } from './github-context.js'
import { readInputs } from './inputs.js'

/** The action: reads inputs and context, picks the job from the event, and fails the step on errors. */
export async function run(): Promise<void> {
  try {
    const inputs = readInputs()
    const context = readGitHubContext(process.env)
    const workspace = inputs.workingDirectory ?? context.workspace
    const octokit = createOctokit({ token: inputs.token, baseUrl: context.apiUrl, log: (m) => core.info(m) })
    const api = new RepositoryApi(octokit, { owner: context.owner, repo: context.repo })
    const auth = { serverUrl: context.serverUrl, token: inputs.token }
    const repository = context.payload.repository as { default_branch?: string } | undefined
    const defaultBranch = repository?.default_branch ?? (await api.defaultBranch())
    const command = inputs.command === 'auto' ? commandFor(context.eventName) : inputs.command
    core.info(`gantry ${command} on ${context.eventName} in ${context.owner}/${context.repo}`)
    await core.group('Fetch branches and tags', () => fetchAll(workspace, auth))

    if (command === 'validate') {
      const pr = context.payload.pull_request as { number: number; head: { sha: string } } | undefined
      if (!pr) throw new UsageError('validate runs on pull_request events (no pull_request in the payload)')
      const outcome = await validatePullRequest({ api, workspace, number: pr.number, headSha: pr.head.sha, defaultBranch, dryRun: inputs.dryRun })
      core.setOutput('errors', outcome.errors)
      core.setOutput('warnings', outcome.warnings)
      core.setOutput('packages', outcome.touched.join(' '))
      if (outcome.errors > 0) core.setFailed(`Gantry found ${outcome.errors} error${outcome.errors === 1 ? '' : 's'}: see the pull request comment and annotations`)
      return
    }
    const outcome = await releaseOnPush({ api, workspace, auth, dryRun: inputs.dryRun })
    for (const r of outcome.released) core.info(`${r.tag}: tag ${r.tagPushed ? 'pushed' : 'already there'}, release ${r.releaseCreated ? 'created' : 'already there'}`)
    core.setOutput('versions', outcome.artifacts.map((a) => a.tag).filter(Boolean).join(' '))
    core.setOutput('created', outcome.artifacts.filter((a) => a.created).map((a) => a.tag).join(' '))
    const errors = outcome.diagnostics.filter((d) => d.severity === 'error')
    for (const d of errors) core.error(d.message, { title: `gantry ${d.code}`, ...(d.file ? { file: d.file } : {}), ...(d.line ? { startLine: d.line } : {}) })
    await core.summary
      .addHeading('Gantry release', 3)
      .addTable([
        [{ data: 'package', header: true }, { data: 'version', header: true }, { data: 'tag', header: true }, { data: 'new', header: true }],
        ...outcome.artifacts.map((a) => [a.package, a.version, a.tag ?? '', a.created ? 'yes' : 'no']),
      ])
      .write()
    if (errors.length > 0) core.setFailed(`Gantry could not release ${errors.length} package${errors.length === 1 ? '' : 's'}`)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''
    core.setFailed(`${message}${cause}`)
  }
}

function commandFor(eventName: string): 'validate' | 'release' {
  if (eventName === 'pull_request' || eventName === 'pull_request_target') return 'validate'
  return 'release'
}
