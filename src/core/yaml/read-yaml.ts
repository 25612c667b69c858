import {
  CST,
  type Document,
  Lexer,
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Node as YamlNode,
  type Pair,
  Parser,
  type YAMLMap,
  type YAMLError,
  type YAMLWarning,
} from 'yaml'
import { digestOf } from '../hash.js'
import { isDeepStrictEqual } from 'node:util'
import type { Diagnostic, Position } from '../diagnostics.js'
import type { FileSource } from '../model/source-model.js'
import { SCAN_CONTROL, fastYamlValue, scanText } from './fast-yaml.js'

export interface YamlLimits {
  /** Files larger than this are refused before parsing. */
  maxBytes: number
  /** Alias nodes in a file, and alias expansions while building the value (alias bombs fail fast). */
  maxAliasCount: number
  /** Nesting depth of maps and sequences. */
  maxDepth: number
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: 1024 * 1024, maxAliasCount: 100, maxDepth: 64 }

/** Characters YAML 1.2 does not allow in a stream (outside c-printable); escapes in double quotes are fine. */
// eslint-disable-next-line no-control-regex
const NOT_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffe\uffff]/

/** Keys that would reach an object's prototype in careless consumers: refused everywhere. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export type DocumentPath = readonly (string | number)[]

/**
 * A parsed YAML file that can point at any of its nodes by path.
 *
 * Only the value and the text (or where to read it again) are kept: a node tree costs many times the file's
 * size, and a repository of valid files never asks for a position. The first question about a position parses
 * the text again, with the same options, into the same tree, and keeps it for the next ones.
 */
export class ParsedYaml {
  private tree: { document: Document; lineCounter: LineCounter } | undefined
  /**
   * Each map's pairs by key, built the first time a path goes through the map: a lookup per finding stays
   * O(1). Made with the tree: thousands of files that are never asked a position need none.
   */
  private keyIndex: WeakMap<object, Map<string, Pair>> | undefined
  private held: unknown
  /** Set by dropValue: the value is read again from the source when next asked. */
  private dropped = false

  /**
   * `source` is the text, or the bytes it was decoded from (which the garbage collector does not copy), or
   * where to read them again (a snapshot's files, read again by path when a position or the value is asked
   * for: most are never asked), with the SHA-256 of its bytes to know it is the same. `fastRead`: the
   * limits the fast read accepted the text with, which can read it again (see dropValue).
   */
  constructor(
    readonly file: string,
    value: unknown,
    private readonly source: string | Uint8Array | FileSource,
    private readonly fastRead?: YamlLimits,
    /** With a FileSource: the SHA-256 of the bytes (see sha256). */
    private readonly digest = '',
  ) {
    this.held = value
  }

  /** The value the file holds (JSON data). */
  get value(): unknown {
    if (this.dropped) {
      // Read again from the same text with the same limits: the fast read is a pure function of both.
      const again = fastYamlValue(this.text, this.fastRead!)
      if (!again) throw new Error(`${this.file}: the fast read declined a text it accepted before`)
      this.held = again.value
      this.dropped = false
    }
    return this.held
  }

  /**
   * Lets go of the value until it is asked for again, when it is read again from the kept source (the same
   * value, a new object): a repository's documents cost several times its files in memory, and validation
   * needs few of them once they are loaded. Only for a file the fast read accepted (the positional read would
   * have to keep its node tree to read it again).
   */
  dropValue(): void {
    if (this.fastRead === undefined) return
    this.held = undefined
    this.dropped = true
  }

  /** The text the value was read from (without a byte order mark). */
  get text(): string {
    const source = this.source
    if (typeof source === 'string') return source
    if (source instanceof Uint8Array) return decodedText(source)
    const bytes = source.readAgain(this.file)
    const text = bytes === undefined || sha256(bytes) !== this.digest ? undefined : decodeUtf8(bytes)
    if (typeof text === 'string') return withoutBom(text)
    throw new SourceChangedError(this.file)
  }

  /** Position of the value at `path`, or of the nearest existing ancestor (or of the key with `key`). */
  positionOf(path: DocumentPath, options: { key?: boolean } = {}): Position {
    return this.position(this.locate(path, options).offset)
  }

