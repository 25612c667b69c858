import { readdirSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { sourceFiles } from '../engine/fixture.js'
import { runCli } from '../support/cli.js'
import { commitFiles, git, makeGitRepo, removeTempDirs, tempDir, writeFiles } from '../support/fixtures.js'
import { type JsonDiagnostic, type ValidateJson, baseRepo, diagnosticsOf, validate } from './base-repo.js'

afterAll(removeTempDirs)

interface FailureJson {
  ok: false
  error: string
  diagnostics: JsonDiagnostic[]
}

/** The engine's source repository (dev -> qa -> prod, packages base, app, tools) as a git repository. */
function engineRepo(changes: Record<string, string> = {}): string {
  const dir = tempDir('gantry-hostile-')
  writeFiles(dir, { ...sourceFiles(), ...changes })
  makeGitRepo(dir)
  return dir
}

async function cliIn(dir: string, args: string[]) {
  return runCli([...args, '--repo', dir])
}

describe('nothing is read or written through a symbolic link', () => {
  for (const [what, link] of [
    ['.gantry', '.gantry'],
    ['.gantry/build', '.gantry/build'],
  ] as const) {
    for (const debug of [false, true]) {
      it(`a committed ${what} link: build${debug ? ' --debug' : ''} writes nothing outside the repository`, async () => {
        const outside = tempDir('gantry-outside-')
        const dir = tempDir('gantry-hostile-')
        writeFiles(dir, { ...sourceFiles(), [link]: { symlink: outside } })
        makeGitRepo(dir)
        const run = await cliIn(dir, ['build', 'base', ...(debug ? ['--debug'] : []), '--format', 'json'])
        expect(run.code).toBe(2)
        const failure = run.json<FailureJson>()
        expect(failure.diagnostics.map((d) => [d.code, d.file])).toEqual([['unsafe-path', link]])
        expect(readdirSync(outside)).toEqual([])
        if (!debug) expect(git(dir, ['tag', '--list'])).toBe('')
      })
    }
  }

  for (const target of ['/etc/passwd', '/dev/zero']) {
    it(`a bundle that is a link to ${target} is refused by plan, never read`, async () => {
      const dir = engineRepo()
      expect((await cliIn(dir, ['build', 'base', '--format', 'json'])).code).toBe(0)
      const bundle = join(dir, '.gantry/build/base-1.gantry.json')
      rmSync(bundle)
      symlinkSync(target, bundle)
      const run = await cliIn(dir, ['plan', 'base', '--env', 'dev', '--format', 'json'])
      expect(run.code).toBe(1)
      const result = run.json<{ ok: boolean; diagnostics: JsonDiagnostic[] }>()
      expect(result.diagnostics.map((d) => [d.code, d.file])).toEqual([
        ['unsafe-path', '.gantry/build/base-1.gantry.json'],
      ])
      // The digest of what the link points at is never computed, so never printed.
      expect(run.stdout).not.toMatch(/got sha256/)
    })
  }

  it('a linked folder above a configured source folder is not read through', async () => {
    const outside = tempDir('gantry-outside-')
    writeFiles(outside, { 'defs/agent/linux.yaml': 'kind: agent\nname: linux\nspec:\n  host: outside\n' })
    const dir = baseRepo({
      'gantry.yaml': 'environments:\n  - name: dev\n    branch: env/dev\npaths:\n  definitions: src/defs\n',
      src: { symlink: outside },
    })
    const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(run.code).toBe(2)
    expect(run.json<FailureJson>().diagnostics.map((d) => [d.code, d.file])).toEqual([['unsafe-path', 'src']])
  })

  it('a build folder that is a link is refused by plan too', async () => {
    const dir = engineRepo()
    expect((await cliIn(dir, ['build', 'base', '--format', 'json'])).code).toBe(0)
    const elsewhere = tempDir('gantry-outside-')
    rmSync(join(dir, '.gantry/build'), { recursive: true })
    symlinkSync(elsewhere, join(dir, '.gantry/build'))
    const run = await cliIn(dir, ['plan', 'base', '--env', 'dev', '--format', 'json'])
    expect(run.json<{ diagnostics: JsonDiagnostic[] }>().diagnostics.map((d) => d.code)).toEqual([
      'unsafe-path',
    ])
  })
})

describe('hostile kind schemas are refused at their line', () => {
  const kind = (schema: object) =>
    `${JSON.stringify({ type: 'object', properties: { host: { type: 'string' } }, ...schema }, null, 2)}\n`
  const AGENT = 'kinds/agent.schema.json'

  async function refused(schema: string, extra: Record<string, string> = {}): Promise<JsonDiagnostic[]> {
    const { code, result } = await validate(baseRepo({ [AGENT]: schema, ...extra }))
    expect(code).toBe(1)
    return diagnosticsOf(result, AGENT)
  }

  it('a pattern with catastrophic backtracking is refused or runs in linear time', async () => {
    // Lookahead cannot run on RE2: refused at the pattern's line.
    const lookahead = await refused(
      kind({ properties: { host: { type: 'string', pattern: '^(?=a)(a+)+$' } } }),
    )
    expect(lookahead.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', 6]])
    // Nested quantifiers are fine on RE2: the hostile value is checked at once instead of hanging.
    const { code, result } = await validate(
      baseRepo({
        [AGENT]: kind({ properties: { host: { type: 'string', pattern: '^(a+)+$' } } }),
        'definitions/agent/linux.yaml': `kind: agent\nname: linux\nspec:\n  host: ${'a'.repeat(40)}!\n`,
      }),
    )
    expect(code).toBe(1)
    expect(diagnosticsOf(result, 'definitions/agent/linux.yaml').map((d) => [d.code, d.line])).toEqual([
      ['schema', 4],
    ])
  })

  it('a patternProperties key with a backreference is refused at the key', async () => {
    const found = await refused(kind({ patternProperties: { '^(a)\\1$': { type: 'string' } } }))
    expect(found.map((d) => [d.code, d.line, d.column])).toEqual([['unsafe-schema', 9, 5]])
  })

  it('"$async": true is refused with a diagnostic, not a stack trace', async () => {
    const found = await refused(kind({ $async: true }))
    expect(found.map((d) => [d.code, d.line, d.column])).toEqual([['unsafe-schema', 8, 3]])
    expect(found[0]!.message).toMatch(/\$async/)
  })

  it('a huge enum is refused', async () => {
    // 140,000 values (cost 48 s of validation before): past the size limit of a whole schema.
    const huge = Array.from({ length: 140_000 }, (_, i) => i)
    const all = await refused(
      `{"type": "object",\n "properties": {"mode": {"enum": ${JSON.stringify(huge)}}}}\n`,
    )
    expect(all.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', 1]])
    // A shorter one past the enum limit: at the enum.
    const long = Array.from({ length: 5_000 }, (_, i) => `v${i}`)
    const found = await refused(
      `{"type": "object",\n "properties": {"mode": {"enum": ${JSON.stringify(long)}}}}\n`,
    )
    expect(found.map((d) => [d.code, d.line])).toEqual([['unsafe-schema', 2]])
  })

  it('uniqueItems over a long list of objects is checked in linear time, duplicates still found', async () => {
    // Ajv's own keyword compares every pair of objects: 20,000 items took 27 s, these 60,000 about 4 minutes.
    const labels = { type: 'array', uniqueItems: true }
    const many = `    [${Array.from({ length: 60_000 }, (_, i) => `{a: ${i}}`).join(', ')}]`
    const file = (list: string) => `kind: agent\nname: linux\nspec:\n  host: linux-01\n  labels:\n${list}\n`
    const clean = await validate(
      baseRepo({
        [AGENT]: kind({ properties: { host: { type: 'string' }, labels } }),
        'definitions/agent/linux.yaml': file(many),
      }),
    )
    expect(clean.code).toBe(0)
    const { result } = await validate(
      baseRepo({
        [AGENT]: kind({ properties: { host: { type: 'string' }, labels } }),
        'definitions/agent/linux.yaml': file(`    - {s: x, n: 1}\n    - {n: 2}\n    - {n: 1, s: x}`),
      }),
    )
    expect(diagnosticsOf(result, 'definitions/agent/linux.yaml').map((d) => [d.line, d.message])).toEqual([
      [6, 'spec.labels must NOT have duplicate items (items ## 2 and 0 are identical)'],
    ])
  })

  it('an unknown format is refused, not ignored', async () => {
    const found = await refused(kind({ properties: { host: { type: 'string', format: 'hostname-ish' } } }))
    expect(found.map((d) => [d.code, d.line, d.column])).toEqual([['unsafe-schema', 6, 17]])
    expect(found[0]!.message).toMatch(/unknown format "hostname-ish"/)
  })

  it('known formats and plain patterns still work, each pattern on its own', async () => {
    const { code } = await validate(
      baseRepo({
        [AGENT]: kind({
          properties: { host: { type: 'string', format: 'hostname', pattern: '^[a-z0-9-]+$' } },
        }),
      }),
    )
    expect(code).toBe(0)
    const { result } = await validate(
      baseRepo({
        [AGENT]: kind({
          properties: {
            host: { type: 'string', pattern: '^[a-z0-9-]+$' },
            mode: { type: 'string', pattern: '^(on|off)$' },
          },
        }),
        'definitions/agent/linux.yaml': 'kind: agent\nname: linux\nspec:\n  host: linux-01\n  mode: auto\n',
      }),
    )
    expect(diagnosticsOf(result, 'definitions/agent/linux.yaml').map((d) => [d.line, d.message])).toEqual([
      [5, 'spec.mode does not match ^(on|off)$'],
    ])
  })
})

describe('configuration refused at its line', () => {
  const config = (environments: object[], extra: object = {}) =>
    stringify({ versioning: 'dot', environments, ...extra })

  async function refusedConfig(dir: string): Promise<FailureJson> {
    const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(run.code, run.stdout + run.stderr).toBe(2)
    return run.json<FailureJson>()
  }

  it('an environment on the default branch', async () => {
    const dir = baseRepo({
      'gantry.yaml': config([
        { name: 'dev', branch: 'env/dev' },
        { name: 'prod', branch: 'main' },
      ]),
    })
    makeGitRepo(dir)
    const failure = await refusedConfig(dir)
    expect(failure.diagnostics.map((d) => [d.code, d.line])).toEqual([['invalid-name', 6]])
  })

  it('branches that nest', async () => {
    const dir = baseRepo({
      'gantry.yaml': config([
        { name: 'dev', branch: 'env/dev' },
        { name: 'hotfix', branch: 'env/dev/hotfix' },
      ]),
    })
    const failure = await refusedConfig(dir)
    expect(failure.diagnostics.map((d) => [d.code, d.line])).toEqual([['invalid-name', 6]])
  })

  for (const folder of ['.git/objects', '.gantry/defs', 'src/.git']) {
    it(`paths into ${folder}`, async () => {
      const dir = baseRepo({
        'gantry.yaml': config([{ name: 'dev', branch: 'env/dev' }], { paths: { definitions: folder } }),
      })
      const failure = await refusedConfig(dir)
      expect(failure.diagnostics.map((d) => [d.code, d.line])).toEqual([['unsafe-path', 6]])
    })
  }

  for (const name of ['con', 'nul', 'aux', 'prn', 'com1', 'lpt9', 'nul.txt']) {
    it(`the Windows device name ${name} as an environment name`, async () => {
      const dir = baseRepo({ 'gantry.yaml': config([{ name, branch: 'env/dev' }]) })
      const failure = await refusedConfig(dir)
      expect(failure.diagnostics.map((d) => [d.code, d.line])).toEqual([['invalid-name', 3]])
    })
  }

  it('a device name as a definition name and as a branch part', async () => {
    const { result } = await validate(
      baseRepo({ 'definitions/agent/aux.yaml': 'kind: agent\nname: aux\nspec:\n  host: x\n' }),
    )
    expect(diagnosticsOf(result, 'definitions/agent/aux.yaml', 'invalid-name').length).toBeGreaterThan(0)
    const failure = await refusedConfig(
      baseRepo({ 'gantry.yaml': config([{ name: 'dev', branch: 'env/com1' }]) }),
    )
    expect(failure.diagnostics.map((d) => [d.code, d.line])).toEqual([['invalid-name', 4]])
  })

  it('.YAML and .Yml files next to definitions are reported', async () => {
    const { code, result } = await validate(
      baseRepo({
        'definitions/agent/windows.YAML': 'kind: agent\nname: windows\nspec:\n  host: w\n',
        'packages/extra.Yml': 'name: extra\nitems: []\n',
        'kinds/x.Schema.JSON': '{}',
      }),
    )
    expect(code).toBe(1)
    expect(result.diagnostics.filter((d) => d.code === 'ignored-file').map((d) => d.file)).toEqual([
      'definitions/agent/windows.YAML',
      'kinds/x.Schema.JSON',
      'packages/extra.Yml',
    ])
  })

  it('an environment branch that is a symbolic ref', async () => {
    const dir = baseRepo()
    makeGitRepo(dir, { branches: ['env/dev'] })
    git(dir, ['symbolic-ref', 'refs/heads/env/prod', 'refs/heads/main'])
    const failure = await refusedConfig(dir)
    expect(failure.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['invalid-name', 'gantry.yaml', 6],
    ])
    expect(failure.diagnostics[0]!.message).toMatch(/symbolic ref to refs\/heads\/main/)
  })
})

describe('versions', () => {
  it('1, 1.0 and 1.0.0 are one version: a second one with other content is version-exists', async () => {
    const dir = engineRepo()
    expect((await cliIn(dir, ['build', 'tools', '--format', 'json'])).code).toBe(0)
    writeFiles(dir, {
      'packages/tools.yaml': stringify({
        name: 'tools',
        version: '1.0',
        notes: 'Other content.',
        items: ['cred/tools'],
      }),
    })
    git(dir, ['commit', '-qam', 'tools 1.0'])
    const validated = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(validated.json<ValidateJson>().diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['version-exists', 'packages/tools.yaml', 2],
    ])
    const built = await cliIn(dir, ['build', 'tools', '--format', 'json'])
    expect(built.code).toBe(1)
    expect(built.json<{ diagnostics: JsonDiagnostic[] }>().diagnostics.map((d) => d.code)).toEqual([
      'version-exists',
    ])
    expect(git(dir, ['tag', '--list'])).toBe('tools@1')
    // Asking for 1.0.0 finds 1.
    const planned = await cliIn(dir, ['plan', 'tools@1.0.0', '--env', 'dev', '--format', 'json'])
    expect(planned.json<{ version: string }>().version).toBe('1')
  })

  it('a segment past the safe integer range is refused at its line', async () => {
    const { result } = await validate(
      baseRepo({
        'packages/base.yaml':
          'name: base\nversion: "9007199254740993"\nitems:\n  - agent/linux\n  - credential/db\n',
      }),
    )
    expect(diagnosticsOf(result, 'packages/base.yaml').map((d) => [d.code, d.line])).toEqual([['schema', 2]])
  })
})

describe('ledgers read from branches are validated', () => {
  const digest = `sha256:${'a'.repeat(64)}`
  for (const [what, ledger, line] of [
    [
      'an item id that leaves the folder',
      { package: 'base', version: '1', digest, items: { '../../etc/passwd': digest } },
      5,
    ],
    ['a version that is not one', { package: 'base', version: '1e400', digest, items: {} }, 2],
    ['a digest that is not one', { package: 'base', version: '1', digest: 'md5:00', items: {} }, 3],
  ] as const) {
    it(`${what}: a diagnostic naming the branch and the file`, async () => {
      const dir = engineRepo()
      commitFiles(dir, 'env/dev', { '.gantry/installed/base.yaml': stringify(ledger) })
      const run = await cliIn(dir, ['status', '--format', 'json'])
      expect(run.code).toBe(2)
      const failure = run.json<FailureJson>()
      expect(failure.ok).toBe(false)
      expect(failure.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
        ['invalid-ledger', '.gantry/installed/base.yaml', line],
      ])
      expect(failure.diagnostics[0]!.message).toMatch(/ledger on env\/dev/)
    })
  }

  it('in text mode the diagnostic is printed too', async () => {
    const dir = engineRepo()
    commitFiles(dir, 'env/dev', { '.gantry/installed/base.yaml': 'package: [' })
    const run = await cliIn(dir, ['status'])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(
      /\.gantry\/installed\/base\.yaml:1:\d+: error invalid-ledger: ledger on env\/dev/,
    )
  })
})

