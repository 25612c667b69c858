import { describe, expect, test } from 'vitest'
import { type DashboardView, renderDashboard } from '../../src/core/render/dashboard.js'
import { renderGfm, visibleText } from '../support/gfm.js'

// A rollback waiting for approval removes what the newer version added: the dashboard says it is one, in the
// matrix and in the lists where people decide on it.
const view: DashboardView = {
  environments: [
    { name: 'dev', branch: 'env/dev', approvals: 0 },
    { name: 'qa', branch: 'env/qa', approvals: 1 },
    { name: 'prod', branch: 'env/prod', approvals: 2, timezone: 'America/New_York' },
  ],
  packages: [
    { name: 'billing', latest: '1.1', cells: { dev: { applied: '1', rollback: true }, qa: { applied: '1.1', waiting: { version: '1', status: 'ACCEPTED', number: 19, rollback: true } }, prod: { applied: '1.1', waiting: { version: '1', status: 'SCHEDULED', number: 20, rollback: true } } } },
    { name: 'reporting', latest: '1', cells: { dev: { applied: '1' }, qa: { waiting: { version: '1', status: 'ACCEPTED', number: 16 } } } },
  ],
  pending: [
    { package: 'billing', version: '1', environment: 'qa', number: 19, approvals: 0, required: 1, waitingFor: '1 more approval', rollback: true },
    { package: 'reporting', version: '1', environment: 'qa', number: 16, approvals: 0, required: 1, waitingFor: '1 more approval' },
  ],
  scheduled: [{ package: 'billing', version: '1', environment: 'prod', number: 20, next: '2026-12-01T05:00:00Z', reason: 'outside the windows', rollback: true }],
  rejections: [],
  drift: [],
  history: [],
  updatedAt: '2026-11-30T13:00:00.000Z',
}

describe('a rollback waiting on the dashboard', () => {
  test('an environment needing no approval is not shown as awaiting approval', () => {
    const html = renderGfm(
      renderDashboard({ ...view, pending: [{ package: 'housekeeping', version: '1', environment: 'dev', number: 9, approvals: 0, required: 0, waitingFor: '1 instruction to tick' }] }),
    )
    expect(visibleText(html)).toMatch(/#9\s*housekeeping 1\s*dev\s*none needed\s*1 instruction to tick/)
    expect(html).not.toContain('0/0')
  })

  test('marked in the matrix, in what waits for approval and in what is scheduled; others are not', () => {
    const html = renderGfm(renderDashboard(view))
    expect(html).toContain('<td>✅ 1.1 ⏳ ↩️ 1 #19</td>')
    expect(html).toContain('<td>✅ 1.1 🕒 ↩️ 1 #20</td>')
    expect(html).toContain('<td>⏳ 1 #16</td>')
    const text = visibleText(html)
    expect(text).toMatch(/#19\s*billing 1 ↩️ rollback\s*qa/)
    expect(text).toMatch(/#16\s*reporting 1\s*qa/)
    expect(html).toContain('<h3>Waiting for approval or instructions (2)</h3>')
    expect(text).toMatch(/#20\s*billing 1 ↩️ rollback\s*prod\s*2026-12-01 00:00 America\/New_York/)
  })
})
