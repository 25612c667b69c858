import { stringify } from 'yaml'
import { type Bundle, bundleHasItem, bundleItemEntries, referenceCountOf, referenceTargetOf } from '../bundle/bundle.js'
import { sha256 } from '../bundle/canonical-json.js'
import type { Diagnostic } from '../diagnostics.js'
import type { Environment, EnvironmentLedger, EnvironmentSettings, GantryConfig, SourcePaths } from '../model/source-model.js'
import { type ItemId, parseItemId } from '../names.js'
import { compareVersions, parseRange, satisfies } from '../versions/versions.js'
import { readYaml } from '../yaml/read-yaml.js'
import { fieldChanges } from '../diff/field-changes.js'
import {
  environmentDocument,
  environmentReferences,
  mergeDocuments,
  overrideProblem,
  type ItemSource,
  renderItemFile,
  replacementOf,
  valueAtDotted,
} from './environment-content.js'

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

/** An item on the branch that refers to another: who would break if the other went away. */
export interface Referrer {
  package: string
  item: ItemId
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
  /**
   * Bytes of items on the branch, for every id in `itemsNeededForPlan`; absent ids are not on the branch
   * (nor in `present`).
   */
  files: ReadonlyMap<ItemId, Uint8Array>
  /**
   * Ids on the branch as files whose bytes were not read: what `planDiagnostics` needs of an item that is not
   * of a locked package. A plan's rows need the bytes of every item of the package.
   */
  present?: ReadonlySet<ItemId>
  /**
   * Ids whose file cannot be written because hand-made content is in the way (a folder at the file's path,
   * a file where a folder is needed), with what is there.
   */
  obstructed?: ReadonlyMap<ItemId, string>
  /**
   * For items the plan may delete: the items of other installed packages on the branch that refer to them.
   * Read by the adapter once a first plan shows deletions.
   */
  referrers?: ReadonlyMap<ItemId, readonly Referrer[]>
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
  /**
   * Checks an item's spec against its kind schema: messages, empty when valid. Absent when the kind schemas
   * are not at hand; the override paths are still checked.
   */
  checkSpec?: (kind: string, spec: unknown) => string[]
}

export interface PromotionPlan {
  ok: boolean
  package: string
  version: string
  environment: string
  branch: string
  rollback: boolean
  previousVersion: string | null
  /** Rows sorted: deletions first, then adds, updates, keeps; each by item id. */
  changes: PlannedChange[]
  counts: { add: number; update: number; delete: number; keep: number }
  /** The package's instructions, for the people who apply or approve. */
  instructions?: { step: string; when: 'before' | 'after'; rollback?: true }[]
  /** The release date the package sets for this environment, as written (ISO 8601 with offset). */
  release?: string
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
  addItemsNeededForPlan(bundle, environment, ledger, ids)
  return [...ids].sort()
}

/**
 * The ids of itemsNeededForPlan added to `into`, unsorted: validation gathers them for every package into
 * one set, without a set and a sorted list of each package's. A reference's target is the one
 * environmentReferences gives, taken without making its list.
 */
export function addItemsNeededForPlan(bundle: Bundle, environment: string, ledger: EnvironmentLedger | undefined, into: Set<ItemId>): void {
  const settings = bundle.environments[environment]
  for (const [id, item] of bundleItemEntries(bundle)) {
    into.add(id)
    const count = referenceCountOf(item)
    for (let index = 0; index < count; index++) {
      const target = referenceTargetOf(item, index)
      into.add(replacementOf(settings, target) ?? target)
    }
  }
  for (const target of Object.values(settings?.replace ?? {})) into.add(target as ItemId)
  for (const id of Object.keys(ledger?.items ?? {})) into.add(id as ItemId)
}

/**
 * Plans applying one package version to one environment branch: per item add / update / delete / keep with
 * the environment's replacements and overrides, kind policies and install mode, and every refusal as a
 * diagnostic. Pure: the same input always gives the same plan.
 */
export function planPromotion(input: PlanInput): PromotionPlan {
  return plan(input, true)
}

/**
 * The findings of `planPromotion`, the same ones, without the plan's rows: no item is rendered, merged or
 * compared with the branch. None of the findings depends on those (an item counts as on the branch after
 * the apply whether it is added, updated or kept), so validation that shows no rows asks only for these.
 */
export function planDiagnostics(input: PlanInput): PlanDiagnostic[] {
  return plan(input, false).diagnostics
}

