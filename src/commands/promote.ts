import { userInfo } from 'node:os'
import { GANTRY_IDENTITY, type Git } from '../adapters/git/git.js'
import { ObjectReader, readCommitSnapshot, readEnvironmentView, readLedgers } from '../adapters/git/repository-reader.js'
import { editTree } from '../adapters/git/tree-editor.js'
import type { Diagnostic } from '../core/diagnostics.js'
import type { EnvironmentLedger, SourcePaths } from '../core/model/source-model.js'
import type { ItemId } from '../core/names.js'
import { specChecker } from '../core/promotion/environment-content.js'
import {
  type EnvironmentView,
  type PromotionPlan,
  type Referrer,
  itemPath,
  itemsNeededForPlan,
  ledgerPath,
  planPromotion,
  renderLedger,
} from '../core/promotion/plan-promotion.js'
import { findReferences } from '../core/schema/references.js'
import { SchemaRegistry } from '../core/schema/validator.js'
import { loadSource } from '../core/source/load-source.js'
import { DEFAULT_YAML_LIMITS, readYaml } from '../core/yaml/read-yaml.js'

export { specChecker }
import { findRelease, loadVerifiedBundle } from './artifacts.js'
import { UsageError } from './errors.js'
import { type OpenRepository, openRepository } from './repository.js'

export interface PromoteOptions {
  repo: string
  target: string
  environment: string
  out?: string
  /** Apply-time facts recorded in the ledger. */
  promotion?: number | null
  approvers?: { login: string; sha: string }[]
  appliedBy?: string
  now?: () => Date
  /** Plan against this commit of the environment branch instead of its tip. */
  environmentHead?: string
}

export interface PromoteResult {
  ok: boolean
  plan?: PromotionPlan
  diagnostics: Diagnostic[]
  commit?: string
  /** How many times the branch moved under us and the plan was made again. */
  replanned: number
  /** The version was already applied with nothing to change: no commit was made. */
  alreadyApplied?: boolean
  /** The environment's time zone (gantry.yaml), to show its release date as people read it there. */
  timezone?: string
}

export function parseTarget(target: string): { pkg: string; version?: string } {
  const at = target.lastIndexOf('@')
  if (at === 0 || target === '') throw new UsageError(`"${target}" is not <package>[@<version>]`)
  return at < 0 ? { pkg: target } : { pkg: target.slice(0, at), version: target.slice(at + 1) }
}

export async function preparePlan(
  repository: OpenRepository,
  options: PromoteOptions,
  /** Reads the environment branch through this process (kept open by the caller); else one of its own. */
  reader?: ObjectReader,
): Promise<PromoteResult & { release?: ReturnType<typeof findRelease>; ref?: string; view?: EnvironmentView }> {
  if (!reader) return withReader(repository, (own) => preparePlan(repository, options, own))
  const { pkg, version } = parseTarget(options.target)
  const environment = repository.config.environments.find((e) => e.name === options.environment)
  if (!environment) {
    throw new UsageError(`unknown environment ${options.environment}; gantry.yaml declares ${repository.config.environments.map((e) => e.name).join(', ')}`)
  }
  const release = findRelease(repository, pkg, version)
  const { verified, diagnostics } = await loadVerifiedBundle(repository, release, options.out)
  if (!verified) return { ok: false, diagnostics, replanned: 0 }
  const { git, paths, model } = repository
  const view = await readEnvironmentView(
    git,
    environment.branch,
    paths,
    model.schemas,
    (ledgers) => itemsNeededForPlan(verified.bundle, environment.name, ledgers.get(pkg)),
    options.environmentHead,
    undefined,
    reader,
  )
  const upstream = new Map<string, EnvironmentLedger | undefined>()
  for (const before of environment.after ?? []) {
    const branch = repository.config.environments.find((e) => e.name === before)?.branch
    const head = branch ? (await git.resolveBranch(branch))?.head : undefined
    upstream.set(before, (await readLedgers(git, head, model.schemas, branch)).get(pkg))
  }
  // The kind schemas the version was built with, from its source commit: overrides are checked against them
  // and other packages' references found with them. Read only when needed.
  let kinds: SchemaRegistry | undefined
  const kindSchemas = async () => {
    if (!kinds) {
      kinds = new SchemaRegistry()
      const snapshot = await readCommitSnapshot(git, release.commit, [paths.kinds], DEFAULT_YAML_LIMITS.maxBytes)
      loadSource(snapshot, repository.config, paths, kinds)
    }
    return kinds
  }
  const hasOverrides = Object.keys(verified.bundle.environments[environment.name]?.set ?? {}).length > 0
  const checkSpec = hasOverrides ? specChecker(await kindSchemas()) : undefined
  const input = {
    bundle: verified.bundle,
    digest: verified.digest,
    config: repository.config,
    paths,
    environment,
    view,
    upstream,
    enforceOrder: true,
    ...(checkSpec ? { checkSpec } : {}),
  }
  let plan = planPromotion(input)
  const deleted = plan.changes.filter((c) => c.action === 'delete').map((c) => c.item)
  if (deleted.length > 0) {
    const referrers = await findReferrers(git, view, paths, await kindSchemas(), pkg, new Set(deleted))
    if (referrers.size > 0) plan = planPromotion({ ...input, view: { ...view, referrers } })
  }
  return {
    ok: plan.ok,
    plan,
    diagnostics: plan.diagnostics.map(({ at: _at, target: _t, ...d }) => d),
    replanned: 0,
    release,
    view,
    ...(view.ref ? { ref: view.ref } : {}),
    ...(environment.timezone ? { timezone: environment.timezone } : {}),
  }
}

