import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { KINDS, apply, build, expectExit, makeSourceRepo } from '../engine/fixture.js'
import { cli, git, show, tempDir } from '../engine/helpers.js'
import { BUILT_CLI, runBuiltCli } from '../support/built-cli.js'

// Status keeps only the targets of each item's references and, for an item with a reference that does not
// resolve, reads the item again (same bytes, same kind schema) to place each one by its index. Environment
// branches are hostile: here items whose references resolve on one branch and not another, one object shared
// by two branches, two ids and two kinds, several unresolved references in lists, maps and combinators,
// repeated targets and a reference to itself, texts only the full read takes (comments, anchors, merge keys,
// flow lists, CRLF, a byte order mark, duplicate keys), huge files, items that are links, a target that is a
// submodule, and a kind schema missing or unusable. Each finding's position must point at the reference it
// names; with GANTRY_STATUS_EARLIER (a built CLI from before the change) every output is compared byte for
// byte with it, for this checkout's source and for its built CLI (dist/cli/index.js) when present.

const temp = tempDir('gantry-attack-refs-reread-15-')
afterAll(() => temp.cleanup())

const ref = (kind: string) => ({ type: 'string', 'x-gantry-ref': kind })
/** The fixture's task schema, with references in nested lists and maps, through $ref and combinators. */
const TASK = {
  ...(KINDS.task as object),
  properties: {
    command: { type: 'string' },
    conn: { $ref: '#/$defs/conn' },
    successors: { type: 'array', items: ref('task') },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          uses: ref('task'),
          with: { type: 'object', additionalProperties: ref('conn') },
          nested: { type: 'array', items: { type: 'array', items: ref('cred') } },
        },
      },
    },
    either: { anyOf: [ref('conn'), ref('task')] },
    both: { allOf: [ref('conn'), { type: 'string' }] },
  },
  $defs: { conn: ref('conn') },
}
const SCHEMA_FILE = 'kinds/task.schema.json'
const ENVS = ['dev', 'qa', 'prod'] as const

let repo: string
const heads: Record<string, string> = {}
beforeAll(async () => {
  repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  for (const env of ENVS)
    for (const pkg of ['base', 'app', 'tools']) expectExit(await apply(repo, pkg, env), 0)
  for (const env of ENVS) heads[env] = git(repo, ['rev-parse', `refs/heads/env/${env}`])
  writeFileSync(join(repo, SCHEMA_FILE), `${JSON.stringify(TASK, null, 2)}\n`)
}, 300_000)

/** A file on a branch: its text (a regular file), a link whose target is the text, a submodule, or none. */
type Entry = string | null | { link: string } | { submodule: true }
type Scenario = {
  label: string
  branches: Partial<Record<(typeof ENVS)[number], Record<string, Entry>>>
  schema?: string | null
}

/** Writes `files` on top of the applied head of env/<env>, as a hand edit. */
function edit(env: string, files: Record<string, Entry>): void {
  const index = join(repo, '.git', `attack-index-${process.pid}`)
  const opts = { env: { GIT_INDEX_FILE: index } }
  try {
    git(repo, ['read-tree', heads[env]!], opts)
    for (const [path, entry] of Object.entries(files)) {
      if (entry === null) git(repo, ['update-index', '--force-remove', path], opts)
      else if (typeof entry === 'string' || 'link' in entry) {
        const blob = git(repo, ['hash-object', '-w', '--stdin'], {
          input: typeof entry === 'string' ? entry : entry.link,
        })
        git(
          repo,
          [
            'update-index',
            '--add',
            '--cacheinfo',
            `${typeof entry === 'string' ? '100644' : '120000'},${blob},${path}`,
          ],
          opts,
        )
      } else git(repo, ['update-index', '--add', '--cacheinfo', `160000,${heads[env]!},${path}`], opts)
    }
    const tree = git(repo, ['write-tree'], opts)
    const commit = git(repo, ['commit-tree', tree, '-p', heads[env]!, '-m', 'hand edit'])
    git(repo, ['update-ref', `refs/heads/env/${env}`, commit])
  } finally {
    rmSync(index, { force: true })
  }
}

function reset(): void {
  for (const env of ENVS) git(repo, ['update-ref', `refs/heads/env/${env}`, heads[env]!])
  writeFileSync(join(repo, SCHEMA_FILE), `${JSON.stringify(TASK, null, 2)}\n`)
}

const EXTRACT = 'definitions/task/extract.yaml'
const CLEANUP = 'definitions/task/cleanup.yaml'
const CONN = 'definitions/conn/db.yaml'
const CRED = 'definitions/cred/db.yaml'

