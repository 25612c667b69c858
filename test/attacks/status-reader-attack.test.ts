import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { apply, build, expectExit, makeSourceRepo, sourceFiles } from '../engine/fixture.js'
import { PROJECT, cliJson, commitToBranch, git, tempDir, writeFiles } from '../engine/helpers.js'

// Status reads environment branches through one long-lived `git cat-file --batch-command` process. Whatever
// a push put on a branch (odd names, huge or header-like files, a ref to a tag, a blob or a tree) must read
// as git itself reads it, each answer kept apart from the next, and the process must end with the command.

const temp = tempDir('gantry-status-reader-attack-')
afterAll(() => temp.cleanup())

interface StatusJson {
  ok: boolean
  environments: { name: string; branch: string; head: string | null }[]
  packages: { name: string; environments: Record<string, { status: string; version: string }> }[]
  drift: { severity: string; code: string; item?: string; environment?: string; file?: string; message: string }[]
  diagnostics?: { code: string; file?: string; message: string }[]
}

const status = async (repo: string) => cliJson<StatusJson>(repo, ['status'])
const driftOf = (json: StatusJson) => json.drift.map((d) => [d.environment, d.code, d.item])
const installed = (json: StatusJson) =>
  json.packages.flatMap((p) => Object.entries(p.environments).map(([env, s]) => `${p.name}@${s.version} ${env} ${s.status}`)).sort()

const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' }
const raw = (dir: string, args: string[], input?: Buffer | string) =>
  execFileSync('git', ['-C', dir, ...args], { input, env: { ...process.env, ...IDENTITY } }).toString('utf8').trim()

/** A ref written as a file: git's update-ref refuses a branch pointing at anything but a commit, a push of a ref file does not. */
function writeRef(repo: string, ref: string, id: string): void {
  mkdirSync(dirname(join(repo, '.git', ref)), { recursive: true })
  writeFileSync(join(repo, '.git', ref), `${id}\n`)
}

/** A commit on `branch` holding `files` added by path bytes through the index: any name git takes. */
function addFiles(repo: string, branch: string, files: { path: Buffer; content: string }[]): void {
  const index = join(repo, '.git', 'attack-index')
  rmSync(index, { force: true })
  const env = { ...process.env, ...IDENTITY, GIT_INDEX_FILE: index }
  execFileSync('git', ['-C', repo, 'read-tree', branch], { env })
  const lines = files.map((f) => Buffer.concat([Buffer.from(`100644 ${raw(repo, ['hash-object', '-w', '--stdin'], f.content)}\t`), f.path, Buffer.from([0])]))
  execFileSync('git', ['-C', repo, 'update-index', '-z', '--index-info'], { input: Buffer.concat(lines), env })
  const tree = execFileSync('git', ['-C', repo, 'write-tree'], { env }).toString().trim()
  raw(repo, ['update-ref', `refs/heads/${branch}`, raw(repo, ['commit-tree', tree, '-p', branch, '-m', 'pushed'])])
  rmSync(index, { force: true })
}

let base: string
let copies = 0
/** A copy of the source repository with tools applied to dev and qa (the same trees on both). */
const fresh = (): string => {
  const dir = join(temp.dir, `copy-${copies++}`)
  cpSync(base, dir, { recursive: true, verbatimSymlinks: true })
  return dir
}

beforeAll(async () => {
  base = join(temp.dir, 'base')
  makeSourceRepo(base)
  expectExit(await build(base), 0)
  for (const env of ['dev', 'qa']) expectExit(await apply(base, 'tools', env), 0)
})

test('as applied: nothing drifts, both environments hold tools@1', async () => {
  const { code, json } = await status(fresh())
  expect(code).toBe(0)
  expect(driftOf(json)).toEqual([])
  expect(installed(json)).toEqual(['tools@1 dev APPLIED', 'tools@1 qa APPLIED'])
})

