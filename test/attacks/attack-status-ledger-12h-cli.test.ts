import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { apply, build, expectExit, makeSourceRepo } from '../engine/fixture.js'
import { git, tempDir } from '../engine/helpers.js'
import { seededRandom as random } from '../support/seeded-random.js'
import { BUILT_CLI, type BuiltCliRun, runBuiltCli } from '../support/built-cli.js'

// `gantry status` reads ledgers written the way Gantry writes them without the YAML parser, and finds
// references with a kind schema as it is, the loader deciding only when a reference does not resolve. The
// promise: the output of `status` and `status --format json` (stdout, stderr, exit code) is byte for byte what
// the earlier CLI prints, on every input. Environment branches are edited by hand by anyone with push rights:
// here their ledgers are near-Gantry texts, damaged bytes, links, submodules and folders at ledger paths, and
// the working tree's kind schemas are broken in the ways the loader refuses. Each case runs the built CLI of
// this checkout (dist/cli/index.js, `npm run build:cli`) beside the earlier one named by GANTRY_STATUS_EARLIER
// (the dist/cli/index.js of an earlier Gantry, built): the test is skipped when either is missing, so it runs
// only when asked for.

const EARLIER = process.env.GANTRY_STATUS_EARLIER ?? ''
const CURRENT = BUILT_CLI
const ready = existsSync(EARLIER) && existsSync(CURRENT)
/** Every case with GANTRY_ATTACK_FULL set; else a third of the near-ledgers and fewer random ones (each case runs four CLIs). */
const FULL = process.env.GANTRY_ATTACK_FULL !== undefined

const temp = tempDir('gantry-attack-status-ledger-12h-')
afterAll(() => temp.cleanup())

const ENVS = ['env/dev', 'env/qa', 'env/prod']
let repo: string
const heads = new Map<string, string>()
const kindTexts = new Map<string, string>()
beforeAll(async () => {
  if (!ready) return
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const env of ['dev', 'qa', 'prod'])
    for (const pkg of ['base', 'app', 'tools']) expectExit(await apply(repo, pkg, env), 0)
  for (const branch of ENVS) heads.set(branch, git(repo, ['rev-parse', `refs/heads/${branch}`]))
  for (const kind of ['task', 'conn', 'cred', 'cal']) kindTexts.set(kind, readFileSync(join(repo, `kinds/${kind}.schema.json`), 'utf8'))
}, 180_000)

/** Every branch and kind schema as applied. */
function reset(): void {
  for (const [branch, head] of heads) git(repo, ['update-ref', `refs/heads/${branch}`, head])
  for (const [kind, text] of kindTexts) writeFileSync(join(repo, `kinds/${kind}.schema.json`), text)
}

type Edit =
  | { put: string; bytes: string | Uint8Array }
  | { put: string; mode: '120000' | '160000'; bytes?: string }
  | { del: string }

const blob = (bytes: string | Uint8Array) =>
  execFileSync('git', ['-C', repo, 'hash-object', '-w', '--stdin'], { input: bytes }).toString().trim()

/** A new commit on `branch` with its tree changed by `edits` (through git's index: any mode at any path). */
function edit(branch: string, edits: Edit[]): void {
  const index = join(repo, '.git', `idx-ledger-12h-${process.pid}`)
  const env = { GIT_INDEX_FILE: index }
  const parent = git(repo, ['rev-parse', `refs/heads/${branch}`])
  git(repo, ['read-tree', parent], { env })
  for (const e of edits) {
    if ('del' in e) {
      git(repo, ['update-index', '--force-remove', e.del], { env })
      continue
    }
    git(repo, ['update-index', '--force-remove', e.put], { env })
    const mode = 'mode' in e ? e.mode : '100644'
    const id = mode === '160000' ? parent : blob(('mode' in e ? e.bytes : e.bytes) ?? 'x')
    git(repo, ['update-index', '--add', '--cacheinfo', `${mode},${id},${e.put}`], { env })
  }
  const tree = git(repo, ['write-tree'], { env })
  git(repo, ['update-ref', `refs/heads/${branch}`, git(repo, ['commit-tree', tree, '-p', parent, '-m', 'by hand'])])
  rmSync(index, { force: true })
}

function run(cli: string, args: string[]): Promise<BuiltCliRun> {
  return runBuiltCli(cli, repo, args)
}