/** What applying would change; writes nothing. */
export async function planCommand(options: PromoteOptions): Promise<PromoteResult> {
  const repository = await openRepository(options.repo, { sources: false })
  return stripInternal(await preparePlan(repository, options))
}

/**
 * Applies a released version to the local environment branch in one commit written with plumbing, then
 * moves the branch by compare-and-swap. When another apply moved the branch first, plans again on the new
 * head; it never overwrites.
 */
export async function applyCommand(options: PromoteOptions): Promise<PromoteResult> {
  // The verified bundle carries what is applied: the source's definitions are not read.
  const repository = await openRepository(options.repo, { sources: false })
  // Moving a checked-out branch would leave its working tree and index behind the branch, as git refuses too.
  const environment = repository.config.environments.find((e) => e.name === options.environment)
  const worktree = environment && (await repository.git.checkedOutBranches()).get(`refs/heads/${environment.branch}`)
  if (worktree) throw new UsageError(`${environment.branch} is checked out in ${worktree}; switch that worktree to another branch, then apply`)
  // One object reader for every attempt: the folders read to plan are those the commit is written on.
  return withReader(repository, (reader) => applyAttempts(repository, options, reader))
}

/**
 * Runs `work` with an object reader of its own, closed after it; when the work fails, its error is the one
 * reported, not one the reader gives on closing.
 */
async function withReader<T>(repository: OpenRepository, work: (reader: ObjectReader) => Promise<T>): Promise<T> {
  const reader = new ObjectReader(repository.git)
  let result: T
  try {
    result = await work(reader)
  } catch (error) {
    await reader.close().catch(() => undefined)
    throw error
  }
  await reader.close()
  return result
}

async function applyAttempts(repository: OpenRepository, options: PromoteOptions, reader: ObjectReader): Promise<PromoteResult> {
  const now = options.now ?? (() => new Date())
  for (let attempt = 0; attempt < 8; attempt++) {
    const prepared = await preparePlan(repository, options, reader)
    const { plan, release } = prepared
    if (!plan || !release || !plan.ok) return { ...stripInternal(prepared), replanned: attempt }
    const current = prepared.view?.ledgers.get(plan.package)
    if (plan.writes.size === 0 && current?.version === plan.version && current.digest === plan.ledger.digest) {
      // Already applied and nothing drifted: a re-run changes nothing.
      return { ok: true, plan, diagnostics: prepared.diagnostics, replanned: attempt, alreadyApplied: true, ...(prepared.timezone ? { timezone: prepared.timezone } : {}) }
    }
    const head = prepared.view?.head
    const { commit, ledger } = await writeApplyCommit(repository.git, plan, head, {
      sourceCommit: release.commit,
      promotion: options.promotion ?? null,
      approvers: options.approvers ?? [],
      appliedAt: now().toISOString(),
      appliedBy: options.appliedBy ?? safeUser(),
    }, reader)
    // The local branch moves; a branch known only from origin gets its local ref created here.
    const localRef = `refs/heads/${plan.branch}`
    const expected = prepared.ref === localRef ? head : undefined
    if (await repository.git.updateRef(localRef, commit, expected)) {
      return { ok: true, plan: { ...plan, ledger }, diagnostics: prepared.diagnostics, commit, replanned: attempt, ...(prepared.timezone ? { timezone: prepared.timezone } : {}) }
    }
  }
  throw new Error(`${options.environment}: the branch kept moving during 8 attempts; try again`)
}

