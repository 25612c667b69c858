#!/usr/bin/env node
// Extracts, from GitHub's REST API description, the operations the local GitHub
// (test/local-github) implements, with parameters and request bodies fully resolved,
// into a small file the tests carry: test/local-github/github-operations.json.
//
// Usage: node scripts/extract-github-operations.mjs [path/to/api.github.com.json]
// Default input: ../shared/github/api.github.com.json (from @octokit/openapi 23.0.2).
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const projectRoot = resolve(here, '..')
const input = resolve(process.argv[2] ?? resolve(projectRoot, '../shared/github/api.github.com.json'))
const output = resolve(projectRoot, 'test/local-github/github-operations.json')

/** The operations the local GitHub serves, by operationId. */
const IMPLEMENTED = [
  'users/get-authenticated',
  'actions/create-workflow-dispatch',
  'rate-limit/get',
  'repos/get',
  'repos/get-collaborator-permission-level',
  'repos/list-branches',
  'repos/get-branch',
  'repos/get-commit',
  'repos/list-commits',
  'repos/get-content',
  'repos/create-or-update-file-contents',
  'repos/delete-file',
  'repos/compare-commits',
  'repos/compare-commits-with-basehead',
  'git/get-ref',
  'git/list-matching-refs',
  'git/create-ref',
  'git/update-ref',
  'git/delete-ref',
  'git/get-tag',
  'git/create-tag',
  'git/get-commit',
  'git/create-commit',
  'git/get-tree',
  'git/create-tree',
  'git/get-blob',
  'git/create-blob',
  'pulls/list',
  'pulls/create',
  'pulls/get',
  'pulls/update',
  'pulls/list-files',
  'pulls/list-commits',
  'pulls/check-if-merged',
  'pulls/merge',
  'pulls/list-reviews',
  'pulls/create-review',
  'pulls/get-review',
  'pulls/submit-review',
  'pulls/dismiss-review',
  'pulls/list-requested-reviewers',
  'pulls/request-reviewers',
  'pulls/remove-requested-reviewers',
  'issues/list-for-repo',
  'issues/create',
  'issues/get',
  'issues/update',
  'issues/list-comments',
  'issues/list-comments-for-repo',
  'issues/create-comment',
  'issues/get-comment',
  'issues/update-comment',
  'issues/delete-comment',
  'issues/list-labels-on-issue',
  'issues/add-labels',
  'issues/set-labels',
  'issues/remove-label',
  'issues/remove-all-labels',
  'issues/list-labels-for-repo',
  'issues/create-label',
  'issues/get-label',
  'issues/update-label',
  'issues/delete-label',
  'repos/list-releases',
  'repos/create-release',
  'repos/get-release',
  'repos/get-release-by-tag',
  'repos/get-latest-release',
  'repos/update-release',
  'repos/delete-release',
  'repos/list-release-assets',
  'repos/upload-release-asset',
  'repos/get-release-asset',
  'repos/delete-release-asset',
  'checks/create',
  'checks/update',
  'checks/get',
  'checks/list-for-ref',
  'repos/create-commit-status',
  'repos/list-commit-statuses-for-ref',
  'repos/get-combined-status-for-ref',
  'teams/get-membership-for-user-in-org',
  'teams/list-members-in-org',
]

/** Keys that only document a schema; dropped to keep the file small. */
const DOCUMENTATION_KEYS = new Set(['description', 'example', 'examples', 'title', 'externalDocs', 'summary'])
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options']

const description = JSON.parse(readFileSync(input, 'utf8'))

function resolvePointer(ref) {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`)
  let node = description
  for (const part of ref.slice(2).split('/')) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    if (node === undefined) throw new Error(`unresolved $ref ${ref}`)
  }
  return node
}

/** Inlines every $ref, turns OpenAPI's `nullable` into JSON Schema, drops documentation. */
function clean(node, seen = []) {
  if (Array.isArray(node)) return node.map((item) => clean(item, seen))
  if (node === null || typeof node !== 'object') return node
  if (typeof node.$ref === 'string') {
    if (seen.includes(node.$ref)) throw new Error(`cyclic $ref ${node.$ref}: extend the extractor`)
    return clean(resolvePointer(node.$ref), [...seen, node.$ref])
  }
  const out = {}
  for (const [key, value] of Object.entries(node)) {
    if (DOCUMENTATION_KEYS.has(key) || key.startsWith('x-')) continue
    // `properties` maps names to schemas: a property may well be called "description".
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, clean(s, seen)]))
      continue
    }
    out[key] = clean(value, seen)
  }
  if (out.nullable === true) {
    delete out.nullable
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null']
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null]
      return out
    }
    return { anyOf: [{ type: 'null' }, out] }
  }
  delete out.nullable
  return out
}

const operations = []
const otherRoutes = []
const found = new Set()
for (const [path, item] of Object.entries(description.paths)) {
  for (const method of METHODS) {
    const op = item[method]
    if (!op) continue
    if (!IMPLEMENTED.includes(op.operationId)) {
      otherRoutes.push(`${method.toUpperCase()} ${path}`)
      continue
    }
    found.add(op.operationId)
    const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])]
      .map((p) => clean(p))
      .filter((p) => p.in === 'path' || p.in === 'query')
      .map((p) => ({ name: p.name, in: p.in, required: p.required === true, schema: p.schema ?? {} }))
    const entry = { operationId: op.operationId, method: method.toUpperCase(), path, parameters }
    if (op.requestBody) {
      const body = clean(op.requestBody)
      const [contentType, media] = Object.entries(body.content ?? {})[0] ?? []
      if (contentType) {
        entry.requestBody = { required: body.required === true, contentType, schema: media?.schema ?? {} }
      }
    }
    operations.push(entry)
  }
}

const missing = IMPLEMENTED.filter((id) => !found.has(id))
if (missing.length > 0) throw new Error(`operations not in the description: ${missing.join(', ')}`)

operations.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))
otherRoutes.sort()
const result = {
  source: `${description.info?.title ?? 'GitHub REST API'} ${description.info?.version ?? ''}`.trim(),
  operations,
  otherRoutes,
}
// Formatted as the project's prettier would, so `prettier --check` passes on the generated file.
const prettier = await import('prettier')
const options = (await prettier.resolveConfig(output)) ?? {}
writeFileSync(output, await prettier.format(JSON.stringify(result), { ...options, parser: 'json' }))
console.log(`wrote ${operations.length} operations (+${otherRoutes.length} other routes) to ${output}`)