describe('--format json prints one JSON object for every exit-2 failure', () => {
  it('a repository path that goes through a file (ENOTDIR)', async () => {
    const dir = baseRepo()
    const run = await runCli(['validate', '--repo', join(dir, 'gantry.yaml', 'below'), '--format', 'json'])
    expect(run.code).toBe(2)
    expect(run.json<FailureJson>().ok).toBe(false)
  })

  it('an unknown option and an unknown command', async () => {
    for (const args of [
      ['validate', '--nope', '--format', 'json'],
      ['frobnicate', '--format=json'],
    ]) {
      const run = await runCli(args)
      expect(run.code).toBe(2)
      expect(run.json<FailureJson>().error).toBeTruthy()
    }
  })

  it('a corrupt ledger is one JSON object from plan too', async () => {
    const dir = engineRepo()
    expect((await cliIn(dir, ['build', 'base', '--format', 'json'])).code).toBe(0)
    commitFiles(dir, 'env/dev', { '.gantry/installed/base.yaml': '{' })
    const run = await cliIn(dir, ['plan', 'base', '--env', 'dev', '--format', 'json'])
    expect(run.code).toBe(2)
    expect(run.json<FailureJson>().diagnostics.map((d) => d.code)).toEqual(['invalid-ledger'])
  })

  it('a kind schema nested past the call stack is a diagnostic, not a stack overflow', async () => {
    const depth = 300_000
    const { code, result } = await validate(
      baseRepo({ 'kinds/agent.schema.json': `${'['.repeat(depth)}${']'.repeat(depth)}` }),
    )
    expect(code).toBe(1)
    expect(diagnosticsOf(result, 'kinds/agent.schema.json').map((d) => d.code)).toEqual(['unsafe-schema'])
  })

  it('a failure that is not a usage error is one JSON object', async () => {
    // A stack overflow cannot be provoked from input once every loader is iterative; the CLI's last
    // resort is exercised directly with a command whose run throws one.
    const { COMMANDS } = await import('../../src/cli/commands.js')
    const { main } = await import('../../src/cli/main.js')
    const { MemoryStream } = await import('../support/cli.js')
    COMMANDS['overflow-probe'] = {
      usage: 'probe',
      options: { format: { type: 'string' } },
      run: () => Promise.reject(new RangeError('Maximum call stack size exceeded')),
    }
    try {
      const stdout = new MemoryStream()
      const code = await main(['overflow-probe', '--format', 'json'], {
        stdout,
        stderr: new MemoryStream(),
        env: {},
      })
      expect(code).toBe(2)
      expect((JSON.parse(stdout.text()) as FailureJson).error).toMatch(/nested too deeply/)
    } finally {
      delete COMMANDS['overflow-probe']
    }
  })

  it('a tag on a blob says so, not "gantry.yaml not found"', async () => {
    const dir = engineRepo()
    const blob = git(dir, ['hash-object', '-w', '--stdin'], { input: 'not a commit\n' })
    git(dir, ['tag', '-a', 'base@1', blob, '-m', `digest: sha256:${'b'.repeat(64)}`])
    const run = await cliIn(dir, ['plan', 'base', '--env', 'dev', '--format', 'json'])
    expect(run.code).toBe(2)
    const failure = run.json<FailureJson>()
    expect(failure.error).toMatch(/is a blob, not a commit/)
    expect(failure.error).not.toMatch(/gantry\.yaml/)
  })
})

