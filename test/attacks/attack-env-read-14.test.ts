import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { apply, build, definition, expectExit, makeSourceRepo, packageFile } from '../engine/fixture.js'
import { cli, commitFiles, git, tempDir } from '../engine/helpers.js'
import { BUILT_CLI, runBuiltCli } from '../support/built-cli.js'

// validate --env reads the environment branch (its ledger folder, ledgers, item folders and files) through one
// cat-file process, lists item folders from tree objects, and reads ledgers in Gantry's written form without
// the YAML parser; build lists and reads gantry.yaml with the default folders. The branch and the pull request
// are hostile input: whatever they hold, the commands say what they said when each piece was read by git's own
// listings and the full YAML read. Each scenario carries what is expected of it; with GANTRY_ENV_READ_EARLIER
// naming the dist/cli/index.js of an earlier build, the built CLI must also print the same bytes as it.

const temp = tempDir('gantry-attack-env-read-14-')
afterAll(() => temp.cleanup())

const EARLIER = process.env.GANTRY_ENV_READ_EARLIER ?? ''
const CURRENT = BUILT_CLI
const compare = existsSync(EARLIER) && existsSync(CURRENT)

/** Ten tasks in one folder: a folder listed once (from its tree) rather than looked up per file. */
const MANY = Array.from({ length: 10 }, (_, i) => `t${i}`)

let base = ''
let devHead = ''
beforeAll(async () => {
  base = join(temp.dir, 'base')
  makeSourceRepo(base)
  const tasks: Record<string, string> = {}
  for (const name of MANY) Object.assign(tasks, definition('task', name, { command: `${name}.sh`, conn: 'db' }))
  commitFiles(base, { ...tasks, ...packageFile({ name: 'many', notes: 'Many tasks.', items: MANY.map((n) => `task/${n}`), dependencies: [{ package: 'base', version: '>=1' }] }) })
  expectExit(await build(base), 0)
  for (const pkg of ['base', 'app', 'many']) expectExit(await apply(base, pkg, 'dev'), 0)
  devHead = git(base, ['rev-parse', 'refs/heads/env/dev'])
}, 180_000)

type Mode = '100644' | '100755' | '120000' | '160000'
type Edit = { put: string; bytes?: string; mode?: Mode; id?: string } | { folder: string } | { del: string }

/** A new commit on env/dev with its tree changed by `edits`, through git's index (any mode at any path). */
function edit(repo: string, edits: Edit[]): void {
  const index = join(repo, '.git', `idx-env-read-14-${process.pid}`)
  const opts = { env: { GIT_INDEX_FILE: index } }
  git(repo, ['read-tree', devHead], opts)
  const blobs = new Map<string, string>()
  const blob = (bytes: string) => {
    let id = blobs.get(bytes)
    if (id === undefined) blobs.set(bytes, (id = git(repo, ['hash-object', '-w', '--stdin'], { input: bytes })))
    return id
  }
  const lines: string[] = []
  const none = '0'.repeat(40)
  for (const e of edits) {
    if ('del' in e) {
      // A path and everything under it.
      for (const path of git(repo, ['ls-files', '-z', '--', e.del], opts).split('\0').filter(Boolean)) lines.push(`0 ${none}\t${path}`)
    } else if ('folder' in e) lines.push(`100644 ${blob('x: 1\n')}\t${e.folder}/inner.yaml`)
    else lines.push(`${e.mode ?? '100644'} ${e.id ?? blob(e.bytes ?? 'x')}\t${e.put}`)
  }
  // Removals first (a file where a folder is wanted, and the other way round), each line its own step.
  for (const line of lines.filter((l) => l.startsWith('0 '))) git(repo, ['update-index', '-z', '--index-info'], { ...opts, input: `${line}\0` })
  const adds = lines.filter((l) => !l.startsWith('0 '))
  if (adds.length > 0) git(repo, ['update-index', '-z', '--index-info'], { ...opts, input: `${adds.join('\0')}\0` })
  const tree = git(repo, ['write-tree'], opts)
  git(repo, ['update-ref', 'refs/heads/env/dev', git(repo, ['commit-tree', tree, '-p', devHead, '-m', 'by hand'])])
  rmSync(index, { force: true })
}

