import { describe, expect, test } from 'vitest'
import { renderReleaseBody } from '../../src/core/render/release-body.js'
import { hrefs, liveMentions, renderGfm, visibleText } from '../support/gfm.js'

describe('the release body', () => {
  test('notes render as the author wrote them; only what would act is neutralised', () => {
    const notes = [
      'See [the runbook](https://wiki.example.com/billing_export(v2)#step-1?a=1&b=2) and `code_span` **bold**.',
      '',
      '- cc @dana-ops and @acme/release-managers <script>alert(1)</script>',
      '- [click](javascript:alert(1))',
    ].join('\n')
    const html = renderGfm(renderReleaseBody({ notes, digest: 'sha256:0123', delta: { previous: '1', added: ['task/a_b'], changed: [], removed: [] } }))
    expect(hrefs(html)).toEqual(['https://wiki.example.com/billing_export(v2)#step-1?a=1&b=2'])
    expect(html).toContain('<code>code_span</code>')
    expect(html).toContain('<strong>bold</strong>')
    expect(html).toContain('<code>task/a_b</code>')
    expect(html).not.toContain('<script')
    expect(liveMentions(html)).toEqual([])
    const text = visibleText(html)
    expect(text).toContain('cc @dana-ops and @acme/release-managers <script>alert(1)</script>')
    expect(text).toContain('[click](javascript:alert(1))')
    expect(text).not.toMatch(/\\[_()#&]/)
  })

  test('no notes: said so; the first version: changes since nothing', () => {
    const body = renderReleaseBody({ digest: 'sha256:0123', delta: { previous: null, added: ['task/a'], changed: [], removed: [] } })
    expect(visibleText(renderGfm(body))).toContain('No version notes.')
    expect(body).toContain('Changes since nothing (first version):')
  })
})
