import { stringify } from 'yaml'
import type { BundleItem } from '../bundle/bundle.js'
import type { EnvironmentSettings } from '../model/source-model.js'
import type { ItemId } from '../names.js'
import type { SchemaRegistry } from '../schema/validator.js'
import { readYaml } from '../yaml/read-yaml.js'

export type ItemDocument = BundleItem['document']
/** What an environment's settings apply to: an item's document and its references (a bundle item or a definition). */
export type ItemSource = Pick<BundleItem, 'document' | 'references'>

/** The item as the environment sees it: references replaced, then fields overridden. */
export function environmentDocument(item: ItemSource, settings: EnvironmentSettings | undefined, id: ItemId): ItemDocument {
  const doc = structuredClone(item.document)
  const replace = settings?.replace ?? {}
  for (const ref of item.references) {
    const replacement = replace[ref.target]
    if (replacement === undefined) continue
    setAt(doc as unknown as Record<string, unknown>, ref.path, replacement.slice(replacement.indexOf('/') + 1))
  }
  const overrides = (settings?.set ?? {})[id] as Record<string, unknown> | undefined
  for (const [dotted, value] of Object.entries(overrides ?? {})) {
    // A path that cannot be set safely is refused by the planner (invalid-override); it is never applied.
    if (overrideProblem(doc, dotted, value) !== undefined) continue
    setAt(doc as unknown as Record<string, unknown>, dotted.split('.'), structuredClone(value))
  }
  return doc
}

const INDEX = /^(0|[1-9][0-9]{0,8})$/
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Why a `set` override cannot be applied to `doc`, or undefined when it can. Only `spec` and `description`
 * may be set (an item keeps its kind and name); inside an array only an existing index, or the next one,
 * may be set, so `length`, `-1` or a huge index cannot grow an array without bound.
 */
export function overrideProblem(doc: ItemDocument, dotted: string, value: unknown): string | undefined {
  const segments = dotted.split('.')
  const [first] = segments
  if (first !== 'spec' && first !== 'description') return `only spec.<field> and description can be set, not ${first}`
  if (first === 'description' && (segments.length > 1 || typeof value !== 'string')) return 'description must be set to a string'
  if (segments.length === 1 && first === 'spec' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    return 'spec must stay a mapping'
  }
  let node: unknown = doc
  for (const [index, segment] of segments.entries()) {
    if (segment === '') return 'a path segment is empty'
    if (UNSAFE_KEYS.has(segment)) return `${segment} cannot be set`
    const last = index === segments.length - 1
    if (Array.isArray(node)) {
      if (!INDEX.test(segment)) return `${segments.slice(0, index).join('.')} is a list: ${segment} is not an index of it`
      const at = Number(segment)
      if (at > node.length || (!last && at === node.length)) {
        return `${segments.slice(0, index).join('.')} has ${node.length} entries: index ${segment} is out of range`
      }
      node = node[at]
    } else if (node !== null && typeof node === 'object') {
      node = (node as Record<string, unknown>)[segment]
    } else {
      node = undefined
    }
  }
  return undefined
}

/** The value at a dotted path of a document, or undefined. */
export function valueAtDotted(doc: unknown, dotted: string): unknown {
  let node = doc
  for (const segment of dotted.split('.')) {
    if (node === null || typeof node !== 'object') return undefined
    if (!Object.hasOwn(node, segment)) return undefined
    node = (node as Record<string, unknown>)[segment]
  }
  return node
}

/** References of the item after the environment's replacements. */
export function environmentReferences(item: ItemSource, settings: EnvironmentSettings | undefined): { target: ItemId; replaced?: ItemId }[] {
  return item.references.map((r) => {
    const replacement = replacementOf(settings, r.target)
    return replacement ? { target: replacement, replaced: r.target } : { target: r.target }
  })
}

/**
 * The item an environment's `replace` puts in place of a reference's `target`, or undefined when it replaces
 * nothing there (an item id, `kind/name`, names nothing an object inherits).
 */
export function replacementOf(settings: EnvironmentSettings | undefined, target: ItemId): ItemId | undefined {
  return (settings?.replace?.[target] as ItemId | undefined) || undefined
}

function setAt(root: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = root
  for (const [index, segment] of path.entries()) {
    if (index === path.length - 1) {
      node[segment] = value
      return
    }
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined
    if (next === null || typeof next !== 'object') node[segment] = {}
    node = node[segment] as Record<string | number, unknown>
  }
}

/** Deep merge for `install: merge`: keys only on the branch are kept; the package wins on conflicts. */
export function mergeDocuments(onBranch: unknown, fromPackage: unknown): unknown {
  if (isPlainObject(onBranch) && isPlainObject(fromPackage)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(onBranch)) out[k] = v
    for (const [k, v] of Object.entries(fromPackage)) out[k] = k in out ? mergeDocuments(out[k], v) : v
    return out
  }
  return fromPackage
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Checks a spec against its kind schema: messages, empty when valid or when the kind is unknown. */
export function specChecker(schemas: SchemaRegistry): (kind: string, spec: unknown) => string[] {
  return (kind, spec) => {
    // Most specs are valid: the file is rendered and read back only to word the findings of one that is not.
    if (schemas.isValidSpec(kind, spec)) return []
    const parsed = readYaml(`${kind}.yaml`, new TextEncoder().encode(renderItemFile({ spec }))).parsed
    if (!parsed) return []
    return schemas.validateSpec(kind, parsed, spec).map((d) => d.message)
  }
}

/** The file written on the environment branch. */
export function renderItemFile(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, version: '1.2' })
}
