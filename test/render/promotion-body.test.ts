import { describe, expect, test } from 'vitest'
import { BODY_LIMIT, instructionsToTick, readPromotionMarker, renderPromotionBody } from '../../src/core/render/promotion-body.js'
import { parseInstructionChecklist } from '../../src/core/promotion/approvals.js'
import type { PlannedChange } from '../../src/core/promotion/plan-promotion.js'
import { hrefs, liveMentions, renderGfm, visibleText } from '../support/gfm.js'
import { billingChanges, bundle, environment, marker, plan } from './fixtures.js'

const prod = environment('prod', { approvals: 2, reviewers: ['alice', '@acme/ops'], timezone: 'America/New_York', freezes: [{ from: '2026-12-20', to: '2027-01-03', reason: 'holidays @everyone' }] })

describe('the promotion pull request body', () => {
  test('the plan: counts on top, deletions first, overrides and changed fields with old and new, keeps folded', () => {
    const body = renderPromotionBody({ marker: marker('billing', 'prod'), bundle: bundle('billing'), plan: plan('billing', 'prod', billingChanges()), environment: prod })
    const html = renderGfm(body)
    const text = visibleText(html)
    expect(text).toContain('1 deleted · 2 added · 1 updated · 2 kept')
    const order = ['credential/old-key', 'connection/billing-api', 'task/report', 'task/nightly-export'].map((item) => text.indexOf(item))
    expect(order).toEqual([...order].sort((a, b) => a - b))
    expect(text).toContain('spec.url = https://billing.example/api (set by prod)')
    expect(text).toContain('spec.value = 7 (set by prod)')
    expect(text).toContain('spec.connection: connection/db-dev replaced by connection/db-prod in prod')
    expect(text).toContain('spec.schedule: 0 2 * * * → 0 3 * * *')
    expect(html).toMatch(/<details><summary>2 items kept as they are<\/summary>\s*<p><code>agent\/linux<\/code>, <code>credential\/db-reader<\/code><\/p>/)
    // Keeps are not table rows.
    expect((html.match(/<tr>/g) ?? []).length).toBe(5)
  })

  test('long values are folded', () => {
    const long = 'x'.repeat(500)
    const changes: PlannedChange[] = [{ item: 'task/a', action: 'update', file: 'f', fields: [{ path: 'spec.script', from: long, to: `${long}y` }] }]
    const html = renderGfm(renderPromotionBody({ marker: marker('jobs', 'qa'), bundle: bundle('jobs'), plan: plan('jobs', 'qa', changes), environment: environment('qa') }))
    expect(html).toContain('<details><summary><code>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…</code> (500 characters)</summary>')
  })

  test('times in the environment’s zone, one format; provenance linked; no mention anywhere', () => {
    const body = renderPromotionBody({
      marker: marker('billing', 'prod', { releaseAt: '2026-12-01T05:00:00.000Z', requestedBy: '@alice via workflow_dispatch' }),
      bundle: bundle('billing', { notes: 'Adds the [export](https://example.com/billing_export?a=1&b=2) for @finance, see `cfg_v2`.' }),
      plan: plan('billing', 'prod', billingChanges()),
      environment: prod,
      provenance: { pullRequests: [{ number: 12, title: 'Add export for @bob' }, { number: 15 }], releaseUrl: 'https://github.com/acme/defs/releases/tag/billing%402', compareUrl: 'https://github.com/acme/defs/compare/billing@1...billing@2' },
      now: new Date('2026-11-30T00:00:00Z'),
    })
    const html = renderGfm(body)
    const text = visibleText(html)
    expect(text).toContain('release date: 2026-12-01 00:00 America/New_York (not yet: it waits until then)')
    expect(text).toContain('frozen 2026-12-20 to 2027-01-03 (America/New_York): holidays @everyone')
    expect(text).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}Z/)
    expect(hrefs(html)).toEqual(expect.arrayContaining(['https://example.com/billing_export?a=1&b=2', 'https://github.com/acme/defs/releases/tag/billing%402', 'https://github.com/acme/defs/compare/billing@1...billing@2']))
    expect(text).toContain('source pull requests: #12 Add export for @bob; #15')
    expect(text).toContain('requested by: @alice via workflow_dispatch')
    expect(html).toContain('<code>cfg_v2</code>')
    expect(liveMentions(html)).toEqual([])
    expect(readPromotionMarker(body)?.releaseAt).toBe('2026-12-01T05:00:00.000Z')
  })

  test('a rollback is marked and asks only the instructions its author marked for rollbacks', () => {
    const b = bundle('billing', {
      instructions: [
        { step: 'Back up the price lists', when: 'before' },
        { step: 'Drain the export queue', when: 'before', rollback: true },
        { step: 'Check the dashboard', when: 'after' },
      ],
    })
    expect(instructionsToTick(b, false)).toEqual(['Back up the price lists', 'Drain the export queue'])
    expect(instructionsToTick(b, true)).toEqual(['Drain the export queue'])
    const body = renderPromotionBody({ marker: marker('billing', 'prod', { rollback: true, from: '3', version: '2' }), bundle: b, plan: plan('billing', 'prod', billingChanges(), { rollback: true }), environment: prod })
    const text = visibleText(renderGfm(body))
    expect(text).toContain('Rollback from 3 to 2')
    expect(text).toContain('(a rollback)')
    expect(body).toContain('- [ ] Drain the export queue')
    expect(body).not.toContain('- [ ] Back up the price lists')
    expect(text).toContain('not asked again for a rollback')
    expect(parseInstructionChecklist(body.replace('- [ ] Drain', '- [x] Drain'), instructionsToTick(b, true))).toEqual([{ step: 'Drain the export queue', ticked: true }])
  })

  test('environments needing no approval say so', () => {
    const body = renderPromotionBody({ marker: marker('jobs', 'dev'), bundle: bundle('jobs'), plan: plan('jobs', 'dev', []), environment: environment('dev') })
    expect(body).toContain('approvals: none needed')
    expect(body).toContain('_No item changes._')
  })

  test('a package of 3,000 items stays under GitHub’s 65,536 characters and links the full plan', () => {
    const changes: PlannedChange[] = Array.from({ length: 3000 }, (_, i) => ({
      item: `task/job-${String(i).padStart(4, '0')}`,
      action: i % 3 === 0 ? 'add' : i % 3 === 1 ? 'update' : 'delete',
      file: `definitions/task/job-${i}.yaml`,
      fields: i % 3 === 1 ? [{ path: 'spec.command', from: `run ${i} --old`, to: `run ${i} --new` }] : undefined,
      overrides: i % 3 === 0 ? [{ path: 'spec.host', kind: 'set', to: `host-${i}.prod.example` }] : undefined,
    }))
    const body = renderPromotionBody({ marker: marker('big', 'prod'), bundle: bundle('big', { notes: 'n'.repeat(5000) }), plan: plan('big', 'prod', changes), environment: prod, fullPlanUrl: 'https://github.com/acme/defs/actions/runs/42' })
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT - 4096)
    expect(body.length).toBeGreaterThan(BODY_LIMIT / 2)
    const html = renderGfm(body)
    expect(hrefs(html)).toContain('https://github.com/acme/defs/actions/runs/42')
    expect(visibleText(html)).toMatch(/This body shows \d+ of 3000 changes/)
    // Deletions come first even when cut.
    expect(visibleText(html)).toContain('task/job-0002')
    expect(body).toContain('### When it applies')
    expect(readPromotionMarker(body)?.package).toBe('big')
  })
})