  /** The text a scalar at `path` was written as (`1.10` for the number 1.1), when the path exists. */
  sourceOf(path: DocumentPath): string | undefined {
    const { node, complete } = this.locate(path, {})
    return complete && isScalar(node) && typeof node.source === 'string' ? node.source : undefined
  }

  private nodes(): { document: Document; lineCounter: LineCounter } {
    if (!this.tree) {
      const { documents, lineCounter } = parseDocuments(this.text)
      // readYaml makes a ParsedYaml only from a text it parsed into one document without errors.
      this.tree = { document: documents[0]!, lineCounter }
    }
    return this.tree
  }

  private locate(
    path: DocumentPath,
    options: { key?: boolean },
  ): { offset: number; node: unknown; complete: boolean } {
    let node: unknown = this.nodes().document.contents
    let found: { offset: number } | undefined = rangeStart(node)
    for (const [index, segment] of path.entries()) {
      if (isMap(node)) {
        const pair = this.pairs(node).get(String(segment))
        if (!pair) return { offset: found?.offset ?? 0, node, complete: false }
        const last = index === path.length - 1
        if (last && options.key)
          return { offset: (rangeStart(pair.key) ?? found)?.offset ?? 0, node: pair.key, complete: true }
        node = pair.value
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment]
      } else return { offset: found?.offset ?? 0, node, complete: false }
      found = rangeStart(node) ?? found
    }
    return { offset: found?.offset ?? 0, node, complete: true }
  }

  private pairs(map: YAMLMap): Map<string, Pair> {
    this.keyIndex ??= new WeakMap()
    let index = this.keyIndex.get(map)
    if (!index) {
      index = new Map()
      // The first pair with a key wins, as a search from the start would find it.
      for (const p of map.items)
        if (isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p)
      this.keyIndex.set(map, index)
    }
    return index
  }

  position(offset: number): Position {
    const { line, col } = this.nodes().lineCounter.linePos(offset)
    return { line, column: col }
  }
}

/**
 * The digest a file read again by path must match. Its value read again feeds results (overrides, bundles,
 * digests), not only positions: a weak hash (a 32-bit FNV-1a) is matched by a same-length rewrite made
 * in seconds, and the command would then mix two versions of the file instead of stopping.
 */
function sha256(bytes: Uint8Array): string {
  // Of the text's bytes: the byte order marks decoding drops (up to two, see decodedText) are not part of it.
  let start = 0
  for (let k = 0; k < 2 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf; k++) start += 3
  return digestOf('sha256', bytes.subarray(start), 'base64')
}

/** A file read again for a position or its value no longer holds the text it was read with. */
export class SourceChangedError extends Error {
  override name = 'SourceChangedError'
  constructor(readonly file: string) {
    super(`${file} changed while Gantry was reading it: run the command again`)
  }
}

/** Parses every document of a text: one set of options for the first read and for the positions asked later. */
function parseDocuments(text: string): { documents: Document.Parsed[]; lineCounter: LineCounter } {
  const lineCounter = new LineCounter()
  const documents = parseAllDocuments(text, {
    version: '1.2',
    schema: 'core',
    lineCounter,
    // Duplicate keys are found in inspectNodes, in linear time: the parser's own check is quadratic in the
    // number of keys of a map, which a file under the size limit can turn into minutes.
    uniqueKeys: false,
    prettyErrors: false,
    merge: false,
    // !!binary, !!set, !!omap, !!pairs and !!timestamp are YAML 1.1 types outside the core schema: they would
    // load as Buffer, Set, Map and Date, which are not JSON. Unresolved, they are reported as unknown tags.
    resolveKnownTags: false,
    strict: true,
  })
  return { documents: Array.isArray(documents) ? documents : [], lineCounter }
}

function rangeStart(node: unknown): { offset: number } | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range
    if (range) return { offset: range[0] }
  }
  return undefined
}

export interface ReadYamlResult {
  parsed?: ParsedYaml
  diagnostics: Diagnostic[]
}

