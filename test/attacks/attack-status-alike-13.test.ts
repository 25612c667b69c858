import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { readWrittenLedger, readWrittenLedgerAlike } from '../../src/core/promotion/ledger-read.js'
import { renderLedger } from '../../src/core/promotion/plan-promotion.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { cli, git, tempDir } from '../engine/helpers.js'
import { fullLedger, shape } from '../support/full-yaml-value.js'
import { seededRandom as random } from '../support/seeded-random.js'
import { sampleLedger } from '../support/sample-ledger.js'
import { appliedEverywhere } from './status-scenarios.js'
import { BUILT_CLI, runBuiltCli } from '../support/built-cli.js'

// Status reads a package's ledger on other environments against its first copy (readWrittenLedgerAlike), and
// remembers per reference target whether it is listed in the definitions tree last looked at. Both are hostile
// input on environment branches. The promises: a ledger read against another copy is exactly what reading its
// own bytes whole gives (value and findings), and each environment's unresolved references are those its own
// tree gives, whatever the other environments hold and in whatever order they are looked at.

const temp = tempDir('gantry-attack-status-alike-13-')
afterAll(() => temp.cleanup())

const FILE = '.gantry/installed/app.yaml'
const schemas = new SchemaRegistry()
const enc = (text: string) => new TextEncoder().encode(text)
const fullLedgerOf = (bytes: Uint8Array) => fullLedger(FILE, 'app.yaml', bytes, schemas)


/** First copies: the environment line at the top, in the middle (as rendered) and last. */
function firstCopies(): string[] {
  const rendered = renderLedger(sampleLedger(5, { approvers: [{ login: 'alice', sha: 'abc123' }] }))
  const lines = rendered.trimEnd().split('\n')
  const env = lines.findIndex((l) => l.startsWith('environment: '))
  const others = lines.filter((_, i) => i !== env)
  return [rendered, `${[lines[env]!, ...others].join('\n')}\n`, `${[...others, lines[env]!].join('\n')}\n`]
}

/** Variants of a first copy: the environment line in other forms, and bytes next to it or elsewhere changed. */
const VARIANTS: [string, (t: string) => string][] = [
  ['plain qa', (t) => t.replace(/^environment: .*$/m, 'environment: qa')],
  ['double-quoted', (t) => t.replace(/^environment: .*$/m, 'environment: "qa"')],
  ['single-quoted', (t) => t.replace(/^environment: .*$/m, "environment: 'qa'")],
  ['comment', (t) => t.replace(/^environment: .*$/m, 'environment: qa # x')],
  ['trailing spaces', (t) => t.replace(/^environment: .*$/m, 'environment: qa  ')],
  ['CR at its end', (t) => t.replace(/^environment: .*$/m, 'environment: qa\r')],
  ['CRLF everywhere', (t) => t.replace(/^environment: .*$/m, 'environment: qa').replaceAll('\n', '\r\n')],
  ['two environment lines', (t) => t.replace(/^environment: .*$/m, 'environment: qa\nenvironment: prod')],
  ['environment then a nested line', (t) => t.replace(/^environment: .*$/m, 'environment: qa\n  x: y')],
  ['environment line in a nested map', (t) => t.replace(/^items:\n/m, 'items:\n  environment: qa\n')],
  ['environment key in approvers', (t) => t.replace(/^ {4}sha: (.*)$/m, '    sha: $1\n    environment: qa')],
  ['environment moved first', (t) => `environment: qa\n${t.replace(/^environment: .*\n/m, '')}`],
  ['environment: with no space', (t) => t.replace(/^environment: .*$/m, 'environment:qa')],
  ['environment empty', (t) => t.replace(/^environment: .*$/m, 'environment: ')],
  ['environment block below', (t) => t.replace(/^environment: .*$/m, 'environment: \n  a: b')],
  ['environment 5', (t) => t.replace(/^environment: .*$/m, 'environment: 5')],
  ['environment null', (t) => t.replace(/^environment: .*$/m, 'environment: null')],
  ['environment []', (t) => t.replace(/^environment: .*$/m, 'environment: []')],
  ['environment {}', (t) => t.replace(/^environment: .*$/m, 'environment: {}')],
  ['environment __proto__', (t) => t.replace(/^environment: .*$/m, 'environment: __proto__')],
  ['environment constructor', (t) => t.replace(/^environment: .*$/m, 'environment: constructor')],
  ['environment quoted, not ASCII', (t) => t.replace(/^environment: .*$/m, 'environment: "q\u00e4"')],
  ['environment quoted, a tab in it', (t) => t.replace(/^environment: .*$/m, 'environment: "q\ta"')],
  ['environment quoted, NEL in it', (t) => t.replace(/^environment: .*$/m, 'environment: "q\u0085a"')],
  ['environment anchor', (t) => t.replace(/^environment: .*$/m, 'environment: &a qa')],
  ['environment 1023-character line', (t) => t.replace(/^environment: .*$/m, `environment: ${'q'.repeat(1024 - 13)}`)],
  ['environment 1025-character line', (t) => t.replace(/^environment: .*$/m, `environment: ${'q'.repeat(1025 - 13)}`)],
  ['environment 1026-character line', (t) => t.replace(/^environment: .*$/m, `environment: ${'q'.repeat(1026 - 13)}`)],
  ['byte before the line', (t) => t.replace(/\nenvironment: .*$/m, ' \nenvironment: qa')],
  ['byte after the line', (t) => t.replace(/^environment: .*\n/m, 'environment: qa\n\n')],
  ['key before the line renamed', (t) => t.replace(/^(\w+): (.*)\nenvironment: .*$/m, '$1x: $2\nenvironment: qa')],
  ['same length, a digest changed', (t) => t.replace(/^environment: dev$/m, 'environment: qaa').replace(/sha256:0/, 'sha256:1')],
  ['same length, locked flipped', (t) => t.replace('environment: dev', 'environment: qa').replace('locked: false', 'locked: true ')],
  ['same length, package changed', (t) => t.replace('environment: dev', 'environment: dex').replace('package: app', 'package: apq')],
  ['no final newline', (t) => t.replace(/^environment: .*$/m, 'environment: qa').slice(0, -1)],
  ['extra key at the end', (t) => `${t.replace(/^environment: .*$/m, 'environment: qa')}extra: 1\n`],
  ['__proto__ key at the end', (t) => `${t.replace(/^environment: .*$/m, 'environment: qa')}__proto__: x\n`],
  ['the same text', (t) => t],
]

