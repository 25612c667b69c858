import { expect } from 'vitest'
import { runCli } from '../support/cli.js'
import { type FileContent, tempDir, writeFiles } from '../support/fixtures.js'

const schema = (value: object): string =>
  `${JSON.stringify({ type: 'object', additionalProperties: false, ...value }, null, 2)}\n`

/**
 * A small repository that validates clean: two environments, three kinds, four definitions and two packages
 * (etl depends on base). Tests add or replace files to break exactly one thing; line numbers in the tests
 * refer to these texts.
 */
export const BASE_FILES: Record<string, string> = {
  'gantry.yaml': `versioning: dot
environments:
  - name: dev
    branch: env/dev
  - name: prod
    branch: env/prod
    after: [dev]
`,
  'kinds/agent.schema.json': schema({
    required: ['host'],
    properties: {
      host: { type: 'string' },
      port: { type: 'integer' },
      enabled: { type: 'boolean' },
      mode: { type: 'string' },
      labels: { type: 'object' },
    },
  }),
  'kinds/credential.schema.json': schema({
    required: ['secretRef'],
    properties: { secretRef: { type: 'string' }, username: { type: 'string' } },
  }),
  'kinds/task.schema.json': schema({
    required: ['command', 'agent'],
    properties: {
      command: { type: 'string' },
      agent: { type: 'string', 'x-gantry-ref': 'agent' },
      credential: { type: 'string', 'x-gantry-ref': 'credential' },
      successors: { type: 'array', items: { type: 'string', 'x-gantry-ref': 'task' } },
      retries: { type: 'integer' },
    },
  }),
  'definitions/agent/linux.yaml': `kind: agent
name: linux
spec:
  host: linux-01
`,
  'definitions/credential/db.yaml': `kind: credential
name: db
spec:
  secretRef: vault://db
`,
  'definitions/task/extract.yaml': `kind: task
name: extract
spec:
  command: run extract
  agent: linux
  credential: db
  successors: [load]
`,
  'definitions/task/load.yaml': `kind: task
name: load
spec:
  command: run load
  agent: linux
`,
  'packages/base.yaml': `name: base
items:
  - agent/linux
  - credential/db
`,
  'packages/etl.yaml': `name: etl
items:
  - task/extract
  - task/load
dependencies:
  - package: base
    version: ">=1"
`,
}

/** The base repository in a temp folder, with `changes` applied (null deletes a file). */
export function baseRepo(changes: Record<string, FileContent> = {}): string {
  const dir = tempDir('gantry-validate-')
  writeFiles(dir, BASE_FILES)
  writeFiles(dir, changes)
  return dir
}

export interface JsonDiagnostic {
  severity: 'error' | 'warning'
  code: string
  message: string
  file?: string
  line?: number
  column?: number
  package?: string
  item?: string
  hint?: string
  environment?: string
}

export interface ValidateJson {
  ok: boolean
  errors: number
  warnings: number
  diagnostics: JsonDiagnostic[]
}

/** `gantry validate --repo dir --format json [...extra]`: the exit code and the parsed output. */
export async function validate(
  dir: string,
  ...extra: string[]
): Promise<{ code: number; result: ValidateJson; stderr: string }> {
  const run = await runCli(['validate', '--repo', dir, '--format', 'json', ...extra])
  return { code: run.code, result: run.json<ValidateJson>(), stderr: run.stderr }
}

/** The diagnostics of `file` (and of `code`, when given). */
export function diagnosticsOf(result: ValidateJson, file: string, code?: string): JsonDiagnostic[] {
  return result.diagnostics.filter((d) => d.file === file && (code === undefined || d.code === code))
}

/** The one diagnostic of `file`, checked to have `code` and to sit at line:column. */
export function expectOne(
  result: ValidateJson,
  file: string,
  code: string,
  line: number,
  column: number,
): JsonDiagnostic {
  const found = diagnosticsOf(result, file)
  expect(
    found.map((d) => ({ code: d.code, line: d.line, column: d.column })),
    `diagnostics of ${file}: ${JSON.stringify(found, null, 1)}`,
  ).toEqual([{ code, line, column }])
  return found[0]!
}

/**
 * A second broken file for bad-input tests: whatever else is wrong in the run, this one must still be
 * reported, at 4:9 (host must be a string).
 */
export const CANARY = {
  file: 'definitions/agent/canary.yaml',
  content: `kind: agent
name: canary
spec:
  host: 42
`,
  code: 'schema',
  line: 4,
  column: 9,
}

export function expectCanary(result: ValidateJson): void {
  expectOne(result, CANARY.file, CANARY.code, CANARY.line, CANARY.column)
}
