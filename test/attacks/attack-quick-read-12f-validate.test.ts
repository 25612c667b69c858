import { execFileSync, spawn } from 'node:child_process'
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openRepository } from '../../src/commands/repository.js'
import type { Diagnostic } from '../../src/core/diagnostics.js'
import { DEFAULT_YAML_LIMITS } from '../../src/core/yaml/read-yaml.js'
import { runCli } from '../support/cli.js'
import { PROJECT_ROOT, copyExample, makeGitRepo, removeTempDirs } from '../support/fixtures.js'

/**
 * `gantry validate` and `gantry build --debug` read the working tree (small files in one call, see
 * readWorkingTree); a release build and a commit read the same files from git. With the same files committed,
 * both must find the same problems at the same lines and columns, and make bundles of the same content.
 */

const QUICK = 64 * 1024
const LIMIT = DEFAULT_YAML_LIMITS.maxBytes

afterAll(removeTempDirs)

/**
 * A variable definition of exactly `size` bytes: the value is padded with bytes that differ along the file,
 * so a byte lost, added or taken from another file changes the bundle. `tail` is written last, within `size`.
 */
function padded(
  name: string,
  size: number,
  options: { bom?: boolean; crlf?: boolean; tail?: Buffer } = {},
): Buffer {
  const eol = options.crlf ? '\r\n' : '\n'
  const head = Buffer.from(
    `${options.bom ? '\ufeff' : ''}kind: variable${eol}name: ${name}${eol}spec:${eol}  type: string${eol}  value: "`,
  )
  const end = Buffer.concat([Buffer.from(`"${eol}`), options.tail ?? Buffer.alloc(0)])
  const fill = size - head.length - end.length
  if (fill < 0) throw new Error(`${name}: ${size} bytes is too small`)
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const value = Buffer.alloc(fill)
  for (let i = 0; i < fill; i++) value[i] = letters.charCodeAt((i * 7 + (i >> 10)) % letters.length)
  const bytes = Buffer.concat([head, value, end])
  expect(bytes.length).toBe(size)
  return bytes
}

/** The line count of a file, as a finding on its last line numbers it. */
const lines = (bytes: Buffer) => bytes.toString('latin1').split('\n').length

function key(d: Diagnostic): string {
  return `${d.code} ${d.file ?? ''}:${d.line ?? ''}:${d.column ?? ''} ${d.message}`
}

/** What loading the committed files finds (read from git, not from the working tree). */
async function committedFindings(dir: string): Promise<string[]> {
  const repository = await openRepository(dir, { commit: 'HEAD' })
  return repository.loadDiagnostics.map(key).sort()
}

async function workingTreeFindings(dir: string): Promise<string[]> {
  const repository = await openRepository(dir)
  return repository.loadDiagnostics.map(key).sort()
}

