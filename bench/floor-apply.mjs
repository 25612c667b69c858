#!/usr/bin/env node
// The floor of `gantry apply`: the same writes done with bare git plumbing and nothing else. Hashes the
// files in one hash-object, rewrites each changed folder with ls-tree + mktree (deepest first, touching only
// the folders on the changed paths), then commit-tree and a compare-and-swap update-ref.
//
//   node bench/floor-apply.mjs <repo> <branch> <base-commit> <writes.json>
//
// writes.json: [{"path": "definitions/task/x.yaml", "file": "/abs/path/of/the/bytes"}, ...]
// Prints {"commit": sha, "tree": sha, "processes": N} on stdout.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const [repo, branch, base, writesFile] = process.argv.slice(2)
if (!repo || !branch || !base || !writesFile) {
  process.stderr.write('usage: node bench/floor-apply.mjs <repo> <branch> <base-commit> <writes.json>\n')
  process.exit(2)
}

const env = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
  GIT_AUTHOR_NAME: 'Gantry Bench',
  GIT_AUTHOR_EMAIL: 'bench@gantry.invalid',
  GIT_COMMITTER_NAME: 'Gantry Bench',
  GIT_COMMITTER_EMAIL: 'bench@gantry.invalid',
}
let processes = 0
const git = (args, input, okCodes = [0]) => {
  processes++
  const result = spawnSync('git', ['-C', repo, ...args], { input, env, maxBuffer: 1 << 30 })
  if (!okCodes.includes(result.status ?? -1)) {
    process.stderr.write(`git ${args.join(' ')} failed: ${result.stderr}\n`)
    process.exit(1)
  }
  return result
}

/** @type {{path: string, file: string}[]} */
const writes = JSON.parse(readFileSync(writesFile, 'utf8'))
const shas = git(['hash-object', '-w', '--', ...writes.map((w) => w.file)])
  .stdout.toString()
  .trim()
  .split('\n')

// folder ('' is the root) -> name -> entry line parts
const folders = new Map()
const folderOf = (path) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')
const baseName = (path) => path.slice(path.lastIndexOf('/') + 1)
const changed = (folder) => {
  let entries = folders.get(folder)
  if (!entries) {
    entries = new Map()
    folders.set(folder, entries)
    if (folder !== '') changed(folderOf(folder))
  }
  return entries
}
writes.forEach((w, i) =>
  changed(folderOf(w.path)).set(baseName(w.path), { mode: '100644', type: 'blob', sha: shas[i] }),
)

const depth = (folder) => (folder === '' ? 0 : folder.split('/').length)
const deepestFirst = [...folders.keys()].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1))
const trees = new Map()
for (const folder of deepestFirst) {
  const listing = git(
    ['ls-tree', '-z', folder === '' ? `${base}^{tree}` : `${base}:${folder}`],
    undefined,
    [0, 128],
  )
  const entries = new Map()
  if (listing.status === 0) {
    for (const record of listing.stdout.toString('utf8').split('\0')) {
      if (!record) continue
      const tab = record.indexOf('\t')
      const [mode, type, sha] = record.slice(0, tab).split(' ')
      entries.set(record.slice(tab + 1), { mode, type, sha })
    }
  }
  for (const [name, entry] of folders.get(folder)) entries.set(name, entry)
  for (const [child, sha] of trees) {
    if (child !== folder && folderOf(child) === folder)
      entries.set(baseName(child), { mode: '040000', type: 'tree', sha })
  }
  const input = [...entries].map(([name, e]) => `${e.mode} ${e.type} ${e.sha}\t${name}\0`).join('')
  trees.set(folder, git(['mktree', '-z'], input).stdout.toString().trim())
}
const tree = trees.get('')
const commit = git(['commit-tree', tree, '-p', base], 'apply (floor)\n').stdout.toString().trim()
git(['update-ref', `refs/heads/${branch}`, commit, base])
process.stdout.write(`${JSON.stringify({ commit, tree, processes })}\n`)
