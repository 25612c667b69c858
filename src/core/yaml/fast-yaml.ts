import { type LoaderState, Schema, Type, load } from 'js-yaml'
import type { YamlLimits } from './read-yaml.js'

/**
 * The fast read of a YAML file, for the files that have nothing to report.
 *
 * js-yaml builds the value several times faster than the `yaml` package builds its node tree, but keeps no
 * positions and checks less. So this read only ever answers "here is the value, and the full read would
 * have found nothing wrong and built the same value", or declines; a decline sends the file to the full,
 * positional read (readYaml), which finds and places every problem. It declines:
 * - whatever js-yaml refuses (syntax errors, duplicate keys, several documents, unknown tags);
 * - what the full read checks and js-yaml does not, or reads another way: anchors and aliases (counted and
 *   bounded there), any tag, directives (%YAML 1.1), keys that are maps, lists or null, keys that reach a
 *   prototype, numbers JavaScript cannot hold exactly, nesting past the limit;
 * - what the two parsers were found to read differently (scanText and the listener below), by comparing both
 *   reads on generated and mutated documents (test/attacks/fast-path-equivalence.test.ts).
 * Plain scalars resolve by the YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), as
 * the full read does, never by js-yaml's own rules (which read 0b1 as a number).
 */
export function fastYamlValue(
  text: string,
  limits: YamlLimits,
  scanned: TextScan = scanText(text),
): { value: unknown } | undefined {
  // `scanned`: what scanText(text) returned, when the caller has it.
  if ((scanned.flags & (SCAN_CONTROL | SCAN_DECLINE)) !== 0) return undefined
  // The listener only declines what needs a character the text does not hold, most texts (see SCAN_LISTEN).
  const listens = (scanned.flags & SCAN_LISTEN) !== 0 || scanned.openings > 0
  let value: unknown
  try {
    value = load(text, {
      schema: CORE_SCHEMA,
      // Beyond the limit the full read reports the depth; js-yaml counts keys as a level, hence the margin.
      maxDepth: limits.maxDepth + 4,
      onWarning: decline,
      ...(listens ? { listener: listener() } : {}),
    })
  } catch {
    return undefined
  }
  // A file of comments only is no document to the full read; js-yaml reads it as null. A document that is a
  // scalar is no definition, and the two read some root block scalars another way (` |` then `#` at column 1).
  return value !== null && typeof value === 'object' && acceptable(value, limits) ? { value } : undefined
}

/** What scanText found: a character YAML does not allow (see readYaml), a construct the fast read declines. */
export const SCAN_CONTROL = 1
export const SCAN_DECLINE = 2
/**
 * A character without which the listener of the fast read can decline nothing, so that a text without any
 * (and without `[` or `{`, counted in `openings`) is read without it: `&` (an anchor), `!` (a tag), a quote
 * right before `#`, and `:` as the first character of a line after spaces (js-yaml closes a block map or
 * list at the first character of the next line that holds one, or at the end: a `:` after a collection that
 * closed is there). The flow collections the listener looks at need `[` or `{`; in a text that holds one, the
 * colon is not looked for.
 */
export const SCAN_LISTEN = 4

