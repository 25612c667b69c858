import { parseTagMessage } from '../../core/bundle/bundle.js'
import type { Diagnostic } from '../../core/diagnostics.js'
import type { EnvironmentLedger, SourceEntry, SourcePaths } from '../../core/model/source-model.js'
import { type ReleasedVersion, parseTagName } from '../../core/model/released-version.js'
import { type ItemId, printable } from '../../core/names.js'
import { readWrittenLedger } from '../../core/promotion/ledger-read.js'
import { type EnvironmentView, itemPath, ledgerPath } from '../../core/promotion/plan-promotion.js'
import { ledgerProblems } from '../../core/schema/ledger-check.js'
import type { SchemaRegistry } from '../../core/schema/validator.js'
import { isVersion } from '../../core/versions/versions.js'
import { readYaml } from '../../core/yaml/read-yaml.js'
import type { Git, TreeEntry } from './git.js'
import { type GitObject, ObjectReader, type PathLookup, canonicalMode, indexOfByte, lookUpPaths } from './object-reader.js'
import type { WorkingTreeBlobs } from './working-tree-blobs.js'

/** Every version recorded by an annotated tag `<package>@<version>`, with the digests its message carries. */
export async function readReleasedVersions(git: Git): Promise<ReleasedVersion[]> {
  const format = '%(refname:strip=2)%00%(objecttype)%00%(*objectname)%00%(objectname)%00%(contents)%00%00'
  const out = await git.text(['for-each-ref', `--format=${format}`, 'refs/tags/'])
  const versions: ReleasedVersion[] = []
  for (const record of out.split('\0\0\n')) {
    if (!record.trim()) continue
    const [tag = '', type = '', peeled = '', object = '', message = ''] = record.split('\0')
    const version = releasedVersionOf(tag, type, peeled, object, message)
    if (version) versions.push(version)
  }
  return versions
}

/**
 * The released version a tag records, from what `git for-each-ref` says of it: its name under refs/tags/, its
 * object's type, the object it peels to, its object, its message. Undefined for a tag that is not a version.
 */
export function releasedVersionOf(tag: string, type: string, peeled: string, object: string, message: string): ReleasedVersion | undefined {
  const name = parseTagName(tag)
  if (!name || !isVersion(name.version)) return undefined
  const commit = type === 'tag' ? peeled : object
  const fields = type === 'tag' ? parseTagMessage(message) : {}
  return {
    package: name.package,
    version: name.version,
    tag,
    commit,
    ...(fields.digest ? { digest: fields.digest } : {}),
    ...(fields.content ? { contentDigest: fields.content } : {}),
    ...(fields.notes ? { notes: fields.notes } : {}),
  }
}

/** The files under `roots` at a commit, read in one batch; links and oversized blobs are flagged, not read. */
export async function readCommitSnapshot(
  git: Git,
  commit: string,
  roots: readonly string[],
  maxBytes: number,
  /** Filled with the object id of every entry, by path: what identifies the files read. */
  ids?: Map<string, string>,
  /**
   * The files of the working tree git lists from (the folder it runs in), read instead of their blobs where
   * their bytes are those blobs (see WorkingTreeBlobs): for the commit HEAD resolves to, mostly checked out.
   */
  workingTree?: WorkingTreeBlobs,
): Promise<Map<string, SourceEntry>> {
  const entries = await git.listTree(commit, { recursive: true, paths: roots, sizes: true })
  for (const entry of entries) ids?.set(entry.path, `${entry.mode} ${entry.sha}`)
  return snapshotOf(git, entries, maxBytes, workingTree)
}

/**
 * Only the named files at a commit (those that exist), as readCommitSnapshot reads them: the cost follows the
 * number of files asked for, not the size of the tree. Listed in chunks so that no command line grows too long.
 */
export async function readCommitFiles(
  git: Git,
  commit: string,
  files: readonly string[],
  maxBytes: number,
): Promise<Map<string, SourceEntry>> {
  return snapshotOf(git, await listCommitFiles(git, commit, files), maxBytes)
}