/**
 * Reads one YAML file under the YAML 1.2 core schema with every limit checked, cheapest first: size before
 * decoding, encoding before parsing, flow nesting before the parser recurses, aliases while building the value.
 * Never throws for bad input: every problem is a diagnostic with the file's line and column.
 */
export function readYaml(
  file: string,
  bytes: Uint8Array,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
  again?: FileSource,
): ReadYamlResult {
  const fail = (d: Omit<Diagnostic, 'severity' | 'file'>): ReadYamlResult => ({
    diagnostics: [{ severity: 'error', file, ...d }],
  })
  if (bytes.byteLength > limits.maxBytes) {
    return fail({
      code: 'input-too-large',
      message: `${file} is ${bytes.byteLength} bytes, over the limit of ${limits.maxBytes}`,
      line: 1,
      column: 1,
      hint: 'split the file; Gantry refuses oversized files before parsing them',
    })
  }
  const decoded = decodeUtf8(bytes)
  if (typeof decoded === 'number') {
    const badByte = decoded
    // The position of the first bad byte: the text before it is valid, so it decodes as written.
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, badByte))
    return fail({
      code: 'yaml-syntax',
      message: `${file} is not valid UTF-8`,
      ...positionInText(before, before.length),
      hint: 'save the file as UTF-8',
    })
  }
  const text = withoutBom(decoded)
  if (text.trim() === '') {
    return fail({
      code: 'schema',
      message: `${file} is empty`,
      line: 1,
      column: 1,
      hint: 'write the document or delete the file',
    })
  }
  // One pass over the text tells whether the checks below can find anything, and whether the fast read may
  // take it: each check runs in full only when the pass says it may report.
  const scanned = scanText(text)
  if ((scanned.flags & SCAN_CONTROL) !== 0) {
    const control = text.search(NOT_PRINTABLE)
    const char = text.charCodeAt(control).toString(16).toUpperCase().padStart(4, '0')
    return fail({
      code: 'yaml-syntax',
      message: `the control character U+${char} is not allowed in YAML`,
      ...positionInText(text, control),
      hint: 'remove it, or write it as an escape in a double-quoted string',
    })
  }
  // Nesting is at most the number of `[` and `{`.
  if (scanned.openings > limits.maxDepth) {
    const flowDepth = maxFlowDepth(text)
    if (flowDepth.depth > limits.maxDepth) {
      return fail({
        code: 'input-too-large',
        message: `nesting deeper than ${limits.maxDepth} levels`,
        ...positionInText(text, flowDepth.offset),
        hint: 'flatten the structure',
      })
    }
  }

  if (reader !== 'positional') {
    const fast = fastYamlValue(text, limits, scanned)
    if (fast) {
      if (reader === 'cross-check') crossCheck(file, text, limits, fast.value)
      // Nothing of the file when it can be read again; else the bytes, unless they are a small part of a
      // larger buffer (a git batch) that they would keep alive.
      const keep = again ?? (bytes.buffer.byteLength <= Math.max(8192, 2 * bytes.byteLength) ? bytes : text)
      return { parsed: new ParsedYaml(file, fast.value, keep, limits, again ? sha256(bytes) : ''), diagnostics: [] }
    }
  }
  return readPositional(file, text, limits)
}

/**
 * How readYaml reads a file that passed the checks on its text: `fast` (the default) tries the fast read and
 * falls back to the positional one; `positional` always builds the node tree; `cross-check` also reads every
 * file the fast read accepts the positional way, and throws when the two disagree (for tests).
 */
export type YamlReader = 'fast' | 'positional' | 'cross-check'
let reader: YamlReader = 'fast'

/** Sets how files are read; returns the previous setting. */
export function setYamlReader(mode: YamlReader): YamlReader {
  const previous = reader
  reader = mode
  return previous
}

function crossCheck(file: string, text: string, limits: YamlLimits, value: unknown): void {
  const full = readPositional(file, text, limits)
  if (full.diagnostics.length > 0 || !isDeepStrictEqual(full.parsed?.value, value)) {
    throw new Error(
      `the fast YAML read accepted ${file}, the positional read ${full.diagnostics.length > 0 ? `reports ${JSON.stringify(full.diagnostics)}` : `reads another value: ${JSON.stringify(full.parsed?.value)} vs ${JSON.stringify(value)}`}\n${text}`,
    )
  }
}