/** Both CLIs, both formats: the outputs must be the same bytes. Returns the earlier CLI's JSON exit code. */
async function same(label: string): Promise<number | null> {
  const [a, b, c, d] = await Promise.all([
    run(EARLIER, ['status']),
    run(CURRENT, ['status']),
    run(EARLIER, ['status', '--format', 'json']),
    run(CURRENT, ['status', '--format', 'json']),
  ])
  expect(b, `${label}: status`).toEqual(a)
  expect(d, `${label}: status --format json`).toEqual(c)
  return c.code
}

const LEDGER = '.gantry/installed/app.yaml'
const ledgerOn = (branch: string, pkg = 'app') => git(repo, ['show', `${branch}:.gantry/installed/${pkg}.yaml`]) + '\n'

/** Near-ledgers: each turns the applied text of a ledger into one Gantry did not write (or did). */
const TEXTS: [string, (text: string) => string | Uint8Array][] = [
  ['as applied', (t) => t],
  ['anchor', (t) => t.replace(/^environment: (.*)$/m, 'environment: &e $1')],
  ['alias', (t) => t.replace(/^appliedBy: (.*)$/m, 'appliedBy: &a $1\nextra: *a')],
  ['!!str tag', (t) => t.replace('promotion: null', 'promotion: !!str 5')],
  ['!!str on version', (t) => t.replace(/^version: .*$/m, 'version: !!str 1')],
  ['plain version 1 (a number)', (t) => t.replace(/^version: .*$/m, 'version: 1')],
  ['version 1.0 plain (a number)', (t) => t.replace(/^version: .*$/m, 'version: 1.0')],
  ['version single-quoted', (t) => t.replace(/^version: "(.*)"$/m, "version: '$1'")],
  ['quoted null', (t) => t.replace('promotion: null', 'promotion: "null"')],
  ['tilde null', (t) => t.replace('promotion: null', 'promotion: ~')],
  ['Null', (t) => t.replace('previousVersion: null', 'previousVersion: Null')],
  ['quoted false', (t) => t.replace('locked: false', 'locked: "false"')],
  ['False', (t) => t.replace('locked: false', 'locked: False')],
  ['locked true', (t) => t.replace('locked: false', 'locked: true')],
  ['promotion number', (t) => t.replace('promotion: null', 'promotion: 42')],
  ['promotion 007', (t) => t.replace('promotion: null', 'promotion: 007')],
  ['promotion 0x2A', (t) => t.replace('promotion: null', 'promotion: 0x2A')],
  ['promotion 1e3', (t) => t.replace('promotion: null', 'promotion: 1e3')],
  ['promotion 16 digits', (t) => t.replace('promotion: null', 'promotion: 1234567890123456')],
  ['comment', (t) => t.replace(/^environment: (.*)$/m, 'environment: $1 # by hand')],
  ['comment line', (t) => `# edited\n${t}`],
  ['trailing space', (t) => t.replace(/^environment: (.*)$/m, 'environment: $1 ')],
  ['tab', (t) => t.replace(/^environment: /m, 'environment:\t')],
  ['CRLF', (t) => t.replaceAll('\n', '\r\n')],
  ['BOM', (t) => `\ufeff${t}`],
  ['duplicate key', (t) => `${t}environment: prod\n`],
  ['duplicate item', (t) => t.replace(/^items:\n(.*)\n/m, 'items:\n$1\n$1\n')],
  ['flow items', (t) => t.replace(/^items:\n((?: {2}.*\n)*)/m, (_m, body: string) => `items: {${body.trim().split('\n').map((l) => l.trim()).join(', ')}}\n`)],
  ['flow approvers empty spaced', (t) => t.replace('approvers: []', 'approvers: [ ]')],
  ['document start', (t) => `---\n${t}`],
  ['document end', (t) => `${t}...\n`],
  ['two documents', (t) => `${t}---\n${t}`],
  ['%YAML 1.1', (t) => `%YAML 1.1\n---\n${t}`],
  ['keys reversed', (t) => t.split('\n').slice(0, 4).reverse().join('\n') + '\n' + t.split('\n').slice(4).join('\n')],
  ['extra key', (t) => `${t}extra: 1\n`],
  ['__proto__', (t) => `${t}__proto__: x\n`],
  ['constructor item', (t) => t.replace(/^items:\n/m, 'items:\n  constructor: x\n')],
  ['escape', (t) => t.replace(/^appliedBy: (.*)$/m, 'appliedBy: "r\\u006fot"')],
  ['unicode', (t) => t.replace(/^appliedBy: (.*)$/m, 'appliedBy: rööt')],
  ['long line', (t) => t.replace(/^appliedBy: (.*)$/m, `appliedBy: ${'a'.repeat(3000)}`)],
  ['line of 1024', (t) => t.replace(/^appliedBy: (.*)$/m, `appliedBy: ${'a'.repeat(1024 - 11)}`)],
  ['no final newline', (t) => t.slice(0, -1)],
  ['empty line', (t) => t.replace('items:\n', 'items:\n\n')],
  ['0 bytes', () => ''],
  ['newline only', () => '\n'],
  ['not UTF-8', (t) => Buffer.concat([Buffer.from(t.slice(0, 20)), Buffer.from([0xc3, 0x28]), Buffer.from(t.slice(20))])],
  ['NUL byte', (t) => t.replace('appliedBy: ', 'appliedBy: \u0000')],
  ['DEL byte', (t) => t.replace('appliedBy: ', 'appliedBy: a\u007f')],
  ['NEL byte', (t) => t.replace('appliedBy: ', 'appliedBy: a\u0085')],
  ['digest upper case', (t) => t.replace(/sha256:([0-9a-f]{64})$/m, (_m, h: string) => `sha256:${h.toUpperCase()}`)],
  ['digest short', (t) => t.replace(/(sha256:[0-9a-f]{63})[0-9a-f]$/m, '$1')],
  ['item digest quoted', (t) => t.replace(/^( {2}task\/extract: )(sha256:[0-9a-f]{64})$/m, '$1"$2"')],
  ['item owned elsewhere', (t) => t.replace(/^items:\n/m, 'items:\n  cred/db-password: sha256:' + '0'.repeat(64) + '\n')],
  ['item id of numbers', (t) => t.replace(/^items:\n/m, 'items:\n  1/2: sha256:' + '0'.repeat(64) + '\n')],
  ['item id no slash', (t) => t.replace(/^items:\n/m, 'items:\n  extract: sha256:' + '0'.repeat(64) + '\n')],
  ['items at three spaces', (t) => t.replace(/^ {2}task\/extract/m, '   task/extract')],
  ['items at four spaces', (t) => t.replaceAll('\n  ', '\n    ')],
  ['items empty', (t) => t.replace(/^items:\n((?: {2}.*\n)*)/m, 'items: {}\n')],
  ['items nothing under', (t) => t.replace(/^items:\n((?: {2}.*\n)*)/m, 'items:\n')],
  ['approvers', (t) => t.replace('approvers: []', 'approvers:\n  - login: alice\n    sha: abc123')],
  ['approvers at zero indent', (t) => t.replace('approvers: []', 'approvers:\n- login: alice\n  sha: abc123')],
  ['approvers extra key', (t) => t.replace('approvers: []', 'approvers:\n  - login: alice\n    sha: abc123\n    x: 1')],
  ['approvers duplicate key', (t) => t.replace('approvers: []', 'approvers:\n  - login: alice\n    login: bob')],
  ['approvers scalars', (t) => t.replace('approvers: []', 'approvers:\n  - alice')],
  ['package other', (t) => t.replace(/^package: .*$/m, 'package: tools')],
  ['package quoted', (t) => t.replace(/^package: (.*)$/m, 'package: "$1"')],
  ['environment other', (t) => t.replace(/^environment: .*$/m, 'environment: prod')],
  ['appliedAt date only', (t) => t.replace(/^appliedAt: .*$/m, 'appliedAt: 2026-01-01')],
  ['appliedAt garbage', (t) => t.replace(/^appliedAt: .*$/m, 'appliedAt: yesterday')],
  ['sourceCommit number', (t) => t.replace(/^sourceCommit: .*$/m, 'sourceCommit: 123456')],
  ['previousVersion 1.2', (t) => t.replace('previousVersion: null', 'previousVersion: 1.2')],
  ['previousVersion "1.2"', (t) => t.replace('previousVersion: null', 'previousVersion: "1.2"')],
  ['rollback true', (t) => t.replace('rollback: false', 'rollback: true')],
  ['delivered differs', (t) => t.replace(/^delivered:\n((?: {2}.*\n)*)/m, 'delivered: {}\n')],
]