const at = (path: string) => git(base, ['rev-parse', `${devHead}:${path}`])
const text = (path: string) => `${git(base, ['show', `${devHead}:${path}`])}\n`
const LEDGER = '.gantry/installed/app.yaml'
const MANY_LEDGER = '.gantry/installed/many.yaml'

/**
 * Edits of env/dev, each with what validate --env dev is expected to end with: its exit code and a piece of
 * what it says (stdout and stderr together), or `same` when it says exactly what the branch as applied gives.
 */
interface Scenario {
  label: string
  edits: () => Edit[]
  code: number
  says?: string | RegExp
}

const SAME = 'same'
const SUBMODULE_FOLDER = '.gantry/installed a submodule naming the ledger folder tree'
const ENV_SCENARIOS: (Scenario | [string, () => Edit[], typeof SAME])[] = [
  ['nothing', () => [], SAME],
  // The ledger folder and what is above it.
  { label: SUBMODULE_FOLDER, edits: () => [{ del: '.gantry/installed' }, { put: '.gantry/installed', mode: '160000', id: at('.gantry/installed') }], code: 2, says: '.gantry/installed is a submodule, not a folder' },
  { label: '.gantry/installed a submodule naming a commit', edits: () => [{ del: '.gantry/installed' }, { put: '.gantry/installed', mode: '160000', id: devHead }], code: 2, says: '.gantry/installed is a submodule, not a folder' },
  { label: '.gantry a submodule naming the .gantry tree', edits: () => [{ del: '.gantry' }, { put: '.gantry', mode: '160000', id: at('.gantry') }], code: 2, says: '.gantry is a submodule, not a folder' },
  { label: '.gantry/installed a link', edits: () => [{ del: '.gantry/installed' }, { put: '.gantry/installed', mode: '120000', bytes: '../x' }], code: 2, says: 'is a symbolic link, not a folder' },
  { label: '.gantry/installed a file', edits: () => [{ del: '.gantry/installed' }, { put: '.gantry/installed', bytes: 'x' }], code: 2, says: 'is a file, not a folder' },
  { label: '.gantry a file', edits: () => [{ del: '.gantry' }, { put: '.gantry', bytes: 'x' }], code: 2, says: '.gantry is a file, not a folder' },
  { label: '.gantry/installed gone', edits: () => [{ del: '.gantry/installed' }], code: 1, says: 'task/t3 already exists in dev and belongs to nobody' },
  // Ledger entries.
  { label: 'app ledger a link', edits: () => [{ put: LEDGER, mode: '120000', bytes: 'many.yaml' }], code: 2, says: 'app.yaml is a symbolic link, not a ledger file' },
  { label: 'app ledger a submodule naming its blob', edits: () => [{ put: LEDGER, mode: '160000', id: at(LEDGER) }], code: 2, says: 'app.yaml is a submodule, not a ledger file' },
  { label: 'app ledger a folder', edits: () => [{ del: LEDGER }, { folder: LEDGER }], code: 2, says: 'app.yaml is a folder, not a ledger file' },
  ['app ledger executable', () => [{ put: LEDGER, mode: '100755', bytes: text(LEDGER) }], SAME],
  ['an app.yml beside it', () => [{ put: '.gantry/installed/app.yml', bytes: 'garbage: [' }], SAME],
  { label: 'App.yaml beside it', edits: () => [{ put: '.gantry/installed/App.yaml', bytes: text(LEDGER) }], code: 2, says: 'names package app, but the file is App.yaml' },
  { label: 'a ledger named with a space', edits: () => [{ put: '.gantry/installed/a b.yaml', bytes: text(LEDGER) }], code: 2, says: 'but the file is' },
  { label: 'a ledger named with a newline', edits: () => [{ put: '.gantry/installed/a\nb.yaml', bytes: text(LEDGER) }], code: 2, says: 'but the file is' },
  { label: 'a ledger named with a quote and not ASCII', edits: () => [{ put: '.gantry/installed/"é.yaml', bytes: text(LEDGER) }], code: 2, says: 'but the file is' },
  { label: 'a ledger in a folder below', edits: () => [{ put: '.gantry/installed/sub/app.yaml', bytes: text(LEDGER) }], code: 0 },
  // Ledger texts not in the written form: the full read, as before.
  ['app ledger CRLF', () => [{ put: LEDGER, bytes: text(LEDGER).replaceAll('\n', '\r\n') }], SAME],
  ['app ledger with a byte order mark', () => [{ put: LEDGER, bytes: `\ufeff${text(LEDGER)}` }], SAME],
  ['app ledger with comments', () => [{ put: LEDGER, bytes: `# by hand\n${text(LEDGER).replace(/^package: app$/m, 'package: app # here')}` }], SAME],
  ['app ledger in flow style', () => [{ put: LEDGER, bytes: `${JSON.stringify(ledgerJson())}\n` }], SAME],
  ['app ledger with an anchor and alias', () => [{ put: LEDGER, bytes: text(LEDGER).replace(/^package: app$/m, 'package: &p app\nx-alias: *p').replace(/^x-alias: \*p\n/m, '') }], SAME],
  ['app ledger with a tag', () => [{ put: LEDGER, bytes: text(LEDGER).replace(/^package: app$/m, 'package: !!str app') }], SAME],
  { label: 'app ledger with a duplicate key', edits: () => [{ put: LEDGER, bytes: `${text(LEDGER)}package: app\n` }], code: 2, says: 'app.yaml' },
  { label: 'app ledger naming package base', edits: () => [{ put: LEDGER, bytes: text(LEDGER).replace(/^package: app$/m, 'package: base') }], code: 2, says: 'names package base, but the file is app.yaml' },
  { label: 'app ledger naming environment qa', edits: () => [{ put: LEDGER, bytes: text(LEDGER).replace(/^environment: dev$/m, 'environment: qa') }], code: 0 },
  { label: 'app ledger with an extra key', edits: () => [{ put: LEDGER, bytes: `${text(LEDGER)}extra: 1\n` }], code: 2, says: 'app.yaml' },
  { label: 'app ledger empty', edits: () => [{ put: LEDGER, bytes: '' }], code: 2, says: 'app.yaml' },
  { label: 'app ledger no final newline', edits: () => [{ put: LEDGER, bytes: text(LEDGER).slice(0, -1) }], code: 0 },
  { label: 'app ledger __proto__ key', edits: () => [{ put: LEDGER, bytes: `${text(LEDGER)}__proto__: x\n` }], code: 2, says: 'app.yaml' },
  // The folder of many's ten tasks (listed from its tree) and the files in it.
  // git does not look up a path through a submodule: the files under it are not on the branch.
  { label: 'task folder a submodule naming its tree', edits: () => [{ del: 'definitions/task' }, { put: 'definitions/task', mode: '160000', id: at('definitions/task') }], code: 0 },
  { label: 'task folder a submodule naming its tree, many locked', edits: () => [{ del: 'definitions/task' }, { put: 'definitions/task', mode: '160000', id: at('definitions/task') }, { put: MANY_LEDGER, bytes: text(MANY_LEDGER).replace('locked: false', 'locked: true') }], code: 1, says: 'task/t3' },
  { label: 'task folder a link', edits: () => [{ del: 'definitions/task' }, { put: 'definitions/task', mode: '120000', bytes: 'conn' }], code: 1 },
  { label: 'task folder a file', edits: () => [{ del: 'definitions/task' }, { put: 'definitions/task', bytes: 'x' }], code: 1 },
  { label: 'definitions a submodule naming its tree', edits: () => [{ del: 'definitions' }, { put: 'definitions', mode: '160000', id: at('definitions') }], code: 0, says: 'task/extract refers to conn/db, which would not exist in dev' },
  { label: 'task folder gone', edits: () => [{ del: 'definitions/task' }], code: 0 },
  { label: 't3 gone', edits: () => [{ del: 'definitions/task/t3.yaml' }], code: 0 },
  { label: 't3 a link', edits: () => [{ put: 'definitions/task/t3.yaml', mode: '120000', bytes: 't4.yaml' }], code: 0 },
  { label: 't3 a submodule naming its blob', edits: () => [{ put: 'definitions/task/t3.yaml', mode: '160000', id: at('definitions/task/t3.yaml') }], code: 0 },
  { label: 't3 a submodule naming a commit', edits: () => [{ put: 'definitions/task/t3.yaml', mode: '160000', id: devHead }], code: 1 },
  { label: 't3 a folder', edits: () => [{ del: 'definitions/task/t3.yaml' }, { folder: 'definitions/task/t3.yaml' }], code: 1, says: 'a folder is at definitions/task/t3.yaml' },
  { label: 't3 in another case', edits: () => [{ del: 'definitions/task/t3.yaml' }, { put: 'definitions/task/T3.yaml', bytes: text('definitions/task/t3.yaml') }], code: 0 },
  { label: 't3 as .yml', edits: () => [{ del: 'definitions/task/t3.yaml' }, { put: 'definitions/task/t3.yml', bytes: text('definitions/task/t3.yaml') }], code: 0 },
  { label: 't3 changed', edits: () => [{ put: 'definitions/task/t3.yaml', bytes: 'kind: task\nname: t3\nspec:\n  command: other.sh\n' }], code: 0 },
  { label: 't3 executable', edits: () => [{ put: 'definitions/task/t3.yaml', mode: '100755', bytes: text('definitions/task/t3.yaml') }], code: 0 },
  { label: 'names with spaces, quotes, newlines and not ASCII in the task folder', edits: () => ['a b.yaml', '"q".yaml', 'n\nl.yaml', 'é.yaml', 't3.yaml ', ' t3.yaml', 't3.yamll', 't3'].map((n) => ({ put: `definitions/task/${n}`, bytes: 'x' })), code: 0 },
  { label: 'a wide task folder', edits: () => Array.from({ length: 3000 }, (_, i) => ({ put: `definitions/task/w${String(i).padStart(5, '0')}.yaml`, bytes: 'w' })), code: 0 },
  { label: 'a deep task folder', edits: () => [{ put: `definitions/task/${Array.from({ length: 60 }, (_, i) => `d${i}`).join('/')}/t3.yaml`, bytes: 'x' }], code: 0 },
  { label: 't3 a folder and the many ledger gone', edits: () => [{ del: MANY_LEDGER }, { del: 'definitions/task/t3.yaml' }, { folder: 'definitions/task/t3.yaml' }], code: 1 },
]

