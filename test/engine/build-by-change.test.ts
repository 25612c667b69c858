import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse, stringify } from 'yaml'
import { generateRepository, writeRepository } from '../../bench/generate-repository.js'
import { buildPackages } from '../../src/commands/build.js'
import { deltaBetween } from '../../src/core/bundle/bundle.js'
import { sha256 } from '../../src/core/bundle/canonical-json.js'
import { commitFiles, git, tagDigest, tags, tempDir } from './helpers.js'

/**
 * Building named packages reads only them and what they need from git; building --all reads the whole
 * repository. Both must make the same bundles, byte for byte, through changes of definitions, of items
 * pulled in by includeReferences, of a kind schema and of package manifests.
 */

const temp = tempDir('gantry-build-by-change-')
afterAll(() => temp.cleanup())

type BundleFile = { version: string; items: Record<string, { digest: string; origin: string }>; delta: { previous: string | null } }

const buildFolder = (repo: string) => join(repo, '.gantry/build')
const bundles = (repo: string): Map<string, Buffer> =>
  new Map(readdirSync(buildFolder(repo)).sort().map((file) => [file, readFileSync(join(buildFolder(repo), file))]))
const readBundle = (repo: string, file: string) => JSON.parse(readFileSync(join(buildFolder(repo), file), 'utf8')) as BundleFile

