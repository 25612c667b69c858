import { listCommitFiles, readCommitSnapshot, snapshotOf } from '../adapters/git/repository-reader.js'
import type { Git } from '../adapters/git/git.js'
import { packageContents, type PackageContents } from '../core/model/package-contents.js'
import type { SourceEntry, SourceModel, SourcePaths } from '../core/model/source-model.js'
import { type ItemId, parseItemId } from '../core/names.js'
import { itemPath } from '../core/promotion/plan-promotion.js'
import { type LoadedSource, loadKindSchemas } from '../core/source/load-source.js'
import { SchemaRegistry } from '../core/schema/validator.js'
import type { Diagnostic } from '../core/diagnostics.js'

/**
 * Loads, from one commit, only what the packages `names` need, read by path from git's trees, so that the
 * cost follows the packages asked for, not the size of the repository: the kind schemas; the manifests;
 * the items they declare; with includeReferences, everything reached through references; the packages a
 * package's dependencies provide, transitively. With `validate`, also the dependencies of every named
 * package and the definitions their items refer to (to know they exist and what they are), which checking
 * them needs; without, only what their bundles' contents need. `load` turns files into a model exactly as
 * a whole-repository load does, with the kinds already in `schemas`.
 */
export async function loadPackagesAt(
  git: Git,
  commit: string,
  paths: SourcePaths,
  names: readonly string[],
  maxBytes: number,
  load: (snapshot: ReadonlyMap<string, SourceEntry>, schemas: SchemaRegistry) => LoadedSource,
  validate = true,
  /**
   * Without checking: a model of another commit, loaded with the same gantry.yaml, whose files are taken as
   * they are wherever git holds the same object at the same path there (and the kind schemas are the same
   * objects too): only the files that differ are read and loaded.
   */
  reuse?: { commit: string; model: SourceModel },
): Promise<LoadedSource> {
  const ids = new Map<string, string>()
  const kindFiles = await readCommitSnapshot(git, commit, [paths.kinds], maxBytes, ids)
  // The kind schemas are compiled once for every load of the same kind files (the costliest part of a
  // small load): by the ids of their objects, so that equal ids mean equal schemas, whatever the commit.
  const keyOf = (found: Map<string, string>) => `${paths.kinds}\n${[...found].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, id]) => `${id} ${path}`).join('\n')}`
  const kindsKey = keyOf(ids)
  let same: typeof reuse | undefined
  if (reuse && !validate) {
    const then = new Map<string, string>()
    await readCommitSnapshot(git, reuse.commit, [paths.kinds], 0, then)
    if (keyOf(then) === kindsKey) same = reuse
  }
  let kinds = same ? { schemas: same.model.schemas, diagnostics: [] } : compiledKinds.get(kindsKey)
  if (!kinds) {
    const schemas = new SchemaRegistry()
    kinds = { schemas, diagnostics: loadKindSchemas(kindFiles, paths, schemas) }
    compiledKinds.clear()
    compiledKinds.set(kindsKey, kinds)
  }
  const { schemas, diagnostics: kindDiagnostics } = kinds
  const rules: ScopeRules = { named: new Set(names), validate, paths }
  // Each round reads the files the model so far lacks and loads them on their own: a definition or a
  // manifest loads the same whatever else is loaded with it (it is checked against its own path and the
  // kinds), so the model grows as one load of all the files would make it, and nothing is parsed twice.
  const unloaded = { definitions: new Set<ItemId>(), packages: new Set<string>() }
  const model: SourceModel = {
    config: undefined as unknown as SourceModel['config'],
    paths,
    schemas,
    definitions: new Map(),
    packages: new Map(),
    unloaded,
  }
  const diagnostics: Diagnostic[] = [...kindDiagnostics]
  // What the other commit's model holds, by file.
  const reusable = {
    definitions: new Map([...(same?.model.definitions.values() ?? [])].map((d) => [d.file, d])),
    packages: new Map([...(same?.model.packages.values() ?? [])].map((p) => [p.file, p])),
  }
  if (same) model.config = same.model.config
  const asked = new Set<string>()
  let wanted = names.map((name) => packageFile(paths, name))
  for (;;) {
    const fresh = [...new Set(wanted)].filter((file) => !asked.has(file))
    if (fresh.length === 0) {
      // As one load says it: what a broken file was meant to hold is unloaded unless another file holds it.
      for (const id of unloaded.definitions) if (model.definitions.has(id)) unloaded.definitions.delete(id)
      for (const name of unloaded.packages) if (model.packages.has(name)) unloaded.packages.delete(name)
      return { model, diagnostics }
    }
    for (const file of fresh) asked.add(file)
    const entries = await listCommitFiles(git, commit, fresh)
    if (same) {
      // The files that are the same objects in the other commit's model are taken from it, as they are.
      const there = new Map((await listCommitFiles(git, same.commit, fresh)).map((e) => [e.path, `${e.mode} ${e.sha}`]))
      const taken = new Set<string>()
      for (const e of entries) {
        if (there.get(e.path) !== `${e.mode} ${e.sha}`) continue
        const definition = reusable.definitions.get(e.path)
        const pkg = reusable.packages.get(e.path)
        if (definition) model.definitions.set(definition.id, definition)
        else if (pkg) model.packages.set(pkg.name, pkg)
        else continue
        taken.add(e.path)
      }
      if (taken.size === entries.length) {
        wanted = neededFiles(model, rules)
        continue
      }
      entries.splice(0, entries.length, ...entries.filter((e) => !taken.has(e.path)))
    }
    const read = await snapshotOf(git, entries, maxBytes)
    const loaded = load(read, schemas)
    model.config = loaded.model.config
    for (const [id, definition] of loaded.model.definitions) model.definitions.set(id, definition)
    for (const [name, pkg] of loaded.model.packages) model.packages.set(name, pkg)
    for (const id of loaded.model.unloaded?.definitions ?? []) unloaded.definitions.add(id)
    for (const name of loaded.model.unloaded?.packages ?? []) unloaded.packages.add(name)
    for (const d of loaded.diagnostics) diagnostics.push(d)
    wanted = neededFiles(model, rules)
  }
}

/** The kinds compiled last, by the ids of their files. */
const compiledKinds = new Map<string, { schemas: SchemaRegistry; diagnostics: Diagnostic[] }>()

interface ScopeRules {
  named: ReadonlySet<string>
  validate: boolean
  paths: SourcePaths
}

const packageFile = (paths: SourcePaths, name: string) => `${paths.packages}/${name}.yaml`

/**
 * Files the model needs by the rules of loadPackagesAt: manifests of dependencies, declared items, the
 * targets of the references that count.
 */
function neededFiles(model: SourceModel, rules: ScopeRules): string[] {
  const { named, validate, paths } = rules
  const files: string[] = []
  const cache = new Map<string, PackageContents>()
  const dependenciesMatter = validate || [...named].some((name) => model.packages.get(name)?.manifest.includeReferences === true)
  for (const pkg of model.packages.values()) {
    const include = pkg.manifest.includeReferences === true
    const isNamed = named.has(pkg.name)
    for (const raw of pkg.manifest.items) if (parseItemId(raw)) files.push(itemPath(paths, raw as ItemId))
    // A dependency's own dependencies provide to it, and so to the package that depends on it.
    if (dependenciesMatter) for (const dep of pkg.manifest.dependencies ?? []) files.push(packageFile(paths, dep.package))
    if ((isNamed && validate) || include) {
      for (const { definition } of packageContents(model, pkg, cache).items.values())
        for (const ref of definition.references) files.push(itemPath(paths, ref.target))
    }
  }
  return files
}