/**
 * One pass over a text for everything readYaml asks of it before parsing: whether it holds a character
 * outside YAML's printable set (SCAN_CONTROL; readYaml finds and reports the first), how many `[` and `{` it
 * holds (an upper bound of its flow nesting), and whether it holds a construct that the two parsers read
 * differently or that the positional read refuses and js-yaml lets through (SCAN_DECLINE). Each construct
 * is tested on the raw text and errs on the side of the full read: a
 * match inside a quoted string (`"why ? because"`) only costs that file the slower read. The constructs:
 * - a line over 1024 characters: an implicit key ends at most 1024 characters after it starts
 *   (https://yaml.org/spec/1.2.2/#rule-ns-s-implicit-yaml-key), which the full read checks and js-yaml does not;
 * - a tab: js-yaml lets some through as indentation, in empty lines of block scalars, that the full read refuses;
 * - `%` starting a line: a directive (`%YAML 1.1`), whose version the full read checks;
 * - `?` at the start or after white space or `[{,`, before white space or the end: the indicator of an explicit
 *   key, the only way to write a map or a list as a key that spans lines;
 * - `!` at the start or after white space, `[{,` or `:`: a tag (`!!binary`, `!foo`), some of which js-yaml
 *   drops; in a flow collection a value may follow the `:` of a quoted key with no space
 *   (`{"a":!<tag:gantry,core:int> 1}`);
 * - `---` or `...` starting a line with content after it (`--- a: b`, `---word`, `---#`: a comment needs a
 *   space before it): js-yaml reads some as a new document;
 * - `#` right after a quoted scalar, a flow indicator or a JSON-like key's `:` (`"a"#c`, `[#c`, `{"a":#c`):
 *   the full read requires a space;
 * - a comment line with no space after `#` (`#note`): the full read takes it for content when it sets the
 *   indentation a plain scalar continues at (eemeli/yaml's lexer), so that `y` and `- a` after it are one
 *   scalar where js-yaml reads a list entry (what follows `#` is content to that lexer unless it is a space, a
 *   tab or a line break: not U+00A0);
 * - a carriage return alone: js-yaml reads it as a line break, the full read as part of the content;
 * - a byte order mark after the start: js-yaml reads it as content, the full read as a marker between nodes;
 * - a `\U` escape past U+10FFFF: the full read refuses it, js-yaml makes two broken surrogates of it;
 * - an escaped line break followed by an empty line in a double-quoted string: js-yaml drops the line, the
 *   full read keeps a space;
 * - a block scalar header with an indentation indicator (`|1`, `>-2`): its lines of spaces only are read
 *   another way;
 * - a last line of spaces with no line break after it: js-yaml keeps it in a block scalar with `+`;
 * - `-` at the start of a line or after a space, then only spaces and perhaps a comment to the end of the line:
 *   js-yaml accepts the entries after it at columns the full read refuses;
 * - a block scalar header (`|`, `>-`) whose next line is empty: the two read its indentation differently.
 * Line starts are those of JavaScript's multiline `^` (after \n, \r, U+2028, U+2029), white space that of `\s`.
 */
export function scanText(text: string): TextScan {
  const n = text.length
  let flags = 0
  let openings = 0
  let lineStart = 0
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    // Letters, digits, spaces and most punctuation need nothing.
    if (c < 0x7f && PLAIN[c] === 1) continue
    if (c >= 0x7f) {
      if (c <= 0x9f ? c !== 0x85 : c >= 0xfffe) flags |= SCAN_CONTROL
      else if (c === 0xfeff) flags |= SCAN_DECLINE
      continue
    }
    switch (c) {
      case 0x0a: // \n
        if (i - lineStart > MAX_LINE) flags |= SCAN_DECLINE
        lineStart = i + 1
        break
      case 0x09: // tab
        flags |= SCAN_DECLINE
        break
      case 0x0d: // \r
        if (text.charCodeAt(i + 1) !== 0x0a) flags |= SCAN_DECLINE
        break
      case 0x25: // %
        if (atLineStart(text, i)) flags |= SCAN_DECLINE
        break
      case 0x3f: // ?
        if ((i === 0 || spaceOrFlowBefore(text, i)) && (i + 1 === n || isSpace(text.charCodeAt(i + 1))))
          flags |= SCAN_DECLINE
        break
      case 0x21: // !
        flags |= SCAN_LISTEN
        if (i === 0 || spaceOrFlowBefore(text, i) || text.charCodeAt(i - 1) === 0x3a) flags |= SCAN_DECLINE
        break
      case 0x26: // &
        flags |= SCAN_LISTEN
        break
      case 0x2d: // -
        if (atLineStart(text, i)) {
          if (text.startsWith('---', i) && !restIsBlank(text, i + 3)) flags |= SCAN_DECLINE
          if (dashEndsLine(text, i)) flags |= SCAN_DECLINE
        } else if (text.charCodeAt(i - 1) === 0x20 && dashEndsLine(text, i)) flags |= SCAN_DECLINE
        break
      case 0x2e: // .
        if (atLineStart(text, i) && text.startsWith('...', i) && !restIsBlank(text, i + 3)) flags |= SCAN_DECLINE
        break
      case 0x23: {
        // #
        const before = text.charCodeAt(i - 1)
        if (before === 0x22 || before === 0x27) flags |= SCAN_LISTEN
        if (commentTooClose(text, i)) flags |= SCAN_DECLINE
        break
      }
      case 0x5c: // \
        if (escapeUnequal(text, i)) flags |= SCAN_DECLINE
        break
      case 0x5b: // [
      case 0x7b: // {
        openings++
        break
      case 0x7c: // |
      case 0x3e: // >
        if (indentationIndicator(text, i + 1) || emptyLineAfterHeader(text, i + 1)) flags |= SCAN_DECLINE
        break
      default:
        if (c < 0x20) flags |= SCAN_CONTROL
    }
  }
  if (n - lineStart > MAX_LINE || lastLineOfSpaces(text)) flags |= SCAN_DECLINE
  // Looked for only where it decides: a text with a flow collection is read with the listener anyway.
  if ((flags & SCAN_LISTEN) === 0 && openings === 0 && COLON_FIRST.test(text)) flags |= SCAN_LISTEN
  return { flags, openings }
}