/** The tree entries of the named files at a commit (those that exist), with sizes; listed in chunks. */
export async function listCommitFiles(git: Git, commit: string, files: readonly string[]): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = []
  for (let start = 0; start < files.length; start += 1000) {
    const paths = files.slice(start, start + 1000)
    entries.push(...(await git.listTree(commit, { recursive: true, paths, sizes: true, literal: true })))
  }
  return entries
}

/**
 * The files of `entries` as readCommitSnapshot reads them: links and oversized blobs flagged, not read. With
 * `workingTree`, a regular file (mode 100644 or 100755) whose working-tree bytes are its blob is taken from
 * there; git reads the blobs of the others, in one batch, and none when there are none.
 */
export async function snapshotOf(git: Git, entries: readonly TreeEntry[], maxBytes: number, workingTree?: WorkingTreeBlobs): Promise<Map<string, SourceEntry>> {
  const snapshot = new Map<string, SourceEntry>()
  const wanted: string[] = []
  // The bytes of each blob read from the working tree, by object id: a blob at several paths is read once.
  const checked = new Map<string, Buffer>()
  for (const entry of entries) {
    if (entry.mode === '120000') snapshot.set(entry.path, { type: 'symlink' })
    else if (entry.type !== 'blob') snapshot.set(entry.path, { type: 'other' })
    else if ((entry.size ?? 0) > maxBytes) snapshot.set(entry.path, { type: 'too-large', size: entry.size ?? 0 })
    else if (checked.has(entry.sha)) continue
    else {
      const bytes = workingTree && (entry.mode === '100644' || entry.mode === '100755') && entry.size !== undefined ? workingTree.read(entry.path, entry.sha, entry.size) : undefined
      if (bytes) checked.set(entry.sha, bytes)
      else wanted.push(entry.sha)
    }
  }
  const unread = [...new Set(wanted)].filter((sha) => !checked.has(sha))
  const blobs = unread.length > 0 ? await git.readBlobs(unread) : undefined
  // In the order listed, after the links, folders and oversized files, as before.
  for (const entry of entries) {
    const bytes = checked.get(entry.sha) ?? blobs?.get(entry.sha)
    if (bytes && !snapshot.has(entry.path)) snapshot.set(entry.path, { type: 'file', bytes })
  }
  return snapshot
}

/** A ledger on an environment branch that is not one: the command cannot run (exit 2), with diagnostics. */
export class LedgerError extends Error {
  override name = 'LedgerError'
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message)
  }
}

const LEDGER_ROOT = '.gantry'
const LEDGER_FOLDER = '.gantry/installed'

/**
 * `.gantry` or `.gantry/installed` that is not a folder, or a ledger that is a link, a folder or a submodule:
 * the branch's record of what is installed is broken, as much as a ledger that does not parse.
 */
function notAFolder(entry: TreeEntry, where: string): LedgerError {
  const what = entry.mode === '120000' ? 'a symbolic link' : entry.type === 'tree' ? 'a folder' : entry.type === 'commit' ? 'a submodule' : 'a file'
  const should = entry.path === LEDGER_ROOT || entry.path === LEDGER_FOLDER ? 'a folder' : 'a ledger file'
  const message = `${printable(entry.path)} is ${what}, not ${should}`
  const diagnostic: Diagnostic = {
    severity: 'error',
    code: 'invalid-ledger',
    file: entry.path,
    message: `ledger on ${printable(where)}: ${message}`,
    hint: `restore ${LEDGER_FOLDER} from the history of ${printable(where)}; ledgers change only through promotion`,
  }
  return new LedgerError(`${printable(entry.path)} on ${printable(where)} is ${what}, not ${should}; restore ${LEDGER_FOLDER} from the branch history`, [diagnostic])
}