describe('validate: files around 64 KiB and the limit, with problems in their last bytes', () => {
  const dir = copyExample('scheduler')
  const files: Record<string, Buffer> = {}
  for (const size of [QUICK - 1, QUICK, QUICK + 1]) {
    files[`bad-utf8-${size}`] = padded(`bad-utf8-${size}`, size, { tail: Buffer.from([0x23, 0xff]) })
    files[`control-${size}`] = padded(`control-${size}`, size, { tail: Buffer.from('#\u0001') })
    files[`extra-key-${size}`] = padded(`extra-key-${size}`, size, { tail: Buffer.from('  extra: 1\n') })
    files[`bom-crlf-${size}`] = padded(`bom-crlf-${size}`, size, {
      bom: true,
      crlf: true,
      tail: Buffer.from('#\u0002\r\n'),
    })
    files[`cut-utf8-${size}`] = padded(`cut-utf8-${size}`, size, { tail: Buffer.from([0x23, 0xe2, 0x82]) })
  }
  files['at-limit'] = padded('at-limit', LIMIT, { tail: Buffer.from([0x23, 0xc0]) })
  files['over-limit'] = padded('over-limit', LIMIT + 1)
  // Read after the larger ones: nothing of them may show in these.
  files['zz-small'] = padded('zz-small', 120, { tail: Buffer.from('#\u0003') })
  files['zz-tiny'] = Buffer.from('k')
  files['zz-empty'] = Buffer.alloc(0)
  mkdirSync(join(dir, 'definitions/variable'), { recursive: true })
  for (const [name, bytes] of Object.entries(files))
    writeFileSync(join(dir, `definitions/variable/${name}.yaml`), bytes)
  makeGitRepo(dir)

  it('the working tree and the commit give the same findings, each at its place', async () => {
    const fromTree = await workingTreeFindings(dir)
    expect(fromTree).toEqual(await committedFindings(dir))
    const cli = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(cli.code).toBe(1)
    const diagnostics = cli.json<{ diagnostics: Diagnostic[] }>().diagnostics
    const at = (name: string) =>
      diagnostics
        .filter((d) => d.file === `definitions/variable/${name}.yaml`)
        .map((d) => [d.code, d.line, d.column])
    for (const size of [QUICK - 1, QUICK, QUICK + 1]) {
      const last = lines(files[`bad-utf8-${size}`]!)
      expect(at(`bad-utf8-${size}`), `bad-utf8-${size}`).toEqual([['yaml-syntax', last, 2]])
      expect(at(`control-${size}`), `control-${size}`).toEqual([['yaml-syntax', last, 2]])
      expect(at(`cut-utf8-${size}`), `cut-utf8-${size}`).toEqual([['yaml-syntax', last, 2]])
      expect(at(`bom-crlf-${size}`), `bom-crlf-${size}`).toEqual([
        ['yaml-syntax', lines(files[`bom-crlf-${size}`]!) - 1, 2],
      ])
      expect(
        at(`extra-key-${size}`).map((d) => d[0]),
        `extra-key-${size}`,
      ).toEqual(['schema'])
    }
    expect(at('at-limit')).toEqual([['yaml-syntax', lines(files['at-limit']!), 2]])
    expect(at('over-limit')).toEqual([['input-too-large', 1, 1]])
    expect(at('zz-small')).toEqual([['yaml-syntax', lines(files['zz-small']!), 2]])
    expect(at('zz-empty').map((d) => d[0])).toEqual(['schema'])
    expect(at('zz-tiny').map((d) => d[0])).toEqual(['schema'])
    // Every finding of the CLI about these files is one the commit's read finds too.
    const committed = new Set(await committedFindings(dir))
    for (const d of diagnostics.filter((d) => d.file?.startsWith('definitions/variable/')))
      expect(committed.has(key(d)), key(d)).toBe(true)
  })
})

describe('build: the debug bundle (working tree) holds what the release bundle (commit) holds', () => {
  it('definitions just under, at and over 64 KiB, at the limit, with BOM and CRLF, in a package', async () => {
    const dir = copyExample('scheduler')
    const names: string[] = []
    const sizes = [QUICK - 2, QUICK - 1, QUICK, QUICK + 1, 2 * QUICK, LIMIT, 4096, 4095, 200]
    for (const [i, size] of sizes.entries()) {
      const name = `pad-${String(i).padStart(2, '0')}`
      writeFileSync(
        join(dir, `definitions/variable/${name}.yaml`),
        padded(name, size, { bom: i % 3 === 1, crlf: i % 2 === 1 }),
      )
      names.push(name)
    }
    writeFileSync(
      join(dir, 'packages/padded.yaml'),
      `name: padded\ndescription: Definitions of many sizes\nitems:\n${names.map((n) => `  - variable/${n}\n`).join('')}`,
    )
    makeGitRepo(dir)
    expect(await workingTreeFindings(dir)).toEqual(await committedFindings(dir))
    const debug = await runCli([
      'build',
      'padded',
      'platform-base',
      '--debug',
      '--repo',
      dir,
      '--out',
      join(dir, 'out-debug'),
      '--format',
      'json',
    ])
    expect(debug.code, debug.stdout + debug.stderr).toBe(0)
    const release = await runCli([
      'build',
      'padded',
      'platform-base',
      '--repo',
      dir,
      '--out',
      join(dir, 'out-release'),
      '--format',
      'json',
    ])
    expect(release.code, release.stdout + release.stderr).toBe(0)
    type Bundle = {
      package: string
      contentDigest: string
      items: { id?: string; document?: { spec?: { value?: unknown } } }[]
    }
    const bundles = (run: typeof debug): Bundle[] =>
      run
        .json<{ artifacts: { file: string }[] }>()
        .artifacts.map(
          (a) =>
            JSON.parse(
              // `file` is reported from the working folder (or absolute): read where it points from there.
              readFileSync(resolve(a.file), 'utf8'),
            ) as Bundle,
        )
        .sort((x, y) => (x.package < y.package ? -1 : 1))
    const fromTree = bundles(debug)
    const fromCommit = bundles(release)
    expect(fromTree.map((b) => [b.package, b.contentDigest])).toEqual(
      fromCommit.map((b) => [b.package, b.contentDigest]),
    )
    expect(JSON.stringify(fromTree.map((b) => b.items))).toBe(JSON.stringify(fromCommit.map((b) => b.items)))
    // And the values are the files' own, every byte: the bundle's against the file's.
    const values = JSON.stringify(fromTree.find((b) => b.package === 'padded')?.items)
    for (const name of names) {
      const file = readFileSync(join(dir, `definitions/variable/${name}.yaml`), 'utf8')
      const value = /value: "([0-9a-z]*)"/.exec(file)?.[1] ?? ''
      expect(values.includes(`"${value}"`), name).toBe(true)
    }
  })
})

