import { readWorkingTree } from '../adapters/fs/read-working-tree.js'
import type { TreeEntry } from '../adapters/git/git.js'
import { type GitObject, ObjectReader, forEachTreeEntry, readLedgers, treeEntries } from '../adapters/git/repository-reader.js'
import { sha256 } from '../core/bundle/canonical-json.js'
import type { Diagnostic } from '../core/diagnostics.js'
import { releasesByPackage } from '../core/model/released-version.js'
import type { EnvironmentLedger } from '../core/model/source-model.js'
import { type ItemId, isValidName, itemId, parseItemId } from '../core/names.js'
import type { SourceEntry } from '../core/model/source-model.js'
import { writtenItemTree } from '../core/promotion/item-read.js'
import { readWrittenLedger, readWrittenLedgerAlike, type WrittenLedger } from '../core/promotion/ledger-read.js'
import { itemPath } from '../core/promotion/plan-promotion.js'
import { kindSchemaProblems } from '../core/schema/kind-schema-limits.js'
import { type FoundReference, findReferences, mayRefer } from '../core/schema/references.js'
import { compareVersions } from '../core/versions/versions.js'
import { loadKindSchemas } from '../core/source/load-source.js'
import { DEFAULT_YAML_LIMITS, readYaml } from '../core/yaml/read-yaml.js'
import { type OpenRepository, openRepository } from './repository.js'

export interface EnvironmentStatus {
  status: 'APPLIED'
  version: string
  digest: string
  appliedAt?: string
  rollback?: boolean
}

export interface PackageStatus {
  name: string
  latest: string | null
  versions: string[]
  environments: Record<string, EnvironmentStatus>
}

export interface StatusResult {
  ok: boolean
  environments: { name: string; branch: string; head: string | null }[]
  packages: PackageStatus[]
  /**
   * Drift on environment branches: locked items changed (error), local customizations, unowned items, and
   * references of installed items to items that are not on the branch (error).
   */
  drift: Diagnostic[]
}

/** The package x environment matrix, derived from tags and ledgers, and the drift of each branch. */
export async function statusCommand(options: { repo: string }): Promise<StatusResult> {
  // Status shows tags, ledgers and branches: it reads gantry.yaml, the kind schemas (what refers to what) and
  // the names of the package files, and parses no definition or package of the source.
  const repository = await openRepository(options.repo, { sources: false })
  const { paths } = repository
  const snapshot = await readWorkingTree(repository.dir, [paths.kinds], DEFAULT_YAML_LIMITS.maxBytes)
  // Of the packages only the names: the files are listed, not read.
  const packageFiles = await readWorkingTree(repository.dir, [paths.packages], DEFAULT_YAML_LIMITS.maxBytes, { listOnly: true })
  const names: string[] = []
  for (const file of packageFiles.keys()) {
    const name = /^([^/]+)\.ya?ml$/.exec(file.slice(paths.packages.length + 1))?.[1]
    if (file.startsWith(`${paths.packages}/`) && name && isValidName(name)) names.push(name)
  }
  const kinds = referringKinds(snapshot, repository)
  return deriveStatus(repository, names, kinds.schema, kinds.usable)
}

/**
 * The schema of each kind that can refer to anything, as status finds references with it (`schema`), and
 * whether it is usable (`usable`): what the loader every command uses makes of it (every check, then the
 * compile), a broken schema giving no schema, as it always did.
 *
 * A kind whose schema has no `x-gantry-ref` reachable from its root finds no reference in any value: its
 * items are not parsed. Any other kind's schema is checked against Gantry's limits on kind schemas (what keeps
 * finding references bounded: size, depth, expansion by combinators and `$ref`s, patterns) and used as it is
 * to find references; the loader (and ajv's compile, the most of its cost) runs only when a reference of an
 * item of the kind does not resolve, and decides then whether that is reported. Whether a schema is usable
 * changes nothing else status shows: a kind with no schema finds no references, and references that all
 * resolve report nothing either way. A schema past the limits goes to the loader at once (which refuses it).
 */