/** Every ledger on an environment branch, checked against the ledger schema; `branch` names it in messages. */
export async function readLedgers(
  git: Git,
  head: string | undefined,
  schemas: SchemaRegistry,
  branch?: string,
  /** Ledgers already checked, by file name and object id: shared by readings of several branches. */
  cache?: Map<string, EnvironmentLedger>,
  /** Reads the ledger folder and files through this process instead of starting processes of its own. */
  reader?: ObjectReader,
): Promise<Map<string, EnvironmentLedger>> {
  const ledgers = new Map<string, EnvironmentLedger>()
  if (!head) return ledgers
  const where = branch ?? head.slice(0, 12)
  // One listing shows `.gantry` and `.gantry/installed` themselves when they are not folders, and the files
  // of the ledger folder when it is one: a file or link there reads as no ledgers at all, so it is refused.
  // When the ledger folder is a folder (and so is `.gantry`), that listing is its entries: read from its tree.
  // A folder by its entry's mode, as the listing tells it: a submodule entry naming a tree object is still
  // a submodule (git resolves `<head>:<path>` to the object whatever the mode of the entry naming it).
  const folder = reader ? await ledgerFolderTree(reader, head) : undefined
  const listed =
    (folder?.type === 'tree' ? treeEntries(folder.bytes, folder.id, LEDGER_FOLDER) : undefined) ??
    (await git.listTree(head, { paths: [LEDGER_ROOT, `${LEDGER_FOLDER}/`], literal: true, fullTree: true }))
  const broken = listed.find((e) => (e.path === LEDGER_ROOT || e.path === LEDGER_FOLDER) && e.type !== 'tree')
  if (broken) throw notAFolder(broken, where)
  const entries: TreeEntry[] = []
  for (const entry of listed) {
    if (!entry.path.startsWith(`${LEDGER_FOLDER}/`)) continue
    const inFolder = { ...entry, path: entry.path.slice(LEDGER_FOLDER.length + 1) }
    if (!inFolder.path.endsWith('.yaml')) continue
    if (entry.type !== 'blob' || entry.mode === '120000') throw notAFolder(entry, where)
    entries.push(inFolder)
  }
  const key = (entry: TreeEntry) => `${entry.path}\0${entry.sha}`
  const unread = [...new Set(entries.filter((e) => !cache?.has(key(e))).map((e) => e.sha))]
  const blobs = reader ? await reader.readBlobs(unread) : await git.readBlobs(unread)
  for (const entry of entries) {
    const known = cache?.get(key(entry))
    if (known) {
      ledgers.set(known.package, known)
      continue
    }
    const file = `${LEDGER_FOLDER}/${entry.path}`
    const bytes = blobs.get(entry.sha) ?? new Uint8Array()
    // A ledger as Gantry writes it is read without the YAML parser (readWrittenLedger: the value the full
    // read builds, valid against the ledger schema, named after its file); anything else takes the full
    // read, which finds and places every problem.
    const written = readWrittenLedger(bytes, file, entry.path, schemas)
    if (written) {
      ledgers.set(written.package, written)
      cache?.set(key(entry), written)
      continue
    }
    const { ledger, diagnostics } = ledgerProblems(readYaml(file, bytes), entry.path, where, schemas)
    if (!ledger) throw new LedgerError(`${file} on ${where} is not a valid ledger; restore it from the branch history`, diagnostics)
    ledgers.set(ledger.package, ledger)
    cache?.set(key(entry), ledger)
  }
  return ledgers
}

/** The tree of the ledger folder at `head` when its entry is a folder's (mode 040000) and its object a tree. */
async function ledgerFolderTree(reader: ObjectReader, head: string): Promise<GitObject | undefined> {
  const [lookup] = await lookUpPaths(reader, head, [LEDGER_FOLDER])
  if (typeof lookup !== 'object' || lookup.mode !== '040000') return undefined
  return (await reader.readTrees([lookup.id]))[0]
}

