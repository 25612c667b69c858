import { execFile, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateRepository, writeRepository } from '../../bench/generate-repository.js'
import { flagsToSet } from '../../src/adapters/process/young-generation.js'
import { PROJECT, tempDir } from '../engine/helpers.js'

// keepYoungGenerationSmall sets V8 flags through v8.setFlagsFromString once the CLI or the action starts:
// `--semi-space-growth-factor=1`, `--no-parallel-scavenge`, `--no-concurrent-array-buffer-sweeping`, unless the
// user gave flags of their own. Each case below is a real node process: what V8 does with a flag belongs to the
// process, and what a user can pass is decided by node's own option parser.

const temp = tempDir('gantry-attack-gc-flags-16-')
afterAll(() => temp.cleanup())

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: PROJECT, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stdout, stderr })
    })
  })
}

/** A plain environment without NODE_OPTIONS, so that only the flags a case gives are in force. */
function envWithout(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra }
  if (!('NODE_OPTIONS' in extra)) delete env.NODE_OPTIONS
  return env
}

/** The flags V8 holds once node has read its command line (`--print-flag-values`), by name. */
function v8FlagValues(nodeArgs: string[]): {
  code: number | null
  stderr: string
  values: Map<string, string>
} {
  const result = spawnSync(process.execPath, [...nodeArgs, '--print-flag-values', '-e', '0'], {
    encoding: 'utf8',
    env: envWithout(),
    maxBuffer: 64 << 20,
  })
  const values = new Map<string, string>()
  for (const line of result.stdout.split('\n')) {
    const bool = /^--(no-)?([a-z0-9-]+)$/.exec(line)
    if (bool?.[2]) values.set(bool[2], bool[1] ? 'false' : 'true')
    const valued = /^--([a-z0-9-]+)=(.*)$/.exec(line)
    if (valued?.[1] && valued[2] !== undefined) values.set(valued[1], valued[2])
  }
  return { code: result.status, stderr: result.stderr, values }
}

const THREAD_FLAGS = ['parallel-scavenge', 'concurrent-array-buffer-sweeping'] as const

describe('what V8 and node do with the flags', () => {
  it('V8 takes all three flags, and an unknown or ill-typed flag is reported on stderr, never on stdout', async () => {
    const defaults = v8FlagValues([])
    expect(defaults.values.get('semi-space-growth-factor')).toBe('2')
    for (const name of THREAD_FLAGS) expect(defaults.values.get(name)).toBe('true')
    // Were a flag unknown to some V8, setFlagsFromString would neither throw nor touch stdout, so
    // `--format json` would stay one JSON document.
    const unknown = await run(
      [
        '-e',
        `const v8 = require('node:v8')
v8.setFlagsFromString('--no-such-flag-for-gantry')
v8.setFlagsFromString('--parallel-scavenge=false')
process.stdout.write('{}')`,
      ],
      envWithout(),
    )
    expect(unknown.code).toBe(0)
    expect(unknown.stdout).toBe('{}')
    expect(unknown.stderr).toMatch(/unrecognized flag --no-such-flag-for-gantry/)
    expect(unknown.stderr).toMatch(/illegal value for flag --parallel-scavenge=false/)
  })

  it('NODE_OPTIONS cannot carry a thread flag, nor two of the three young-generation flags: node refuses to start', async () => {
    const refused = [
      '--parallel-scavenge',
      '--no-parallel-scavenge',
      '--concurrent-array-buffer-sweeping',
      '--no-concurrent-array-buffer-sweeping',
      '--single-threaded-gc',
      '--single-threaded',
      '--semi-space-growth-factor=3',
      '--min-semi-space-size=1',
    ]
    for (const flag of refused) {
      const result = await run(['-e', 'process.stdout.write("started")'], envWithout({ NODE_OPTIONS: flag }))
      expect(result.code, flag).toBe(9)
      expect(result.stdout, flag).toBe('')
      expect(result.stderr, flag).toMatch(/is not allowed in NODE_OPTIONS/)
    }
    // The one that NODE_OPTIONS carries, in the spellings node takes there, is read as the user's.
    for (const options of [
      '--max-semi-space-size=64',
      '--max_semi_space_size=64',
      '"--max-semi-space-size=64"',
      '--max-semi-space-size="64"',
      '--max-old-space-size=512 --max-semi-space-size=64',
    ]) {
      const result = await run(
        ['-e', 'process.stdout.write("started")'],
        envWithout({ NODE_OPTIONS: options }),
      )
      expect(result.code, options).toBe(0)
      expect(result.stdout, options).toBe('started')
      expect(flagsToSet([], options), options).toEqual([])
    }
  })
})

