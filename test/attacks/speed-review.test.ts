import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { scanText } from '../../src/core/yaml/fast-yaml.js'
import { DEFAULT_YAML_LIMITS, SourceChangedError, readYaml } from '../../src/core/yaml/read-yaml.js'
import { PROJECT_ROOT, makeGitRepo, removeTempDirs, tempDir, writeFiles } from '../support/fixtures.js'

afterAll(removeTempDirs)

/**
 * Two texts of the same length and the same 32-bit FNV-1a hash (found by a birthday search over the comment of
 * the last line, a second's work): the check a file read again by path had to pass before it was trusted.
 */
const FIRST = 'kind: task\nname: t\nspec:\n  replicas: 1\n# xosksgd\n'
const SECOND = 'kind: task\nname: t\nspec:\n  replicas: x\n# iqacbrb\n'

describe('a working-tree file rewritten between its two reads', () => {
  it('the two texts collide on what the first check compared', () => {
    expect(SECOND.length).toBe(FIRST.length)
    expect(scanText(SECOND).hash).toBe(scanText(FIRST).hash)
  })

  it('a value read again from a rewritten file of the same length and FNV-1a hash is refused', () => {
    // A FileSource that answers with the rewritten bytes: the file replaced between the two reads, which a
    // real run cannot time (the CLI test below does it with real processes).
    const source = { readAgain: () => new TextEncoder().encode(SECOND) }
    const { parsed, diagnostics } = readYaml('definitions/task/t.yaml', new TextEncoder().encode(FIRST), DEFAULT_YAML_LIMITS, source)
    expect(diagnostics).toEqual([])
    parsed!.dropValue()
    expect(() => parsed!.value).toThrow(SourceChangedError)
  })

  it('gantry validate stops with exit 2 instead of checking the overrides on the rewritten document', async () => {
    const dir = tempDir('gantry-collision-')
    writeFiles(dir, {
      'gantry.yaml': 'versioning: dot\nenvironments:\n  - name: dev\n    branch: env/dev\n',
      'kinds/task.schema.json': JSON.stringify({
        type: 'object',
        additionalProperties: false,
        properties: { replicas: { type: 'integer' }, mode: { type: 'string' } },
      }),
      'definitions/task/t.yaml': FIRST,
      'packages/p.yaml': 'name: p\nitems: [task/t]\nenvironments:\n  dev:\n    set:\n      task/t:\n        spec.mode: fast\n',
    })
    makeGitRepo(dir)
    // A `git` first on PATH that rewrites the definition when Gantry lists the tags: after the definitions are
    // loaded (their values let go), before the package's overrides read the document again.
    const bin = join(dir, '.bin')
    mkdirSync(bin)
    const second = join(dir, '.second.yaml')
    writeFileSync(second, SECOND)
    const realGit = (await run('sh', ['-c', 'command -v git'], process.env)).stdout.trim()
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\ncase "$*" in *refs/tags*) cp '${second}' '${join(dir, 'definitions/task/t.yaml')}' ;; esac\nexec '${realGit}' "$@"\n`,
    )
    chmodSync(join(bin, 'git'), 0o755)
    const result = await run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/index.ts'), 'validate', '--repo', dir], {
      ...process.env,
      NO_COLOR: '1',
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    })
    // Before: exit 1 with an invalid-override finding on packages/p.yaml that neither version of the file
    // gives (the first validates clean; the second fails its own schema check, not the override's).
    expect(result.stderr).toContain('definitions/task/t.yaml changed while Gantry was reading it')
    expect(result.code).toBe(2)
    // The same run, the file rewritten with the text it already holds, is clean.
    writeFileSync(join(dir, 'definitions/task/t.yaml'), FIRST)
    writeFileSync(second, FIRST)
    const clean = await run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/index.ts'), 'validate', '--repo', dir], {
      ...process.env,
      NO_COLOR: '1',
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    })
    expect(clean.code, clean.stdout + clean.stderr).toBe(0)
  })
})

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    )
  })
}
