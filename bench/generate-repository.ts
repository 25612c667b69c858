/**
 * Generates a synthetic Gantry source repository: kinds, definitions, packages and gantry.yaml, the same for
 * the same options (seeded, no wall clock, no Math.random). Every reference resolves and every package
 * validates, so `gantry validate` has all the work and nothing to report.
 *
 * Shape: definitions spread over eight scheduler kinds; packages of about definitions/packages items each,
 * in four tiers where a package depends only on packages of lower tiers (a DAG), with ranges such as
 * ">=1" and "^1"; references point into the package itself or into its direct dependencies, and in
 * packages with `includeReferences: true` also at shared leaf definitions that no package lists, which the
 * package then includes automatically. Each shared definition is reached by one package only, so that every
 * package can be applied to the same environment branch (two packages holding one item is a name conflict).
 *
 *   tsx bench/generate-repository.ts <target-dir> [--definitions N] [--packages N] [--references N]
 *                                    [--seed S] [--git]
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { KIND_SCHEMAS, KINDS, type Kind } from './kinds.js'
import { Random } from './random.js'

export interface GenerateOptions {
  definitions: number
  packages: number
  /** Total references wanted; the result is this exactly when the packages have room for it. */
  references: number
  seed?: number | string
  /** Prefix of every package name, and so of every definition name: keeps generated sets apart. */
  namespace?: string
}

export const DEFAULT_OPTIONS: Required<GenerateOptions> = {
  definitions: 10_000,
  packages: 400,
  references: 50_000,
  seed: 1,
  namespace: '',
}

export interface RepositoryStats {
  definitions: number
  packages: number
  references: number
  byKind: Record<Kind, number>
  /** Dependency edges between packages. */
  dependencies: number
  includeReferencesPackages: number
  /** References to definitions of unrelated packages, resolved by includeReferences. */
  includedReferences: number
  files: number
  bytes: number
}

export interface GeneratedRepository {
  /** Repository-relative POSIX path -> file content. */
  files: Map<string, string>
  stats: RepositoryStats
  /** Every package: its name, declared items (kind/name) and the packages it depends on. */
  packages: { name: string; items: string[]; dependencies: string[]; includeReferences: boolean }[]
}

interface Definition {
  kind: Kind
  name: string
  pkg: number
  /** Scalar reference fields -> the definition referred to. */
  ref: Partial<Record<'agent' | 'credential' | 'connection' | 'workflow' | 'calendar', Definition>>
  /** Array reference fields -> the definitions referred to. */
  refs: Partial<Record<'variables' | 'successors' | 'tasks', Definition[]>>
  /** The variant (task type, connection type, ...) chosen before references, since it decides which are needed. */
  variant: string
}

interface Package {
  index: number
  name: string
  tier: number
  deps: number[]
  items: Definition[]
  includeReferences: boolean
  /** Shared leaf definitions no package lists, which this package may refer to (includeReferences only). */
  foreign: Definition[]
}

interface ArraySlot {
  def: Definition
  field: 'variables' | 'successors' | 'tasks'
  pool: Definition[]
  weight: number
  min: number
  cap: number
  length: number
}

function words(list: string): string[] {
  return list.split(' ')
}

const DOMAINS = words(
  'billing payroll hr finance sales crm inventory logistics marketing support warehouse reporting compliance risk treasury procurement analytics identity audit platform',
)
const AREAS = words('etl sync export import reports alerts archive backfill reconcile feeds batch ingest')
const VERBS = words(
  'extract load export import transform reconcile archive purge notify validate aggregate publish refresh sync backup compress upload download index score',
)
const NOUNS = words(
  'invoices payments orders customers accounts timesheets payslips ledgers shipments tickets events leads contracts balances positions claims assets users sessions metrics',
)
const CADENCES = words('nightly hourly weekly month-end on-demand daily quarter-end')
const CALENDARS = words('business-days month-end quarter-end weekends payroll-days trading-days holidays')
const POOLS = words('linux-pool windows-pool etl-pool gpu-pool edge-pool batch-pool db-pool')
const VARIABLES = words(
  'lookback-days export-prefix batch-size dry-run retention-days region-list alert-threshold',
)
const CREDENTIALS = words('db api-token sftp service-account readonly writer role')
const CONNECTIONS = words('db api sftp bucket smtp replica gateway')
const TIMEZONES = words('UTC America/New_York Europe/Berlin Asia/Tokyo America/Chicago Europe/London')