/** Written as apply writes items (the read without a parser takes it): references in lists, maps, combinators. */
const MANY = [
  'kind: task',
  'name: extract',
  'spec:',
  '  command: extract.sh',
  '  conn: db',
  '  successors:',
  '    - gone-one',
  '    - extract',
  '    - gone-two',
  '    - gone-one',
  '    - cleanup',
  '    - Bad',
  '  steps:',
  '    - uses: gone-three',
  '      with:',
  '        a: db',
  '        b: gone-conn',
  '        c: extract',
  '    - uses: extract',
  '    - uses: gone-one',
  '  either: gone-either',
  '  both: db',
  '  credential: gone-cred',
  '',
].join('\n')

/** Texts only the full read takes, each with references that do not resolve. */
const FULL_READ: [string, string][] = [
  ['comment', `# edited by hand\n${MANY}`],
  ['comment at the end of a line', MANY.replace('    - gone-two', '    - gone-two # why')],
  ['CRLF', MANY.replace(/\n/g, '\r\n')],
  ['byte order mark', `\ufeff${MANY}`],
  [
    'flow list',
    MANY.replace(
      / {2}successors:\n(?: {4}- .*\n)+/,
      '  successors: [gone-one, extract, gone-two, gone-one]\n',
    ),
  ],
  [
    'anchor and alias',
    MANY.replace('  either: gone-either', '  either: &g gone-alias').replace('  both: db', '  both: *g'),
  ],
  ['alias in a list', MANY.replace('    - gone-one\n    - extract', '    - &s gone-one\n    - *s\n    - *s')],
  [
    'merge key',
    MANY.replace('    - uses: extract', '    - <<: {uses: gone-merge}\n      with: {x: gone-merge-conn}'),
  ],
  [
    'merge key with an alias',
    MANY.replace('  steps:', '  base: &b {uses: gone-b}\n  steps:').replace(
      '    - uses: extract',
      '    - <<: *b',
    ),
  ],
  [
    'nested lists',
    MANY.replace(
      '    - uses: extract',
      '    - uses: extract\n      nested:\n        - - db\n          - gone-cred-1\n        - [gone-cred-2, db]',
    ),
  ],
  ['single quotes', MANY.replace('  conn: db', "  conn: 'gone-quoted'")],
  ['double quotes with escapes', MANY.replace('  conn: db', '  conn: "gone\\u002descaped"')],
  ['block scalar', MANY.replace('  conn: db', '  conn: >-\n    gone-folded')],
  ['tag', MANY.replace('  conn: db', '  conn: !!str gone-tagged')],
  ['document marker', `---\n${MANY}...\n`],
  ['duplicate key', MANY.replace('  conn: db', '  conn: db\n  conn: gone-dup')],
  [
    'number and null names',
    MANY.replace('  conn: db', '  conn: 12').replace('  either: gone-either', '  either: null'),
  ],
  ['tab', MANY.replace('  conn: db', '  conn:\tgone-tab')],
  ['no final line break', MANY.slice(0, -1)],
  ['empty', ''],
  ['not a map', '- gone\n'],
  ['spec not a map', 'kind: task\nspec: gone\n'],
]

const manyNames = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => `    - ${i % 7 === 0 ? 'extract' : `${prefix}-${i}`}\n`).join('')

