// Workflow expressions (`${{ ... }}`, `if:`) evaluated with GitHub's own evaluator (@actions/expressions),
// over template tokens from GitHub's own workflow parser (@actions/workflow-parser).
import { Evaluator, Lexer, Parser, data } from '@actions/expressions'
import type { FunctionDefinition } from '@actions/expressions/funcs/info'
import {
  isBasicExpression,
  isBoolean,
  isLiteral,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser'
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token'

/** The contexts an expression may read (github, inputs, vars, secrets, env, steps, needs, job, runner...). */
export type Contexts = Record<string, unknown>

/** The job and step status functions; the runner knows whether earlier steps failed. */
export interface Status {
  failed: boolean
  cancelled?: boolean
}

function statusFunctions(status: Status): Map<string, FunctionDefinition> {
  const fn = (name: string, value: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value()) },
  ]
  return new Map([
    fn('success', () => !status.failed && !status.cancelled),
    fn('failure', () => status.failed),
    fn('always', () => true),
    fn('cancelled', () => Boolean(status.cancelled)),
  ])
}

function toData(value: unknown): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData
}

function fromData(value: data.ExpressionData): unknown {
  switch (value.kind) {
    case data.Kind.Null:
      return null
    case data.Kind.Boolean:
      return (value as data.BooleanData).value
    case data.Kind.Number:
      return (value as data.NumberData).value
    case data.Kind.String:
      return value.coerceString()
    case data.Kind.Array:
      return (value as data.Array).values().map(fromData)
    case data.Kind.Dictionary:
      return Object.fromEntries((value as data.Dictionary).pairs().map((p) => [p.key, fromData(p.value)]))
    default:
      return (value as data.ExpressionData).coerceString()
  }
}

/** Evaluates one expression (without `${{ }}`). */
export function evaluateExpression(
  expression: string,
  contexts: Contexts,
  status: Status = { failed: false },
): unknown {
  const functions = statusFunctions(status)
  const tokens = new Lexer(expression).lex().tokens
  const parsed = new Parser(tokens, Object.keys(contexts), [...functions.values()]).parse()
  const context = new data.Dictionary(
    ...Object.entries(contexts).map(([key, value]) => ({ key, value: toData(value) })),
  )
  return fromData(new Evaluator(parsed, context, functions).evaluate())
}

/** A template token's value: scalars and expressions evaluated, mappings and sequences recursively. */
export function evaluateToken(
  token: TemplateToken | undefined,
  contexts: Contexts,
  status?: Status,
): unknown {
  if (!token) return undefined
  if (isBasicExpression(token)) return evaluateExpression(token.expression, contexts, status)
  if (isString(token)) return token.value
  if (isBoolean(token)) return token.value
  if (isNumber(token)) return token.value
  if (isLiteral(token)) return null
  if (isSequence(token)) {
    const out: unknown[] = []
    for (let i = 0; i < token.count; i++) out.push(evaluateToken(token.get(i), contexts, status))
    return out
  }
  if (isMapping(token)) {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < token.count; i++) {
      const pair = token.get(i)
      out[String(evaluateToken(pair.key, contexts, status))] = evaluateToken(pair.value, contexts, status)
    }
    return out
  }
  return undefined
}

/** As GitHub turns a value into a string for `with:`, `env:` and `run:` (null is empty, booleans are words). */
export function asString(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** Truthiness as GitHub's expressions define it. */
export function truthy(value: unknown): boolean {
  return (
    value !== null &&
    value !== undefined &&
    value !== false &&
    value !== 0 &&
    value !== '' &&
    !Number.isNaN(value)
  )
}
