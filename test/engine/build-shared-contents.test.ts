import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test, vi } from 'vitest'
import { buildPackages } from '../../src/commands/build.js'
import { definition, makeSourceRepo, packageFile } from './fixture.js'
import { commitFiles, tempDir } from './helpers.js'

// A build checks its packages (validatePackages), which works out what each holds, then makes their bundles
// from what each holds: worked out once per package for both, not once for the checks and again for the
// bundles. With a dependency cycle each package's view is still worked out alone (see buildPackages).

/**
 * Packages whose contents were asked for from outside and worked out, not found in the cache they were asked
 * with, in order (what a package's dependencies hold is worked out inside, unseen here).
 */
const workedOut: string[] = []
const twice = () => workedOut.filter((name, i) => workedOut.indexOf(name) !== i)

vi.mock('../../src/core/model/package-contents.js', async (original) => {
  const module = await original<typeof import('../../src/core/model/package-contents.js')>()
  return {
    ...module,
    packageContents: (...args: Parameters<typeof module.packageContents>) => {
      const [, pkg, cache] = args
      if (!cache?.has(pkg.name)) workedOut.push(pkg.name)
      return module.packageContents(...args)
    },
  }
})

const temp = tempDir('gantry-build-contents-')
afterAll(() => temp.cleanup())

describe('what each package holds', () => {
  test('is worked out once for the checks and the bundles of a build, and the bundles are the same', async () => {
    const repo = join(temp.dir, 'repo')
    makeSourceRepo(repo)
    commitFiles(repo, {
      ...definition('task', 'report', { command: 'report.sh', conn: 'db' }),
      ...packageFile({ name: 'reports', items: ['task/report'], dependencies: [{ package: 'app' }, { package: 'base' }] }),
    })
    workedOut.length = 0
    const result = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(result.diagnostics).toEqual([])
    const names = result.artifacts.map((a) => a.package).sort()
    expect(names).toEqual(['app', 'base', 'reports', 'tools'])
    expect(workedOut.length).toBeGreaterThan(0)
    expect(twice()).toEqual([])
    const folder = join(repo, '.gantry/build')
    const first = new Map(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')]))
    // Built again from a fresh checkout, with the contents of each package worked out once: the same bytes.
    rmSync(folder, { recursive: true })
    workedOut.length = 0
    const again = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(again.artifacts.every((a) => !a.created)).toBe(true)
    expect(workedOut.length).toBeGreaterThan(0)
    expect(twice()).toEqual([])
    expect(new Map(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')]))).toEqual(first)
  })
})
