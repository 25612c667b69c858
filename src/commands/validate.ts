import { ObjectReader, readEnvironmentView } from '../adapters/git/repository-reader.js'
import { type Bundle, bundleContent, bundleForFindings, serializeBundle } from '../core/bundle/bundle.js'
import { type Diagnostic, countBySeverity, sortDiagnostics } from '../core/diagnostics.js'
import { type PackageContents, packageContents } from '../core/model/package-contents.js'
import type { GantryConfig, SourceModel } from '../core/model/source-model.js'
import type { ItemId } from '../core/names.js'
import { type PlanDiagnostic, type PromotionPlan, addItemsNeededForPlan, planDiagnostics, planPromotion } from '../core/promotion/plan-promotion.js'
import { validatePackages } from '../core/validate/validate-local.js'
import { UsageError } from './errors.js'
import { specChecker } from '../core/promotion/environment-content.js'
import { type OpenRepository, openRepository } from './repository.js'

export interface ValidateOptions {
  repo: string
  environments: string[]
  /** Policy read from the default branch; the tree being validated never supplies its own. */
  config?: GantryConfig
  /**
   * The packages whose plans the caller shows (every package when absent): the others are checked for the
   * same findings without making the plan's rows.
   */
  plansFor?: (model: SourceModel) => Iterable<string>
  /** Called as packages are checked against environments: (phase, done, total). */
  onProgress?: (phase: string, done: number, total: number) => void
}

export interface ValidateResult {
  ok: boolean
  errors: number
  warnings: number
  diagnostics: Diagnostic[]
  /** Per environment and package asked for: what applying the current content would change (remote validation). */
  plans: PromotionPlan[]
  repository: OpenRepository
}

/** Local validation of every file and package, then remote validation against each environment asked for. */
export async function validateRepository(options: ValidateOptions): Promise<ValidateResult> {
  // Against an environment, every package planned has its bundle made: each item's document is read then,
  // keep them. With plans of a few packages or none, a document is read again only when asked for.
  const repository = await openRepository(options.repo, {
    ...(options.config ? { config: options.config } : {}),
    keepDocuments: options.environments.length > 0 && options.plansFor === undefined,
  })
  const known = new Set(repository.config.environments.map((e) => e.name))
  const unknown = options.environments.filter((e) => !known.has(e))
  if (unknown.length > 0) {
    throw new UsageError(`unknown environment ${unknown.join(', ')}; gantry.yaml declares ${[...known].join(', ')}`, [
      {
        severity: 'error',
        code: 'unknown-environment',
        file: 'gantry.yaml',
        message: `environment ${unknown.join(', ')} is not declared`,
        hint: `use one of ${[...known].join(', ')}`,
      },
    ])
  }
  const contents = new Map<string, PackageContents>()
  const local = validatePackages(repository.model, repository.released, contents)
  const diagnostics = [...repository.loadDiagnostics, ...local]
  // What each package holds, as local validation worked it out, for the checks against environments. Only
  // without a dependency cycle: what a package in one holds depends on which package of it was worked out
  // first, and the checks against environments work them out afresh, in the order of their names.
  const shared = local.some((d) => d.code === 'dependency-cycle') ? undefined : contents
  const plans: PromotionPlan[] = []
  const progress = options.onProgress ?? (() => {})
  const steps = options.environments.length * repository.model.packages.size
  const planned = new Set(options.plansFor ? options.plansFor(repository.model) : repository.model.packages.keys())
  for (const [index, environment] of options.environments.entries()) {
    const result = await validateAgainstEnvironment(repository, environment, diagnostics, planned, shared, (done) =>
      progress(`checking against ${environment}`, index * repository.model.packages.size + done, steps),
    )
    plans.push(...result)
    // Each environment's share counted done once it is checked (packages that cannot be planned are skipped
    // above): the last step, 100%, is reported.
    progress(`checking against ${environment}`, (index + 1) * repository.model.packages.size, steps)
  }
  sortDiagnostics(diagnostics)
  const { errors, warnings } = countBySeverity(diagnostics)
  return { ok: errors === 0, errors, warnings, diagnostics, plans, repository }
}

/** Findings that promoting the package's dependencies first would clear are warnings here, errors at apply. */
const ORDER_DEPENDENT = new Set(['missing-dependency', 'dependency-version'])
const LOCAL_CODES = new Set(['invalid-override', 'replacement-kind-mismatch'])

