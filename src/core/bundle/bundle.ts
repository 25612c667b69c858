import { createHash } from 'node:crypto'
import type { PackageContents } from '../model/package-contents.js'
import type { Definition, EnvironmentSettings, GantryPackage } from '../model/source-model.js'
import type { ItemId } from '../names.js'
import { canonicalAsIs, canonicalCompact, canonicalDocument, canonicalJson, sha256 } from './canonical-json.js'

export const BUNDLE_FORMAT = 'gantry.bundle/v1'

export interface BundleItem {
  /** sha256 of the item's document in canonical compact JSON. */
  digest: string
  origin: 'declared' | 'included'
  document: { kind: string; name: string; description?: string; spec: Record<string, unknown> }
  /** Every reference in the document, so an environment can replace them without the kind schemas. */
  references: { path: (string | number)[]; target: ItemId }[]
}

/** What a version holds, without its version number or delta: equal content means no new version. */
export interface BundleContent {
  package: string
  description?: string
  notes?: string
  locked: boolean
  install: 'merge' | 'overwrite'
  includeReferences: boolean
  dependencies: { package: string; version?: string }[]
  /** `rollback`: also asked when this version is promoted as a rollback (absent: not asked again). */
  instructions: { step: string; when: 'before' | 'after'; rollback?: true }[]
  environments: Record<string, EnvironmentSettings>
  items: Record<ItemId, BundleItem>
}

export interface BundleDelta {
  previous: string | null
  added: ItemId[]
  changed: ItemId[]
  removed: ItemId[]
}

export interface Bundle extends BundleContent {
  format: typeof BUNDLE_FORMAT
  version: string
  /** sha256 of the content alone (no version, no delta). */
  contentDigest: string
  debug: boolean
  delta: BundleDelta
}

export function bundleContent(manifest: GantryPackage, contents: PackageContents): BundleContent {
  const items: Record<ItemId, BundleItem> = {}
  // The items' canonical compact JSON, made of each document's compact JSON as its digest hashed it.
  const compact: string[] = []
  const ids = [...contents.items.keys()].sort()
  for (const id of ids) {
    const { definition, origin } = contents.items.get(id)!
    // Sorted once: the digest, the content digest and the bundle's bytes all serialize this copy.
    const document = canonicalDocument(definition.document)
    const documentJson = canonicalCompact(document)
    // Keys in canonical order (digest, document, origin, references), like each reference's (path, target);
    // a path holds only names and indexes. Made in canonical form, they are taken as they are.
    const item: BundleItem = {
      digest: sha256(documentJson),
      document,
      origin,
      references: canonicalAsIs(definition.references.map((r) => ({ path: r.path, target: r.target }))),
    }
    items[id] = item
    digests.set(definition, item.digest)
    // Keys in canonical order: digest, document, origin, references.
    compact.push(`${JSON.stringify(id)}:{"digest":${JSON.stringify(item.digest)},"document":${documentJson},"origin":${JSON.stringify(origin)},"references":${canonicalCompact(item.references)}}`)
  }
  // Made in canonical order too (ids sorted), the record is taken as it is.
  const sortedItems = canonicalAsIs(items)
  // JSON writes the keys of an object in the order they were made, but for keys that read as array indexes,
  // which come first: an item id ("kind/name") never does; were one to, the items are serialized whole.
  if (!ids.some((id) => /^(0|[1-9][0-9]*)$/.test(id))) compactItems.set(sortedItems, compact)
  return {
    package: manifest.name,
    ...(manifest.description !== undefined ? { description: manifest.description } : {}),
    ...(manifest.notes !== undefined ? { notes: manifest.notes } : {}),
    locked: manifest.locked ?? false,
    install: manifest.install ?? 'merge',
    includeReferences: manifest.includeReferences ?? false,
    dependencies: manifest.dependencies ?? [],
    // `rollback` only when set: bundles of existing versions keep their bytes and digests.
    instructions: (manifest.instructions ?? []).map((i) => ({ step: i.step, when: i.when ?? 'before', ...(i.rollback ? { rollback: true as const } : {}) })),
    environments: manifest.environments ?? {},
    // The items in canonical form once, like each document: the content digest and the bytes take them as they are.
    items: sortedItems,
  }
}