/** The environment branch as the planner needs it: head, ledgers, and the bytes of the items asked for. */
export async function readEnvironmentView(
  git: Git,
  branch: string,
  paths: SourcePaths,
  schemas: SchemaRegistry,
  needed: (ledgers: ReadonlyMap<string, EnvironmentLedger>) => readonly ItemId[],
  at?: string,
  /**
   * The ids whose bytes are read (all of `needed` when absent): of the others, only whether they are on the
   * branch as files is read, into `present`, when a listing answers it.
   */
  bytesFor?: (ledgers: ReadonlyMap<string, EnvironmentLedger>) => ReadonlySet<ItemId>,
  /** Reads the ledgers, the folders and the files through this process (kept open by the caller). */
  reader?: ObjectReader,
): Promise<EnvironmentView & { ref?: string }> {
  // `at` reads the branch as it was at that commit (a promotion's base) instead of its tip.
  const resolved = at ? { ref: `refs/heads/${branch}`, head: at } : await git.resolveBranch(branch)
  const ledgers = await readLedgers(git, resolved?.head, schemas, branch, undefined, reader)
  const files = new Map<ItemId, Uint8Array>()
  if (resolved) {
    const ids = needed(ledgers)
    const { found, present, obstructed } = await readItemFiles(git, resolved.head, ids.map((id) => [id, itemPath(paths, id)]), bytesFor?.(ledgers), LIST_FOLDER_FROM, reader)
    for (const id of ids) {
      const bytes = found.get(id)
      if (bytes) files.set(id, bytes)
    }
    return {
      branch,
      ledgers,
      files,
      ...(present.size > 0 ? { present } : {}),
      ...(obstructed.size > 0 ? { obstructed } : {}),
      head: resolved.head,
      ref: resolved.ref,
    }
  }
  return { branch, ledgers, files }
}

/**
 * The entries of each folder of `folders` at `head` as `git ls-tree --full-tree <head> -- <folder>/` lists
 * them: a folder whose lookup ends at a folder entry holding a well-formed tree object is read through
 * `reader` (treeEntries); one that is not there lists nothing, as git lists nothing; any other case (a lookup
 * this cannot answer as git would, a folder entry whose object is not a tree) is listed by git itself.
 */
async function listFolders(git: Git, head: string, folders: readonly string[], reader?: ObjectReader): Promise<TreeEntry[]> {
  if (folders.length === 0) return []
  if (!reader) return git.listTree(head, { paths: folders.map((f) => `${f}/`), literal: true, fullTree: true })
  const lookups = await lookUpPaths(reader, head, folders)
  const trees = await reader.readTrees(lookups.map((lookup) => (typeof lookup === 'object' && lookup.mode === '040000' ? lookup.id : '')).filter((id) => id !== ''))
  const entries: TreeEntry[] = []
  const byGit: string[] = []
  let next = 0
  folders.forEach((folder, index) => {
    const lookup = lookups[index]!
    if (lookup === 'missing') return
    const tree = typeof lookup === 'object' && lookup.mode === '040000' ? trees[next++] : undefined
    const listed = tree?.type === 'tree' ? treeEntries(tree.bytes, tree.id, folder) : undefined
    if (listed) entries.push(...listed)
    else byGit.push(folder)
  })
  if (byGit.length > 0) entries.push(...(await git.listTree(head, { paths: byGit.map((f) => `${f}/`), literal: true, fullTree: true })))
  return entries
}

/** A folder holding at least this many of the files asked for is listed once instead of looked up per file. */
const LIST_FOLDER_FROM = 8

/**
 * The bytes of the item files at `head` that are files there, and what is in the way of the others. Looking
 * a path up makes git read every tree on the way, so thousands of files of one folder cost thousands of
 * readings of that folder: a folder holding many of the files asked for is listed once instead (its entries'
 * object ids then read in one batch). What a listing cannot answer exactly (a folder with nothing listed, an
 * entry that is neither a file nor a folder) is looked up per path as before.
 */
