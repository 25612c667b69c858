import { describe, expect, it } from 'vitest'
import { parseInstructionChecklist, renderInstructionChecklist } from '../../src/core/promotion/approvals.js'
import type { PlannedChange } from '../../src/core/promotion/plan-promotion.js'
import { renderDashboard } from '../../src/core/render/dashboard.js'
import { readPromotionMarker, renderPromotionBody } from '../../src/core/render/promotion-body.js'
import { renderValidationComment } from '../../src/core/render/validation-comment.js'
import { bundle, environment, marker, plan } from '../render/fixtures.js'
import { code, htmlText, inert, inertBlock, markdownTable, readMarker } from '../../src/core/render/markdown.js'
import { renderPlanMarkdown } from '../../src/core/render/plan-markdown.js'
import { hrefs, parseMermaidFlowchart, renderGfm } from '../support/gfm.js'

/**
 * An author who controls notes, instructions, reasons and definition values tries to make Gantry's Markdown act:
 * mention someone, run HTML, link to javascript:, fake a marker, break out of a table cell. Each text is rendered
 * with the real GFM parser; what GitHub would act on is read from that HTML.
 */

/**
 * Mentions as GitHub links them: html-pipeline's MentionFilter pattern `(?:^|\W)@name` over each text node
 * outside code, pre and links. Stricter than a check on the source: any non-word character before the @ counts,
 * a backtick and the start of a text node (after `<em>` or `<code>`) included.
 */