describe('control, bidirectional and zero-width characters from files are escaped', () => {
  const HOSTILE = 'clear\u001b[2J\u001b[Hscreen \u202eevil\u202c zero\u200bwidth bell\u0007 cr\rend'

  it('gantry log: notes with escape sequences do not reach the terminal raw', async () => {
    const dir = engineRepo({
      'packages/tools.yaml': stringify({ name: 'tools', notes: HOSTILE, items: ['cred/tools'] }),
    })
    expect((await cliIn(dir, ['build', 'tools', '--format', 'json'])).code).toBe(0)
    const run = await cliIn(dir, ['log', 'tools'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('clear\\u001b[2J')
    // eslint-disable-next-line no-control-regex
    expect(run.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u200b\u202a-\u202e\u2066-\u2069]/)
    // JSON keeps the value exact, written with escapes.
    const json = await cliIn(dir, ['log', 'tools', '--format', 'json'])
    expect(json.stdout).not.toMatch(/[\u200b\u202a-\u202e]/)
    expect(json.stdout).toContain(JSON.stringify(HOSTILE).slice(1, 10))
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain('\u202eevil')
  })

  it('messages built from file names and values escape them', async () => {
    const { result } = await validate(
      baseRepo({ 'definitions/agent/linux.yaml': `kind: agent\nname: "li\\u202enux"\nspec:\n  host: x\n` }),
    )
    const messages = result.diagnostics.map((d) => d.message).join('\n')
    expect(messages).toContain('\\u202e')
    expect(messages).not.toContain('\u202e')
    const text = await runCli([
      'validate',
      '--repo',
      baseRepo({ 'definitions/agent/linux.yaml': `kind: agent\nname: "li\\u202enux"\nspec:\n  host: x\n` }),
    ])
    expect(text.stdout).not.toContain('\u202e')
  })

  it('Markdown for comments and pull request bodies escapes them too', async () => {
    const { code, inert } = await import('../../src/core/render/markdown.js')
    for (const rendered of [inert(HOSTILE), code(HOSTILE)]) {
      // eslint-disable-next-line no-control-regex
      expect(rendered).not.toMatch(/[\u0000-\u001f\u007f\u200b\u202a-\u202e\u2066-\u2069]/)
      expect(rendered).toContain('u202e')
    }
  })

  it('colour stays on a terminal while file text is escaped', async () => {
    const { terminalText } = await import('../../src/cli/main.js')
    expect(terminalText('\u001b[31merror\u001b[39m \u001b[2Jx', true)).toBe(
      '\u001b[31merror\u001b[39m \\u001b[2Jx',
    )
  })
})

describe('the next version', () => {
  it('is never one that could not be read back', async () => {
    const { nextVersion } = await import('../../src/core/versions/versions.js')
    expect(nextVersion('1.999999998', 'dot')).toBe('1.999999999')
    expect(() => nextVersion('1.999999999', 'dot')).toThrow(/over 9 digits/)
    expect(() => nextVersion('1.2.999999999', 'semver')).toThrow(/over 9 digits/)
  })
})