test('a copy read against its first copy is what reading its own bytes whole gives, or declined', () => {
  let taken = 0
  let tried = 0
  for (const first of firstCopies()) {
    const known = readWrittenLedger(enc(first), FILE, 'app.yaml', schemas)!
    expect(known).toBeDefined()
    const copy = { bytes: enc(first), ledger: known }
    const before = JSON.stringify(known)
    for (const [label, make] of VARIANTS) {
      const text = make(first)
      const bytes = enc(text)
      const alike = readWrittenLedgerAlike(bytes, copy, FILE, 'app.yaml', schemas)
      const own = readWrittenLedger(bytes, FILE, 'app.yaml', schemas)
      tried++
      // Declining is always allowed (status then reads the bytes whole); what it takes is what they give.
      if (alike !== undefined) {
        expect(isDeepStrictEqual(alike, own), label).toBe(true)
        taken++
        const full = fullLedgerOf(bytes)
        expect(full, `${label}: the full read reports what the alike read took`).toBeDefined()
        expect(shape(alike), label).toBe(shape(full))
        expect(Object.getPrototypeOf(alike)).toBe(Object.prototype)
        // Another file name: declined, as the full read refuses it.
        expect(readWrittenLedgerAlike(bytes, copy, '.gantry/installed/other.yaml', 'other.yaml', schemas), label).toBeUndefined()
      }
    }
    // The first copy's value is left as it was.
    expect(JSON.stringify(known)).toBe(before)
  }
  expect(tried).toBe(3 * VARIANTS.length)
  expect(taken).toBeGreaterThan(6)
})