/** The full read: the node tree with positions, every problem reported where it is. */
function readPositional(file: string, text: string, limits: YamlLimits): ReadYamlResult {
  const fail = (d: Omit<Diagnostic, 'severity' | 'file'>): ReadYamlResult => ({
    diagnostics: [{ severity: 'error', file, ...d }],
  })
  // A comment line the parser takes for content (see commentMisread): the text is read as YAML 1.2 reads it,
  // with those comments written plainly (every offset kept). Errors in that read are the file's problems;
  // without any, the comment is.
  const misread = commentMisread(file, text)
  const source = misread?.reference ?? text
  const { documents: list, lineCounter } = parseDocuments(source)
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const diagnostics: Diagnostic[] = []
  if (list.length === 0) {
    return fail({ code: 'schema', message: `${file} holds no YAML document`, line: 1, column: 1 })
  }
  const document = list[0]!
  if (list.length > 1) {
    const second = list[1]!
    diagnostics.push({
      severity: 'error',
      code: 'yaml-syntax',
      file,
      message: `${file} holds ${list.length} YAML documents; Gantry reads exactly one per file`,
      ...at(second.range[0]),
      hint: 'remove the "---" separator and the documents after it, or split them into files of their own',
    })
  }
  const yamlDirective = document.directives?.yaml
  if (yamlDirective?.explicit && yamlDirective.version !== '1.2') {
    diagnostics.push({
      severity: 'error',
      code: 'yaml-syntax',
      file,
      message: `%YAML ${yamlDirective.version} is not supported: Gantry reads YAML 1.2 (core schema), where "no" is a string and 1.10 a number`,
      ...positionInText(source, Math.max(0, source.search(/^%YAML\b/m))),
      hint: 'remove the %YAML directive and quote values that must stay strings',
    })
  }
  // The parser catches a stack overflow wherever it happens (so under various codes) and reports it at every
  // level it unwinds through: keep the first.
  const exhausted = (p: YAMLError | YAMLWarning) =>
    p.code === 'RESOURCE_EXHAUSTION' || /call stack/i.test(p.message)
  let overflows = 0
  const problems = [...document.errors, ...document.warnings].filter(
    (p) => !exhausted(p) || overflows++ === 0,
  )
  for (const problem of problems.slice(0, MAX_PROBLEMS_PER_FILE)) {
    const offset = problem.pos[0]
    if (problem.code === 'MISSING_CHAR' && /^Missing closing .quote/.test(problem.message)) {
      // The parser notices a quote left open where the text ends (often the end of the file): point at the
      // quote that opens it, which is where the author has to look.
      const opening = unclosedQuoteBefore(source, offset)
      if (opening !== undefined) {
        diagnostics.push({
          severity: 'error',
          code: 'yaml-syntax',
          file,
          message: `this ${text[opening]} quote is never closed`,
          ...at(opening),
          hint: `close the quote where the value ends, or remove it`,
        })
        continue
      }
    }
    if (exhausted(problem)) {
      diagnostics.push({
        severity: 'error',
        code: 'input-too-large',
        file,
        message: 'nesting too deep to read',
        ...at(offset),
        hint: 'flatten the structure',
      })
      continue
    }
    diagnostics.push({
      severity: 'error',
      code: problem.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax',
      file,
      message: describeYamlProblem(problem),
      ...at(offset),
      ...(problem.code === 'TAG_RESOLVE_FAILED'
        ? { hint: 'Gantry reads plain YAML 1.2 core schema: remove the tag' }
        : problem.code === 'DUPLICATE_KEY'
          ? { hint: 'keep one of the keys' }
          : {}),
    })
  }
  if (problems.length > MAX_PROBLEMS_PER_FILE) diagnostics.push(moreProblems(file, problems.length))
  if (diagnostics.length > 0) return { diagnostics }
  if (misread) return { diagnostics: [misread.diagnostic] }

  const inspection = inspectNodes(file, document.contents as YamlNode | null, limits, at)
  diagnostics.push(...inspection.diagnostics)
  if (diagnostics.length > 0) return { diagnostics }

  let value: unknown
  try {
    value = document.toJS({ maxAliasCount: limits.maxAliasCount })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const aliasBomb = /alias/i.test(message) && /excessive|exhaustion/i.test(message)
    return fail({
      code: aliasBomb ? 'input-too-large' : 'yaml-syntax',
      message: aliasBomb ? `aliases expand past the limit of ${limits.maxAliasCount}` : message,
      ...(inspection.firstAlias ?? { line: 1, column: 1 }),
      hint: aliasBomb ? 'write the values out instead of repeating aliases' : 'fix the alias',
    })
  }
  return { parsed: new ParsedYaml(file, value, text), diagnostics }
}

