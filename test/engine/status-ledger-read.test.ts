import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, expect, test } from 'vitest'
import { stringify } from 'yaml'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader, readLedgers } from '../../src/adapters/git/repository-reader.js'
import { readWrittenLedgers } from '../../src/commands/status.js'
import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import { readWrittenLedger, writtenLedgerValue } from '../../src/core/promotion/ledger-read.js'
import { renderLedger } from '../../src/core/promotion/plan-promotion.js'
import { SchemaRegistry } from '../../src/core/schema/validator.js'
import { readYaml } from '../../src/core/yaml/read-yaml.js'
import { apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { cliJson, commitToBranch, show, tempDir } from './helpers.js'
import { seededRandom as random } from '../support/seeded-random.js'
import { sampleDigest, sampleLedger } from '../support/sample-ledger.js'

// Status reads the ledgers Gantry writes without a YAML parser (readWrittenLedger): it takes only the forms
// renderLedger writes, builds the value readYaml would build, and declines anything else, which the full read
// then reads (and reports) as before.

const temp = tempDir('gantry-status-ledger-')
afterAll(() => temp.cleanup())

const digest = sampleDigest
const bytes = (text: string) => new TextEncoder().encode(text)

const ledger = (overrides: Record<string, unknown> = {}): EnvironmentLedger => sampleLedger(6, overrides)

/** What readYaml makes of the text: its value when it parses with nothing to report. */
function fullRead(text: string): { value: unknown } | undefined {
  const read = readYaml('.gantry/installed/app.yaml', bytes(text))
  return read.parsed && read.diagnostics.length === 0 ? { value: read.parsed.value } : undefined
}

test('ledgers as renderLedger writes them are read to the value readYaml builds', () => {
  const shapes: EnvironmentLedger[] = [
    ledger(),
    ledger({ items: {}, delivered: {} }),
    ledger({ promotion: 42, approvers: [{ login: 'alice', sha: 'abc123' }, { login: 'bob', sha: '0123abcd' }], rollback: true, previousVersion: '1.2' }),
    ledger({ locked: true, appliedBy: 'someone@example.com', environment: 'prod-eu', sourceCommit: null }),
    ledger({ version: '10', sourceCommit: '0123456789abcdef0123456789abcdef01234567', appliedAt: '2026-12-02T03:00:00Z' }),
  ]
  for (const shape of shapes) {
    const text = renderLedger(shape)
    const value = writtenLedgerValue(bytes(text))
    expect(value, text).toBeDefined()
    expect(value).toEqual(fullRead(text)!.value)
    expect(isDeepStrictEqual(value, fullRead(text)!.value)).toBe(true)
  }
})

test('what renderLedger writes but the read does not take (quotes, numbers, other spellings) is left to readYaml', () => {
  for (const shape of [
    ledger({ appliedBy: 'gantry-app[bot]' }),
    ledger({ appliedBy: 'a "quoted" name' }),
    ledger({ appliedBy: 'yes' }),
    ledger({ sourceCommit: '1234567890123456789012345678901234567e90' }),
    ledger({ appliedBy: 'x\ty' }),
    ledger({ appliedAt: 'Tue 1 Dec' }),
  ]) {
    const text = renderLedger(shape)
    const value = writtenLedgerValue(bytes(text))
    // Declined, or the same value: never another one.
    if (value !== undefined) expect(value).toEqual(fullRead(text)!.value)
  }
  // Forms YAML reads otherwise than a glance suggests: declined, whatever the full read makes of them.
  const base = renderLedger(ledger())
  for (const [from, to] of [
    ['promotion: null', 'promotion: 0x1f'],
    ['promotion: null', 'promotion: 007'],
    ['promotion: null', 'promotion: 1e3'],
    ['promotion: null', 'promotion: ~'],
    ['promotion: null', 'promotion: Null'],
    ['locked: false', 'locked: FALSE'],
    ['appliedBy: gantry', 'appliedBy: gantry # a comment'],
    ['appliedBy: gantry', 'appliedBy: "gan\\ttry"'],
    ['appliedBy: gantry', "appliedBy: 'gantry'"],
    ['appliedBy: gantry', 'appliedBy: gantry:'],
    ['appliedBy: gantry', 'appliedBy:'],
    ['rollback: false', 'rollback: false\nrollback: true'],
    ['  task/app-1:', '  task/app-0:'],
    ['locked: false', '__proto__: false'],
    ['locked: false', 'constructor: false'],
  ]) {
    const text = base.replace(from!, to!)
    expect(text).not.toBe(base)
    expect(writtenLedgerValue(bytes(text)), to).toBeUndefined()
  }
  expect(writtenLedgerValue(bytes(base.replace(/\n$/, '')))).toBeUndefined()
  expect(writtenLedgerValue(bytes(base.replace(/\n/g, '\r\n')))).toBeUndefined()
  expect(writtenLedgerValue(bytes(`\ufeff${base}`))).toBeUndefined()
  expect(writtenLedgerValue(bytes(`---\n${base}`))).toBeUndefined()
  expect(writtenLedgerValue(bytes(base.replace('appliedBy: gantry', `appliedBy: ${'g'.repeat(1100)}`)))).toBeUndefined()
})

test('on mutated ledgers the read declines or builds exactly what readYaml builds, never another value', () => {
  const r = random(12)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!
  const pieces = [' ', '  ', '\n', '\n  ', ':', ': ', '-', '- ', '#', ' #', '"', "'", '\\', '[', ']', '{', '}', ',', '&a', '*a', '!', '?', '|', '>', '%', '~', '0', '1', '0x', '0o', 'e5', '.', '.5', 'null', 'true', 'False', 'yes', 'task/', '/', '__proto__', '\t', '\r', '---', '...', '\u00e9', '\u0085']
  const shapes = [renderLedger(ledger()), renderLedger(ledger({ promotion: 7, approvers: [{ login: 'a', sha: 'b' }], items: {}, delivered: {} }))]
  let taken = 0
  for (let round = 0; round < 4000; round++) {
    let text = pick(shapes)
    for (let edits = 1 + Math.floor(r() * 3); edits > 0; edits--) {
      const at = Math.floor(r() * text.length)
      const op = r()
      if (op < 0.4) text = text.slice(0, at) + pick(pieces) + text.slice(at)
      else if (op < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3))
      else {
        // A whole line repeated or moved: duplicate keys, keys at other levels.
        const lines = text.split('\n')
        const line = pick(lines)
        lines.splice(Math.floor(r() * lines.length), 0, r() < 0.5 ? line : line.trimStart())
        text = lines.join('\n')
      }
    }
    const value = writtenLedgerValue(bytes(text))
    if (value === undefined) continue
    taken++
    const full = fullRead(text)
    expect(full, text).toBeDefined()
    expect(isDeepStrictEqual(value, full!.value), text).toBe(true)
  }
  // The mutations leave many texts in the forms the read takes: the comparison is not vacuous.
  expect(taken).toBeGreaterThan(300)
})