function plan(input: PlanInput, rows: boolean): PromotionPlan {
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
  // An item is on the branch with its bytes read, or (for findings only) known to be there as a file.
  const isThere = (id: ItemId) => view.files.has(id) || view.present?.has(id) === true
  const bytesOf = (id: ItemId): Uint8Array | undefined => {
    const bytes = view.files.get(id)
    if (bytes === undefined && view.present?.has(id)) throw new Error(`${id} on ${view.branch}: its bytes were not read`)
    return bytes
  }

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
      const bytes = bytesOf(id)
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

  // The items are read there only for the `set` overrides: without any, the record is not asked for.
  const overridden = settings?.set !== undefined && hasKeys(settings.set)
  diagnostics.push(...checkEnvironmentSettings(bundle.package, envName, settings, overridden ? bundle.items : {}, input.checkSpec))

  const after = new Set<ItemId>()
  const deliveredItems: Record<string, string> = {}
  for (const [id, item] of bundleItemEntries(bundle)) {
    const onBranch = rows ? bytesOf(id) : undefined
    const there = rows ? onBranch !== undefined : isThere(id)
    const owned = current !== undefined && id in current.items
    const otherOwner = owners.get(id)
    const obstruction = view.obstructed?.get(id)
    if (obstruction !== undefined) {
      diagnostics.push({
        ...base,
        code: 'name-conflict',
        item: id,
        at: { item: id, path: ['name'] },
        message: `${id} cannot be written in ${envName}: ${obstruction} on ${view.branch}, made by hand`,
        hint: `move or delete it on ${view.branch} (nothing was deleted), or rename the item`,
      })
      continue
    }
    if (there && !owned) {
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
            : `delete ${itemPath(paths, id)} on ${view.branch} or rename the item`,
      })
      continue
    }
    if (!rows) {
      // What follows decides only the row, the file and the ledger: with either action the item is there after.
      if (there || policy(id).add !== 'never') after.add(id)
      continue
    }
    // The item's file: worked out for the plan's rows only, the findings name it only in a conflict's hint.
    const file = itemPath(paths, id)
    const replaced: Record<string, string> = {}
    for (const ref of environmentReferences(item, settings)) if (ref.replaced) replaced[ref.replaced] = ref.target
    const overrides = environmentOverrides(item, settings, id)
    const extra = {
      ...(Object.keys(replaced).length > 0 ? { replaced } : {}),
      ...(overrides.length > 0 ? { overrides } : {}),
    }
    if (onBranch && policy(id).update === 'never') {
      changes.push({ item: id, action: 'keep', file, note: 'kind policy update: never', ...extra })
      ledgerItems[id] = sha256(onBranch)
      if (current?.delivered?.[id]) deliveredItems[id] = current.delivered[id]
      after.add(id)
      continue
    }
    if (!onBranch && policy(id).add === 'never') {
      changes.push({ item: id, action: 'keep', file, note: 'kind policy add: never: not added' })
      continue
    }
    const packageDoc = environmentDocument(item, settings, id)
    const packageContent = renderItemFile(packageDoc)
    const delivered = sha256(packageContent)
    deliveredItems[id] = delivered
    // What this package delivered last time: the ledger's record, or for a ledger written before it kept
    // one, the file as applied (the same unless that apply merged).
    const previous = current?.delivered?.[id]
    const merge = bundle.install === 'merge' && onBranch !== undefined && owned
    if (merge && previous === delivered) {
      // The version does not change this item: what is on the branch, edits included, stays as it is.
      const edited = sha256(onBranch) !== current?.items[id]
      changes.push({ item: id, action: 'keep', file, ...(edited ? { note: 'unchanged by this version; edits on the branch are kept' } : {}), ...extra })
      ledgerItems[id] = sha256(onBranch)
      after.add(id)
      continue
    }
    let doc: unknown = packageDoc
    let content = packageContent
    let note: string | undefined
    const existing = onBranch ? readYaml(file, onBranch).parsed?.value : undefined
    // Merge a file that differs from what this package delivered: keys added on the branch survive. A file
    // exactly as delivered takes the new document as is, so keys a newer version dropped do not linger.
    // Without a record (an older ledger), every owned file is merged: keys added on the branch survive.
    const customized = onBranch !== undefined && (previous === undefined || sha256(onBranch) !== previous)
    if (merge && customized && existing !== undefined) {
      const merged = mergeDocuments(existing, packageDoc)
      if (JSON.stringify(merged) !== JSON.stringify(packageDoc)) note = 'merged: keys added on the branch are kept'
      doc = merged
      content = renderItemFile(doc)
    }
    const digest = sha256(content)
    const action: ChangeAction = !onBranch ? 'add' : sha256(onBranch) === digest ? 'keep' : 'update'
    if (action !== 'keep') writes.set(file, content)
    const fields = action === 'update' ? fieldChanges(existing, doc) : []
    changes.push({ item: id, action, file, ...(note ? { note } : {}), ...extra, ...(fields.length > 0 ? { fields } : {}) })
    ledgerItems[id] = digest
    after.add(id)
  }

  // Items this package owned and the version no longer has.
  for (const id of Object.keys(current?.items ?? {}).sort() as ItemId[]) {
    if (bundleHasItem(bundle, id)) continue
    const file = itemPath(paths, id)
    const there = isThere(id)
    const remove = (bundle.install === 'overwrite' || rollback) && policy(id).delete !== 'never'
    if (remove) {
      if (there) writes.set(file, null)
      changes.push({ item: id, action: 'delete', file, ...(rollback && bundle.install !== 'overwrite' ? { note: 'rollback removes what the newer version added' } : {}) })
    } else if (there) {
      changes.push({ item: id, action: 'keep', file, note: policy(id).delete === 'never' ? 'kind policy delete: never' : 'install: merge keeps dropped items' })
      if (rows) ledgerItems[id] = sha256(bytesOf(id)!)
      if (current?.delivered?.[id]) deliveredItems[id] = current.delivered[id]
      after.add(id)
    }
  }

  // Replacement targets and references must resolve in the environment after the apply.
  const deleted = new Set([...writes.entries()].filter(([, v]) => v === null).map(([k]) => k))
  const resolves = (id: ItemId) => after.has(id) || (isThere(id) && (deleted.size === 0 || !deleted.has(itemPath(paths, id))))
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
  // Every installed package's references must still resolve: an item deleted here may be referred to by
  // another package's item on the branch.
  for (const change of changes) {
    if (change.action !== 'delete') continue
    for (const referrer of view.referrers?.get(change.item) ?? []) {
      if (referrer.package === bundle.package) continue
      diagnostics.push({
        ...base,
        code: 'unresolved-in-environment',
        item: change.item,
        target: change.item,
        message: `${bundle.package}@${bundle.version} would delete ${change.item}, which ${referrer.item} of package ${referrer.package} refers to in ${envName}`,
        hint: `change ${referrer.item} in package ${referrer.package} and promote it first, or keep ${change.item} in this version`,
      })
    }
  }
  // Each reference as environmentReferences gives it (the replacement's target when the environment replaces
  // it), by its target alone: thousands of items are checked, and few references fail to resolve.
  for (const [id, item] of bundleItemEntries(bundle)) {
    if (!after.has(id)) continue
    const count = referenceCountOf(item)
    for (let index = 0; index < count; index++) {
      const source = referenceTargetOf(item, index)
      const replacement = replacementOf(settings, source)
      const target = replacement || source
      if (resolves(target)) continue
      const replaced = replacement ? source : undefined
      diagnostics.push({
        ...base,
        code: 'unresolved-in-environment',
        item: id,
        target,
        ...(replaced ? { viaReplacement: true } : {}),
        at: { item: id, path: item.references[index]!.path },
        message: `${id} refers to ${target}${replaced ? ` (replacing ${replaced})` : ''}, which would not exist in ${envName}`,
        hint: `promote the package that has ${target} to ${envName} first`,
      })
    }
  }

  const ledger: EnvironmentLedger = {
    package: bundle.package,
    version: bundle.version,
    digest: input.digest,
    environment: envName,
    locked: bundle.locked,
    items: sortRecord(ledgerItems),
    ...(Object.keys(deliveredItems).length > 0 ? { delivered: sortRecord(deliveredItems) } : {}),
    rollback,
    previousVersion: current?.version ?? null,
  }
  const ok = diagnostics.every((d) => d.severity !== 'error')
  changes.sort((a, b) => ORDER[a.action] - ORDER[b.action] || a.item.localeCompare(b.item))
  const counts = { add: 0, update: 0, delete: 0, keep: 0 }
  for (const change of changes) counts[change.action]++
  return {
    ok,
    package: bundle.package,
    version: bundle.version,
    environment: envName,
    branch: environment.branch,
    rollback,
    previousVersion: current?.version ?? null,
    changes,
    counts,
    ...(bundle.instructions.length > 0 ? { instructions: bundle.instructions } : {}),
    ...(settings?.release ? { release: settings.release } : {}),
    diagnostics,
    writes,
    ledger,
  }
}