/** Kinds in the order a small package gets them: whatever refers needs its targets first. */
const KIND_ORDER: readonly Kind[] = [
  'task',
  'agent',
  'credential',
  'variable',
  'calendar',
  'connection',
  'workflow',
  'trigger',
]
const KIND_WEIGHT: Record<Kind, number> = {
  task: 0.4,
  variable: 0.12,
  credential: 0.1,
  workflow: 0.08,
  trigger: 0.08,
  connection: 0.08,
  calendar: 0.08,
  agent: 0.06,
}
const LEAF_KINDS: readonly Kind[] = ['agent', 'credential', 'variable', 'calendar']

export function generateRepository(input: Partial<GenerateOptions> = {}): GeneratedRepository {
  const options = { ...DEFAULT_OPTIONS, ...input }
  const definitionCount = Math.max(1, Math.floor(options.definitions))
  const packageCount = Math.max(1, Math.min(Math.floor(options.packages), definitionCount))
  const rng = new Random(`gantry-bench:${options.seed}`)

  const packages = makePackages(rng, packageCount, options.namespace)
  const sizes = splitSizes(rng, definitionCount, packageCount)
  packages.forEach((pkg, i) => (pkg.items = makeItems(rng, pkg, sizes[i]!)))
  chooseForeign(rng, packages)

  const pools = new Map<string, Definition[]>()
  const pool = (pkg: Package, kind: Kind): Definition[] => {
    const key = `${pkg.index}:${kind}`
    let list = pools.get(key)
    if (!list) {
      list = pkg.items.filter((d) => d.kind === kind)
      for (const dep of pkg.deps) list.push(...packages[dep]!.items.filter((d) => d.kind === kind))
      if (pkg.includeReferences) list.push(...pkg.foreign.filter((d) => d.kind === kind))
      pools.set(key, list)
    }
    return list
  }

  const slots = assignScalarReferences(rng, packages, pool)
  const scalarCount = packages.reduce(
    (n, p) => n + p.items.reduce((m, d) => m + Object.keys(d.ref).length, 0),
    0,
  )
  sizeArrays(rng, slots, options.references - scalarCount)
  for (const slot of slots) {
    const candidates = slot.field === 'successors' ? slot.pool.filter((d) => d !== slot.def) : slot.pool
    if (slot.length > 0) slot.def.refs[slot.field] = rng.sample(candidates, slot.length)
  }

  const files = new Map<string, string>()
  files.set('gantry.yaml', renderConfig())
  files.set('.gitignore', '.gantry/build/\n')
  files.set('README.md', renderReadme(options, definitionCount, packageCount))
  for (const kind of KINDS)
    files.set(`kinds/${kind}.schema.json`, `${JSON.stringify(KIND_SCHEMAS[kind], null, 2)}\n`)
  const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>
  let references = 0
  let includedReferences = 0
  for (const pkg of packages) {
    for (const def of pkg.items) {
      files.set(`definitions/${def.kind}/${def.name}.yaml`, renderDefinition(rng, def, pkg))
      byKind[def.kind]++
      const targets = [...Object.values(def.ref), ...Object.values(def.refs).flat()]
      references += targets.length
      includedReferences += targets.filter((t) => pkg.foreign.includes(t)).length
    }
    // Shared definitions: files of their own, listed by no package.
    for (const def of pkg.foreign) {
      files.set(`definitions/${def.kind}/${def.name}.yaml`, renderDefinition(rng, def, pkg))
      byKind[def.kind]++
      const targets = [...Object.values(def.ref), ...Object.values(def.refs).flat()]
      references += targets.length
    }
    files.set(`packages/${pkg.name}.yaml`, renderPackage(rng, pkg, packages))
  }
  let bytes = 0
  for (const text of files.values()) bytes += Buffer.byteLength(text)
  return {
    files,
    packages: packages.map((p) => ({
      name: p.name,
      items: p.items.map((d) => `${d.kind}/${d.name}`),
      dependencies: p.deps.map((d) => packages[d]!.name),
      includeReferences: p.includeReferences,
    })),
    stats: {
      definitions: definitionCount,
      packages: packageCount,
      references,
      byKind,
      dependencies: packages.reduce((n, p) => n + p.deps.length, 0),
      includeReferencesPackages: packages.filter((p) => p.includeReferences).length,
      includedReferences,
      files: files.size,
      bytes,
    },
  }
}

