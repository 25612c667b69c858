import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { readCommitSnapshot } from '../../src/adapters/git/repository-reader.js'
import { WorkingTreeBlobs, workingTreeAt } from '../../src/adapters/git/working-tree-blobs.js'
import { buildPackages } from '../../src/commands/build.js'
import { sourceFiles } from './fixture.js'
import { commitFiles, git, gitProcesses, makeGitRepo, tempDir } from './helpers.js'
import { buildOutcome } from '../support/build-outcome.js'

// A release build reads the commit HEAD resolves to. A file of the working tree whose bytes hash to the blob
// the commit names for its path (git's object id: the hash of `blob <size>\0` and the bytes) is read from
// there; every other file is read from git, as before. Whatever the working tree holds, the bundles and tags
// are those of the commit.

const temp = tempDir('gantry-build-worktree-')
afterAll(() => temp.cleanup())

const ROOTS = ['gantry.yaml', 'kinds', 'definitions', 'packages']
const EDITED = 'definitions/cred/db.yaml'
let count = 0
const fresh = (name: string) => join(temp.dir, `${name}-${count++}`)

/** The source repository, committed; at `sub` when given, inside a repository whose root holds other files. */
function sourceRepo(dir: string, options: { sub?: string; objectFormat?: 'sha256' } = {}): string {
  const files = sourceFiles()
  if (!options.objectFormat) {
    makeGitRepo(
      dir,
      options.sub
        ? {
            'README.md': 'top\n',
            ...Object.fromEntries(Object.entries(files).map(([p, c]) => [`${options.sub}/${p}`, c])),
          }
        : files,
    )
    return options.sub ? join(dir, options.sub) : dir
  }
  mkdirSync(dir, { recursive: true })
  git(dir, ['init', '-q', '-b', 'main', `--object-format=${options.objectFormat}`])
  commitFiles(dir, files, 'Initial definitions')
  return dir
}

const outcome = buildOutcome

async function build(repo: string) {
  const result = await buildPackages({ repo, packages: [], all: true, debug: false })
  expect(result.diagnostics).toEqual([])
  expect(result.artifacts.length).toBeGreaterThan(2)
  return result
}

/**
 * `repo` read from the working tree alone (no blob asked of git, the snapshot git alone gives), and built
 * with no `git cat-file`: the bundles of the reference build. Returns that reading.
 */
async function expectBuiltFromWorkingTree(repo: string): Promise<Awaited<ReturnType<typeof snapshotOf>>> {
  const fast = await snapshotOf(repo)
  expect(fast.asked).toEqual([])
  expect(fast.snapshot).toEqual((await snapshotOf(repo, false)).snapshot)
  const { argv } = await gitProcesses(temp.dir, () => build(repo))
  expect(argv.filter((args) => args.includes('cat-file'))).toEqual([])
  expect(outcome(repo).bundles).toEqual((await reference).bundles)
  return fast
}

/** A git that records the objects asked of `cat-file --batch`. */
class RecordingGit extends Git {
  readonly asked: string[] = []
  override async readBlobs(specs: readonly string[]): Promise<Map<string, Buffer>> {
    this.asked.push(...specs)
    return super.readBlobs(specs)
  }
}

/** The snapshot of HEAD as a release build reads it, and the blobs git was asked for. */
async function snapshotOf(repo: string, workingTree = true) {
  const recording = new RecordingGit(repo)
  const head = git(repo, ['rev-parse', 'HEAD'])
  const snapshot = await readCommitSnapshot(
    recording,
    head,
    ROOTS,
    1024 * 1024,
    undefined,
    workingTree ? new WorkingTreeBlobs(repo) : undefined,
  )
  const plain = new Map(
    [...snapshot].map(([path, entry]) => [
      path,
      entry.type === 'file' ? Buffer.from(entry.bytes).toString('latin1') : entry.type,
    ]),
  )
  return { snapshot: plain, asked: recording.asked }
}

const blobOf = (repo: string, path: string) => git(repo, ['rev-parse', `HEAD:${path}`])

// One clean build, as every other build here must come out.
const clean = fresh('clean')
sourceRepo(clean)
const reference = (async () => {
  const repo = fresh('reference')
  cpSync(clean, repo, { recursive: true })
  await build(repo)
  return outcome(repo)
})()