export function referringKinds(
  snapshot: ReadonlyMap<string, SourceEntry>,
  repository: OpenRepository,
): { schema: (kind: string) => object | undefined; usable: (kind: string) => boolean } {
  const { paths, model } = repository
  const files = new Map<string, string>()
  for (const [file, entry] of snapshot) {
    const kind = /^([^/]+)\.schema\.json$/.exec(file.slice(paths.kinds.length + 1))?.[1]
    if (file.startsWith(`${paths.kinds}/`) && entry.type === 'file' && kind && isValidName(kind)) files.set(kind, file)
  }
  const found = new Map<string, object | undefined>()
  // The kinds the loader has decided, and what it gave (undefined: no schema).
  const decided = new Map<string, object | undefined>()
  const load = (kind: string): object | undefined => {
    if (decided.has(kind)) return decided.get(kind)
    const file = files.get(kind)!
    loadKindSchemas(new Map([[file, snapshot.get(file)!]]), paths, model.schemas)
    const loaded = model.schemas.kindSchema(kind)
    decided.set(kind, loaded)
    return loaded
  }
  const schema = (kind: string): object | undefined => {
    if (decided.has(kind)) return decided.get(kind) && found.get(kind)
    if (found.has(kind)) return found.get(kind)
    let schema: object | undefined
    const file = files.get(kind)
    const entry = file ? snapshot.get(file) : undefined
    if (file && entry?.type === 'file') {
      let raw: unknown
      try {
        raw = JSON.parse(new TextDecoder().decode(entry.bytes))
      } catch {
        raw = undefined
      }
      // The loader drops the schema's own `$id` too; a schema that is not an object is refused by it.
      const { $id: _ignored, ...withoutId } = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>
      if (raw && typeof raw === 'object' && !Array.isArray(raw) && mayRefer(withoutId)) {
        // Every format taken: the loader's own check (with the formats it knows) finds these problems and more.
        schema = kindSchemaProblems(raw, () => true).length === 0 ? withoutId : load(kind)
      }
    }
    found.set(kind, schema)
    return schema
  }
  return { schema, usable: (kind) => load(kind) !== undefined }
}

/** The matrix and the drift; `packageNames`, the source's packages, default to those of the loaded model. */
export async function deriveStatus(
  repository: OpenRepository,
  packageNames: readonly string[] = [...repository.model.packages.keys()],
  kindSchema: (kind: string) => object | undefined = (kind) => repository.model.schemas.kindSchema(kind),
  /** Whether the schema kindSchema gave for a kind is usable, asked before a reference that does not resolve is reported. */
  usable: (kind: string) => boolean = () => true,
): Promise<StatusResult> {
  const { git, config, model } = repository
  const ledgersByEnv = new Map<string, Map<string, EnvironmentLedger>>()
  const environments: StatusResult['environments'] = []
  const drift: Diagnostic[] = []
  // Environments mostly hold the same files: each object (ledger, item) is read and parsed once, by its id.
  const ledgerCache = new Map<string, EnvironmentLedger>()
  const items: ItemCache = new Map()
  const targets: Targets = new Map()
  const itemFiles: ItemFiles = new Map()
  const trees: TreeCache = { views: new Map(), folders: new Map(), folderViews: new Map(), itemAt: new Map() }
  // Every object status reads (heads, folders, ledgers, items) comes through one git process.
  const reader = new ObjectReader(git)
  try {
    const heads = await resolveBranches(reader, config.environments.map((env) => env.branch))
    // Each branch's definitions tree by its object id, all in one request: branches holding the same tree
    // share its listing.
    const treeOf = await definitionTrees(reader, heads, repository.paths.definitions)
    await readWrittenLedgers(reader, heads, model.schemas, ledgerCache)
    for (const [index, env] of config.environments.entries()) {
      const head = heads[index]
      environments.push({ name: env.name, branch: env.branch, head: head ?? null })
      const ledgers = await readLedgers(git, head, model.schemas, env.branch, ledgerCache, reader)
      ledgersByEnv.set(env.name, ledgers)
      if (head) drift.push(...(await findDrift(repository, kindSchema, usable, env.name, env.branch, head, treeOf.get(head), ledgers, items, targets, itemFiles, trees, reader)))
      // A promotion merged by a person, not by Gantry: it skipped Gantry's approval, release date and window checks.
      // A `gantry apply` records `promotion: null`: it is not a promotion pull request and is not drift.
      for (const [pkg, ledger] of ledgers) {
        if (typeof ledger.promotion !== 'number' || !ledger.appliedBy || ledger.appliedBy === 'gantry') continue
        drift.push({
          severity: 'warning',
          code: 'merged-outside-gantry',
          message: `${pkg}@${ledger.version} (promotion #${ledger.promotion}) was merged by ${ledger.appliedBy}, not by Gantry: its approvals, release date and window were not checked by Gantry`,
          package: pkg,
          item: `.gantry/installed/${pkg}.yaml`,
          environment: env.name,
          hint: `restrict updates on ${env.branch} so that only Gantry's App can merge (docs/action.md, permissions and protection)`,
        })
      }
    }
    await reader.close()
  } catch (error) {
    // The error that stopped the reading is the one to report, not one the reader gives on closing.
    await reader.close().catch(() => undefined)
    throw error
  }
  const names = new Set([...packageNames, ...repository.released.map((r) => r.package)])
  for (const ledgers of ledgersByEnv.values()) for (const name of ledgers.keys()) names.add(name)
  const releases = releasesByPackage(repository.released)
  const packages: PackageStatus[] = [...names].sort().map((name) => {
    const versions = (releases.get(name) ?? [])
      .map((r) => r.version)
      .sort((a, b) => compareVersions(b, a))
    const envs: Record<string, EnvironmentStatus> = {}
    for (const [env, ledgers] of ledgersByEnv) {
      const ledger = ledgers.get(name)
      if (ledger) {
        envs[env] = {
          status: 'APPLIED',
          version: ledger.version,
          digest: ledger.digest,
          ...(ledger.appliedAt ? { appliedAt: ledger.appliedAt } : {}),
          ...(ledger.rollback ? { rollback: true } : {}),
        }
      }
    }
    return { name, latest: versions[0] ?? null, versions, environments: envs }
  })
  return { ok: drift.every((d) => d.severity !== 'error'), environments, packages, drift }
}

