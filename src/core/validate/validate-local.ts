import { bundleContent, contentDigest } from '../bundle/bundle.js'
import type { Diagnostic } from '../diagnostics.js'
import { boundFindings } from '../source/bound-findings.js'
import { type PackageContents, packageContents, packagesHolding } from '../model/package-contents.js'
import { type ReleasedVersion, versionsOf } from '../model/released-version.js'
import type { DefinitionReference, PackageSource, SourceModel } from '../model/source-model.js'
import type { ItemId } from '../names.js'
import {
  type VersioningScheme,
  bumpFromNotes,
  latestVersion,
  nextVersion,
  parseRange,
  sameVersion,
  satisfies,
} from '../versions/versions.js'
import { specChecker } from '../promotion/environment-content.js'
import { checkEnvironmentSettings } from '../promotion/plan-promotion.js'

/**
 * Local validation of every package: items exist, references resolve inside the package, through
 * includeReferences or through declared dependencies; dependencies exist with satisfiable ranges and no
 * cycle; environments are declared; an explicit version is not already released with other content.
 */
export function validatePackages(
  model: SourceModel,
  released: readonly ReleasedVersion[],
  /** What each package holds, worked out here, kept for the caller (a build makes bundles of the same). */
  cache = new Map<string, PackageContents>(),
): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  const reported = new Set<string>()
  const environmentNames = new Set(model.config.environments.map((e) => e.name))
  const scheme = (model.config.versioning ?? 'dot') as VersioningScheme
  const unloaded = model.unloaded ?? { definitions: new Set<ItemId>(), packages: new Set<string>() }
  const checkSpec = specChecker(model.schemas)

  for (const pkg of [...model.packages.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const contents = packageContents(model, pkg, cache)
    const at = (path: (string | number)[], key = false) => pkg.parsed.positionOf(path, { key })
    const base = { severity: 'error' as const, file: pkg.file, package: pkg.name }
    // With a dependency that did not load, what the package is provided with is unknown.
    const provisionKnown = !dependsOnUnloaded(model, pkg, unloaded.packages)

    // An item the package lists is in its contents exactly when it has a definition: with none missing
    // (most packages), no entry of the list has anything to report, and the list is not walked.
    if (contents.missing.length > 0) {
      pkg.manifest.items.forEach((raw, index) => {
        if (contents.items.has(raw as ItemId) || unloaded.definitions.has(raw as ItemId)) return
        diagnostics.push({
          ...base,
          code: 'missing-item',
          ...at(['items', index]),
          item: raw,
          message: `package ${pkg.name} lists ${raw}, which has no definition`,
          hint: `create ${model.paths.definitions}/${raw}.yaml or remove it from items`,
        })
      })
    }

    checkDependencies(model, pkg, released, scheme, unloaded.packages, diagnostics)

    for (const [id, { definition }] of contents.items) {
      // Most references resolve: their targets are read without making the references, and the references
      // (with positions) are made only for a definition that has one to report.
      let references: DefinitionReference[] | undefined
      for (let i = 0; i < definition.referenceCount; i++) {
        const target = definition.referenceTarget(i)
        if (contents.items.has(target) || contents.provided.has(target)) continue
        if (unloaded.definitions.has(target) || !provisionKnown) continue
        references ??= definition.references
        const ref = references[i]!
        const key = `${definition.file}:${ref.position.line}:${ref.position.column}`
        if (reported.has(key)) continue
        reported.add(key)
        const exists = model.definitions.has(ref.target)
        const holders = exists ? packagesHolding(model, ref.target, cache).filter((p) => p !== pkg.name) : []
        const provider = exists ? ` nor provided by its dependencies` : ''
        diagnostics.push({
          severity: 'error',
          code: 'unresolved-reference',
          file: definition.file,
          ...ref.position,
          package: pkg.name,
          item: id,
          message: exists
            ? `${id} refers to ${ref.target}, which is neither in package ${pkg.name}${provider}`
            : `${id} refers to ${ref.target}, which does not exist`,
          hint: !exists
            ? `create ${model.paths.definitions}/${ref.target}.yaml, or correct the reference`
            : holders.length > 0
              ? `add ${ref.target} to items, or depend on ${holders.length === 1 ? 'package' : 'one of the packages'} ${holders.join(', ')}, which ${holders.length === 1 ? 'has' : 'have'} it`
              : `add ${ref.target} to items, or set includeReferences: true`,
        })
      }
    }

    for (const [env, settings] of Object.entries(pkg.manifest.environments ?? {})) {
      if (!environmentNames.has(env)) {
        diagnostics.push({
          ...base,
          code: 'unknown-environment',
          ...at(['environments', env], true),
          environment: env,
          message: `package ${pkg.name} has settings for environment "${env}", which gantry.yaml does not declare`,
          hint: `environments: ${[...environmentNames].join(', ')}`,
        })
      }
      for (const id of Object.keys(settings.set ?? {})) {
        if (contents.items.has(id as ItemId) || unloaded.definitions.has(id as ItemId)) continue
        diagnostics.push({
          ...base,
          code: 'missing-item',
          ...at(['environments', env, 'set', id], true),
          item: id,
          environment: env,
          message: `environment ${env} sets fields of ${id}, which is not in package ${pkg.name}`,
          hint: 'override only items of this package',
        })
      }
      // Overrides and replacements must be applicable and keep every item valid for its kind. The check looks
      // up only the items the environment sets fields of.
      const items = Object.fromEntries(
        Object.keys(settings.set ?? {}).flatMap((id) => {
          const held = contents.items.get(id as ItemId)
          return held ? [[id, held.definition]] : []
        }),
      )
      for (const { at: where, target: _t, viaReplacement: _v, ...finding } of checkEnvironmentSettings(pkg.name, env, settings, items, checkSpec)) {
        diagnostics.push({ ...finding, file: pkg.file, ...at(where?.path ?? ['environments', env], where?.key ?? false) })
      }
    }

    const explicit = pkg.manifest.version
    if (explicit !== undefined) {
      const existing = versionsOf(released, pkg.name).find((r) => sameVersion(r.version, explicit))
      if (existing && existing.contentDigest !== undefined && contents.missing.length === 0) {
        const digest = contentDigest(bundleContent(pkg.manifest, contents))
        if (digest !== existing.contentDigest) {
          diagnostics.push({
            ...base,
            code: 'version-exists',
            ...at(['version']),
            message: `${pkg.name}@${explicit} is already released with other content`,
            hint: `released versions never change: remove version: to get ${nextVersion(latestVersion(versionsOf(released, pkg.name).map((r) => r.version)), scheme, bumpFromNotes(pkg.manifest.notes))}, or pick a new version`,
          })
        }
      }
    }
  }
  for (const d of findCycles(model)) diagnostics.push(d)
  return boundFindings(diagnostics)
}