test('a branch ref at an annotated tag reads as the commit it tags; at a blob or a tree it is no branch, and origin is read instead', async () => {
  const repo = fresh()
  const qa = raw(repo, ['rev-parse', 'env/qa'])
  raw(repo, ['tag', '-a', 'qa-tag', '-m', 'tag', qa])
  writeRef(repo, 'refs/heads/env/qa', raw(repo, ['rev-parse', 'qa-tag']))
  let { json } = await status(repo)
  expect(json.environments.find((e) => e.name === 'qa')?.head).toBe(qa)
  expect(installed(json)).toEqual(['tools@1 dev APPLIED', 'tools@1 qa APPLIED'])

  // A blob where the branch is: not a branch. A tree: not a branch either.
  writeRef(repo, 'refs/heads/env/qa', raw(repo, ['hash-object', '-w', '--stdin'], 'not a commit\n'))
  ;({ json } = await status(repo))
  expect(json.environments.find((e) => e.name === 'qa')?.head).toBeNull()
  expect(installed(json)).toEqual(['tools@1 dev APPLIED'])
  writeRef(repo, 'refs/heads/env/qa', raw(repo, ['rev-parse', `${qa}^{tree}`]))
  ;({ json } = await status(repo))
  expect(json.environments.find((e) => e.name === 'qa')?.head).toBeNull()

  // The local branch is no commit: the remote-tracking one is the environment, as Git.resolveBranch finds it.
  writeRef(repo, 'refs/remotes/origin/env/qa', qa)
  ;({ json } = await status(repo))
  expect(json.environments.find((e) => e.name === 'qa')?.head).toBe(qa)
  expect(installed(json)).toEqual(['tools@1 dev APPLIED', 'tools@1 qa APPLIED'])

  // A tag named like the branch changes nothing: the branch is read by its full ref name.
  raw(repo, ['tag', 'env/prod', qa])
  ;({ json } = await status(repo))
  expect(json.environments.find((e) => e.name === 'prod')?.head).toBeNull()
})

test('a huge item holding lines shaped like cat-file answers: read by its size, the next answers stay in step', async () => {
  const repo = fresh()
  const fake = `${'a'.repeat(40)} blob 12\nmissing\n${'b'.repeat(40)} tree 0\n\n`
  commitToBranch(repo, 'env/dev', { 'definitions/cred/tools.yaml': `kind: cred\nname: tools\nspec:\n  path: x\n# ${fake.replace(/\n/g, '\n# ')}\n${'#'.repeat(3_000_000)}\n` })
  // On qa a ledger that is only ever read after dev's huge item in the same process.
  commitToBranch(repo, 'env/qa', { 'definitions/task/cleanup.yaml': `${fake}kind: task\n` })
  const { code, json } = await status(repo)
  expect(code).toBe(0)
  expect(driftOf(json)).toEqual([
    ['dev', 'local-customization', 'cred/tools'],
    ['qa', 'local-customization', 'task/cleanup'],
  ])
  expect(installed(json)).toEqual(['tools@1 dev APPLIED', 'tools@1 qa APPLIED'])
})

test('names that would break a line protocol (line break, leading space, tab, colon, dash, non-UTF-8) are files like any other', async () => {
  const repo = fresh()
  const odd = ['line\nbreak', ' lead', 'tab\there', 'a:b', '-dash', 'bad-\xff']
  addFiles(repo, 'env/dev', [
    ...odd.map((name) => ({ path: Buffer.from(`definitions/cred/${name}.yaml`, name.includes('\xff') ? 'latin1' : 'utf8'), content: 'kind: cred\n' })),
    ...odd.map((name) => ({ path: Buffer.from(`.gantry/installed/notes-${name}.txt`, name.includes('\xff') ? 'latin1' : 'utf8'), content: 'x\n' })),
    { path: Buffer.from('.gantry/installed/nested/tools.yaml'), content: 'not: a ledger\n' },
    { path: Buffer.from('.gantry/installed/tools.yml'), content: 'not: a ledger\n' },
    { path: Buffer.from('definitions/cred/by-hand.yaml'), content: 'kind: cred\nname: by-hand\n' },
  ])
  const { code, json } = await status(repo)
  expect(code).toBe(0)
  // Only the file named like an item belongs to nobody; none of the odd names is an item name, no file
  // outside `*.yaml` directly in the ledger folder is a ledger.
  expect(driftOf(json)).toEqual([['dev', 'unowned-item', 'cred/by-hand']])
  expect(installed(json)).toEqual(['tools@1 dev APPLIED', 'tools@1 qa APPLIED'])
})