/**
 * Writes the commit that applies `plan` on top of `head` (the files and the ledger) without moving any ref:
 * the CLI moves the environment branch to it, the action proposes it in a promotion pull request.
 */
export async function writeApplyCommit(
  git: Git,
  plan: PromotionPlan,
  head: string | undefined,
  fields: Pick<EnvironmentLedger, 'sourceCommit' | 'promotion' | 'approvers' | 'appliedAt' | 'appliedBy'>,
  /** The object reader the plan was made with: the folders it read are not read again. */
  reader?: ObjectReader,
): Promise<{ commit: string; tree: string; ledger: EnvironmentLedger }> {
  const ledger: EnvironmentLedger = { ...plan.ledger, ...fields }
  for (const key of Object.keys(ledger) as (keyof EnvironmentLedger)[]) if (ledger[key] === undefined) delete ledger[key]
  const writes = new Map(plan.writes)
  writes.set(ledgerPath(plan.package), renderLedger(ledger))
  const tree = await editTree(git, head, writes, reader)
  const summary = plan.changes.filter((c) => c.action !== 'keep').map((c) => `${c.action} ${c.item}`)
  const message = `gantry: apply ${plan.package}@${plan.version} to ${plan.environment}${plan.rollback ? ' (rollback)' : ''}\n\n${summary.join('\n') || 'no item changes'}\n`
  const commit = await git.commitTree(tree, head ? [head] : [], message, GANTRY_IDENTITY)
  return { commit, tree, ledger }
}

/**
 * The items of other installed packages on the branch that refer to any of `targets`, found with the kind
 * schemas as a build finds them. Read in one batch.
 */
export async function findReferrers(
  git: Git,
  view: EnvironmentView,
  paths: SourcePaths,
  schemas: SchemaRegistry,
  pkg: string,
  targets: ReadonlySet<ItemId>,
): Promise<Map<ItemId, Referrer[]>> {
  const found = new Map<ItemId, Referrer[]>()
  if (!view.head) return found
  const owned: { id: ItemId; package: string; spec: string }[] = []
  for (const [name, ledger] of view.ledgers) {
    if (name === pkg) continue
    for (const id of Object.keys(ledger.items) as ItemId[]) {
      if (!targets.has(id)) owned.push({ id, package: name, spec: `${view.head}:${itemPath(paths, id)}` })
    }
  }
  const blobs = await git.readBlobs(owned.map((o) => o.spec))
  for (const { id, package: owner, spec } of owned) {
    const bytes = blobs.get(spec)
    const kindSchema = schemas.kindSchema(id.slice(0, id.indexOf('/')))
    if (!bytes || !kindSchema) continue
    const doc = readYaml(itemPath(paths, id), bytes).parsed?.value as { spec?: unknown } | undefined
    for (const ref of findReferences(kindSchema, doc?.spec)) {
      const target = `${ref.kind}/${ref.name}` as ItemId
      if (!targets.has(target)) continue
      found.set(target, [...(found.get(target) ?? []), { package: owner, item: id }])
    }
  }
  return found
}

function stripInternal(result: PromoteResult & { release?: unknown; ref?: string; view?: unknown }): PromoteResult {
  const { release: _r, ref: _ref, view: _v, ...rest } = result
  return rest
}

function safeUser(): string {
  try {
    return process.env.GITHUB_ACTOR ?? userInfo().username
  } catch {
    return 'unknown'
  }
}
