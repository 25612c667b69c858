import type { ItemId } from '../names.js'
import type { Definition, PackageSource, SourceModel } from './source-model.js'

export interface PackageContents {
  /** Declared items and, with includeReferences, referenced definitions pulled in automatically. */
  items: Map<ItemId, { definition: Definition; origin: 'declared' | 'included' }>
  /** Items provided by the package's dependencies, transitively, with the package providing each. */
  provided: ProvidedItems
  /** Declared items that have no definition. */
  missing: ItemId[]
}

/** What a package holds and what its dependencies provide; cycles are cut (they are reported elsewhere). */
export function packageContents(model: SourceModel, pkg: PackageSource, cache = new Map<string, PackageContents>()): PackageContents {
  const cached = cache.get(pkg.name)
  if (cached) return cached
  // Mark the package as in progress so a dependency cycle ends here instead of recursing forever: a
  // dependency in progress provides nothing.
  const placeholder: PackageContents = { items: new Map(), provided: new ProvidedItems([]), missing: [] }
  cache.set(pkg.name, placeholder)
  const sources: { name: string; contents: PackageContents }[] = []
  for (const dep of pkg.manifest.dependencies ?? []) {
    const depPackage = model.packages.get(dep.package)
    if (!depPackage) continue
    const depContents = packageContents(model, depPackage, cache)
    // A dependency in progress (a cycle) holds nothing yet, and never will as this package sees it.
    if (depContents.items.size + depContents.provided.sources.length > 0)
      sources.push({ name: dep.package, contents: depContents })
  }
  const provided = new ProvidedItems(sources)
  const items: PackageContents['items'] = new Map()
  const missing: ItemId[] = []
  for (const raw of pkg.manifest.items) {
    const id = raw as ItemId
    const definition = model.definitions.get(id)
    // Keyed by the definition's own id (the same characters): the string the loader made for the item, which
    // every reference to it holds too, where the manifest's is cut from its text; a lookup by a reference's
    // target then finds the very string it holds, instead of comparing the two character by character.
    if (definition) items.set(definition.id, { definition, origin: 'declared' })
    else missing.push(id)
  }
  if (pkg.manifest.includeReferences) {
    const queue = [...items.values()].map((i) => i.definition)
    while (queue.length > 0) {
      const definition = queue.pop()!
      // Only the items referred to matter here: read without making the references.
      for (let i = 0; i < definition.referenceCount; i++) {
        const targetId = definition.referenceTarget(i)
        if (items.has(targetId) || provided.has(targetId)) continue
        const target = model.definitions.get(targetId)
        if (!target) continue
        items.set(targetId, { definition: target, origin: 'included' })
        queue.push(target)
      }
    }
  }
  const result = { items, provided, missing }
  cache.set(pkg.name, result)
  return result
}

/**
 * What a package's dependencies provide, found when asked: each dependency in order, its own items first, then
 * what its dependencies provide; the first to hold an item provides it. The same answers as a map of every
 * item filled in that order, without the map: packages that depend on packages that depend on others would
 * each copy what all of those hold.
 */
export class ProvidedItems {
  /** The search that last went through this package (see find). */
  private visited = 0

  constructor(readonly sources: readonly { name: string; contents: PackageContents }[]) {}

  has(id: ItemId): boolean {
    return this.get(id) !== undefined
  }

  /** The package that provides `id`, or undefined. */
  get(id: ItemId): string | undefined {
    if (this.sources.length === 0) return undefined
    return this.find(id, ++searches)
  }

  /**
   * Depth first, in order. A package reached again through another path in the same search has nothing more to
   * say: it answered no the first time (the sources of a package are finished packages, made before it: no
   * search comes back to a package it is still in). Searches are told apart by number, not by a set each.
   */
  private find(id: ItemId, search: number): string | undefined {
    this.visited = search
    for (const { name, contents } of this.sources) {
      if (contents.items.has(id)) return name
      const next = contents.provided
      if (next.visited === search || next.sources.length === 0) continue
      const owner = next.find(id, search)
      if (owner !== undefined) return owner
    }
    return undefined
  }
}

/** Searches made so far, by every ProvidedItems. */
let searches = 0

/** Which packages hold an item (declared or included), for hints. */
export function packagesHolding(model: SourceModel, id: ItemId, cache: Map<string, PackageContents>): string[] {
  const holders: string[] = []
  for (const pkg of model.packages.values()) if (packageContents(model, pkg, cache).items.has(id)) holders.push(pkg.name)
  return holders.sort()
}
