import type { Diagnostic, Position } from '../diagnostics.js'
import type {
  Definition,
  DefinitionReference,
  GantryConfig,
  GantryPackage,
  PackageSource,
  SourceModel,
  SourcePaths,
  SourceSnapshot,
} from '../model/source-model.js'
import { type ItemId, explainInvalidName, isValidName, parseItemId, printable } from '../names.js'
import { detached } from '../schema/detached.js'
import { walkReferences } from '../schema/references.js'
import type { SchemaRegistry } from '../schema/validator.js'
import {
  type DocumentPath,
  type ParsedYaml,
  type YamlLimits,
  DEFAULT_YAML_LIMITS,
  positionInText,
} from '../yaml/read-yaml.js'
import { ignoredSourceFiles } from './load-config.js'
import { append, boundFindings } from './bound-findings.js'
import { entryNow, readEntry } from './read-entry.js'

export interface LoadedSource {
  model: SourceModel
  diagnostics: Diagnostic[]
}

/**
 * Builds the source model from a snapshot: kind schemas, then definitions (envelope, name, path, kind, spec,
 * references), then packages (read before the definitions, reported after them). A bad file is reported and
 * left out; every other file is still loaded.
 *
 * A definition's document is let go once its references are found, and read again from the file's bytes
 * when asked for: validation needs few of them, those of the items an environment sets fields of, which are
 * kept. `keepDocuments`: keep them all, for work that reads every item (bundles of every package).
 */
export function loadSource(
  snapshot: SourceSnapshot,
  config: GantryConfig,
  paths: SourcePaths,
  schemas: SchemaRegistry,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
  options: { keepDocuments?: boolean } = {},
): LoadedSource {
  const diagnostics: Diagnostic[] = []
  const files: string[] = []
  for (const file of [...snapshot.keys()].sort()) {
    const type = snapshot.get(file)?.type
    if (type === 'file' || type === 'too-large') files.push(file)
    // A link or a special file is never read, whatever its name: a linked folder could hold anything.
    else if (
      [paths.kinds, paths.definitions, paths.packages].some(
        (root) => file === root || file.startsWith(`${root}/`),
      )
    )
      append(diagnostics, readEntry(snapshot, file, limits).diagnostics)
  }
  const under = (folder: string) => {
    const prefix = `${folder}/`
    return files.filter((f) => f.startsWith(prefix))
  }
  diagnostics.push(...ignoredSourceFiles(files, paths))

  loadKinds(snapshot, under(paths.kinds), paths, schemas, diagnostics)
  // Packages are read before the definitions, their findings listed after them: the items whose fields an
  // environment sets are then known while the definitions load, and their documents kept (validation checks
  // each with its overrides applied), instead of read again from their files.
  const packageDiagnostics: Diagnostic[] = []
  const packages = loadPackages(snapshot, under(paths.packages), paths, schemas, limits, packageDiagnostics)
  const keep = options.keepDocuments === true ? 'all' : overriddenItems(packages)
  const definitions = loadDefinitions(snapshot, under(paths.definitions), paths, schemas, limits, diagnostics, keep)
  append(diagnostics, packageDiagnostics)
  const unloaded = { definitions: new Set<ItemId>(), packages: new Set<string>() }
  for (const d of diagnostics) {
    if (!d.file) continue
    // What a broken file was meant to hold: the item or package its path names, or the one it declares.
    const inDefinitions = d.file.slice(paths.definitions.length + 1).match(/^([^/]+)\/([^/]+)\.ya?ml$/)
    const inPackages = d.file.slice(paths.packages.length + 1).match(/^([^/]+)\.ya?ml$/)
    if (d.file.startsWith(`${paths.definitions}/`)) {
      for (const id of [inDefinitions ? `${inDefinitions[1]}/${inDefinitions[2]}` : undefined, d.item]) {
        if (id && !definitions.has(id as ItemId)) unloaded.definitions.add(id as ItemId)
      }
    } else if (d.file.startsWith(`${paths.packages}/`)) {
      for (const name of [inPackages?.[1], d.package])
        if (name && !packages.has(name)) unloaded.packages.add(name)
    }
  }
  return {
    model: { config, paths, schemas, definitions, packages, unloaded },
    diagnostics: boundFindings(diagnostics),
  }
}

/**
 * Only the kind schemas of a snapshot, for commands that need to know what refers to what and nothing of the
 * definitions or packages (status): the diagnostics of the kinds that did not load.
 */
