import { describe, expect, test } from 'vitest'
import type { Diagnostic } from '../../src/core/diagnostics.js'
import type { PlannedChange } from '../../src/core/promotion/plan-promotion.js'
import { renderValidationComment, renderValidationSummary, type ValidationReport } from '../../src/core/render/validation-comment.js'
import { liveMentions, renderGfm, visibleText } from '../support/gfm.js'
import { plan } from './fixtures.js'

const warning = (pkg: string, i: number): Diagnostic => ({ severity: 'warning', code: 'unowned-item', message: `warning ${i} about @ops in ${pkg}`, package: pkg, file: `packages/${pkg}.yaml`, line: 1, column: 1 })

/** The demo's case: one error among 16 warnings, 12 about packages the PR does not touch; 18 adds in each of 3 environments, 1 from this PR. */
function report(): ValidationReport {
  const adds: PlannedChange[] = Array.from({ length: 18 }, (_, i) => ({ item: `task/job-${i}`, action: 'add', file: `definitions/task/job-${i}.yaml` }))
  const changes = [...adds, { item: 'connection/billing-api', action: 'add', file: 'definitions/connection/billing-api.yaml', overrides: [{ path: 'spec.url', kind: 'set', to: 'https://prod.example/a_b' }] } satisfies PlannedChange, { item: 'agent/linux', action: 'keep', file: 'x' } satisfies PlannedChange]
  return {
    headSha: '0123456789abcdef0123',
    touched: ['billing'],
    changedFiles: ['definitions/connection/billing-api.yaml', 'packages/billing.yaml'],
    changedItems: ['connection/billing-api'],
    diagnostics: [
      ...Array.from({ length: 12 }, (_, i) => warning('reports', i)),
      ...Array.from({ length: 4 }, (_, i) => warning('billing', 100 + i)),
      { severity: 'error', code: 'unresolved-reference', message: 'connection/billing-db does not resolve in us_east', package: 'billing', file: 'definitions/task/export.yaml', line: 4, column: 15, hint: 'add it to the package' },
    ],
    debugBuilds: [{ package: 'billing', version: '3-debug', digest: 'sha256:0123456789abcdef0123', delta: { added: ['connection/billing-api'], changed: ['task/export'], removed: [] } }],
    plans: ['dev', 'qa', 'us_east'].flatMap((env) => [plan('billing', env, changes), plan('reports', env, adds)]),
  }
}

describe('the pull request comment', () => {
  test('errors lead; warnings only for what the PR touches, the rest counted', () => {
    const comment = renderValidationComment(report())
    const html = renderGfm(comment)
    const text = visibleText(html)
    expect(text.indexOf('Errors (1)')).toBeGreaterThan(0)
    expect(text.indexOf('Errors (1)')).toBeLessThan(text.indexOf('4 warnings in what this pull request touches'))
    expect(text).toContain('12 warnings about packages this pull request does not touch')
    expect(text).not.toContain('warning 0 about')
    expect(html).toContain('<summary>⚠️ 4 warnings in what this pull request touches</summary>')
    expect(liveMentions(html)).toEqual([])
    // The job summary still lists everything.
    expect(visibleText(renderGfm(renderValidationSummary(report())))).toContain('warning 0 about')
  })

  test('each environment shows what this change changes there, with counts in its <summary>', () => {
    const html = renderGfm(renderValidationComment(report()))
    for (const env of ['dev', 'qa', 'us_east']) {
      expect(html).toContain(`<summary><b>${env}</b>: 0 deleted · 1 added · 0 updated (and 18 from earlier versions not yet promoted there)</summary>`)
    }
    expect(html).not.toContain('job-3')
    expect(html).not.toContain('reports</code></td>')
    expect(visibleText(html)).toContain('spec.url = https://prod.example/a_b (set by us_east)')
  })

  test('every <summary> carries a count, and the debug build names its items', () => {
    const html = renderGfm(renderValidationComment(report()))
    const summaries = [...html.matchAll(/<summary>([\s\S]*?)<\/summary>/g)].map((m) => m[1]!)
    expect(summaries.length).toBe(4)
    for (const s of summaries) expect(s).toMatch(/\d/)
    expect(visibleText(html)).toContain('➕ connection/billing-api · ✏️ task/export')
  })

  test('without the changed items, every change of the touched packages is shown', () => {
    const html = renderGfm(renderValidationComment({ ...report(), changedItems: undefined }))
    expect(html).toContain('<summary><b>dev</b>: 0 deleted · 19 added · 0 updated</summary>')
  })
})