test.skipIf(!ready)('near-ledgers on an environment branch: the same output as the earlier CLI', async () => {
  const codes = new Map<number | null, number>()
  for (const [index, [label, make]] of TEXTS.entries()) {
    if (!FULL && index % 3 !== 0 && !/as applied|0 bytes|BOM|CRLF|promotion number|approvers$/.test(label)) continue
    reset()
    edit('env/dev', [{ put: LEDGER, bytes: make(ledgerOn('env/dev')) }])
    // The same damage on qa (another blob: its environment differs) and prod's ledger of tools.
    edit('env/qa', [{ put: LEDGER, bytes: make(ledgerOn('env/qa')) }])
    edit('env/prod', [{ put: '.gantry/installed/tools.yaml', bytes: make(ledgerOn('env/prod', 'tools')) }])
    const code = await same(label)
    codes.set(code, (codes.get(code) ?? 0) + 1)
  }
  // Both sides of the quick read: some ledgers read, some refused.
  expect(codes.get(0)).toBeGreaterThan(3)
  expect([...codes.keys()].some((c) => c !== 0)).toBe(true)
}, 900_000)

test.skipIf(!ready)('links, submodules, folders and misnamed files at ledger paths', async () => {
  const cases: [string, () => void][] = [
    ['symlink at the ledger', () => edit('env/dev', [{ put: LEDGER, mode: '120000', bytes: 'base.yaml' }])],
    ['symlink to a ledger text', () => edit('env/dev', [{ put: LEDGER, mode: '120000', bytes: ledgerOn('env/dev') }])],
    ['gitlink at the ledger', () => edit('env/dev', [{ put: LEDGER, mode: '160000' }])],
    ['folder at the ledger', () => edit('env/dev', [{ del: LEDGER }, { put: `${LEDGER}/x.yaml`, bytes: ledgerOn('env/dev') }])],
    ['folder inside the ledgers', () => edit('env/dev', [{ put: '.gantry/installed/sub/app.yaml', bytes: ledgerOn('env/dev') }])],
    ['ledger as .yml', () => edit('env/dev', [{ del: LEDGER }, { put: '.gantry/installed/app.yml', bytes: ledgerOn('env/dev') }])],
    ['ledger of app under another name', () => edit('env/dev', [{ put: '.gantry/installed/app2.yaml', bytes: ledgerOn('env/dev') }])],
    ['the same blob at two names', () => edit('env/dev', [{ put: '.gantry/installed/zz.yaml', bytes: ledgerOn('env/dev').replace(/^package: .*$/m, 'package: zz') }])],
    ['ledger of an unknown package', () => edit('env/dev', [{ put: '.gantry/installed/ghost.yaml', bytes: ledgerOn('env/dev').replace(/^package: .*$/m, 'package: ghost') }])],
    ['ledger named .yaml', () => edit('env/dev', [{ put: '.gantry/installed/.yaml', bytes: ledgerOn('env/dev').replace(/^package: .*$/m, 'package: ""') }])],
    ['ledger folder a file', () => edit('env/dev', [{ del: LEDGER }, { del: '.gantry/installed/base.yaml' }, { del: '.gantry/installed/tools.yaml' }, { put: '.gantry/installed', bytes: ledgerOn('env/dev') }])],
    ['ledger folder a symlink', () => edit('env/dev', [{ del: LEDGER }, { del: '.gantry/installed/base.yaml' }, { del: '.gantry/installed/tools.yaml' }, { put: '.gantry/installed', mode: '120000', bytes: 'x' }])],
    ['.gantry a gitlink', () => edit('env/dev', [{ del: LEDGER }, { del: '.gantry/installed/base.yaml' }, { del: '.gantry/installed/tools.yaml' }, { put: '.gantry', mode: '160000' }])],
    ['no ledgers at all', () => edit('env/dev', [{ del: LEDGER }, { del: '.gantry/installed/base.yaml' }, { del: '.gantry/installed/tools.yaml' }])],
    ['one ledger blob on every branch', () => {
      const text = ledgerOn('env/dev')
      for (const branch of ENVS) edit(branch, [{ put: LEDGER, bytes: text }])
    }],
    ['dev ledger valid, qa the same bytes under the tools name', () => edit('env/qa', [{ put: '.gantry/installed/tools.yaml', bytes: ledgerOn('env/dev') }])],
    ['env branch missing', () => git(repo, ['update-ref', '-d', 'refs/heads/env/qa'])],
  ]
  for (const [label, make] of cases) {
    reset()
    make()
    await same(label)
  }
}, 900_000)

