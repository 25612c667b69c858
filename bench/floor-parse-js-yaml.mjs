#!/usr/bin/env node
// The fast floor of whole-repository validation: read every file of a repository and parse it with js-yaml
// (JSON schemas included: JSON is YAML), the fastest well-kept YAML parser on npm, and nothing more.
//
//   node bench/floor-parse-js-yaml.mjs <repository-dir>
//
// Prints {"files": N, "bytes": N} on stdout.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'

const root = process.argv[2]
if (!root) {
  process.stderr.write('usage: node bench/floor-parse-js-yaml.mjs <repository-dir>\n')
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
      load(text)
      files++
      bytes += text.length
    }
  }
}
visit(root)
process.stdout.write(`${JSON.stringify({ files, bytes })}\n`)
