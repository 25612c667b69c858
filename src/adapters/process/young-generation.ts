import { setFlagsFromString } from 'node:v8'

/**
 * Keeps V8's young generation at the size it has once Gantry is loaded, for the rest of the process, and has
 * its collections made on the main thread alone.
 *
 * V8 allocates new objects in the young generation (two semi-spaces) and copies the ones still alive at each
 * scavenge, moving those that survive twice to the old generation. When many bytes keep surviving, it grows
 * the semi-spaces by `--semi-space-growth-factor` (`node --v8-options`: "factor by which to grow the new
 * space", 2 by default), up to 16 MB each on a 64-bit machine. Gantry keeps what it loads until the run ends
 * (every definition of a repository, every ledger of a branch), so almost everything survives: the young
 * generation grows to its largest, each growth touches memory never used before (a page fault per 4 KiB,
 * dear on a virtual machine), and the objects are copied between larger spaces before reaching the old
 * generation anyway. A factor of 1 leaves the semi-spaces as they are when this is called (the bundle's
 * modules are evaluated first: 4 MB of young generation on Node 20): what survives moves to the old generation
 * sooner, in smaller copies. On the bench's 10,000 definitions (Node 20) this took peak memory from about
 * 110 MB to 80 MB and page faults from about 23,000 to 16,000; at 50,000, from 166 MB to 125 MB.
 *
 * A young generation that small makes many small scavenges (about 420 at 50,000 definitions, 60 with the
 * default growth), each with little to do, and V8 hands part of each one to helper threads: a thread's wake-up
 * and hand-over at every scavenge, more than the work handed over is worth. On those 50,000 definitions
 * (`--trace-gc-nvp`) the main thread spent as long copying with a helper as without (about 420 ms) while the
 * helper spent another 260 ms; and each scavenge hands the array buffers that died (the bytes files are read
 * into) to a helper to free, then waits for it at the next one, up to 300 ms in all on a busy machine against
 * 10 ms freeing them itself. So each scavenge is made by the main thread alone: `--no-parallel-scavenge` and
 * `--no-concurrent-array-buffer-sweeping`. Full collections (a few per run) are left as they are.
 *
 * Only flags that V8 reads at each collection are changed, and only after start-up: the sizes given when V8
 * started are fixed by then, while the growth factor is read each time V8 decides to grow, and the other two
 * at each scavenge. Node documents that a flag changed after start-up may "simply do nothing"; these are read
 * at every collection, and test/cli/young-generation.test.ts checks that each takes effect. A flag its user
 * gave the process (on the command line or in NODE_OPTIONS) wins: with a young-generation flag of their own
 * nothing is changed (the young generation may be large), and a thread flag of their own is left as they set
 * it, as is each of the two with `--single-threaded-gc` or `--single-threaded`, which imply them.
 *
 * Returns the flags it set.
 */
export function keepYoungGenerationSmall(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): string[] {
  const flags = flagsToSet(execArgv, nodeOptions)
  if (flags.length > 0) setFlagsFromString(flags.join(' '))
  return flags
}

/** The flags keepYoungGenerationSmall sets, given those the process was started with. */
export function flagsToSet(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = (flag: RegExp) => execArgv.some((arg) => flag.test(arg)) || flag.test(nodeOptions)
  if (given(YOUNG_GENERATION_FLAG)) return []
  return [
    '--semi-space-growth-factor=1',
    ...MAIN_THREAD_FLAGS.filter(({ user }) => !given(user)).map(({ flag }) => flag),
  ]
}

// A flag is a word of its own: one dash or two (node passes `-max-semi-space-size=64` on to V8, which takes it),
// either spelling, then `=`, a space or the end (NODE_OPTIONS may quote a word). Newer V8 (Node 22 on) also
// takes the young generation's largest size as `--scavenger-max-new-space-capacity-mb` (and, for its MinorMS
// collector, `--minor-ms-max-new-space-capacity-mb`), as it takes `--max-semi-space-size`.
const YOUNG_GENERATION_FLAG =
  /(?:^|[\s"])--?(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|(?:scavenger|minor[-_]ms)[-_]max[-_]new[-_]space[-_]capacity[-_]mb)(?=[=\s]|$)/

/**
 * Each flag that has a scavenge made on the main thread, and the flags of a user that decide it instead: the
 * flag either way (`--parallel-scavenge`, `--no-parallel-scavenge`, `--noparallel-scavenge`, which V8 takes
 * too), or `--single-threaded-gc` or `--single-threaded`. A flag with no value may end a quoted word.
 */
const MAIN_THREAD_FLAGS = ['parallel-scavenge', 'concurrent-array-buffer-sweeping'].map((name) => ({
  flag: `--no-${name}`,
  user: new RegExp(
    `(?:^|[\\s"])--?(?:(?:no[-_]?)?${name.replaceAll('-', '[-_]')}|single[-_]threaded(?:[-_]gc)?)(?=[=\\s"]|$)`,
  ),
}))