/**
 * What an item object is, by its id: the sha256 of its bytes, and the references it makes (by kind). Kept
 * per kind in a field, not a map per object: ten thousand objects would hold twenty thousand maps for one
 * kind each.
 */
type ItemCache = Map<string, CachedItem>
/**
 * An item object: its bytes and digest, and what it refers to as an item of the kind it was first met as
 * (`kind`, `refs`), or of another kind (one object may be the file of items of two kinds, rarely).
 */
type CachedItem = { bytes: Uint8Array; digest: string; kind?: string; refs?: ItemReferences; otherKinds?: Map<string, ItemReferences> }
/**
 * An item object's references as an item of one kind: what each names, in the order findReferences finds
 * them. Where each is in the item's value is worked out again, by the same reading, only for an item with a
 * reference that does not resolve: tens of thousands of paths are not kept to the end for the few reported.
 */
type ItemReferences = Target[]
const referencesOf = (item: CachedItem, kind: string): ItemReferences | undefined => (item.kind === kind ? item.refs : item.otherKinds?.get(kind))
function keepReferences(item: CachedItem, kind: string, refs: ItemReferences): void {
  if (item.kind === undefined) {
    item.kind = kind
    item.refs = refs
  } else (item.otherKinds ??= new Map()).set(kind, refs)
}
/**
 * What references name: the target's id, and its file and folder (undefined when the target is no valid item
 * id, so no file can hold it); and whether that file is listed in the folders of a tree last looked at
 * (`listedIn`, that tree's folders by path), the same on every branch holding the same tree.
 */
type Target = {
  target: ItemId
  targetPath: string | undefined
  targetFolder: string | undefined
  /** The target file's name in its folder. */
  targetName: string | undefined
  listedIn?: ReadonlyMap<string, FolderView>
  listed?: boolean
}
/** The targets by the kind and the name references give. */
type Targets = Map<string, Map<string, Target>>
/** Whether the target's file is listed among `folders` (a file, a link or a submodule), worked out once per tree. */
function isListedIn(to: Target, folders: ReadonlyMap<string, FolderView>): boolean {
  if (to.listedIn !== folders) {
    to.listedIn = folders
    to.listed = to.targetPath !== undefined && isListed(folders.get(to.targetFolder!), to.targetName!)
  }
  return to.listed!
}

/**
 * What drift needs of one definitions tree (by its object id): environments mostly hold the same tree, or
 * share it with another at some time, and it is listed and indexed once.
 */
