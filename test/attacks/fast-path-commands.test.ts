import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type YamlReader, setYamlReader } from '../../src/core/yaml/read-yaml.js'
import { apply, build, plan, sourceFiles } from '../engine/fixture.js'
import { cliJson, git, makeGitRepo, tempDir } from '../engine/helpers.js'

/**
 * The commands give the same results whichever way the loader reads the files: bundles (bytes and digests),
 * plans, what apply writes on the environment branch, status. The fast read lets a clean file's value go
 * after loading and reads it again when a command asks for it; the positional read keeps it. The source mixes
 * files the fast read takes with files it hands to the positional read (anchors, `#note` comments, tags of
 * nothing, escapes), each written the way people write YAML by hand.
 */

const temp = tempDir('gantry-fast-path-')
afterAll(() => temp.cleanup())
// test/setup.ts sets the cross-check reader for every test; these tests pick the reader themselves.
const setupReader = setYamlReader('cross-check')
afterEach(() => setYamlReader(setupReader))

const HAND_WRITTEN: Record<string, string> = {
  // Read fast: comments with a space, flow collections, a block scalar, CRLF line ends.
  'definitions/task/extract.yaml':
    '# extracts the day\r\nkind: task\r\nname: extract\r\nspec:\r\n  command: |\r\n    extract.sh \\\r\n      --day yesterday\r\n  conn: db # the database\r\n',
  // Read fast: numbers in every form, keys JavaScript reorders, a flow map with a JSON-like key.
  'definitions/conn/db.yaml':
    'kind: conn\nname: db\nspec:\n  host: db.dev.example.com\n  port: 5432\n  credential: db\n  options: {b: 1, 10: ten, "tls":true, ratio: 1.10, zero: -0, big: 0x1F, oct: 0o17, e: 1e3, no: no, 2: two}\n',
  // Read positionally: an anchor and an alias, and a comment with no space after `#`.
  'definitions/cal/holidays.yaml':
    'kind: cal\nname: holidays\nspec:\n  first: &first "2026-12-25"\n  days:\n#christmas\n  - *first\n  - 2027-01-01\n',
  // Read fast: a JSON document.
  'definitions/task/cleanup.yaml': '{"kind": "task", "name": "cleanup", "spec": {"command": "cleanup.sh \\u00e9\\t"}}\n',
}

/** A repository per reader with the same files; the CLI run through the given reader. */
async function withReader<T>(reader: YamlReader, run: () => Promise<T>): Promise<T> {
  const previous = setYamlReader(reader)
  try {
    return await run()
  } finally {
    setYamlReader(previous)
  }
}

const bundles = (repo: string) =>
  Object.fromEntries(
    readdirSync(join(repo, '.gantry/build'))
      .sort()
      .map((file) => [file, readFileSync(join(repo, '.gantry/build', file), 'utf8')]),
  )

/** Every file on a branch, with its bytes as text. */
function branchFiles(repo: string, branch: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const path of git(repo, ['ls-tree', '-r', '--name-only', branch]).split('\n').filter(Boolean))
    files[path] = git(repo, ['show', `${branch}:${path}`])
  return files
}

/** The outcome with commit ids and the clock's times replaced, through its JSON text. */
function withoutClock<T>(value: T): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .replace(/\b[0-9a-f]{40}\b/g, '<commit>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>'),
  )
}

/** What build, plan, apply, status and validate --env do in a fresh repository with `files`, on one path. */
async function outcome(reader: YamlReader, files: Record<string, string>) {
  const repo = join(temp.dir, `${reader}-${++repositories}`)
  makeGitRepo(repo, { ...sourceFiles(), ...files })
  return withReader(reader, async () => {
    const built = await build(repo)
    const planned = await plan(repo, 'base@1', 'dev')
    const applied = await apply(repo, 'base@1', 'dev')
    const status = await cliJson(repo, ['status'])
    const validated = await cliJson(repo, ['validate', '--env', 'dev'])
    const built2 = await build(repo)
    return {
      built: { code: built.code, ...built.json, artifacts: built.json.artifacts.map(({ file: _file, ...a }) => a) },
      bundles: built.code === 0 ? bundles(repo) : {},
      plan: planned,
      applied,
      branch: applied.code === 0 ? branchFiles(repo, 'env/dev') : {},
      status,
      validated,
      // Built again with nothing changed: the same answer.
      rebuilt: { code: built2.code, ...built2.json, artifacts: built2.json.artifacts.map(({ file: _file, ...a }) => a) },
    }
  })
}
let repositories = 0

/** Both paths on the same files: equal outcomes, once the clock and commit ids are left out. */
async function expectSameOutcome(files: Record<string, string>) {
  const fast = withoutClock(await outcome('fast', files))
  const positional = withoutClock(await outcome('positional', files))
  expect(fast).toEqual(positional)
  return fast as Awaited<ReturnType<typeof outcome>>
}

describe('commands on both read paths', () => {
  it('build, plan, apply, status and validate --env give the same bundles, plans, branch files and reports', async () => {
    const fast = await expectSameOutcome(HAND_WRITTEN)
    expect(fast.built.code).toBe(0)
    expect(fast.applied.code).toBe(0)
    // The files held what they were written as (YAML 1.2 core schema), in the order JavaScript keeps keys.
    const base = JSON.parse(fast.bundles['base-1.gantry.json']!) as {
      items: Record<string, { document: { spec: Record<string, unknown> } }>
    }
    const options = base.items['conn/db']!.document.spec.options
    expect(JSON.stringify(options)).toBe('{"2":"two","10":"ten","b":1,"big":31,"e":1000,"no":"no","oct":15,"ratio":1.1,"tls":true,"zero":0}')
    expect(base.items['cal/holidays']!.document.spec.days).toEqual(['2026-12-25', '2027-01-01'])
  })

  // Files on which the two paths disagreed: one built a release, the other refused the file.
  it.each([
    ['lone carriage returns as line breaks', { 'definitions/cred/db.yaml': 'kind: cred\rname: db\rspec:\r  path: vault://kv/db\r' }],
    ['a comment with no space after #, before a value on its own line', { 'definitions/conn/db.yaml': 'kind: conn\nname: db\nspec:\n  host:\n#primary\n    db.dev.example.com\n  port: 5432\n  credential: db\n' }],
    ['a tag right after the colon of a quoted key', { 'definitions/conn/db.yaml': 'kind: conn\nname: db\nspec: {"host": db.dev.example.com, "port":!<tag:gantry,core:int> 5432, "credential": db}\n' }],
  ])('%s', async (_what, files) => {
    await expectSameOutcome(files)
  })
})
