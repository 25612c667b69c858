import { printable, printableText } from '../names.js'

/**
 * Authors' text (notes, instructions, reasons, messages) rendered into GitHub Markdown as they wrote it: code
 * spans, emphasis, links and URLs stay as they are. Only what would act on someone is neutralised:
 * - @user and @org/team mentions (a zero-width joiner after the @: GitHub links and notifies only an @ directly
 *   followed by the name),
 * - raw HTML, and with it look-alikes of our hidden `<!-- gantry:` markers (`<` becomes `&lt;`),
 * - links, images and link definitions whose target is not http(s) or relative (javascript:, data:, ...):
 *   the `(` or `:` that would make them links is backslash-escaped, so they show as written,
 * - `${{` and a `::` that opens a line (workflow expressions and commands, should the text reach a log),
 * - footnotes (`[^1]`), whose text GitHub moves below everything else in the body, and a leading `[x]`, which
 *   after a list marker would be a task box.
 * The scanner follows CommonMark's precedence (backslash escapes, code spans, autolinks, then links): every
 * backtick it does not pair into a code span is escaped, so GitHub pairs backticks exactly as it did.
 */

const ZWJ = '\u200d'

/** One line of an author's Markdown (newlines become spaces), for list items, headings and table cells. */
export function inert(text: string, maxLength = 500): string {
  // Control, bidirectional and zero-width characters shown escaped (see printable).
  const rendered = renderSpan(printable(clip(text, maxLength).replace(/\r\n|\r|\n/g, ' ')))
  // Placed after `- `, a text that opens with `[x]` would be a task list item of its own: a box that looks
  // ticked among the instructions, and a task line to whoever reads the ticks back. Shown as written.
  return rendered.replace(/^(\s*)\[([ xX])\](?=\s|$)/, '$1\\[$2]')
}

/**
 * An author's Markdown as blocks (several paragraphs, lists, fenced code). A fence left open is closed, so
 * nothing after the text is swallowed into it; inside fences only marker look-alikes are broken.
 */
