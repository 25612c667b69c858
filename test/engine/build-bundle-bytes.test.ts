import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { generateRepository, writeRepository } from '../../bench/generate-repository.js'
import { buildPackages } from '../../src/commands/build.js'
import { openRepository } from '../../src/commands/repository.js'
import { type BundleDelta, bundleContent, serializeBundle } from '../../src/core/bundle/bundle.js'
import { sha256 } from '../../src/core/bundle/canonical-json.js'
import { ProvidedItems } from '../../src/core/model/package-contents.js'
import type { PackageContents } from '../../src/core/model/package-contents.js'
import type { Definition, GantryPackage } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { referenceCompact, referenceJson } from '../support/reference-canonical-json.js'
import { commitFiles, exampleRepo, git, tempDir } from './helpers.js'

/**
 * A bundle's bytes are the canonical JSON of SPEC section 5: keys sorted at every level, two-space indented,
 * a newline at the end. Bundles put their items and references together in canonical order as they make
 * them rather than copying them into it: the bytes must be those of a canonical serializer written here
 * apart (keys that read as array indexes come first, as JSON.stringify writes any object), and hold every
 * document and reference as the model has it.
 */

const temp = tempDir('gantry-build-bytes-')
afterAll(() => temp.cleanup())

function definitionOf(
  id: string,
  spec: Record<string, unknown>,
  references: { path: (string | number)[]; target: string }[] = [],
): Definition {
  const [kind, name] = id.split('/') as [string, string]
  return {
    id: id as ItemId,
    kind,
    name,
    file: `definitions/${id}.yaml`,
    document: { spec, name, kind },
    references: references.map((r) => ({
      ...r,
      target: r.target as ItemId,
      position: { line: 1, column: 1 },
    })),
  } as unknown as Definition
}

const awkward: Definition[] = [
  definitionOf(
    'task/numbers',
    { 10: 'ten', 9: 'nine', b: 1, a: { 2: [3, { 1: true, 0: null, z: [] }], '01': 'x', c: -0, d: 1.5e300 } },
    [
      { path: ['spec', 'a', 2, 1, 'z'], target: 'cred/db' },
      { path: ['spec', 'b'], target: 'conn/"odd"' },
    ],
  ),
  definitionOf('task/text', {
    description: 'quotes " and \\ and \n newline',
    unicode: 'é ✓ 𝄞 \u2028',
    empty: '',
    list: [],
    object: {},
  }),
  definitionOf(
    'conn/"odd"',
    { port: 5432, host: 'h', options: { z: 1, y: { x: [1, 2, { w: 'v', a: [{}] }] } } },
    [{ path: ['spec', 'options', 'y', 'x', 2, 'w'], target: 'cred/db' }],
  ),
  definitionOf('cred/db', { path: 'vault://kv/db', missing: undefined }),
  // Keys by UTF-16 code unit (an astral character's surrogates before U+FFFF), few and many in one object.
  definitionOf('task/keys', {
    few: { '\uFFFF': 1, '😀': 2, é: 3, E: 4, e: 5, 'a b': 6, a: 7, '': 8 },
    many: Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`k${(97 * i) % 40}${'\u00e9'.repeat(i % 3)}`, i]),
    ),
  }),
]