const PIECES = [' ', '\t', '\r', '#', ': ', ':', '"', "'", '-', '- ', '\n', '\n  ', '\n    ', '&a ', '*a', '!!str ', '[', ']', '{', '}', '~', '0', '1.5', 'null', 'True', '---\n', '\ufeff', 'é', '\u0000', '__proto__']

test.skipIf(!ready)('a seeded random volume of damaged ledgers on every branch', async () => {
  const rnd = random(0x12e)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  for (let n = 0; n < (FULL ? 24 : 6); n++) {
    reset()
    for (const branch of ENVS) {
      for (const pkg of ['app', 'base', 'tools']) {
        if (rnd() < 0.6) continue
        let text = ledgerOn(branch, pkg)
        for (let d = Math.floor(rnd() * 3); d > 0; d--) {
          const at = Math.floor(rnd() * text.length)
          const r = rnd()
          if (r < 0.4) text = text.slice(0, at) + pick(PIECES) + text.slice(at)
          else if (r < 0.6) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 3))
          else if (r < 0.8) {
            const lines = text.split('\n')
            const i = Math.floor(rnd() * (lines.length - 1))
            const j = Math.floor(rnd() * (lines.length - 1))
            ;[lines[i], lines[j]] = [lines[j]!, lines[i]!]
            text = lines.join('\n')
          } else text = text.replace(/: (\S+)$/m, `: ${pick(['1', '1.0', '"1"', 'yes', 'Null', '0o7', '-1', 'x y', '"a\\"b"'])}`)
        }
        edit(branch, [{ put: `.gantry/installed/${pkg}.yaml`, bytes: text }])
      }
    }
    await same(`random ${n}`)
  }
}, 900_000)