export async function readItemFiles(
  git: Git,
  head: string,
  wanted: readonly [ItemId, string][],
  /** Ids whose bytes are read; of a listed file not among them, only that it is there (all when absent). */
  bytesFor?: ReadonlySet<ItemId>,
  listFrom = LIST_FOLDER_FROM,
  /** Reads the folders on the way and the files through this process, each folder once (see lookUpFromTrees). */
  reader?: ObjectReader,
): Promise<{ found: Map<ItemId, Uint8Array>; present: Set<ItemId>; obstructed: Map<ItemId, string> }> {
  const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/'))
  // Each wanted file's folder, cut from its path once.
  const wantedFolders = wanted.map(([, path]) => folderOf(path))
  const perFolder = new Map<string, number>()
  for (const folder of wantedFolders) perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1)
  const listed = [...perFolder].filter(([folder, count]) => folder !== '' && count >= listFrom).map(([folder]) => folder)
  const entries = new Map<string, TreeEntry>()
  // A folder with an entry listed is a folder (git keeps no empty trees), and so is every folder above it.
  const folders = new Set<string>()
  if (listed.length > 0) {
    const listedFolders = new Set(listed)
    for (const entry of await listFolders(git, head, listed, reader)) {
      const folder = folderOf(entry.path)
      if (!listedFolders.has(folder)) continue
      folders.add(folder)
      entries.set(entry.path, entry)
    }
  }
  const byId = new Map<ItemId, string>()
  const present = new Set<ItemId>()
  const obstructedListed = new Map<ItemId, string>()
  let lookedUp: [ItemId, string][] = []
  for (let index = 0; index < wanted.length; index++) {
    const [id, path] = wanted[index]!
    if (!folders.has(wantedFolders[index]!)) {
      lookedUp.push([id, path])
      continue
    }
    const entry = entries.get(path)
    if (!entry) continue // nothing at the path, and its folders are folders: not on the branch, nothing in the way
    if (entry.type === 'blob') {
      if (!bytesFor || bytesFor.has(id)) byId.set(id, entry.sha)
      else present.add(id)
    }
    else if (entry.type === 'tree') obstructedListed.set(id, `a folder is at ${path}`)
    else lookedUp.push([id, path]) // a submodule: what a lookup of the path says depends on the objects at hand
  }
  const found = new Map<ItemId, Uint8Array>()
  const obstructedLookedUp = new Map<ItemId, string>()
  if (reader) {
    // What the folders read through the reader answer as git's lookups would; the rest is asked of git.
    const answered = await lookUpFromTrees(reader, head, lookedUp)
    for (const [id, bytes] of answered.found) found.set(id, bytes)
    lookedUp = answered.unknown
  }
  const specs = lookedUp.map(([, path]) => `${head}:${path}`)
  const blobSpecs = [...new Set(byId.values()), ...specs]
  const blobs = reader ? await reader.readBlobs(blobSpecs) : await git.readBlobs(blobSpecs)
  for (const [id, sha] of byId) {
    const bytes = blobs.get(sha)
    if (bytes) found.set(id, bytes)
  }
  lookedUp.forEach(([id], index) => {
    const bytes = blobs.get(specs[index]!)
    if (bytes) found.set(id, bytes)
  })
  for (const [id, what] of await findObstructions(git, head, lookedUp.filter(([id]) => !found.has(id)))) obstructedLookedUp.set(id, what)
  // In the order asked, as the lookups alone gave them.
  const obstructed = new Map<ItemId, string>()
  for (const [id] of wanted) {
    const what = obstructedListed.get(id) ?? obstructedLookedUp.get(id)
    if (what !== undefined) obstructed.set(id, what)
  }
  return { found, present, obstructed }
}

/**
 * The item files that git's lookups of `<head>:<path>` would find as files (their bytes), from the folders
 * read through `reader`, and those it cannot answer as git would (`unknown`), which are asked of git as
 * before. Only the plain cases are answered here: a file or link at the path whose object is a blob (read),
 * or nothing at the path with every folder above it a folder, or nothing there at all (nothing in the way, as
 * findObstructions would find). Anything else at the path or on the way (a folder, a submodule, a file where
 * a folder is needed, an object of another type than its entry says) is left to git's lookups, so that what
 * is refused and how it is named stays as findObstructions says it.
 */