export interface TextScan {
  /** SCAN_CONTROL, SCAN_DECLINE, SCAN_LISTEN. */
  flags: number
  /** How many `[` and `{` the text holds. */
  openings: number
}

const MAX_LINE = 1024

/** A `:` first on a line, after spaces (js-yaml's line breaks are \n and \r; a tab is declined). */
const COLON_FIRST = /(?:^|[\n\r]) *:/

/** The ASCII characters scanText has nothing to do for (1). */
const PLAIN = new Uint8Array(0x7f)
for (let c = 0x20; c < 0x7f; c++) if (!'\n\t\r%?!&-.#\\[{|>'.includes(String.fromCharCode(c))) PLAIN[c] = 1

/** JavaScript's `\s`. */
function isSpace(c: number): boolean {
  return c <= 0x20
    ? c === 0x20 || (c >= 0x09 && c <= 0x0d)
    : c >= 0xa0 &&
        (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
          c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff)
}

const isLineBreak = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029

/** Where JavaScript's multiline `^` matches. */
const atLineStart = (text: string, i: number): boolean => i === 0 || isLineBreak(text.charCodeAt(i - 1))

function spaceOrFlowBefore(text: string, i: number): boolean {
  const c = text.charCodeAt(i - 1)
  return c === 0x5b || c === 0x7b || c === 0x2c || isSpace(c)
}

/** Whether only spaces and tabs, then a comment after at least one of them, a line break or the end, follow `from`. */
function restIsBlank(text: string, from: number): boolean {
  let j = from
  let c = text.charCodeAt(j)
  while (c === 0x20 || c === 0x09) c = text.charCodeAt(++j)
  return j >= text.length || (c === 0x23 && j > from) || isLineBreak(c)
}

/**
 * Whether the `#` at `i` starts a comment the two reads see another way: right after a quoted scalar that
 * follows something (`a"#`), after a flow indicator (`[#`, `]#`, `,#`), after a JSON-like key's `:` (`"a":#`,
 * `]:#`), or opening a comment line with no space after it (`#note`).
 */