export function loadKindSchemas(snapshot: SourceSnapshot, paths: SourcePaths, schemas: SchemaRegistry): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  const files = [...snapshot.keys()].filter((f) => f.startsWith(`${paths.kinds}/`) && snapshot.get(f)?.type === 'file').sort()
  loadKinds(snapshot, files, paths, schemas, diagnostics)
  return diagnostics
}

function loadKinds(
  snapshot: SourceSnapshot,
  files: string[],
  paths: SourcePaths,
  schemas: SchemaRegistry,
  diagnostics: Diagnostic[],
): void {
  for (const file of files) {
    const match = file.slice(paths.kinds.length + 1).match(/^([^/]+)\.schema\.json$/)
    if (!match) continue
    const kind = match[1]!
    const error = (message: string, hint?: string, line = 1, column = 1) =>
      diagnostics.push({
        severity: 'error',
        code: 'schema',
        file,
        line,
        column,
        message,
        ...(hint ? { hint } : {}),
      })
    if (!isValidName(kind)) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file,
        line: 1,
        column: 1,
        message: `kind name ${explainInvalidName(kind)}`,
        hint: 'kind names match ^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$',
      })
      continue
    }
    const entry = entryNow(snapshot, file)
    if (entry?.type !== 'file') {
      const read = readEntry(snapshot, file, DEFAULT_YAML_LIMITS, entry)
      append(diagnostics, read.diagnostics)
      continue
    }
    const text = new TextDecoder().decode(entry.bytes)
    let schema: unknown
    try {
      schema = JSON.parse(text)
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      const at = /position (\d+)/.exec(message)
      const pos = at ? positionInText(text, Number(at[1])) : { line: 1, column: 1 }
      error(`${file} is not valid JSON: ${message}`, 'fix the JSON syntax', pos.line, pos.column)
      continue
    }
    const forbidden = findForbiddenKey(schema)
    if (forbidden !== undefined) {
      const offset = text.search(new RegExp(`"${forbidden}"\\s*:`))
      diagnostics.push({
        severity: 'error',
        code: 'forbidden-key',
        file,
        ...positionInText(text, Math.max(0, offset)),
        message: `the key "${forbidden}" is not allowed`,
        hint: 'rename the key; __proto__, constructor and prototype are refused everywhere',
      })
      continue
    }
    diagnostics.push(...schemas.loadKind(file, text, kind, schema))
  }
}

function loadDefinitions(
  snapshot: SourceSnapshot,
  files: string[],
  paths: SourcePaths,
  schemas: SchemaRegistry,
  limits: YamlLimits,
  diagnostics: Diagnostic[],
  /** The items whose documents are kept once loaded: every one, or these. */
  keep: 'all' | ReadonlySet<string>,
): Map<ItemId, Definition> {
  const definitions = new Map<ItemId, Definition>()
  const misplaced: { file: string; parsed: ParsedYaml; id: ItemId; expected: string }[] = []
  const shared = new SharedValues()
  // The path the walk hands over is its own, changing array: shared.path copies it only when it is new.
  const addReference = (path: readonly (string | number)[], kind: string, name: string): void =>
    shared.addReference(shared.path(path), shared.target(kind, name))
  for (const file of files) {
    if (!/\.ya?ml$/.test(file)) continue
    const read = readEntry(snapshot, file, limits)
    append(diagnostics, read.diagnostics)
    const parsed = read.parsed
    if (!parsed) continue
    const doc = parsed.value as Definition['document']
    const fields: Record<string, unknown> = isRecord(parsed.value) ? parsed.value : {}
    const names = new NameChecks(parsed)
    names.name(['kind'], fields.kind, 'kind')
    names.name(['name'], fields.name, 'name')
    const envelope = names.merge(schemas.validateBuiltIn('definition', parsed))
    if (envelope.length > 0) {
      append(diagnostics, envelope)
      continue
    }
    // The same string as every reference to the item holds.
    const id = shared.id(shared.target(doc.kind, doc.name))
    const expected = `${paths.definitions}/${doc.kind}/${doc.name}.yaml`
    if (file !== expected) {
      misplaced.push({ file, parsed, id, expected })
      continue
    }
    if (!schemas.hasKind(doc.kind)) {
      diagnostics.push({
        severity: 'error',
        code: 'unknown-kind',
        file,
        ...parsed.positionOf(['kind']),
        item: id,
        message: `kind "${doc.kind}" has no schema`,
        hint: `add ${paths.kinds}/${doc.kind}.schema.json; known kinds: ${schemas.kindNames().join(', ') || 'none'}`,
      })
      continue
    }
    const specDiagnostics = schemas.validateSpec(doc.kind, parsed, doc.spec)
    if (specDiagnostics.length > 0) {
      append(diagnostics, specDiagnostics.map((d) => ({ ...d, item: id })))
      continue
    }
    // A repository holds five references or more per definition: each kept as the numbers of its path and
    // its target, shared with every other reference that has the same, in one list for all definitions.
    const start = shared.references
    // As findReferences: where a combinator found a path twice, the first reference at it is kept.
    if (walkReferences(schemas.kindSchema(doc.kind) ?? {}, doc.spec, addReference)) shared.keepFirstAtEachPath(start)
    // Validation needs the references, kept here, and the documents of few items (those with overrides, kept
    // too): any other document is read again from the file's bytes when first asked for.
    if (keep !== 'all' && !keep.has(id)) parsed.dropValue()
    definitions.set(id, new LoadedDefinition(id, shared.kind(doc.kind), file, parsed, shared, start, shared.references))
  }
  // A file in the wrong place is a second copy when the right place defines the same item (a file copied and
  // not renamed), else a file to move.
  for (const { file, parsed, id, expected } of misplaced) {
    const original = definitions.get(id)
    diagnostics.push(
      original
        ? {
            severity: 'error',
            code: 'duplicate-definition',
            file,
            ...parsed.positionOf(['name']),
            item: id,
            message: `${id} is defined twice: here and in ${original.file}`,
            hint: `keep one of them: delete this file, or give it a name of its own and the path that goes with it`,
          }
        : {
            severity: 'error',
            code: 'path-mismatch',
            file,
            ...parsed.positionOf(['name']),
            item: id,
            message: `${printable(file)} declares ${id}, which belongs in ${expected}`,
            hint: `move the file to ${expected}, or change kind and name to match its path`,
          },
    )
  }
  return definitions
}

