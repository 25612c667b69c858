import type { EnvironmentLedger } from './source-model.js'

/** One version of a package's ledger file on an environment branch, as git has it. */
export interface LedgerRevision {
  /** The commit on the environment branch (first-parent history) that changed the ledger. */
  commit: string
  /** The commit's committer date, ISO 8601. */
  committedAt: string
  /** The commit's author as git records it (`name <email>`): anyone who can push can write any name here. */
  author: string
  /** The ledger at that commit; null when the file was deleted, undefined when it is not a valid ledger. */
  ledger: EnvironmentLedger | null | undefined
}

/**
 * Where `by` comes from, from most to least trustworthy:
 * - `github`: the promotion pull request as GitHub recorded it and Gantry wrote it into the ledger after the
 *   merge (merged by, reviews on the approved SHA); `gantry` means Gantry's App merged it after approval;
 * - `cli`: the user name of the machine that ran `gantry apply` (or GITHUB_ACTOR), not verified by anything;
 * - `git`: the author of the commit, which whoever writes the commit sets freely.
 */
export type AuthorSource = 'github' | 'cli' | 'git'

export interface HistoryEntry {
  action: 'apply' | 'rollback' | 'remove' | 'edit'
  version: string | null
  /** The version this one replaced, when the ledger says so. */
  previousVersion: string | null
  /** When it was applied (the ledger's `appliedAt`, else the commit's date). */
  at: string
  commit: string
  by: string | null
  source: AuthorSource
  approvers: { login: string; sha: string }[]
  promotion: number | null
}

/**
 * A package's history in one environment, newest first, from the revisions of its ledger (oldest first):
 * each apply and rollback once. The commit that records a promotion's bookkeeping after its merge (promotion
 * number, approvers, merger, time) completes the apply it belongs to instead of adding an entry; a change of
 * the ledger that is neither is an `edit`, and a deleted ledger a `remove`, both by the commit's git author.
 */
export function ledgerHistory(revisions: readonly LedgerRevision[]): HistoryEntry[] {
  const entries: HistoryEntry[] = []
  let previous: EnvironmentLedger | null | undefined = null
  for (const revision of revisions) {
    const { ledger } = revision
    const byGit = { by: revision.author, source: 'git' as const, at: revision.committedAt, commit: revision.commit }
    const last = entries.at(-1)
    if (ledger === null) {
      if (previous !== null) entries.push({ action: 'remove', version: null, previousVersion: previous?.version ?? null, approvers: [], promotion: null, ...byGit })
    } else if (ledger === undefined) {
      entries.push({ action: 'edit', version: null, previousVersion: previous?.version ?? null, approvers: [], promotion: null, ...byGit })
    } else if (previous && last && previous.version === ledger.version && previous.digest === ledger.digest) {
      if (typeof ledger.promotion === 'number' && ledger.promotion !== previous.promotion) {
        // Gantry's bookkeeping after the merge: the apply now has its GitHub record.
        Object.assign(last, {
          // The squash merge that carried it may have looked like an edit (the same version already there).
          action: ledger.rollback ? 'rollback' : last.action === 'edit' ? 'apply' : last.action,
          promotion: ledger.promotion,
          approvers: ledger.approvers ?? [],
          by: ledger.appliedBy ?? null,
          source: 'github',
          at: ledger.appliedAt ?? last.at,
        })
      } else entries.push({ action: 'edit', version: ledger.version, previousVersion: previous.version, approvers: [], promotion: null, ...byGit })
    } else {
      const promotion = typeof ledger.promotion === 'number' ? ledger.promotion : null
      const who =
        promotion !== null
          ? { by: ledger.appliedBy ?? null, source: 'github' as const }
          : ledger.appliedBy
            ? { by: ledger.appliedBy, source: 'cli' as const }
            : { by: revision.author, source: 'git' as const }
      entries.push({
        action: ledger.rollback ? 'rollback' : 'apply',
        version: ledger.version,
        previousVersion: ledger.previousVersion ?? (previous ? previous.version : null),
        at: ledger.appliedAt ?? revision.committedAt,
        commit: revision.commit,
        ...who,
        approvers: ledger.approvers ?? [],
        promotion,
      })
    }
    previous = ledger
  }
  return entries.reverse()
}
