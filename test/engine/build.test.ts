import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { stringify } from 'yaml'
import { buildPackages } from '../../src/commands/build.js'
import { sha256 } from '../../src/core/bundle/canonical-json.js'
import { BASE, build, definition, expectExit, makeSourceRepo, packageFile, plan } from './fixture.js'
import {
  cli,
  cliJson,
  commitFiles,
  git,
  keysSortedEverywhere,
  tagDigest,
  tags,
  tempDir,
  workspaceState,
} from './helpers.js'

const temp = tempDir('gantry-build-')
afterAll(() => temp.cleanup())

const bundlePath = (repo: string, file: string) => join(repo, '.gantry/build', file)

describe('a release build', () => {
  const repo = join(temp.dir, 'release')
  let first: Awaited<ReturnType<typeof build>>
  beforeAll(async () => {
    makeSourceRepo(repo)
    first = await build(repo)
  })

  test('writes one canonical bundle per package and tags it', () => {
    expectExit(first, 0)
    expect(first.json.artifacts.map((a) => [a.package, a.version, a.tag, a.created, a.debug])).toEqual([
      ['app', '1', 'app@1', true, false],
      ['base', '1', 'base@1', true, false],
      ['tools', '1', 'tools@1', true, false],
    ])
    expect(tags(repo)).toEqual(['app@1', 'base@1', 'tools@1'])
    expect(readdirSync(join(repo, '.gantry/build')).sort()).toEqual([
      'app-1.gantry.json',
      'base-1.gantry.json',
      'tools-1.gantry.json',
    ])
  })

  test('the bundle is canonical JSON: sorted keys at every level, two-space indent, no timestamps or commit ids', () => {
    const bytes = readFileSync(bundlePath(repo, 'base-1.gantry.json'), 'utf8')
    const bundle = JSON.parse(bytes) as Record<string, unknown>
    expect(keysSortedEverywhere(bundle)).toBe(true)
    expect(bytes).toBe(`${JSON.stringify(bundle, null, 2)}\n`)
    const head = git(repo, ['rev-parse', 'HEAD'])
    expect(bytes).not.toContain(head)
    expect(bytes).not.toContain(head.slice(0, 12))
    expect(bytes).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/)
    expect(bundle).toMatchObject({
      package: 'base',
      version: '1',
      notes: BASE.notes,
      locked: false,
      install: 'merge',
    })
    const items = bundle.items as Record<
      string,
      { digest: string; document: { spec: Record<string, unknown> } }
    >
    expect(Object.keys(items)).toEqual(['cal/holidays', 'conn/db', 'cred/db', 'cred/db-qa'])
    expect(items['conn/db']!.document.spec).toEqual({
      host: 'db.dev.example.com',
      port: 5432,
      credential: 'db',
    })
    expect(items['conn/db']!.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(bundle.environments).toEqual(BASE.environments)
  })

  test('the digest is the sha256 of the bundle file and is carried by the annotated tag at HEAD', () => {
    const artifact = first.json.artifacts.find((a) => a.package === 'base')!
    const bytes = readFileSync(resolve(artifact.file))
    expect(sha256(bytes)).toBe(artifact.digest)
    expect(git(repo, ['cat-file', '-t', 'refs/tags/base@1'])).toBe('tag')
    const tagObject = git(repo, ['cat-file', '-p', 'refs/tags/base@1'])
    expect(tagObject).toContain(`object ${git(repo, ['rev-parse', 'HEAD'])}`)
    expect(tagObject).toContain(`digest: ${artifact.digest}`)
    expect(tagDigest(repo, 'base@1')).toBe(artifact.digest)
    expect(tagObject).toContain(BASE.notes)
  })

  test('no new version when the content did not change, and the working tree stays clean', async () => {
    const before = workspaceState(repo)
    const again = await build(repo)
    expectExit(again, 0)
    expect(again.json.artifacts.map((a) => [a.package, a.version, a.created])).toEqual([
      ['app', '1', false],
      ['base', '1', false],
      ['tools', '1', false],
    ])
    expect(again.json.artifacts.find((a) => a.package === 'base')!.digest).toBe(
      first.json.artifacts.find((a) => a.package === 'base')!.digest,
    )
    expect(tags(repo)).toEqual(['app@1', 'base@1', 'tools@1'])
    // A commit that changes nothing the package holds gives no version either.
    commitFiles(repo, { 'README.md': 'docs only\n' })
    const third = await build(repo, ['base'])
    expect(third.json.artifacts[0]).toMatchObject({ version: '1', created: false })
    expect(tags(repo)).toEqual(['app@1', 'base@1', 'tools@1'])
    expect(workspaceState(repo).status).toBe(before.status)
    const text = await cli(repo, ['build', 'base'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(
      /^base\s+1\s+base@1 \(unchanged\)\s+sha256:[0-9a-f]{12}\s+\+4 ~0 -0\s+\S*base-1\.gantry\.json$/m,
    )
  })

  test('reads the commit, not the working tree', async () => {
    writeFileSync(
      join(repo, 'definitions/cred/db.yaml'),
      'kind: cred\nname: db\nspec:\n  path: vault://kv/uncommitted\n',
    )
    try {
      const built = await build(repo, ['base'])
      expect(built.json.artifacts[0]).toMatchObject({ version: '1', created: false })
      expect(readFileSync(bundlePath(repo, 'base-1.gantry.json'), 'utf8')).not.toContain('uncommitted')
    } finally {
      git(repo, ['checkout', '--', 'definitions/cred/db.yaml'])
    }
  })

  test('an explicit version already released with other content is refused: version-exists, exit 1, no tag', async () => {
    commitFiles(repo, {
      ...packageFile({ ...BASE, version: '1' }),
      ...definition('cred', 'db', { path: 'vault://kv/db-rotated' }),
    })
    const refused = await build(repo, ['base'])
    expectExit(refused, 1)
    expect(refused.json.ok).toBe(false)
    expect(refused.json.diagnostics.map((d) => d.code)).toContain('version-exists')
    expect(refused.json.artifacts).toEqual([])
    expect(tagDigest(repo, 'base@1')).toBe(first.json.artifacts.find((a) => a.package === 'base')!.digest)
    // An explicit version that is new is taken as written.
    commitFiles(repo, packageFile({ ...BASE, version: '7.3' }))
    const explicit = await build(repo, ['base'])
    expectExit(explicit, 0)
    expect(explicit.json.artifacts[0]).toMatchObject({ version: '7.3', tag: 'base@7.3', created: true })
  })
})

describe('a tag that names another bundle for the same content', () => {
  test('is refused: digest-mismatch, exit 1, no artifact, the tag left as it is', async () => {
    const repo = join(temp.dir, 'forged-tag')
    makeSourceRepo(repo)
    expectExit(await build(repo), 0)
    const message = git(repo, ['tag', '-l', '--format=%(contents)', 'tools@1'])
    const content = /^content: (sha256:[0-9a-f]{64})$/m.exec(message)![1]!
    const forged = `sha256:${'0'.repeat(64)}`
    git(repo, ['tag', '-f', '-a', 'tools@1', '-m', `tools@1\n\ndigest: ${forged}\ncontent: ${content}\n`, 'tools@1^{commit}'])
    const again = await build(repo, ['tools'])
    expectExit(again, 1)
    expect(again.json.diagnostics.map((d) => [d.code, d.package])).toEqual([['digest-mismatch', 'tools']])
    expect(again.json.artifacts).toEqual([])
    expect(tagDigest(repo, 'tools@1')).toBe(forged)
    // Refused before anything is written: no bundle in --out, and none of the other packages' bundles or tags.
    const out = join(temp.dir, 'forged-out')
    commitFiles(repo, definition('cred', 'db', { path: 'vault://kv/db-next' }))
    const before = tags(repo)
    const all = await build(repo, ['--all', '--out', out])
    expectExit(all, 1)
    expect(all.json.diagnostics.map((d) => [d.code, d.package])).toEqual([['digest-mismatch', 'tools']])
    expect(existsSync(out)).toBe(false)
    expect(tags(repo)).toEqual(before)
  })
})

describe('--out', () => {
  test('an absolute folder is taken as it is, and plan and apply read the bundle from it', async () => {
    const repo = join(temp.dir, 'out')
    const out = join(temp.dir, 'bundles-elsewhere')
    makeSourceRepo(repo)
    const built = await build(repo, ['tools', '--out', out])
    expectExit(built, 0)
    expect(resolve(built.json.artifacts[0]!.file)).toBe(join(out, 'tools-1.gantry.json'))
    expect(readdirSync(out)).toEqual(['tools-1.gantry.json'])
    const bytes = readFileSync(join(out, 'tools-1.gantry.json'), 'utf8')
    writeFileSync(join(out, 'tools-1.gantry.json'), bytes.replace('vault://kv/tools', 'vault://kv/evil'))
    // The tampered copy in --out is the one checked: refused.
    const planned = await cliJson<{ diagnostics: { code: string }[] }>(repo, [
      'plan',
      'tools',
      '--env',
      'dev',
      '--out',
      out,
    ])
    expect(planned.code).toBe(1)
    expect(planned.json.diagnostics.map((d) => d.code)).toEqual(['digest-mismatch'])
    writeFileSync(join(out, 'tools-1.gantry.json'), bytes)
    expectExit(await cliJson(repo, ['apply', 'tools', '--env', 'dev', '--out', out]), 0)
    // A relative folder is inside the repository, like the default.
    const relative = await build(repo, ['tools', '--out', 'dist/bundles'])
    expect(resolve(relative.json.artifacts[0]!.file)).toBe(join(repo, 'dist/bundles/tools-1.gantry.json'))
  })
})

describe('dot versioning', () => {
  test('counts 1, 1.1 ... 1.9, 1.10 over ten changes, and 1.10 is the newest', async () => {
    const repo = join(temp.dir, 'dot')
    makeSourceRepo(repo)
    const versions: string[] = []
    for (let change = 0; change <= 10; change++) {
      if (change > 0) commitFiles(repo, definition('cred', 'tools', { path: `vault://kv/tools-${change}` }))
      const built = await build(repo, ['tools'])
      expectExit(built, 0)
      expect(built.json.artifacts[0]!.created).toBe(true)
      versions.push(built.json.artifacts[0]!.version)
    }
    expect(versions).toEqual(['1', '1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '1.8', '1.9', '1.10'])
    const again = await build(repo, ['tools'])
    expect(again.json.artifacts[0]).toMatchObject({ version: '1.10', created: false })
    // plan without @version and status take the newest: 1.10, not 1.9.
    expect((await plan(repo, 'tools', 'dev')).json.version).toBe('1.10')
    const status = await cliJson<{ packages: { name: string; latest: string }[] }>(repo, ['status'])
    expect(status.json.packages.find((p) => p.name === 'tools')!.latest).toBe('1.10')
    commitFiles(repo, definition('cred', 'tools', { path: 'vault://kv/tools-11' }))
    expect((await build(repo, ['tools'])).json.artifacts[0]!.version).toBe('1.11')
  })
})

describe('semver versioning', () => {
  test('starts at 1.0.0 and bumps the patch by default, the minor or major when the notes ask', async () => {
    const repo = join(temp.dir, 'semver')
    makeSourceRepo(repo, { versioning: 'semver' })
    expect((await build(repo, ['tools'])).json.artifacts[0]!.version).toBe('1.0.0')
    commitFiles(repo, definition('cred', 'tools', { path: 'vault://kv/tools-2' }))
    expect((await build(repo, ['tools'])).json.artifacts[0]!.version).toBe('1.0.1')
    commitFiles(repo, {
      ...definition('cred', 'tools', { path: 'vault://kv/tools-3' }),
      ...packageFile({ name: 'tools', notes: 'New option #minor', items: ['cred/tools', 'task/cleanup'] }),
    })
    expect((await build(repo, ['tools'])).json.artifacts[0]!.version).toBe('1.1.0')
    commitFiles(repo, packageFile({ name: 'tools', notes: 'BREAKING: renamed', items: ['cred/tools'] }))
    expect((await build(repo, ['tools'])).json.artifacts[0]!.version).toBe('2.0.0')
    expect(tags(repo).filter((t) => t.startsWith('tools@'))).toEqual([
      'tools@1.0.0',
      'tools@1.0.1',
      'tools@1.1.0',
      'tools@2.0.0',
    ])
  })
})

describe('debug builds', () => {
  test('read the working tree, write -debug.gantry.json and are never tagged', async () => {
    const repo = join(temp.dir, 'debug')
    makeSourceRepo(repo)
    writeFileSync(
      join(repo, 'definitions/cred/tools.yaml'),
      'kind: cred\nname: tools\nspec:\n  path: vault://kv/uncommitted\n',
    )
    for (let i = 0; i < 2; i++) {
      const built = await build(repo, ['tools', '--debug'])
      expectExit(built, 0)
      expect(built.json.artifacts[0]).toMatchObject({
        package: 'tools',
        version: '1',
        tag: null,
        created: false,
        debug: true,
      })
      expect(built.json.artifacts[0]!.file).toMatch(/tools-1-debug\.gantry\.json$/)
    }
    expect(tags(repo)).toEqual([])
    const bytes = readFileSync(bundlePath(repo, 'tools-1-debug.gantry.json'), 'utf8')
    expect(JSON.parse(bytes)).toMatchObject({
      debug: true,
      items: { 'cred/tools': { document: { spec: { path: 'vault://kv/uncommitted' } } } },
    })
    expect(readdirSync(join(repo, '.gantry/build'))).toEqual(['tools-1-debug.gantry.json'])
  })

  test('after a release, a debug build shows the next version without tagging it', async () => {
    const repo = join(temp.dir, 'debug-next')
    makeSourceRepo(repo)
    await build(repo, ['tools'])
    writeFileSync(
      join(repo, 'definitions/cred/tools.yaml'),
      'kind: cred\nname: tools\nspec:\n  path: vault://kv/next\n',
    )
    const built = await build(repo, ['tools', '--debug'])
    expect(built.json.artifacts[0]).toMatchObject({
      version: '1.1',
      debug: true,
      tag: null,
      delta: { previous: '1', changed: ['cred/tools'] },
    })
    expect(tags(repo)).toEqual(['tools@1'])
  })
})

describe('delta and reproducibility', () => {
  const repo = join(temp.dir, 'delta')
  let v2: Awaited<ReturnType<typeof build>>
  beforeAll(async () => {
    makeSourceRepo(repo)
    await build(repo)
    // 1.1: conn/db changed, cred/db-qa removed, task/cleanup added (with its settings left alone).
    commitFiles(repo, {
      ...definition('conn', 'db', { host: 'db2.dev.example.com', port: 5432, credential: 'db' }),
      ...packageFile({
        ...BASE,
        items: ['cred/db', 'conn/db', 'cal/holidays', 'task/cleanup'],
        environments: { prod: BASE.environments.prod },
      }),
    })
    v2 = await build(repo, ['base'])
  })

  test('each bundle lists the items added, changed and removed since the previous version', () => {
    expectExit(v2, 0)
    const artifact = v2.json.artifacts[0]!
    const expected = { previous: '1', added: ['task/cleanup'], changed: ['conn/db'], removed: ['cred/db-qa'] }
    expect(artifact).toMatchObject({ version: '1.1', created: true, delta: expected })
    expect(JSON.parse(readFileSync(bundlePath(repo, 'base-1.1.gantry.json'), 'utf8')).delta).toEqual(expected)
    expect(JSON.parse(readFileSync(bundlePath(repo, 'base-1.gantry.json'), 'utf8')).delta).toEqual({
      previous: null,
      added: ['cal/holidays', 'conn/db', 'cred/db', 'cred/db-qa'],
      changed: [],
      removed: [],
    })
  })

  test('a fresh clone at the tag, with the same tags, builds the same bytes', async () => {
    for (const tag of ['base@1.1', 'base@1']) {
      const clone = join(temp.dir, `clone-${tag.replace('@', '-')}`)
      git(temp.dir, ['clone', '-q', '--no-checkout', repo, clone])
      git(clone, ['fetch', '-q', '--tags', 'origin'])
      git(clone, ['checkout', '-q', '--detach', `${tag}^{commit}`])
      expect(tags(clone)).toEqual(tags(repo))
      const built = await build(clone, ['base'])
      expectExit(built, 0)
      const version = tag.split('@')[1]!
      expect(built.json.artifacts[0]).toMatchObject({ version, created: false, digest: tagDigest(repo, tag) })
      const file = `base-${version}.gantry.json`
      expect(readFileSync(bundlePath(clone, file)).equals(readFileSync(bundlePath(repo, file)))).toBe(true)
      expect(tags(clone)).toEqual(tags(repo))
    }
  })

  test('the command function returns the bundle bytes it wrote', async () => {
    const result = await buildPackages({ repo, packages: ['base'], all: false, debug: false })
    expect(result.ok).toBe(true)
    expect(result.artifacts[0]!.bytes).toBe(readFileSync(bundlePath(repo, 'base-1.1.gantry.json'), 'utf8'))
    expect(sha256(result.artifacts[0]!.bytes)).toBe(tagDigest(repo, 'base@1.1'))
  })

  test('a change to a definition’s description alone is a changed item', async () => {
    commitFiles(repo, {
      'definitions/cred/db.yaml': stringify({
        kind: 'cred',
        name: 'db',
        description: 'The database password.',
        spec: { path: 'vault://kv/db' },
      }),
    })
    const v3 = await build(repo, ['base'])
    expectExit(v3, 0)
    expect(v3.json.artifacts[0]).toMatchObject({
      version: '1.2',
      created: true,
      delta: { previous: '1.1', added: [], changed: ['cred/db'], removed: [] },
    })
  })
})

describe('includeReferences', () => {
  const repo = join(temp.dir, 'include')
  const bundleItems = (file: string) =>
    Object.fromEntries(
      Object.entries(
        (
          JSON.parse(readFileSync(bundlePath(repo, file), 'utf8')) as {
            items: Record<string, { origin: string }>
          }
        ).items,
      ).map(([id, item]) => [id, item.origin]),
    )
  let built: Awaited<ReturnType<typeof build>>
  beforeAll(async () => {
    makeSourceRepo(repo)
    // task/a -> task/b -> task/c -> conn/db -> cred/db: only task/a is declared.
    commitFiles(repo, {
      ...definition('task', 'a', { command: 'a.sh', successors: ['b'] }),
      ...definition('task', 'b', { command: 'b.sh', successors: ['c'] }),
      ...definition('task', 'c', { command: 'c.sh', conn: 'db' }),
      ...definition('task', 'x', { command: 'x.sh', conn: 'db' }),
      ...packageFile({ name: 'chain', items: ['task/a'], includeReferences: true }),
      // The same chain, but base (a dependency) already provides conn/db and cred/db.
      ...packageFile({
        name: 'chain-on-base',
        items: ['task/a'],
        includeReferences: true,
        dependencies: [{ package: 'base' }],
      }),
      // A dependency of a dependency provides, too.
      ...packageFile({ name: 'mid', items: ['task/c'], dependencies: [{ package: 'base' }] }),
      ...packageFile({
        name: 'chain-on-mid',
        items: ['task/a', 'task/x'],
        includeReferences: true,
        dependencies: [{ package: 'mid' }],
      }),
    })
    built = await build(repo, ['base', 'mid', 'chain', 'chain-on-base', 'chain-on-mid'])
  })

  test('pulls in the whole chain of references, each marked included', () => {
    expectExit(built, 0)
    expect(bundleItems('chain-1.gantry.json')).toEqual({
      'conn/db': 'included',
      'cred/db': 'included',
      'task/a': 'declared',
      'task/b': 'included',
      'task/c': 'included',
    })
  })

  test('never includes an item a declared dependency provides, directly or through its own dependencies', () => {
    expect(bundleItems('chain-on-base-1.gantry.json')).toEqual({
      'task/a': 'declared',
      'task/b': 'included',
      'task/c': 'included',
    })
    // task/x refers to conn/db, which base provides to mid, and mid to chain-on-mid.
    expect(bundleItems('chain-on-mid-1.gantry.json')).toEqual({
      'task/a': 'declared',
      'task/b': 'included',
      'task/x': 'declared',
    })
  })
})