describe('a release build reads the working tree where it holds the commit', () => {
  test('a clean checkout: no blob is read from git, and the bundles and tags are those read from git alone', async () => {
    const repo = fresh('fast')
    cpSync(clean, repo, { recursive: true })
    const { argv } = await gitProcesses(temp.dir, () => build(repo))
    expect(argv.filter((args) => args.includes('cat-file'))).toEqual([])
    expect(outcome(repo)).toEqual(await reference)

    // Every source file gone from the working tree: all read from git, the same bundles and tags.
    const bare = fresh('from-git')
    cpSync(clean, bare, { recursive: true })
    for (const root of ROOTS) rmSync(join(bare, root), { recursive: true, force: true })
    const fromGit = await gitProcesses(temp.dir, () => build(bare))
    expect(fromGit.argv.filter((args) => args.includes('cat-file') && args.includes('--batch')).length).toBe(
      1,
    )
    expect(outcome(bare)).toEqual(await reference)
  })

  test('the snapshot read from the working tree is the one read from git, and asks git for nothing', async () => {
    const fast = await snapshotOf(clean)
    const slow = await snapshotOf(clean, false)
    expect(fast.asked).toEqual([])
    expect(slow.asked.length).toBeGreaterThan(10)
    expect(fast.snapshot).toEqual(slow.snapshot)
  })

  // What is in a file's place in the working tree; each must be read from git, and that file alone.
  const cases: [string, (repo: string) => void][] = [
    [
      'an edited file',
      (repo) =>
        writeFileSync(join(repo, EDITED), 'kind: cred\nname: db\nspec:\n  path: vault://kv/elsewhere\n'),
    ],
    [
      'the same size, other bytes',
      (repo) =>
        writeFileSync(
          join(repo, EDITED),
          readFileSync(join(repo, EDITED), 'latin1').replace('vault://kv/db', 'vault://kv/xy'),
        ),
    ],
    [
      'a longer file starting with the committed bytes',
      (repo) => writeFileSync(join(repo, EDITED), `${readFileSync(join(repo, EDITED), 'latin1')}# more\n`),
    ],
    ['a deleted file', (repo) => rmSync(join(repo, EDITED))],
    [
      'a link to a file with the committed bytes',
      (repo) => {
        const target = join(repo, 'elsewhere.yaml')
        writeFileSync(target, readFileSync(join(repo, EDITED)))
        rmSync(join(repo, EDITED))
        symlinkSync(target, join(repo, EDITED))
      },
    ],
    [
      'a FIFO',
      (repo) => {
        rmSync(join(repo, EDITED))
        execFileSync('mkfifo', [join(repo, EDITED)])
      },
    ],
    [
      'a folder',
      (repo) => {
        rmSync(join(repo, EDITED))
        mkdirSync(join(repo, EDITED))
        writeFileSync(join(repo, EDITED, 'x'), 'kind: cred\n')
      },
    ],
  ]
  test.each(cases)('%s: read from git, the bundles and tags of the commit', async (_, change) => {
    const repo = fresh('changed')
    cpSync(clean, repo, { recursive: true })
    change(repo)
    const { asked, snapshot } = await snapshotOf(repo)
    expect(asked).toEqual([blobOf(repo, EDITED)])
    expect(snapshot).toEqual((await snapshotOf(clean, false)).snapshot)
    await build(repo)
    expect(outcome(repo)).toEqual(await reference)
  })

  test('files converted to CRLF on checkout (an eol attribute): each read from git', async () => {
    const repo = fresh('crlf')
    makeGitRepo(repo, { ...sourceFiles(), '.gitattributes': '*.yaml text eol=crlf\n' })
    // Checked out again, the YAML files now end their lines with CRLF in the working tree.
    for (const root of ['definitions', 'packages', 'gantry.yaml'])
      rmSync(join(repo, root), { recursive: true, force: true })
    git(repo, ['checkout', '--', '.'])
    expect(readFileSync(join(repo, EDITED), 'latin1')).toContain('\r\n')
    const yaml = git(repo, ['ls-tree', '-r', '--name-only', 'HEAD', '--', ...ROOTS])
      .split('\n')
      .filter((p) => p.endsWith('.yaml'))
    const { asked, snapshot } = await snapshotOf(repo)
    expect(new Set(asked)).toEqual(new Set(yaml.map((p) => blobOf(repo, p))))
    expect(snapshot).toEqual((await snapshotOf(repo, false)).snapshot)
    await build(repo)
    expect(outcome(repo).bundles).toEqual((await reference).bundles)
  })

  test('a source folder inside its repository (--repo a sub-folder): its files are read from the working tree', async () => {
    const top = fresh('sub')
    const repo = sourceRepo(top, { sub: 'source' })
    // A file at the top of the repository named as one of the sub-folder's, with other bytes: not the one read.
    writeFileSync(join(top, 'gantry.yaml'), 'not: this\n')
    await expectBuiltFromWorkingTree(repo)
  })

  test('a SHA-256 repository: its files are checked with SHA-256 and read from the working tree', async (context) => {
    const probe = fresh('probe')
    mkdirSync(probe)
    try {
      git(probe, ['init', '-q', '--object-format=sha256'])
    } catch {
      context.skip()
    }
    const repo = sourceRepo(fresh('sha256'), { objectFormat: 'sha256' })
    expect(blobOf(repo, EDITED)).toMatch(/^[0-9a-f]{64}$/)
    const fast = await expectBuiltFromWorkingTree(repo)
    writeFileSync(join(repo, EDITED), 'kind: cred\nname: db\nspec:\n  path: vault://kv/elsewhere\n')
    const edited = await snapshotOf(repo)
    expect(edited.asked).toEqual([blobOf(repo, EDITED)])
    expect(edited.snapshot).toEqual(fast.snapshot)
  })
})

