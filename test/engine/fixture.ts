import { stringify } from 'yaml'
import { type CliRun, cli, cliJson, makeGitRepo } from './helpers.js'

/**
 * A small source repository: credentials, a connection that refers to a credential, a calendar kept by
 * operators (update: never) and tasks that refer to the connection. Environments dev -> qa -> prod.
 */

const ref = (kind: string) => ({ type: 'string', 'x-gantry-ref': kind })

export const KINDS: Record<string, unknown> = {
  cred: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: { path: { type: 'string' } },
  },
  conn: {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: {
      host: { type: 'string' },
      port: { type: 'integer' },
      credential: ref('cred'),
      options: { type: 'object' },
    },
  },
  cal: { type: 'object', properties: { days: { type: 'array', items: { type: 'string' } } } },
  task: {
    type: 'object',
    additionalProperties: false,
    required: ['command'],
    properties: {
      command: { type: 'string' },
      conn: ref('conn'),
      successors: { type: 'array', items: ref('task') },
    },
  },
}

export function definition(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
): Record<string, string> {
  return { [`definitions/${kind}/${name}.yaml`]: stringify({ kind, name, spec }) }
}

export function packageFile(manifest: { name: string } & Record<string, unknown>): Record<string, string> {
  return { [`packages/${manifest.name}.yaml`]: stringify(manifest) }
}

export function gantryYaml(
  options: { versioning?: 'dot' | 'semver'; kinds?: Record<string, unknown> } = {},
): Record<string, string> {
  return {
    'gantry.yaml': stringify({
      versioning: options.versioning ?? 'dot',
      environments: [
        { name: 'dev', branch: 'env/dev' },
        { name: 'qa', branch: 'env/qa', after: ['dev'] },
        { name: 'prod', branch: 'env/prod', after: ['qa'] },
      ],
      kinds: options.kinds ?? { cal: { update: 'never' } },
    }),
  }
}

export const BASE = {
  name: 'base',
  notes: 'Credentials and the database connection.',
  items: ['cred/db', 'cred/db-qa', 'conn/db', 'cal/holidays'],
  environments: {
    qa: { replace: { 'cred/db': 'cred/db-qa' }, set: { 'conn/db': { 'spec.host': 'db.qa.example.com' } } },
    prod: { set: { 'conn/db': { 'spec.port': 6432 } } },
  },
}

export const APP = {
  name: 'app',
  notes: 'The extract task.',
  items: ['task/extract'],
  dependencies: [{ package: 'base', version: '>=1' }],
}

export const TOOLS = { name: 'tools', notes: 'Independent tools.', items: ['cred/tools', 'task/cleanup'] }

export function sourceFiles(options: Parameters<typeof gantryYaml>[0] = {}): Record<string, string> {
  const kinds: Record<string, string> = {}
  for (const [kind, schema] of Object.entries(KINDS))
    kinds[`kinds/${kind}.schema.json`] = `${JSON.stringify(schema, null, 2)}\n`
  return {
    '.gitignore': '.gantry/build/\n',
    ...gantryYaml(options),
    ...kinds,
    ...definition('cred', 'db', { path: 'vault://kv/db' }),
    ...definition('cred', 'db-qa', { path: 'vault://kv/db-qa' }),
    ...definition('cred', 'tools', { path: 'vault://kv/tools' }),
    ...definition('conn', 'db', { host: 'db.dev.example.com', port: 5432, credential: 'db' }),
    ...definition('cal', 'holidays', { days: ['2026-12-25'] }),
    ...definition('task', 'extract', { command: 'extract.sh', conn: 'db' }),
    ...definition('task', 'cleanup', { command: 'cleanup.sh' }),
    ...packageFile(BASE),
    ...packageFile(APP),
    ...packageFile(TOOLS),
  }
}

/** A fresh source repository (no environment branch yet) in `dir`. */
export function makeSourceRepo(dir: string, options: Parameters<typeof gantryYaml>[0] = {}): string {
  return makeGitRepo(dir, sourceFiles(options))
}

export interface BuildJson {
  ok: boolean
  artifacts: {
    package: string
    version: string
    digest: string
    file: string
    tag: string | null
    created: boolean
    debug: boolean
    delta: Delta
  }[]
  diagnostics: { code: string; severity: string; package?: string }[]
}
export interface Delta {
  previous: string | null
  added: string[]
  changed: string[]
  removed: string[]
}

export interface PromoteJson {
  ok: boolean
  package: string
  version: string
  environment: string
  rollback: boolean
  previousVersion: string | null
  changes: {
    item: string
    action: 'add' | 'update' | 'delete' | 'keep'
    note?: string
    replaced?: Record<string, string>
  }[]
  diagnostics: { code: string; severity: string; item?: string; message: string }[]
  commit?: string
  alreadyApplied?: boolean
}

export async function build(
  repo: string,
  args: string[] = ['--all'],
): Promise<{ code: number; json: BuildJson }> {
  return cliJson<BuildJson>(repo, ['build', ...args])
}

export async function apply(
  repo: string,
  target: string,
  env: string,
): Promise<{ code: number; json: PromoteJson }> {
  return cliJson<PromoteJson>(repo, ['apply', target, '--env', env])
}

export async function plan(
  repo: string,
  target: string,
  env: string,
): Promise<{ code: number; json: PromoteJson }> {
  return cliJson<PromoteJson>(repo, ['plan', target, '--env', env])
}

/** Fails the test with the CLI's output when the exit code is not the expected one. */
export function expectExit(run: { code: number; json: unknown } | CliRun, code: number): void {
  if (run.code !== code) {
    const detail = 'json' in run ? JSON.stringify(run.json, null, 2) : `${run.stdout}\n${run.stderr}`
    throw new Error(`expected exit ${code}, got ${run.code}:\n${detail}`)
  }
}

export { cli }