describe('builds by what changed', () => {
  const origin = join(temp.dir, 'origin')
  const whole = join(temp.dir, 'whole')
  const scoped = join(temp.dir, 'scoped')
  let packages: string[] = []
  let included: { pkg: string; item: string } | undefined

  /** Each clone takes origin's new commit; the tags stay each clone's own. */
  const pull = () => {
    for (const clone of [whole, scoped]) {
      git(clone, ['fetch', '-q', 'origin', 'main'])
      git(clone, ['reset', '-q', '--hard', 'FETCH_HEAD'])
    }
  }
  const definitionFile = (id: string) => `definitions/${id}.yaml`
  const changeDescription = (id: string, text: string): Record<string, string> => {
    const doc = parse(readFileSync(join(origin, definitionFile(id)), 'utf8')) as Record<string, unknown>
    return { [definitionFile(id)]: stringify({ ...doc, description: text }) }
  }

  /** --all in one clone; in the other each package named on its own, then all the named ones at once. */
  const buildBoth = async () => {
    const all = await buildPackages({ repo: whole, packages: [], all: true, debug: false })
    expect(all.diagnostics).toEqual([])
    for (const pkg of packages) {
      const one = await buildPackages({ repo: scoped, packages: [pkg], all: false, debug: false })
      expect(one.diagnostics).toEqual([])
    }
    const again = await buildPackages({ repo: scoped, packages, all: false, debug: false })
    expect(again.artifacts.every((a) => !a.created)).toBe(true)
    return all
  }

  const expectSame = () => {
    expect(tags(scoped)).toEqual(tags(whole))
    for (const tag of tags(whole)) expect(tagDigest(scoped, tag), tag).toBe(tagDigest(whole, tag))
    const a = bundles(whole)
    const b = bundles(scoped)
    expect([...b.keys()]).toEqual([...a.keys()])
    for (const [file, bytes] of a) expect(b.get(file)!.equals(bytes), file).toBe(true)
    // Each delta is the difference of the items of the two bundles, computed here from their files.
    for (const file of a.keys()) {
      const bundle = readBundle(whole, file)
      const pkg = file.slice(0, file.length - `-${bundle.version}.gantry.json`.length)
      const before = bundle.delta.previous ? readBundle(whole, `${pkg}-${bundle.delta.previous}.gantry.json`).items : undefined
      expect(bundle.delta, file).toEqual(deltaBetween(bundle.delta.previous, before, bundle.items))
      expect(sha256(a.get(file)!), file).toBe(tagDigest(whole, `${pkg}@${bundle.version}`))
    }
  }

  beforeAll(() => {
    const generated = generateRepository({ definitions: 240, packages: 12, references: 700, seed: 'by-change' })
    writeRepository(generated.files, origin, { commit: true })
    packages = generated.packages.map((p) => p.name).sort()
    for (const clone of [whole, scoped]) git(temp.dir, ['clone', '-q', origin, clone])
  })

  test('named packages and --all make the same bundles and tags at the first release', async () => {
    await buildBoth()
    expectSame()
    // The generated repository has what the comparison is about: dependencies and included references.
    for (const pkg of packages) {
      const bundle = readBundle(whole, `${pkg}-1.gantry.json`)
      const item = Object.entries(bundle.items).find(([, i]) => i.origin === 'included')?.[0]
      if (item) included = { pkg, item }
    }
    expect(included).toBeDefined()
  })

  test('a changed definition, and a changed item pulled in by includeReferences, make new versions the same way', async () => {
    const declared = readBundle(whole, `${packages[0]}-1.gantry.json`)
    const first = Object.entries(declared.items).find(([, i]) => i.origin === 'declared')![0]
    commitFiles(origin, { ...changeDescription(first, 'Changed.'), ...changeDescription(included!.item, 'Changed too.') })
    pull()
    const all = await buildBoth()
    expectSame()
    const created = all.artifacts.filter((a) => a.created).map((a) => a.package)
    expect(created).toContain(packages[0])
    expect(created).toContain(included!.pkg)
    const next = all.artifacts.find((a) => a.package === included!.pkg)!
    expect(next.delta.changed).toContain(included!.item)
  })

  test('a kind schema that no longer marks a reference changes the bundles of the items of that kind', async () => {
    const file = 'kinds/task.schema.json'
    const schema = JSON.parse(readFileSync(join(origin, file), 'utf8')) as unknown
    // Every reference of a task to a connection becomes a plain string.
    const strip = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(strip)
      if (!node || typeof node !== 'object') return node
      const out: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(node)) if (!(key === 'x-gantry-ref' && value === 'connection')) out[key] = strip(value)
      return out
    }
    commitFiles(origin, { [file]: `${JSON.stringify(strip(schema), null, 2)}\n` })
    pull()
    const before = tags(whole).length
    const all = await buildBoth()
    expectSame()
    expect(tags(whole).length).toBeGreaterThan(before)
    expect(all.artifacts.some((a) => a.created)).toBe(true)
  })

  test('a manifest that drops an item no other item refers to is built the same way', async () => {
    const pkg = packages[packages.length - 1]!
    const latest = tags(whole).filter((t) => t.startsWith(`${pkg}@`)).map((t) => t.slice(pkg.length + 1)).sort().pop()!
    const items = (JSON.parse(readFileSync(join(buildFolder(whole), `${pkg}-${latest}.gantry.json`), 'utf8')) as {
      items: Record<string, { origin: string; references: { target: string }[] }>
    }).items
    const targets = new Set(Object.values(items).flatMap((i) => i.references.map((r) => r.target)))
    const dropped = Object.keys(items).find((id) => items[id]!.origin === 'declared' && !targets.has(id))!
    const manifest = parse(readFileSync(join(origin, `packages/${pkg}.yaml`), 'utf8')) as { items: string[] }
    commitFiles(origin, {
      [`packages/${pkg}.yaml`]: stringify({ ...manifest, items: manifest.items.filter((i) => i !== dropped) }),
    })
    pull()
    const all = await buildBoth()
    expectSame()
    expect(all.artifacts.find((a) => a.package === pkg)?.delta.removed).toContain(dropped)
  })
})

