#!/usr/bin/env node
// The floor of whole-repository validation: read every file of a repository and parse it as YAML (JSON
// schemas included: JSON is YAML), and nothing more. No validation, no positions, no references.
//
//   node bench/floor-parse.mjs <repository-dir>
//
// Prints {"files": N, "bytes": N} on stdout.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'

const root = process.argv[2]
if (!root) {
  process.stderr.write('usage: node bench/floor-parse.mjs <repository-dir>\n')
  process.exit(2)
}

let files = 0
let bytes = 0
const visit = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) visit(path)
    else if (entry.isFile() && /\.(ya?ml|json)$/.test(entry.name)) {
      const text = readFileSync(path, 'utf8')
      parse(text)
      files++
      bytes += text.length
    }
  }
}
visit(root)
process.stdout.write(`${JSON.stringify({ files, bytes })}\n`)
