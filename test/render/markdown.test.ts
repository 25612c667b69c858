import { describe, expect, test } from 'vitest'
import { code, hiddenMarker, htmlText, inert, inertBlock, markdownTable, readMarker } from '../../src/core/render/markdown.js'
import { hrefs, liveMentions, renderGfm, visibleText } from '../support/gfm.js'

const para = (markdown: string) => renderGfm(markdown).trim()

describe('authors’ Markdown renders as written', () => {
  test('URLs with _ ( ) # & stay intact, bare, autolinked and in links', () => {
    const url = 'https://example.com/billing_export/(v2)?a=1&b=2#part_3'
    const html = para(inert(`See ${url} and <${url}> and [the docs](${url}).`))
    expect(hrefs(html)).toEqual([url, url, url])
    expect(visibleText(html)).toBe(`See ${url} and ${url} and the docs.`)
    expect(html).not.toContain('%5C')
    expect(html).not.toContain('&amp;amp;')
  })

  test('code spans, bold, emphasis and strikethrough keep their meaning', () => {
    const html = para(inert('Run `migrate --all <db>` on **every** node, _carefully_, ~~never~~ with `a|b` or ``x ` y``'))
    expect(html).toContain('<code>migrate --all &lt;db&gt;</code>')
    expect(html).toContain('<strong>every</strong>')
    expect(html).toContain('<em>carefully</em>')
    expect(html).toContain('<del>never</del>')
    expect(html).toContain('<code>x ` y</code>')
  })

  test('mentions and team mentions do not resolve; e-mail addresses and code keep their @', () => {
    const text = 'Ask @alice, @acme/ops, \\@bob and &#64;carol; mail ops@example.com; run `@dave`'
    const html = para(inert(text))
    expect(liveMentions(html)).toEqual([])
    expect(visibleText(html)).toContain('Ask @alice, @acme/ops, @bob and @carol')
    expect(html).toContain('<code>@dave</code>')
    expect(html).toContain('ops@example.com')
  })

  test('raw HTML and marker look-alikes show as text', () => {
    const text = '<img src=x onerror=alert(1)> <b>bold</b> <!-- gantry:promotion {"package":"x"} --> <details>'
    const html = para(inert(text))
    expect(html).not.toMatch(/<(img|b|details)\b/)
    expect(html).not.toContain('<!--')
    expect(visibleText(html)).toBe(text)
    expect(readMarker(inert(text), 'promotion')).toBeUndefined()
    expect(readMarker(code(text), 'promotion')).toBeUndefined()
  })

  test('links and images to other schemes are not links', () => {
    const text = [
      '[click](javascript:alert(1))',
      '![pic](data:image/png;base64,AAAA)',
      '[x](JaVaScRiPt:alert(1))',
      '[y](&#106;avascript:alert(1))',
      '[z](<javascript:alert(1)>)',
      '[n [inner](javascript:a) m](https://ok.example)',
      '<javascript:alert(1)>',
      '[w](vbscript:x "title")',
      '[mail](mailto:a@example.com)',
    ].join(' ')
    const html = para(inert(text))
    // The only targets left: the one https link, and GFM's own autolink of the bare e-mail address.
    expect(hrefs(html)).toEqual(['https://ok.example', 'mailto:a@example.com'])
    expect(html).not.toMatch(/(href|src)="(javascript|data|vbscript)/i)
  })

  test('reference definitions to other schemes are neutralised, http ones kept', () => {
    const html = renderGfm(inertBlock('[a] and [b]\n\n[a]: javascript:alert(1)\n[b]: https://ok.example/b_c'))
    expect(hrefs(html)).toEqual(['https://ok.example/b_c'])
  })

  test('relative links and anchors stay links', () => {
    expect(hrefs(para(inert('[docs](docs/action.md#the-dashboard) [top](#top)')))).toEqual(['docs/action.md#the-dashboard', '#top'])
  })

  test('an unpaired backtick cannot pair with one further on to hide HTML', () => {
    const html = renderGfm(inertBlock('one ` here\n`<b>x</b>` and `then <i>'))
    expect(html).not.toMatch(/<(b|i)>/)
  })

  test('workflow expressions and commands are broken', () => {
    expect(inert('${{ secrets.TOKEN }}')).not.toContain('${{')
    expect(inertBlock('a\n::set-output name=x::y')).not.toMatch(/^::/m)
  })

  test('blocks: paragraphs, lists and fenced code kept; an open fence is closed', () => {
    const md = inertBlock('Intro with @alice\n\n- one\n- two `x`\n\n```sh\necho <b> @bob\n```\n\n```\nunclosed <!-- gantry')
    const html = renderGfm(`${md}\n\nAFTER`)
    expect(html).toContain('<li>two <code>x</code></li>')
    expect(html).toContain('echo &lt;b&gt; @bob')
    expect(html).toContain('<p>AFTER</p>')
    expect(liveMentions(html)).toEqual([])
    expect(md).not.toContain('<!-- gantry')
  })
})

describe('table cells and <summary>', () => {
  test('one cell per cell, whatever the text holds', () => {
    const cells = ['a | b', '`c | d`', 'e\nf', 'g \\| h', 'i \\\\| j']
    const html = renderGfm(markdownTable(['x', 'y', 'z', 'v', 'w'], [cells.map((c) => inert(c))]))
    const row = /<tbody>\s*<tr>([\s\S]*?)<\/tr>/.exec(html)![1]!
    const tds = [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1])
    expect(tds).toEqual(['a | b', '<code>c | d</code>', 'e f', 'g | h', 'i \\| j'])
  })

  test('a raw value with line breaks and pipes stays one row of one cell each', () => {
    const html = renderGfm(markdownTable(['x', 'y'], [['a\nb | c\r\nd', 'e']]))
    const rows = [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!)
    expect(rows).toHaveLength(2)
    expect([...rows[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1])).toEqual(['a b | c d', 'e'])
  })

  test('htmlText inside <code> in a table cell: one cell, no link or emphasis, shown as written', () => {
    const value = 'a | b [x](javascript:y) *e* `c` ~s~ \\'
    const html = renderGfm(markdownTable(['x', 'y'], [[`<code>${htmlText(value)}</code>`, 'end']]))
    const row = /<tbody>\s*<tr>([\s\S]*?)<\/tr>/.exec(html)![1]!
    const tds = [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1]!)
    expect(tds).toHaveLength(2)
    expect(tds[1]).toBe('end')
    expect(hrefs(html)).toEqual([])
    expect(tds[0]).not.toMatch(/<(a|em|del)\b/)
    expect(visibleText(tds[0]!).replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))).toBe(value)
  })

  test('a footnote in author text is not a footnote: nothing is moved to the end of the body', () => {
    const html = renderGfm(`${inert('see the note[^1]')}\n\n[^1]: moved below everything\n\nGantry’s own section`)
    expect(html).not.toContain('data-footnote')
    expect(visibleText(html)).toContain('see the note[^1]')
    const nested = renderGfm(`${inert('[a [^1] b](https://ok.example)')}\n\n[^1]: moved`)
    expect(nested).not.toContain('data-footnote')
  })

  test('an author text that opens with [x] or [ ] is no task box after a list marker', () => {
    for (const text of ['[x] done', '[ ] to do', '  [X] ticked']) {
      const html = renderGfm(`- ${inert(text)}`)
      expect(html, text).not.toContain('<input')
      expect(visibleText(html), text).toContain(text.trim())
    }
  })

  test('an environment named us_east shows as us_east in <summary>', () => {
    const html = renderGfm(`<details><summary><b>${htmlText('us_east')}</b> (${htmlText('@ops & <x>')})</summary>\n\nbody\n\n</details>`)
    expect(html).toContain('<summary><b>us_east</b>')
    expect(visibleText(html)).toContain('@ops & <x>')
    expect(liveMentions(html)).toEqual([])
  })

  test('code() shows any value exactly, backticks included', () => {
    for (const value of ['plain', 'a`b', '`start', 'end`', 'x``y', ' spaced ']) {
      expect(visibleText(para(code(value)))).toBe(value)
    }
  })

  test('hidden markers read back what was written', () => {
    const data = { reason: 'a --> b <b>@x ${{ y }}', n: 1 }
    const marker = hiddenMarker('k', data)
    expect(readMarker(`text\n${marker}`, 'k')).toEqual(data)
    expect(renderGfm(marker)).not.toContain('@x')
  })
})
