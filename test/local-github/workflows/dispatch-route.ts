// POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches: starts a workflow_dispatch event for
// one workflow file at one ref. GitHub answers 204, 404 for an unknown workflow, 422 when the workflow has no
// workflow_dispatch trigger or the ref is unknown.
import {
  ApiError,
  noContent,
  repositoryOf,
  requirePermission,
  validationFailed,
  type RouteTable,
} from '../http-util.js'

export const dispatchRoutes: RouteTable = {
  'actions/create-workflow-dispatch': async (ctx) => {
    const repo = repositoryOf(ctx)
    const user = requirePermission(ctx, repo, 'write')
    const body = (ctx.body ?? {}) as { ref?: unknown; inputs?: unknown }
    const workflow = ctx.params.workflow_id ?? ''
    if (typeof body.ref !== 'string')
      throw validationFailed([{ resource: 'WorkflowDispatch', field: 'ref', code: 'missing_field' }])
    const git = ctx.hub.git(repo)
    const ref = body.ref.startsWith('refs/') ? body.ref : `refs/heads/${body.ref}`
    const sha = (await git.readRef(ref)) ?? (await git.readRef(`refs/tags/${body.ref}`))
    if (!sha) throw new ApiError(422, `No ref found for: ${body.ref}`)
    const entry =
      (await git.entryAt(sha, `.github/workflows/${workflow}`)) ??
      (await git.entryAt(sha, `.github/workflows/${workflow}`.replace(/\.yml$/, '.yaml')))
    if (!entry) throw new ApiError(404, 'Not Found')
    const text = (await git.readBlob(entry.sha)).toString('utf8')
    if (!/\bworkflow_dispatch\b/.test(text))
      throw new ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
    const inputs = Object.fromEntries(
      Object.entries((body.inputs ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    )
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(ctx.headers.authorization ?? '')?.[1]
    ctx.hub.emit({
      repo,
      name: 'workflow_dispatch',
      sender: user.login,
      ref,
      workflow,
      inputs,
      ...(token ? { token } : {}),
    })
    return noContent()
  },
}