interface TreeView {
  /** Each folder of the tree by its path: what is in it, shared with any branch holding the same folder there. */
  folders: Map<string, FolderView>
  /** The listed files named like an item (`<kind>/<name>.yaml` with valid names), in listing order. */
  itemFiles: { path: string; id: ItemId }[]
}
/**
 * The files, links and submodules directly in one folder, by their names in it (a listed path is its folder's
 * path, `/` and that name, and a name holds no `/`): the object id of each file or link, the submodules, and
 * the item files (named like an item) among them, in the folder's order. Keyed by the names git's listing
 * gives, not by paths put together: tens of thousands of entries hold no path string of their own.
 */
interface FolderView {
  objectAt: Map<string, string>
  submodules: Set<string>
  itemFiles: { path: string; id: ItemId }[]
}
/** Whether the file `name` is listed in `folder` (a file, a link or a submodule). */
const isListed = (folder: FolderView | undefined, name: string): boolean => folder !== undefined && (folder.objectAt.has(name) || folder.submodules.has(name))
/** An item's file: the item's id, the file's path, the folder it is in, its name there, and the item's kind. */
type ItemFile = { id: ItemId; path: string; folder: string; name: string; kind: string }
/** Each item id's file, checked and built once for every environment. */
type ItemFiles = Map<ItemId, ItemFile>
/**
 * The views by definitions tree id, every folder read (its tree object, by its id), the view of each folder
 * by its path and tree id, and the item id each listed path names (null for a path that names none), shared
 * by the branches.
 */
type TreeCache = {
  views: Map<string, TreeView>
  folders: Map<string, GitObject>
  folderViews: Map<string, FolderView>
  itemAt: Map<string, ItemId | null>
}

/** The folder a listed path is in. */
const folderOf = (path: string): string => path.slice(0, path.lastIndexOf('/'))
/** The file of item `id` at `path` in `folder`, the path's folder. */
const fileIn = (id: ItemId, path: string, folder: string, kind: string): ItemFile => ({ id, path, folder, name: path.slice(folder.length + 1), kind })

/**
 * The view of a definitions tree read from its folders: the definitions folder, then the folders of kinds in
 * one request, each folder (by its path and tree id) indexed once for every branch holding it. The files are
 * those `git ls-tree -r` lists at those two levels, in its order. Undefined when one of those folders cannot
 * be read as one: the caller then asks git itself.
 */
async function readTreeView(
  reader: ObjectReader,
  root: GitObject,
  definitions: string,
  trees: TreeCache,
  itemFiles: ItemFiles,
): Promise<TreeView | undefined> {
  const top = treeEntries(root.bytes, root.id, '')
  if (!top) return undefined
  // Only the definitions folder and the folders of kinds are read: every file status looks at (an item, a
  // reference's target) is `<definitions>/<kind>/<name>.yaml`. Deeper folders are never listed, so a hand-made
  // tree that holds one folder object at two names on every level (2^depth paths, which `git ls-tree -r` walks
  // one by one) costs no more than its first two levels.
  const kinds = top.filter((e) => e.type === 'tree').map((e) => ({ path: `${definitions}${e.path}`, id: e.sha }))
  const unread = [...new Set(kinds.map((f) => f.id).filter((id) => !trees.folders.has(id)))]
  const objects = await reader.read(unread)
  for (const [index, id] of unread.entries()) {
    const object = objects[index]
    if (object?.type !== 'tree') return undefined
    trees.folders.set(id, object)
  }
  // Each folder's view, made from its entries when no branch before made it; a folder that is no well-formed
  // tree leaves the listing to git. The views made before it stay: a view, as the item files it notes, is
  // what its folder's path and tree give, whichever branch asks.
  for (const { path, id } of [{ path: definitions, id: root.id }, ...kinds]) {
    const key = `${path}\0${id}`
    if (trees.folderViews.has(key)) continue
    const folder = folderView(path, id === root.id ? root : trees.folders.get(id)!, definitions, itemFiles)
    if (!folder) return undefined
    trees.folderViews.set(key, folder)
  }
  const folders = new Map<string, FolderView>()
  for (const { path, id } of [{ path: definitions, id: root.id }, ...kinds]) {
    const folder = trees.folderViews.get(`${path}\0${id}`)!
    // A tree git would not write may name a folder twice: both are listed, the later file at a path wins.
    const twice = folders.get(path)
    folders.set(path, twice ? { objectAt: new Map([...twice.objectAt, ...folder.objectAt]), submodules: new Set([...twice.submodules, ...folder.submodules]), itemFiles: [] } : folder)
  }
  // The item files in listing order: those of each kind's folder, in the definitions folder's order.
  const files: TreeView['itemFiles'] = []
  for (const { path, id } of kinds) for (const file of trees.folderViews.get(`${path}\0${id}`)!.itemFiles) files.push(file)
  return { folders, itemFiles: files }
}