/**
 * Whether a record has a key of its own: without one (an environment that replaces nothing), a reference's
 * target is looked up in it for nothing (an item id, `kind/name`, names nothing an object inherits).
 */
function hasKeys(record: object): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return true
  return false
}

/** Rows read top down: what goes away first, then what arrives, what changes, what stays. */
const ORDER: Record<ChangeAction, number> = { delete: 0, add: 1, update: 2, keep: 3 }

/** The values this environment gives the item instead of the source's: replacements, then `set` overrides. */
function environmentOverrides(
  item: Bundle['items'][ItemId],
  settings: Bundle['environments'][string] | undefined,
  id: ItemId,
): NonNullable<PlannedChange['overrides']> {
  const out: NonNullable<PlannedChange['overrides']> = []
  const replace = settings?.replace ?? {}
  for (const ref of item.references) {
    const target = replace[ref.target]
    if (target !== undefined) out.push({ path: ref.path.join('.'), kind: 'replace', from: ref.target, to: target })
  }
  const set = (settings?.set ?? {})[id] as Record<string, unknown> | undefined
  for (const [dotted, value] of Object.entries(set ?? {})) {
    const from = valueAtDotted(item.document, dotted)
    out.push({ path: dotted, kind: 'set', ...(from !== undefined ? { from } : {}), to: value })
  }
  return out
}

