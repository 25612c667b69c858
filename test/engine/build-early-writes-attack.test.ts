import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { generateRepository, writeRepository } from '../../bench/generate-repository.js'
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
  // Bundles are written to `<file>.<pid>.tmp` as they are made and renamed only at the end: a build
  // interrupted (Ctrl-C) while making them removes those it wrote, and a later build removes those of a
  // process that is gone (killed with SIGKILL), never those of a build still running.
  test('leaves no temporary files in the build folder after SIGINT', async () => {
    const repo = join(temp.dir, 'interrupted')
    const generated = generateRepository({ definitions: 3000, packages: 120, references: 6000, seed: 'interrupted' })
    writeRepository(generated.files, repo, { commit: true })
    const folder = join(repo, '.gantry/build')
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT, 'src/cli/index.ts'), 'build', '--all', '--repo', repo], { stdio: 'ignore' })
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)))
    let seen = 0
    while (child.exitCode === null && seen < 5) {
      await new Promise((done) => setTimeout(done, 5))
      seen = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.tmp')).length : 0
    }
    // Interrupted while its temporaries are there.
    expect(seen).toBeGreaterThanOrEqual(5)
    child.kill('SIGINT')
    expect(await exited).toBe('SIGINT')
    const left = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.tmp')) : []
    expect(left).toEqual([])
  }, 120_000)

  test('the temporary files of a build killed outright are removed by the next, those of a running one kept', async () => {
    const repo = join(temp.dir, 'killed')
    makeSourceRepo(repo)
    const folder = join(repo, '.gantry/build')
    mkdirSync(folder, { recursive: true })
    // A process id that is gone: that of a process that ran and ended.
    const gone = await new Promise<number>((done) => {
      const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
      child.on('exit', () => done(child.pid!))
    })
    const abandoned = `tools-1.gantry.json.${gone}.tmp`
    const running = `elsewhere-9.gantry.json.${process.pid}.tmp`
    const other = `notes.${gone}.tmp`
    for (const name of [abandoned, running, other]) writeFileSync(join(folder, name), 'half a bundle')
    expectExit(await build(repo), 0)
    const left = readdirSync(folder)
    expect(left).not.toContain(abandoned)
    expect(left).toContain(running)
    expect(left).toContain(other)
    expect(left.filter((f) => f.endsWith('.gantry.json')).length).toBeGreaterThan(0)
  })
})