function commentTooClose(text: string, i: number): boolean {
  if (i > 0) {
    const before = text.charCodeAt(i - 1)
    if (before === 0x5b || before === 0x5d || before === 0x7b || before === 0x7d || before === 0x2c) return true
    if ((before === 0x22 || before === 0x27) && i > 1 && !isSpace(text.charCodeAt(i - 2))) return true
    if (before === 0x3a && i > 1) {
      const key = text.charCodeAt(i - 2)
      if (key === 0x22 || key === 0x27 || key === 0x5d || key === 0x7d) return true
    }
  }
  const after = text.charCodeAt(i + 1)
  if (i + 1 >= text.length || after === 0x20 || after === 0x09 || after === 0x0d || after === 0x0a) return false
  let j = i - 1
  while (j >= 0 && text.charCodeAt(j) === 0x20) j--
  return j < 0 || isLineBreak(text.charCodeAt(j))
}

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)

/**
 * Whether the `\` at `i` starts an escape the two reads see another way: `\U` past U+10FFFF (anything but
 * `00` then `0h` or `10`, then four hex digits), or an escaped line break followed by an empty line.
 */
function escapeUnequal(text: string, i: number): boolean {
  let j = i + 1
  let c = text.charCodeAt(j)
  if (c === 0x55) {
    const plane = text.slice(j + 1, j + 5)
    const valid = (plane.startsWith('000') && isHex(plane.charCodeAt(3))) || plane === '0010'
    if (!valid) return true
    for (let k = j + 5; k < j + 9; k++) if (!isHex(text.charCodeAt(k))) return true
    return false
  }
  if (c === 0x0d) c = text.charCodeAt(++j)
  if (c !== 0x0a) return false
  c = text.charCodeAt(++j)
  while (c === 0x20) c = text.charCodeAt(++j)
  if (c === 0x0d) c = text.charCodeAt(++j)
  return c === 0x0a
}

/** Whether a block scalar header's indicators at `from` hold an indentation indicator (`[-+]?[1-9]`). */
function indentationIndicator(text: string, from: number): boolean {
  let c = text.charCodeAt(from)
  if (c === 0x2d || c === 0x2b) c = text.charCodeAt(from + 1)
  return c >= 0x31 && c <= 0x39
}

/** Whether the text ends with a line of spaces only, after a line feed. */
function lastLineOfSpaces(text: string): boolean {
  let j = text.length - 1
  if (text.charCodeAt(j) !== 0x20) return false
  while (j >= 0 && text.charCodeAt(j) === 0x20) j--
  return j >= 0 && text.charCodeAt(j) === 0x0a
}

/** Whether the `-` at `i` is followed by spaces only, then a comment, a line break or the end. */
function dashEndsLine(text: string, i: number): boolean {
  let j = i + 1
  let c = text.charCodeAt(j)
  while (c === 0x20) c = text.charCodeAt(++j)
  return j >= text.length || c === 0x23 || isLineBreak(c)
}

/**
 * Whether a block scalar header may start at `from` (after `|` or `>`) and its next line be empty: indicators
 * `[-+0-9]*`, spaces or tabs, perhaps a comment, then `\r?\n`, a line of spaces or tabs, and `\r?\n`.
 */
function emptyLineAfterHeader(text: string, from: number): boolean {
  let j = from
  let c = text.charCodeAt(j)
  while (c === 0x2d || c === 0x2b || (c >= 0x30 && c <= 0x39)) c = text.charCodeAt(++j)
  while (c === 0x20 || c === 0x09) c = text.charCodeAt(++j)
  if (c === 0x23) {
    j = text.indexOf('\n', j)
    if (j < 0) return false
  } else {
    if (c === 0x0d) c = text.charCodeAt(++j)
    if (c !== 0x0a) return false
  }
  c = text.charCodeAt(++j)
  while (c === 0x20 || c === 0x09) c = text.charCodeAt(++j)
  if (c === 0x0d) c = text.charCodeAt(++j)
  return c === 0x0a
}

const DECLINED = new Error('declined')
function decline(): never {
  throw DECLINED
}

/**
 * Called by js-yaml as each node is opened and closed: declines anchors, tags and collections used as keys,
 * `[a, b]: c` (a `:` follows) and `{[a, b]}` (an entry of a flow map, whose first node is always a key), and
 * a comment right after a closing quote.
 */