/** The app ledger as a JSON (flow) document. */
function ledgerJson(): unknown {
  return JSON.parse(execFileSync('node', ['-e', `const y=require(${JSON.stringify(resolve(__dirname, '../../node_modules/yaml'))});process.stdout.write(JSON.stringify(y.parse(require('fs').readFileSync(0,'utf8'))))`], { input: text(LEDGER) }).toString())
}

/** GANTRY_ENV_READ_ONLY: a pattern of the labels of the scenarios to run (all when unset). */
const only = new RegExp(process.env.GANTRY_ENV_READ_ONLY ?? '')
const scenarios: Scenario[] = ENV_SCENARIOS.map((s): Scenario => (Array.isArray(s) ? { label: s[0], edits: s[1], code: -1, says: SAME } : s)).filter((s) => only.test(s.label))

let copies = 0
function copy(): string {
  const dir = join(temp.dir, `r${++copies}`)
  cpSync(base, dir, { recursive: true })
  return dir
}

const run = runBuiltCli

test('validate --env dev: each edit of env/dev gives what is expected of it', async () => {
  const repo = copy()
  const untouched = await cli(repo, ['validate', '--env', 'dev'])
  expect(untouched.code).toBe(0)
  const wrong: string[] = []
  let checked = 0
  for (const scenario of scenarios) {
    git(repo, ['update-ref', 'refs/heads/env/dev', devHead])
    edit(repo, scenario.edits())
    const result = await cli(repo, ['validate', '--env', 'dev'])
    const json = await cli(repo, ['validate', '--env', 'dev', '--format', 'json'])
    const said = `${scenario.label}: exit ${result.code}\n${result.stdout}${result.stderr}`
    if (json.code !== result.code) wrong.push(`${said}\n--format json exits ${json.code}`)
    else if (scenario.label === SUBMODULE_FOLDER) {
      // status refuses it as validate --env does (the earlier status took the submodule for the folder).
      const status = await cli(repo, ['status'])
      if (status.code !== 2 || !status.stderr.includes('.gantry/installed is a submodule, not a folder')) wrong.push(`${scenario.label} (status): exit ${status.code}\n${status.stdout}${status.stderr}`)
    }
    if (scenario.says === SAME ? JSON.stringify(result) !== JSON.stringify(untouched) : result.code !== scenario.code || (scenario.says !== undefined && !new RegExp(scenario.says).test(result.stdout + result.stderr))) wrong.push(said)
    checked++
  }
  expect(wrong.join('\n\n')).toBe('')
  expect(checked).toBe(scenarios.length)
}, 600_000)

