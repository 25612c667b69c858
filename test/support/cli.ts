import { Writable } from 'node:stream'
import { main } from '../../src/cli/main.js'

/** A writable stream that keeps what is written, as text. */
export class MemoryStream extends Writable {
  private readonly chunks: Buffer[] = []

  constructor(readonly isTTY = false) {
    super()
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    callback()
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as the one JSON object `--format json` prints. */
  json<T = Record<string, unknown>>(): T
}

/** Runs the CLI in-process, as `gantry <args>` would, with in-memory stdout and stderr. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = { NO_COLOR: '1' }): Promise<CliRun> {
  const stdout = new MemoryStream()
  const stderr = new MemoryStream()
  const code = await main(args, { stdout, stderr, env })
  const out = stdout.text()
  return {
    code,
    stdout: out,
    stderr: stderr.text(),
    json<T>() {
      try {
        return JSON.parse(out) as T
      } catch (error) {
        throw new Error(`stdout is not one JSON object:\n${out}\nstderr:\n${stderr.text()}`, { cause: error })
      }
    },
  }
}
