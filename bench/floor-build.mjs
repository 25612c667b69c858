#!/usr/bin/env node
// The fast floor of a rebuild: the same bundle files `gantry build --all` writes, byte for byte, made the
// fastest well-kept way and nothing more. Every file of the repository is read and parsed with js-yaml (as the
// js-yaml floor of validation reads them: bench/floor-parse-js-yaml.mjs); then, for each bundle, each item's
// document is put in canonical key order (copied only where a map's keys are out of order), serialized compact
// (JSON.stringify) and hashed (sha256, one call), the content is hashed from those same compact pieces, and the
// bundle is serialized with two-space indents, hashed and written (writeFileSync).
//
// What the floor does not work out is given to it in <plan.json>: which items each bundle holds, their
// references, versions and deltas, and the manifest fields, as gantry's own bundles hold them (the rebuild
// row of bench/build-bench.ts makes the plan from them and checks the floor's files against them). Reading
// the plan is not part of the floor: its CPU time is printed as planCpuMs, for the caller to take off.
//
//   node bench/floor-build.mjs <repository-dir> <plan.json> <out-dir>
//
// Prints {"files": N, "parsed": N, "bytes": N, "planCpuMs": N} on stdout: bundles written, files parsed.
import * as crypto from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'

const [root, planFile, out] = process.argv.slice(2)
if (!root || !planFile || !out) {
  process.stderr.write('usage: node bench/floor-build.mjs <repository-dir> <plan.json> <out-dir>\n')
  process.exit(2)
}

const before = process.cpuUsage()
/** @type {{file: string, bundle: Record<string, unknown>, items: [string, string, unknown][]}[]} */
const plan = JSON.parse(readFileSync(planFile, 'utf8'))
const planned = process.cpuUsage(before)

// Every file the js-yaml floor of validation parses, by its path in the repository (the build folder aside).
const documents = new Map()
const visit = (dir, relative) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git' || entry.name === '.gantry') continue
    const path = join(dir, entry.name)
    const name = relative ? `${relative}/${entry.name}` : entry.name
    if (entry.isDirectory()) visit(path, name)
    else if (entry.isFile() && /\.(ya?ml|json)$/.test(entry.name)) documents.set(name, load(readFileSync(path, 'utf8')))
  }
}
visit(root, '')

// Node's one-shot hash (20.12 and later), else a Hash object: the same digest.
const hash = crypto.hash ?? ((algorithm, data, encoding) => crypto.createHash(algorithm).update(data).digest(encoding))
const sha256 = (text) => `sha256:${hash('sha256', text, 'hex')}`
// `value` with its keys in canonical order at every level: the value itself where it is in that order already.
const sorted = (value) => {
  if (Array.isArray(value)) {
    let copy
    for (let i = 0; i < value.length; i++) {
      const v = sorted(value[i])
      if (v !== value[i]) (copy ??= value.slice())[i] = v
    }
    return copy ?? value
  }
  if (!value || typeof value !== 'object') return value
  const keys = Object.keys(value)
  const order = [...keys].sort()
  let changed = order.some((key, i) => key !== keys[i])
  const values = order.map((key) => {
    const v = sorted(value[key])
    if (v !== value[key]) changed = true
    return v
  })
  if (!changed) return value
  const out = {}
  order.forEach((key, i) => (out[key] = values[i]))
  return out
}
// The top level of a bundle sorted; its items are made in sorted order, each in canonical order already.
const sortedTop = (value) => Object.fromEntries(Object.keys(value).sort().map((key) => [key, key === 'items' ? value[key] : sorted(value[key])]))

mkdirSync(out, { recursive: true })
let bytes = 0
for (const { file, bundle, items: planItems } of plan) {
  const items = {}
  // Each item's compact JSON, as the content's compact JSON holds it: hashed for the content digest as it is.
  const pieces = []
  for (const [id, origin, references] of [...planItems].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const document = sorted(documents.get(`definitions/${id}.yaml`))
    const compact = JSON.stringify(document)
    const item = { digest: sha256(compact), document, origin, references }
    items[id] = item
    pieces.push(`${JSON.stringify(id)}:{"digest":${JSON.stringify(item.digest)},"document":${compact},"origin":${JSON.stringify(origin)},"references":${JSON.stringify(references)}}`)
  }
  const { format, version, debug, delta, ...content } = bundle
  const digest = crypto.createHash('sha256')
  let separator = '{'
  for (const key of Object.keys({ ...content, items }).sort()) {
    if (key === 'items') {
      digest.update(`${separator}"items":{`)
      pieces.forEach((piece, i) => digest.update(i === 0 ? piece : `,${piece}`))
      digest.update('}')
    } else digest.update(`${separator}${JSON.stringify(key)}:${JSON.stringify(sorted(content[key]))}`)
    separator = ','
  }
  digest.update('}')
  const contentDigest = `sha256:${digest.digest('hex')}`
  const text = `${JSON.stringify(sortedTop({ format, version, debug, delta, ...content, items, contentDigest }), null, 2)}\n`
  sha256(text)
  writeFileSync(join(out, file), text)
  bytes += Buffer.byteLength(text)
}
process.stdout.write(`${JSON.stringify({ files: plan.length, parsed: documents.size, bytes, planCpuMs: (planned.user + planned.system) / 1000 })}\n`)