test.skipIf(!compare)('validate --env dev and status: the same bytes as the earlier CLI, every edit', async () => {
  const repo = copy()
  const differences: string[] = []
  for (const scenario of scenarios) {
    git(repo, ['update-ref', 'refs/heads/env/dev', devHead])
    edit(repo, scenario.edits())
    for (const args of [['validate', '--env', 'dev'], ['validate', '--env', 'dev', '--format', 'json'], ['status'], ['status', '--format', 'json']]) {
      // The one difference, an improvement: the earlier status read a submodule entry naming a tree as the
      // ledger folder (validate --env refused it, as both now do).
      if (scenario.label === SUBMODULE_FOLDER && args[0] === 'status') continue
      const [before, now] = await Promise.all([run(EARLIER, repo, args), run(CURRENT, repo, args)])
      if (JSON.stringify(before) !== JSON.stringify(now)) differences.push(`${scenario.label} (${args.join(' ')}):\nbefore ${JSON.stringify(before)}\nnow    ${JSON.stringify(now)}`)
    }
  }
  expect(differences.join('\n\n')).toBe('')
}, 900_000)

// build --all at a commit whose gantry.yaml and folders a pull request wrote: what it prints, the bundles it
// writes and the tags it makes, as when gantry.yaml was listed and read apart from the folders.