const SCENARIOS: Scenario[] = [
  { label: 'as applied', branches: {} },
  { label: 'resolves on qa, not on dev', branches: { dev: { [CONN]: null, [CRED]: null }, qa: {} } },
  {
    label: 'one object on dev and qa, resolving differently',
    branches: { dev: { [EXTRACT]: MANY, [CONN]: null }, qa: { [EXTRACT]: MANY, [CLEANUP]: null } },
  },
  {
    label: 'one object on every branch, another file missing on each',
    branches: {
      dev: { [EXTRACT]: MANY, [CONN]: null },
      qa: { [EXTRACT]: MANY, [CLEANUP]: null },
      prod: { [EXTRACT]: MANY },
    },
  },
  {
    label: 'one object at two task ids',
    branches: { dev: { [EXTRACT]: MANY, [CLEANUP]: MANY }, qa: { [CLEANUP]: MANY, [EXTRACT]: null } },
  },
  {
    label: 'one object as a task and as a connection',
    branches: { dev: { [EXTRACT]: MANY, [CONN]: MANY }, qa: { [CONN]: MANY, [CRED]: null } },
  },
  {
    label: 'one object as a task, a connection and a credential, each missing elsewhere',
    branches: {
      dev: { [EXTRACT]: MANY, [CONN]: MANY, [CRED]: MANY, [CLEANUP]: null },
      prod: { [CONN]: MANY, [EXTRACT]: MANY },
    },
  },
  {
    label: 'refers to itself and as another kind',
    branches: {
      dev: {
        [EXTRACT]: MANY.replace('  conn: db', '  conn: extract').replace(
          '  either: gone-either',
          '  either: extract',
        ),
      },
    },
  },
  {
    label: 'refers to itself, which is missing as a file',
    branches: { dev: { [CLEANUP]: MANY.replace(/gone-[a-z]+/g, 'cleanup') } },
  },
  {
    label: 'names that are no item names',
    branches: {
      dev: {
        [EXTRACT]: MANY.replace(
          '    - Bad',
          '    - con\n    - com1.x\n    - lpt9\n    - aux-x\n    - nul.yaml\n    - a..b\n    - x.lock\n    - "-x"\n    - "a b"\n    - "com1x"\n    - conx.y',
        ).replace('  conn: db', '  conn: prn'),
      },
    },
  },
  ...FULL_READ.map(([label, text]): Scenario => ({
    label: `full read: ${label}`,
    branches: { dev: { [EXTRACT]: text, [CONN]: null }, qa: { [EXTRACT]: text } },
  })),
  ...FULL_READ.filter(([label]) => /CRLF|anchor and alias|merge key with|duplicate/.test(label)).map(
    ([label, text]): Scenario => ({
      label: `full read, two kinds: ${label}`,
      branches: { dev: { [EXTRACT]: text, [CONN]: text, [CLEANUP]: text } },
    }),
  ),
  {
    label: 'a link to the item text',
    branches: { dev: { [EXTRACT]: { link: MANY }, [CLEANUP]: { link: MANY } }, qa: { [EXTRACT]: MANY } },
  },
  {
    label: 'targets that are links and submodules',
    branches: {
      dev: {
        [EXTRACT]: MANY,
        [CONN]: { link: 'db.yaml' },
        'definitions/task/gone-one.yaml': { submodule: true },
        'definitions/task/gone-two.yaml': { link: 'x' },
      },
    },
  },
  {
    label: 'a huge item of many references',
    branches: {
      dev: {
        [EXTRACT]: `${MANY}  more:\n${manyNames(1500, 'gone')}`.replace(
          '  successors:\n',
          `  successors:\n${manyNames(1500, 'far')}`,
        ),
      },
      qa: { [CONN]: null },
    },
  },
  {
    label: 'an item past the size limit',
    branches: {
      dev: {
        [EXTRACT]: MANY.replace(
          '  successors:\n',
          `  successors:\n    - "${'x'.repeat(1 << 20)}"\n    - gone-one\n`,
        ),
      },
    },
  },
  { label: 'no task schema', branches: { dev: { [EXTRACT]: MANY } }, schema: null },
  {
    label: 'an unusable task schema',
    branches: { dev: { [EXTRACT]: MANY } },
    schema: JSON.stringify({ ...TASK, type: 'record' }),
  },
  {
    label: 'the fixture task schema',
    branches: { dev: { [EXTRACT]: MANY, [CONN]: MANY } },
    schema: `${JSON.stringify(KINDS.task, null, 2)}\n`,
  },
  {
    label: 'a kind schema on the branch',
    branches: {
      dev: {
        [EXTRACT]: MANY,
        [SCHEMA_FILE]: JSON.stringify({ type: 'object' }),
        'definitions/kinds/task.schema.json': '{}',
      },
    },
  },
]

function arrange(scenario: Scenario): void {
  reset()
  for (const [env, files] of Object.entries(scenario.branches)) edit(env, files)
  if (scenario.schema === null) rmSync(join(repo, SCHEMA_FILE))
  else if (scenario.schema !== undefined) writeFileSync(join(repo, SCHEMA_FILE), scenario.schema)
}

interface Finding {
  code: string
  environment?: string
  file?: string
  line?: number
  column?: number
  message: string
}

/** The text of `path` on env/<env> as git gives it (a link: its target). */
const onBranch = (env: string, path: string): string | undefined => show(repo, `env/${env}`, path)

/**
 * Each unresolved reference points at its name in the item's text: at the line and column given, the text is
 * the name (plain or quoted), or an alias, anchor, tag or block scalar that stands for it.
 */