function makePackages(rng: Random, count: number, namespace: string): Package[] {
  const width = Math.max(3, String(count - 1).length)
  const tiers = Math.min(4, count)
  const tierOf = (i: number) => Math.floor((i * tiers) / count)
  const firstOfTier = (t: number) => Math.ceil((t * count) / tiers)
  const packages: Package[] = []
  for (let i = 0; i < count; i++) {
    const tier = tierOf(i)
    let deps: number[] = []
    if (tier === 0) {
      if (i > 0 && rng.chance(0.3)) deps = [rng.int(0, i - 1)]
    } else {
      const lower = Array.from({ length: firstOfTier(tier) }, (_, j) => j)
      deps = rng.sample(lower, rng.int(1, 3)).sort((a, b) => a - b)
    }
    const name = `${namespace ? `${namespace}-` : ''}${rng.pick(DOMAINS)}-${rng.pick(AREAS)}-${String(i).padStart(width, '0')}`
    packages.push({
      index: i,
      name,
      tier,
      deps,
      items: [],
      includeReferences: count > 2 && rng.chance(0.12),
      foreign: [],
    })
  }
  return packages
}

/** `total` split into `parts` sizes that vary around the mean (each at least 1). */
function splitSizes(rng: Random, total: number, parts: number): number[] {
  const weights = Array.from({ length: parts }, () => 0.6 + 0.8 * rng.next())
  const sum = weights.reduce((a, b) => a + b, 0)
  const spare = total - parts
  const exact = weights.map((w) => (spare * w) / sum)
  const sizes = exact.map((x) => 1 + Math.floor(x))
  let left = total - sizes.reduce((a, b) => a + b, 0)
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i)
  for (let k = 0; left > 0; k = (k + 1) % parts, left--) sizes[order[k]!.i]!++
  return sizes
}

function kindCounts(size: number): Map<Kind, number> {
  const counts = new Map<Kind, number>()
  if (size <= KIND_ORDER.length) {
    for (const kind of KIND_ORDER.slice(0, size)) counts.set(kind, 1)
    return counts
  }
  const extra = size - KIND_ORDER.length
  const exact = KIND_ORDER.map((k) => extra * KIND_WEIGHT[k])
  const floors = exact.map(Math.floor)
  let left = extra - floors.reduce((a, b) => a + b, 0)
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i)
  for (let k = 0; left > 0; k++, left--) floors[order[k]!.i]!++
  KIND_ORDER.forEach((kind, i) => counts.set(kind, 1 + floors[i]!))
  return counts
}

function stemFor(rng: Random, kind: Kind): string {
  switch (kind) {
    case 'task':
      return `${rng.pick(VERBS)}-${rng.pick(NOUNS)}`
    case 'workflow':
      return `${rng.pick(CADENCES)}-${rng.pick(NOUNS)}`
    case 'trigger':
      return `${rng.pick(CADENCES)}-${rng.pick(NOUNS)}-${String(rng.int(0, 23)).padStart(2, '0')}${rng.pick(['00', '15', '30', '45'])}`
    case 'calendar':
      return rng.pick(CALENDARS)
    case 'agent':
      return rng.pick(POOLS)
    case 'variable':
      return `${rng.pick(NOUNS)}-${rng.pick(VARIABLES)}`
    case 'credential':
      return `${rng.pick(NOUNS)}-${rng.pick(CREDENTIALS)}`
    case 'connection':
      return `${rng.pick(NOUNS)}-${rng.pick(CONNECTIONS)}`
  }
}

function makeItems(rng: Random, pkg: Package, size: number): Definition[] {
  const items: Definition[] = []
  for (const [kind, count] of kindCounts(size)) {
    const taken = new Set<string>()
    for (let n = 0; n < count; n++) {
      const stem = stemFor(rng, kind)
      let name = `${pkg.name}-${stem}`.slice(0, 60).replace(/-+$/, '')
      for (let suffix = 2; taken.has(name); suffix++)
        name = `${pkg.name}-${stem}`.slice(0, 60).replace(/-+$/, '') + `-${suffix}`
      taken.add(name)
      items.push({ kind, name, pkg: pkg.index, ref: {}, refs: {}, variant: '' })
    }
  }
  return items
}

/**
 * Packages with includeReferences may refer to a few shared leaf definitions: definitions taken out of the
 * items of packages they do not depend on (before any reference is drawn, so nothing else refers to them)
 * and listed by no package. Only the one package refers to each, so applying every package never meets a
 * name conflict.
 */
