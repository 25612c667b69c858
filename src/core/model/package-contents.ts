import type { ItemId } from '../names.js'
import type { Definition, PackageSource, SourceModel } from './source-model.js'

export interface PackageContents {
  /** Declared items and, with includeReferences, referenced definitions pulled in automatically. */
  items: Map<ItemId, { definition: Definition; origin: 'declared' | 'included' }>
  /** Items provided by the package's dependencies, transitively, with the package providing each. */
  provided: Map<ItemId, string>
  /** Declared items that have no definition. */
  missing: ItemId[]
}

/** What a package holds and what its dependencies provide; cycles are cut (they are reported elsewhere). */
export function packageContents(model: SourceModel, pkg: PackageSource, cache = new Map<string, PackageContents>()): PackageContents {
  const cached = cache.get(pkg.name)
  if (cached) return cached
  const provided = new Map<ItemId, string>()
  // Mark the package as in progress so a dependency cycle ends here instead of recursing forever.
  const placeholder: PackageContents = { items: new Map(), provided: new Map(), missing: [] }
  cache.set(pkg.name, placeholder)
  for (const dep of pkg.manifest.dependencies ?? []) {
    const depPackage = model.packages.get(dep.package)
    if (!depPackage) continue
    const depContents = packageContents(model, depPackage, cache)
    for (const id of depContents.items.keys()) if (!provided.has(id)) provided.set(id, dep.package)
    for (const [id, owner] of depContents.provided) if (!provided.has(id)) provided.set(id, owner)
  }
  const items: PackageContents['items'] = new Map()
  const missing: ItemId[] = []
  for (const raw of pkg.manifest.items) {
    const id = raw as ItemId
    const definition = model.definitions.get(id)
    if (definition) items.set(id, { definition, origin: 'declared' })
    else missing.push(id)
  }
  if (pkg.manifest.includeReferences) {
    const queue = [...items.values()].map((i) => i.definition)
    while (queue.length > 0) {
      const definition = queue.pop()!
      for (const ref of definition.references) {
        if (items.has(ref.target) || provided.has(ref.target)) continue
        const target = model.definitions.get(ref.target)
        if (!target) continue
        items.set(ref.target, { definition: target, origin: 'included' })
        queue.push(target)
      }
    }
  }
  const result = { items, provided, missing }
  cache.set(pkg.name, result)
  return result
}

/** Which packages hold an item (declared or included), for hints. */
export function packagesHolding(model: SourceModel, id: ItemId, cache: Map<string, PackageContents>): string[] {
  const holders: string[] = []
  for (const pkg of model.packages.values()) if (packageContents(model, pkg, cache).items.has(id)) holders.push(pkg.name)
  return holders.sort()
}