/**
 * What is directly in the folder at `path`, from its tree object's entries as treeEntries reads them (their
 * entries are not kept: the view holds what drift asks of them); undefined when they are not a well-formed tree.
 */
function folderView(path: string, tree: GitObject, definitions: string, itemFiles: ItemFiles): FolderView | undefined {
  const objectAt = new Map<string, string>()
  const submodules = new Set<string>()
  const files: FolderView['itemFiles'] = []
  // Only the folders of kinds hold item files (`<definitions>/<kind>/<name>.yaml`, both names valid): the
  // folder's name is the kind, checked once.
  const kind = folderOf(path) === definitions ? path.slice(definitions.length + 1) : undefined
  const itemsHere = kind !== undefined && isValidName(kind)
  const read = forEachTreeEntry(tree.bytes, tree.id, (_mode, type, sha, fileName) => {
    if (type === 'tree') return
    if (type === 'blob') objectAt.set(fileName, sha)
    else submodules.add(fileName)
    // An item file is `<name>.yaml`, with a valid name.
    if (!itemsHere || !fileName.endsWith('.yaml')) return
    const name = fileName.slice(0, -'.yaml'.length)
    if (!isValidName(name)) return
    const id = `${kind}/${name}` as ItemId
    // The path itemPath gives the id: kept, it is not built and checked again. An id met before (on another
    // branch, in another tree of the folder) is listed with the file and strings kept then.
    let file = itemFiles.get(id)
    if (file === undefined) itemFiles.set(id, (file = { id, path: `${path}/${fileName}`, folder: path, name: fileName, kind: kind! }))
    files.push(file)
  })
  return read ? { objectAt, submodules, itemFiles: files } : undefined
}

/** The view of a definitions tree from a listing by git (each path in it), the same as readTreeView's. */
function listingView(listed: readonly TreeEntry[], definitions: string, trees: TreeCache, itemFiles: ItemFiles): TreeView {
  const folders = new Map<string, FolderView>()
  const files: TreeView['itemFiles'] = []
  for (const entry of listed) {
    const path = folderOf(entry.path)
    let folder = folders.get(path)
    if (!folder) folders.set(path, (folder = { objectAt: new Map(), submodules: new Set(), itemFiles: [] }))
    const name = entry.path.slice(path.length + 1)
    if (entry.type === 'blob') folder.objectAt.set(name, entry.sha)
    else folder.submodules.add(name)
    const id = itemAtPath(entry.path, definitions, trees, itemFiles)
    if (id !== null) files.push({ path: entry.path, id })
  }
  return { folders, itemFiles: files }
}

/**
 * What `git ls-tree -r` lists of the definitions folder at its two levels, in git's order: the folder's own
 * entries, then each kind folder's (a deeper folder is not walked, and is no file). Two listings, never a walk
 * of every path: a tree readTreeView cannot read may still hold 2^depth paths below a kind folder.
 */
async function listTwoLevels(git: OpenRepository['git'], head: string, definitions: string): Promise<TreeEntry[]> {
  const top = await git.listTree(head, { paths: [`${definitions}/`], literal: true, fullTree: true })
  const kinds = [...new Set(top.filter((e) => e.type === 'tree').map((e) => `${e.path}/`))]
  const listed = kinds.length === 0 ? top : await git.listTree(head, { paths: [`${definitions}/`, ...kinds], literal: true, fullTree: true })
  return listed.filter((e) => e.type !== 'tree')
}