describe('a thread flag of the user on the command line, in every spelling V8 takes', () => {
  // For each command line, the thread flags it sets (itself, or through a flag that implies them): for those the
  // value the process ends with must be the one V8 took from the user; for the others, Gantry's.
  const cases: { args: string[]; sets: string[] }[] = [
    { args: ['--parallel-scavenge'], sets: ['parallel-scavenge'] },
    { args: ['--parallel_scavenge'], sets: ['parallel-scavenge'] },
    { args: ['-parallel-scavenge'], sets: ['parallel-scavenge'] },
    { args: ['--no-parallel-scavenge'], sets: ['parallel-scavenge'] },
    { args: ['--noparallel-scavenge'], sets: ['parallel-scavenge'] },
    { args: ['--no_parallel_scavenge'], sets: ['parallel-scavenge'] },
    { args: ['-no-parallel-scavenge'], sets: ['parallel-scavenge'] },
    { args: ['--concurrent-array-buffer-sweeping'], sets: ['concurrent-array-buffer-sweeping'] },
    { args: ['--concurrent_array_buffer_sweeping'], sets: ['concurrent-array-buffer-sweeping'] },
    { args: ['--noconcurrent-array-buffer-sweeping'], sets: ['concurrent-array-buffer-sweeping'] },
    { args: ['--single-threaded-gc'], sets: [...THREAD_FLAGS] },
    { args: ['--single_threaded_gc'], sets: [...THREAD_FLAGS] },
    { args: ['--single-threaded'], sets: [...THREAD_FLAGS] },
    // Implies --single-threaded: not read by Gantry, and harmless, as Gantry sets the value already implied.
    { args: ['--predictable'], sets: [...THREAD_FLAGS] },
    { args: ['--trace-parallel-scavenge'], sets: [] },
    { args: ['--no-single-threaded-gc'], sets: [] },
    { args: ['--expose-gc'], sets: [] },
  ]

  for (const { args, sets } of cases) {
    it(`${args.join(' ')}: ${sets.length > 0 ? `${sets.join(' and ')} left as V8 took it` : 'the choice left to Gantry'}`, () => {
      const taken = v8FlagValues(args)
      expect(taken.code, taken.stderr).toBe(0)
      const applied = flagsToSet(args, '')
      for (const name of THREAD_FLAGS) {
        const user = taken.values.get(name)
        expect(user, name).toMatch(/^(true|false)$/)
        const final = applied.includes(`--no-${name}`) ? 'false' : user
        if (sets.includes(name)) expect(final, name).toBe(user)
        else expect(final, name).toBe('false')
      }
    })
  }

  it('a spelling V8 refuses never starts node, whatever Gantry would read in it', () => {
    for (const flag of ['--parallel-scavenge=false', '--parallel-scavenge=0', '--parallel-scavenge-please']) {
      const refused = v8FlagValues([flag])
      expect(refused.code, flag).toBe(9)
    }
  })
})

describe('young-generation capacity flags of newer V8 are the user’s young-generation flags', () => {
  // Node 22 and 24 take `--scavenger-max-new-space-capacity-mb` (and its MinorMS twin) as the young generation's
  // largest size, as `--max-semi-space-size` is: a user who gives it has chosen the young generation's size.
  const CAPACITY_FLAGS = [
    ['--scavenger-max-new-space-capacity-mb=64'],
    ['--scavenger_max_new_space_capacity_mb=64'],
    ['--scavenger-max-new-space-capacity-mb', '64'],
    ['--minor-ms-max-new-space-capacity-mb=64'],
  ]

  it('leave everything as the user set it', () => {
    for (const args of CAPACITY_FLAGS) expect(flagsToSet(args, ''), args.join(' ')).toEqual([])
    // Flags that only look alike are not the user's young-generation flags.
    expect(flagsToSet(['--trace-scavenger-max-new-space-capacity-mb'], '')).toContain(
      '--semi-space-growth-factor=1',
    )
  })

  // Where the node that runs the tests knows the flag (Node 22 and later), the young generation reaches the size
  // the user gave while Gantry's own function runs, as it does without it.
  const known =
    spawnSync(process.execPath, ['--scavenger-max-new-space-capacity-mb=64', '-e', '0'], {
      env: envWithout(),
    }).status === 0
  it.runIf(known)('and on a node that knows them, the young generation grows to the size given', async () => {
    const probe = join(temp.dir, 'capacity.mts')
    writeFileSync(
      probe,
      `import { getHeapSpaceStatistics } from 'node:v8'
const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
const { keepYoungGenerationSmall } = await import(${JSON.stringify(join(PROJECT, 'src/adapters/process/young-generation.ts'))})
const applied = keepYoungGenerationSmall()
const kept = []
let largest = size()
for (let i = 0; i < 400_000; i++) {
  kept.push({ i, name: 'item-' + i, refs: [i, i + 1] })
  if (i % 1000 === 0) largest = Math.max(largest, size())
}
process.stdout.write(JSON.stringify({ applied, largest }))
`,
    )
    const result = await run(
      ['--scavenger-max-new-space-capacity-mb=64', '--import', 'tsx', probe],
      envWithout(),
    )
    expect(result.code, result.stderr).toBe(0)
    const { applied, largest } = JSON.parse(result.stdout) as { applied: string[]; largest: number }
    expect(applied).toEqual([])
    expect(largest).toBeGreaterThanOrEqual(16 * 1024 * 1024)
  })
})

