// Matches requests to the operations of GitHub's REST API description (as extracted into
// github-operations.json by scripts/extract-github-operations.mjs) and validates their
// path and query parameters and JSON bodies with ajv.
import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS: under NodeNext its default import is the module object, whose `default` is the plugin.
type FormatsPlugin = (ajv: Ajv) => Ajv
const formatsModule = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin }
const addFormats: FormatsPlugin = formatsModule.default ?? formatsModule

export interface ParameterDescription {
  name: string
  in: 'path' | 'query'
  required: boolean
  schema: Record<string, unknown>
}

export interface OperationDescription {
  operationId: string
  method: string
  path: string
  parameters: ParameterDescription[]
  requestBody?: { required: boolean; contentType: string; schema: Record<string, unknown> }
}

interface OperationsFile {
  source: string
  operations: OperationDescription[]
  otherRoutes: string[]
}

export interface MatchedOperation {
  operation: OperationDescription
  params: Record<string, string>
}

export interface ValidationProblem {
  kind: 'invalid-parameters' | 'invalid-body'
  where: 'path' | 'query' | 'body'
  message: string
  details: ErrorObject[]
}

/** Template variables whose values may contain slashes (refs, file paths, branch names). */
const MULTI_SEGMENT = new Set(['ref', 'path', 'basehead', 'tag', 'branch', 'head'])

interface CompiledRoute {
  method: string
  regex: RegExp
  names: string[]
  literalLength: number
}

function compileTemplate(method: string, template: string): CompiledRoute {
  const names: string[] = []
  let literalLength = 0
  let source = ''
  let last = 0
  for (const match of template.matchAll(/\{([^}]+)\}/g)) {
    const literal = template.slice(last, match.index)
    literalLength += literal.length
    source += literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const name = match[1] ?? ''
    names.push(name)
    // `{base}...{head}`: the base stops at the first "...".
    if (name === 'path') source += '(.*)'
    else if (name === 'base') source += '(.+?)'
    else source += MULTI_SEGMENT.has(name) ? '(.+)' : '([^/]+)'
    last = match.index + match[0].length
  }
  const tail = template.slice(last)
  literalLength += tail.length
  source += tail.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return { method, regex: new RegExp(`^${source}/?$`), names, literalLength }
}

function matchRoute(route: CompiledRoute, method: string, path: string): Record<string, string> | null {
  if (route.method !== method) return null
  const match = route.regex.exec(path)
  if (!match) return null
  const params: Record<string, string> = {}
  try {
    route.names.forEach((name, index) => {
      params[name] = decodeURIComponent(match[index + 1] ?? '')
    })
  } catch {
    return null
  }
  return params
}

function describeErrors(errors: ErrorObject[], where: string): string {
  return errors
    .map((error) => {
      const at = `${where}${error.instancePath}`
      if (error.keyword === 'required') return `"${String(error.params.missingProperty)}" wasn't supplied.`
      if (error.keyword === 'additionalProperties') {
        return `"${String(error.params.additionalProperty)}" is not a permitted key.`
      }
      return `For '${at}', ${error.message ?? 'is invalid'}.`
    })
    .join('\n')
}

export class OperationTable {
  readonly source: string
  private readonly routes: { route: CompiledRoute; operation: OperationDescription }[]
  private readonly others: CompiledRoute[]
  private readonly bodyAjv: Ajv
  private readonly paramAjv: Ajv
  private readonly compiled = new Map<
    string,
    { path: ValidateFunction; query: ValidateFunction; body?: ValidateFunction }
  >()

  constructor(file: OperationsFile) {
    this.source = file.source
    this.routes = file.operations
      .map((operation) => ({ route: compileTemplate(operation.method, operation.path), operation }))
      .sort((a, b) => b.route.literalLength - a.route.literalLength)
    this.others = file.otherRoutes.map((line) => {
      const space = line.indexOf(' ')
      return compileTemplate(line.slice(0, space), line.slice(space + 1))
    })
    this.bodyAjv = createAjv(false)
    this.paramAjv = createAjv(true)
  }

  static load(path: URL | string = new URL('./github-operations.json', import.meta.url)): OperationTable {
    return new OperationTable(JSON.parse(readFileSync(path, 'utf8')) as OperationsFile)
  }

  get operations(): readonly OperationDescription[] {
    return this.routes.map((entry) => entry.operation)
  }

  match(method: string, path: string): MatchedOperation | null {
    for (const { route, operation } of this.routes) {
      const params = matchRoute(route, method, path)
      if (params) return { operation, params }
    }
    return null
  }

  /** True when GitHub serves this route although the local GitHub does not implement it. */
  isOtherGitHubRoute(method: string, path: string): boolean {
    return this.others.some((route) => matchRoute(route, method, path) !== null)
  }

  private validators(operation: OperationDescription) {
    const cached = this.compiled.get(operation.operationId)
    if (cached) return cached
    const schemaFor = (where: 'path' | 'query') => {
      const parameters = operation.parameters.filter((p) => p.in === where)
      return {
        type: 'object',
        properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
        required: parameters.filter((p) => p.required).map((p) => p.name),
      }
    }
    const entry: { path: ValidateFunction; query: ValidateFunction; body?: ValidateFunction } = {
      path: this.paramAjv.compile(schemaFor('path')),
      query: this.paramAjv.compile(schemaFor('query')),
    }
    if (operation.requestBody?.contentType.includes('json')) {
      entry.body = this.bodyAjv.compile(operation.requestBody.schema)
    }
    this.compiled.set(operation.operationId, entry)
    return entry
  }

  /** Checks a matched request as GitHub would; null when it is acceptable. */
  validate(
    matched: MatchedOperation,
    query: URLSearchParams,
    body: unknown,
    hasBody: boolean,
  ): ValidationProblem | null {
    const validators = this.validators(matched.operation)
    const pathValues: Record<string, unknown> = { ...matched.params }
    if (!validators.path(pathValues)) {
      const details = validators.path.errors ?? []
      return { kind: 'invalid-parameters', where: 'path', message: describeErrors(details, 'path'), details }
    }
    const queryValues: Record<string, unknown> = Object.fromEntries(query.entries())
    if (!validators.query(queryValues)) {
      const details = validators.query.errors ?? []
      return {
        kind: 'invalid-parameters',
        where: 'query',
        message: describeErrors(details, 'query'),
        details,
      }
    }
    const requestBody = matched.operation.requestBody
    if (requestBody && validators.body) {
      if (!hasBody) {
        if (!requestBody.required) return null
        return {
          kind: 'invalid-body',
          where: 'body',
          message: 'Invalid request.\n\nA JSON request body is required.',
          details: [],
        }
      }
      if (!validators.body(body)) {
        const details = validators.body.errors ?? []
        return {
          kind: 'invalid-body',
          where: 'body',
          message: `Invalid request.\n\n${describeErrors(details, 'body')}`,
          details,
        }
      }
    }
    return null
  }
}

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    coerceTypes: coerce,
    allowUnionTypes: true,
    logger: false,
  })
  addFormats(ajv)
  // An "owner/name" repository reference.
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/)
  return ajv
}

let shared: OperationTable | null = null

/** The operation table, loaded once per process. */
export function operationTable(): OperationTable {
  shared ??= OperationTable.load()
  return shared
}