/** Rewrites the task kind's schema in the working tree, from its JSON as applied. */
function taskSchema(change: (schema: Record<string, unknown> & { properties: Record<string, unknown> }) => unknown, raw?: (text: string) => string): void {
  const schema = JSON.parse(kindTexts.get('task')!) as Record<string, unknown> & { properties: Record<string, unknown> }
  const text = JSON.stringify(change(schema) ?? schema, null, 2)
  writeFileSync(join(repo, 'kinds/task.schema.json'), raw ? raw(text) : text)
}

const REF = { type: 'string', 'x-gantry-ref': 'conn' }
const SCHEMAS: [string, () => void][] = [
  ['as applied', () => undefined],
  ['invalid regex in a pattern', () => taskSchema((s) => void (s.properties.command = { type: 'string', pattern: '[' }))],
  ['lookahead pattern', () => taskSchema((s) => void (s.properties.command = { type: 'string', pattern: '(?=a)b' }))],
  ['pattern on the reference', () => taskSchema((s) => void (s.properties.conn = { ...REF, pattern: '^(a+)+$' }))],
  ['invalid patternProperties', () => taskSchema((s) => void (s.patternProperties = { '(': { type: 'string' } }))],
  ['unresolvable $ref', () => taskSchema((s) => void (s.properties.command = { $ref: '#/definitions/none' }))],
  ['remote $ref', () => taskSchema((s) => void (s.properties.command = { $ref: 'http://example.com/s.json' }))],
  ['$ref to a prototype name', () => taskSchema((s) => void (s.properties.command = { $ref: '#/definitions/constructor' }))],
  ['$ref to a reference through definitions', () => taskSchema((s) => {
    s.definitions = { c: REF }
    s.properties.conn = { $ref: '#/definitions/c' }
  })],
  ['recursive $ref', () => taskSchema((s) => {
    s.definitions = { t: { type: 'object', properties: { conn: REF, next: { $ref: '#/definitions/t' } } } }
    s.properties.conn = { $ref: '#/definitions/t/properties/conn' }
  })],
  ['unknown format', () => taskSchema((s) => void (s.properties.command = { type: 'string', format: 'no-such-format' }))],
  ['unknown format on the reference', () => taskSchema((s) => void (s.properties.conn = { ...REF, format: 'nope' }))],
  ['meta-schema: minLength a string', () => taskSchema((s) => void (s.properties.command = { type: 'string', minLength: 'long' }))],
  ['meta-schema: bad type', () => taskSchema((s) => void (s.properties.command = { type: 'strnig' }))],
  ['ajv refuses, draft-07 accepts: unknown keyword in strict mode', () => taskSchema((s) => void (s.properties.command = { type: 'string', foo: 1 }))],
  ['ajv refuses, draft-07 accepts: required not in properties', () => taskSchema((s) => void (s.required = ['command', 'nope']))],
  ['ajv refuses, draft-07 accepts: items tuple without additionalItems', () => taskSchema((s) => void (s.properties.successors = { type: 'array', items: [{ type: 'string', 'x-gantry-ref': 'task' }] }))],
  ['ajv refuses, draft-07 accepts: $schema draft-04', () => taskSchema((s) => void (s.$schema = 'http://json-schema.org/draft-04/schema#'))],
  ['ajv refuses, draft-07 accepts: nested $id', () => taskSchema((s) => void (s.properties.conn = { ...REF, $id: 'http://x/y' }))],
  ['$id at the root', () => taskSchema((s) => void (s.$id = 'http://example.com/task'))],
  ['x-gantry-ref not a kind name', () => taskSchema((s) => void (s.properties.conn = { type: 'string', 'x-gantry-ref': 'Not A Kind' }))],
  ['x-gantry-ref a number', () => taskSchema((s) => void (s.properties.conn = { type: 'string', 'x-gantry-ref': 5 }))],
  ['x-gantry-ref to a kind with no folder', () => taskSchema((s) => void (s.properties.conn = { type: 'string', 'x-gantry-ref': 'nofolder' }))],
  ['duplicate JSON key', () => taskSchema(() => undefined, (t) => t.replace('"type": "object"', '"type": "object", "type": "object"'))],
  ['duplicate x-gantry-ref', () => taskSchema(() => undefined, (t) => t.replace('"x-gantry-ref": "conn"', '"x-gantry-ref": "nofolder", "x-gantry-ref": "conn"'))],
  ['__proto__ key', () => taskSchema(() => undefined, (t) => t.replace('"type": "object"', '"type": "object", "__proto__": {"x-gantry-ref": "conn"}'))],
  ['constructor property', () => taskSchema((s) => void (s.properties = { ...s.properties, constructor: REF }))],
  ['BOM', () => taskSchema(() => undefined, (t) => `\ufeff${t}`)],
  ['not JSON', () => taskSchema(() => undefined, (t) => t.slice(0, -2))],
  ['an array', () => taskSchema(() => [REF])],
  ['oneOf of references', () => taskSchema((s) => void (s.properties.conn = { oneOf: [REF, { type: 'string', 'x-gantry-ref': 'cred' }] }))],
  ['if/then', () => taskSchema((s) => void (s.properties.conn = { if: { type: 'string' }, then: REF }))],
  ['not', () => taskSchema((s) => void (s.properties.conn = { not: REF }))],
  ['additionalProperties a reference', () => taskSchema((s) => void (s.additionalProperties = REF))],
]

