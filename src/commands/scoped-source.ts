import { readCommitFiles, readCommitSnapshot } from '../adapters/git/repository-reader.js'
import type { Git } from '../adapters/git/git.js'
import { packageContents, type PackageContents } from '../core/model/package-contents.js'
import type { SourceEntry, SourceModel, SourcePaths } from '../core/model/source-model.js'
import { type ItemId, parseItemId } from '../core/names.js'
import { itemPath } from '../core/promotion/plan-promotion.js'
import { findReferences } from '../core/schema/references.js'
import type { LoadedSource } from '../core/source/load-source.js'
import { readYaml } from '../core/yaml/read-yaml.js'

/**
 * Loads, from one commit, only what the packages `names` need: the kind schemas, their manifests and those of
 * their dependencies (transitively), the items these declare, the definitions those items refer to (to know
 * they exist and what they are), and with includeReferences everything reached through references. The
 * files are read by path from git's trees, so the cost follows the packages asked for, not the size of the
 * repository. `load` turns the files read into the model exactly as a whole-repository load does; the model
 * is then asked what it still lacks, and the files it names are read too, until it lacks nothing.
 */
export async function loadPackagesAt(
  git: Git,
  commit: string,
  paths: SourcePaths,
  names: readonly string[],
  maxBytes: number,
  load: (snapshot: ReadonlyMap<string, SourceEntry>) => LoadedSource,
): Promise<LoadedSource> {
  const snapshot = await readCommitSnapshot(git, commit, [paths.kinds], maxBytes)
  const kindSchemas = new Map<string, object>()
  for (const [file, entry] of snapshot) {
    const kind = /^([^/]+)\.schema\.json$/.exec(file.slice(paths.kinds.length + 1))?.[1]
    if (!kind || entry.type !== 'file') continue
    try {
      const schema = JSON.parse(new TextDecoder().decode(entry.bytes)) as unknown
      if (schema && typeof schema === 'object') kindSchemas.set(kind, schema)
    } catch {
      // Reported by the load; references of this kind are then found by the model's check below.
    }
  }
  const asked = new Set<string>()
  const packageFile = (name: string) => `${paths.packages}/${name}.yaml`
  // What each definition read refers to, and which definitions have their references followed (every one
  // reached from a package with includeReferences); the others are read only to know they exist.
  const refersTo = new Map<ItemId, ItemId[]>()
  const followed = new Set<ItemId>()
  let wanted: string[] = names.map(packageFile)
  let toFollow: ItemId[] = []
  for (;;) {
    const fresh = [...new Set(wanted)].filter((file) => !asked.has(file))
    wanted = []
    if (fresh.length > 0) {
      for (const file of fresh) asked.add(file)
      const read = await readCommitFiles(git, commit, fresh, maxBytes)
      for (const [file, entry] of read) snapshot.set(file, entry)
      // A first look at the new files, to ask for the next ones in the same round trip.
      for (const file of fresh) {
        const entry = read.get(file)
        if (entry?.type !== 'file') continue
        const value = readYaml(file, entry.bytes).parsed?.value as Record<string, unknown> | null | undefined
        if (!value || typeof value !== 'object') continue
        if (file.startsWith(`${paths.packages}/`)) {
          const items = (Array.isArray(value.items) ? value.items : []).filter((i): i is ItemId => typeof i === 'string' && parseItemId(i) !== undefined)
          for (const id of items) wanted.push(itemPath(paths, id))
          if (value.includeReferences === true) toFollow.push(...items)
          for (const dep of Array.isArray(value.dependencies) ? value.dependencies : []) {
            const name = (dep as { package?: unknown } | null)?.package
            if (typeof name === 'string' && !name.includes('/')) wanted.push(packageFile(name))
          }
        } else {
          const kind = typeof value.kind === 'string' ? value.kind : ''
          const id = `${kind}/${String(value.name)}` as ItemId
          const schema = kindSchemas.get(kind)
          if (!schema || !parseItemId(id) || itemPath(paths, id) !== file) continue
          const targets = findReferences(schema, value.spec).map((r) => `${r.kind}/${r.name}` as ItemId).filter((t) => parseItemId(t) !== undefined)
          refersTo.set(id, targets)
          for (const target of targets) wanted.push(itemPath(paths, target))
        }
      }
    }
    // References of the definitions reached through includeReferences, as far as they go; a definition not
    // read yet is followed once it is.
    const later: ItemId[] = []
    while (toFollow.length > 0) {
      const id = toFollow.pop()!
      if (followed.has(id)) continue
      const targets = refersTo.get(id)
      if (!targets) {
        later.push(id)
        continue
      }
      followed.add(id)
      for (const target of targets) {
        wanted.push(itemPath(paths, target))
        toFollow.push(target)
      }
    }
    toFollow = later
    if (wanted.some((file) => !asked.has(file))) continue
    const loaded = load(snapshot)
    for (const file of missingFiles(loaded.model, paths)) if (!asked.has(file)) wanted.push(file)
    if (wanted.length === 0) return loaded
  }
}

/**
 * Files the model refers to that it was not given: manifests of dependencies, declared items, the targets of
 * the references of every item a package holds. Empty when the model has all it needs.
 */
function missingFiles(model: SourceModel, paths: SourcePaths): string[] {
  const files: string[] = []
  const cache = new Map<string, PackageContents>()
  for (const pkg of model.packages.values()) {
    for (const dep of pkg.manifest.dependencies ?? []) files.push(`${paths.packages}/${dep.package}.yaml`)
    for (const raw of pkg.manifest.items) if (parseItemId(raw)) files.push(itemPath(paths, raw as ItemId))
    for (const { definition } of packageContents(model, pkg, cache).items.values())
      for (const ref of definition.references) files.push(itemPath(paths, ref.target))
  }
  return files
}