test('seeded edits next to the environment line: declined, or what the own bytes give', () => {
  const next = random(1313)
  let compared = 0
  for (const first of firstCopies()) {
    const known = readWrittenLedger(enc(first), FILE, 'app.yaml', schemas)!
    const start = first.indexOf('environment: ')
    const end = first.indexOf('\n', start)
    const pieces = ['\n', ' ', '\r', ':', '"', 'q', '#', 'environment: ', '\t', '{}', '[]', '- ', '  ']
    for (let round = 0; round < 600; round++) {
      // Edits within a few bytes of the line: before it, in it, at its \n and after.
      const at = Math.max(0, Math.min(first.length, start - 3 + Math.floor(next() * (end - start + 7))))
      const cut = Math.floor(next() * 3)
      const text = first.slice(0, at) + pieces[Math.floor(next() * pieces.length)]! + first.slice(at + cut)
      const bytes = enc(text)
      const alike = readWrittenLedgerAlike(bytes, { bytes: enc(first), ledger: known }, FILE, 'app.yaml', schemas)
      if (alike !== undefined) {
        expect(isDeepStrictEqual(alike, readWrittenLedger(bytes, FILE, 'app.yaml', schemas)), JSON.stringify(text)).toBe(true)
        compared++
        expect(shape(alike)).toBe(shape(fullLedgerOf(bytes)))
      }
    }
  }
  expect(compared).toBeGreaterThan(20)
})

// Real repositories: dev, qa and prod with base, app and tools applied; edits to environment branches by hand.

let base = ''
const ENVS = ['dev', 'qa', 'prod'] as const
type Env = (typeof ENVS)[number]
const heads = new Map<string, string>()
beforeAll(async () => {
  base = await appliedEverywhere(join(temp.dir, 'base'))
  for (const env of ENVS) heads.set(env, git(base, ['rev-parse', `refs/heads/env/${env}`]))
}, 180_000)

type Edit = { put: string; bytes?: string; mode?: '100644' | '120000' | '160000' | 'tree' } | { del: string }

/** A new commit on env/<env> with its tree changed by `edits`, through git's index (any mode at any path). */
function edit(repo: string, env: Env, edits: Edit[]): void {
  const index = join(repo, '.git', `idx-alike-13-${process.pid}`)
  const opts = { env: { GIT_INDEX_FILE: index } }
  const parent = git(repo, ['rev-parse', `refs/heads/env/${env}`])
  git(repo, ['read-tree', parent], opts)
  for (const e of edits) {
    if ('del' in e) {
      git(repo, ['update-index', '--force-remove', e.del], opts)
      continue
    }
    git(repo, ['update-index', '--force-remove', e.put], opts)
    const mode = e.mode ?? '100644'
    if (mode === 'tree') {
      // A folder at the path: a file inside it.
      const id = execFileSync('git', ['-C', repo, 'hash-object', '-w', '--stdin'], { input: 'x: 1\n' }).toString().trim()
      git(repo, ['update-index', '--add', '--cacheinfo', `100644,${id},${e.put}/inner.yaml`], opts)
      continue
    }
    const id = mode === '160000' ? parent : execFileSync('git', ['-C', repo, 'hash-object', '-w', '--stdin'], { input: e.bytes ?? 'x' }).toString().trim()
    git(repo, ['update-index', '--add', '--cacheinfo', `${mode},${id},${e.put}`], opts)
  }
  const tree = git(repo, ['write-tree'], opts)
  git(repo, ['update-ref', `refs/heads/env/${env}`, git(repo, ['commit-tree', tree, '-p', parent, '-m', 'by hand'])])
  rmSync(index, { force: true })
}

function reset(repo: string): void {
  for (const [env, head] of heads) git(repo, ['update-ref', `refs/heads/env/${env}`, head])
}

const ledgerText = (repo: string, env: Env, pkg = 'app') => git(repo, ['show', `${heads.get(env)}:.gantry/installed/${pkg}.yaml`]) + '\n'