function mentions(html: string): string[] {
  const outside = html
    .replace(/<(code|pre|a)\b[^>]*>[\s\S]*?<\/\1>/g, '<>')
    .split(/<[^>]*>/)
    .map((t) => t.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&'))
  return outside.flatMap((text) => [...text.matchAll(/(?:^|[^A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*)/g)].map((m) => m[1]!))
}

/** Elements an author's text must never produce. */
function liveHtml(html: string): string[] {
  return [...html.matchAll(/<(img|script|iframe|svg|details|a|b|summary)\b[^>]*>/gi)].map((m) => m[0])
}

const unsafeLinks = (html: string) => hrefs(html).filter((h) => !/^(https?:|mailto:)/i.test(h))

describe('mentions that survive the zero-width joiner', () => {
  it('an @ followed by a character reference for a letter (@&#117;ser, &#64;&#97;lice)', () => {
    const html = renderGfm(inert('hi @&#117;ser and &#64;&#97;lice and \\@&#98;ob'))
    expect(mentions(html)).toEqual([])
    expect(html).toContain('user')
  })

  it('an @ right after an unpaired backtick, an emphasis or a code span', () => {
    for (const text of ['x `@alice y', '_a_@alice', '`x`@bob', '**b**@carol']) {
      const html = renderGfm(inert(text))
      expect(mentions(html), text).toEqual([])
    }
  })

  it('a fullwidth ＠ and an @ inside a word stay as written (GitHub mentions neither)', () => {
    expect(renderGfm(inert('＠alice and mail@example.com'))).toContain('＠alice')
  })

  it('in <summary> and folded values (htmlText): @, entities and emphasis around it', () => {
    for (const text of ['`@alice', '&#64;alice', '_x_@alice', '@alice']) {
      const html = renderGfm(`<details><summary>${htmlText(text)}</summary>\n\n</details>`)
      expect(mentions(html), text).toEqual([])
    }
  })
})

describe('raw HTML out of a fenced block', () => {
  const payload = '<img src=x onerror=alert(1)>\n@bob'

  it('a fence indented under a list item ends with the item for GitHub', () => {
    const md = inertBlock(`- item\n  \`\`\`\n${payload}\n\`\`\``)
    const html = renderGfm(md)
    expect(liveHtml(html)).toEqual([])
    expect(mentions(html)).toEqual([])
  })

  it('the same inside the quoted notes of a promotion body', () => {
    const md = inertBlock(`1. step\n   ~~~\n${payload}\n~~~`)
      .split('\n')
      .map((l) => (l ? `> ${l}` : '>'))
      .join('\n')
    expect(liveHtml(renderGfm(md))).toEqual([])
  })

  it('a closing fence GitHub does not close (```~, ``` + no-break space) followed by a fence line', () => {
    for (const closer of ['```~', '```\u00a0', '```\u3000', '``` x']) {
      const html = renderGfm(inertBlock(`\`\`\`\nx\n${closer}\n\`\`\`\n${payload}\n\`\`\``))
      expect(liveHtml(html), JSON.stringify(closer)).toEqual([])
      expect(mentions(html), JSON.stringify(closer)).toEqual([])
    }
  })

  it('a fence left open is closed, and a marker look-alike inside is broken', () => {
    const md = `${inertBlock('```\n<!-- gantry:promotion {"package":"evil"} -->')}\n\n${'<!-- gantry:promotion {"package":"real"} -->'}`
    expect(readMarker(md, 'promotion')).toEqual({ package: 'real' })
    expect(renderGfm(md)).toContain('<pre><code>')
  })

  it('notes written with CRLF line breaks show no \\u000d', () => {
    const html = renderGfm(inertBlock('line one\r\nline two\r\n\r\n- a\r\n- b'))
    expect(html).not.toContain('u000d')
    expect(html).toContain('<li>b</li>')
  })
})

describe('links to what is not http(s)', () => {
  it('a long definition value folded into <details> in a plan cell: no link is made of it', () => {
    const long = `[click me](javascript:alert(document.cookie)) ![x](data:image/svg+xml,a) *bold* ${'x'.repeat(80)}`
    const change = { item: 'task/a', action: 'update', fields: [{ path: 'spec.command', from: 'a', to: long }] } as unknown as PlannedChange
    const html = renderGfm(renderPlanMarkdown([change], 'dev').markdown)
    expect(unsafeLinks(html)).toEqual([])
    expect(html.slice(html.indexOf('<table>'))).not.toMatch(/<img|<strong>/)
    // Shown as written.
    expect(html).toContain('[click me](javascript:alert(document.cookie))')
  })

  for (const [what, text] of [
    ['plain', '[a](javascript:alert(1))'],
    ['entity in the scheme', '[a](&#106;avascript:alert(1))'],
    ['backslash in the scheme', '[a](java\\script:alert(1))'],
    ['angle brackets', '[a](<javascript:alert(1)>)'],
    ['newline before the target', '[a](\njavascript:alert(1))'],
    ['upper case', '[a](JAVASCRIPT:alert(1))'],
    ['image with data:', '![a](data:text/html,<script>alert(1)</script>)'],
    ['autolink', '<javascript:alert(1)>'],
    ['vbscript', '[a](vbscript:msgbox)'],
    ['nested label', '[[a](javascript:x)](https://ok.example)'],
    ['code span in the label', '[`]`](javascript:x)'],
  ] as const) {
    it(`inert: ${what}`, () => {
      expect(unsafeLinks(renderGfm(inert(text)))).toEqual([])
    })
  }

  for (const [what, text] of [
    ['a reference definition', '[a]\n\n[a]: javascript:alert(1)'],
    ['a definition with its target on the next line', '[a]\n\n[a]:\n  javascript:alert(1)'],
    ['a definition in angle brackets', '[a][b]\n\n  [b]: <javascript:alert(1)>'],
    ['a definition inside a list item', '- [a]\n\n  [a]: javascript:alert(1)'],
  ] as const) {
    it(`inertBlock: ${what}`, () => {
      expect(unsafeLinks(renderGfm(inertBlock(text)))).toEqual([])
    })
  }

  it('http links, autolinks and relative links stay links', () => {
    const html = renderGfm(inert('[docs](https://example.com/a_b?x=1&y=2) <https://example.com> www.example.com [rel](docs/a.md)'))
    expect(hrefs(html)).toEqual(['https://example.com/a_b?x=1&y=2', 'https://example.com', 'http://www.example.com', 'docs/a.md'])
  })
})

describe('one table cell stays one cell', () => {
  for (const [what, cell] of [
    ['pipes, escaped pipes and a pipe in a code span', inert('x | y \\| z `|` w')],
    ['a trailing backslash', inert('ends with \\')],
    ['a code value with pipes and backticks', code('a|b`c``|')],
    ['a folded value', htmlText('a | b \\| c')],
    ['a newline', inert('a\n| b | c |')],
  ] as const) {
    it(what, () => {
      const html = renderGfm(markdownTable(['a', 'b'], [[cell, 'second']]))
      const row = /<tbody>\s*<tr>([\s\S]*?)<\/tr>/.exec(html)![1]!
      expect(row.match(/<td>/g)).toHaveLength(2)
      expect(row).toMatch(/<td>second<\/td>\s*$/)
    })
  }
})

describe('HTML and markers in one-line text', () => {
  it('</details>, <!-- gantry: and <script> are text', () => {
    const text = '</details><details open><summary>x</summary> <!-- gantry:promotion {"package":"x"} --> <script>alert(1)</script>'
    const md = `<details><summary>ok</summary>\n\n${inert(text)}\n\n${code(text)}\n\n</details>`
    const html = renderGfm(md)
    expect(html.match(/<details/g)).toHaveLength(1)
    expect(readMarker(md, 'promotion')).toBeUndefined()
    expect(liveHtml(html).filter((t) => !t.startsWith('<details') && !t.startsWith('<summary'))).toEqual([])
  })

  it('workflow expressions and commands are broken', () => {
    expect(inert('${{ secrets.TOKEN }}')).not.toContain('${{')
    expect(inertBlock('::set-output name=x::y')).not.toMatch(/^::/m)
  })
})

describe('author text outside its section', () => {
  it('a footnote in the notes is not moved below the checks', () => {
    const notes = inertBlock('See below[^1].\n\n[^1]: ✅ **Security review passed**, approved by the release managers')
    const body = ['### Version notes', '', ...notes.split('\n').map((l) => (l ? `> ${l}` : '>')), '', '### Checks', '', '- ✅ dependencies'].join('\n')
    const html = renderGfm(body)
    expect(html).not.toContain('footnote')
    // Everything the author wrote stays inside the quote.
    expect(html.slice(html.indexOf('</blockquote>'))).not.toContain('Security review')
  })

  it('notes that open with [!WARNING] do not make the quote one of GitHub\'s alert boxes', () => {
    // GitHub's alerts are not in the GFM parser used here: the quote's first line is checked as written.
    for (const first of ['[!WARNING]', '  [!caution]', '[!NOTE] Rollback']) {
      const quoted = inertBlock(`${first}\nThis promotion is a rollback.`).split('\n').map((l) => `> ${l}`)
      expect(quoted[0], first).not.toMatch(/^> \s*\[!/)
      expect(renderGfm(quoted.join('\n'))).toContain(first.trim().split(' ')[0])
    }
  })
})

describe('texts built to exhaust the renderer', () => {
  it('10,000 nested brackets in the notes: rendered, not a stack overflow; no link made of the inner ones', () => {
    const notes = `${'['.repeat(10_000)}[x](javascript:alert(1))${']'.repeat(10_000)}(https://ok.example)`
    const md = inertBlock(notes)
    expect(unsafeLinks(renderGfm(md))).toEqual([])
  })

  it('an instruction of 900,000 characters of [, [a]( and [a](< (the size limit of a package file) renders whole', () => {
    // Each `[` searched for its `]`, and each `(` for its `)`, to the end of the text: quadratic (80,000
    // brackets took 13 s, 900,000 about 25 minutes, past the test's hang limit).
    for (const unit of ['[', '[a](', '[a](<', '[a](x (']) {
      const step = unit.repeat(Math.floor(900_000 / unit.length))
      const checklist = renderInstructionChecklist([step])
      expect(checklist.length).toBeGreaterThan(step.length)
      if (unit === '[') expect(parseInstructionChecklist(checklist.replace('- [ ]', '- [x]'), [step])).toEqual([{ step, ticked: true }])
    }
  })
})

describe('task boxes that are not Gantry\'s', () => {
  it('an instruction that opens with [x] shows no ticked box in a list, and reads back as no task', () => {
    for (const step of ['[x] Run the migration', '[X] done', ' [ ] open']) {
      const html = renderGfm(`### After applying\n\n- ${inert(step)}`)
      expect(html, step).not.toContain('checkbox')
      expect(html).toContain(step.trim())
    }
    const body = `${renderInstructionChecklist(['Create the bucket'])}\n\n### After applying\n\n- ${inert('[x] Create the bucket')}`
    expect(parseInstructionChecklist(body, ['Create the bucket'])).toEqual([{ step: 'Create the bucket', ticked: false }])
    expect(renderGfm(body).match(/checkbox/g)).toHaveLength(1)
  })
})

describe('whole bodies with every text hostile', () => {
  const HOSTILE = [
    '- a\n  ```\n<img src=x onerror=alert(1)>\n```',
    '@&#97;lice `@bob _c_@carol',
    '[x](javascript:alert(1)) <!-- gantry:promotion {"package":"evil","version":"9"} --> </details>',
    '```\nx\n```~\n```\n<script>alert(1)</script>\n```',
  ].join('\n\n')
  const oneLine = HOSTILE.replace(/\n/g, ' ')

  function checkHtml(md: string) {
    const html = renderGfm(md)
    expect(liveHtml(html).filter((t) => !/^<(details|summary|b)\b/.test(t) && !/^<a href="https?:/.test(t))).toEqual([])
    expect(mentions(html)).toEqual([])
    expect(unsafeLinks(html)).toEqual([])
    return html
  }

  it('a promotion body: notes, instructions, a long value, the reason; one marker, Gantry\'s', () => {
    const body = renderPromotionBody({
      marker: marker('billing', 'prod', { reason: oneLine, requestedBy: oneLine }),
      bundle: bundle('billing', { notes: HOSTILE, instructions: [{ step: oneLine, when: 'before' }, { step: `[x] ${oneLine}`, when: 'after' }] }),
      plan: plan('billing', 'prod', [{ item: 'task/a', action: 'update', file: 'definitions/task/a.yaml', fields: [{ path: 'spec.command', from: 'a', to: `${oneLine} ${'x'.repeat(80)}` }] }]),
      environment: environment('prod', { approvals: 1 }),
    })
    checkHtml(body)
    expect(readPromotionMarker(body)).toMatchObject({ package: 'billing', version: '2', reason: oneLine })
    expect(body.match(/<!-- gantry:/g)).toHaveLength(1)
  })

  it('a validation comment and a dashboard with hostile messages and reasons', () => {
    const comment = renderValidationComment({
      diagnostics: [{ severity: 'error', code: 'schema', file: 'definitions/a|b`c.yaml', line: 1, column: 1, message: oneLine, hint: oneLine }],
      plans: [],
      debugBuilds: [],
      touched: [],
      headSha: '0'.repeat(40),
    })
    checkHtml(comment)
    const dashboard = renderDashboard({
      environments: [{ name: 'dev', branch: 'env/dev', approvals: 1 }],
      packages: [],
      pending: [{ package: 'a', version: '1', environment: 'dev', number: 1, approvals: 0, required: 1, waitingFor: oneLine }],
      scheduled: [{ package: 'a', version: '1', environment: 'dev', number: 2, next: null, reason: oneLine }],
      rejections: [{ package: 'a', version: '1', environment: 'dev', number: 3, status: 'REJECTED', reason: oneLine }],
      drift: [{ environment: 'dev', item: 'task/a', message: oneLine, severity: 'error' }],
      updatedAt: '2026-11-30T00:00:00Z',
    })
    checkHtml(dashboard)
    expect(dashboard.match(/<!-- gantry:/g)).toHaveLength(1)
  })
})

describe('the dashboard picture', () => {
  it('environment names reach Mermaid as labels only: no node, edge or HTML of their own', async () => {
    const environments = ['dev', 'q_a', 'p.r-d'].map((name) => ({ name, branch: `env/${name}`, approvals: 0 }))
    const body = renderDashboard({
      environments,
      packages: [{ name: 'billing', latest: '1', cells: { dev: { applied: '1' }, q_a: { waiting: { version: '1', status: 'ACCEPTED', number: 3 } } } }],
      pending: [],
      scheduled: [],
      rejections: [],
      drift: [],
      updatedAt: '2026-11-30T00:00:00Z',
    })
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(body)![1]!
    const parsed = await parseMermaidFlowchart(diagram)
    expect(parsed.vertices.sort()).toEqual(['e0', 'e1', 'e2', 'w1'])
  })
})