/** The item id a listed path names (`<definitions>/<kind>/<name>.yaml`, valid names), or null. */
function itemAtPath(path: string, definitions: string, trees: TreeCache, itemFiles: ItemFiles): ItemId | null {
  // Branches list mostly the same paths: each is matched and its name checked once.
  let id = trees.itemAt.get(path)
  if (id !== undefined) return id
  const match = path.slice(definitions.length + 1).match(/^([^/]+)\/([^/]+)\.yaml$/)
  const candidate = match ? (`${match[1]}/${match[2]}` as ItemId) : undefined
  id = candidate && parseItemId(candidate) ? candidate : null
  trees.itemAt.set(path, id)
  // The path itemPath gives the id: kept, it is not built and checked again.
  if (id !== null && !itemFiles.has(id) && path === `${definitions}/${id}.yaml`) itemFiles.set(id, fileIn(id, path, folderOf(path), match![1]!))
  return id
}

async function findDrift(
  repository: OpenRepository,
  kindSchema: (kind: string) => object | undefined,
  usable: (kind: string) => boolean,
  env: string,
  branch: string,
  head: string,
  /** The branch's definitions tree, when it is a tree: the listing is kept by its id. */
  tree: GitObject | undefined,
  ledgers: ReadonlyMap<string, EnvironmentLedger>,
  cache: ItemCache,
  targets: Targets,
  itemFiles: ItemFiles,
  trees: TreeCache,
  reader: ObjectReader,
): Promise<Diagnostic[]> {
  const { git, paths } = repository
  // Every item's path is asked for again and again (its references, on each environment): checked and
  // built once per item.
  const fileOf = (id: ItemId): ItemFile => {
    let file = itemFiles.get(id)
    if (file === undefined) {
      // itemPath refuses what is no item id: the kind is what comes before its slash.
      const path = itemPath(paths, id)
      itemFiles.set(id, (file = fileIn(id, path, folderOf(path), id.slice(0, id.indexOf('/')))))
    }
    return file
  }
  const owned = new Map<ItemId, EnvironmentLedger>()
  for (const ledger of ledgers.values()) for (const id of Object.keys(ledger.items)) owned.set(id as ItemId, ledger)
  // The branch's item files and their object ids in one listing; only objects not seen on another
  // environment are read. A link is read as the blob it is, as reading the path would.
  let view = tree === undefined ? undefined : trees.views.get(tree.id)
  if (!view) {
    view =
      (tree ? await readTreeView(reader, tree, paths.definitions, trees, itemFiles) : undefined) ??
      listingView(await listTwoLevels(git, head, paths.definitions), paths.definitions, trees, itemFiles)
    if (tree !== undefined) trees.views.set(tree.id, view)
  }
  const { folders } = view
  // Each owned item once, in the order of `owned`: the findings are put in the order of their item ids at
  // the end (few), instead of sorting every id of every environment.
  const ids: ItemId[] = []
  const files: ItemFile[] = []
  const shas: (string | undefined)[] = []
  const unread = new Set<string>()
  owned.forEach((_, id) => {
    const file = fileOf(id)
    const sha = folders.get(file.folder)?.objectAt.get(file.name)
    ids.push(id)
    files.push(file)
    shas.push(sha)
    if (sha !== undefined && !cache.has(sha)) unread.add(sha)
  })
  const blobs = await reader.readManyBlobs([...unread])
  for (const sha of unread) {
    const bytes = blobs.get(sha)
    if (bytes) cache.set(sha, { bytes, digest: sha256(bytes) })
  }
  const changed: Diagnostic[] = []
  const unresolvedFound: Diagnostic[] = []
  for (let index = 0; index < ids.length; index++) {
    const id = ids[index]!
    const sha = shas[index]
    const item = sha === undefined ? undefined : cache.get(sha)
    const ledger = owned.get(id)!
    const actual = item?.digest
    if (actual !== ledger.items[id]) {
      const locked = ledger.locked === true
      changed.push({
        severity: locked ? 'error' : 'warning',
        code: locked ? 'locked-item-modified' : 'local-customization',
        file: files[index]!.path,
        package: ledger.package,
        item: id,
        environment: env,
        message: `${id} of ${locked ? 'locked ' : ''}package ${ledger.package} was ${actual ? 'changed' : 'deleted'} on ${branch} outside a promotion`,
        hint: locked
          ? `revert the change on ${branch}, or change it in the source and promote a new version`
          : `an unlocked package may be customized per environment; the next promotion of ${ledger.package} ${ledger.locked ? 'refuses' : 'merges or overwrites'} it`,
      })
    }
    // References of installed items must resolve on the branch. Only the items already read above are
    // parsed, only those whose kind can refer to anything (findReferences walks no schema without
    // x-gantry-ref), and each object once whatever the number of environments holding it.
    if (!item) continue
    const { path: file, kind } = files[index]!
    const schema = kindSchema(kind)
    // A kind that can refer to nothing: its items are not parsed, no reference could be found in them.
    if (!schema || !mayRefer(schema)) continue
    let known = referencesOf(item, kind)
    if (!known) {
      // Each target with its file, the same on every environment.
      known = findItemReferences(schema, file, item.bytes).map((ref): Target => {
        // Many items name the same target: its id and file are worked out once (by kind, then name).
        let names = targets.get(ref.kind)
        if (!names) targets.set(ref.kind, (names = new Map()))
        let found = names.get(ref.name)
        if (!found) {
          const target = itemId(ref.kind, ref.name)
          // An item on the branch is hostile input: a reference to a name no item can have (`conn: Bad Name`)
          // has no path, so it resolves to nothing and is reported as any other broken reference.
          const targetFile = itemFiles.get(target) ?? (parseItemId(target) ? fileOf(target) : undefined)
          found = { target, targetPath: targetFile?.path, targetFolder: targetFile?.folder, targetName: targetFile?.name }
          // The name kept as a key is cut from the target's id, not from the item's text it was read from:
          // the texts of thousands of items are not kept to the end for the names they gave first.
          names.set(target.slice(ref.kind.length + 1), found)
        }
        return found
      })
      keepReferences(item, kind, known)
    }
    // Whether each target is a file is worked out once per target and tree (many items name the same target).
    let unresolved: number[] | undefined
    for (let at = 0; at < known.length; at++) if (!isListedIn(known[at]!, folders)) (unresolved ??= []).push(at)
    // A reference that does not resolve is reported when the kind's schema is usable; otherwise the kind has no
    // schema and finds no references (nor in the items of the kind that come after).
    if (unresolved === undefined || !usable(kind)) continue
    // Where each reference is: the same reading with the same schema finds the same references in the same order.
    const found = findItemReferences(schema, file, item.bytes)
    for (const at of unresolved) {
      const { target, targetPath } = known[at]!
      unresolvedFound.push({
        severity: 'error',
        code: 'unresolved-in-environment',
        file,
        ...readYaml(file, item.bytes).parsed!.positionOf(found[at]!.path),
        package: ledger.package,
        item: id,
        environment: env,
        message:
          targetPath === undefined
            ? `${id} of package ${ledger.package} refers to "${target}", which is no item name, on ${branch}`
            : `${id} of package ${ledger.package} refers to ${target}, which is not on ${branch}`,
        hint:
          targetPath === undefined
            ? `correct the reference in ${id} on ${branch}, or promote ${ledger.package} to ${env} again`
            : `promote the package that holds ${target} to ${env}, or restore it on ${branch}`,
      })
    }
  }
  // In the order of the item ids (as sorted strings), the findings of one item in the order found.
  const out = [...byItem(changed), ...byItem(unresolvedFound)]
  for (const { path, id } of view.itemFiles) {
    if (owned.has(id)) continue
    out.push({
      severity: 'warning',
      code: 'unowned-item',
      file: path,
      item: id,
      environment: env,
      message: `${id} on ${branch} belongs to no package (created by hand)`,
      hint: 'add it to a package in the source repository, or delete it from the branch',
    })
  }
  return out
}

