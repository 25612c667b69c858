import { type RemoteAuth, fetchPullRequestHead } from '../../adapters/git/remote.js'
import { readLedgers } from '../../adapters/git/repository-reader.js'
import type { RepositoryApi } from '../../adapters/github/repository-api.js'
import { annotate } from '../annotations.js'
import type { OpenRepository } from '../../commands/repository.js'
import type { Diagnostic } from '../../core/diagnostics.js'
import type { ItemId } from '../../core/names.js'
import { hiddenMarker, code, inert, markdownTable } from '../../core/render/markdown.js'

/**
 * A pull request into an environment branch that Gantry did not open: changes to a locked package's items
 * or to any ledger fail the check; changes to an unlocked package's items are reported as customizations.
 */
export async function checkEnvironmentPullRequest(input: {
  repository: OpenRepository
  api: RepositoryApi
  number: number
  baseBranch: string
  environment: string
  dryRun: boolean
  auth?: RemoteAuth
}): Promise<Diagnostic[]> {
  const { repository, api } = input
  const head = await repository.git.resolve(`refs/remotes/origin/${input.baseBranch}`)
  if (!head) throw new Error(`cannot find ${input.baseBranch} on origin`)
  const ledgers = await readLedgers(repository.git, head, repository.model.schemas)
  const owner = new Map<ItemId, { pkg: string; locked: boolean }>()
  for (const ledger of ledgers.values()) for (const id of Object.keys(ledger.items)) owner.set(id as ItemId, { pkg: ledger.package, locked: ledger.locked === true })
  const findings: Diagnostic[] = []
  const definitions = repository.paths.definitions
  for (const file of await changedFiles(repository, input.number, head, input.auth)) {
    if (file.startsWith('.gantry/installed/')) {
      findings.push({ severity: 'error', code: 'locked-item-modified', file, environment: input.environment, message: `${file} is a ledger: it changes only through promotion`, hint: 'revert the change to the ledger' })
      continue
    }
    const match = new RegExp(`^${definitions}/([^/]+)/([^/]+)\\.yaml$`).exec(file)
    if (!match) continue
    const id = `${match[1]}/${match[2]}` as ItemId
    const own = owner.get(id)
    if (!own) continue
    findings.push(
      own.locked
        ? { severity: 'error', code: 'locked-item-modified', file, item: id, package: own.pkg, environment: input.environment, message: `${id} belongs to locked package ${own.pkg}: it changes on ${input.baseBranch} only through promotion`, hint: `change it in the source repository and promote a new version of ${own.pkg}` }
        : { severity: 'warning', code: 'local-customization', file, item: id, package: own.pkg, environment: input.environment, message: `${id} of package ${own.pkg} is customized by hand in ${input.environment}`, hint: `the next promotion of ${own.pkg} merges or overwrites it` },
    )
  }
  annotate(findings)
  const marker = hiddenMarker('drift')
  const body = findings.length
    ? `${marker}\n**Gantry: this pull request changes items that promotions own**\n\n${markdownTable(['', 'file', 'message'], findings.map((d) => [d.severity === 'error' ? '❌' : '⚠️', code(d.file ?? ''), inert(d.message)]))}`
    : `${marker}\n✅ Gantry: no locked item or ledger is changed.`
  if (!input.dryRun) await api.upsertComment(input.number, marker, body)
  return findings
}

/**
 * The paths a pull request changes, as GitHub's "Files changed" counts them (the merge base of the base branch and
 * the head, against the head), computed with git: GitHub's file listing stops at 3,000 files, so a ledger change
 * can hide behind 3,000 others there. Renames count as both paths.
 */
async function changedFiles(repository: OpenRepository, number: number, base: string, auth: RemoteAuth | undefined): Promise<string[]> {
  const head = await fetchPullRequestHead(repository.dir, number, auth)
  const out = await repository.git.text(['diff', '--no-renames', '--name-only', '-z', `${base}...${head}`])
  return out.split('\0').filter(Boolean)
}