test('a ledger is taken only when it passes the ledger schema and names the package of its file', () => {
  const schemas = new SchemaRegistry()
  const good = bytes(renderLedger(ledger()))
  expect(readWrittenLedger(good, '.gantry/installed/app.yaml', 'app.yaml', schemas)?.items).toEqual(ledger().items)
  expect(readWrittenLedger(good, '.gantry/installed/other.yaml', 'other.yaml', schemas)).toBeUndefined()
  expect(readWrittenLedger(bytes(renderLedger(ledger({ digest: 'sha256:beef' }))), '.gantry/installed/app.yaml', 'app.yaml', schemas)).toBeUndefined()
  expect(readWrittenLedger(bytes(renderLedger(ledger({ extra: 1 }))), '.gantry/installed/app.yaml', 'app.yaml', schemas)).toBeUndefined()
})

interface StatusJson {
  ok: boolean
  packages: { name: string; environments: Record<string, { version: string; digest: string; appliedAt?: string }> }[]
  drift: { code: string; item?: string; message: string }[]
}

test('status shows ledgers written another way as readYaml reads them, and refuses an invalid one as before', async () => {
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const pkg of ['base', 'app', 'tools']) expectExit(await apply(repo, pkg, 'dev'), 0)
  const written = (pkg: string) => readYaml('x.yaml', bytes(show(repo, 'env/dev', `.gantry/installed/${pkg}.yaml`)!)).parsed!.value as EnvironmentLedger
  // The same ledger as a flow map with a comment, and one with an item it does not have on the branch.
  const app = written('app')
  const tools = written('tools')
  commitToBranch(repo, 'env/dev', {
    '.gantry/installed/app.yaml': `# by hand\n${stringify(app, { collectionStyle: 'flow' })}`,
    '.gantry/installed/tools.yaml': renderLedger({ ...tools, items: { ...tools.items, 'task/gone': digest(5) } }),
  })
  const { json } = await cliJson<StatusJson>(repo, ['status'])
  const git = new Git(repo)
  const full = await readLedgers(git, (await git.resolveBranch('env/dev'))!.head, new SchemaRegistry(), 'env/dev')
  expect(full.size).toBe(3)
  for (const [pkg, ledger] of full) {
    const shown = json.packages.find((p) => p.name === pkg)!.environments.dev!
    expect(shown).toEqual({ status: 'APPLIED', version: ledger.version, digest: ledger.digest, appliedAt: ledger.appliedAt })
  }
  expect(json.drift.map((d) => [d.code, d.item])).toContainEqual(['local-customization', 'task/gone'])

  // A ledger in Gantry's form whose digest the ledger schema refuses: the error of the full read.
  commitToBranch(repo, 'env/dev', { '.gantry/installed/tools.yaml': renderLedger({ ...tools, digest: 'sha256:beef' }) })
  const refused = await cliJson(repo, ['status'])
  expect(refused.code).not.toBe(0)
  expect(JSON.stringify(refused.json)).toContain('.gantry/installed/tools.yaml on env/dev is not a valid ledger')
  expect(JSON.stringify(refused.json)).toMatch(/"line":3\b/)
})

