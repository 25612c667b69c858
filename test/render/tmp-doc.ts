import { renderDashboard } from '../../src/core/render/dashboard.js'
console.log(renderDashboard({
  environments: [{ name: 'dev', branch: 'env/dev', approvals: 0 }, { name: 'qa', branch: 'env/qa', approvals: 1 }, { name: 'prod', branch: 'env/prod', approvals: 2 }],
  packages: [
    { name: 'billing', latest: '1.1', cells: { dev: { applied: '1.1' }, qa: { applied: '1.1' }, prod: { applied: '1', waiting: { version: '1.1', status: 'SCHEDULED', number: 18 } } } },
    { name: 'housekeeping', latest: '1', cells: { dev: { applied: '1' }, qa: { waiting: { version: '1', status: 'ACCEPTED', number: 14 } } } },
    { name: 'hr-payroll', latest: '1', cells: { dev: { applied: '1' }, qa: { ended: { version: '1', status: 'REJECTED', number: 15 } } } },
    { name: 'platform-base', latest: '1.2', cells: { dev: { applied: '1.2' }, qa: { applied: '1.2' }, prod: { applied: '1', rollback: true } } },
    { name: 'reporting', latest: '1', cells: { dev: { applied: '1' }, qa: { blocked: { version: '1', missing: ['billing >=1'] } } } },
  ],
  pending: [{ package: 'housekeeping', version: '1', environment: 'qa', number: 14, approvals: 0, required: 1, waitingFor: '1 more approval' }],
  scheduled: [{ package: 'billing', version: '1.1', environment: 'prod', number: 18, next: '2026-12-01T05:00:00.000Z', reason: 'release date 2026-12-01 00:00 America/New_York not reached' }],
  rejections: [{ package: 'hr-payroll', version: '1', environment: 'qa', number: 15, status: 'REJECTED', reason: 'The payroll calendar misses the January bank holiday' }],
  drift: [],
  history: [
    { at: '2026-11-25T05:10:00.000Z', package: 'platform-base', version: '1', environment: 'prod', event: 'ROLLED BACK', number: 19 },
    { at: '2026-11-25T04:00:00.000Z', package: 'hr-payroll', version: '1', environment: 'qa', event: 'REJECTED', number: 15 },
    { at: '2026-11-24T22:00:00.000Z', package: 'billing', version: '1.1', environment: 'qa', event: 'APPLIED', number: 13 },
  ],
  updatedAt: '2026-11-25T05:30:00.000Z',
}))
