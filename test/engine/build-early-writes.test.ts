import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { sha256 } from '../../src/core/bundle/canonical-json.js'
import { build, expectExit, makeSourceRepo } from './fixture.js'
import { git, tagDigest, tempDir } from './helpers.js'

const temp = tempDir('gantry-build-early-')
afterAll(() => temp.cleanup())

/** Re-tags `tag` with a digest no bundle has, its content digest kept: a rebuild of it is refused. */
function forge(repo: string, tag: string): void {
  const message = git(repo, ['tag', '-l', '--format=%(contents)', tag])
  const content = /^content: (sha256:[0-9a-f]{64})$/m.exec(message)![1]!
  git(repo, [
    'tag',
    '-f',
    '-a',
    tag,
    '-m',
    `${tag}\n\ndigest: sha256:${'0'.repeat(64)}\ncontent: ${content}\n`,
    `${tag}^{commit}`,
  ])
}

describe('bundles written as they are made', () => {
  test('a build refused after others were made leaves no file, no temporary file and no folder it made', async () => {
    const repo = join(temp.dir, 'refused')
    makeSourceRepo(repo)
    expectExit(await build(repo), 0)
    // tools sorts after app and base: their bundles are made, and written, before it is refused.
    forge(repo, 'tools@1')
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const refused = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(refused.ok).toBe(false)
    expect(refused.diagnostics.map((d) => [d.code, d.package])).toEqual([['digest-mismatch', 'tools']])
    expect(existsSync(join(repo, '.gantry'))).toBe(false)
    // A folder that was there stays, with what it held, and nothing else.
    mkdirSync(join(repo, '.gantry/build'), { recursive: true })
    writeFileSync(join(repo, '.gantry/build/notes.txt'), 'kept')
    const again = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(again.ok).toBe(false)
    expect(readdirSync(join(repo, '.gantry/build'))).toEqual(['notes.txt'])
  })

  test('their bytes are read back from their files when asked for, and refused once a file is changed', async () => {
    const repo = join(temp.dir, 'bytes')
    makeSourceRepo(repo)
    expectExit(await build(repo), 0)
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    const result = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(result.ok).toBe(true)
    expect(readdirSync(join(repo, '.gantry/build')).sort()).toEqual([
      'app-1.gantry.json',
      'base-1.gantry.json',
      'tools-1.gantry.json',
    ])
    for (const artifact of result.artifacts) {
      const file = join(repo, '.gantry/build', `${artifact.package}-${artifact.version}.gantry.json`)
      expect(artifact.bytes).toBe(readFileSync(file, 'utf8'))
      expect(sha256(artifact.bytes)).toBe(tagDigest(repo, artifact.tag!))
    }
    // Asked for the first time after its file was changed: refused, not the changed bytes.
    const fresh = await buildPackages({ repo, packages: ['tools'], all: false, debug: true })
    const debugFile = join(repo, '.gantry/build', 'tools-1-debug.gantry.json')
    writeFileSync(debugFile, readFileSync(debugFile, 'utf8').replace('vault://kv/tools', 'vault://kv/evil'))
    expect(() => fresh.artifacts[0]!.bytes).toThrow(/changed after the build wrote it/)
  })

  test('a link or a file left where a temporary file goes is replaced, never followed or written through', async () => {
    const repo = join(temp.dir, 'left')
    makeSourceRepo(repo)
    expectExit(await build(repo), 0)
    rmSync(join(repo, '.gantry'), { recursive: true, force: true })
    mkdirSync(join(repo, '.gantry/build'), { recursive: true })
    // The temporary names this process writes (`<bundle>.<pid>.tmp`): one a link to a file outside, one a
    // file left by an earlier process that had the same id.
    const outside = join(temp.dir, 'outside.txt')
    writeFileSync(outside, 'untouched')
    symlinkSync(outside, join(repo, `.gantry/build/app-1.gantry.json.${process.pid}.tmp`))
    writeFileSync(join(repo, `.gantry/build/base-1.gantry.json.${process.pid}.tmp`), 'left over')
    const result = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(result.ok).toBe(true)
    expect(readFileSync(outside, 'utf8')).toBe('untouched')
    expect(readdirSync(join(repo, '.gantry/build')).sort()).toEqual(['app-1.gantry.json', 'base-1.gantry.json', 'tools-1.gantry.json'])
    for (const artifact of result.artifacts) {
      const file = join(repo, '.gantry/build', `${artifact.package}-${artifact.version}.gantry.json`)
      expect(lstatSync(file).isFile()).toBe(true)
      expect(sha256(readFileSync(file, 'utf8'))).toBe(tagDigest(repo, artifact.tag!))
    }
  })
})