describe('validate never hangs on a FIFO and never takes its data', () => {
  it('FIFOs with and without a writer, and a FIFO in a named root: not regular files', async () => {
    const dir = copyExample('scheduler')
    makeGitRepo(dir)
    execFileSync('mkfifo', [join(dir, 'definitions/variable/lonely.yaml')])
    const fed = join(dir, 'definitions/variable/fed.yaml')
    execFileSync('mkfifo', [fed])
    // Read and write at once: the open does not wait, the data waits in the FIFO while validate runs.
    const fifo = openSync(fed, constants.O_RDWR | constants.O_NONBLOCK)
    try {
      writeSync(fifo, 'kind: variable\nname: fed\nspec: {type: string, value: x}\n')
      const run = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            join(PROJECT_ROOT, 'src/cli/index.ts'),
            'validate',
            '--repo',
            dir,
            '--format',
            'json',
          ],
          {
            cwd: PROJECT_ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, NO_COLOR: '1' },
          },
        )
        const out: Buffer[] = []
        child.stdout.on('data', (b: Buffer) => out.push(b))
        // A guard only: a hang fails the test instead of blocking the run.
        const guard = setTimeout(() => child.kill('SIGKILL'), 240_000)
        child.on('error', reject)
        child.on('close', (code) => {
          clearTimeout(guard)
          resolve({ code, stdout: Buffer.concat(out).toString() })
        })
      })
      expect(run.code).toBe(1)
      const found = (JSON.parse(run.stdout) as { diagnostics: Diagnostic[] }).diagnostics
        .filter(
          (d) => d.file === 'definitions/variable/lonely.yaml' || d.file === 'definitions/variable/fed.yaml',
        )
        .map((d) => [d.file, d.code])
        .sort()
      expect(found).toEqual([
        ['definitions/variable/fed.yaml', 'unsafe-path'],
        ['definitions/variable/lonely.yaml', 'unsafe-path'],
      ])
      const left = Buffer.alloc(256)
      expect(left.toString('utf8', 0, readSync(fifo, left, 0, left.length, null))).toBe(
        'kind: variable\nname: fed\nspec: {type: string, value: x}\n',
      )
    } finally {
      closeSync(fifo)
    }
  })
})

/**
 * Files that report a size their reads do not give: procfs and sysfs files, and a device, put in a working
 * tree by a bind mount (a mount point is listed as the regular file it covers). Needs the right to mount.
 */
function canBindMount(): boolean {
  if (process.platform !== 'linux' || !existsSync('/proc/kallsyms')) return false
  const probe = join(tmpdir(), `gantry-mount-probe-${process.pid}`)
  try {
    writeFileSync(probe, '')
    execFileSync('mount', ['--bind', '/proc/version', probe], { stdio: 'ignore' })
    execFileSync('umount', [probe], { stdio: 'ignore' })
    return true
  } catch {
    return false
  } finally {
    rmSync(probe, { force: true })
  }
}