/** Edits of one environment: its ledgers' environment lines, and its definitions tree around reference targets. */
const EDITS: [string, (repo: string, env: Env) => Edit[]][] = [
  ['nothing', () => []],
  ['app ledger, environment quoted', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace(/^environment: (.*)$/m, 'environment: "$1"') }]],
  ['app ledger, environment commented', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace(/^environment: (.*)$/m, 'environment: $1 # by hand') }]],
  ['app ledger, environment with trailing space', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace(/^environment: (.*)$/m, 'environment: $1 ') }]],
  ['app ledger, CRLF', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replaceAll('\n', '\r\n') }]],
  ['app ledger, environment 5', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace(/^environment: .*$/m, 'environment: 5') }]],
  ['app ledger, another environment named', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace(/^environment: .*$/m, `environment: ${e === 'dev' ? 'qa' : 'dev'}`) }]],
  ['app ledger, environment twice', (r, e) => [{ put: FILE, bytes: `${ledgerText(r, e)}environment: ${e}\n` }]],
  ['app ledger, environment moved first', (r, e) => [{ put: FILE, bytes: `environment: ${e}\n${ledgerText(r, e).replace(/^environment: .*\n/m, '')}` }]],
  ['app ledger, locked with the same length', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace('locked: false', 'locked: true ') }]],
  ['app ledger, locked', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace('locked: false', 'locked: true') }]],
  ['app ledger, an item digest changed', (r, e) => [{ put: FILE, bytes: ledgerText(r, e).replace(/(task\/extract: sha256:)./, '$10') }]],
  ['app ledger, a YAML comment on top', (r, e) => [{ put: FILE, bytes: `# edited\n${ledgerText(r, e)}` }]],
  ['app ledger holding the base ledger', (r, e) => [{ put: FILE, bytes: ledgerText(r, e, 'base') }]],
  ['conn/db deleted', () => [{ del: 'definitions/conn/db.yaml' }]],
  ['conn/db a link', () => [{ put: 'definitions/conn/db.yaml', mode: '120000', bytes: 'elsewhere.yaml' }]],
  ['conn/db a submodule', () => [{ put: 'definitions/conn/db.yaml', mode: '160000' }]],
  ['conn/db a folder', () => [{ put: 'definitions/conn/db.yaml', mode: 'tree' }]],
  ['conn/db in another case', (r, e) => [{ del: 'definitions/conn/db.yaml' }, { put: 'definitions/conn/Db.yaml', bytes: git(r, ['show', `${heads.get(e)}:definitions/conn/db.yaml`]) + '\n' }]],
  ['conn folder in another case', (r, e) => [{ del: 'definitions/conn/db.yaml' }, { put: 'definitions/Conn/db.yaml', bytes: git(r, ['show', `${heads.get(e)}:definitions/conn/db.yaml`]) + '\n' }]],
  ['another file in the conn folder', () => [{ put: 'definitions/conn/other.yaml', bytes: 'kind: conn\nname: other\nspec:\n  host: h\n' }]],
  ['cred folder gone', () => [{ del: 'definitions/cred/db.yaml' }, { del: 'definitions/cred/db-qa.yaml' }, { del: 'definitions/cred/tools.yaml' }]],
  ['cred/db and cred/db-qa deleted', () => [{ del: 'definitions/cred/db.yaml' }, { del: 'definitions/cred/db-qa.yaml' }]],
  ['task/extract refers to a task of the name of a conn', () => [{ put: 'definitions/task/extract.yaml', bytes: 'kind: task\nname: extract\nspec:\n  command: extract.sh\n  conn: db\n  successors:\n    - db\n    - cleanup\n' }]],
  ['task/extract refers to no item name', () => [{ put: 'definitions/task/extract.yaml', bytes: 'kind: task\nname: extract\nspec:\n  command: extract.sh\n  conn: Bad Name\n' }]],
  ['a task named db', () => [{ put: 'definitions/task/db.yaml', bytes: 'kind: task\nname: db\nspec:\n  command: x\n' }]],
]

const repoOf = (() => {
  let count = 0
  return () => {
    const dir = join(temp.dir, `r${++count}`)
    execFileSync('cp', ['-r', base, dir])
    return dir
  }
})()

interface StatusJson {
  diagnostics?: { environment?: string }[]
  packages?: { name: string; environments: Record<string, unknown> }[]
  [key: string]: unknown
}

/** What status says of one environment: its findings and each package's state there. */
function aboutEnv(json: StatusJson, env: Env): string {
  const found: unknown[] = []
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk)
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>
      if (record.environment === env || (typeof record.message === 'string' && record.message.includes(`env/${env}`))) found.push(record)
      else Object.values(record).forEach(walk)
    }
  }
  walk(json.diagnostics ?? [])
  for (const [key, value] of Object.entries(json)) if (key !== 'diagnostics' && key !== 'packages') walk(value)
  const packages = (json.packages ?? []).map((p) => [p.name, p.environments[env] ?? null])
  return JSON.stringify({ found: found.map((f) => JSON.stringify(f)).sort(), packages })
}

