import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { openRepository } from '../../src/commands/repository.js'
import { parse, stringify } from 'yaml'
import { definition, makeSourceRepo, packageFile, sourceFiles } from './fixture.js'
import { commitFiles, git, gitProcesses, makeGitRepo, tempDir } from './helpers.js'

// A fresh build of every package, nothing changed since the last release, makes again the bundles of packages
// released twice, each with its delta to the release before: git is asked what differs between that release's
// commit and HEAD, and for the differing files, as soon as the tags are listed. The bundles are those the
// release build wrote, byte for byte, however the sources are laid out.

const temp = tempDir('gantry-rebuild-early-')
afterAll(() => temp.cleanup())

const folderFiles = (folder: string) => new Map(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')]))

/** The same sources under src/, named by gantry.yaml; with `stray`, a package at the default folder too. */
function ownFolders(): Record<string, string> {
  const moved: Record<string, string> = {}
  for (const [path, content] of Object.entries(sourceFiles())) {
    if (path === 'gantry.yaml') moved[path] = stringify({ ...(parse(content) as Record<string, unknown>), paths: { kinds: 'src/kinds', definitions: 'src/definitions', packages: 'src/packages' } })
    else if (/^(kinds|definitions|packages)\//.test(path)) moved[`src/${path}`] = content
    else moved[path] = content
  }
  return moved
}

/** Releases every package, changes one and releases again: returns the first release's commit. */
async function releasedTwice(repo: string, own: boolean): Promise<string> {
  if (own) makeGitRepo(repo, ownFolders())
  else makeSourceRepo(repo)
  const first = await buildPackages({ repo, packages: [], all: true, debug: false })
  expect(first.diagnostics).toEqual([])
  const released = git(repo, ['rev-parse', 'HEAD'])
  const prefix = own ? 'src/' : ''
  const changed: Record<string, string> = {}
  for (const [path, content] of Object.entries({
    ...definition('task', 'cleanup', { command: 'cleanup.sh --all' }),
    ...packageFile({ name: 'tools', notes: 'Independent tools, again.', items: ['cred/tools', 'task/cleanup'] }),
  }))
    changed[`${prefix}${path}`] = content
  // At the default folders, files that would change the delta were they read as the sources.
  if (own) Object.assign(changed, definition('task', 'cleanup', { command: 'elsewhere.sh' }), definition('cred', 'tools', { path: 'vault://elsewhere' }))
  commitFiles(repo, changed)
  const second = await buildPackages({ repo, packages: [], all: true, debug: false })
  expect(second.diagnostics).toEqual([])
  expect(second.artifacts.filter((a) => a.created).map((a) => a.package)).toEqual(['tools'])
  return released
}

describe('a rebuild with nothing changed, no build folder', () => {
  test.each([
    ['the default folders', false],
    ['folders gantry.yaml names', true],
  ])('%s: git is asked of the release before the newest, and the bundles are written as released', async (_, own) => {
    const repo = join(temp.dir, own ? 'own-folders' : 'default-folders')
    const released = await releasedTwice(repo, own)
    const folder = join(repo, '.gantry/build')
    const written = folderFiles(folder)
    rmSync(folder, { recursive: true })

    const { result, argv } = await gitProcesses(temp.dir, () => buildPackages({ repo, packages: [], all: true, debug: false }))
    expect(result.diagnostics).toEqual([])
    expect(result.artifacts.filter((a) => a.created)).toEqual([])
    // With the default folders, the earlier commit is named by one process listing what differs and one listing
    // the differing files; with folders of its own, the files read ahead are not those asked for: read again.
    expect(argv.filter((args) => args.some((a) => a.includes(released))).length).toBe(own ? 3 : 2)
    const again = folderFiles(folder)
    expect([...again.keys()].sort()).toEqual(['app-1.gantry.json', 'base-1.gantry.json', 'tools-1.1.gantry.json'])
    for (const [file, bytes] of again) expect(bytes, file).toBe(written.get(file))
    expect((JSON.parse(again.get('tools-1.1.gantry.json')!) as { delta: unknown }).delta).toEqual({ previous: '1', added: [], changed: ['task/cleanup'], removed: [] })
  })

  test('the released versions are told before any source is read', async () => {
    const repo = join(temp.dir, 'told-first')
    await releasedTwice(repo, false)
    let seen: string[][] | undefined
    const { result, argv } = await gitProcesses(temp.dir, async () => {
      const trace = process.env.GIT_TRACE2_EVENT!
      return openRepository(repo, {
        commit: git(repo, ['rev-parse', 'HEAD']),
        keepDocuments: true,
        onReleased: (versions) => {
          expect(versions.map((v) => v.tag).sort()).toEqual(['app@1', 'base@1', 'tools@1', 'tools@1.1'])
          seen = readFileSync(trace, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as { event: string; argv?: string[] })
            .filter((e) => e.event === 'start')
            .map((e) => e.argv!)
        },
      })
    })
    expect(result.model.packages.size).toBe(3)
    expect(seen).toBeDefined()
    // Nothing of the sources listed or read yet; they are afterwards.
    expect(seen!.some((args) => args.includes('ls-tree') || args.includes('cat-file'))).toBe(false)
    expect(argv.some((args) => args.includes('ls-tree'))).toBe(true)
  })
})