function listener(): (event: 'open' | 'close', state: LoaderState) => void {
  // Where each open node was opened (or starts, once looked up: only for collections in collections).
  const opened: number[] = []
  return (event, state) => {
    if (event === 'open') {
      opened.push(state.position)
      return
    }
    const at = opened.pop()!
    // With no anchor there can be no alias: an alias to an anchor that does not exist is an error.
    if (state.anchor !== null || state.tag === '!') decline()
    if (state.kind === 'scalar') {
      // A comment right after a closing quote (`' '#c`, which the text test cannot tell from `'#fff'`).
      const quote = state.input.charCodeAt(state.position - 1)
      if ((quote === 0x22 || quote === 0x27) && state.input.charCodeAt(state.position) === 0x23) decline()
      return
    }
    if (state.kind !== 'mapping' && state.kind !== 'sequence') return
    if (colonFollows(state.input, state.position)) decline()
    const { input } = state
    const start = skipBlanks(input, at)
    const parent = opened[opened.length - 1]
    let parentStart = -1
    if (parent !== undefined) {
      parentStart = skipBlanks(input, parent)
      // Kept, so that a parent's blank lines are skipped once, not once per child.
      opened[opened.length - 1] = parentStart
    }
    const outer = parentStart < 0 ? -1 : input.charCodeAt(parentStart)
    // js-yaml opens a flow collection that starts a block node (at the root, after `- `) twice, the outer
    // node starting where the inner one does.
    if (outer === 0x7b && parentStart !== start && !colonBefore(input, start)) decline()
    // A comment line at column 1 in a flow collection (`{a: x` then `# c`): the full read takes it for a
    // comment with no space before it. Looked for in the outermost flow collection only, and only within it
    // (a line break before `state.position`): a search on to the end of the text would make a file of many
    // flow collections (`- []` lines) cost the square of its size. Outermost collections do not overlap, so
    // the searches together read the text about once.
    const first = input.charCodeAt(start)
    if ((first === 0x7b || first === 0x5b) && (parentStart === start || (outer !== 0x7b && outer !== 0x5b))) {
      commentLineSearches.chars += state.position + 1 - start
      if (input.slice(start, state.position + 1).includes('\n#')) decline()
    }
  }
}

/**
 * Characters read by the listener's searches for a comment line in a flow collection, for tests: linear in
 * the text, whatever its flow collections.
 */
export const commentLineSearches = { chars: 0 }

/** Where the node opened at `offset` starts: past spaces, line breaks and comments (no node starts with `#`). */
function skipBlanks(input: string, offset: number): number {
  let i = offset
  for (;;) {
    const c = input.charCodeAt(i)
    if (c === 0x20 || c === 0x0a || c === 0x0d) i++
    else if (c === 0x23) {
      const end = input.indexOf('\n', i)
      if (end < 0) return input.length
      i = end + 1
    } else return i
  }
}

/**
 * Whether the character before `offset`, past spaces and line breaks, is a `:` (the node is a value), and not
 * one in a comment (`{a: 1, # note:` then `{}` on the next line is a key): a `:` that ends an earlier line
 * counts only when that line holds no `#`.
 */
function colonBefore(input: string, offset: number): boolean {
  let i = offset - 1
  let earlierLine = false
  for (let c = input.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d; c = input.charCodeAt(--i))
    if (c === 0x0a) earlierLine = true
  if (input.charCodeAt(i) !== 0x3a) return false
  return !earlierLine || !input.slice(input.lastIndexOf('\n', i) + 1, i).includes('#')
}

/**
 * Whether the next token after `offset`, past white space, line breaks and comments, is a `:` indicator: the
 * collection that ends at `offset` is then the key of a pair (`[a, b]: c`), which the full read refuses.
 */