function chooseForeign(rng: Random, packages: Package[]): void {
  // Dependencies come before their dependents, so one pass in order builds every transitive set.
  const reach: Set<number>[] = []
  for (const pkg of packages) {
    const set = new Set<number>()
    for (const dep of pkg.deps) {
      set.add(dep)
      for (const further of reach[dep]!) set.add(further)
    }
    reach.push(set)
  }
  for (const pkg of packages) {
    if (!pkg.includeReferences) continue
    const provided = reach[pkg.index]!
    const others = packages.filter((p) => p.index !== pkg.index && !provided.has(p.index))
    for (const other of rng.sample(others, 2)) {
      for (const kind of LEAF_KINDS) {
        // A package keeps at least one definition of each kind it has: its own items refer to it.
        const ofKind = other.items.filter((d) => d.kind === kind)
        const shared = rng.sample(ofKind, Math.min(2, ofKind.length - 1))
        pkg.foreign.push(...shared)
        other.items = other.items.filter((d) => !shared.includes(d))
      }
    }
  }
}

const DB_CONNECTIONS = ['postgres', 'mysql', 'sqlserver', 'oracle']

/** One of the `name:weight` choices of `spec`, picked with probability proportional to its weight. */
function weighted(rng: Random, spec: string): string {
  const choices = spec
    .split(' ')
    .map((c) => [c.slice(0, c.lastIndexOf(':')), Number(c.slice(c.lastIndexOf(':') + 1))] as const)
  const total = choices.reduce((n, [, w]) => n + w, 0)
  let x = rng.next() * total
  for (const [value, w] of choices) if ((x -= w) < 0) return value
  return choices[choices.length - 1]![0]
}

/** Picks each definition's variant and scalar references; returns the array reference slots to size. */
function assignScalarReferences(
  rng: Random,
  packages: Package[],
  pool: (pkg: Package, kind: Kind) => Definition[],
): ArraySlot[] {
  const slots: ArraySlot[] = []
  const pickInto = (def: Definition, field: keyof Definition['ref'], candidates: Definition[]) => {
    if (candidates.length > 0) def.ref[field] = rng.pick(candidates)
  }
  for (const pkg of packages) {
    for (const def of pkg.items) {
      switch (def.kind) {
        case 'task': {
          const connections = pool(pkg, 'connection')
          def.variant =
            connections.length > 0
              ? weighted(rng, 'command:35 script:15 sql:25 file-transfer:10 http:15')
              : weighted(rng, 'command:70 script:30')
          if (rng.chance(0.95)) pickInto(def, 'agent', pool(pkg, 'agent'))
          if (rng.chance(0.7)) pickInto(def, 'credential', pool(pkg, 'credential'))
          if (def.variant !== 'command' && def.variant !== 'script') pickInto(def, 'connection', connections)
          else if (rng.chance(0.1)) pickInto(def, 'connection', connections)
          const variables = pool(pkg, 'variable')
          const tasks = pool(pkg, 'task')
          slots.push({
            def,
            field: 'variables',
            pool: variables,
            weight: 1,
            min: 0,
            cap: variables.length,
            length: 0,
          })
          slots.push({
            def,
            field: 'successors',
            pool: tasks,
            weight: 1,
            min: 0,
            cap: Math.max(0, tasks.length - 1),
            length: 0,
          })
          break
        }
        case 'workflow': {
          const tasks = pool(pkg, 'task')
          if (tasks.length === 0) throw new Error(`workflow ${def.name} has no task to refer to`)
          slots.push({ def, field: 'tasks', pool: tasks, weight: 5, min: 1, cap: tasks.length, length: 1 })
          break
        }
        case 'trigger': {
          def.variant = weighted(rng, 'cron:60 file:15 event:15 manual:10')
          const workflows = pool(pkg, 'workflow')
          if (workflows.length === 0) throw new Error(`trigger ${def.name} has no workflow to refer to`)
          pickInto(def, 'workflow', workflows)
          if (rng.chance(0.6)) pickInto(def, 'calendar', pool(pkg, 'calendar'))
          break
        }
        case 'connection': {
          const credentials = pool(pkg, 'credential')
          def.variant =
            credentials.length > 0
              ? weighted(rng, 'postgres:25 mysql:10 sqlserver:10 oracle:5 sftp:15 s3:15 smtp:5 http:15')
              : weighted(rng, 'sftp:30 s3:30 smtp:10 http:30')
          if (DB_CONNECTIONS.includes(def.variant) || rng.chance(0.5))
            pickInto(def, 'credential', credentials)
          break
        }
        default:
          break
      }
    }
  }
  return slots
}

