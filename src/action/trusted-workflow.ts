import { basename } from 'node:path'
import { parse } from 'yaml'
import type { Git } from '../adapters/git/git.js'
import { DEFAULT_TRUSTED_WORKFLOW, PULL_REQUEST_INPUT } from '../core/promotion/relay-workflow.js'

/**
 * The workflow file the environment branches' relay dispatches: the one on the default branch whose
 * `workflow_dispatch` takes the `pull-request` input (examples/workflows/promotion.yml, under whatever name it
 * was copied). Read from the default branch, so every run (release, promotion, schedule) writes the same
 * relay; a relay naming a file that is not there would make GitHub answer 404, and reviews, pushes and closes
 * of promotion pull requests would wait for the scheduled run. None or several: the default name, said in the log.
 */
export async function findTrustedWorkflow(git: Git, ref: string, log: (message: string) => void): Promise<string> {
  const files = (await git.listTree(ref, { paths: ['.github/workflows/'], fullTree: true })).filter((e) => e.type === 'blob' && /\.ya?ml$/.test(e.path))
  const blobs = await git.readBlobs(files.map((f) => f.sha))
  const takes: string[] = []
  for (const file of files) {
    let doc: unknown
    try {
      doc = parse(blobs.get(file.sha)?.toString('utf8') ?? '')
    } catch {
      continue
    }
    const on = (doc as { on?: unknown } | null)?.on
    const dispatch = on && typeof on === 'object' ? (on as Record<string, unknown>).workflow_dispatch : undefined
    const inputs = dispatch && typeof dispatch === 'object' ? (dispatch as { inputs?: unknown }).inputs : undefined
    if (inputs && typeof inputs === 'object' && PULL_REQUEST_INPUT in inputs) takes.push(basename(file.path))
  }
  if (takes.length === 1) return takes[0]!
  if (takes.includes(DEFAULT_TRUSTED_WORKFLOW)) return DEFAULT_TRUSTED_WORKFLOW
  log(
    takes.length === 0
      ? `no workflow on the default branch takes the workflow_dispatch input ${PULL_REQUEST_INPUT}: the relay dispatches ${DEFAULT_TRUSTED_WORKFLOW}`
      : `several workflows take the workflow_dispatch input ${PULL_REQUEST_INPUT} (${takes.join(', ')}): the relay dispatches ${takes.sort()[0]}`,
  )
  return takes.sort()[0] ?? DEFAULT_TRUSTED_WORKFLOW
}
