import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PROJECT_ROOT, makeGitRepo, removeTempDirs, runProcess as run, tempDir, writeFiles } from '../support/fixtures.js'

// A file the loader let go of is read again by path for the position of a finding, and trusted only if it
// still holds the bytes it was loaded from. Gantry's own processes, as users run them: a `git` first on PATH
// rewrites a package file while `validate --env` reads the environment branch, after the load and before
// the environment's findings are placed in the package file.

afterAll(removeTempDirs)

const PACKAGE = 'name: p\nitems: [task/t]\ndependencies:\n  - package: q\n'

async function validateWhileRewriting(rewritten: string): Promise<{ code: number; output: string }> {
  const dir = tempDir('gantry-rewritten-')
  writeFiles(dir, {
    'gantry.yaml': 'versioning: dot\nenvironments:\n  - name: dev\n    branch: env/dev\n',
    'kinds/task.schema.json': '{"type":"object"}',
    'definitions/task/t.yaml': 'kind: task\nname: t\nspec: {}\n',
    'definitions/task/u.yaml': 'kind: task\nname: u\nspec: {}\n',
    'packages/p.yaml': PACKAGE,
    'packages/q.yaml': 'name: q\nitems: [task/u]\n',
  })
  makeGitRepo(dir)
  const bin = join(dir, '.bin')
  mkdirSync(bin)
  const replacement = join(dir, '.replacement.yaml')
  writeFileSync(replacement, rewritten)
  const realGit = (await run('sh', ['-c', 'command -v git'], process.env)).stdout.trim()
  writeFileSync(
    join(bin, 'git'),
    `#!/bin/sh\ncase "$*" in *env/dev*) cp '${replacement}' '${join(dir, 'packages/p.yaml')}' ;; esac\nexec '${realGit}' "$@"\n`,
  )
  chmodSync(join(bin, 'git'), 0o755)
  const result = await run(
    process.execPath,
    ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/index.ts'), 'validate', '--env', 'dev', '--repo', dir],
    { ...process.env, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH ?? ''}` },
  )
  return { code: result.code, output: result.stdout + result.stderr }
}

describe('a package file rewritten while validate --env reads the environment', () => {
  it('is refused when a finding needs its position: exit 2, no finding placed in the new text', async () => {
    // The same length; the dependency's line moved by one (a position from this text would be wrong).
    const { code, output } = await validateWhileRewriting('name: p\nitems:\n- task/t\ndependencies: [{package: q}]\n'.padEnd(PACKAGE.length, '#'))
    expect(output).toContain('packages/p.yaml changed while Gantry was reading it')
    expect(code).toBe(2)
  })

  it('rewritten with the text it holds, is read again as loaded', async () => {
    const { code, output } = await validateWhileRewriting(PACKAGE)
    // The dependency is not applied in dev yet: a warning, at its line.
    expect(output).toContain('packages/p.yaml:4:14')
    expect(code, output).toBe(0)
  })
})