/** Sets array lengths so that, with the scalar references, the total is `budget` when there is room. */
function sizeArrays(rng: Random, slots: ArraySlot[], budget: number): void {
  const minimum = slots.reduce((n, s) => n + s.min, 0)
  const spare = Math.max(0, budget - minimum)
  const totalWeight = slots.reduce((n, s) => n + (s.cap > s.min ? s.weight : 0), 0) || 1
  let total = 0
  for (const slot of slots) {
    const wanted =
      slot.cap > slot.min ? Math.round(((spare * slot.weight) / totalWeight) * (0.4 + 1.2 * rng.next())) : 0
    slot.length = slot.min + Math.min(slot.cap - slot.min, Math.max(0, wanted))
    total += slot.length
  }
  const target = Math.max(minimum, budget)
  const order = rng.shuffle(slots.map((_, i) => i))
  while (total !== target) {
    let moved = false
    for (const i of order) {
      const slot = slots[i]!
      if (total < target && slot.length < slot.cap) {
        slot.length++
        total++
        moved = true
      } else if (total > target && slot.length > slot.min) {
        slot.length--
        total--
        moved = true
      }
      if (total === target) break
    }
    if (!moved) break
  }
}

// Rendering ------------------------------------------------------------------------------------------------

/** A YAML scalar for a block context: plain when that reads back as the same string, else double-quoted. */
function scalar(text: string): string {
  const plain =
    /^[A-Za-z0-9/_.$][A-Za-z0-9 _./:=@+,*#()$-]*$/.test(text) &&
    !text.includes(': ') &&
    !text.includes(' #') &&
    !text.endsWith(' ') &&
    !text.endsWith(':') &&
    !/^(true|false|null|yes|no|on|off|y|n|~|[-+]?(\.?[0-9]).*)$/i.test(text)
  return plain ? text : JSON.stringify(text)
}

function list(indent: string, values: readonly string[], flow = values.length <= 4): string {
  if (flow) return ` [${values.join(', ')}]\n`
  return `\n${values.map((v) => `${indent}  - ${scalar(v)}\n`).join('')}`
}

const FILLER = [...VERBS, ...NOUNS, ...words('the and for into from')]

function phrase(rng: Random, count: number): string {
  return Array.from({ length: count }, () => rng.pick(FILLER)).join(' ')
}

function sentence(rng: Random, text: string): string {
  const s = `${text} ${phrase(rng, rng.int(2, 6))}`
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function hostFor(rng: Random, def: Definition, index = rng.int(1, 9)): string {
  return `${def.name
    .slice(0, 40)
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+$/, '')}-${String(index).padStart(2, '0')}.internal.example.com`
}

function upperSnake(name: string): string {
  const s = name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return /^[A-Z]/.test(s) ? s : `V_${s}`
}

function renderDefinition(rng: Random, def: Definition, pkg: Package): string {
  const lines: string[] = [`kind: ${def.kind}`, `name: ${def.name}`]
  if (rng.chance(0.85)) lines.push(`description: ${scalar(sentence(rng, `${def.kind} for ${pkg.name}`))}`)
  lines.push('spec:')
  const add = (line: string) => lines.push(`  ${line}`)
  const refs = (field: 'variables' | 'successors' | 'tasks') => {
    const values = def.refs[field]
    if (values && values.length > 0)
      lines.push(
        `  ${field}:${list(
          '  ',
          values.map((d) => d.name),
        ).replace(/\n$/, '')}`,
      )
  }
  const domain = pkg.name.split('-')[0] ?? 'data'
  switch (def.kind) {
    case 'task': {
      add(`type: ${def.variant}`)
      if (def.variant === 'command' || def.variant === 'script') {
        add(
          `command: ${scalar(`/opt/${domain}/bin/${def.name.slice(pkg.name.length + 1)} --day yesterday --batch ${rng.int(100, 5000)}`)}`,
        )
      } else if (def.variant === 'sql') {
        add(
          `query: ${scalar(`SELECT count(*) FROM ${domain}.${rng.pick(NOUNS)} WHERE updated_at >= current_date - ${rng.int(1, 30)}`)}`,
        )
      } else if (def.variant === 'file-transfer') {
        add('transfer:')
        add(`  direction: ${rng.pick(['upload', 'download'])}`)
        add(`  localPath: /data/${domain}/${rng.pick(NOUNS)}/outbound`)
        add(`  remotePath: /inbound/${domain}/${rng.pick(NOUNS)}`)
        if (rng.chance(0.3)) add('  deleteAfterTransfer: true')
      } else {
        add('request:')
        add(`  method: ${rng.pick(['GET', 'POST', 'PUT'])}`)
        add(`  path: /api/v${rng.int(1, 3)}/${rng.pick(NOUNS)}/${rng.pick(VERBS)}`)
        add(`  expectStatus: ${rng.pick([200, 201, 202, 204])}`)
      }
      if (def.ref.agent) add(`agent: ${def.ref.agent.name}`)
      if (def.ref.credential) add(`credential: ${def.ref.credential.name}`)
      if (def.ref.connection) add(`connection: ${def.ref.connection.name}`)
      refs('variables')
      refs('successors')
      if (rng.chance(0.4)) add(`workingDirectory: /srv/${domain}/work`)
      add(`timeoutMinutes: ${rng.pick([5, 10, 15, 30, 45, 60, 90, 120, 240])}`)
      if (rng.chance(0.6)) add(`priority: ${rng.pick(['low', 'normal', 'high', 'critical'])}`)
      if (rng.chance(0.5)) {
        add('retries:')
        add(`  count: ${rng.int(0, 5)}`)
        add(`  delaySeconds: ${rng.pick([30, 60, 120, 300])}`)
      }
      if (rng.chance(0.4)) add(`notifyOnFailure: [${domain}-oncall@example.com]`)
      break
    }
    case 'workflow':
      refs('tasks')
      add(`owner: ${domain}-team`)
      add(`maxParallel: ${rng.int(1, 8)}`)
      add(`onFailure: ${rng.pick(['stop', 'continue', 'skip-successors'])}`)
      if (rng.chance(0.5)) add(`timeoutMinutes: ${rng.pick([60, 120, 240, 480])}`)
      add(`tags: [${domain}, ${rng.pick(AREAS)}]`)
      break
    case 'trigger':
      add(`type: ${def.variant}`)
      add(`workflow: ${def.ref.workflow!.name}`)
      if (def.ref.calendar) add(`calendar: ${def.ref.calendar.name}`)
      if (def.variant === 'cron') {
        add(`cron: "${rng.int(0, 59)} ${rng.int(0, 23)} * * ${rng.pick(['*', '1-5', '0', '6'])}"`)
        add(`timezone: ${rng.pick(TIMEZONES)}`)
      } else if (def.variant === 'file') {
        add('file:')
        add(`  path: /data/inbound/${domain}/${rng.pick(NOUNS)}.ready`)
        add(`  minSizeBytes: ${rng.int(1, 1000)}`)
        add(`  stableSeconds: ${rng.pick([10, 30, 60])}`)
      } else if (def.variant === 'event') {
        add(`event: ${domain}.${rng.pick(NOUNS)}-${rng.pick(['ready', 'loaded', 'failed'])}`)
      }
      if (rng.chance(0.2)) add('catchUp: true')
      break
    case 'calendar': {
      const type = weighted(rng, 'weekly:60 monthly:25 dates:15')
      add(`type: ${type}`)
      add(`timezone: ${rng.pick(TIMEZONES)}`)
      if (type === 'weekly')
        add(`weekdays: [${rng.pick(['Mon, Tue, Wed, Thu, Fri', 'Sat, Sun', 'Mon, Wed, Fri', 'Tue, Thu'])}]`)
      if (type === 'monthly') add(`daysOfMonth: [${rng.pick(['1, 15', '-1', '1, -1', '5, 20', '-2, -1'])}]`)
      const dates = (n: number) =>
        Array.from(
          { length: n },
          (_, i) =>
            `2027-${String(1 + ((i * 5 + rng.int(0, 4)) % 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
        )
      if (type === 'dates')
        add(`includeDates:${list('  ', [...new Set(dates(rng.int(2, 6)))], false)}`.replace(/\n$/, ''))
      if (rng.chance(0.5))
        add(`excludeDates:${list('  ', [...new Set(dates(rng.int(2, 8)))], false)}`.replace(/\n$/, ''))
      if (rng.chance(0.4)) add(`shiftToBusinessDay: ${rng.pick(['previous', 'next'])}`)
      break
    }
    case 'credential': {
      const type = weighted(rng, 'database:40 ssh-key:10 basic:10 api-token:20 oauth2-client:10 aws-role:10')
      add(`type: ${type}`)
      if (type === 'database' || type === 'basic' || type === 'ssh-key')
        add(`username: ${domain}_${rng.pick(['etl', 'reader', 'writer', 'svc'])}`)
      add(
        `secretRef: vault://kv/${domain}/${def.name}#${rng.pick(['password', 'token', 'private_key', 'client_secret'])}`,
      )
      if (type === 'aws-role')
        add(
          `roleArn: arn:aws:iam::${String(rng.int(100000, 999999)).repeat(2)}:role/${domain}-${rng.pick(AREAS)}`,
        )
      add(`rotationDays: ${rng.pick([30, 60, 90, 180, 365])}`)
      add(`owner: ${domain}-team`)
      break
    }
    case 'agent': {
      add(`os: ${weighted(rng, 'linux:80 windows:15 macos:5')}`)
      const count = rng.int(1, 4)
      add(
        `hosts:${list(
          '  ',
          Array.from({ length: count }, (_, i) => hostFor(rng, def, i + 1)),
          false,
        )}`.replace(/\n$/, ''),
      )
      add(`balancing: ${rng.pick(['round-robin', 'least-busy', 'first-available'])}`)
      add(`maxConcurrent: ${rng.int(2, 64)}`)
      add(`labels: [${domain}, ${rng.pick(['python3', 'java17', 'dotnet', 'high-memory', 'ssd'])}]`)
      add(`heartbeatSeconds: ${rng.pick([10, 20, 30, 60])}`)
      break
    }
    case 'connection':
      add(`type: ${def.variant}`)
      if (DB_CONNECTIONS.includes(def.variant)) {
        add(`host: ${hostFor(rng, def)}`)
        add(`port: ${rng.pick([5432, 3306, 1433, 1521])}`)
        add(`database: ${domain}_${rng.pick(NOUNS)}`)
        if (rng.chance(0.5)) add(`poolSize: ${rng.int(2, 50)}`)
      } else if (def.variant === 'sftp' || def.variant === 'smtp') {
        add(`host: ${hostFor(rng, def)}`)
        add(`port: ${def.variant === 'sftp' ? 22 : 587}`)
      } else if (def.variant === 's3') {
        add(`bucket: ${domain}-${rng.pick(NOUNS)}-${rng.int(10, 99)}`)
        add(`region: ${rng.pick(['us-east-1', 'eu-west-1', 'ap-south-1'])}`)
      } else {
        add(`url: https://${domain}.example.com/api/v${rng.int(1, 3)}`)
      }
      if (def.ref.credential) add(`credential: ${def.ref.credential.name}`)
      add(`timeoutSeconds: ${rng.pick([10, 30, 60, 300])}`)
      if (rng.chance(0.3)) add('tls: true')
      break
    case 'variable': {
      const type = weighted(rng, 'string:40 integer:35 boolean:15 list:10')
      add(`type: ${type}`)
      if (type === 'string') add(`value: ${scalar(`${domain}/${rng.pick(NOUNS)}/`)}`)
      else if (type === 'integer') add(`value: ${rng.int(1, 1000)}`)
      else if (type === 'boolean') add(`value: ${rng.chance(0.5)}`)
      else add(`value: [${rng.sample(['us', 'eu', 'apac', 'latam', 'mea'], rng.int(1, 4)).join(', ')}]`)
      if (rng.chance(0.7)) add(`envName: ${upperSnake(def.name.slice(pkg.name.length + 1))}`)
      break
    }
  }
  return `${lines.join('\n')}\n`
}

const RANGES = ['>=1', '^1', '>=1 <2', '*', '~1', '1']

function renderPackage(rng: Random, pkg: Package, packages: readonly Package[]): string {
  const domain = pkg.name.split('-')[0] ?? 'data'
  const lines: string[] = [`name: ${pkg.name}`, `description: ${scalar(sentence(rng, `${domain} jobs,`))}`]
  if (rng.chance(0.7)) {
    lines.push('notes: |')
    for (let i = rng.int(1, 3); i > 0; i--) lines.push(`  ${sentence(rng, 'Adds')}.`)
  }
  if (rng.chance(0.1)) lines.push('locked: true')
  if (rng.chance(0.15)) lines.push('install: overwrite')
  if (pkg.includeReferences) lines.push('includeReferences: true')
  lines.push('items:')
  for (const def of pkg.items) lines.push(`  - ${def.kind}/${def.name}`)
  if (pkg.deps.length > 0) {
    lines.push('dependencies:')
    for (const dep of pkg.deps) {
      lines.push(`  - package: ${packages[dep]!.name}`)
      if (rng.chance(0.85)) lines.push(`    version: "${rng.pick(RANGES)}"`)
    }
  }
  if (rng.chance(0.2)) {
    lines.push('instructions:')
    lines.push(`  - step: ${scalar(sentence(rng, 'Check'))}`)
    lines.push('    when: before')
    if (rng.chance(0.5)) lines.push(`  - step: ${scalar(sentence(rng, 'Tell'))}`, '    when: after')
  }
  const tasks = pkg.items.filter((d) => d.kind === 'task')
  const credentials = pkg.items.filter((d) => d.kind === 'credential')
  if (tasks.length > 0 && rng.chance(0.3)) {
    lines.push('environments:')
    for (const env of ['qa', 'prod']) {
      lines.push(`  ${env}:`)
      if (credentials.length > 1 && rng.chance(0.5)) {
        const [from, to] = rng.sample(credentials, 2)
        lines.push('    replace:', `      credential/${from!.name}: credential/${to!.name}`)
      }
      lines.push(
        '    set:',
        `      task/${rng.pick(tasks).name}:`,
        `        spec.timeoutMinutes: ${rng.pick([30, 60, 120])}`,
      )
      if (env === 'prod' && rng.chance(0.3))
        lines.push(`    release: "2027-0${rng.int(1, 9)}-01T00:00:00-05:00"`)
    }
  }
  return `${lines.join('\n')}\n`
}

function renderConfig(): string {
  return `# Synthetic repository for Gantry's benchmarks.
versioning: dot

environments:
  - name: dev
    branch: env/dev
    approvals: 0
  - name: qa
    branch: env/qa
    after: [dev]
    approvals: 1
  - name: prod
    branch: env/prod
    after: [qa]
    approvals: 2
    timezone: America/New_York
    windows: ["Mon-Thu 00:00-01:00"]

kinds:
  calendar: {update: never}
  credential: {delete: never}
`
}

function renderReadme(options: Required<GenerateOptions>, definitions: number, packages: number): string {
  return `# Synthetic source repository

Generated by bench/generate-repository.ts (seed ${JSON.stringify(options.seed)}): ${definitions} definitions,
${packages} packages, about ${options.references} references. Do not edit: regenerate it.
`
}

// Writing --------------------------------------------------------------------------------------------------

export const BENCH_IDENTITY = {
  GIT_AUTHOR_NAME: 'Gantry Bench',
  GIT_AUTHOR_EMAIL: 'bench@gantry.invalid',
  GIT_COMMITTER_NAME: 'Gantry Bench',
  GIT_COMMITTER_EMAIL: 'bench@gantry.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
}

/** Runs git in `dir` with a fixed identity and date; throws with its stderr when it fails. */
export function gitBytes(dir: string, args: readonly string[], input?: string | Buffer): Buffer {
  const result = spawnSync(
    'git',
    ['-C', dir, '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args],
    {
      input,
      env: { ...process.env, ...BENCH_IDENTITY, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      maxBuffer: 1 << 30,
    },
  )
  if (result.status !== 0)
    throw new Error(`git ${args.join(' ')} failed: ${result.stderr?.toString() ?? result.error?.message}`)
  return result.stdout
}

export function git(dir: string, args: readonly string[], input?: string | Buffer): string {
  return gitBytes(dir, args, input).toString('utf8')
}

/**
 * Writes the files into `dir` (which is emptied first). With `commit`, makes it a git repository with one
 * commit on main holding every file.
 */
export function writeRepository(
  files: ReadonlyMap<string, string>,
  dir: string,
  options: { commit?: boolean } = {},
): void {
  rmSync(dir, { recursive: true, force: true })
  const made = new Set<string>()
  for (const [path, content] of files) {
    const file = join(dir, path)
    const folder = dirname(file)
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true })
      made.add(folder)
    }
    writeFileSync(file, content)
  }
  if (options.commit) {
    git(dir, ['init', '-q', '-b', 'main'])
    git(dir, ['add', '-A'])
    git(dir, ['commit', '-q', '-m', 'Synthetic source repository'])
  }
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      definitions: { type: 'string' },
      packages: { type: 'string' },
      references: { type: 'string' },
      seed: { type: 'string' },
      git: { type: 'boolean', default: false },
    },
  })
  if (positionals.length !== 1) {
    process.stderr.write(
      'usage: tsx bench/generate-repository.ts <target-dir> [--definitions N] [--packages N] [--references N] [--seed S] [--git]\n',
    )
    process.exitCode = 2
    return
  }
  const number = (value: string | undefined, fallback: number) =>
    value === undefined ? fallback : Number(value)
  const generated = generateRepository({
    definitions: number(values.definitions, DEFAULT_OPTIONS.definitions),
    packages: number(values.packages, DEFAULT_OPTIONS.packages),
    references: number(values.references, DEFAULT_OPTIONS.references),
    seed: values.seed ?? DEFAULT_OPTIONS.seed,
  })
  const target = resolve(positionals[0]!)
  writeRepository(generated.files, target, { commit: values.git })
  process.stdout.write(`${JSON.stringify({ target, ...generated.stats })}\n`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href)
  main(process.argv.slice(2))
