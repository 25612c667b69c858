/**
 * The pull requests a version came from, read from the default branch's first-parent history between the
 * version an environment runs and the one promoted. GitHub writes the number into the commit a merge makes
 * ("About pull request merges" in GitHub's docs): a merge commit's subject is `Merge pull request #12 from
 * owner/branch` with the pull request's title as its body, a squash merge's subject is `<title> (#12)`. A
 * commit pushed without a pull request names none and is left out; a rebase merge leaves no number either.
 */
export interface SourcePullRequest {
  number: number
  title?: string
}

/** One commit of `git log --format=%s%x00%b%x1e`: its subject and body. */
export interface CommitMessage {
  subject: string
  body: string
}

export function pullRequestsOf(commits: readonly CommitMessage[]): SourcePullRequest[] {
  const found = new Map<number, SourcePullRequest>()
  for (const { subject, body } of commits) {
    const merge = /^Merge pull request #(\d+) from \S+/.exec(subject)
    const squash = merge ? null : /^(.*\S)\s+\(#(\d+)\)$/.exec(subject)
    const number = Number(merge?.[1] ?? squash?.[2])
    if (!Number.isSafeInteger(number) || number <= 0 || found.has(number)) continue
    const title = merge ? body.split('\n').map((l) => l.trim()).find(Boolean) : squash![1]
    found.set(number, { number, ...(title ? { title } : {}) })
  }
  return [...found.values()]
}

/** Splits the output of `git log --format=%s%x00%b%x1e` into messages. */
export function parseCommitMessages(log: string): CommitMessage[] {
  return log
    .split('\x1e')
    .map((entry) => entry.replace(/^\n/, ''))
    .filter((entry) => entry.includes('\0'))
    .map((entry) => {
      const [subject, body] = entry.split('\0') as [string, string]
      return { subject, body: body ?? '' }
    })
}
