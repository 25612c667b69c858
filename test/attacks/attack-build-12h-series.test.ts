import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { copyExample, removeTempDirs, tempDir } from '../support/fixtures.js'
import { referenceCompact } from '../support/reference-canonical-json.js'

/**
 * A build works out each package's contents once for its checks and its bundle, and the delta of a new
 * version takes the digest of an item whose file is the same at both commits from the earlier one. Across a
 * series of releases where kind schemas change under unchanged items, items move between packages, the
 * same bytes appear at another path, packages share items and a dependency cycle comes and goes, every
 * bundle written must hold digests of its own documents (SPEC: sha256 of the canonical compact JSON) and a
 * delta that is the difference of its items and those of the version it names as previous; and building a
 * commit again in a fresh clone must find every version unchanged.
 */
afterAll(removeTempDirs)

const STEPS = String.raw`
set -e
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
git init -q -b main
n=0
step() { n=$((n+1)); git add -A; git commit -qm "step $n: $1" --allow-empty; git tag s$n; }
sed -i 's/^items:/includeReferences: true\nitems:/' packages/customer-sync.yaml
step initial
python3 -c "import json;p='kinds/mapping.schema.json';d=json.load(open(p));d['description']+=' (changed)';d['properties']['fields']['items']['properties']['transform']['default']='trim';open(p,'w').write(json.dumps(d,indent=2))"
step 'kind schema changed, items unchanged'
sed -i '/^  - mapping\/crm-account-to-erp-customer$/d' packages/customer-sync.yaml
sed -i 's#^  - process/order-cycle$#  - process/order-cycle\n  - mapping/crm-account-to-erp-customer#' packages/order-export.yaml
step 'item moved between packages'
sed 's/^name: erp-order-to-partner-csv/name: erp-order-copy/' definitions/mapping/erp-order-to-partner-csv.yaml > definitions/mapping/erp-order-copy.yaml
sed -i 's#^  - process/order-cycle$#  - process/order-cycle\n  - mapping/erp-order-copy#' packages/order-export.yaml
step 'same content at another path'
git mv definitions/mapping/erp-order-copy.yaml definitions/mapping/erp-order-copy2.yaml
sed -i 's/^name: erp-order-copy$/name: erp-order-copy2/' definitions/mapping/erp-order-copy2.yaml
sed -i 's#mapping/erp-order-copy$#mapping/erp-order-copy2#' packages/order-export.yaml
step 'item renamed'
sed -i '0,/^items:$/s//items:\n  - process\/export-orders\n  - mapping\/erp-order-copy2/' packages/customer-sync.yaml
step 'packages share items'
git checkout -q s1 -- kinds/mapping.schema.json
step 'kind schema back as before'
sed -i '0,/^instructions:$/s//dependencies:\n  - package: order-export\n    version: ">=1"\ninstructions:/' packages/integration-connections.yaml
step 'dependency cycle'
git checkout -q s7 -- packages/integration-connections.yaml
sed -i 's/required: true/required: false/' definitions/mapping/erp-order-copy2.yaml
step 'cycle gone, a shared item changed'
git mv definitions/mapping/erp-order-copy2.yaml definitions/mapping/erp-order-copy3.yaml
sed -i 's/^name: erp-order-copy2$/name: erp-order-copy3/' definitions/mapping/erp-order-copy3.yaml
sed -i 's#mapping/erp-order-copy2$#mapping/erp-order-copy3#' packages/order-export.yaml packages/customer-sync.yaml
step 'renamed again'
echo $n
`

interface Artifact {
  package: string
  version: string
  digest: string
  file: string
  created: boolean
}
interface Bundle {
  version: string
  items: Record<string, { digest: string; document: unknown }>
  delta: { previous: string | null; added: string[]; changed: string[]; removed: string[] }
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`
const git = (dir: string, args: string[]) => execFileSync('git', ['-C', dir, ...args]).toString()

describe('a series of releases built one after another', () => {
  it('writes bundles whose digests and deltas are their own, and a rebuild finds them unchanged', async () => {
    const dir = copyExample('integration')
    const steps = Number(execFileSync('bash', ['-c', STEPS], { cwd: dir }).toString().trim())
    expect(steps).toBe(10)
    const bundles = (name: string, version: string): Bundle =>
      JSON.parse(readFileSync(join(dir, '.gantry/build', `${name}-${version}.gantry.json`), 'utf8')) as Bundle
    const created: string[] = []
    for (let step = 1; step <= steps; step++) {
      git(dir, ['reset', '-q', '--hard', `s${step}`])
      const run = await runCli(['build', '--all', '--format', 'json', '--repo', dir])
      const result = run.json<{ ok: boolean; artifacts: Artifact[]; diagnostics: { code: string }[] }>()
      // Only the cycle is refused; every other step builds.
      if (step === 8) {
        expect(result.diagnostics.map((d) => d.code)).toContain('dependency-cycle')
        continue
      }
      expect(run.code, run.stdout).toBe(0)
      for (const artifact of result.artifacts.filter((a) => a.created)) {
        created.push(`${artifact.package}@${artifact.version}`)
        const bundle = bundles(artifact.package, artifact.version)
        for (const [id, item] of Object.entries(bundle.items))
          expect(item.digest, `${artifact.package}@${artifact.version} ${id}`).toBe(sha256(referenceCompact(item.document)))
        const before = bundle.delta.previous ? bundles(artifact.package, bundle.delta.previous).items : {}
        const now = bundle.items
        const ids = (from: object) => Object.keys(from).sort()
        expect(bundle.delta, `${artifact.package}@${artifact.version} at step ${step}`).toEqual({
          previous: bundle.delta.previous,
          added: ids(now).filter((id) => !(id in before)),
          changed: ids(now).filter((id) => id in before && before[id]!.digest !== now[id]!.digest),
          removed: ids(before).filter((id) => !(id in now)),
        })
      }
    }
    // The series made versions at most steps (not one only at the start).
    expect(created.length).toBeGreaterThanOrEqual(10)
    expect(created).toContain('order-export@1.5')

    // Built again in a fresh clone with the tags: nothing new, the same digests.
    const again = tempDir('gantry-series-again-')
    execFileSync('git', ['clone', '-q', dir, again])
    for (const step of [6, 9, 10]) {
      git(again, ['reset', '-q', '--hard', `s${step}`])
      const run = await runCli(['build', '--all', '--format', 'json', '--repo', again])
      const first = (await runCli(['build', '--all', '--format', 'json', '--repo', again])).json<{ artifacts: Artifact[] }>()
      expect(run.code).toBe(0)
      expect(run.json<{ artifacts: Artifact[] }>().artifacts.map((a) => a.created)).toEqual(first.artifacts.map(() => false))
    }
    git(again, ['reset', '-q', '--hard', 's10'])
    const last = (await runCli(['build', '--all', '--format', 'json', '--repo', again])).json<{ artifacts: Artifact[] }>()
    for (const artifact of last.artifacts) {
      // The bundle's path in the repository: `file` is reported from the working folder, wherever that is.
      const inRepository = relative(again, resolve(artifact.file))
      const there = JSON.parse(readFileSync(join(dir, inRepository), 'utf8').toString()) as Bundle
      const here = JSON.parse(readFileSync(join(again, inRepository), 'utf8')) as Bundle
      expect(here, artifact.file).toEqual(there)
    }
  }, 240_000)
})
