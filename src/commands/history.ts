import type { Bundle } from '../core/bundle/bundle.js'
import type { Diagnostic } from '../core/diagnostics.js'
import { type FieldChange, fieldChanges } from '../core/diff/field-changes.js'
import { type HistoryEntry, type LedgerRevision, ledgerHistory } from '../core/model/ledger-history.js'
import { versionsOf } from '../core/model/released-version.js'
import { ledgerPath } from '../core/promotion/plan-promotion.js'
import { ledgerProblems } from '../core/schema/ledger-check.js'
import { readYaml } from '../core/yaml/read-yaml.js'
import { compareVersions } from '../core/versions/versions.js'
import { findRelease, loadVerifiedBundle } from './artifacts.js'
import { UsageError } from './errors.js'
import { type OpenRepository, openRepository } from './repository.js'
import { deriveStatus } from './status.js'
import { parseTarget } from './promote.js'

export interface LogEntry {
  version: string
  tag: string
  commit: string
  digest: string | null
  notes: string | null
  environments: Record<string, 'APPLIED'>
  /** When the version was released: the date of its annotated tag (ISO 8601). */
  released: string | null
}

export type { HistoryEntry }

export interface LogResult {
  package: string
  versions: LogEntry[]
  /** Per environment (in gantry.yaml's order): the package's applies, rollbacks and removals, newest first. */
  history: Record<string, HistoryEntry[]>
  /** Each environment's time zone, for text output (not part of the JSON). */
  zones: Record<string, string>
}

/** How far back each environment's history goes. */
const HISTORY_LIMIT = 50

/**
 * The last versions of a package, newest first, with notes, release date and where each is applied now; and
 * per environment what was applied when, by whom and approved by whom, from the ledger's history on the branch.
 */
export async function logCommand(options: { repo: string; pkg: string; limit?: number }): Promise<LogResult> {
  const repository = await openRepository(options.repo)
  if (!repository.model.packages.has(options.pkg) && versionsOf(repository.released, options.pkg).length === 0) {
    throw new UsageError(`package ${options.pkg} does not exist and has no released version`)
  }
  const status = await deriveStatus(repository)
  const dates = await tagDates(repository, options.pkg)
  const current = status.packages.find((p) => p.name === options.pkg)
  const versions = versionsOf(repository.released, options.pkg)
    .sort((a, b) => compareVersions(b.version, a.version))
    .slice(0, options.limit ?? 20)
    .map((r) => {
      const environments: Record<string, 'APPLIED'> = {}
      for (const [env, s] of Object.entries(current?.environments ?? {})) if (s.version === r.version) environments[env] = 'APPLIED'
      return { version: r.version, tag: r.tag, commit: r.commit, digest: r.digest ?? null, notes: r.notes ?? null, environments, released: dates.get(r.tag) ?? null }
    })
  const history: Record<string, HistoryEntry[]> = {}
  for (const env of repository.config.environments) history[env.name] = ledgerHistory(await ledgerRevisions(repository, env.branch, options.pkg))
  const zones = Object.fromEntries(repository.config.environments.map((e) => [e.name, e.timezone ?? 'UTC']))
  return { package: options.pkg, versions, history, zones }
}

/** The creation date of each tag of the package. */
async function tagDates(repository: OpenRepository, pkg: string): Promise<Map<string, string>> {
  const out = await repository.git.text(['for-each-ref', '--format=%(refname:strip=2)%00%(creatordate:iso-strict)', `refs/tags/${pkg}@*`])
  const dates = new Map<string, string>()
  for (const line of out.split('\n')) {
    const [tag, date] = line.split('\0')
    if (tag && date) dates.set(tag, date)
  }
  return dates
}

/**
 * The revisions of the package's ledger on the environment branch, oldest first: the first-parent history
 * (the branch's own commits, a promotion's squash merge included), read in one batch.
 */
async function ledgerRevisions(repository: OpenRepository, branch: string, pkg: string): Promise<LedgerRevision[]> {
  const { git, model } = repository
  const resolved = await git.resolveBranch(branch)
  if (!resolved) return []
  const path = ledgerPath(pkg)
  const out = await git.text(['log', '--first-parent', `--max-count=${HISTORY_LIMIT}`, '--format=%H%x00%cI%x00%an <%ae>', resolved.head, '--', path])
  const commits = out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\0') as [string, string, string])
    .reverse()
  const blobs = await git.readBlobs(commits.map(([commit]) => `${commit}:${path}`))
  return commits.map(([commit, committedAt, author]) => {
    const bytes = blobs.get(`${commit}:${path}`)
    const ledger = bytes ? (ledgerProblems(readYaml(path, bytes), `${pkg}.yaml`, branch, model.schemas).ledger ?? undefined) : null
    return { commit, committedAt, author, ledger }
  })
}

export type { FieldChange }

export interface DiffResult {
  ok: boolean
  package: string
  from: string
  to: string
  added: string[]
  removed: string[]
  changed: { item: string; fields: FieldChange[] }[]
  manifest: FieldChange[]
  diagnostics: Diagnostic[]
}

/** What changed between two released versions: items added, removed, and field by field. */
export async function diffCommand(options: { repo: string; from: string; to: string }): Promise<DiffResult> {
  const a = parseTarget(options.from)
  const b = parseTarget(options.to)
  if (a.pkg !== b.pkg || !a.version || !b.version) throw new UsageError('diff takes <package>@<a> <package>@<b> of one package')
  const repository = await openRepository(options.repo)
  const left = await loadVerifiedBundle(repository, findRelease(repository, a.pkg, a.version))
  const right = await loadVerifiedBundle(repository, findRelease(repository, b.pkg, b.version))
  const diagnostics = [...left.diagnostics, ...right.diagnostics]
  const base = { package: a.pkg, from: a.version, to: b.version }
  if (!left.verified || !right.verified) return { ok: false, ...base, added: [], removed: [], changed: [], manifest: [], diagnostics }
  const x = left.verified.bundle
  const y = right.verified.bundle
  const added = Object.keys(y.items).filter((id) => !(id in x.items)).sort()
  const removed = Object.keys(x.items).filter((id) => !(id in y.items)).sort()
  const changed = Object.keys(y.items)
    .filter((id) => id in x.items && x.items[id as keyof Bundle['items']]!.digest !== y.items[id as keyof Bundle['items']]!.digest)
    .sort()
    .map((id) => ({ item: id, fields: fieldChanges(x.items[id as keyof Bundle['items']]!.document, y.items[id as keyof Bundle['items']]!.document) }))
  const manifestOf = (bundle: Bundle) => {
    const { items: _i, delta: _d, version: _v, contentDigest: _c, ...rest } = bundle
    return rest
  }
  return { ok: true, ...base, added, removed, changed, manifest: fieldChanges(manifestOf(x), manifestOf(y)), diagnostics }
}