/** The branch states each schema meets: references that resolve, and one that does not (on dev only). */
const STATES: [string, () => void][] = [
  ['resolving', () => undefined],
  ['unresolved on dev', () => {
    const path = 'definitions/task/extract.yaml'
    const text = git(repo, ['show', `env/dev:${path}`]) + '\n'
    edit('env/dev', [{ put: path, bytes: text.replace(/conn: .*/, 'conn: gone') }])
  }],
  ['unresolved reference to no item name, and the conn folder gone on qa', () => {
    const path = 'definitions/task/extract.yaml'
    const text = git(repo, ['show', `env/dev:${path}`]) + '\n'
    edit('env/dev', [{ put: path, bytes: text.replace(/conn: .*/, 'conn: "Bad Name"\n  other: gone\n  successors: [extract, gone]') }])
    const listed = git(repo, ['ls-tree', '-r', '--name-only', 'env/qa', 'definitions/conn']).split('\n').filter(Boolean)
    edit('env/qa', listed.map((p) => ({ del: p })))
  }],
]

test.skipIf(!ready)('broken kind schemas, with references that resolve and that do not: the same output as the earlier CLI', async () => {
  const taskItem = git(repo, ['show', 'env/dev:definitions/task/extract.yaml'])
  expect(taskItem).toMatch(/conn: /)
  for (const [label, write] of SCHEMAS) {
    for (const [state, make] of FULL ? STATES : STATES.slice(2)) {
      reset()
      write()
      make()
      await same(`${label}, ${state}`)
    }
  }
}, 900_000)
