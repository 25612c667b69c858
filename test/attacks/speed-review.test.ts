import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_YAML_LIMITS,
  SourceChangedError,
  readYaml,
  setYamlReader,
} from '../../src/core/yaml/read-yaml.js'
import { PROJECT_ROOT, makeGitRepo, removeTempDirs, runProcess as run, tempDir, writeFiles } from '../support/fixtures.js'
import {
  cli,
  cliJson,
  commitFiles as engineCommitFiles,
  git as engineGit,
  makeGitRepo as makeRepoWith,
  tempDir as engineTempDir,
} from '../engine/helpers.js'

afterAll(removeTempDirs)

/**
 * Two texts of the same length and the same 32-bit FNV-1a hash (found by a birthday search over the comment of
 * the last line, a second's work): the check a file read again by path once had to pass before it was trusted.
 * A weak hash cannot tell them apart; the loader must.
 */
const FIRST = 'kind: task\nname: t\nspec:\n  replicas: 1\n# xosksgd\n'
const SECOND = 'kind: task\nname: t\nspec:\n  replicas: x\n# iqacbrb\n'

describe('a working-tree file rewritten between its two reads', () => {
  it('the two texts collide on what the first check compared', () => {
    expect(SECOND.length).toBe(FIRST.length)
    expect(fnv1a(SECOND)).toBe(fnv1a(FIRST))
  })

  it('a value read again from a rewritten file of the same length and FNV-1a hash is refused', () => {
    // A FileSource that answers with the rewritten bytes: the file replaced between the two reads, which a
    // real run cannot time (the CLI test below does it with real processes).
    const source = { readAgain: () => new TextEncoder().encode(SECOND) }
    // Only a file the fast read accepted is let go and read again: this test is about that read, on every
    // GANTRY_TEST_YAML mode.
    const previous = setYamlReader('fast')
    const { parsed, diagnostics } = (() => {
      try {
        return readYaml(
          'definitions/task/t.yaml',
          new TextEncoder().encode(FIRST),
          DEFAULT_YAML_LIMITS,
          source,
        )
      } finally {
        setYamlReader(previous)
      }
    })()
    expect(diagnostics).toEqual([])
    parsed!.dropValue()
    expect(() => parsed!.value).toThrow(SourceChangedError)
  })

  it('gantry validate checks the overrides on the document as loaded, never on the rewritten one', async () => {
    const dir = tempDir('gantry-collision-')
    writeFiles(dir, {
      'gantry.yaml': 'versioning: dot\nenvironments:\n  - name: dev\n    branch: env/dev\n',
      'kinds/task.schema.json': JSON.stringify({
        type: 'object',
        additionalProperties: false,
        properties: { replicas: { type: 'integer' }, mode: { type: 'string' } },
      }),
      'definitions/task/t.yaml': FIRST,
      'packages/p.yaml':
        'name: p\nitems: [task/t]\nenvironments:\n  dev:\n    set:\n      task/t:\n        spec.mode: fast\n',
    })
    makeGitRepo(dir)
    // A `git` first on PATH that rewrites the definition when Gantry reads the environment branch: after the
    // definitions are loaded and checked, before the overrides are checked against the environment. (The
    // branches and tags are listed before the load, in one process: no git process runs between the load and
    // the local checks any more.)
    const bin = join(dir, '.bin')
    mkdirSync(bin)
    const second = join(dir, '.second.yaml')
    writeFileSync(second, SECOND)
    const realGit = (await run('sh', ['-c', 'command -v git'], process.env)).stdout.trim()
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\ncase "$*" in *env/dev*) cp '${second}' '${join(dir, 'definitions/task/t.yaml')}' ;; esac\nexec '${realGit}' "$@"\n`,
    )
    chmodSync(join(bin, 'git'), 0o755)
    const result = await run(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/index.ts'), 'validate', '--env', 'dev', '--repo', dir],
      {
        ...process.env,
        NO_COLOR: '1',
        PATH: `${bin}:${process.env.PATH ?? ''}`,
      },
    )
    // Once: exit 1 with an invalid-override finding on packages/p.yaml that neither version of the file gives
    // (the first validates clean; the second fails its own schema check, not the override's). Then exit 2
    // when the document read again had changed. Now the override is checked on the document validated, read
    // again (and checked against its hash) before the rewrite, and held from then on.
    expect(result.stdout + result.stderr).not.toContain('invalid-override')
    expect(result.code, result.stdout + result.stderr).toBe(0)
    // The hook ran: the file holds the second text.
    expect(readFileSync(join(dir, 'definitions/task/t.yaml'), 'utf8')).toBe(SECOND)
    // The same run, the file rewritten with the text it already holds, is clean.
    writeFileSync(join(dir, 'definitions/task/t.yaml'), FIRST)
    writeFileSync(second, FIRST)
    const clean = await run(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/index.ts'), 'validate', '--repo', dir],
      {
        ...process.env,
        NO_COLOR: '1',
        PATH: `${bin}:${process.env.PATH ?? ''}`,
      },
    )
    expect(clean.code, clean.stdout + clean.stderr).toBe(0)
  })
})

describe('validate --env reads an environment branch by folder listings', () => {
  it('gives the findings plan gives on a branch with links, submodules, folders and odd names at item paths', async () => {
    const { dir, cleanup } = engineTempDir('gantry-listing-')
    try {
      const job = (name: string, spec = '{}') => `kind: job\nname: ${name}\nspec: ${spec}\n`
      const names = (n: number) => Array.from({ length: n }, (_, i) => `b${i}`)
      const manifest = (n: number) =>
        `name: q\nitems: [${names(n)
          .map((b) => `job/${b}`)
          .join(', ')}]\n`
      makeRepoWith(dir, {
        'gantry.yaml': 'versioning: dot\nenvironments:\n  - name: dev\n    branch: env/dev\n',
        'kinds/job.schema.json': '{"type":"object"}',
        ...Object.fromEntries(names(10).map((b) => [`definitions/job/${b}.yaml`, job(b)])),
        'packages/q.yaml': manifest(10),
      })
      expect((await cli(dir, ['build', 'q'])).code).toBe(0)
      expect((await cli(dir, ['apply', 'q', '--env', 'dev'])).code).toBe(0)
      // Four items more, so that the folder holds at least 8 of the files asked for and is listed.
      engineCommitFiles(dir, {
        ...Object.fromEntries(
          names(14)
            .slice(10)
            .map((b) => [`definitions/job/${b}.yaml`, job(b)]),
        ),
        'packages/q.yaml': manifest(14),
      })
      expect((await cli(dir, ['build', 'q'])).code).toBe(0)
      // The branch edited by hand, with plumbing: what sits at item paths is not a plain file.
      const index = { GIT_INDEX_FILE: join(dir, '.git', 'review-index') }
      const blob = (text: string) => engineGit(dir, ['hash-object', '-w', '--stdin'], { input: text })
      const put = (mode: string, sha: string, path: string) =>
        engineGit(dir, ['update-index', '--add', '--cacheinfo', `${mode},${sha},${path}`], { env: index })
      const remove = (path: string) =>
        engineGit(dir, ['update-index', '--force-remove', path], { env: index })
      engineGit(dir, ['read-tree', 'env/dev'], { env: index })
      const main = engineGit(dir, ['rev-parse', 'main'])
      put('100644', blob(job('b10')), 'definitions/job/b10.yaml') // a new item's file, made by hand
      put('120000', blob('b0.yaml'), 'definitions/job/b12.yaml') // a link where a new item goes
      put('160000', main, 'definitions/job/b13.yaml') // a submodule where a new item goes
      remove('definitions/job/b3.yaml')
      put('120000', blob('b0.yaml'), 'definitions/job/b3.yaml') // an applied item become a link
      remove('definitions/job/b4.yaml')
      put('160000', main, 'definitions/job/b4.yaml') // an applied item become a submodule
      remove('definitions/job/b5.yaml')
      put('100644', blob(job('b5')), 'definitions/job/b5.yaml/inner.yaml') // an applied item become a folder
      remove('definitions/job/b6.yaml')
      put('100644', blob(job('b6')), 'definitions/job/B6.yaml') // only the case differs
      put('100644', blob(job('x')), 'definitions/job/b 7.yaml')
      put('100644', blob(job('x')), 'definitions/job/b\n8.yaml')
      const tree = engineGit(dir, ['write-tree'], { env: index })
      engineGit(dir, [
        'update-ref',
        'refs/heads/env/dev',
        engineGit(dir, ['commit-tree', tree, '-p', 'env/dev', '-m', 'by hand']),
      ])

      const summary = (diagnostics: { code: string; item?: string; message: string; severity: string }[]) =>
        diagnostics
          .filter((d) => d.item !== undefined)
          .map((d) => `${d.severity} ${d.code} ${d.item}: ${d.message}`)
          .sort()
      const validated = await cliJson<{
        diagnostics: { code: string; item?: string; message: string; severity: string }[]
      }>(dir, ['validate', '--env', 'dev'])
      const planned = await cliJson<{
        diagnostics: { code: string; item?: string; message: string; severity: string }[]
      }>(dir, ['plan', 'q', '--env', 'dev'])
      expect(summary(validated.json.diagnostics)).toEqual(summary(planned.json.diagnostics))
      expect(summary(planned.json.diagnostics).length).toBeGreaterThanOrEqual(5)
    } finally {
      cleanup()
    }
  })
})

/** 32-bit FNV-1a of a text's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash
}
