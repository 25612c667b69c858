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
 * - what the two parsers were found to read differently (UNEQUAL and the listener below), by comparing both
 *   reads on generated and mutated documents (test/attacks/fast-path-equivalence.test.ts).
 * Plain scalars resolve by the YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), as
 * the full read does, never by js-yaml's own rules (which read 0b1 as a number).
 */
export function fastYamlValue(text: string, limits: YamlLimits): { value: unknown } | undefined {
  if (!plainEnough(text)) return undefined
  let value: unknown
  try {
    value = load(text, {
      schema: CORE_SCHEMA,
      // Beyond the limit the full read reports the depth; js-yaml counts keys as a level, hence the margin.
      maxDepth: limits.maxDepth + 4,
      onWarning: decline,
      listener: listener(),
    })
  } catch {
    return undefined
  }
  // A file of comments only is no document to the full read; js-yaml reads it as null. A document that is a
  // scalar is no definition, and the two read some root block scalars another way (` |` then `#` at column 1).
  return value !== null && typeof value === 'object' && acceptable(value, limits) ? { value } : undefined
}

/**
 * Whether the text is free of the constructs the two parsers read differently or that the full read refuses
 * and js-yaml lets through. Each test is a scan of the text and errs on the side of the full read: a match
 * inside a quoted string (`"why ? because"`) only costs that file the slower read.
 */
function plainEnough(text: string): boolean {
  // An implicit key ends at most 1024 characters after it starts (https://yaml.org/spec/1.2.2/#rule-ns-s-implicit-yaml-key),
  // on its own line: the full read checks it, js-yaml does not. The patterns below also run on short lines only.
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start)
    if ((end < 0 ? text.length : end) - start > MAX_LINE) return false
    if (end < 0) break
    start = end + 1
  }
  return !UNEQUAL.some((pattern) => pattern.test(text))
}

const MAX_LINE = 1024

/** A pattern tested only on texts that hold `needle` (a scan for a string costs far less than a regex). */
const only = (needle: string, pattern: RegExp) => ({ test: (text: string) => text.includes(needle) && pattern.test(text) })

const UNEQUAL: { test(text: string): boolean }[] = [
  // Tabs: js-yaml lets some through as indentation, in empty lines of block scalars, that the full read refuses.
  /\t/,
  // Directives (`%YAML 1.1`): the full read checks the version.
  /^%/m,
  // The `?` indicator of an explicit key, the only way to write a map or a list as a key that spans lines.
  /(?:^|[\s[{,])\?(?:\s|$)/,
  // A tag (`!!binary`, `!foo`): js-yaml drops some of them silently. In a flow collection a value may follow
  // the `:` of a quoted key with no space (`{"a":!<tag:gantry,core:int> 1}`): js-yaml then knows the tag.
  /(?:^|[\s[{,:])!/,
  // Content after a document marker on its line (`--- a: b`, `---word`, `---#`, a comment needs a space
  // before it): js-yaml reads some as a new document.
  /^(?:---|\.\.\.)(?!(?:[ \t]+#[^\n]*|[ \t]*)\r?$)/m,
  // A block scalar with an indentation indicator (`|1`, `>-2`): its lines of spaces only are read another way.
  /[|>][-+]?[1-9]/,
  // A carriage return alone: js-yaml reads it as a line break, the full read as part of the content.
  only('\r', /\r(?!\n)/),
  // A byte order mark after the start: js-yaml reads it as content, the full read as a marker between nodes.
  only('\ufeff', /\ufeff/),
  // A \U escape past U+10FFFF: the full read refuses it, js-yaml makes two broken surrogates of it.
  only('\\U', /\\U(?!00(?:0[0-9a-fA-F]|10)[0-9a-fA-F]{4})/),
  // An escaped line break followed by an empty line in a double-quoted string: js-yaml drops the line, the
  // full read keeps a space.
  only('\\', /\\\r?\n[ ]*\r?\n/),
  // A comment line with no space after `#` (`#note`): the full read takes it for content when it sets the
  // indentation a plain scalar continues at (eemeli/yaml's lexer), so that `y` and `- a` after it are one
  // scalar where js-yaml reads a list entry.
  // (What follows `#` is content to that lexer unless it is a space, a tab or a line break: not U+00A0.)
  only('#', /^[ ]*#[^ \t\r\n]/m),
  // A comment right after a quoted scalar, a flow indicator or a JSON-like key's `:` (`"a"#c`, `[#c`,
  // `{"a":#c`): the full read requires a space.
  /[^\s]["']#|[[\]{},]#|["'\]}]:#/,
  // A last line of spaces with no line break after it: js-yaml keeps it in a block scalar with `+`.
  { test: (text: string) => text.endsWith(' ') && /\n[ ]+$/.test(text) },
  // A list entry whose `-` ends its line: js-yaml accepts the entries after it at columns the full read refuses.
  /(?:^|[ ])-[ ]*(?:#[^\n]*)?\r?$/m,
  // A block scalar that starts with empty lines, whose indentation the two read differently.
  /[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\r?\n[ \t]*\r?\n/,
]

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
    // comment with no space before it. Looked for in the outermost flow collection only.
    const first = input.charCodeAt(start)
    if ((first === 0x7b || first === 0x5b) && (parentStart === start || (outer !== 0x7b && outer !== 0x5b))) {
      const comment = input.indexOf('\n#', start)
      if (comment >= 0 && comment < state.position) decline()
    }
  }
}

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
  const nodes: unknown[] = [root]
  const depths: number[] = [0]
  while (nodes.length > 0) {
    const node = nodes.pop()
    const depth = depths.pop()!
    if (depth > limits.maxDepth) return false
    if (typeof node === 'number') {
      if (!Number.isFinite(node) || (Number.isInteger(node) && !Number.isSafeInteger(node))) return false
    } else if (Array.isArray(node)) {
      for (const item of node) {
        nodes.push(item)
        depths.push(depth + 1)
      }
    } else if (node !== null && typeof node === 'object') {
      for (const key of Object.keys(node)) {
        if (FORBIDDEN_KEYS.has(key) || key === 'null') return false
        nodes.push((node as Record<string, unknown>)[key])
        depths.push(depth + 1)
      }
    }
  }
  return true
}

// The YAML 1.2 core schema's plain scalars (https://yaml.org/spec/1.2.2/#1032-tag-resolution). js-yaml keeps
// one implicit type per tag, so each type tests all the forms of its tag; the tags are Gantry's own, so that
// an explicit `!!int` in a file is an unknown tag here and takes the full read.
const NULL = /^(?:~|null|Null|NULL)$/
const BOOL = /^(?:true|True|TRUE|false|False|FALSE)$/
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
      resolve: (data) => data === '' || NULL.test(data),
      construct: () => null,
    }),
    new Type('tag:gantry,core:bool', {
      kind: 'scalar',
      resolve: (data) => BOOL.test(data),
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