function loadPackages(
  snapshot: SourceSnapshot,
  files: string[],
  paths: SourcePaths,
  schemas: SchemaRegistry,
  limits: YamlLimits,
  diagnostics: Diagnostic[],
): Map<string, PackageSource> {
  const packages = new Map<string, PackageSource>()
  for (const file of files) {
    if (!/\.ya?ml$/.test(file)) continue
    const read = readEntry(snapshot, file, limits)
    append(diagnostics, read.diagnostics)
    const parsed = read.parsed
    if (!parsed) continue
    const manifest = parsed.value as GantryPackage
    const problems = checkPackageNames(parsed).merge(schemas.validateBuiltIn('package', parsed))
    if (problems.length > 0) {
      append(diagnostics, problems)
      continue
    }
    const expected = `${paths.packages}/${manifest.name}.yaml`
    if (file !== expected) {
      diagnostics.push({
        severity: 'error',
        code: 'path-mismatch',
        file,
        ...parsed.positionOf(['name']),
        package: manifest.name,
        message: `${printable(file)} declares package ${manifest.name}, which belongs in ${expected}`,
        hint: `rename the file to ${expected}, or change the name`,
      })
      continue
    }
    packages.set(manifest.name, { name: manifest.name, file, manifest, parsed })
  }
  return packages
}

/** The items some environment of some package sets fields of (`environments.<env>.set`). */
function overriddenItems(packages: ReadonlyMap<string, PackageSource>): Set<string> {
  const items = new Set<string>()
  for (const { manifest } of packages.values())
    for (const settings of Object.values(manifest.environments ?? {})) for (const id of Object.keys(settings.set ?? {})) items.add(id)
  return items
}