function checkDependencies(
  model: SourceModel,
  pkg: PackageSource,
  released: readonly ReleasedVersion[],
  scheme: VersioningScheme,
  unloaded: ReadonlySet<string>,
  diagnostics: Diagnostic[],
): void {
  ;(pkg.manifest.dependencies ?? []).forEach((dep, index) => {
    const base = { severity: 'error' as const, file: pkg.file, package: pkg.name }
    const target = model.packages.get(dep.package)
    if (!target && unloaded.has(dep.package)) return
    if (!target) {
      diagnostics.push({
        ...base,
        code: 'missing-dependency',
        ...pkg.parsed.positionOf(['dependencies', index, 'package']),
        message: `package ${pkg.name} depends on ${dep.package}, which does not exist`,
        hint: `create ${model.paths.packages}/${dep.package}.yaml or remove the dependency`,
      })
      return
    }
    if (dep.version === undefined) return
    const range = parseRange(dep.version)
    if (typeof range === 'string') {
      diagnostics.push({
        ...base,
        code: 'dependency-version',
        ...pkg.parsed.positionOf(['dependencies', index, 'version']),
        message: `the version range of ${dep.package} is not valid: ${range}`,
        hint: 'write a range such as 1.2, >=1.1, >=1.1 <2, ^1 or ~1.2',
      })
      return
    }
    const tagged = versionsOf(released, dep.package).map((r) => r.version)
    const upcoming =
      target.manifest.version ??
      nextVersion(latestVersion(tagged), scheme, bumpFromNotes(target.manifest.notes))
    const candidates = [...tagged, upcoming]
    if (!candidates.some((v) => satisfies(v, range))) {
      diagnostics.push({
        ...base,
        code: 'dependency-version',
        ...pkg.parsed.positionOf(['dependencies', index, 'version']),
        message: `no version of ${dep.package} satisfies ${dep.version} (released: ${tagged.join(', ') || 'none'}; next build: ${upcoming})`,
        hint: `widen the range, or release a matching version of ${dep.package}`,
      })
    }
  })
}

/** Whether a package depends, directly or through loaded packages, on one that did not load. */
function dependsOnUnloaded(model: SourceModel, pkg: PackageSource, unloaded: ReadonlySet<string>): boolean {
  if (unloaded.size === 0) return false
  const seen = new Set<string>()
  const queue = [pkg]
  while (queue.length > 0) {
    for (const dep of queue.pop()!.manifest.dependencies ?? []) {
      if (unloaded.has(dep.package)) return true
      const next = model.packages.get(dep.package)
      if (next && !seen.has(next.name)) {
        seen.add(next.name)
        queue.push(next)
      }
    }
  }
  return false
}

/** Reports each dependency cycle once, at the dependency that closes it. */
function findCycles(model: SourceModel): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const reported = new Set<string>()
  const visit = (name: string): void => {
    state.set(name, 'visiting')
    stack.push(name)
    const pkg = model.packages.get(name)!
    ;(pkg.manifest.dependencies ?? []).forEach((dep, index) => {
      if (!model.packages.has(dep.package)) return
      const s = state.get(dep.package)
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep.package)), dep.package]
        const key = [...cycle].slice(0, -1).sort().join(',')
        if (reported.has(key)) return
        reported.add(key)
        diagnostics.push({
          severity: 'error',
          code: 'dependency-cycle',
          file: pkg.file,
          ...pkg.parsed.positionOf(['dependencies', index, 'package']),
          package: name,
          message: `dependency cycle: ${cycle.join(' -> ')}`,
          hint: 'packages cannot depend on each other in a circle: move the shared items into a package of their own',
        })
      } else if (s === undefined) visit(dep.package)
    })
    stack.pop()
    state.set(name, 'done')
  }
  for (const name of [...model.packages.keys()].sort()) if (!state.has(name)) visit(name)
  return diagnostics
}
