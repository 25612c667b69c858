import { afterEach, describe, expect, test, vi } from 'vitest'
import { type BundleContent, bundleContent, contentDigest } from '../../src/core/bundle/bundle.js'
import { canonicalCompact, sha256 } from '../../src/core/bundle/canonical-json.js'
import type { PackageContents } from '../../src/core/model/package-contents.js'
import { ProvidedItems } from '../../src/core/model/package-contents.js'
import type { Definition, GantryPackage } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'

// The content digest is the sha256 of the content's canonical compact JSON. A build takes the items' part
// of that JSON from the documents' compact JSON made for their own digests, instead of serializing every
// document a second time: the digest must be the same, for any document.

afterEach(() => vi.restoreAllMocks())

function definitionOf(id: string, spec: Record<string, unknown>, references: { path: (string | number)[]; target: string }[] = []): Definition {
  const [kind, name] = id.split('/') as [string, string]
  return {
    id: id as ItemId,
    kind,
    name,
    file: `definitions/${id}.yaml`,
    document: { kind, name, spec, ...(spec.description ? { description: String(spec.description) } : {}) },
    references: references.map((r) => ({ ...r, target: r.target as ItemId, position: { line: 1, column: 1 } })),
  } as unknown as Definition
}

function contentOf(manifest: Partial<GantryPackage>, definitions: Definition[]): BundleContent {
  const items: PackageContents['items'] = new Map(definitions.map((d, i) => [d.id, { definition: d, origin: i % 2 ? 'included' : 'declared' }]))
  return bundleContent({ name: 'pkg', items: definitions.map((d) => d.id), ...manifest } as GantryPackage, { items, provided: new ProvidedItems([]), missing: [] })
}

const awkward: Definition[] = [
  // Keys that read as array indexes come first in JSON whatever the order they were made in.
  definitionOf('task/numbers', { 10: 'ten', 9: 'nine', a: 1, '01': 'zero-one', nested: { 2: [3, { 1: true, 0: null }], b: 1.5e300, c: -0 } }),
  definitionOf('task/text', { description: 'quotes " and \\ and \n newline', unicode: 'é ✓ 𝄞 \u2028', empty: '', list: [] }),
  definitionOf('conn/"odd"', { host: 'h', port: 5432, options: { z: 1, y: { x: [1, 2, { w: 'v' }] } } }, [{ path: ['spec', 'credential'], target: 'cred/db' }]),
  definitionOf('cred/db', { path: 'vault://kv/db', missing: undefined, alsoMissing: [undefined] }),
]

describe('the content digest', () => {
  test('is the sha256 of the canonical compact JSON of the content, without serializing the items again', () => {
    const manifests: Partial<GantryPackage>[] = [
      {},
      { description: 'd', notes: 'n\nmore', locked: true, install: 'overwrite', includeReferences: true },
      {
        dependencies: [{ package: 'base', version: '>=1' }],
        instructions: [{ step: 'do "it"', when: 'after', rollback: true }],
        environments: { qa: { replace: { 'cred/db': 'cred/db-qa' }, set: { 'conn/"odd"': { 'spec.port': 1, items: 0 } } } } as GantryPackage['environments'],
      },
    ]
    for (const manifest of manifests) {
      for (const definitions of [awkward, awkward.slice(1), []]) {
        const content = contentOf(manifest, definitions)
        const expected = sha256(canonicalCompact(content))
        const stringify = vi.spyOn(JSON, 'stringify')
        expect(contentDigest(content)).toBe(expected)
        // No call serialized the items record, or a copy of the content holding it.
        for (const [value] of stringify.mock.calls) {
          expect(value).not.toBe(content.items)
          expect((value as { items?: unknown } | null)?.items).not.toBe(content.items)
        }
        stringify.mockRestore()
        // Content not made by bundleContent (its items another record) is serialized whole, to the same digest.
        expect(contentDigest({ ...content, items: { ...content.items } })).toBe(expected)
      }
    }
  })
})