/**
 * A line the lexer may take for content although it is a comment line: after spaces, `#` followed by a
 * character other than a space, a tab or a line break (`#note`), or a tab before the `#`. Only a hint (it
 * also matches such lines in block scalars and quoted strings): the lexer's tokens decide.
 */
const SUSPECT_COMMENT_LINE = /^(?: *#[^ \t\r\n]| *\t[ \t]*#)/m

/**
 * A comment line that makes the `yaml` parser read the text another way than YAML 1.2 does, or undefined.
 *
 * YAML 1.2.2 section 6.6: "Outside scalar content, comments may appear on a line of their own, independent
 * of the indentation level" (rules 78 l-comment and 79 s-l-comments: a `#`, then any characters); and a
 * plain scalar continues only over lines of content and empty lines (rule 134 s-ns-plain-next-line), never
 * over a comment line. The `yaml` lexer takes a comment line whose `#` is followed by something other than
 * a space or a tab (`#note`), or whose `#` comes after a tab, for a line of content at the comment's column:
 * the indentation the lines after it are measured against drops to that column. A plain scalar then runs on
 * over the lines that should end it (`- spec:`, `#note`, `   x`, `- a` reads as `[{spec: "x - a"}]`), and a
 * block scalar, a quoted string or a flow collection accepts lines indented less than they must be.
 *
 * What the comment says never matters to YAML, so the text is lexed again with each such comment line
 * written `#` and spaces (tabs before it as spaces, every offset kept): when the tokens differ (comments and
 * white space compared by length only), the comment changed the reading. Returns that text, to be read
 * instead, and the diagnostic at the comment at fault, for when that read finds nothing else wrong.
 */
function commentMisread(
  file: string,
  text: string,
): { diagnostic: Diagnostic; reference: string } | undefined {
  if (!SUSPECT_COMMENT_LINE.test(text)) return undefined
  // Most such texts lex the same with every line that looks like such a comment written plainly: nothing to
  // find, and no token kept. Otherwise (one of them is content of a block scalar or a quoted string, or the
  // comment changes the reading) the comparison below tells which.
  if (sameTokens(text, withPlainComments(text, suspectLines(text)))) return undefined
  const original = [...lexemes(text)]
  const suspects = suspectComments(text, original)
  if (suspects.length === 0) return undefined
  const plain = withPlainComments(text, suspects)
  const reference = [...lexemes(plain)]
  const differs = firstDifference(original, reference)
  if (differs === undefined) return undefined
  // The comment at fault comes before the first token read another way: the last one that, written plainly
  // together with those after it, gives the reference's tokens up to there (found by bisection: a file can
  // hold thousands of comment lines).
  const before = suspects.filter((offset) => offset < differs).length
  let good = 0
  let bad = before
  while (bad - good > 1) {
    const mid = (good + bad) >> 1
    const variant = lexemes(withPlainComments(text, suspects.slice(mid)))
    const at = firstDifference(variant, reference, differs)
    if (at === undefined || at > differs) good = mid
    else bad = mid
  }
  const comment = suspects[Math.min(good, Math.max(0, before - 1))]!
  const tab = text.slice(text.lastIndexOf('\n', comment - 1) + 1, comment).includes('\t')
  const noSpace = !' \t\r\n'.includes(text[comment + 1] ?? ' ')
  const misreadLine = positionInText(text, differs).line
  const diagnostic: Diagnostic = {
    severity: 'error',
    code: 'yaml-syntax',
    file,
    message:
      `this comment ${tab ? 'is indented with a tab' : 'has no space after "#"'}: the YAML parser then takes it for ` +
      `content and misreads the lines after it (from line ${misreadLine}); YAML 1.2 ignores comment lines`,
    ...positionInText(text, comment),
    hint: tab
      ? `indent the comment with spaces instead of a tab${noSpace ? ', and put a space after "#"' : ''}`
      : 'put a space after "#" ("# note", not "#note"), or indent the comment as deep as the value below it',
  }
  return { diagnostic, reference: plain }
}

/** A token of the `yaml` lexer: white space runs merged, the content after a scalar marker kept apart. */
interface Lexeme {
  offset: number
  type: string
  length: number
}

/** The lexer's tokens of a text with their offsets (its control tokens take no room in the text). */
function* lexemes(text: string): Generator<Lexeme> {
  let offset = 0
  let space: Lexeme | undefined
  let scalar = false
  for (const source of new Lexer().lex(text)) {
    const control = source === CST.DOCUMENT || source === CST.FLOW_END || source === CST.SCALAR
    const type = scalar ? 'scalar-content' : control ? source : (CST.tokenType(source) ?? 'content')
    scalar = source === CST.SCALAR
    if (type === 'space' && space && space.offset + space.length === offset) space.length += source.length
    else {
      if (space) yield space
      space = undefined
      const lexeme = { offset, type, length: control ? 0 : source.length }
      if (type === 'space') space = lexeme
      else yield lexeme
    }
    if (!control) offset += source.length
  }
  if (space) yield space
}

/** Offsets of the `#` of each comment the lexer found alone on its line and may take for content. */
function suspectComments(text: string, tokens: readonly Lexeme[]): number[] {
  const found: number[] = []
  for (const { offset, type } of tokens) {
    if (type !== 'comment') continue
    const prefix = text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset)
    if (!/^[ \t]*$/.test(prefix)) continue
    const next = text[offset + 1]
    if (prefix.includes('\t') || (next !== undefined && !' \t\r\n'.includes(next))) found.push(offset)
  }
  return found
}

