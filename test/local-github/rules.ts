// GitHub's rules on who may change which ref, in one place for git pushes, API ref updates and merges:
// branch protection ("About protected branches") and repository rulesets ("About rulesets", "Available rules for
// rulesets"), with their bypass actors and GitHub's refusal messages (GH006 for protection, GH013 for rulesets).
import { hasPermission, validationFailed } from './http-util.js'
import type { Hub } from './hub.js'
import { ZERO_SHA } from './git-plumbing.js'
import type { RepositoryRecord, RequiredStatusCheck, Ruleset } from './types.js'

export type RefChange = 'create' | 'update' | 'delete'

/** Why a ref change is refused: the code GitHub prints over git and the rule lines it lists. */
export interface Refusal {
  code: 'GH006' | 'GH013'
  ref: string
  reasons: string[]
}

/**
 * fnmatch as rulesets' `ref_name` conditions use it: `*` does not cross `/`, `**` does, `?` is one character;
 * `~ALL` matches every ref.
 */
export function refPatternMatches(pattern: string, name: string): boolean {
  if (pattern === '~ALL') return true
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*'
      i++
    } else if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`).test(name)
}

/** The rulesets that apply to a full ref name (refs/heads/... or refs/tags/...). */
export function rulesetsFor(repo: RepositoryRecord, ref: string): Ruleset[] {
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : null
  return repo.rulesets.filter((set) => {
    const name = set.target === 'branch' ? branch : tag
    return name !== null && set.include.some((pattern) => refPatternMatches(pattern, name))
  })
}

/** Bypass actors skip every rule of their ruleset ("Granting bypass permissions for your ruleset"). */
function bypasses(set: Ruleset, login: string): boolean {
  return set.bypass.some((actor) => actor.toLowerCase() === login.toLowerCase())
}

/** The rulesets on `ref` that bind `login`. */
export function bindingRulesets(repo: RepositoryRecord, ref: string, login: string): Ruleset[] {
  return rulesetsFor(repo, ref).filter((set) => !bypasses(set, login))
}

/**
 * What a direct change (a git push or an API ref update, not a merge) of `ref` by `login` runs into, or null.
 * `forced` is a push that is not a fast-forward.
 */
export function directChangeRefusal(
  hub: Hub,
  repo: RepositoryRecord,
  login: string,
  ref: string,
  change: RefChange,
  forced = false,
): Refusal | null {
  const reasons: string[] = []
  for (const set of bindingRulesets(repo, ref, login)) {
    if (change === 'create' && set.restrictCreations) reasons.push('Cannot create ref due to creations being restricted.')
    if (change === 'update' && set.restrictUpdates) reasons.push('Cannot update this protected ref.')
    if (change === 'delete' && set.restrictDeletions) reasons.push('Cannot delete this protected ref.')
    if (change === 'update' && forced && set.blockForcePushes) reasons.push('Cannot force-push to this branch')
    if (change !== 'delete' && set.requiredApprovals !== undefined) reasons.push('Changes must be made through a pull request.')
    if (change !== 'delete' && set.requiredStatusChecks?.length) {
      for (const check of set.requiredStatusChecks) reasons.push(`Required status check "${check.context}" is expected.`)
    }
  }
  if (reasons.length > 0) return { code: 'GH013', ref, reasons: [...new Set(reasons)] }
  if (hub.protectedRefsFor(login, repo).includes(ref)) {
    return { code: 'GH006', ref, reasons: ['Changes must be made through a pull request.'] }
  }
  return null
}

/** GitHub's text for a refused push, as `git push` prints it after `remote: `. */
export function pushRefusalText(repo: RepositoryRecord, webUrl: string, refusal: Refusal): string {
  if (refusal.code === 'GH006') {
    return [
      `error: GH006: Protected branch update failed for ${refusal.ref}.`,
      ...refusal.reasons.map((reason) => `error: ${reason}`),
    ].join('\n')
  }
  return [
    `error: GH013: Repository rule violations found for ${refusal.ref}.`,
    `Review all repository rules at ${webUrl}/${repo.owner}/${repo.name}/rules?ref=${encodeURIComponent(refusal.ref)}`,
    '',
    ...refusal.reasons.map((reason) => `- ${reason}`),
    '',
  ].join('\n')
}

/** GitHub's API message for a change refused by rulesets (ref updates answer 422, merges 405). */
export function apiRefusalMessage(refusal: Refusal): string {
  if (refusal.code === 'GH006') return `Protected branch update failed for ${refusal.ref}.`
  return `Repository rule violations found\n\n${refusal.reasons.join('\n')}\n\n`
}

/** The kind of change from git's old and new shas. */
export function changeKind(before: string, after: string): RefChange {
  if (before === ZERO_SHA) return 'create'
  if (after === ZERO_SHA) return 'delete'
  return 'update'
}

/** Whether the required check passed on `sha`: a successful check run (from `app` when given) or status. */
export function checkPassed(repo: RepositoryRecord, sha: string, check: RequiredStatusCheck): boolean {
  const runs = repo.checkRuns
    .filter((run) => run.headSha === sha && run.name === check.context)
    .filter((run) => check.app === undefined || run.creator.toLowerCase() === check.app.toLowerCase())
  const latestRun = runs.sort((a, b) => b.id - a.id)[0]
  if (latestRun) return latestRun.status === 'completed' && ['success', 'neutral', 'skipped'].includes(latestRun.conclusion ?? '')
  // A commit status has no App behind it: it cannot satisfy a check required from a specific App.
  if (check.app !== undefined) return false
  const status = repo.statuses.filter((s) => s.sha === sha && s.context === check.context).sort((a, b) => b.id - a.id)[0]
  return status?.state === 'success'
}

/**
 * Why a merge of a pull request into `baseRef` by `login` is refused by rules beyond reviews (restrict updates,
 * required status checks), or null. GitHub answers such a merge 405.
 */
export function mergeRefusal(
  repo: RepositoryRecord,
  login: string,
  baseRef: string,
  headSha: string,
  approvals: number,
): string | null {
  const ref = `refs/heads/${baseRef}`
  const reasons: string[] = []
  for (const set of bindingRulesets(repo, ref, login)) {
    if (set.restrictUpdates) reasons.push('Cannot update this protected ref.')
    const required = set.requiredApprovals ?? 0
    if (approvals < required) {
      reasons.push(`At least ${required} approving review${required === 1 ? ' is' : 's are'} required by reviewers with write access.`)
    }
    for (const check of set.requiredStatusChecks ?? []) {
      if (!checkPassed(repo, headSha, check)) reasons.push(`Required status check "${check.context}" is expected.`)
    }
  }
  if (reasons.length > 0) return apiRefusalMessage({ code: 'GH013', ref, reasons: [...new Set(reasons)] })
  for (const check of repo.protection[baseRef]?.requiredStatusChecks ?? []) {
    if (!checkPassed(repo, headSha, check)) return `Required status check "${check.context}" is expected.`
  }
  return null
}

/** Roles: the triage role manages issues and pull requests (labels, close, reopen) without write access. */
export function canTriageRole(hub: Hub, repo: RepositoryRecord, login: string): boolean {
  return hasPermission(hub.permissionOf(login, repo), 'triage')
}

/**
 * GitHub's cap on issue, pull request and comment bodies: 65,536 characters (a longer one is refused with 422
 * "body is too long (maximum is 65536 characters)").
 */
export const MAX_BODY_CHARACTERS = 65_536

export function bodyTooLong(body: string | null | undefined): boolean {
  // GitHub counts characters (code points), not UTF-16 units or bytes.
  return typeof body === 'string' && body.length > MAX_BODY_CHARACTERS && [...body].length > MAX_BODY_CHARACTERS
}

/** Refuses a body over GitHub's limit with 422 Validation Failed, naming the resource as GitHub does. */
export function assertBodyLength(
  resource: 'Issue' | 'PullRequest' | 'IssueComment' | 'PullRequestReview',
  body: string | null | undefined,
): void {
  if (!bodyTooLong(body)) return
  throw validationFailed([
    { resource, code: 'custom', field: 'body', message: `body is too long (maximum is ${MAX_BODY_CHARACTERS} characters)` },
  ])
}