describe.runIf(canBindMount())(
  'files whose size does not tell what a read gives (bind-mounted over a listed file)',
  () => {
    /** The finding validate reports for definitions/agent/etl-pool.yaml with `source` mounted over it. */
    async function findingWith(source: string): Promise<{ code: string; message: string }[]> {
      const dir = copyExample('scheduler')
      const target = join(dir, 'definitions/agent/etl-pool.yaml')
      execFileSync('mount', ['--bind', source, target])
      try {
        const cli = await runCli(['validate', '--repo', dir, '--format', 'json'])
        return cli
          .json<{ diagnostics: Diagnostic[] }>()
          .diagnostics.filter((d) => d.file === 'definitions/agent/etl-pool.yaml')
          .map((d) => ({ code: d.code, message: d.message }))
      } finally {
        execFileSync('umount', [target])
      }
    }

    it('/dev/zero and /dev/null mounted over a definition: not regular files', async () => {
      for (const device of ['/dev/zero', '/dev/null']) {
        expect(await findingWith(device), device).toEqual([
          { code: 'unsafe-path', message: 'definitions/agent/etl-pool.yaml is not a regular file' },
        ])
      }
    })

    // Defect: the one-call read takes any read that does not fill its buffer for a whole regular file. /dev/kmsg
    // gives one record per read, so it is read as a definition holding that record; the careful read (fstat)
    // says it is not a regular file, as validate said before the one-call read.
    it.fails(
      '/dev/kmsg mounted over a definition: not a regular file (DEFECT: read as its first record)',
      async () => {
        expect(await findingWith('/dev/kmsg')).toEqual([
          { code: 'unsafe-path', message: 'definitions/agent/etl-pool.yaml is not a regular file' },
        ])
      },
    )

    // Defect: /proc/kallsyms reports size 0 and gives about 4 KiB per read: the one-call read takes its first
    // read for the whole file, so validate reads a prefix of the file (neither the file, nor the empty file the
    // careful read finds from its size).
    it.fails(
      '/proc/kallsyms mounted over a definition: read as the careful read finds it (DEFECT: a 4 KiB prefix)',
      async () => {
        const found = await findingWith('/proc/kallsyms')
        expect(found).toEqual([{ code: 'schema', message: 'definitions/agent/etl-pool.yaml is empty' }])
      },
    )

    it('what the kernel gives for /proc/kallsyms: its first read is short of the file (so a short read is not the end)', () => {
      const fd = openSync('/proc/kallsyms', 'r')
      try {
        const first = readSync(fd, Buffer.alloc(QUICK), 0, QUICK, 0)
        expect(first).toBeLessThan(QUICK)
        expect(readFileSync('/proc/kallsyms').length).toBeGreaterThan(first)
      } finally {
        closeSync(fd)
      }
    })
  },
)

// The listing of a folder of files each smaller than the last (a reused buffer would show a longer file's
// bytes past a shorter one's end): validate finds no problem, the commit's read agrees.
describe('many definitions of decreasing size', () => {
  it('validate reads each as committed', async () => {
    const dir = copyExample('scheduler')
    const sizes = [QUICK - 1, 50_000, 30_000, 9000, 4097, 4096, 4095, 2000, 300, 150]
    for (const [i, size] of sizes.entries()) {
      const name = `dec-${String(i).padStart(2, '0')}`
      writeFileSync(join(dir, `definitions/variable/${name}.yaml`), padded(name, size))
    }
    makeGitRepo(dir)
    const tree = await workingTreeFindings(dir)
    expect(tree).toEqual(await committedFindings(dir))
    expect(tree.filter((k) => k.includes('definitions/variable/dec-'))).toEqual([])
    expect(readdirSync(join(dir, 'definitions/variable')).filter((n) => n.startsWith('dec-')).length).toBe(
      sizes.length,
    )
  })
})

