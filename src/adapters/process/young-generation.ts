import { setFlagsFromString } from 'node:v8'

/**
 * Keeps V8's young generation at the size it has once Gantry is loaded, for the rest of the process.
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
 * 110 MB to 80 MB and page faults from about 23,000 to 16,000; at 50,000, from 166 MB to 125 MB, with seven
 * times as many scavenges and no CPU cost that paired rounds could show.
 *
 * Only the growth factor is changed, and only after start-up: the sizes given when V8 started are fixed by
 * then, while the factor is read each time V8 decides to grow. Node documents that a flag changed after
 * start-up may "simply do nothing"; this one is read at every growth, and test/cli/young-generation.test.ts
 * checks that it takes effect. A process started with a young-generation flag of its own (on the command
 * line or in NODE_OPTIONS) is left as its user set it.
 */
export function keepYoungGenerationSmall(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): boolean {
  // A flag is a word of its own: one dash or two (node passes `-max-semi-space-size=64` on to V8, which takes it),
  // either spelling, then `=`, a space or the end (NODE_OPTIONS may quote a word).
  const given =
    /(?:^|[\s"])--?(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)(?=[=\s]|$)/
  if (execArgv.some((arg) => given.test(arg)) || given.test(nodeOptions)) return false
  setFlagsFromString('--semi-space-growth-factor=1')
  return true
}