/**
 * The digest of each definition's document as bundleContent made it, by definition: a definition holds one
 * document, read from one file's bytes, so its digest never changes.
 */
const digests = new WeakMap<Definition, string>()

/**
 * The digest of every item of `contents`, as bundleContent gives it (the sha256 of the document's canonical
 * compact JSON), without the rest of the bundle: what the delta of a later version compares. A definition
 * whose digest bundleContent made (an item unchanged since) is not serialized again.
 */
export function itemDigests(contents: PackageContents): Record<ItemId, { digest: string }> {
  const items: Record<ItemId, { digest: string }> = {}
  for (const id of [...contents.items.keys()].sort()) {
    const { definition } = contents.items.get(id)!
    let digest = digests.get(definition)
    if (digest === undefined) {
      digest = sha256(canonicalCompact(canonicalDocument(definition.document)))
      digests.set(definition, digest)
    }
    items[id] = { digest }
  }
  return items
}

/**
 * The canonical compact JSON of the items of contents made by bundleContent, by their record (never changed
 * once made), as the JSON of each item with its id (the record's is them joined by commas, in braces): the
 * content digest hashes them as they are instead of serializing every document once more.
 */
const compactItems = new WeakMap<object, readonly string[]>()

/**
 * The bundle `planDiagnostics` reads, equal in every field it reads to the bundle read back from the bytes
 * `serializeBundle` writes, without writing those bytes: the findings read every item's id and references
 * but the document only of an item an override names. A document is made when first read, through the
 * canonical JSON as the bytes would carry it (sorted keys; a number JSON cannot hold reads back as null);
 * the digests are left empty.
 */
export function bundleForFindings(manifest: GantryPackage, contents: PackageContents, version: string): Bundle {
  const entries: [ItemId, BundleItem][] = []
  for (const id of [...contents.items.keys()].sort()) {
    const { definition, origin } = contents.items.get(id)!
    entries.push([id, new FindingsItem(definition, origin)])
  }
  const content = bundleContent(manifest, { ...contents, items: new Map() })
  let items: Record<ItemId, BundleItem> | undefined
  const bundle: Bundle = {
    ...(JSON.parse(canonicalCompact(content)) as BundleContent),
    // The record of the items, made when first read: the findings read them through bundleItemEntries and
    // bundleHasItem, and thousands of ids put in records one by one cost more than the findings themselves.
    get items(): Record<ItemId, BundleItem> {
      if (items === undefined) {
        items = {}
        for (const [id, item] of entries) items[id] = item
      }
      return items
    },
    format: BUNDLE_FORMAT,
    version,
    contentDigest: '',
    debug: true,
    delta: { previous: null, added: [], changed: [], removed: [] },
  }
  findingsItems.set(bundle, { entries, ids: contents.items })
  return bundle
}

/** The items of each bundle of bundleForFindings, in the order of their ids, and what holds their ids. */
const findingsItems = new WeakMap<Bundle, { entries: readonly [ItemId, BundleItem][]; ids: ReadonlyMap<ItemId, unknown> }>()

/**
 * The items of a bundle as `Object.entries(bundle.items)` gives them (in the order of their ids, none of
 * which reads as an array index): for a bundle of bundleForFindings, without making the record.
 */
export function bundleItemEntries(bundle: Bundle): readonly [ItemId, BundleItem][] {
  return findingsItems.get(bundle)?.entries ?? (Object.entries(bundle.items) as [ItemId, BundleItem][])
}

/** Whether a bundle holds the item `id` (`id in bundle.items` for an item id); see bundleItemEntries. */
export function bundleHasItem(bundle: Bundle, id: ItemId): boolean {
  const findings = findingsItems.get(bundle)
  return findings ? findings.ids.has(id) : id in bundle.items
}

/**
 * An item of bundleForFindings: its document and references made from the definition's when first read (the
 * references as the definition gives them, each with its path and target), on the prototype rather than as
 * accessors of each item: thousands of items are made, and few of their documents are ever read.
 */
class FindingsItem implements BundleItem {
  readonly digest = ''
  readonly #definition: Definition
  #document: BundleItem['document'] | undefined
  #references: BundleItem['references'] | undefined

  constructor(
    definition: Definition,
    readonly origin: BundleItem['origin'],
  ) {
    this.#definition = definition
  }