test('a ledger file whose name a line protocol would trim (leading space, dash) is still read, and refused as a ledger', async () => {
  for (const name of [' lead', '-dash', 'a:b']) {
    const repo = fresh()
    commitToBranch(repo, 'env/dev', { [`.gantry/installed/${name}.yaml`]: 'not: a ledger\n' })
    const { code, json, stderr } = await status(repo)
    expect(code, name).toBe(2)
    expect(`${JSON.stringify(json)}${stderr}`, name).toContain('not a valid ledger')
  }
})

test('the package names come from the package files: other files, folders and odd names add none, and none is dropped', async () => {
  const repo = fresh()
  const pkg = readFileSync(join(repo, 'packages', 'tools.yaml'), 'utf8')
  writeFiles(repo, {
    'packages/notes.txt': pkg,
    'packages/other.yml': 'x: [\n',
    'packages/nested/inner.yaml': pkg,
    'packages/dir.yaml/inner.yaml': pkg,
    'packages/Bad_Name.yaml': pkg,
    'packages/-dash.yaml': pkg,
    'packages/broken.yaml': 'x: [\n',
    'packages/renamed.yaml': pkg,
  })
  symlinkSync('tools.yaml', join(repo, 'packages', 'linked.yaml'))
  const { code, json } = await status(repo)
  expect(code).toBe(0)
  // `.yml` is a package file as the loader reads it; a file that does not parse or names another package
  // still names a package here (status reads no package file), as before the files were only listed.
  expect(json.packages.map((p) => p.name).sort()).toEqual(['app', 'base', 'broken', 'linked', 'other', 'renamed', 'tools'])
})

/** The `git cat-file` processes whose parent is this process. */
function catFileChildren(): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
      if (parent === process.pid && cmdline.includes('cat-file')) found.push(`${pid} ${cmdline}`)
    } catch {
      // The process ended while being looked at.
    }
  }
  return found
}

test.runIf(process.platform === 'linux')('no git cat-file outlives status, whether it succeeds or refuses a ledger', async () => {
  const repo = fresh()
  expect(catFileChildren()).toEqual([])
  expect((await status(repo)).code).toBe(0)
  expect(catFileChildren()).toEqual([])
  commitToBranch(repo, 'env/qa', { '.gantry/installed/tools.yaml': 'not: a ledger\n' })
  expect((await status(repo)).code).toBe(2)
  expect(catFileChildren()).toEqual([])
})

test('the status command, run as its own process, exits once it has printed', async () => {
  const repo = fresh()
  commitToBranch(repo, 'env/dev', { 'definitions/cred/tools.yaml': 'kind: cred\nname: tools\n' })
  // A reader left open keeps the process alive: the time limit ends it (and with it its git), and fails.
  const run = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT, 'src/cli/index.ts'), 'status', '--repo', repo, '--format', 'json'], {
      cwd: PROJECT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 60_000,
    })
    const out: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8') }))
  })
  expect(run.signal, 'status did not exit by itself').toBeNull()
  expect(run.code).toBe(0)
  expect((JSON.parse(run.stdout) as StatusJson).drift.map((d) => d.code)).toEqual(['local-customization'])
}, 90_000)

test('a source kept in a folder of its git repository: status and a second apply read the ledger apply wrote', async () => {
  const top = join(temp.dir, 'top')
  raw(temp.dir, ['init', '-q', '-b', 'main', top])
  writeFiles(join(top, 'gantry'), sourceFiles())
  writeFiles(top, { 'README.md': 'the sources are in gantry/\n' })
  git(top, ['add', '-A'])
  git(top, ['commit', '-qm', 'sources in a folder'])
  const source = join(top, 'gantry')
  expectExit(await build(source), 0)
  expectExit(await apply(source, 'tools', 'dev'), 0)
  // The environment branch holds the deployed tree at its top, as apply writes it.
  expect(git(top, ['ls-tree', '-r', '--name-only', 'env/dev']).split('\n')).toEqual(['.gantry/installed/tools.yaml', 'definitions/cred/tools.yaml', 'definitions/task/cleanup.yaml'])
  const { json } = await status(source)
  expect(installed(json)).toEqual(['tools@1 dev APPLIED'])
  expect(driftOf(json)).toEqual([])
  // Applying it again finds it installed: not its own items "created by hand".
  const again = await apply(source, 'tools', 'dev')
  expect(again.json.diagnostics.map((d) => d.code)).toEqual([])
  expect(again.code).toBe(0)
})
