import type { Bundle } from '../../src/core/bundle/bundle.js'
import type { Environment } from '../../src/core/model/source-model.js'
import type { PlannedChange, PromotionPlan } from '../../src/core/promotion/plan-promotion.js'
import type { PromotionMarker } from '../../src/core/promotion/promotion-request.js'

/**
 * Plans as the planner produces them (rows with `overrides` and `fields`, deletions first): built by hand so
 * these rendering tests do not depend on a repository.
 */
export function plan(pkg: string, environment: string, changes: PlannedChange[], extra: Partial<PromotionPlan> = {}): PromotionPlan {
  return {
    ok: true,
    package: pkg,
    version: '2',
    environment,
    branch: `env/${environment}`,
    rollback: false,
    previousVersion: '1',
    changes,
    counts: {
      add: changes.filter((c) => c.action === 'add').length,
      update: changes.filter((c) => c.action === 'update').length,
      delete: changes.filter((c) => c.action === 'delete').length,
      keep: changes.filter((c) => c.action === 'keep').length,
    },
    diagnostics: [],
    writes: new Map(),
    ledger: { package: pkg, version: '2', digest: 'sha256:0', items: {} } as unknown as PromotionPlan['ledger'],
    ...extra,
  }
}

export function bundle(pkg: string, extra: Partial<Bundle> = {}): Bundle {
  return {
    format: 'gantry.bundle/v1',
    package: pkg,
    version: '2',
    locked: false,
    install: 'overwrite',
    includeReferences: false,
    dependencies: [],
    instructions: [],
    environments: {},
    items: {},
    delta: { previous: '1', added: [], changed: [], removed: [] },
    ...extra,
  } as Bundle
}

export function environment(name: string, extra: Partial<Environment> = {}): Environment {
  return { name, branch: `env/${name}`, ...extra } as Environment
}

export function marker(pkg: string, env: string, extra: Partial<PromotionMarker> = {}): PromotionMarker {
  return { package: pkg, version: '2', environment: env, digest: 'sha256:abc', from: '1', rollback: false, releaseAt: null, requestedBy: 'tag billing@2', ...extra }
}

/** The billing example: prod overrides the API's url and value; one field changes; one item leaves. */
export function billingChanges(): PlannedChange[] {
  return [
    { item: 'task/nightly-export', action: 'update', file: 'definitions/task/nightly-export.yaml', fields: [{ path: 'spec.schedule', from: '0 2 * * *', to: '0 3 * * *' }] },
    { item: 'connection/billing-api', action: 'add', file: 'definitions/connection/billing-api.yaml', overrides: [{ path: 'spec.url', kind: 'set', from: 'https://billing.dev.example/api', to: 'https://billing.example/api' }, { path: 'spec.value', kind: 'set', from: 3, to: 7 }] },
    { item: 'credential/old-key', action: 'delete', file: 'definitions/credential/old-key.yaml' },
    { item: 'credential/db-reader', action: 'keep', file: 'definitions/credential/db-reader.yaml' },
    { item: 'agent/linux', action: 'keep', file: 'definitions/agent/linux.yaml' },
    { item: 'task/report', action: 'add', file: 'definitions/task/report.yaml', overrides: [{ path: 'spec.connection', kind: 'replace', from: 'connection/db-dev', to: 'connection/db-prod' }], replaced: { 'connection/db-dev': 'connection/db-prod' } },
  ]
}
