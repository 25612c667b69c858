import { existsSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { removeTempDirs } from '../support/fixtures.js'
import { BUILT_CLI, runBuiltCli } from '../support/built-cli.js'
import { baseRepo } from '../validate/base-repo.js'

// A package's item list is now walked for missing items only when some item has no definition. The built CLI
// of this tree and the one built before that change (635b9f5) are run on the same repositories: missing items
// first, last, twice, of an unknown kind, with names near the Windows device names, and a kind schema with
// references through shared nodes, $defs, combinators and a key walked by a oneOf through definitions (__proto__ and constructor are refused by the loader); stdout and exit code must be the same
// bytes, in text and in JSON.

afterAll(removeTempDirs)

const BEFORE = '/tmp/cli-635b9f5/index.js'
const both = existsSync(BEFORE) && existsSync(BUILT_CLI)

const shared = { type: 'string', 'x-gantry-ref': 'agent' }
const hostileTask = {
  $defs: { a: shared, steps: { type: 'array', items: { anyOf: [{ $ref: '#/$defs/a' }, { properties: { uses: shared } }] } } },
  definitions: { c: { oneOf: [{ $ref: '#/$defs/a' }, { type: 'integer' }] } },
  type: 'object',
  properties: JSON.parse('{"command":{"type":"string"},"agent":{"$ref":"#/$defs/a"},"steps":{"$ref":"#/$defs/steps"},"ctor":{"$ref":"#/definitions/c"}}') as object,
  additionalProperties: { allOf: [{ $ref: '#/$defs/a' }] },
}

const REPOS: Record<string, Record<string, string | null>> = {
  'missing first, last, twice, unknown kind': {
    'packages/base.yaml': 'name: base\nitems:\n  - agent/nope\n  - agent/linux\n  - credential/db\n  - widget/x\n  - credential/gone\n',
  },
  'nothing missing, an item listed twice (refused by the manifest schema)': {
    'packages/base.yaml': 'name: base\nitems:\n  - agent/linux\n  - credential/db\n  - agent/linux\n',
  },
  'device-like names': {
    'definitions/agent/con1.yaml': 'kind: agent\nname: con1\nspec:\n  host: h\n',
    'definitions/agent/comx.yaml': 'kind: agent\nname: comx\nspec:\n  host: h\n',
    'definitions/agent/lpt9.x.yaml': 'kind: agent\nname: lpt9.x\nspec:\n  host: h\n',
    'packages/base.yaml': 'name: base\nitems:\n  - agent/linux\n  - credential/db\n  - agent/con1\n  - agent/comx\n  - agent/lpt9.x\n  - agent/nul\n  - agent/aux.a\n',
  },
  'hostile kind schema used by definitions of different shapes': {
    'kinds/task.schema.json': `${JSON.stringify(hostileTask, null, 2)}\n`,
    'definitions/task/extract.yaml': 'kind: task\nname: extract\nspec:\n  command: run\n  agent: linux\n  ctor: linux\n  steps:\n    - linux\n    - uses: nobody\n  extra: ghost\n',
    'definitions/task/load.yaml': 'kind: task\nname: load\nspec:\n  command: run\n  agent: nobody\n  steps: []\n  ctor: 3\n',
  },
}

const SHOWS: Record<string, RegExp> = {
  'missing first, last, twice, unknown kind': /missing-item[\s\S]*agent\/nope[\s\S]*widget\/x[\s\S]*credential\/gone/,
  'device-like names': /nul/,
  'hostile kind schema used by definitions of different shapes': /nobody/,
}

describe.skipIf(!both)('validate: the built CLI before and after, byte for byte', () => {
  for (const [name, changes] of Object.entries(REPOS)) {
    test(name, async () => {
      const repo = baseRepo(changes)
      const shown: string[] = []
      for (const format of [[], ['--format', 'json']]) {
        const before = await runBuiltCli(BEFORE, repo, ['validate', ...format])
        const now = await runBuiltCli(BUILT_CLI, repo, ['validate', ...format])
        expect(now.code, `${name} ${format.join(' ')}`).toBe(before.code)
        expect(now.stdout, `${name} ${format.join(' ')}`).toBe(before.stdout)
        if (format.length > 0) shown.push(now.stdout)
      }
      // Each repository reports what it was made to show (the comparison is not of two empty outputs).
      if (SHOWS[name]) expect(shown.join('\n')).toMatch(SHOWS[name])
    }, 60_000)
  }
})
