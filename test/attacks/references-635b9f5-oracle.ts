/*
 * Test-only oracle: findReferences as it stood at 635b9f5 (before each schema node was read once into a plan),
 * kept beside the attack tests that compare the current walk with it. Not imported by any source file.
 */
import { REF_KEYWORD } from '../../src/core/schema/validator.js'

interface FoundReference {
  path: (string | number)[]
  kind: string
  name: string
}

type Schema = Record<string, unknown>

export function findReferences(kindSchema: object, spec: unknown): FoundReference[] {
  const found: FoundReference[] = []
  const root = kindSchema as Schema
  const refers = referringNodes(root)
  // One path, extended and shortened as the walk goes: copied only for a reference found.
  const path: (string | number)[] = ['spec']
  // Only combinators (allOf, anyOf, oneOf) visit a value twice: a reference is found twice only through one.
  let combined = false
  const visit = (schema: unknown, value: unknown, depth: number): void => {
    if (!schema || typeof schema !== 'object' || depth > 64) return
    const node = resolveLocalRef(root, schema as Schema)
    // Most of a definition is plain data: a schema node from which no reference can be reached is not
    // walked alongside its value.
    if (!refers(node)) return
    const refKind = node[REF_KEYWORD]
    if (typeof refKind === 'string' && typeof value === 'string') {
      found.push({ path: [...path], kind: refKind, name: value })
    }
    for (const combinator of COMBINATORS) {
      const list = node[combinator]
      if (Array.isArray(list)) {
        const before = found.length
        for (const sub of list) visit(sub, value, depth + 1)
        if (found.length > before) combined = true
      }
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const properties = (node.properties ?? {}) as Schema
      const record = value as Record<string, unknown>
      for (const key of Object.keys(record)) {
        const sub = Object.hasOwn(properties, key) ? properties[key] : node.additionalProperties
        if (sub && typeof sub === 'object') {
          path.push(key)
          visit(sub, record[key], depth + 1)
          path.pop()
        }
      }
    } else if (Array.isArray(value)) {
      const items = node.items
      if (items && typeof items === 'object' && !Array.isArray(items)) {
        value.forEach((element, index) => {
          path.push(index)
          visit(items, element, depth + 1)
          path.pop()
        })
      }
    }
  }
  visit(root, spec, 0)
  return combined && found.length > 1 ? dedupe(found) : found
}

const COMBINATORS = ['allOf', 'anyOf', 'oneOf'] as const

/** Per kind schema: which of its nodes lead to an `x-gantry-ref`, remembered across definitions. */
const referring = new WeakMap<Schema, (node: Schema) => boolean>()

function referringNodes(root: Schema): (node: Schema) => boolean {
  let refers = referring.get(root)
  if (refers) return refers
  const known = new Map<Schema, boolean>()
  const inProgress = new Set<Schema>()
  const leads = (schema: unknown): boolean => {
    if (!schema || typeof schema !== 'object') return false
    return check(resolveLocalRef(root, schema as Schema))
  }
  // The nodes findReferences walks into from `node`: combinators, properties, additionalProperties, items.
  const check = (node: Schema): boolean => {
    const remembered = known.get(node)
    if (remembered !== undefined) return remembered
    // A node met again through a $ref cycle is taken to lead to a reference: never wrongly skipped.
    if (inProgress.has(node)) return true
    inProgress.add(node)
    let result = typeof node[REF_KEYWORD] === 'string'
    for (const combinator of COMBINATORS) {
      const list = node[combinator]
      if (!result && Array.isArray(list)) result = list.some(leads)
    }
    const properties = node.properties
    if (!result && properties && typeof properties === 'object')
      result = Object.values(properties as Schema).some(leads)
    if (!result) result = leads(node.additionalProperties)
    const items = node.items
    if (!result && items && typeof items === 'object' && !Array.isArray(items)) result = leads(items)
    inProgress.delete(node)
    known.set(node, result)
    return result
  }
  refers = check
  referring.set(root, refers)
  return refers
}

function dedupe(list: FoundReference[]): FoundReference[] {
  const seen = new Set<string>()
  return list.filter((r) => {
    const key = JSON.stringify(r.path)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function resolveLocalRef(root: Schema, node: Schema): Schema {
  let current = node
  for (let hops = 0; hops < 16 && typeof current.$ref === 'string'; hops++) {
    const ref = current.$ref as string
    if (!ref.startsWith('#/')) return current
    let target: unknown = root
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
      // Own properties only: a pointer through "__proto__" must not lead into Object.prototype.
      if (!target || typeof target !== 'object' || !Object.hasOwn(target, key)) return current
      target = (target as Schema)[key]
    }
    if (!target || typeof target !== 'object') return current
    current = target as Schema
  }
  return current
}