/** Offsets of the `#` of each line that SUSPECT_COMMENT_LINE matches. */
function suspectLines(text: string): number[] {
  const found: number[] = []
  for (const match of text.matchAll(/^([ \t]*)#(.?)/gm)) {
    const [, prefix = '', next = ''] = match
    if (prefix.includes('\t') || (next !== '' && !' \t\r'.includes(next)))
      found.push(match.index + prefix.length)
  }
  return found
}

/**
 * Whether two texts of the same length lex to the same tokens, but for comments and runs of spaces and tabs
 * of the same length; scalar content must match exactly. Compared as the lexer goes, keeping nothing.
 */
function sameTokens(a: string, b: string): boolean {
  const left = new Lexer().lex(a)
  const right = new Lexer().lex(b)
  let scalar = false
  for (;;) {
    const x = left.next()
    const y = right.next()
    if (x.done || y.done) return x.done === y.done
    const same =
      x.value === y.value ||
      (!scalar &&
        x.value.length === y.value.length &&
        ((x.value[0] === '#' && y.value[0] === '#') || (BLANK.test(x.value) && BLANK.test(y.value))))
    if (!same) return false
    scalar = x.value === CST.SCALAR
  }
}

const BLANK = /^[ \t]+$/

/** The text with the comment lines at `comments` written `#` and spaces, spaces before them: offsets kept. */
function withPlainComments(text: string, comments: readonly number[]): string {
  let result = ''
  let from = 0
  for (const comment of comments) {
    const lineStart = text.lastIndexOf('\n', comment - 1) + 1
    let end = text.indexOf('\n', comment)
    if (end < 0) end = text.length
    if (text[end - 1] === '\r') end--
    result +=
      text.slice(from, lineStart) + ' '.repeat(comment - lineStart) + '#' + ' '.repeat(end - comment - 1)
    from = end
  }
  return result + text.slice(from)
}

/**
 * Offset of the first token where two token lists differ (comments and white space compared by length), or
 * undefined; reading `a` stops past `until`.
 */
function firstDifference(a: Iterable<Lexeme>, b: readonly Lexeme[], until = Infinity): number | undefined {
  let i = 0
  for (const x of a) {
    const y = b[i++]
    if (!y || x.offset !== y.offset || x.type !== y.type || x.length !== y.length)
      return Math.min(x.offset, y?.offset ?? x.offset)
    if (x.offset > until) return undefined
  }
  return i < b.length ? b[i]!.offset : undefined
}

/** Past this many problems in one file, the rest are counted, not listed: a broken file stays one screen. */
const MAX_PROBLEMS_PER_FILE = 20

function moreProblems(file: string, total: number): Diagnostic {
  return {
    severity: 'error',
    code: 'yaml-syntax',
    file,
    line: 1,
    column: 1,
    message: `${file} has ${total - MAX_PROBLEMS_PER_FILE} more problems than the ${MAX_PROBLEMS_PER_FILE} listed`,
    hint: 'fix the first ones; later problems often follow from them',
  }
}

/**
 * Offset of the opening quote of the quoted scalar that runs to `end` without its closing quote, found in the
 * parser's concrete syntax tree (walked without recursion), or undefined when there is none.
 */
function unclosedQuoteBefore(text: string, end: number): number | undefined {
  let best: number | undefined
  const stack: unknown[] = [...new Parser().parse(text)]
  while (stack.length > 0) {
    const token = stack.pop()
    if (!token || typeof token !== 'object') continue
    const { type, offset, source } = token as { type?: unknown; offset?: unknown; source?: unknown }
    if (
      (type === 'double-quoted-scalar' || type === 'single-quoted-scalar') &&
      typeof offset === 'number' &&
      typeof source === 'string' &&
      offset + source.length >= end &&
      offset <= end &&
      (best === undefined || offset < best)
    )
      best = offset
    for (const value of Object.values(token)) if (value && typeof value === 'object') stack.push(value)
  }
  return best
}

function describeYamlProblem(problem: YAMLError | YAMLWarning): string {
  const first = problem.message.split('\n')[0] ?? problem.message
  return first.replace(/ at line \d+, column \d+:?$/, '').replace('tag:yaml.org,2002:', '!!')
}

interface Inspection {
  diagnostics: Diagnostic[]
  /** Where the first alias is, for a diagnostic about aliases as a whole. */
  firstAlias?: Position
}

/**
 * Walks the node tree without recursion, in linear time: depth, forbidden keys, duplicate keys (as JavaScript
 * sees them: `1` and `"1"` are one key), alias count, numbers JavaScript cannot hold.
 */
function inspectNodes(
  file: string,
  root: YamlNode | null,
  limits: YamlLimits,
  at: (offset: number) => Position,
): Inspection {
  const diagnostics: Diagnostic[] = []
  const report = (offset: number, d: Omit<Diagnostic, 'severity' | 'file' | 'line' | 'column'>) =>
    diagnostics.push({ severity: 'error', file, ...d, ...at(offset) })
  let aliases = 0
  let firstAlias: number | undefined
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }]
  while (stack.length > 0 && diagnostics.length < MAX_PROBLEMS_PER_FILE) {
    const { node, depth } = stack.pop()!
    if (!node) continue
    const offset = rangeStart(node)?.offset ?? 0
    if (isAlias(node)) {
      aliases++
      if (firstAlias === undefined || offset < firstAlias) firstAlias = offset
      continue
    }
    if (depth > limits.maxDepth) {
      report(offset, {
        code: 'input-too-large',
        message: `nesting deeper than ${limits.maxDepth} levels`,
        hint: 'flatten the structure',
      })
      break
    }
    if (isMap(node)) {
      const seen = new Map<string, number>()
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const keyOffset = rangeStart(pair.key)?.offset ?? offset
        if (pair.key !== null && !isScalar(pair.key)) {
          report(keyOffset, {
            code: 'yaml-syntax',
            message: 'a map key must be a plain value, not a map, a list or an alias',
          })
        } else {
          // The property name the key becomes in JavaScript (the yaml library turns a null key into "").
          const name = pair.key === null || pair.key.value === null ? '' : String(pair.key.value)
          const first = seen.get(name)
          if (FORBIDDEN_KEYS.has(name)) {
            report(keyOffset, {
              code: 'forbidden-key',
              message: `the key "${name}" is not allowed`,
              hint: 'rename the key; __proto__, constructor and prototype are refused everywhere',
            })
          } else if (first !== undefined) {
            report(keyOffset, {
              code: 'duplicate-key',
              message: `the key "${name}" appears twice in this map (first on line ${at(first).line})`,
              hint: 'keep one of the keys',
            })
          } else seen.set(name, keyOffset)
        }
        stack.push({ node: pair.value, depth: depth + 1 })
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 })
    } else if (isScalar(node) && typeof node.value === 'number') {
      const n = node.value
      if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) {
        report(offset, {
          code: 'schema',
          message: `the number ${node.source ?? String(n)} cannot be held exactly (beyond 2^53 or infinite)`,
          hint: 'quote it if it is an identifier, or use a smaller number',
        })
      }
    }
  }
  // Resolving an alias costs a walk of the document: many aliases are slow even when each expands little.
  if (diagnostics.length === 0 && aliases > limits.maxAliasCount) {
    report(firstAlias ?? 0, {
      code: 'input-too-large',
      message: `${aliases} aliases, over the limit of ${limits.maxAliasCount}`,
      hint: 'write the values out instead of repeating aliases',
    })
  }
  return { diagnostics, ...(firstAlias !== undefined ? { firstAlias: at(firstAlias) } : {}) }
}

