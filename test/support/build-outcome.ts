import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { git } from '../engine/helpers.js'

/** What a release build left: its bundles (file name, bytes) and what its tags record (name, commit, message). */
export function buildOutcome(repo: string): { bundles: Map<string, string>; tags: string } {
  const out = join(repo, '.gantry/build')
  const bundles = new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f), 'latin1')]))
  const tags = git(repo, ['for-each-ref', '--format=%(refname) %(*objectname) %(contents)', 'refs/tags/'])
  return { bundles, tags }
}
