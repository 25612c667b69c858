import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { build, expectExit, makeSourceRepo } from './fixture.js'
import { PROJECT, git, tempDir } from './helpers.js'

const temp = tempDir('gantry-build-early-attack-')
afterAll(() => temp.cleanup())

/** Re-tags `tag` with a digest no bundle has, its content digest kept: a rebuild of it is refused. */
function forge(repo: string, tag: string): void {
  const message = git(repo, ['tag', '-l', '--format=%(contents)', tag])
  const content = /^content: (sha256:[0-9a-f]{64})$/m.exec(message)![1]!
  git(repo, ['tag', '-f', '-a', tag, '-m', `${tag}\n\ndigest: sha256:${'0'.repeat(64)}\ncontent: ${content}\n`, `${tag}^{commit}`])
}

describe('a refused build whose output folder cannot be written', () => {
  // Before bundles were written as they are made, a build with errors returned them (exit 1) without
  // touching the output folder; it must still do so when that folder is unusable, not fail on the folder.
  test.each([
    ['.gantry is a file', (repo: string) => writeFileSync(join(repo, '.gantry'), 'x')],
    ['.gantry/build is a link', (repo: string) => {
      mkdirSync(join(repo, '.gantry'))
      symlinkSync(join(temp.dir, 'elsewhere'), join(repo, '.gantry/build'))
    }],
  ])('%s: the digest-mismatch refusal is reported, not an unsafe-path error', async (label, spoil) => {
    const repo = join(temp.dir, label.replace(/[^a-z]/g, '-'))
    makeSourceRepo(repo)
    expectExit(await build(repo), 0)
    forge(repo, 'tools@1')
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    spoil(repo)
    const refused = await build(repo)
    expect(refused.json.diagnostics.map((d) => d.code)).toEqual(['digest-mismatch'])
    expect(refused.code).toBe(1)
    expect(existsSync(join(temp.dir, 'elsewhere'))).toBe(false)
    // The library call too: a result with the refusal, not a thrown UnsafePathError.
    const result = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(result.ok).toBe(false)
    expect(result.diagnostics.map((d) => d.code)).toEqual(['digest-mismatch'])
  })
})

describe('an interrupted build', () => {
  // Bundles are now written to `<file>.<pid>.tmp` as they are made and renamed only at the end, so a build
  // interrupted (Ctrl-C) while making them leaves every temporary written so far, under a pid no later build
  // looks for: they pile up in the build folder. Before, at most the one being written was left.
  const bench = join(PROJECT, '.bench/data/build-1000-40')
  test.skipIf(!existsSync(bench))('leaves no temporary files in the build folder after SIGINT', async () => {
    const repo = join(temp.dir, 'interrupted')
    cpSync(bench, repo, { recursive: true })
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const folder = join(repo, '.gantry/build')
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT, 'src/cli/index.ts'), 'build', '--all', '--repo', repo], { stdio: 'ignore' })
    const exited = new Promise<void>((done) => child.on('exit', () => done()))
    let seen = 0
    while (child.exitCode === null && seen < 5) {
      await new Promise((done) => setTimeout(done, 5))
      seen = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.tmp')).length : 0
    }
    // Interrupted while its temporaries are there (the build may have ended already on a fast machine).
    if (seen >= 5) child.kill('SIGINT')
    await exited
    const left = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.tmp')) : []
    expect(left).toEqual([])
  }, 120_000)
})
