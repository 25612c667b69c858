import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { EventReport } from '../local-github/workflows/runner.js'
import type { ActionRun } from './action-runner.js'
import { OWNER, type PromotionRepo } from './promotion-harness.js'

// Events that the promotion harness has no method for, produced on the local GitHub and left to the workflows
// of examples/workflows to decide what runs: a pull request opened or merged by a person, a review dismissed,
// a tag pushed by a person, "Run workflow" with any inputs, and "Re-run all jobs". No helper here starts the
// action itself.

/** Does what `act` does (anything a person does on GitHub), then lets the workflows run for its events. */
export async function events(
  repo: PromotionRepo,
  what: string,
  act: () => Promise<unknown>,
  expectSuccess = true,
): Promise<ActionRun> {
  const mark = repo.runner.mark()
  await act()
  return repo.drive(repo.runner.since(mark), what, expectSuccess)
}

/**
 * Does what `act` does and returns what it returned and the events it produced, not yet seen by any run
 * (drive them later with `repo.drive`: GitHub starts runs some time after the event).
 */
export async function produce<T>(repo: PromotionRepo, act: () => Promise<T>): Promise<[T, EventReport[]]> {
  const mark = repo.runner.mark()
  const value = await act()
  return [value, repo.runner.since(mark)]
}

/** "Run workflow" on promotion.yml by `login` (ada, an admin, by default) with exactly these inputs. */
export function runWorkflow(
  repo: PromotionRepo,
  inputs: Record<string, string>,
  options: { expectSuccess?: boolean; login?: string } = {},
): Promise<ActionRun> {
  const login = options.login ?? 'ada'
  return events(
    repo,
    `manual run by ${login}`,
    () =>
      repo.octokit(login).rest.actions.createWorkflowDispatch({
        owner: OWNER,
        repo: repo.name,
        workflow_id: 'promotion.yml',
        ref: 'main',
        inputs,
      }),
    options.expectSuccess !== false,
  )
}

/** GitHub's "Re-run all jobs" of the runs an earlier event started (its event delivered again). */
export function rerun(repo: PromotionRepo, report: EventReport, expectSuccess = true): Promise<ActionRun> {
  return repo.drive([repo.runner.redeliver(report)], `re-run of the ${report.name} runs`, expectSuccess)
}

/** The push event of `ref` to `after`, among the events so far (the latest one). */
export function pushEvent(repo: PromotionRepo, ref: string, after?: string): EventReport {
  const found = repo.runner.reports
    .filter(
      (r) =>
        r.name === 'push' &&
        'ref' in r.source &&
        r.source.ref === ref &&
        (after === undefined || r.source.after === after),
    )
    .at(-1)
  if (!found) throw new Error(`no push of ${ref}${after ? ` to ${after}` : ''}`)
  return found
}

/** Git as a person with a clone, optionally claiming Gantry's identity in commit metadata; stdout, trimmed. */
export async function gitAs(cwd: string, args: string[], identity = { name: 'Quinn', email: 'quinn@example.com' }): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  }
  const { stdout } = await promisify(execFile)('git', args, { cwd, env, encoding: 'utf8' })
  return stdout.trim()
}
