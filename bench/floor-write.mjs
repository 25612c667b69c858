#!/usr/bin/env node
// What writing a build's bundle files costs the file system alone: the files of <from> (a build's output
// folder) written again, with the same names and bytes, into the fresh folder <to> beside it, the way
// `gantry build` writes them (each created exclusively under a temporary name, written, closed, then renamed
// into place). The files are read into memory first; only the writing is measured, as the CPU time of this
// process (user + system), which is where a file system's cost of creating files shows. <to> must not exist;
// it is left for the caller to remove (see the rebuild row of bench/build-bench.ts: files removed right
// before a round can make the files that round creates dearer).
//
//   node bench/floor-write.mjs <from> <to>
//
// Prints {"files": N, "bytes": N, "cpuMs": N} on stdout.
import { closeSync, constants, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const [from, to] = process.argv.slice(2)
if (!from || !to) {
  process.stderr.write('usage: node bench/floor-write.mjs <from> <to>\n')
  process.exit(2)
}
const files = readdirSync(from)
  .filter((name) => name.endsWith('.gantry.json'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(from, name), 'utf8') }))
const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0)
const before = process.cpuUsage()
mkdirSync(to)
for (const { name, text } of files) {
  const fd = openSync(join(to, `${name}.${process.pid}.tmp`), flags, 0o644)
  try {
    writeFileSync(fd, text)
  } finally {
    closeSync(fd)
  }
}
for (const { name } of files) renameSync(join(to, `${name}.${process.pid}.tmp`), join(to, name))
const used = process.cpuUsage(before)
const bytes = files.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0)
process.stdout.write(`${JSON.stringify({ files: files.length, bytes, cpuMs: (used.user + used.system) / 1000 })}\n`)