// A name that is not UTF-8 is listed as a string with U+FFFD in place of the bad byte, as git's paths are read
// from a commit; opening that string finds no file, so the reader once took it for a file deleted since the
// listing and left the definition out (validate and `build --debug` passed, a release build refused). Such a
// file is now opened by the bytes of its name: the working tree reports what the commit's read reports.
describe('a definition whose name is not UTF-8', () => {
  const badName = (dir: string, byte: number): Buffer =>
    Buffer.concat([
      Buffer.from(join(dir, 'definitions/agent/bad-')),
      Buffer.from([byte]),
      Buffer.from('.yaml'),
    ])

  it('validate reports it as the commit read does', async () => {
    const dir = copyExample('scheduler')
    writeFileSync(badName(dir, 0xfe), 'kind: agent\nname: bad\nspec: {nonsense: 1}\n')
    makeGitRepo(dir)
    const committed = await committedFindings(dir)
    expect(committed.length).toBeGreaterThan(0)
    const cli = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(await workingTreeFindings(dir)).toEqual(committed)
    expect(cli.code).toBe(1)
  })

  it('two names that decode alike, or one alike a UTF-8 name holding U+FFFD, are refused, not read', async () => {
    const dir = copyExample('scheduler')
    writeFileSync(badName(dir, 0xfe), 'kind: agent\nname: bad\nspec: {}\n')
    writeFileSync(badName(dir, 0xff), 'kind: agent\nname: bad\nspec: {}\n')
    const cli = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(cli.code).toBe(1)
    const found = cli
      .json<{ diagnostics: Diagnostic[] }>()
      .diagnostics.filter((d) => d.file === 'definitions/agent/bad-\uFFFD.yaml')
      .map((d) => d.code)
    expect(found).toEqual(['unsafe-path'])
    rmSync(badName(dir, 0xff))
    writeFileSync(join(dir, 'definitions/agent/bad-\uFFFD.yaml'), 'kind: agent\nname: bad\nspec: {}\n')
    const again = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(again.code).toBe(1)
    expect(
      again
        .json<{ diagnostics: Diagnostic[] }>()
        .diagnostics.filter((d) => d.file === 'definitions/agent/bad-\uFFFD.yaml')
        .map((d) => d.code),
    ).toEqual(['unsafe-path'])
  })

  it('a folder whose name is not UTF-8 is refused, not listed by a name that finds nothing', async () => {
    const dir = copyExample('scheduler')
    const folder = Buffer.concat([Buffer.from(join(dir, 'definitions/')), Buffer.from([0xfe])])
    mkdirSync(folder)
    writeFileSync(Buffer.concat([folder, Buffer.from('/x.yaml')]), 'kind: agent\nname: x\nspec: {}\n')
    const cli = await runCli(['validate', '--repo', dir, '--format', 'json'])
    expect(cli.code).toBe(1)
    expect(
      cli
        .json<{ diagnostics: Diagnostic[] }>()
        .diagnostics.filter((d) => d.file?.startsWith('definitions/\uFFFD'))
        .map((d) => d.code),
    ).toEqual(['unsafe-path'])
  })
})

describe('gantry.yaml and kind schemas around 64 KiB, read with their folder or by name', () => {
  for (const size of [QUICK - 1, QUICK, QUICK + 1]) {
    it(`gantry.yaml of ${size} bytes: read whole (a bad last byte found on its last line)`, async () => {
      const dir = copyExample('scheduler')
      const config = readFileSync(join(dir, 'gantry.yaml'))
      const pad = (tail: Buffer) =>
        Buffer.concat([
          config,
          Buffer.from('#'),
          Buffer.alloc(size - config.length - 2 - tail.length, 0x78),
          Buffer.from('\n'),
          tail,
        ])
      writeFileSync(join(dir, 'gantry.yaml'), pad(Buffer.from('#')))
      expect(readFileSync(join(dir, 'gantry.yaml')).length).toBe(size)
      expect((await runCli(['validate', '--repo', dir, '--format', 'json'])).code).toBe(0)
      const broken = pad(Buffer.from([0x23, 0xff]))
      writeFileSync(join(dir, 'gantry.yaml'), broken)
      const run = await runCli(['validate', '--repo', dir, '--format', 'json'])
      expect(run.code).toBe(2)
      const found = run
        .json<{ diagnostics: Diagnostic[] }>()
        .diagnostics.map((d) => [d.code, d.file, d.line, d.column])
      expect(found).toEqual([['yaml-syntax', 'gantry.yaml', lines(broken), 2]])
    })
  }

  it('kind schemas just under, at and over 64 KiB, broken in their last byte: the same findings as the commit', async () => {
    const dir = copyExample('scheduler')
    const schema = readFileSync(join(dir, 'kinds/variable.schema.json'))
    const closing = schema.lastIndexOf('}')
    for (const [i, size] of [QUICK - 1, QUICK, QUICK + 1].entries()) {
      // Whitespace before the closing brace, then one byte that is not JSON.
      const body = Buffer.concat([
        schema.subarray(0, closing),
        Buffer.alloc(size - closing - 2, 0x20),
        Buffer.from('}'),
        Buffer.from(i === 1 ? ']' : 'x'),
      ])
      expect(body.length).toBe(size)
      writeFileSync(join(dir, `kinds/pad${i}.schema.json`), body)
      // And a valid one of the same size.
      writeFileSync(
        join(dir, `kinds/ok${i}.schema.json`),
        Buffer.concat([
          schema.subarray(0, closing),
          Buffer.alloc(size - closing - 1, 0x20),
          Buffer.from('}'),
        ]),
      )
    }
    makeGitRepo(dir)
    const tree = await workingTreeFindings(dir)
    expect(tree).toEqual(await committedFindings(dir))
    expect(tree.filter((k) => k.includes('kinds/ok'))).toEqual([])
    expect(tree.filter((k) => k.includes('kinds/pad')).length).toBe(3)
  })
})
