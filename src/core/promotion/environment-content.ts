import { stringify } from 'yaml'
import type { BundleItem } from '../bundle/bundle.js'
import type { EnvironmentSettings } from '../model/source-model.js'
import type { ItemId } from '../names.js'

export type ItemDocument = BundleItem['document']

/** The item as the environment sees it: references replaced, then fields overridden. */
export function environmentDocument(item: BundleItem, settings: EnvironmentSettings | undefined, id: ItemId): ItemDocument {
  const doc = structuredClone(item.document)
  const replace = settings?.replace ?? {}
  for (const ref of item.references) {
    const replacement = replace[ref.target]
    if (replacement === undefined) continue
    setAt(doc as unknown as Record<string, unknown>, ref.path, replacement.slice(replacement.indexOf('/') + 1))
  }
  const overrides = (settings?.set ?? {})[id] as Record<string, unknown> | undefined
  for (const [dotted, value] of Object.entries(overrides ?? {})) {
    setAt(doc as unknown as Record<string, unknown>, dotted.split('.'), structuredClone(value))
  }
  return doc
}

/** References of the item after the environment's replacements. */
export function environmentReferences(item: BundleItem, settings: EnvironmentSettings | undefined): { target: ItemId; replaced?: ItemId }[] {
  const replace = settings?.replace ?? {}
  return item.references.map((r) => {
    const replacement = replace[r.target] as ItemId | undefined
    return replacement ? { target: replacement, replaced: r.target } : { target: r.target }
  })
}

function setAt(root: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = root
  for (const [index, segment] of path.entries()) {
    if (index === path.length - 1) {
      node[segment] = value
      return
    }
    const next = node[segment]
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

/** The file written on the environment branch. */
export function renderItemFile(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, version: '1.2' })
}
