import type { DocumentPath } from '../yaml/read-yaml.js'
import { REF_KEYWORD } from './validator.js'

export interface FoundReference {
  /** Path of the referring value inside the definition document (starts with "spec"). */
  path: (string | number)[]
  /** The kind the schema says the value names. */
  kind: string
  /** The name referred to. */
  name: string
}

type Schema = Record<string, unknown>

/**
 * Finds references by walking the kind schema alongside the value: a string under a schema node marked
 * `x-gantry-ref` names a definition of that kind. Values are never guessed at.
 */
export function findReferences(kindSchema: object, spec: unknown): FoundReference[] {
  const found: FoundReference[] = []
  const root = kindSchema as Schema
  const visit = (schema: unknown, value: unknown, path: (string | number)[], depth: number): void => {
    if (!schema || typeof schema !== 'object' || depth > 64) return
    const node = resolveLocalRef(root, schema as Schema)
    const refKind = node[REF_KEYWORD]
    if (typeof refKind === 'string' && typeof value === 'string') {
      found.push({ path: [...path], kind: refKind, name: value })
    }
    for (const combinator of ['allOf', 'anyOf', 'oneOf'] as const) {
      const list = node[combinator]
      if (Array.isArray(list)) for (const sub of list) visit(sub, value, path, depth + 1)
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const properties = (node.properties ?? {}) as Schema
      const record = value as Record<string, unknown>
      for (const key of Object.keys(record)) {
        const sub = Object.hasOwn(properties, key) ? properties[key] : node.additionalProperties
        if (sub && typeof sub === 'object') visit(sub, record[key], [...path, key], depth + 1)
      }
    } else if (Array.isArray(value)) {
      const items = node.items
      if (items && typeof items === 'object' && !Array.isArray(items)) {
        value.forEach((element, index) => visit(items, element, [...path, index], depth + 1))
      }
    }
  }
  visit(root, spec, ['spec'], 0)
  return dedupe(found)
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

export function pathToString(path: DocumentPath): string {
  return path.map((p) => String(p)).join('.')
}