describe('the entry points set the flags at start-up', () => {
  // A module loaded before the entry point records each call of v8.setFlagsFromString (the ES module binding
  // follows through syncBuiltinESMExports), then lets it through.
  let recorder = ''
  let repo = ''
  beforeAll(() => {
    recorder = join(temp.dir, 'record-flags.mjs')
    writeFileSync(
      recorder,
      `import v8 from 'node:v8'
import { appendFileSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
const set = v8.setFlagsFromString
v8.setFlagsFromString = (flags) => {
  appendFileSync(process.env.FLAGS_RECORD, flags + '\\n')
  return set(flags)
}
syncBuiltinESMExports()
`,
    )
    repo = join(temp.dir, 'small')
    writeRepository(
      generateRepository({ definitions: 40, packages: 3, references: 80, seed: 'gc-flags' }).files,
      repo,
      {
        commit: true,
      },
    )
  })

  const ALL = '--semi-space-growth-factor=1 --no-parallel-scavenge --no-concurrent-array-buffer-sweeping'

  /** A validate of the CLI started with `nodeFlags`, and the flags it set (as the recorder wrote them). */
  async function validateRecording(name: string, nodeFlags: string[]) {
    const record = join(temp.dir, name)
    writeFileSync(record, '')
    const result = await run(
      [
        ...nodeFlags,
        '--import',
        recorder,
        '--import',
        'tsx',
        'src/cli/index.ts',
        'validate',
        '--repo',
        repo,
        '--format',
        'json',
      ],
      envWithout({ FLAGS_RECORD: record }),
    )
    expect(result.code, result.stderr).toBe(0)
    return { result, flags: readFileSync(record, 'utf8') }
  }

  it('the CLI', async () => {
    const { result, flags } = await validateRecording('cli-flags.txt', [])
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true })
    expect(flags).toBe(`${ALL}\n`)
  })

  it('the CLI, with a thread flag of the user', async () => {
    const { flags } = await validateRecording('cli-user-flags.txt', ['--parallel-scavenge'])
    expect(flags).toBe('--semi-space-growth-factor=1 --no-concurrent-array-buffer-sweeping\n')
  })

  it('the action (which stops at once here, for want of inputs)', async () => {
    const record = join(temp.dir, 'action-flags.txt')
    writeFileSync(record, '')
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: temp.dir, FLAGS_RECORD: record }
    const result = await run(['--import', recorder, '--import', 'tsx', 'src/action/index.ts'], env)
    expect(result.stdout).toMatch(/Input required and not supplied: token/)
    expect(readFileSync(record, 'utf8')).toBe(`${ALL}\n`)
  })
})

describe('the flags change no output', () => {
  let repo = ''
  beforeAll(() => {
    // Enough definitions for hundreds of scavenges with the young generation kept small, and broken files so
    // that the output has diagnostics to order and print.
    const generated = generateRepository({
      definitions: 3000,
      packages: 120,
      references: 12_000,
      seed: 'gc-flags',
    })
    const files = new Map(generated.files)
    let broken = 0
    for (const [path, content] of files) {
      if (!path.startsWith('definitions/') || broken >= 60) continue
      files.set(
        path,
        broken % 2 === 0
          ? content.replace(/\n {2}[a-zA-Z]+: .*\n/, '\n  priority: [unclosed\n')
          : `${content}\n  extra: 1\n`,
      )
      broken++
    }
    repo = join(temp.dir, 'large')
    writeRepository(files, repo, { commit: true })
  })

  it('validate prints the same bytes, as JSON and as text, with Gantry’s flags and with V8’s defaults given back', async () => {
    const defaults = [
      '--semi-space-growth-factor=2',
      '--parallel-scavenge',
      '--concurrent-array-buffer-sweeping',
    ]
    for (const format of ['json', 'text']) {
      const args = ['--import', 'tsx', 'src/cli/index.ts', 'validate', '--repo', repo, '--format', format]
      const withFlags = await run(args, envWithout())
      const withDefaults = await run([...defaults, ...args], envWithout())
      expect(withFlags.code).toBe(1)
      expect(withDefaults.code).toBe(1)
      expect(withFlags.stderr).toBe('')
      expect(withDefaults.stderr).toBe('')
      expect(withFlags.stdout).toBe(withDefaults.stdout)
      if (format === 'json') {
        const report = JSON.parse(withFlags.stdout) as { errors: number }
        expect(report.errors).toBeGreaterThanOrEqual(30)
      }
    }
  })
})