describe('bundle bytes', () => {
  test('are the canonical JSON of the bundle, each item with its document, digest and references', () => {
    for (const definitions of [awkward, awkward.slice(2), []]) {
      const items: PackageContents['items'] = new Map(
        definitions.map((d, i) => [d.id, { definition: d, origin: i % 2 ? 'included' : 'declared' }]),
      )
      const manifest = {
        name: 'pkg',
        description: 'd',
        items: definitions.map((d) => d.id),
        environments: { qa: { replace: { 'cred/db': 'cred/db-qa' } } },
      } as unknown as GantryPackage
      const content = bundleContent(manifest, { items, provided: new ProvidedItems([]), missing: [] })
      const delta: BundleDelta = { previous: '1.0', added: ['task/text'], changed: [], removed: ['x/y'] }
      const { bytes, digest } = serializeBundle(content, '1.1', delta)
      const expectedItems = Object.fromEntries(
        definitions.map((d, i) => [
          d.id,
          {
            digest: sha256(referenceCompact(d.document)),
            document: d.document,
            origin: i % 2 ? 'included' : 'declared',
            references: d.references.map((r) => ({ path: r.path, target: r.target })),
          },
        ]),
      )
      const expectedContent = {
        package: 'pkg',
        description: 'd',
        locked: false,
        install: 'merge',
        includeReferences: false,
        dependencies: [],
        instructions: [],
        environments: manifest.environments,
        items: expectedItems,
      }
      const expected = {
        format: 'gantry.bundle/v1',
        ...expectedContent,
        version: '1.1',
        contentDigest: sha256(referenceCompact(expectedContent)),
        debug: false,
        delta,
      }
      expect(bytes).toBe(referenceJson(expected))
      expect(digest).toBe(sha256(referenceJson(expected)))
    }
  })

  test('take each reference as the model holds it, in canonical order already, without copying it', () => {
    const definition = awkward[0]!
    const references = definition.references
    Object.defineProperty(definition, 'references', { get: () => references, configurable: true })
    const content = bundleContent({ name: 'pkg', items: [definition.id] } as unknown as GantryPackage, {
      items: new Map([[definition.id, { definition, origin: 'declared' }]]),
      provided: new ProvidedItems([]),
      missing: [],
    })
    const made = content.items[definition.id]!.references
    expect(made.map((r) => Object.keys(r))).toEqual([
      ['path', 'target'],
      ['path', 'target'],
    ])
    expect(made[0]!.path).toBe(references[0]!.path)
  })

  test.each([
    [
      'a generated repository',
      (dir: string) =>
        writeRepository(
          generateRepository({ definitions: 300, packages: 12, references: 1500, seed: 'bytes' }).files,
          dir,
          { commit: true },
        ),
    ],
    ['examples/scheduler', (dir: string) => exampleRepo('scheduler', dir)],
  ])('of %s: every bundle canonical, its items the model documents', async (_, make) => {
    const dir = join(temp.dir, _.replace(/\W+/g, '-'))
    make(dir)
    if (!existsSync(join(dir, '.git'))) {
      git(dir, ['init', '-q', '-b', 'main'])
      commitFiles(dir, {}, 'initial')
    }
    const result = await buildPackages({ repo: dir, packages: [], all: true, debug: false })
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    const repository = await openRepository(dir, { commit: 'HEAD', keepDocuments: true })
    const folder = join(dir, '.gantry/build')
    const files = readdirSync(folder)
    expect(files.length).toBe(repository.model.packages.size)
    for (const file of files) {
      const bytes = readFileSync(join(folder, file), 'utf8')
      const bundle = JSON.parse(bytes) as {
        items: Record<string, { digest: string; document: unknown; references: unknown }>
      }
      expect(bytes).toBe(referenceJson(bundle))
      for (const [id, item] of Object.entries(bundle.items)) {
        const definition = repository.model.definitions.get(id as ItemId)!
        expect(item.document).toEqual(definition.document)
        expect(item.digest).toBe(sha256(referenceCompact(definition.document)))
        expect(item.references).toEqual(
          definition.references.map((r) => ({ path: r.path, target: r.target })),
        )
      }
    }
    // Built again from a fresh checkout (no build folder), nothing changed: the same bytes, no new tag.
    const before = new Map(files.map((f) => [f, readFileSync(join(folder, f), 'utf8')]))
    const tags = git(dir, ['tag', '--list'])
    git(dir, ['clean', '-qfdx'])
    const again = await buildPackages({ repo: dir, packages: [], all: true, debug: false })
    expect(again.ok).toBe(true)
    expect(again.artifacts.some((a) => a.created)).toBe(false)
    expect(new Map(readdirSync(folder).map((f) => [f, readFileSync(join(folder, f), 'utf8')]))).toEqual(
      before,
    )
    expect(git(dir, ['tag', '--list'])).toBe(tags)
  })
})
