import { stringify } from 'yaml'
import type { Bundle } from '../bundle/bundle.js'
import { sha256 } from '../bundle/canonical-json.js'
import type { Diagnostic } from '../diagnostics.js'
import type { Environment, EnvironmentLedger, GantryConfig, SourcePaths } from '../model/source-model.js'
import { type ItemId, parseItemId } from '../names.js'
import { compareVersions, parseRange, satisfies } from '../versions/versions.js'
import { readYaml } from '../yaml/read-yaml.js'
import { environmentDocument, environmentReferences, mergeDocuments, renderItemFile } from './environment-content.js'

export type ChangeAction = 'add' | 'update' | 'delete' | 'keep'

export interface PlannedChange {
  item: ItemId
  action: ChangeAction
  file: string
  /** Why a change is not the obvious one: a kind policy, a merge, a replacement. */
  note?: string
  /** The references replaced in this environment, source -> target. */
  replaced?: Record<string, string>
  /** Values that differ from the source because of this environment: `set` overrides and `replace`ments. */
  overrides?: { path: string; kind: 'set' | 'replace'; from?: unknown; to: unknown }[]
  /** For `update`: the fields that change on the branch, old -> new (dotted paths). */
  fields?: { path: string; from?: unknown; to?: unknown }[]
}

/** Where in the source a finding belongs, so validation can point at a line. */
export interface FindingLocation {
  item?: ItemId
  path: (string | number)[]
  key?: boolean
}

/** A finding with where it belongs in the source and, for references, the item referred to. */
export type PlanDiagnostic = Diagnostic & { at?: FindingLocation; target?: ItemId; viaReplacement?: boolean }

/** The environment branch as the planner needs it: read by an adapter, for the ids the planner asked for. */
export interface EnvironmentView {
  branch: string
  /** The commit the branch points at; undefined when the branch does not exist yet. */
  head?: string
  ledgers: ReadonlyMap<string, EnvironmentLedger>
  /** Bytes of items on the branch, for every id in `itemsNeededForPlan`; absent ids are not on the branch. */
  files: ReadonlyMap<ItemId, Uint8Array>
}

export interface PlanInput {
  bundle: Bundle
  digest: string
  config: GantryConfig
  paths: SourcePaths
  environment: Environment
  view: EnvironmentView
  /** This package's ledger in each environment named in `after` (undefined: not applied there). */
  upstream?: ReadonlyMap<string, EnvironmentLedger | undefined>
  /** Check `after:` ordering; off for pull-request validation of unreleased content. */
  enforceOrder: boolean
}

export interface PromotionPlan {
  ok: boolean
  package: string
  version: string
  environment: string
  branch: string
  rollback: boolean
  previousVersion: string | null
  changes: PlannedChange[]
  diagnostics: PlanDiagnostic[]
  /** The files to write (content) or delete (null), relative to the branch root. */
  writes: Map<string, string | null>
  /** The ledger as it will be after the apply (without the apply-time fields). */
  ledger: EnvironmentLedger
}

export function itemPath(paths: SourcePaths, id: ItemId): string {
  const parsed = parseItemId(id)
  if (!parsed) throw new Error(`not an item id: ${id}`)
  return `${paths.definitions}/${parsed.kind}/${parsed.name}.yaml`
}

export function ledgerPath(pkg: string): string {
  return `.gantry/installed/${pkg}.yaml`
}

/** Every item whose bytes on the branch the plan reads: the package's items, what it owned, what it refers to. */
export function itemsNeededForPlan(bundle: Bundle, environment: string, ledger: EnvironmentLedger | undefined): ItemId[] {
  const ids = new Set<ItemId>()
  const settings = bundle.environments[environment]
  for (const [id, item] of Object.entries(bundle.items) as [ItemId, Bundle['items'][ItemId]][]) {
    ids.add(id)
    for (const ref of environmentReferences(item, settings)) ids.add(ref.target)
  }
  for (const target of Object.values(settings?.replace ?? {})) ids.add(target as ItemId)
  for (const id of Object.keys(ledger?.items ?? {})) ids.add(id as ItemId)
  return [...ids].sort()
}

/**
 * Plans applying one package version to one environment branch: per item add / update / delete / keep with
 * the environment's replacements and overrides, kind policies and install mode, and every refusal as a
 * diagnostic. Pure: the same input always gives the same plan.
 */
