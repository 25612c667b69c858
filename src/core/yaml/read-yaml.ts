import {
  type Document,
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Node as YamlNode,
  type YAMLError,
  type YAMLWarning,
} from 'yaml'
import type { Diagnostic, Position } from '../diagnostics.js'

export interface YamlLimits {
  /** Files larger than this are refused before parsing. */
  maxBytes: number
  /** Alias expansions allowed while building the value (alias bombs fail fast). */
  maxAliasCount: number
  /** Nesting depth of maps and sequences. */
  maxDepth: number
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxBytes: 1024 * 1024, maxAliasCount: 100, maxDepth: 64 }

/** Keys that would reach an object's prototype in careless consumers: refused everywhere. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

export type DocumentPath = readonly (string | number)[]

/** A parsed YAML file that can point at any of its nodes by path. */
export class ParsedYaml {
  constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
    readonly text: string,
  ) {}

  /** Position of the value at `path`, or of the nearest existing ancestor (or of the key with `key`). */
  positionOf(path: DocumentPath, options: { key?: boolean } = {}): Position {
    let node: unknown = this.document.contents
    let found: { offset: number } | undefined = rangeStart(node)
    for (const [index, segment] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment))
        if (!pair) break
        const last = index === path.length - 1
        if (last && options.key) {
          found = rangeStart(pair.key) ?? found
          break
        }
        node = pair.value
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment]
      } else break
      found = rangeStart(node) ?? found
    }
    return this.position(found?.offset ?? 0)
  }

  position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset)
    return { line, column: col }
  }
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
export function readYaml(file: string, bytes: Uint8Array, limits: YamlLimits = DEFAULT_YAML_LIMITS): ReadYamlResult {
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
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes)
  const bad = text.indexOf('\uFFFD')
  if (bad >= 0 && !isValidUtf8(bytes)) {
    const pos = positionInText(text, bad)
    return fail({
      code: 'yaml-syntax',
      message: `${file} is not valid UTF-8`,
      ...pos,
      hint: 'save the file as UTF-8',
    })
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.trim() === '') {
    return fail({ code: 'schema', message: `${file} is empty`, line: 1, column: 1, hint: 'write the document or delete the file' })
  }
  const flowDepth = maxFlowDepth(text)
  if (flowDepth.depth > limits.maxDepth) {
    return fail({
      code: 'input-too-large',
      message: `nesting deeper than ${limits.maxDepth} levels`,
      ...positionInText(text, flowDepth.offset),
      hint: 'flatten the structure',
    })
  }

  const lineCounter = new LineCounter()
  const documents = parseAllDocuments(text, {
    version: '1.2',
    schema: 'core',
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    merge: false,
    strict: true,
  })
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const diagnostics: Diagnostic[] = []
  const list = Array.isArray(documents) ? documents : []
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
      line: 1,
      column: 1,
      hint: 'remove the %YAML directive and quote values that must stay strings',
    })
  }
  const problems: (YAMLError | YAMLWarning)[] = [...document.errors, ...document.warnings]
  for (const problem of problems) {
    const offset = problem.pos[0]
    const code = problem.code === 'DUPLICATE_KEY' ? 'duplicate-key' : problem.code === 'RESOURCE_EXHAUSTION' ? 'input-too-large' : 'yaml-syntax'
    diagnostics.push({
      severity: 'error',
      code,
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
  if (diagnostics.length > 0) return { diagnostics }

  diagnostics.push(...inspectNodes(file, document.contents as YamlNode | null, limits, at))
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
      line: 1,
      column: 1,
      hint: aliasBomb ? 'write the values out instead of repeating aliases' : 'fix the alias',
    })
  }
  return { parsed: new ParsedYaml(file, value, document, lineCounter, text), diagnostics }
}

function describeYamlProblem(problem: YAMLError | YAMLWarning): string {
  const first = problem.message.split('\n')[0] ?? problem.message
  return first.replace(/ at line \d+, column \d+:?$/, '')
}

/** Walks the node tree without recursion: depth, forbidden keys, numbers JavaScript cannot hold. */
function inspectNodes(
  file: string,
  root: YamlNode | null,
  limits: YamlLimits,
  at: (offset: number) => Position,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }]
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!
    if (!node || isAlias(node)) continue
    if (depth > limits.maxDepth) {
      diagnostics.push({
        severity: 'error',
        code: 'input-too-large',
        file,
        message: `nesting deeper than ${limits.maxDepth} levels`,
        ...at(rangeStart(node)?.offset ?? 0),
        hint: 'flatten the structure',
      })
      return diagnostics
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        if (isScalar(pair.key) && FORBIDDEN_KEYS.has(String(pair.key.value))) {
          diagnostics.push({
            severity: 'error',
            code: 'forbidden-key',
            file,
            message: `the key "${String(pair.key.value)}" is not allowed`,
            ...at(rangeStart(pair.key)?.offset ?? 0),
            hint: 'rename the key; __proto__, constructor and prototype are refused everywhere',
          })
        } else if (pair.key !== null && !isScalar(pair.key)) {
          diagnostics.push({
            severity: 'error',
            code: 'yaml-syntax',
            file,
            message: 'a map key must be a plain value, not a map or a list',
            ...at(rangeStart(pair.key)?.offset ?? 0),
          })
        }
        stack.push({ node: pair.value, depth: depth + 1 })
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 })
    } else if (isScalar(node) && typeof node.value === 'number') {
      const n = node.value
      if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) {
        diagnostics.push({
          severity: 'error',
          code: 'schema',
          file,
          message: `the number ${node.source ?? String(n)} cannot be held exactly (beyond 2^53 or infinite)`,
          ...at(rangeStart(node)?.offset ?? 0),
          hint: 'quote it if it is an identifier, or use a smaller number',
        })
      }
    }
  }
  return diagnostics
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

function positionInText(text: string, offset: number): Position {
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

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}
