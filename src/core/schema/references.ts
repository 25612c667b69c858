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
  const repeats = walkReferences(kindSchema, spec, (path, kind, name) => {
    found.push({ path: [...path], kind, name })
  })
  return repeats && found.length > 1 ? dedupe(found) : found
}

/**
 * The references findReferences finds, in the same order, each handed to `report` with its path as the walk
 * holds it: one array, changed as the walk goes on (a caller that keeps a path copies it), so that a reference
 * costs no array of its own. Returns whether a path may have been reported more than once (only combinators,
 * allOf, anyOf and oneOf, visit a value twice): findReferences then keeps the first reference at each path.
 */
export function walkReferences(
  kindSchema: object,
  spec: unknown,
  report: (path: readonly (string | number)[], kind: string, name: string) => void,
): boolean {
  const planOf = walkPlans(kindSchema as Schema)
  // One path, extended and shortened as the walk goes.
  const path: (string | number)[] = ['spec']
  let reported = 0
  let combined = false
  const visit = (plan: Plan, value: unknown, depth: number): void => {
    // Most of a definition is plain data: a schema node from which no reference can be reached is not
    // walked alongside its value.
    if (depth > 64 || !plan.refers) return
    if (plan.refKind !== undefined && typeof value === 'string') {
      reported++
      report(path, plan.refKind, value)
    }
    const children = plan.children ?? plan.expand(planOf)
    for (const list of children.combinators) {
      const before = reported
      for (const sub of list) visit(sub, value, depth + 1)
      if (reported > before) combined = true
    }
    if (value instanceof OrderedMap) {
      // A map as an item file writes it (status reads installed items so): its keys in the order of the text,
      // as Object.keys gives those of the same map made an object.
      const { keys, values } = value
      for (let at = 0; at < keys.length; at++) entry(children, keys[at]!, values[at], depth)
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      const record = value as Record<string, unknown>
      for (const key of Object.keys(record)) entry(children, key, record[key], depth)
    } else if (Array.isArray(value)) {
      const items = children.items
      if (items !== null) {
        for (let index = 0; index < value.length; index++) {
          // As forEach: a hole in a sparse list is no value.
          if (!(index in value)) continue
          path.push(index)
          visit(items, value[index], depth + 1)
          path.pop()
        }
      }
    }
  }
  /** The value at `key` of a map, walked with the node the map's schema gives that key, if any. */
  const entry = (children: PlanChildren, key: string, value: unknown, depth: number): void => {
    const own = children.properties.get(key)
    const sub = own === undefined ? children.additional : own
    if (sub !== null) {
      path.push(key)
      visit(sub, value, depth + 1)
      path.pop()
    }
  }
  const root = planOf(kindSchema)
  if (root !== null) visit(root, spec, 0)
  return combined
}

/**
 * A block map read as written (item-read.ts): its keys and values in the order of the text, each key once,
 * and none that a plain object would order otherwise (integer-like keys); not made into an object, whose
 * properties would each be added to it one at a time.
 */
export class OrderedMap {
  constructor(
    readonly keys: string[],
    readonly values: unknown[],
  ) {}

  /** The value at `key`, or undefined. */
  get(key: string): unknown {
    const at = this.keys.indexOf(key)
    return at < 0 ? undefined : this.values[at]
  }
}

/**
 * What the walk needs of one schema node (after its local `$ref`s): whether a reference can be reached from
 * it, the kind it names, and the nodes it walks into, each a plan of its own. Worked out once per node of a
 * kind schema, not at every value: the schema's objects each have a shape of their own, and reading their
 * keywords at every value of every definition cost more than the walk.
 */
class Plan {
  children: PlanChildren | undefined

  constructor(
    private readonly node: Schema,
    readonly refers: boolean,
    readonly refKind: string | undefined,
  ) {}

  /** The nodes walked into from this one: combinators, properties, additionalProperties, items. */
  expand(planOf: (schema: unknown) => Plan | null): PlanChildren {
    const node = this.node
    const combinators: Plan[][] = []
    for (const combinator of COMBINATORS) {
      const list = node[combinator]
      if (Array.isArray(list)) combinators.push(list.map(planOf).filter((p): p is Plan => p !== null))
    }
    // A key the node's `properties` holds as its own (any value) is walked by that value, any other by
    // additionalProperties; a value that is no schema object is not walked.
    const declared = (node.properties ?? {}) as Schema
    const properties = new Map<string, Plan | null>()
    for (const key of Object.getOwnPropertyNames(declared)) properties.set(key, planOf(declared[key]))
    const items = node.items
    this.children = {
      combinators,
      properties,
      additional: planOf(node.additionalProperties),
      items: items && typeof items === 'object' && !Array.isArray(items) ? planOf(items) : null,
    }
    return this.children
  }
}

interface PlanChildren {
  combinators: Plan[][]
  properties: Map<string, Plan | null>
  additional: Plan | null
  items: Plan | null
}

/** Per kind schema: the plan of each of its schema objects (null for a value that is none), remembered across definitions. */
const plans = new WeakMap<Schema, (schema: unknown) => Plan | null>()

function walkPlans(root: Schema): (schema: unknown) => Plan | null {
  let planOf = plans.get(root)
  if (planOf) return planOf
  const refers = referringNodes(root)
  const byNode = new Map<Schema, Plan>()
  const bySchema = new Map<Schema, Plan>()
  planOf = (schema: unknown): Plan | null => {
    if (!schema || typeof schema !== 'object') return null
    let plan = bySchema.get(schema as Schema)
    if (plan === undefined) {
      const node = resolveLocalRef(root, schema as Schema)
      plan = byNode.get(node)
      if (plan === undefined) {
        const refKind = node[REF_KEYWORD]
        plan = new Plan(node, refers(node), typeof refKind === 'string' ? refKind : undefined)
        byNode.set(node, plan)
      }
      bySchema.set(schema as Schema, plan)
    }
    return plan
  }
  plans.set(root, planOf)
  return planOf
}

const COMBINATORS = ['allOf', 'anyOf', 'oneOf'] as const

/** Whether any value of a kind could be a reference: false when no node of its schema leads to `x-gantry-ref`. */
export function mayRefer(kindSchema: object): boolean {
  return referringNodes(kindSchema as Schema)(kindSchema as Schema)
}

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

export function pathToString(path: DocumentPath): string {
  return path.map((p) => String(p)).join('.')
}
