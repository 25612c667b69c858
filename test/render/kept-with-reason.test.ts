import { describe, expect, test } from 'vitest'
import type { PlannedChange } from '../../src/core/promotion/plan-promotion.js'
import { renderPlanText } from '../../src/core/render/plan-text.js'
import { renderPromotionBody } from '../../src/core/render/promotion-body.js'
import { renderGfm, visibleText } from '../support/gfm.js'
import { bundle, environment, marker, plan } from './fixtures.js'

// Kept items are folded away, but some are kept because this version does not get its way with them: a reviewer
// must see those (an item the package dropped that stays, an item `add: never` does not add).
const changes: PlannedChange[] = [
  { item: 'task/new', action: 'add', file: 'f' },
  { item: 'agent/linux', action: 'keep', file: 'f' },
  { item: 'calendar/holidays', action: 'keep', file: 'f', note: 'kind policy add: never: not added' },
  { item: 'trigger/old_backfill', action: 'keep', file: 'f', note: 'install: merge keeps dropped items' },
]

describe('kept items with a reason', () => {
  test('the promotion body lists them one a line inside the fold, with the reason; the summary counts them', () => {
    const html = renderGfm(renderPromotionBody({ marker: marker('billing', 'qa'), bundle: bundle('billing'), plan: plan('billing', 'qa', changes), environment: environment('qa') }))
    expect(html).toContain('<summary>3 items kept as they are (2 with a reason)</summary>')
    const text = visibleText(html)
    expect(text).toContain('calendar/holidays: kind policy add: never: not added')
    expect(text).toContain('trigger/old_backfill: install: merge keeps dropped items')
    expect(html).toMatch(/<li><code>agent\/linux<\/code><\/li>/)
    // Still not table rows: one header and one add.
    expect((html.match(/<tr>/g) ?? []).length).toBe(2)
  })

  test('plan text lists them as rows with the reason and counts the rest', () => {
    const text = renderPlanText(plan('billing', 'qa', changes, { counts: { add: 1, update: 0, delete: 0, keep: 3 } }), [])
    expect(text).toMatch(/^=\s+calendar\/holidays\s+keep\s+kind policy add: never: not added$/m)
    expect(text).toMatch(/^=\s+trigger\/old_backfill\s+keep\s+install: merge keeps dropped items$/m)
    expect(text).not.toMatch(/agent\/linux/)
    expect(text).toContain('1 more item kept as it is (not listed)')
  })
})

describe('plan text of a rollback', () => {
  test('before-steps not marked for rollbacks are said to be done at the original rollout', () => {
    const instructions = [
      { step: 'Create the prefix', when: 'before' as const },
      { step: 'Stop the old export', when: 'before' as const, rollback: true as const },
      { step: 'Tell finance', when: 'after' as const },
    ]
    const rollback = renderPlanText(plan('billing', 'dev', [], { rollback: true, previousVersion: '1.1', instructions }), [])
    expect(rollback).toContain('instruction (before the apply; done at the original rollout, not asked again for a rollback): Create the prefix')
    expect(rollback).toContain('instruction (before the apply): Stop the old export')
    expect(rollback).toContain('instruction (after the apply): Tell finance')
    const forward = renderPlanText(plan('billing', 'dev', [], { instructions }), [])
    expect(forward).toContain('instruction (before the apply): Create the prefix')
  })
})