/** Deepest [ { nesting outside quoted strings and comments, found in one linear pass. */
function maxFlowDepth(text: string): { depth: number; offset: number } {
  let depth = 0
  let max = 0
  let offset = 0
  let quote: '"' | "'" | undefined
  let comment = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (comment) {
      if (c === '\n') comment = false
      continue
    }
    if (quote) {
      if (c === '\\' && quote === '"') i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === '"' || c === "'") {
      if (depth > 0) quote = c
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) comment = true
    else if (c === '[' || c === '{') {
      depth++
      if (depth > max) {
        max = depth
        offset = i
      }
    } else if ((c === ']' || c === '}') && depth > 0) depth--
  }
  return { depth: max, offset }
}

/** 1-based line and column of an offset in a text. */
export function positionInText(text: string, offset: number): Position {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)

/** The text readYaml read from bytes it accepted: decoded and stripped the same way. */
function decodedText(bytes: Uint8Array): string {
  const decoded = decodeUtf8(bytes)
  if (typeof decoded === 'number') throw new Error('decodedText: bytes that readYaml refused')
  return withoutBom(decoded)
}

/**
 * The text of `bytes` (a leading byte order mark dropped, as TextDecoder does), or the offset of the first
 * byte that is not well-formed UTF-8. Decoded once: the check is the decoding.
 */