  get document(): BundleItem['document'] {
    this.#document ??= JSON.parse(canonicalCompact(this.#definition.document)) as BundleItem['document']
    return this.#document
  }

  get references(): BundleItem['references'] {
    this.#references ??= this.#definition.references
    return this.#references
  }

  /** How many references the item makes, without making them. */
  get referenceCount(): number {
    return this.#definition.referenceCount
  }

  /** The item the reference at `index` refers to, without making the references. */
  referenceTarget(index: number): ItemId {
    return this.#definition.referenceTarget(index)
  }
}

/**
 * How many references a bundle item makes (its `references`' length): an item of bundleForFindings tells it
 * from its definition without making them, as the findings ask it of every item and need few references whole.
 */
export function referenceCountOf(item: BundleItem): number {
  return item instanceof FindingsItem ? item.referenceCount : item.references.length
}

/** The target of the reference at `index` of a bundle item (its `references[index].target`); see referenceCountOf. */
export function referenceTargetOf(item: BundleItem, index: number): ItemId {
  return item instanceof FindingsItem ? item.referenceTarget(index) : item.references[index]!.target
}

export function contentDigest(content: BundleContent): string {
  const items = compactItems.get(content.items)
  if (items === undefined) return sha256(canonicalCompact(content))
  // canonicalCompact(content) field by field, the items as bundleContent serialized them: the same bytes,
  // hashed part by part rather than joined into one string first.
  const hash = createHash('sha256')
  let separator = '{'
  for (const key of Object.keys(content).sort()) {
    const value = (content as unknown as Record<string, unknown>)[key]
    if (value === undefined) continue
    if (key !== 'items') {
      hash.update(`${separator}${JSON.stringify(key)}:${canonicalCompact(value)}`)
    } else {
      hash.update(`${separator}"items":{`)
      for (let i = 0; i < items.length; i++) {
        if (i > 0) hash.update(',')
        hash.update(items[i]!)
      }
      hash.update('}')
    }
    separator = ','
  }
  hash.update('}')
  return `sha256:${hash.digest('hex')}`
}

export function deltaBetween(
  previousVersion: string | null,
  previous: Record<string, { digest: string }> | undefined,
  next: Record<string, { digest: string }>,
): BundleDelta {
  const before = previous ?? {}
  const added: ItemId[] = []
  const changed: ItemId[] = []
  for (const id of Object.keys(next).sort() as ItemId[]) {
    if (!(id in before)) added.push(id)
    else if (before[id]!.digest !== next[id]!.digest) changed.push(id)
  }
  const removed = (Object.keys(before).sort() as ItemId[]).filter((id) => !(id in next))
  return { previous: previousVersion, added, changed, removed }
}

export interface SerializedBundle {
  bundle: Bundle
  bytes: string
  digest: string
  fileName: string
}

export function serializeBundle(
  content: BundleContent,
  version: string,
  delta: BundleDelta,
  debug = false,
  /** contentDigest(content), when the caller has it already. */
  digestOfContent = contentDigest(content),
): SerializedBundle {
  const bundle: Bundle = { format: BUNDLE_FORMAT, ...content, version, contentDigest: digestOfContent, debug, delta }
  const bytes = canonicalJson(bundle)
  return { bundle, bytes, digest: sha256(bytes), fileName: bundleFileName(content.package, version, debug) }
}

export function bundleFileName(pkg: string, version: string, debug = false): string {
  return `${pkg}-${version}${debug ? '-debug' : ''}.gantry.json`
}

/** The annotated tag message: human first line, then machine-readable fields. */
export function tagMessage(pkg: string, version: string, digest: string, content: string, notes?: string): string {
  const lines = [`${pkg}@${version}`, '', `digest: ${digest}`, `content: ${content}`]
  if (notes) lines.push('', notes.trim())
  return `${lines.join('\n')}\n`
}

export function parseTagMessage(message: string): { digest?: string; content?: string; notes?: string } {
  const digest = /^digest: (sha256:[0-9a-f]{64})$/m.exec(message)?.[1]
  const content = /^content: (sha256:[0-9a-f]{64})$/m.exec(message)?.[1]
  const notes = /^content: .*\n\n([\s\S]*)$/m.exec(message)?.[1]?.trim()
  return { ...(digest ? { digest } : {}), ...(content ? { content } : {}), ...(notes ? { notes } : {}) }
}