function checkPlaces(label: string, findings: Finding[]): number {
  let checked = 0
  for (const d of findings) {
    if (d.code !== 'unresolved-in-environment') continue
    const text = onBranch(d.environment!, d.file!)!.replace(/^\ufeff/, '')
    const line = text.split(/\r?\n/)[d.line! - 1]
    expect(line, `${label}: ${d.message} at ${d.line}`).toBeDefined()
    const at = line!.slice(d.column! - 1)
    const target = /refers to "?([^/"]+)\/([^"]*)"?, which/.exec(d.message)![2]!
    const plain = at.startsWith(target) || at.startsWith(`"${target}`) || at.startsWith(`'${target}`)
    const stands = /^[*&!>[{"]/.test(at) || at.startsWith('gone\\u002d')
    expect(
      plain || stands,
      `${label}: ${d.message} placed at ${d.line}:${d.column}: ${JSON.stringify(line)}`,
    ).toBe(true)
    checked++
  }
  return checked
}

const EARLIER = process.env.GANTRY_STATUS_EARLIER ?? ''
const hasEarlier = existsSync(EARLIER)
const hasBuilt = existsSync(BUILT_CLI)

// One test per scenario, each with its own time limit: together they take minutes on a loaded machine.
const reached = { checked: 0, codes: new Set<number>() }
for (const scenario of SCENARIOS) {
  test(`status places every unresolved reference at its name: ${scenario.label}`, async () => {
    arrange(scenario)
    const json = await cli(repo, ['status', '--format', 'json'])
    const text = await cli(repo, ['status'])
    expect(json.stderr, scenario.label).toBe('')
    expect(text.code, scenario.label).toBe(json.code)
    reached.codes.add(json.code)
    const { drift } = JSON.parse(json.stdout) as { drift: Finding[] }
    reached.checked += checkPlaces(scenario.label, drift)
  })
}

test('the scenarios above end both ways and place more than 300 findings', () => {
  reset()
  expect(reached.codes).toEqual(new Set([0, 1]))
  expect(reached.checked).toBeGreaterThan(300)
})

test('one object on two branches, at two ids and as two kinds: each finding where its reference is, in order', async () => {
  arrange(
    SCENARIOS.find(
      (s) => s.label === 'one object as a task, a connection and a credential, each missing elsewhere',
    )!,
  )
  const { drift } = JSON.parse((await cli(repo, ['status', '--format', 'json'])).stdout) as {
    drift: Finding[]
  }
  const found = drift
    .filter((d) => d.code === 'unresolved-in-environment')
    .map((d) => `${d.environment} ${d.file}:${d.line}:${d.column} ${/refers to (\S+)/.exec(d.message)![1]}`)
  expect(found).toEqual([
    // As a connection, the object refers to its credential only.
    'dev definitions/conn/db.yaml:23:15 cred/gone-cred,',
    // As a task: the conn (through $ref), successors, steps and the combinators.
    'dev definitions/task/extract.yaml:7:7 task/gone-one,',
    'dev definitions/task/extract.yaml:9:7 task/gone-two,',
    'dev definitions/task/extract.yaml:10:7 task/gone-one,',
    'dev definitions/task/extract.yaml:11:7 task/cleanup,',
    'dev definitions/task/extract.yaml:12:7 "task/Bad",',
    'dev definitions/task/extract.yaml:14:13 task/gone-three,',
    'dev definitions/task/extract.yaml:17:12 conn/gone-conn,',
    'dev definitions/task/extract.yaml:18:12 conn/extract,',
    'dev definitions/task/extract.yaml:20:13 task/gone-one,',
    'dev definitions/task/extract.yaml:21:11 conn/gone-either,',
    'prod definitions/conn/db.yaml:23:15 cred/gone-cred,',
    'prod definitions/task/extract.yaml:7:7 task/gone-one,',
    'prod definitions/task/extract.yaml:9:7 task/gone-two,',
    'prod definitions/task/extract.yaml:10:7 task/gone-one,',
    'prod definitions/task/extract.yaml:12:7 "task/Bad",',
    'prod definitions/task/extract.yaml:14:13 task/gone-three,',
    'prod definitions/task/extract.yaml:17:12 conn/gone-conn,',
    'prod definitions/task/extract.yaml:18:12 conn/extract,',
    'prod definitions/task/extract.yaml:20:13 task/gone-one,',
    'prod definitions/task/extract.yaml:21:11 conn/gone-either,',
  ])
  reset()
}, 120_000)

test.skipIf(!hasEarlier)(
  'status is byte for byte the earlier built CLI on every scenario (the built CLI of this checkout, else its source)',
  async () => {
    const codes = new Set<number | null>()
    for (const scenario of SCENARIOS) {
      arrange(scenario)
      for (const args of [['status'], ['status', '--format', 'json']]) {
        // The built CLI of this checkout when there is one, else its source in-process.
        const [earlier, current] = await Promise.all([
          runBuiltCli(EARLIER, repo, args),
          hasBuilt ? runBuiltCli(BUILT_CLI, repo, args) : cli(repo, args),
        ])
        expect(current, `${scenario.label}: ${args.join(' ')}`).toEqual(earlier)
        codes.add(earlier!.code)
      }
    }
    reset()
    expect(codes.size).toBeGreaterThan(1)
  },
  900_000,
)