/**
 * The environment's `set` overrides and `replace`ments checked before anything is written: a path must be
 * settable, the result must satisfy the kind schema, and a replacement names an item of the same kind.
 */
export function checkEnvironmentSettings(
  pkg: string,
  envName: string,
  settings: EnvironmentSettings | undefined,
  items: Readonly<Record<string, ItemSource | undefined>>,
  checkSpec?: (kind: string, spec: unknown) => string[],
): PlanDiagnostic[] {
  const base = { severity: 'error' as const, package: pkg, environment: envName }
  const out: PlanDiagnostic[] = []
  for (const [source, target] of Object.entries(settings?.replace ?? {})) {
    const kindOf = (id: string) => id.slice(0, id.indexOf('/'))
    if (kindOf(source) === kindOf(target)) continue
    out.push({
      ...base,
      code: 'replacement-kind-mismatch',
      item: source as ItemId,
      at: { path: ['environments', envName, 'replace', source] },
      message: `${envName} replaces ${source} with ${target}, an item of another kind`,
      hint: `replace ${source} with a ${kindOf(source)} item`,
    })
  }
  for (const [id, set] of Object.entries(settings?.set ?? {}) as [ItemId, Record<string, unknown>][]) {
    const item = items[id]
    if (!item) continue
    let bad = false
    for (const [dotted, value] of Object.entries(set ?? {})) {
      const problem = overrideProblem(item.document, dotted, value)
      if (problem === undefined) continue
      bad = true
      out.push({
        ...base,
        code: 'invalid-override',
        item: id,
        at: { path: ['environments', envName, 'set', id, dotted], key: true },
        message: `${envName} cannot set ${dotted} of ${id}: ${problem}`,
        hint: 'set a field under spec that the kind schema allows, inside the lists that exist',
      })
    }
    if (bad || !checkSpec) continue
    const doc = environmentDocument(item, settings, id)
    const problems = checkSpec(doc.kind, doc.spec)
    if (problems.length === 0) continue
    out.push({
      ...base,
      code: 'invalid-override',
      item: id,
      at: { path: ['environments', envName, 'set', id] },
      message: `${id} in ${envName} does not satisfy the ${doc.kind} kind schema after its overrides: ${problems.slice(0, 3).join('; ')}`,
      hint: `change the values set for ${id} so that they satisfy kinds/${doc.kind}.schema.json`,
    })
  }
  return out
}

/**
 * Owners by item, made once per set of ledgers: validation plans every package against the same view, and
 * the ledgers of a view are not changed once read.
 */
const ownersOfLedgers = new WeakMap<ReadonlyMap<string, EnvironmentLedger>, Map<ItemId, string>>()

function ownersByItem(ledgers: ReadonlyMap<string, EnvironmentLedger>): ReadonlyMap<ItemId, string> {
  const known = ownersOfLedgers.get(ledgers)
  if (known) return known
  const owners = new Map<ItemId, string>()
  for (const [pkg, ledger] of ledgers) for (const id of Object.keys(ledger.items)) owners.set(id as ItemId, pkg)
  ownersOfLedgers.set(ledgers, owners)
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
