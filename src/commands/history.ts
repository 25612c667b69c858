import type { Bundle } from '../core/bundle/bundle.js'
import type { Diagnostic } from '../core/diagnostics.js'
import { type FieldChange, fieldChanges } from '../core/diff/field-changes.js'
import { versionsOf } from '../core/model/released-version.js'
import { compareVersions } from '../core/versions/versions.js'
import { findRelease, loadVerifiedBundle } from './artifacts.js'
import { UsageError } from './errors.js'
import { openRepository } from './repository.js'
import { deriveStatus } from './status.js'
import { parseTarget } from './promote.js'

export interface LogEntry {
  version: string
  tag: string
  commit: string
  digest: string | null
  notes: string | null
  environments: Record<string, 'APPLIED'>
}

/** The last versions of a package, newest first, with notes and where each is applied now. */
export async function logCommand(options: { repo: string; pkg: string; limit?: number }): Promise<{ package: string; versions: LogEntry[] }> {
  const repository = await openRepository(options.repo)
  if (!repository.model.packages.has(options.pkg) && versionsOf(repository.released, options.pkg).length === 0) {
    throw new UsageError(`package ${options.pkg} does not exist and has no released version`)
  }
  const status = await deriveStatus(repository)
  const current = status.packages.find((p) => p.name === options.pkg)
  const versions = versionsOf(repository.released, options.pkg)
    .sort((a, b) => compareVersions(b.version, a.version))
    .slice(0, options.limit ?? 20)
    .map((r) => {
      const environments: Record<string, 'APPLIED'> = {}
      for (const [env, s] of Object.entries(current?.environments ?? {})) if (s.version === r.version) environments[env] = 'APPLIED'
      return { version: r.version, tag: r.tag, commit: r.commit, digest: r.digest ?? null, notes: r.notes ?? null, environments }
    })
  return { package: options.pkg, versions }
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