async function lookUpFromTrees(
  reader: ObjectReader,
  head: string,
  wanted: readonly [ItemId, string][],
): Promise<{ found: Map<ItemId, Uint8Array>; unknown: [ItemId, string][] }> {
  const found = new Map<ItemId, Uint8Array>()
  const unknown: [ItemId, string][] = []
  if (wanted.length === 0) return { found, unknown }
  // Per file: its path, then each folder above it, as findObstructions asks them.
  const queries = wanted.map(([, path]) => {
    const parts = path.split('/')
    return [path, ...parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'))]
  })
  const lookups = await lookUpPaths(reader, head, queries.flat())
  const answers: PathLookup[][] = []
  let next = 0
  for (const asked of queries) {
    answers.push(lookups.slice(next, next + asked.length))
    next += asked.length
  }
  const isFile = (lookup: PathLookup) => typeof lookup === 'object' && (lookup.mode.startsWith('100') || lookup.mode === '120000')
  const ids = [...new Set(answers.flatMap(([at]) => (typeof at === 'object' && isFile(at) ? [at.id] : [])))]
  const objects = await reader.read(ids)
  const blobs = new Map<string, GitObject | undefined>(ids.map((id, index) => [id, objects[index]]))
  wanted.forEach((item, index) => {
    const [at, ...folders] = answers[index]!
    if (typeof at === 'object' && isFile(at) && blobs.get(at.id)?.type === 'blob') found.set(item[0], blobs.get(at.id)!.bytes)
    else if (at === 'missing' && folders.every((f) => f === 'missing' || (typeof f === 'object' && f.mode === '040000' && reader.isTree(f.id)))) return
    else unknown.push(item)
  })
  return { found, unknown }
}

/**
 * For item files not on the branch as files: what is in the way of writing them, if anything (a folder at
 * the file's path, a file or link where one of its folders is needed, a link at the path). One git process.
 */
async function findObstructions(git: Git, head: string, wanted: readonly [ItemId, string][]): Promise<Map<ItemId, string>> {
  const found = new Map<ItemId, string>()
  if (wanted.length === 0) return found
  const queries: { id: ItemId; path: string; folder: boolean }[] = []
  for (const [id, path] of wanted) {
    queries.push({ id, path, folder: false })
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) queries.push({ id, path: parts.slice(0, i).join('/'), folder: true })
  }
  const { stdout } = await git.run(['cat-file', '--batch-check=%(objecttype)'], { input: `${queries.map((q) => `${head}:${q.path}`).join('\n')}\n` })
  const types = stdout.toString('utf8').split('\n')
  queries.forEach((query, index) => {
    if (found.has(query.id)) return
    const type = types[index]?.trim() ?? ''
    if (type.endsWith('missing') || type === '') return
    if (!query.folder && type !== 'blob') found.set(query.id, `a folder is at ${query.path}`)
    else if (query.folder && type !== 'tree') found.set(query.id, `a file is at ${query.path}, where a folder is needed`)
  })
  return found
}

export { ledgerPath }

export { type GitObject, ObjectReader } from './object-reader.js'

/**
 * The entries of a tree object as `git ls-tree` lists them, each path under `folder`: the mode made canonical
 * as git shows it (a file 100644 or 100755, a link 120000, a folder 040000, anything else a submodule), and
 * the name decoded as git's output is. Undefined for bytes that are no well-formed tree (git would refuse
 * them): the caller then asks git itself.
 */
export function treeEntries(body: Uint8Array, id: string, folder: string): TreeEntry[] | undefined {
  const entries: TreeEntry[] = []
  const read = forEachTreeEntry(body, id, (mode, type, sha, name) => entries.push({ mode, type, sha, path: `${folder}/${name}` }))
  return read ? entries : undefined
}

/**
 * Each entry of a tree object as treeEntries gives it, handed to `visit` with its name in the tree (no entry
 * object, no path made): whether the bytes are a well-formed tree. `visit` may have seen the entries before
 * the first one that is not, when they are not.
 */
export function forEachTreeEntry(body: Uint8Array, id: string, visit: (mode: string, type: TreeEntry['type'], sha: string, name: string) => void): boolean {
  const idBytes = id.length / 2
  if (idBytes !== 20 && idBytes !== 32) return false
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  let at = 0
  while (at < bytes.length) {
    // Thousands of entries per folder: the runtime's search called directly, and the mode read from its bytes.
    const space = indexOfByte.call(bytes, 0x20, at)
    const nul = space < 0 ? -1 : indexOfByte.call(bytes, 0, space + 1)
    if (space <= at || nul < 0 || nul === space + 1 || nul + 1 + idBytes > bytes.length) return false
    // One to six octal digits.
    if (space - at > 6) return false
    let written = 0
    for (let i = at; i < space; i++) {
      const digit = bytes[i]! - 0x30
      if (digit < 0 || digit > 7) return false
      written = written * 8 + digit
    }
    const name = bytes.toString('utf8', space + 1, nul)
    if (name.includes('/')) return false
    const mode = canonicalMode(written)
    visit(mode, mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob', bytes.toString('hex', nul + 1, nul + 1 + idBytes), name)
    at = nul + 1 + idBytes
  }
  return true
}