function decodeUtf8(bytes: Uint8Array): string | number {
  try {
    return STRICT_UTF8.decode(bytes)
  } catch {
    // Slow path only for bad files: find where.
    const bad = firstInvalidUtf8(bytes)
    return bad >= 0 ? bad : new TextDecoder('utf-8').decode(bytes)
  }
}

/** Byte offset of the first byte that is not well-formed UTF-8 (RFC 3629), or -1 when all are. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const continuation = (i: number, low = 0x80, high = 0xbf) =>
    i < bytes.length && bytes[i]! >= low && bytes[i]! <= high
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) i += 1
    else if (b >= 0xc2 && b <= 0xdf && continuation(i + 1)) i += 2
    else if (b >= 0xe0 && b <= 0xef) {
      const low = b === 0xe0 ? 0xa0 : 0x80
      const high = b === 0xed ? 0x9f : 0xbf
      if (!continuation(i + 1, low, high) || !continuation(i + 2)) return i
      i += 3
    } else if (b >= 0xf0 && b <= 0xf4) {
      const low = b === 0xf0 ? 0x90 : 0x80
      const high = b === 0xf4 ? 0x8f : 0xbf
      if (!continuation(i + 1, low, high) || !continuation(i + 2) || !continuation(i + 3)) return i
      i += 4
    } else return i
  }
  return -1
}
