import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { openRepository } from '../../src/commands/repository.js'
import {
  type Bundle,
  bundleContent,
  bundleForFindings,
  bundleHasItem,
  bundleItemEntries,
  referenceCountOf,
  referenceTargetOf,
  serializeBundle,
} from '../../src/core/bundle/bundle.js'
import { packageContents } from '../../src/core/model/package-contents.js'
import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import type { ItemId } from '../../src/core/names.js'
import { addItemsNeededForPlan, itemsNeededForPlan } from '../../src/core/promotion/plan-promotion.js'
import { definition, makeSourceRepo, packageFile } from '../engine/fixture.js'
import { commitFiles, tempDir } from '../engine/helpers.js'

/**
 * The findings of validate --env read a findings bundle's items through bundleItemEntries, bundleHasItem and
 * the reference accessors, and gather the ids every plan needs into one set: each must answer what the
 * bundle read back from its bytes answers through its records and references.
 */

const temp = tempDir('gantry-findings-bundle-')
afterAll(() => temp.cleanup())

/** Bundles of every package of a repository with replacements and overrides: the full one and the findings one. */
async function bundles(): Promise<{ name: string; full: Bundle; findings: Bundle }[]> {
  const repo = join(temp.dir, 'repo')
  makeSourceRepo(repo)
  commitFiles(repo, {
    ...definition('task', 'a', { command: 'a.sh', conn: 'db', successors: ['b', 'cleanup'] }),
    ...definition('task', 'b', { command: 'b.sh', successors: ['a'] }),
    ...definition('conn', 'db-qa', { host: 'db.qa.example.com', credential: 'db-qa' }),
    ...packageFile({
      name: 'flow',
      items: ['task/a', 'task/b', 'conn/db-qa'],
      includeReferences: true,
      environments: {
        dev: { replace: { 'conn/db': 'conn/db-qa', 'task/cleanup': 'task/gone' }, set: { 'task/b': { 'spec.command': 'b-dev.sh' } } },
        qa: {},
      },
    }),
  })
  const repository = await openRepository(repo)
  const cache = new Map()
  return [...repository.model.packages.values()].map((pkg) => {
    const contents = packageContents(repository.model, pkg, cache)
    const serialized = serializeBundle(bundleContent(pkg.manifest, contents), '1', { previous: null, added: [], changed: [], removed: [] }, true)
    return { name: pkg.name, full: JSON.parse(serialized.bytes) as Bundle, findings: bundleForFindings(pkg.manifest, contents, '1') }
  })
}

describe('findings bundles', () => {
  test('their items, ids and reference targets are those of the bundle read back from its bytes', async () => {
    const all = await bundles()
    expect(all.map((b) => b.name)).toContain('flow')
    for (const { full, findings } of all) {
      const entries = bundleItemEntries(findings)
      expect(entries.map(([id]) => id)).toEqual(Object.keys(full.items))
      expect(bundleItemEntries(full).map(([id]) => id)).toEqual(Object.keys(full.items))
      for (const [id, item] of entries) {
        const targets = Array.from({ length: referenceCountOf(item) }, (_, i) => referenceTargetOf(item, i))
        expect(targets).toEqual(full.items[id]!.references.map((r) => r.target))
        expect(targets).toEqual(item.references.map((r) => r.target))
        expect(bundleHasItem(findings, id)).toBe(true)
      }
      expect(bundleHasItem(findings, 'task/none' as ItemId)).toBe(false)
      expect(bundleHasItem(full, 'task/none' as ItemId)).toBe(false)
      // The record, when asked for, holds the same items in the same order.
      expect(Object.keys(findings.items)).toEqual(Object.keys(full.items))
    }
  })

  test('the ids gathered for every plan are each plan own ids, with replacements and ledgers', async () => {
    const all = await bundles()
    const flow = all.find((b) => b.name === 'flow')!
    const ledger = { items: { 'task/old': 'sha256:0', 'task/a': 'sha256:1' } } as unknown as EnvironmentLedger
    for (const environment of ['dev', 'qa', 'prod']) {
      for (const owned of [undefined, ledger]) {
        for (const { full, findings } of all) {
          const expected = itemsNeededForPlan(full, environment, owned)
          const gathered = new Set<ItemId>()
          addItemsNeededForPlan(findings, environment, owned, gathered)
          expect([...gathered].sort()).toEqual(expected)
        }
      }
    }
    // The replacements of dev count: what replaces a reference is needed there only.
    expect(itemsNeededForPlan(flow.findings, 'dev', undefined)).toContain('task/gone')
    expect(itemsNeededForPlan(flow.findings, 'qa', undefined)).not.toContain('task/gone')
  })
})