/**
 * The references of an item's bytes as an item of a kind with `schema`: most items are as Gantry's apply wrote
 * them, read without a YAML parser (writtenItemTree: the value readYaml builds, its maps kept as their keys
 * and values in order, which findReferences walks as it walks the value); any other
 * text takes readYaml, and a file it cannot read refers to nothing.
 */
function findItemReferences(schema: object, file: string, bytes: Uint8Array): FoundReference[] {
  const written = writtenItemTree(bytes)
  if (written !== undefined) return findReferences(schema, written.get('spec'))
  const parsed = readYaml(file, bytes).parsed
  if (!parsed) return []
  return findReferences(schema, (parsed.value as { spec?: unknown } | null | undefined)?.spec)
}

/** Findings in the order of their item ids (compared as strings, as a sort of the ids does), stable within one item. */
function byItem(found: Diagnostic[]): Diagnostic[] {
  return found.length < 2 ? found : found.sort((a, b) => (a.item! < b.item! ? -1 : a.item! > b.item! ? 1 : 0))
}

/** The folder of ledgers on an environment branch, as readLedgers reads it. */
const LEDGER_FOLDER = '.gantry/installed'

/**
 * The ledgers of every branch, all in one request, that are written the way Gantry writes them and valid
 * (readWrittenLedger), put in `cache` as readLedgers keeps the ledgers it checked: by file name and object id.
 * readLedgers then lists each branch's folder and checks it as always, and reads only the ledgers not in
 * `cache` (those written another way, or invalid: it reports them, as ever).
 */