describe('builds by what changed: gantry.yaml', () => {
  const origin = join(temp.dir, 'moved-origin')
  const whole = join(temp.dir, 'moved-whole')
  const scoped = join(temp.dir, 'moved-scoped')

  test('a gantry.yaml that moves the definitions is read at each release: deltas and bundles stay the same both ways', async () => {
    const generated = generateRepository({ definitions: 80, packages: 4, references: 200, seed: 'moved' })
    writeRepository(generated.files, origin, { commit: true })
    const packages = generated.packages.map((p) => p.name).sort()
    for (const clone of [whole, scoped]) git(temp.dir, ['clone', '-q', origin, clone])
    const buildBoth = async () => {
      expect((await buildPackages({ repo: whole, packages: [], all: true, debug: false })).diagnostics).toEqual([])
      for (const pkg of packages) expect((await buildPackages({ repo: scoped, packages: [pkg], all: false, debug: false })).diagnostics).toEqual([])
    }
    await buildBoth()
    // The definitions move to defs/, gantry.yaml says so, and one item of the first package changes.
    git(origin, ['mv', 'definitions', 'defs'])
    const manifest = parse(readFileSync(join(origin, `packages/${packages[0]}.yaml`), 'utf8')) as { items: string[] }
    const item = `defs/${manifest.items[0]}.yaml`
    const config = parse(readFileSync(join(origin, 'gantry.yaml'), 'utf8')) as Record<string, unknown>
    commitFiles(origin, {
      'gantry.yaml': stringify({ ...config, paths: { definitions: 'defs' } }),
      [item]: stringify({ ...(parse(readFileSync(join(origin, item), 'utf8')) as object), description: 'Moved and changed.' }),
    })
    for (const clone of [whole, scoped]) {
      git(clone, ['fetch', '-q', 'origin', 'main'])
      git(clone, ['reset', '-q', '--hard', 'FETCH_HEAD'])
    }
    await buildBoth()
    expect(tags(scoped)).toEqual(tags(whole))
    const a = bundles(whole)
    const b = bundles(scoped)
    expect([...b.keys()]).toEqual([...a.keys()])
    for (const [file, bytes] of a) expect(b.get(file)!.equals(bytes), file).toBe(true)
    const next = readBundle(whole, `${packages[0]}-1.1.gantry.json`)
    expect(next.delta).toEqual(deltaBetween('1', readBundle(whole, `${packages[0]}-1.gantry.json`).items, next.items))
    expect((next.delta as unknown as { changed: string[] }).changed).toEqual([manifest.items[0]])
  })
})

describe('what a named build reads', () => {
  const repo = join(temp.dir, 'unrelated')

  beforeAll(() => {
    const generated = generateRepository({ definitions: 60, packages: 3, references: 120, seed: 'unrelated' })
    writeRepository(generated.files, repo, { commit: true })
  })

  test('a broken file no package of the build needs does not stop it; --all and a package that needs it are refused', async () => {
    const packages = readdirSync(join(repo, 'packages')).map((f) => f.replace(/\.yaml$/, '')).sort()
    commitFiles(repo, { 'definitions/task/stray.yaml': 'kind: task\nname: stray\nspec: [unclosed\n' })
    const named = await buildPackages({ repo, packages: [packages[0]!], all: false, debug: false })
    expect(named.diagnostics).toEqual([])
    expect(named.ok).toBe(true)
    const all = await buildPackages({ repo, packages: [], all: true, debug: false })
    expect(all.ok).toBe(false)
    expect(all.diagnostics.map((d) => d.file)).toContain('definitions/task/stray.yaml')

    // Now the package names the broken item: the named build reads the whole repository and refuses it
    // with the findings of a whole-repository build.
    const manifestFile = join(repo, `packages/${packages[1]!}.yaml`)
    const manifest = parse(readFileSync(manifestFile, 'utf8')) as { items: string[] }
    writeFileSync(manifestFile, stringify({ ...manifest, items: [...manifest.items, 'task/stray'] }))
    commitFiles(repo, {})
    const needing = await buildPackages({ repo, packages: [packages[1]!], all: false, debug: false })
    expect(needing.ok).toBe(false)
    const whole = await buildPackages({ repo, packages: [packages[1]!], all: false, debug: true })
    expect(needing.diagnostics).toEqual(whole.diagnostics)
    expect(existsSync(join(repo, '.gantry/build', `${packages[1]!}-1.gantry.json`))).toBe(false)
  })
})