test('status puts the ledgers Gantry wrote in the cache readLedgers reads, each by file name and object id; others are left to it', async () => {
  const repo = join(temp.dir, 'cache')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const pkg of ['base', 'app', 'tools']) expectExit(await apply(repo, pkg, 'dev'), 0)
  const app = readYaml('x.yaml', bytes(show(repo, 'env/dev', '.gantry/installed/app.yaml')!)).parsed!.value as EnvironmentLedger
  commitToBranch(repo, 'env/dev', { '.gantry/installed/app.yaml': `# by hand\n${renderLedger(app)}` })
  const git = new Git(repo)
  const head = (await git.resolveBranch('env/dev'))!.head
  const schemas = new SchemaRegistry()
  const cache = new Map<string, EnvironmentLedger>()
  const reader = new ObjectReader(git)
  try {
    await readWrittenLedgers(reader, [head, undefined, head], schemas, cache)
  } finally {
    await reader.close()
  }
  const id = async (pkg: string) => (await git.text(['rev-parse', `${head}:.gantry/installed/${pkg}.yaml`])).trim()
  expect([...cache.keys()].sort()).toEqual([`base.yaml\0${await id('base')}`, `tools.yaml\0${await id('tools')}`])
  // readLedgers with that cache: the same ledgers as without, the one written by hand read by readYaml.
  const cached = await readLedgers(git, head, schemas, 'env/dev', cache)
  expect(cached).toEqual(await readLedgers(git, head, schemas, 'env/dev'))
  expect(cached.get('base')).toBe(cache.get(`base.yaml\0${await id('base')}`))
  expect(cached.get('app')).toEqual(app)
})
