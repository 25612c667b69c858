import { describe, expect, test } from 'vitest'
import { markBlocked } from '../../src/action/promotion/dashboard.js'
import type { DashboardView } from '../../src/core/render/dashboard.js'

const view = (packages: DashboardView['packages']): DashboardView => ({
  environments: ['dev', 'qa', 'prod'].map((name) => ({ name, branch: `env/${name}`, approvals: 0 })),
  packages,
  pending: [],
  scheduled: [],
  rejections: [],
  drift: [],
  updatedAt: '2026-11-30T00:00:00Z',
})

describe('blocked promotions on the dashboard', () => {
  test('the next environment of a package whose dependency is missing there is blocked, naming the dependency', () => {
    const v = view([
      { name: 'billing', latest: '2', cells: { dev: { applied: '2' } } },
      { name: 'reporting', latest: '1', cells: { dev: { applied: '1' } } },
      { name: 'base', latest: '1', cells: { dev: { applied: '1' }, qa: { applied: '1' } } },
    ])
    const manifests = new Map([
      ['reporting', { manifest: { dependencies: [{ package: 'billing', version: '>=2' }, { package: 'base' }] } }],
      ['billing', { manifest: { dependencies: [{ package: 'base', version: '>=1' }] } }],
    ])
    markBlocked(v, { model: { packages: manifests } })
    // reporting is next in qa, where billing is not applied; base is there. billing's own dependency is met in qa.
    expect(v.packages[1]!.cells.qa).toEqual({ blocked: { version: '1', missing: ['billing >=2'] } })
    expect(v.packages[0]!.cells.qa).toBeUndefined()
    // prod is not next for either: qa does not have them yet.
    expect(v.packages[1]!.cells.prod).toBeUndefined()
  })

  test('a version range not met counts as missing; a waiting promotion is not blocked', () => {
    const v = view([
      { name: 'billing', latest: '2', cells: { dev: { applied: '1' }, qa: { applied: '1' } } },
      { name: 'reporting', latest: '3', cells: { dev: { applied: '3' }, qa: { waiting: { version: '3', status: 'ACCEPTED', number: 4 } } } },
      { name: 'jobs', latest: '1', cells: {} },
    ])
    const manifests = new Map([
      ['reporting', { manifest: { dependencies: [{ package: 'billing', version: '>=2' }] } }],
      ['jobs', { manifest: { dependencies: [{ package: 'billing', version: '>=2' }] } }],
    ])
    markBlocked(v, { model: { packages: manifests } })
    expect(v.packages[1]!.cells.qa?.blocked).toBeUndefined()
    expect(v.packages[2]!.cells.dev).toEqual({ blocked: { version: '1', missing: ['billing >=2'] } })
  })
})
