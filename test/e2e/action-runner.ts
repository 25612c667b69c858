import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { LocalGitHub } from '../local-github/server.js'

export const ACTION_BUNDLE = resolve(import.meta.dirname, '../../dist/index.js')
export const ACTION_SOURCE = resolve(import.meta.dirname, '../../src/action/index.ts')
/** tsx's loader by its full address: the action runs with the workspace as its working directory. */
export const TSX = import.meta.resolve('tsx')

/**
 * How the action is started. Tests run the sources (through tsx), so a bug in src/ fails `npm test` without a
 * rebuild; the demo and CI run the committed bundle (GANTRY_ACTION=dist), which CI rebuilds and compares.
 */
export function actionCommand(which: 'source' | 'dist' = process.env.GANTRY_ACTION === 'dist' ? 'dist' : 'source'): string[] {
  return which === 'dist' ? [ACTION_BUNDLE] : ['--import', TSX, ACTION_SOURCE]
}

export interface ActionRun {
  code: number
  stdout: string
  stderr: string
  /** The job summary the run wrote. */
  summary: string
  /** `::error file=...,line=...::message` workflow commands, parsed. */
  annotations: { level: string; file?: string; line?: number; column?: number; message: string }[]
  outputs: Record<string, string>
}

export interface ActionEvent {
  /** The event's name (GITHUB_EVENT_NAME): push, pull_request, pull_request_target, pull_request_review, ... */
  name: string
  payload: Record<string, unknown>
}

/** Runs the action (its sources, or the bundle: see actionCommand) as the Actions runner would, against the local GitHub. */
export async function runAction(
  github: LocalGitHub,
  options: {
    owner: string
    repo: string
    token: string
    workspace: string
    event: ActionEvent
    inputs?: Record<string, string>
    env?: Record<string, string>
  },
): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), 'gantry-run-'))
  const eventPath = join(dir, 'event.json')
  const summaryPath = join(dir, 'summary.md')
  const outputPath = join(dir, 'output.txt')
  await writeFile(eventPath, JSON.stringify(options.event.payload))
  await writeFile(summaryPath, '')
  await writeFile(outputPath, '')
  const inputs: Record<string, string> = { token: options.token, command: 'auto', 'dry-run': 'false', ...options.inputs }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: `${options.owner}/${options.repo}`,
    GITHUB_EVENT_NAME: options.event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_API_URL: github.baseUrl,
    GITHUB_SERVER_URL: github.webUrl,
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_ACTOR: 'gantry-bot',
    GIT_AUTHOR_NAME: 'Gantry',
    GIT_AUTHOR_EMAIL: 'gantry@users.noreply.local',
    GIT_COMMITTER_NAME: 'Gantry',
    GIT_COMMITTER_EMAIL: 'gantry@users.noreply.local',
    ...options.env,
  }
  for (const [key, value] of Object.entries(inputs)) env[`INPUT_${key.toUpperCase()}`] = value
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, actionCommand(), { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (err += b.toString()))
    child.on('close', (c) => done({ code: c ?? 1, stdout: out, stderr: err }))
  })
  return {
    code,
    stdout,
    stderr,
    summary: await readFile(summaryPath, 'utf8'),
    annotations: parseAnnotations(stdout),
    outputs: parseOutputs(await readFile(outputPath, 'utf8')),
  }
}

function parseAnnotations(stdout: string): ActionRun['annotations'] {
  const out: ActionRun['annotations'] = []
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) continue
    const props = Object.fromEntries((m[2] ?? '').split(',').filter(Boolean).map((p) => p.split('=') as [string, string]))
    out.push({
      level: m[1]!,
      ...(props.file ? { file: unescapeCommand(props.file) } : {}),
      ...(props.line ? { line: Number(props.line) } : {}),
      ...(props.col ? { column: Number(props.col) } : {}),
      message: unescapeCommand(m[3]!),
    })
  }
  return out
}

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const re = /^(.+?)<<(.+)\n([\s\S]*?)\n\2$/gm
  for (const m of text.matchAll(re)) outputs[m[1]!] = m[3]!
  return outputs
}

/** Workflow commands escape %, CR, LF (and : , in properties). */
function unescapeCommand(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')
}