const KIND_FILES = ['cred', 'conn', 'cal', 'task'].map((k) => `kinds/${k}.schema.json`)
const CONFIG = () => readFileSync(join(base, 'gantry.yaml'), 'utf8')
const withPaths = (paths: Record<string, string>) => `${CONFIG()}paths:\n${Object.entries(paths).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join('')}`

interface BuildScenario {
  label: string
  /** Changes the source repository (a fresh copy on main, nothing built) and commits. */
  change: (repo: string) => void
  code: number
  says?: string | RegExp
}

/** Every file under `from` moved under `to`, in one commit. */
function moveAll(repo: string, from: string, to: string): void {
  git(repo, ['mv', from, to])
}

const BUILD_SCENARIOS: BuildScenario[] = [
  { label: 'as it is', change: () => {}, code: 0 },
  { label: 'paths naming the default folders', change: (r) => commitFiles(r, { 'gantry.yaml': withPaths({ kinds: 'kinds', definitions: 'definitions', packages: 'packages' }) }), code: 0 },
  { label: 'paths naming the default folders with ./', change: (r) => commitFiles(r, { 'gantry.yaml': withPaths({ kinds: './kinds', definitions: './definitions', packages: './packages' }) }), code: 2, says: 'leaves the repository folder' },
  {
    label: 'paths naming other folders, the default ones holding garbage',
    change: (r) => {
      git(r, ['mkdir', '-p', 'src'].slice(0, 0).concat(['status'])) // (nothing: git mv makes the folders)
      execFileSync('mkdir', ['-p', join(r, 'src')])
      moveAll(r, 'kinds', 'src/kinds')
      moveAll(r, 'definitions', 'src/defs')
      moveAll(r, 'packages', 'src/pkgs')
      commitFiles(r, { 'gantry.yaml': withPaths({ kinds: 'src/kinds', definitions: 'src/defs', packages: 'src/pkgs' }), 'definitions/task/bad.yaml': 'kind: [', 'packages/bad.yaml': 'name: ]', 'kinds/bad.schema.json': '{' })
    },
    code: 0,
  },
  {
    label: 'paths naming other folders, the default ones links and submodules',
    change: (r) => {
      execFileSync('mkdir', ['-p', join(r, 'src')])
      moveAll(r, 'definitions', 'src/defs')
      commitFiles(r, { 'gantry.yaml': withPaths({ definitions: 'src/defs' }) })
      const index = join(r, '.git', 'index')
      void index
      git(r, ['update-index', '--add', '--cacheinfo', `160000,${git(r, ['rev-parse', 'HEAD'])},definitions`])
      git(r, ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'a submodule at definitions'])
    },
    code: 0,
  },
  { label: 'paths.definitions naming gantry.yaml', change: (r) => commitFiles(r, { 'gantry.yaml': withPaths({ definitions: 'gantry.yaml' }) }), code: 1 },
  { label: 'paths.kinds naming the definitions folder', change: (r) => commitFiles(r, { 'gantry.yaml': withPaths({ kinds: 'definitions' }) }), code: 2, says: 'is the same folder as paths.definitions' },
  {
    label: 'gantry.yaml a link',
    change: (r) => {
      commitFiles(r, { 'real.yaml': CONFIG(), 'gantry.yaml': null })
      execFileSync('ln', ['-s', 'real.yaml', join(r, 'gantry.yaml')])
      commitFiles(r, {})
    },
    code: 2,
  },
  { label: 'gantry.yaml a folder', change: (r) => commitFiles(r, { 'gantry.yaml': null, 'gantry.yaml/x.yaml': CONFIG() }), code: 2 },
  { label: 'gantry.yaml gone, gantry.yml there', change: (r) => commitFiles(r, { 'gantry.yaml': null, 'gantry.yml': CONFIG() }), code: 2 },
  { label: 'gantry.yaml gone, Gantry.yaml there', change: (r) => commitFiles(r, { 'gantry.yaml': null, 'Gantry.yaml': CONFIG() }), code: 2 },
  { label: 'gantry.yaml a submodule', change: (r) => { commitFiles(r, { 'gantry.yaml': null }); git(r, ['update-index', '--add', '--cacheinfo', `160000,${git(r, ['rev-parse', 'HEAD'])},gantry.yaml`]); git(r, ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 's']) }, code: 2 },
  { label: 'kinds a link to a folder', change: (r) => { moveAll(r, 'kinds', 'k2'); commitFiles(r, {}); execFileSync('ln', ['-s', 'k2', join(r, 'kinds')]); commitFiles(r, {}) }, code: 1 },
  { label: 'a kind file a link', change: (r) => { rmSync(join(r, KIND_FILES[0]!)); execFileSync('ln', ['-s', 'conn.schema.json', join(r, KIND_FILES[0]!)]); commitFiles(r, {}) }, code: 1 },
  { label: 'gantry.yaml with CRLF and a BOM', change: (r) => commitFiles(r, { 'gantry.yaml': `\ufeff${CONFIG().replaceAll('\n', '\r\n')}` }), code: 0 },
  {
    label: 'main pointing at a tag object',
    change: (r) => {
      git(r, ['tag', '-a', '-m', 'a tag', 'wrapped', 'HEAD'])
      const tag = git(r, ['rev-parse', 'refs/tags/wrapped'])
      execFileSync('sh', ['-c', `printf '%s\\n' ${tag} > ${JSON.stringify(join(r, '.git', 'refs', 'heads', 'main'))}`])
    },
    code: 0,
  },
  { label: 'HEAD detached at a tag object', change: (r) => { git(r, ['tag', '-a', '-m', 'a tag', 'wrapped', 'HEAD']); execFileSync('sh', ['-c', `printf '%s\\n' ${git(r, ['rev-parse', 'refs/tags/wrapped'])} > ${JSON.stringify(join(r, '.git', 'HEAD'))}`]) }, code: 0 },
  { label: 'HEAD detached at a tree', change: (r) => execFileSync('sh', ['-c', `printf '%s\\n' ${git(r, ['rev-parse', 'HEAD^{tree}'])} > ${JSON.stringify(join(r, '.git', 'HEAD'))}`]), code: 2 },
  {
    label: 'a dependency cycle',
    change: (r) => commitFiles(r, { ...packageFile({ name: 'tools', notes: 'Independent tools.', items: ['cred/tools', 'task/cleanup'], dependencies: [{ package: 'app', version: '>=1' }] }), ...packageFile({ name: 'app', notes: 'x', items: ['task/extract'], dependencies: [{ package: 'base', version: '>=1' }, { package: 'tools', version: '>=1' }] }) }),
    code: 1,
    says: /cycle/,
  },
]