async function validateAgainstEnvironment(
  repository: OpenRepository,
  envName: string,
  out: Diagnostic[],
  planned: ReadonlySet<string>,
  /** What each package holds, worked out already (else worked out here). */
  known: Map<string, PackageContents> | undefined,
  onPackage: (done: number) => void = () => {},
): Promise<PromotionPlan[]> {
  const { model, git, config, paths } = repository
  const environment = config.environments.find((e) => e.name === envName)!
  const cache = known ?? new Map<string, PackageContents>()
  const plans: PromotionPlan[] = []
  // Every package's bundle first, then the branch read once for all of them: its head, its ledgers and the
  // items any package's plan needs, in one batch, instead of once per package.
  const prepared: { pkg: (typeof model.packages extends Map<string, infer P> ? P : never); contents: PackageContents; bundle: Bundle; digest: string }[] = []
  for (const pkg of [...model.packages.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const contents = packageContents(model, pkg, cache)
    if (contents.missing.length > 0) continue
    const version = pkg.manifest.version ?? 'unreleased'
    if (!planned.has(pkg.name)) {
      // Only the findings: what they read of the bundle, without its bytes.
      prepared.push({ pkg, contents, bundle: bundleForFindings(pkg.manifest, contents, version), digest: '' })
      continue
    }
    const content = bundleContent(pkg.manifest, contents)
    const serialized = serializeBundle(content, version, { previous: null, added: [], changed: [], removed: [] }, true)
    // Plan from the canonical bytes, exactly what an apply reads, so unchanged items plan as keep.
    prepared.push({ pkg, contents, bundle: JSON.parse(serialized.bytes) as Bundle, digest: serialized.digest })
  }
  // The branch's head, ledgers, folders and files through one git process.
  const reader = new ObjectReader(git)
  const view = await readEnvironmentView(
    git,
    environment.branch,
    paths,
    model.schemas,
    (ledgers) => {
      const ids = new Set<ItemId>()
      for (const { pkg, bundle } of prepared) addItemsNeededForPlan(bundle, envName, ledgers.get(pkg.name), ids)
      return [...ids]
    },
    undefined,
    // Findings need the bytes only of a locked package's items (checked for drift); a plan's rows, all of its.
    (ledgers) => {
      const ids = new Set<ItemId>()
      for (const { pkg, bundle } of prepared) {
        const ledger = ledgers.get(pkg.name)
        if (planned.has(pkg.name)) addItemsNeededForPlan(bundle, envName, ledger, ids)
        else if (ledger && (ledger.locked ?? bundle.locked)) for (const id of Object.keys(ledger.items)) ids.add(id as ItemId)
      }
      return ids
    },
    reader,
  ).catch(async (error: unknown) => {
    // The error that stopped the reading is the one to report, not one the reader gives on closing.
    await reader.close().catch(() => undefined)
    throw error
  })
  await reader.close()
  const checkSpec = specChecker(model.schemas)
  for (const [index, { pkg, contents, bundle, digest }] of prepared.entries()) {
    onPackage(index)
    const input = { bundle, digest, config, paths, environment, view, enforceOrder: false, checkSpec }
    let findings: PlanDiagnostic[]
    if (planned.has(pkg.name)) {
      const plan = planPromotion(input)
      plans.push(plan)
      findings = plan.diagnostics
    } else {
      findings = planDiagnostics(input)
    }
    // A branch that does not exist yet is checked as an empty one: its first apply creates it.
    const missingDeps = new Set(findings.filter((d) => d.code === 'missing-dependency').map((d) => d.message.split(' needs ')[1]?.split(' ')[0]))
    for (const finding of findings) {
      // Local validation reports these once, for every environment.
      if (LOCAL_CODES.has(finding.code)) continue
      const located = locate(repository, pkg.name, finding)
      if (ORDER_DEPENDENT.has(finding.code)) {
        out.push({ ...located, severity: 'warning' })
        continue
      }
      if (finding.code !== 'unresolved-in-environment' && finding.code !== 'replacement-target-missing') {
        out.push(located)
        continue
      }
      const referred = (finding.target ?? finding.item) as ItemId | undefined
      const provider = referred ? contents.provided.get(referred) : undefined
      if (provider) {
        // Promoting the dependency first clears it; a missing dependency is already reported.
        if (!missingDeps.has(provider)) out.push({ ...located, severity: 'warning' })
      } else if (finding.code === 'replacement-target-missing' || finding.viaReplacement) {
        out.push(located)
      }
      // Otherwise local validation already reports the reference as unresolved.
    }
  }
  return plans
}

/** Turns a plan finding's source location into file, line and column. */
function locate(repository: OpenRepository, pkgName: string, finding: PlanDiagnostic): Diagnostic {
  const { at, target: _target, viaReplacement: _via, ...diagnostic } = finding
  const pkg = repository.model.packages.get(pkgName)!
  if (at?.item) {
    const definition = repository.model.definitions.get(at.item)
    if (definition) return { ...diagnostic, file: definition.file, ...definition.parsed.positionOf(at.path, { key: at.key ?? false }) }
  }
  if (at) return { ...diagnostic, file: pkg.file, ...pkg.parsed.positionOf(at.path, { key: at.key ?? false }) }
  return { ...diagnostic, file: pkg.file, ...pkg.parsed.positionOf(['name']) }
}