export function inertBlock(text: string, maxLength = 20_000): string {
  const out: string[] = []
  let paragraph: string[] = []
  let fence: string | undefined
  const flush = () => {
    if (paragraph.length) out.push(renderSpan(paragraph.join('\n')))
    paragraph = []
  }
  // Line breaks are made \n first: printableText would show a \r (as comments typed on GitHub carry) as \u000d.
  for (const line of clip(printableText(text.replace(/\r\n?/g, '\n')), maxLength).split('\n')) {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence !== undefined) {
      out.push(breakMarkers(line))
      // CommonMark's closing fence: the same character, at least as many, then only spaces or tabs (not any
      // Unicode space, and not a mix of ` and ~). A looser test would close a fence GitHub keeps open, and a
      // later fence line would then open one where GitHub closes it: the text between would go out raw.
      if (opening && opening[0] === fence[0] && opening.length >= fence.length && /^ {0,3}(`+|~+)[ \t]*$/.test(line)) fence = undefined
      continue
    }
    if (opening && !(opening[0] === '`' && line.slice(line.indexOf(opening) + opening.length).includes('`'))) {
      flush()
      fence = opening
      // Written at the margin: an indented fence after a list item opens inside the item for GitHub, and ends
      // with the item at the next line that is not indented, while this scanner would still see a fence (and
      // leave that line's HTML raw). At the margin the fence belongs to no list, for GitHub as for us.
      out.push(breakMarkers(line.trimStart()))
      continue
    }
    // Paragraphs are scanned whole (a code span may cross a line break) but never across a blank line.
    if (line.trim() === '') {
      flush()
      out.push(line)
    } else paragraph.push(line)
  }
  flush()
  if (fence !== undefined) out.push(fence)
  // Quoted (as promotion bodies quote notes), a first line `[!WARNING]` makes the quote one of GitHub's alert
  // boxes ("Alerts" in GitHub's basic writing and formatting syntax: a blockquote whose first line is the
  // marker), the style of Gantry's own rollback warning. Shown as written.
  return out.join('\n').replace(/^(\s*)\[!(?=[A-Za-z]+\])/, '$1\\[!')
}

/** Text placed inside HTML (a `<summary>`): HTML-escaped, not Markdown, and no mention. */
export function htmlText(text: string): string {
  return printable(text.replace(/\r\n|\r|\n/g, ' '))
    .replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
    // Inline HTML (`<code>` in a table cell) does not stop Markdown between its tags: `[x](javascript:...)`
    // there is a link, `*a*` emphasis. As character references these show as written, in HTML and Markdown
    // (`_` stays: alone it forms no link, and names such as us_east read as written in the HTML too).
    .replace(/[[\]*`~\\|]/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/(^|[^A-Za-z0-9])@(?=[A-Za-z0-9])/g, `$1@${ZWJ}`)
}

/** A value shown exactly in a code span, whatever backticks it holds (the fence is longer than any run inside). */
export function code(text: string): string {
  const flat = breakMarkers(printable(text.replace(/\r\n|\r|\n/g, ' ')))
  if (flat === '') return '` `'
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = /^[` ]|[` ]$/.test(flat) ? ' ' : ''
  return `${fence}${pad}${flat}${pad}${fence}`
}

/**
 * A GFM table. Each cell stays one cell: line breaks become spaces and every `|` not already escaped is
 * escaped (GFM splits cells at unescaped pipes even inside code spans, and `\|` shows as `|` there too).
 */
export function markdownTable(header: string[], rows: string[][]): string {
  return [markdownRow(header), markdownRow(header.map(() => '---')), ...rows.map(markdownRow)].join('\n')
}

/** One row of a GFM table, its cells kept one cell each (see `markdownTable`). */
export function markdownRow(cells: string[]): string {
  const cell = (text: string) => text.replace(/\r\n|\r|\n/g, ' ').replace(/(\\*)\|/g, (m, slashes: string) => (slashes.length % 2 ? m : `${slashes}\\|`))
  return `| ${cells.map(cell).join(' | ')} |`
}

function clip(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text
}

/** `<!--` can open an HTML comment, and so fake one of our markers: broken wherever it appears, even in code. */
function breakMarkers(text: string): string {
  return text.replace(/<!--/g, `<!${ZWJ}--`)
}

/** Targets a link or image may keep: http(s), or relative (no scheme, no entity or escape that could hide one). */
function safeTarget(target: string): boolean {
  const bare = target.startsWith('<') ? target.slice(1) : target
  if (/^https?:\/\//i.test(bare)) return true
  const head = /^[^/?#]*/.exec(bare)![0]
  return !/[:&\\]/.test(head) && ![...head].some((c) => c <= ' ')
}

const PUNCTUATION = /[!-/:-@[-`{-~]/

/**
 * Link labels nested deeper than this are not links: their brackets are escaped. Each level is scanned by a
 * call of its own, and 10,000 nested `[` (a 20,000-character note) overflowed the stack.
 */
const MAX_LABEL_DEPTH = 16

/** Inline Markdown with its dangerous parts neutralised (see the file comment). */
function renderSpan(text: string, depth = 0): string {
  let out = ''
  let i = 0
  const n = text.length
  // Computed when the first bracket asks: one pass, where a search from each `[` made long texts quadratic.
  let closers: Map<number, number> | undefined
  while (i < n) {
    const c = text[i]!
    const previous = i > 0 ? text[i - 1]! : '\n'
    if (depth >= MAX_LABEL_DEPTH && (c === '[' || c === ']')) {
      // Escaped, every bracket at this depth: GitHub then pairs the enclosing label's brackets as we did.
      out += `\\${c}`
      i += 1
      continue
    }
    if (c === '\\' && i + 1 < n && PUNCTUATION.test(text[i + 1]!)) {
      // An escaped @ still shows as @: the mention rule below applies to it.
      const next = text[i + 1]!
      out += `\\${next}`
      i += 2
      if (next === '@' && mentionFollows(text, i)) out += ZWJ
      continue
    }
    if (c === '`') {
      const span = codeSpanAt(text, i)
      if (span) {
        out += breakMarkers(text.slice(i, span))
        i = span
      } else {
        const run = /^`+/.exec(text.slice(i))![0]
        out += '\\`'.repeat(run.length)
        i += run.length
      }
      continue
    }
    if (c === '<') {
      const autolink = /^<https?:\/\/[^\s<>`]*>/i.exec(text.slice(i))
      if (autolink) {
        out += autolink[0]
        i += autolink[0].length
      } else {
        out += '&lt;'
        i += 1
      }
      continue
    }
    if (c === '[' && text[i + 1] === '^') {
      // A GFM footnote: its text would be shown at the end of the whole body, after Gantry's own sections
      // ("✅ approved by ..." under the checks). Shown as written instead.
      out += '\\['
      i += 1
      continue
    }
    if (c === '[' || (c === '!' && text[i + 1] === '[')) {
      const open = c === '!' ? i + 1 : i
      closers ??= matchingBrackets(text)
      const close = closers.get(open)
      if (close !== undefined) {
        const prefix = c === '!' ? '!' : ''
        const label = renderSpan(text.slice(open + 1, close), depth + 1)
        const tail = text[close + 1] === '(' ? linkTail(text, close + 1) : undefined
        const definition = text[close + 1] === ':' ? /^:[ \t]*(\S+)/.exec(text.slice(close + 1)) : null
        if (tail && safeTarget(tail.target)) {
          out += `${prefix}[${label}]${breakMarkers(text.slice(close + 1, tail.end))}`
          i = tail.end
        } else if (definition && safeTarget(definition[1]!)) {
          out += `${prefix}[${label}]`
          i = close + 1
        } else {
          // Not a link we keep: `\(` and `\:` make sure GitHub does not make one of it either.
          out += `${prefix}[${label}]`
          i = close + 1
          if (text[i] === '(') out += '\\('
          else if (text[i] === ':') out += '\\:'
          else continue
          i += 1
        }
        continue
      }
    }
    if (/[hHwW]/.test(c) && /[\s*_~(]/.test(previous)) {
      const url = /^(?:https?:\/\/|www\.)[^\s<>[\]`]+/i.exec(text.slice(i))
      if (url) {
        out += url[0]
        i += url[0].length
        continue
      }
    }
    if (c === '@' && !/[A-Za-z0-9]/.test(previous) && mentionFollows(text, i + 1)) {
      out += `@${ZWJ}`
      i += 1
      continue
    }
    // An @ written as a character reference shows as @ and would mention all the same.
    const entity = c === '&' ? /^&(?:#0*64|#[xX]0*40|commat);/.exec(text.slice(i)) : null
    if (entity) {
      out += entity[0]
      i += entity[0].length
      if (!/[A-Za-z0-9]/.test(previous) && mentionFollows(text, i)) out += ZWJ
      continue
    }
    if (c === '$' && text.startsWith('{{', i + 1)) {
      out += `$${ZWJ}`
      i += 1
      continue
    }
    if (c === ':' && text[i + 1] === ':' && previous === '\n') {
      out += `:${ZWJ}`
      i += 1
      continue
    }
    out += c
    i += 1
  }
  return out
}

/**
 * Whether what follows an @ could render as the start of a name: a letter or digit, or a character reference
 * (`&#117;` shows as `u`). GitHub links and notifies an @ after any non-word character of the rendered text
 * (html-pipeline's MentionFilter: `(?:^|\W)@name`), and the rendered text differs from the source: `_a_@b`
 * and `` `a`@b `` render the @ first in its text, so only a letter or digit before it is left alone.
 */
function mentionFollows(text: string, at: number): boolean {
  return /^(?:[A-Za-z0-9]|&)/.test(text.slice(at, at + 1))
}

/** The end of the code span opening at `start`: the next backtick run of the same length on the same line. */
function codeSpanAt(text: string, start: number): number | undefined {
  const run = /^`+/.exec(text.slice(start))![0].length
  const re = /`+/g
  re.lastIndex = start + run
  const lineEnd = text.indexOf('\n', start)
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // Pairing only within one line keeps this scanner and GitHub's in agreement: unpaired runs are escaped.
    if (lineEnd !== -1 && m.index > lineEnd) return undefined
    if (m[0].length === run) return m.index + run
  }
  return undefined
}

/**
 * For each `[` of the text that is closed, the index of the `]` closing it (the first `]` at which the nesting
 * opened by it ends), skipping escapes, code spans and autolinks. One pass with a stack.
 */
function matchingBrackets(text: string): Map<number, number> {
  const closers = new Map<number, number>()
  const open: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\') i += 1
    else if (c === '`') {
      const span = codeSpanAt(text, i)
      if (span) i = span - 1
      else i += /^`+/.exec(text.slice(i))![0].length - 1
    } else if (c === '<') {
      const autolink = /^<https?:\/\/[^\s<>`]*>/i.exec(text.slice(i))
      if (autolink) i += autolink[0].length - 1
    } else if (c === '[') open.push(i)
    else if (c === ']' && open.length > 0) closers.set(open.pop()!, i)
  }
  return closers
}

/** How far a link's `(target "title")` is looked for: past it, the `(` is escaped and no link is made. */
const MAX_LINK_TAIL = 2_000

/** An inline link's `(target "title")` starting at `start`: its target and where it ends, or undefined. */
function linkTail(whole: string, start: number): { target: string; end: number } | undefined {
  // Scanned within a window: a text of many `[a](` would otherwise be scanned to its end once for each.
  const text = whole.slice(0, start + MAX_LINK_TAIL)
  let i = start + 1
  const skip = () => {
    while (i < text.length && /[ \t]/.test(text[i]!)) i++
    if (text[i] === '\n') i++
    while (i < text.length && /[ \t]/.test(text[i]!)) i++
  }
  skip()
  let target = ''
  if (text[i] === '<') {
    // CommonMark: a destination in <> holds no line break and no unescaped < or >.
    let end = i + 1
    while (end < text.length && text[end] !== '>') {
      if (text[end] === '<' || text[end] === '\n') return undefined
      end += text[end] === '\\' ? 2 : 1
    }
    if (end >= text.length) return undefined
    target = text.slice(i, end + 1)
    i = end + 1
  } else {
    let depth = 0
    const from = i
    // CommonMark ends a bare destination at whitespace or a control character. Parentheses nested past 32
    // levels make no link here (the `(` is then escaped): each `[a](` of a long chain would rescan the rest.
    while (i < text.length && text[i]! > ' ' && !/\s/.test(text[i]!)) {
      const c = text[i]!
      if (c === '\\') i++
      else if (c === '(') {
        if (++depth > 32) return undefined
      } else if (c === ')') {
        if (depth === 0) break
        depth--
      }
      i++
    }
    target = text.slice(from, i)
  }
  skip()
  const quote = text[i]
  if (quote === '"' || quote === "'" || quote === '(') {
    const closer = quote === '(' ? ')' : quote
    i++
    while (i < text.length && text[i] !== closer) {
      // A title in parentheses holds no unescaped `(`.
      if (quote === '(' && text[i] === '(') return undefined
      i += text[i] === '\\' ? 2 : 1
    }
    if (i >= text.length) return undefined
    i++
    skip()
  }
  return text[i] === ')' ? { target, end: i + 1 } : undefined
}

/**
 * A hidden marker later runs find their own comments and pull requests by. Its JSON spells `--` (which would
 * end the comment), HTML, mentions and workflow expressions as \u escapes: the data reads back the same, and
 * the body carries nothing live even where the comment is shown or copied as text.
 */
export function hiddenMarker(kind: string, data: Record<string, string | number | boolean | null> = {}): string {
  const json = JSON.stringify(data)
    .replace(/--/g, '\\u002d\\u002d')
    .replace(/[<>&@$[\]]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return `<!-- gantry:${kind} ${json} -->`
}

export function readMarker(body: string | null | undefined, kind: string): Record<string, unknown> | undefined {
  if (!body) return undefined
  const match = new RegExp(`<!-- gantry:${kind} (\\{.*?\\}) -->`).exec(body)
  if (!match) return undefined
  try {
    const value = JSON.parse(match[1]!) as unknown
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