/** A copy of the source as first committed: main at its first commit, no environment branch, nothing built. */
function sourceCopy(): string {
  const dir = join(temp.dir, `b${++copies}`)
  cpSync(base, dir, { recursive: true })
  for (const ref of git(dir, ['for-each-ref', '--format=%(refname)', 'refs/heads/env', 'refs/tags']).split('\n').filter(Boolean)) git(dir, ['update-ref', '-d', ref])
  rmSync(join(dir, '.gantry'), { recursive: true, force: true })
  return dir
}

/** What a build left: its bundles (names and bytes) and its tags (name, commit, message). */
function leftBy(repo: string): string {
  const out = join(repo, '.gantry', 'build')
  const files = existsSync(out) ? readdirSync(out, { recursive: true }).map(String).sort().map((f) => { try { return `${f}\n${readFileSync(join(out, f), 'utf8')}` } catch { return f } }) : []
  const tags = git(repo, ['for-each-ref', '--format=%(refname) %(*objectname) %(contents)', 'refs/tags'])
  return `${files.join('\n')}\n${tags}`
}

test('build --all: each commit a pull request could write gives what is expected of it', async () => {
  for (const scenario of BUILD_SCENARIOS.filter((s) => only.test(s.label))) {
    const repo = sourceCopy()
    scenario.change(repo)
    const result = await cli(repo, ['build', '--all'])
    expect(result.code, `${scenario.label}\n${result.stdout}${result.stderr}`).toBe(scenario.code)
    if (scenario.says !== undefined) expect(result.stdout + result.stderr, scenario.label).toMatch(scenario.says)
    if (scenario.code === 0) expect(git(repo, ['tag', '--list']).split('\n').length, scenario.label).toBeGreaterThanOrEqual(4)
    else expect(git(repo, ['tag', '--list']), scenario.label).toBe('')
    // validate --env dev of the same files (no environment branch yet): as plain validate, then the plans.
    // (validate reads the working tree: a HEAD naming a tree is no concern of it.)
    if (scenario.label === 'HEAD detached at a tree') continue
    const validated = await cli(repo, ['validate', '--env', 'dev'])
    expect(validated.code === 0, `${scenario.label}\n${validated.stdout}${validated.stderr}`).toBe(scenario.code === 0)
  }
}, 600_000)

test.skipIf(!compare)('build --all and validate --env: the same output, bundles and tags as the earlier CLI', async () => {
  const differences: string[] = []
  for (const scenario of BUILD_SCENARIOS.filter((s) => only.test(s.label))) {
    const a = sourceCopy()
    scenario.change(a)
    // The same commits in both (a change committed twice would make other commit ids).
    const b = join(temp.dir, `b${++copies}`)
    cpSync(a, b, { recursive: true })
    for (const args of [['build', '--all'], ['validate', '--env', 'dev'], ['validate', '--env', 'dev', '--format', 'json'], ['build', '--all', '--format', 'json']]) {
      const before = await run(EARLIER, a, args)
      const now = await run(CURRENT, b, args)
      const norm = (r: typeof before, dir: string) => JSON.stringify(r).replaceAll(dir, '<repo>')
      if (norm(before, a) !== norm(now, b)) differences.push(`${scenario.label} (${args.join(' ')}):\nbefore ${norm(before, a)}\nnow    ${norm(now, b)}`)
    }
    if (leftBy(a) !== leftBy(b)) differences.push(`${scenario.label}: bundles or tags differ`)
  }
  expect(differences.join('\n\n')).toBe('')
}, 900_000)