describe('what is taken from the working tree', () => {
  const blob = (bytes: string) => ({
    id: execFileSync('git', ['hash-object', '--stdin'], { input: bytes }).toString().trim(),
    size: Buffer.byteLength(bytes),
  })

  test('only a plain relative path: none that leaves the folder or names another file', () => {
    const root = fresh('paths')
    mkdirSync(join(root, 'in/a'), { recursive: true })
    const bytes = 'kind: cred\n'
    const { id, size } = blob(bytes)
    for (const file of ['outside.yaml', 'in/a/b.yaml', 'in/a/\uFFFD.yaml', 'in/a/.yaml'])
      writeFileSync(join(root, file), bytes)
    const files = new WorkingTreeBlobs(join(root, 'in'))
    expect(files.read('a/b.yaml', id, size)?.toString()).toBe(bytes)
    expect(files.read('a/.yaml', id, size)?.toString()).toBe(bytes)
    for (const path of [
      '../outside.yaml',
      'a/../../outside.yaml',
      'a/./b.yaml',
      './a/b.yaml',
      'a//b.yaml',
      `${root}/outside.yaml`,
      'a/b.yaml/',
      'a/\uFFFD.yaml',
      '',
    ])
      expect(files.read(path, id, size), path).toBeUndefined()
    // The bytes of the blob with another size, or the id of other bytes: not taken.
    expect(files.read('a/b.yaml', id, size + 1)).toBeUndefined()
    expect(files.read('a/b.yaml', blob('kind: other\n').id, size)).toBeUndefined()
    expect(files.read('a/b.yaml', id.slice(0, 39), size)).toBeUndefined()
  })

  test('an empty file is the empty blob', () => {
    const root = fresh('empty')
    mkdirSync(root)
    writeFileSync(join(root, 'e.yaml'), '')
    const { id } = blob('')
    expect(new WorkingTreeBlobs(root).read('e.yaml', id, 0)).toEqual(Buffer.alloc(0))
  })

  test('a working tree is where git finds one: not a bare repository, not inside .git, not with GIT_DIR set', () => {
    const repo = fresh('where')
    sourceRepo(repo)
    mkdirSync(join(repo, 'definitions/deeper'), { recursive: true })
    expect(workingTreeAt(repo, {})).toBe(repo)
    expect(workingTreeAt(join(repo, 'definitions/deeper'), {})).toBe(join(repo, 'definitions/deeper'))
    expect(workingTreeAt(join(repo, '.git'), {})).toBeUndefined()
    expect(workingTreeAt(join(repo, '.git/refs'), {})).toBeUndefined()
    expect(workingTreeAt(repo, { GIT_DIR: join(repo, '.git') })).toBeUndefined()
    expect(workingTreeAt(repo, { GIT_WORK_TREE: repo })).toBeUndefined()
    const bare = fresh('bare.git')
    execFileSync('git', ['init', '-q', '--bare', bare])
    expect(workingTreeAt(bare, {})).toBeUndefined()
  })
})