export function planPromotion(input: PlanInput): PromotionPlan {
  const { bundle, config, paths, environment, view } = input
  const envName = environment.name
  const settings = bundle.environments[envName]
  const current = view.ledgers.get(bundle.package)
  const diagnostics: PlanDiagnostic[] = []
  const changes: PlannedChange[] = []
  const writes = new Map<string, string | null>()
  const ledgerItems: Record<string, string> = {}
  const base = { severity: 'error' as const, package: bundle.package, environment: envName }
  const rollback = current !== undefined && compareVersions(bundle.version, current.version) < 0
  const policy = (id: ItemId) => config.kinds?.[id.slice(0, id.indexOf('/'))] ?? {}
  const owners = ownersByItem(view.ledgers)

  // Ordering: the same version must be APPLIED in every environment this one comes after.
  if (input.enforceOrder && !rollback) {
    for (const before of environment.after ?? []) {
      const upstream = input.upstream?.get(before)
      if (upstream?.version !== bundle.version) {
        diagnostics.push({
          ...base,
          code: 'environment-order',
          message: `${bundle.package}@${bundle.version} must be applied in ${before} before ${envName} (${before} has ${upstream ? upstream.version : 'no version'})`,
          hint: `apply it to ${before} first`,
        })
      }
    }
  }

  // Dependencies, per the ledgers of this environment.
  bundle.dependencies.forEach((dep, index) => {
    const applied = view.ledgers.get(dep.package)
    const at: FindingLocation = { path: ['dependencies', index, 'package'] }
    if (!applied) {
      diagnostics.push({
        ...base,
        code: 'missing-dependency',
        at,
        message: `${bundle.package} needs ${dep.package}${dep.version ? ` ${dep.version}` : ''}, which is not applied in ${envName}`,
        hint: `promote ${dep.package} to ${envName} first`,
      })
      return
    }
    const range = dep.version === undefined ? undefined : parseRange(dep.version)
    if (range !== undefined && (typeof range === 'string' || !satisfies(applied.version, range))) {
      diagnostics.push({
        ...base,
        code: 'dependency-version',
        at: { path: ['dependencies', index, 'version'] },
        message: `${bundle.package} needs ${dep.package} ${dep.version}, but ${envName} has ${dep.package}@${applied.version}`,
        hint: `promote a matching version of ${dep.package} to ${envName} first`,
      })
    }
  })

  // Locked packages: an owned item changed on the branch by anything but a promotion is drift.
  if (current && (current.locked ?? bundle.locked)) {
    for (const [id, digest] of Object.entries(current.items) as [ItemId, string][]) {
      const bytes = view.files.get(id)
      const actual = bytes ? sha256(bytes) : undefined
      if (actual !== digest) {
        diagnostics.push({
          ...base,
          code: 'locked-item-modified',
          item: id,
          message: `${id} of locked package ${bundle.package} was ${actual ? 'changed' : 'deleted'} on ${view.branch} outside a promotion`,
          hint: `restore ${itemPath(paths, id)} on ${view.branch} (git revert the change), then promote again`,
        })
      }
    }
  }

  const after = new Set<ItemId>()
  for (const [id, item] of Object.entries(bundle.items) as [ItemId, Bundle['items'][ItemId]][]) {
    const file = itemPath(paths, id)
    const onBranch = view.files.get(id)
    const owned = current !== undefined && id in current.items
    const otherOwner = owners.get(id)
    if (onBranch && !owned) {
      const owner = otherOwner && otherOwner !== bundle.package ? `package ${otherOwner}` : 'nobody (it was created by hand)'
      diagnostics.push({
        ...base,
        code: 'name-conflict',
        item: id,
        at: { item: id, path: ['name'] },
        message: `${id} already exists in ${envName} and belongs to ${owner}`,
        hint:
          otherOwner && otherOwner !== bundle.package
            ? `rename the item, or move it into one package`
            : `delete ${file} on ${view.branch} or rename the item`,
      })
      continue
    }
    const replaced: Record<string, string> = {}
    for (const ref of environmentReferences(item, settings)) if (ref.replaced) replaced[ref.replaced] = ref.target
    const replacedNote = Object.keys(replaced).length > 0 ? { replaced } : {}
    if (onBranch && policy(id).update === 'never') {
      changes.push({ item: id, action: 'keep', file, note: 'kind policy update: never', ...replacedNote })
      ledgerItems[id] = sha256(onBranch)
      after.add(id)
      continue
    }
    if (!onBranch && policy(id).add === 'never') {
      changes.push({ item: id, action: 'keep', file, note: 'kind policy add: never: not added' })
      continue
    }
    let doc: unknown = environmentDocument(item, settings, id)
    let note: string | undefined
    // Merge only a file changed on the branch since this package applied it: an untouched file takes the
    // package's document as is, so keys a newer version dropped do not linger.
    const customized = onBranch !== undefined && sha256(onBranch) !== current?.items[id]
    if (onBranch && customized && bundle.install === 'merge') {
      const existing = readYaml(file, onBranch).parsed?.value
      if (existing !== undefined) {
        const merged = mergeDocuments(existing, doc)
        if (JSON.stringify(merged) !== JSON.stringify(doc)) note = 'merged: keys added on the branch are kept'
        doc = merged
      }
    }
    const content = renderItemFile(doc)
    const digest = sha256(content)
    const action: ChangeAction = !onBranch ? 'add' : sha256(onBranch) === digest ? 'keep' : 'update'
    if (action !== 'keep') writes.set(file, content)
    changes.push({ item: id, action, file, ...(note ? { note } : {}), ...replacedNote })
    ledgerItems[id] = digest
    after.add(id)
  }

  // Items this package owned and the version no longer has.
  for (const id of Object.keys(current?.items ?? {}).sort() as ItemId[]) {
    if (id in bundle.items) continue
    const file = itemPath(paths, id)
    const onBranch = view.files.get(id)
    const remove = (bundle.install === 'overwrite' || rollback) && policy(id).delete !== 'never'
    if (remove) {
      if (onBranch) writes.set(file, null)
      changes.push({ item: id, action: 'delete', file, ...(rollback && bundle.install !== 'overwrite' ? { note: 'rollback removes what the newer version added' } : {}) })
    } else if (onBranch) {
      changes.push({ item: id, action: 'keep', file, note: policy(id).delete === 'never' ? 'kind policy delete: never' : 'install: merge keeps dropped items' })
      ledgerItems[id] = sha256(onBranch)
      after.add(id)
    }
  }

  // Replacement targets and references must resolve in the environment after the apply.
  const deleted = new Set([...writes.entries()].filter(([, v]) => v === null).map(([k]) => k))
  const resolves = (id: ItemId) => after.has(id) || (view.files.has(id) && !deleted.has(itemPath(paths, id)))
  for (const [source, target] of Object.entries(settings?.replace ?? {}) as [ItemId, ItemId][]) {
    if (resolves(target)) continue
    diagnostics.push({
      ...base,
      code: 'replacement-target-missing',
      item: target,
      at: { path: ['environments', envName, 'replace', source] },
      message: `${envName} replaces ${source} with ${target}, which does not exist in ${envName}`,
      hint: `promote the package that has ${target} to ${envName} first, or add it to this package`,
    })
  }
  for (const [id, item] of Object.entries(bundle.items) as [ItemId, Bundle['items'][ItemId]][]) {
    if (!after.has(id)) continue
    environmentReferences(item, settings).forEach((ref, index) => {
      if (resolves(ref.target)) return
      const refPath = item.references[index]!.path
      diagnostics.push({
        ...base,
        code: 'unresolved-in-environment',
        item: id,
        target: ref.target,
        ...(ref.replaced ? { viaReplacement: true } : {}),
        at: { item: id, path: refPath },
        message: `${id} refers to ${ref.target}${ref.replaced ? ` (replacing ${ref.replaced})` : ''}, which would not exist in ${envName}`,
        hint: `promote the package that has ${ref.target} to ${envName} first`,
      })
    })
  }

  const ledger: EnvironmentLedger = {
    package: bundle.package,
    version: bundle.version,
    digest: input.digest,
    environment: envName,
    locked: bundle.locked,
    items: sortRecord(ledgerItems),
    rollback,
    previousVersion: current?.version ?? null,
  }
  const ok = diagnostics.every((d) => d.severity !== 'error')
  changes.sort((a, b) => a.item.localeCompare(b.item))
  return {
    ok,
    package: bundle.package,
    version: bundle.version,
    environment: envName,
    branch: environment.branch,
    rollback,
    previousVersion: current?.version ?? null,
    changes,
    diagnostics,
    writes,
    ledger,
  }
}

function ownersByItem(ledgers: ReadonlyMap<string, EnvironmentLedger>): Map<ItemId, string> {
  const owners = new Map<ItemId, string>()
  for (const [pkg, ledger] of ledgers) for (const id of Object.keys(ledger.items)) owners.set(id as ItemId, pkg)
  return owners
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of Object.keys(record).sort()) out[key] = record[key]!
  return out
}

/** The ledger file's text, with the apply-time fields. */
export function renderLedger(ledger: EnvironmentLedger): string {
  return stringify(ledger, { lineWidth: 0, version: '1.2' })
}
