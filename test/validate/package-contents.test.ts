import { describe, expect, it } from 'vitest'
import { type PackageContents, packageContents } from '../../src/core/model/package-contents.js'
import type { Definition, PackageSource, SourceModel } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { Random } from '../../bench/random.js'

// What a package's dependencies provide is found when asked, not copied into a map per package. The map it
// replaces, filled the way it was (each dependency in order, its items then what it is provided with, the
// first holder kept; a dependency still in progress, in a cycle, providing nothing), is the reference here.
interface Before {
  items: Map<ItemId, unknown>
  provided: Map<ItemId, string>
}
function before(model: SourceModel, pkg: PackageSource, cache: Map<string, Before>): Before {
  const cached = cache.get(pkg.name)
  if (cached) return cached
  const provided = new Map<ItemId, string>()
  const placeholder: Before = { items: new Map(), provided: new Map() }
  cache.set(pkg.name, placeholder)
  for (const dep of pkg.manifest.dependencies ?? []) {
    const depPackage = model.packages.get(dep.package)
    if (!depPackage) continue
    const depContents = before(model, depPackage, cache)
    for (const id of depContents.items.keys()) if (!provided.has(id)) provided.set(id, dep.package)
    for (const [id, owner] of depContents.provided) if (!provided.has(id)) provided.set(id, owner)
  }
  const items = new Map<ItemId, unknown>()
  for (const raw of pkg.manifest.items) {
    const definition = model.definitions.get(raw as ItemId)
    if (definition) items.set(raw as ItemId, definition)
  }
  const result = { items, provided }
  cache.set(pkg.name, result)
  return result
}

describe('what the dependencies of a package provide', () => {
  it('is what the map filled in dependency order held, cycles and shared items included, on 300 generated graphs', () => {
    const rng = new Random(7)
    const next = () => rng.next()
    for (let round = 0; round < 300; round++) {
      const count = 2 + Math.floor(next() * 8)
      const names = Array.from({ length: count }, (_, i) => `p${i}`)
      const ids = Array.from({ length: 12 }, (_, i) => `task/t${i}` as ItemId)
      // Two of the items have no definition: listed, but held by no package.
      const definitions = new Map(ids.slice(2).map((id) => [id, { id } as unknown as Definition]))
      const itemsOf = new Map(names.map((n) => [n, ids.filter(() => next() < 0.2)]))
      const packages = new Map<string, PackageSource>(
        names.map((name) => [
          name,
          {
            name,
            file: `packages/${name}.yaml`,
            parsed: undefined as never,
            manifest: {
              name,
              items: itemsOf.get(name)!,
              dependencies: names.filter(() => next() < 0.3).map((package_) => ({ package: package_ })),
            },
          } as unknown as PackageSource,
        ]),
      )
      const model = { packages, definitions } as unknown as SourceModel
      const cache = new Map<string, PackageContents>()
      const mapCache = new Map<string, Before>()
      // In an order of its own, as validation walks them: the cycles are cut where the walk meets them.
      const order = [...names].sort(() => next() - 0.5)
      for (const name of order) {
        const contents = packageContents(model, packages.get(name)!, cache)
        const expected = before(model, packages.get(name)!, mapCache).provided
        for (const id of [...ids, 'task/none' as ItemId])
          expect([name, id, contents.provided.get(id)]).toEqual([name, id, expected.get(id)])
      }
    }
  })
})