test('each environment gets what its own branch gives, whatever the others hold (seeded combinations)', async () => {
  const next = random(2613)
  const repo = repoOf()
  const alone = repoOf()
  let cases = 0
  for (let round = 0; round < 14; round++) {
    // Round 0..: every edit once on one environment, then random ones on all three.
    const picks = ENVS.map((_, i) => (round < 3 ? (i === round ? EDITS[1 + ((round * 7) % (EDITS.length - 1))]! : EDITS[0]!) : EDITS[Math.floor(next() * EDITS.length)]!))
    reset(repo)
    for (const [i, env] of ENVS.entries()) edit(repo, env, picks[i]![1](repo, env))
    const together = await cli(repo, ['status', '--format', 'json'])
    const json = JSON.parse(together.stdout) as StatusJson
    const label = picks.map((p) => p[0]).join(' / ')
    const owns: StatusJson[] = []
    for (const [i, env] of ENVS.entries()) {
      reset(alone)
      edit(alone, env, picks[i]![1](alone, env))
      owns.push(JSON.parse((await cli(alone, ['status', '--format', 'json'])).stdout) as StatusJson)
    }
    // A ledger status refuses stops it: then it stops with all three too, and says so of that environment.
    const stopped = owns.some((own) => (own.packages ?? []).length === 0)
    expect((json.packages ?? []).length === 0, label).toBe(stopped)
    for (const [i, env] of ENVS.entries()) {
      // The other environments as applied: reading them first or not must not change this one.
      if (stopped) {
        if ((owns[i]!.packages ?? []).length === 0) expect(JSON.stringify(json), label).toContain(`on env/${env}`)
      } else expect(aboutEnv(json, env), `${env}: ${label}`).toBe(aboutEnv(owns[i]!, env))
      cases++
    }
  }
  expect(cases).toBe(42)
}, 300_000)

test('every edit on qa only, beside dev and prod with conn/db deleted and left: qa gets what it gets alone', async () => {
  const repo = repoOf()
  const alone = repoOf()
  let stayed = 0
  for (const [label, make] of EDITS) {
    reset(repo)
    reset(alone)
    // dev loses the target, prod keeps it: qa is looked at between them, its tree told apart from both.
    edit(repo, 'dev', [{ del: 'definitions/conn/db.yaml' }])
    edit(repo, 'qa', make(repo, 'qa'))
    edit(alone, 'qa', make(alone, 'qa'))
    const json = JSON.parse((await cli(repo, ['status', '--format', 'json'])).stdout) as StatusJson
    const own = JSON.parse((await cli(alone, ['status', '--format', 'json'])).stdout) as StatusJson
    if ((own.packages ?? []).length === 0) {
      expect(json.packages ?? [], label).toEqual([])
      continue
    }
    stayed++
    // dev, without the target, reports the reference; qa without it too, as it does alone.
    expect(JSON.stringify(json), label).toContain('task/extract of package app refers to conn/db, which is not on env/dev')
    if (label === 'conn/db deleted') expect(aboutEnv(own, 'qa'), label).toContain('refers to conn/db, which is not on env/qa')
    expect(aboutEnv(json, 'qa'), label).toBe(aboutEnv(own, 'qa'))
    expect(aboutEnv(json, 'prod'), label).toBe(aboutEnv(own, 'prod'))
  }
  expect(stayed).toBeGreaterThan(EDITS.length / 2)
}, 300_000)

// With GANTRY_STATUS_EARLIER naming the dist/cli/index.js of an earlier build: the same bytes, both formats.
const EARLIER = process.env.GANTRY_STATUS_EARLIER ?? ''
const CURRENT = BUILT_CLI

const run = runBuiltCli

test.skipIf(!(existsSync(EARLIER) && existsSync(CURRENT)))('the same output as the earlier CLI, edits on every environment (seeded)', async () => {
  const next = random(31337)
  const repo = repoOf()
  const rounds = EDITS.length + 20
  for (let round = 0; round < rounds; round++) {
    // First each edit on qa alone (dev and prod as applied), then random ones on all three.
    const picks = ENVS.map((env) => (round < EDITS.length ? (env === 'qa' ? EDITS[round]! : EDITS[0]!) : EDITS[Math.floor(next() * EDITS.length)]!))
    reset(repo)
    for (const [i, env] of ENVS.entries()) edit(repo, env, picks[i]![1](repo, env))
    const label = picks.map((p) => p[0]).join(' / ')
    const [a, b, c, d] = await Promise.all([
      run(EARLIER, repo, ['status']),
      run(CURRENT, repo, ['status']),
      run(EARLIER, repo, ['status', '--format', 'json']),
      run(CURRENT, repo, ['status', '--format', 'json']),
    ])
    expect(b, `${label}: status`).toEqual(a)
    expect(d, `${label}: status --format json`).toEqual(c)
  }
}, 600_000)