function colonFollows(input: string, offset: number): boolean {
  let i = offset
  for (;;) {
    const c = input.charCodeAt(i)
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++
    else if (c === 0x23) {
      const end = input.indexOf('\n', i)
      if (end < 0) return false
      i = end + 1
    } else return c === 0x3a
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * The checks of the full read that js-yaml does not make, on the value, without recursion: nesting depth
 * (counted as the full read counts it), keys that reach a prototype, null keys (the full read names them ""
 * and js-yaml "null"), numbers beyond 2^53 or infinite.
 */
function acceptable(root: unknown, limits: YamlLimits): boolean {
  if (root === null || typeof root !== 'object') return scalarAcceptable(root, 0, limits)
  // Only maps and lists are stacked; a scalar is checked where its collection is walked, at its depth.
  const nodes: object[] = [root]
  const depths: number[] = [0]
  while (nodes.length > 0) {
    const node = nodes.pop()!
    const depth = depths.pop()!
    if (depth > limits.maxDepth) return false
    const below = depth + 1
    if (Array.isArray(node)) {
      for (const item of node as unknown[]) {
        if (item !== null && typeof item === 'object') {
          nodes.push(item)
          depths.push(below)
        } else if (!scalarAcceptable(item, below, limits)) return false
      }
    } else {
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.has(key) || key === 'null') return false
        const value = (node as Record<string, unknown>)[key]
        if (value !== null && typeof value === 'object') {
          nodes.push(value)
          depths.push(below)
        } else if (!scalarAcceptable(value, below, limits)) return false
      }
    }
  }
  return true
}

function scalarAcceptable(value: unknown, depth: number, limits: YamlLimits): boolean {
  if (depth > limits.maxDepth) return false
  return typeof value !== 'number' || (Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value)))
}

// The YAML 1.2 core schema's plain scalars (https://yaml.org/spec/1.2.2/#1032-tag-resolution). js-yaml keeps
// one implicit type per tag, so each type tests all the forms of its tag; the tags are Gantry's own, so that
// an explicit `!!int` in a file is an unknown tag here and takes the full read.
// Null and bool are a handful of spellings, compared as strings: js-yaml asks every plain scalar.
const isNull = (data: string): boolean =>
  data.length <= 4 && (data === '' || data === '~' || data === 'null' || data === 'Null' || data === 'NULL')
const isBool = (data: string): boolean =>
  (data.length === 4 && (data === 'true' || data === 'True' || data === 'TRUE')) ||
  (data.length === 5 && (data === 'false' || data === 'False' || data === 'FALSE'))
const INT_DECIMAL = /^[-+]?[0-9]+$/
const INT_OCTAL = /^0o[0-7]+$/
const INT_HEX = /^0x[0-9a-fA-F]+$/
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/

/** Whether a plain scalar can be a number at all, by its first character: most strings stop here. */
const mayBeNumber = (data: string): boolean => {
  const c = data.charCodeAt(0)
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e
}

const CORE_SCHEMA = new Schema({
  implicit: [
    new Type('tag:gantry,core:null', {
      kind: 'scalar',
      resolve: isNull,
      construct: () => null,
    }),
    new Type('tag:gantry,core:bool', {
      kind: 'scalar',
      resolve: isBool,
      construct: (data) => data[0] === 't' || data[0] === 'T',
    }),
    new Type('tag:gantry,core:int', {
      kind: 'scalar',
      resolve: (data) => mayBeNumber(data) && (INT_DECIMAL.test(data) || INT_OCTAL.test(data) || INT_HEX.test(data)),
      construct: (data) =>
        data.startsWith('0o')
          ? parseInt(data.slice(2), 8)
          : data.startsWith('0x')
            ? parseInt(data.slice(2), 16)
            : parseInt(data, 10),
    }),
    new Type('tag:gantry,core:float', {
      kind: 'scalar',
      resolve: (data) => mayBeNumber(data) && (FLOAT.test(data) || FLOAT_SPECIAL.test(data)),
      construct: (data) =>
        FLOAT_SPECIAL.test(data)
          ? /nan$/i.test(data)
            ? Number.NaN
            : data.startsWith('-')
              ? Number.NEGATIVE_INFINITY
              : Number.POSITIVE_INFINITY
          : parseFloat(data),
    }),
  ],
})