/** A definition as loaded: its document is the parsed file's value, which the file can give again. */
class LoadedDefinition implements Definition {
  constructor(
    readonly id: ItemId,
    readonly kind: string,
    readonly file: string,
    readonly parsed: ParsedYaml,
    private readonly shared: SharedValues,
    /** Its references in `shared`: from `start` to before `end`. */
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** Cut from the id when asked, not kept (a string the parser cut from the file's text would keep it alive). */
  get name(): string {
    return this.id.slice(this.kind.length + 1)
  }

  get document(): Definition['document'] {
    return this.parsed.value as Definition['document']
  }

  /**
   * Made when asked, not kept: hundreds of thousands of small objects that live as long as the model cost the
   * garbage collector a copy each while the repository loads, and a few readers walk them.
   */
  get references(): DefinitionReference[] {
    const references: DefinitionReference[] = new Array(this.end - this.start)
    for (let i = this.start; i < this.end; i++)
      references[i - this.start] = new LazyReference(this.parsed, this.shared.pathAt(i), this.shared.targetAt(i))
    return references
  }

  get referenceCount(): number {
    return this.end - this.start
  }

  referenceTarget(index: number): ItemId {
    return this.shared.targetAt(this.start + index)
  }
}

/**
 * One frozen path per path and one string per item referred to, however many references have them, each
 * known by a number; the references of every definition, as two numbers each, in one list.
 */
class SharedValues {
  private readonly pathNodes = new Map<string | number, PathNode>()
  private readonly paths: (string | number)[][] = []
  private readonly kinds = new Map<string, { kind: string; names: Map<string, number> }>()
  private readonly ids: ItemId[] = []
  /** Path number, target number, for each reference. */
  private list = new Uint32Array(4096)
  /** How many references the list holds. */
  references = 0

  /**
   * The number of a path (segments), the same for every equal path (and only for equal ones: a segment 0 and
   * a segment "0" are told apart). The path is copied when it is new, not kept: it may be changed after.
   */
  path(path: readonly (string | number)[]): number {
    // Found segment by segment, without building a key: every task has spec.agent.
    let level = this.pathNodes
    let node: PathNode | undefined
    for (const segment of path) {
      node = level.get(segment)
      if (node === undefined) level.set(segment, (node = { next: new Map() }))
      level = node.next
    }
    if (node === undefined) return this.paths.push([...path]) - 1
    if (node.index === undefined) node.index = this.paths.push(Object.freeze([...path]) as (string | number)[]) - 1
    return node.index
  }

  /**
   * Drops, from the references added since `start`, each one at a path an earlier one of them has: equal paths
   * have the same number. What is left keeps its order.
   */
  keepFirstAtEachPath(start: number): void {
    const list = this.list
    const seen = new Set<number>()
    let kept = start
    for (let i = start; i < this.references; i++) {
      const path = list[2 * i]!
      if (seen.has(path)) continue
      seen.add(path)
      list[2 * kept] = path
      list[2 * kept + 1] = list[2 * i + 1]!
      kept++
    }
    this.references = kept
  }

  /** The number of an item, the same for every reference to it. */
  target(kind: string, name: string): number {
    const names = this.kindEntry(kind).names
    let index = names.get(name)
    if (index === undefined) {
      // A new string, written `kind/name` (itemId): the name is often cut from a file's text, which it would keep
      // alive. Joined from an array, the id is one flat string of its own, not a view into another: maps and
      // sets keyed by ids (the definitions, the items of each package) compare two such strings in place, where
      // a view makes each comparison a call into the runtime.
      const id = [kind, name].join('/') as ItemId
      index = this.ids.push(id) - 1
      names.set(id.slice(kind.length + 1), index)
    }
    return index
  }

  id(target: number): ItemId {
    return this.ids[target]!
  }

  addReference(path: number, target: number): void {
    if (2 * this.references === this.list.length) {
      const larger = new Uint32Array(2 * this.list.length)
      larger.set(this.list)
      this.list = larger
    }
    this.list[2 * this.references] = path
    this.list[2 * this.references + 1] = target
    this.references++
  }

  pathAt(reference: number): (string | number)[] {
    return this.paths[this.list[2 * reference]!]!
  }

  targetAt(reference: number): ItemId {
    return this.ids[this.list[2 * reference + 1]!]!
  }

  /** One string per kind, a copy: a kind read from a definition is cut from its text. */
  kind(kind: string): string {
    return this.kindEntry(kind).kind
  }

  private kindEntry(kind: string): { kind: string; names: Map<string, number> } {
    let entry = this.kinds.get(kind)
    if (entry === undefined) {
      const copy = detached(kind)
      this.kinds.set(copy, (entry = { kind: copy, names: new Map() }))
    }
    return entry
  }
}

interface PathNode {
  next: Map<string | number, PathNode>
  index?: number
}

/**
 * A reference whose position is found when first asked for: only a reference that is reported needs one,
 * and finding it means walking the file's node tree. A class, so that the thousands of references of a
 * repository share one shape and one getter.
 */
class LazyReference implements DefinitionReference {
  private found: Position | undefined

  constructor(
    private readonly parsed: ParsedYaml,
    readonly path: (string | number)[],
    readonly target: ItemId,
  ) {}

  get position(): Position {
    this.found ??= this.parsed.positionOf(this.path)
    return this.found
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

const NAME_HINT =
  'names match ^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$ without ".." or a ".lock" ending (safe as file names and git refs)'
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

function explainInvalidItemId(value: string): string {
  const slash = value.indexOf('/')
  if (slash < 0) return `"${printable(value)}" is not written kind/name`
  const kind = value.slice(0, slash)
  const name = value.slice(slash + 1)
  if (name.includes('/')) return `"${printable(value)}" has more than one "/"`
  return isValidName(kind) ? `name ${explainInvalidName(name)}` : `kind ${explainInvalidName(kind)}`
}

/**
 * Checks names where they are written, with the full rule (the schemas' patterns let ".." and ".lock" through),
 * and reports them as invalid-name in place of the schema's pattern error at the same spot.
 */
class NameChecks {
  readonly found: Diagnostic[] = []

  constructor(private readonly parsed: ParsedYaml) {}

  private push(
    path: DocumentPath,
    key: boolean,
    code: 'invalid-name' | 'forbidden-key',
    message: string,
    hint: string,
  ) {
    this.found.push({
      severity: 'error',
      code,
      file: this.parsed.file,
      ...this.parsed.positionOf(path, { key }),
      message,
      hint,
    })
  }

  name(path: DocumentPath, value: unknown, what: string, key = false): void {
    if (typeof value === 'string' && !isValidName(value))
      this.push(path, key, 'invalid-name', `${what} ${explainInvalidName(value)}`, NAME_HINT)
  }

  item(path: DocumentPath, value: unknown, what: string, key = false): void {
    if (typeof value === 'string' && parseItemId(value) === undefined) {
      this.push(
        path,
        key,
        'invalid-name',
        `${what} ${explainInvalidItemId(value)}`,
        `items are written kind/name, e.g. task/extract-invoices; ${NAME_HINT}`,
      )
    }
  }

  /** A dotted field path of an override: no segment may reach an object's prototype. */
  fieldPath(path: DocumentPath, value: string): void {
    const segment = value.split('.').find((s) => FORBIDDEN_KEYS.has(s))
    if (segment !== undefined) {
      this.push(
        path,
        true,
        'forbidden-key',
        `the field path "${value}" goes through "${segment}"`,
        'rename the key; __proto__, constructor and prototype are refused everywhere',
      )
    }
  }

  /** These findings, plus the schema's that are not about the same spot. */
  merge(schemaDiagnostics: Diagnostic[]): Diagnostic[] {
    if (this.found.length === 0) return schemaDiagnostics
    const at = new Set(this.found.map((d) => `${d.line}:${d.column}`))
    return [...this.found, ...schemaDiagnostics.filter((d) => !at.has(`${d.line}:${d.column}`))]
  }
}

function checkPackageNames(parsed: ParsedYaml): NameChecks {
  const checks = new NameChecks(parsed)
  const manifest = isRecord(parsed.value) ? parsed.value : {}
  checks.name(['name'], manifest.name, 'package name')
  if (Array.isArray(manifest.items)) manifest.items.forEach((id, i) => checks.item(['items', i], id, 'item'))
  if (Array.isArray(manifest.dependencies)) {
    manifest.dependencies.forEach((dep, i) => {
      if (isRecord(dep)) checks.name(['dependencies', i, 'package'], dep.package, 'dependency')
    })
  }
  if (isRecord(manifest.environments)) {
    for (const [env, settings] of Object.entries(manifest.environments)) {
      checks.name(['environments', env], env, 'environment', true)
      if (!isRecord(settings)) continue
      if (isRecord(settings.replace)) {
        for (const [from, to] of Object.entries(settings.replace)) {
          checks.item(['environments', env, 'replace', from], from, 'replaced item', true)
          checks.item(['environments', env, 'replace', from], to, 'replacement')
        }
      }
      if (isRecord(settings.set)) {
        for (const [id, fields] of Object.entries(settings.set)) {
          checks.item(['environments', env, 'set', id], id, 'item', true)
          if (!isRecord(fields)) continue
          for (const field of Object.keys(fields))
            checks.fieldPath(['environments', env, 'set', id, field], field)
        }
      }
    }
  }
  return checks
}

/** The first key that could reach a prototype, anywhere in parsed JSON (walked without recursion). */
function findForbiddenKey(root: unknown): string | undefined {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) for (const element of node) stack.push(element)
    else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.has(key)) return key
        stack.push((node as Record<string, unknown>)[key])
      }
    }
  }
  return undefined
}