export async function readWrittenLedgers(
  reader: ObjectReader,
  heads: readonly (string | undefined)[],
  schemas: OpenRepository['model']['schemas'],
  cache: Map<string, EnvironmentLedger>,
): Promise<void> {
  const wanted = [...new Set(heads.filter((h): h is string => h !== undefined))]
  const folders = await reader.read(wanted.map((head) => `${head}:${LEDGER_FOLDER}`))
  const files = new Map<string, string>()
  for (const folder of folders) {
    if (folder?.type !== 'tree') continue
    // A folder that is not what readLedgers takes is read by readLedgers alone (it refuses what it must).
    for (const entry of treeEntries(folder.bytes, folder.id, '') ?? []) {
      const name = entry.path.slice(1)
      if (entry.type === 'blob' && entry.mode !== '120000' && name.endsWith('.yaml') && !cache.has(`${name}\0${entry.sha}`)) files.set(`${name}\0${entry.sha}`, entry.sha)
    }
  }
  const blobs = await reader.readManyBlobs([...new Set(files.values())])
  // A package's ledger on each environment is the same text but for its `environment:` line and the digests of
  // the items that environment made differ: read and checked whole once, the others against it
  // (readWrittenLedgerAlike), each with its own file and bytes.
  const read = new Map<string, WrittenLedger[]>()
  for (const [key, sha] of files) {
    const bytes = blobs.get(sha)
    if (!bytes) continue
    const name = key.slice(0, key.indexOf('\0'))
    const file = `${LEDGER_FOLDER}/${name}`
    const known = read.get(name)
    let ledger: EnvironmentLedger | undefined
    for (const other of known ?? []) if ((ledger = readWrittenLedgerAlike(bytes, other, file, name, schemas))) break
    if (!ledger && (ledger = readWrittenLedger(bytes, file, name, schemas))) {
      // A few texts per file name at most are kept to read the others against.
      if (!known) read.set(name, [{ bytes, ledger }])
      else if (known.length < 4) known.push({ bytes, ledger })
    }
    if (ledger) cache.set(key, ledger)
  }
}

/**
 * The head of each environment branch, as Git.resolveBranch finds it (the local branch, else the
 * remote-tracking one from origin, each as a commit), all in one request.
 */
async function resolveBranches(reader: ObjectReader, branches: readonly string[]): Promise<(string | undefined)[]> {
  const refs = branches.flatMap((branch) => [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`])
  const objects = await reader.read(refs.map((ref) => `${ref}^{commit}`))
  return branches.map((_, index) => [objects[2 * index], objects[2 * index + 1]].find((o) => o?.type === 'commit')?.id)
}

/** The tree `<head>:<folder>` for each head where it is a tree, all in one request. */
async function definitionTrees(reader: ObjectReader, heads: readonly (string | undefined)[], folder: string): Promise<Map<string, GitObject>> {
  const wanted = [...new Set(heads.filter((h): h is string => h !== undefined))]
  const trees = new Map<string, GitObject>()
  // No such path, or a link there: missing, and the listing asks git.
  const objects = await reader.read(wanted.map((head) => `${head}:${folder}`))
  for (const [index, head] of wanted.entries()) {
    const object = objects[index]
    if (object?.type === 'tree' && /^[0-9a-f]{40,64}$/.test(object.id)) trees.set(head, object)
  }
  return trees
}
