import { execFile } from 'node:child_process'
import { resolve } from 'node:path'

/** The CLI bundle `npm run build:cli` writes, which tests comparing against an earlier build run beside it. */
export const BUILT_CLI = resolve(__dirname, '../../dist/cli/index.js')

export interface BuiltCliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a built CLI file (`dist/cli/index.js` of some build) as its own process on `repo`, without colour. */
export function runBuiltCli(
  cliPath: string,
  repo: string,
  args: string[],
  cwd?: string,
): Promise<BuiltCliRun> {
  return new Promise((done) => {
    execFile(
      'node',
      [cliPath, ...args, '--repo', repo],
      { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        done({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr })
      },
    )
  })
}
