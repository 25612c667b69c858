import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { readItemFiles } from '../../src/adapters/git/repository-reader.js'
import { validateRepository } from '../../src/commands/validate.js'
import type { ItemId } from '../../src/core/names.js'
import { apply, build, definition, expectExit, makeSourceRepo, packageFile } from '../engine/fixture.js'
import { cliJson, commitFiles, commitToBranch, git, tempDir } from '../engine/helpers.js'

/**
 * Validation against environments reads the branch by folder listings and, for packages whose plans nobody
 * shows (the CLI's), makes only the findings. Both must give exactly what reading every file by path and
 * planning every package gave: the findings and plans below were recorded from that code.
 */

const temp = tempDir('gantry-remote-findings-')
afterAll(() => temp.cleanup())

let count = 0
const tasks = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `task/${prefix}${i}`)

/**
 * Every package applied to dev, then the source and the branch moved apart: updates, a dropped item of an
 * overwrite package, conflicts with another package and with hand-made files, a folder where an item goes,
 * a locked package's item edited on the branch, overrides (one invalid), a replacement whose target is not
 * there, a kind kept by operators (update: never), a missing dependency. The task folder holds enough of
 * the items asked for to be listed, the others are looked up by path.
 */
async function divergedRepository(): Promise<string> {
  const repo = join(temp.dir, `r${++count}`)
  makeSourceRepo(repo)
  const many = tasks('m', 10)
  commitFiles(repo, {
    ...Object.assign({}, ...many.map((id, i) => definition('task', id.slice(5), { command: `m${i}.sh`, conn: 'db', ...(i === 3 ? { successors: ['m4'] } : {}) }))),
    ...definition('cred', 'l1', { path: 'vault://l1' }),
    ...packageFile({ name: 'many', install: 'overwrite', items: many, dependencies: [{ package: 'base' }] }),
    ...packageFile({ name: 'lck', locked: true, items: ['cred/l1'] }),
  })
  expectExit(await build(repo, ['--all']), 0)
  for (const pkg of ['base', 'app', 'tools', 'many', 'lck']) expectExit(await apply(repo, pkg, 'dev'), 0)
  commitToBranch(repo, 'env/dev', {
    'definitions/task/hand.yaml': 'kind: task\nname: hand\nspec:\n  command: by-hand.sh\n',
    'definitions/task/dirred.yaml/notes.txt': 'kept by hand\n',
    'definitions/cred/l1.yaml': 'kind: cred\nname: l1\nspec:\n  path: vault://edited\n',
  })
  commitFiles(repo, {
    // Updates: a changed task, a changed calendar (update: never keeps it).
    ...definition('task', 'm0', { command: 'm0-changed.sh', conn: 'db' }),
    ...definition('cal', 'holidays', { days: ['2026-12-25', '2026-12-26'] }),
    // many drops task/m1 (deleted: install overwrite) and adds task/m10.
    ...definition('task', 'm10', { command: 'm10.sh' }),
    ...packageFile({
      name: 'many',
      install: 'overwrite',
      items: [...many.filter((id) => id !== 'task/m1'), 'task/m10'],
      dependencies: [{ package: 'base' }],
      environments: {
        dev: {
          set: { 'task/m2': { 'spec.command': 'm2-dev.sh' }, 'task/m5': { 'spec.bogus': true } },
          replace: { 'task/m4': 'task/absent' },
        },
      },
    }),
    // Conflicts: another package's item, a hand-made file, a folder where the file goes.
    ...definition('task', 'hand', { command: 'hand.sh' }),
    ...definition('task', 'dirred', { command: 'dirred.sh' }),
    ...definition('task', 'absent', { command: 'absent.sh' }),
    ...packageFile({ name: 'dup', items: ['cred/tools', 'task/hand', 'task/dirred'] }),
    // A dependency that is not applied anywhere.
    ...packageFile({ name: 'late', items: ['task/absent'], dependencies: [{ package: 'dup' }] }),
  })
  return repo
}

type Finding = { severity: string; code: string; package?: string; environment?: string; item?: string; file?: string; line?: number; column?: number; message: string }

const summary = (d: Finding) => `${d.severity} ${d.code} ${d.environment ?? '-'} ${d.package ?? '-'} ${d.file ?? '-'}:${d.line ?? '-'}:${d.column ?? '-'} ${d.message}`

describe('validate --env: findings without plans, the branch read by listings', () => {
  test('the same findings and plans as planning every package from files read by path', async () => {
    const repo = await divergedRepository()
    // Every package planned (what the pull-request check shows), and the findings alone (what the CLI prints).
    const full = await validateRepository({ repo, environments: ['dev', 'qa'] })
    const findings = await validateRepository({ repo, environments: ['dev', 'qa'], plansFor: () => [] })
    expect(findings.diagnostics).toEqual(full.diagnostics)
    expect(findings.plans).toEqual([])
    expect(full.diagnostics.map(summary)).toMatchInlineSnapshot(`
      [
        "error name-conflict dev dup definitions/cred/tools.yaml:2:7 cred/tools already exists in dev and belongs to package tools",
        "error name-conflict dev dup definitions/task/dirred.yaml:2:7 task/dirred cannot be written in dev: a folder is at definitions/task/dirred.yaml on env/dev, made by hand",
        "error name-conflict dev dup definitions/task/hand.yaml:2:7 task/hand already exists in dev and belongs to nobody (it was created by hand)",
        "warning unresolved-in-environment qa many definitions/task/m0.yaml:5:9 task/m0 refers to conn/db, which would not exist in qa",
        "warning unresolved-in-environment qa many definitions/task/m2.yaml:5:9 task/m2 refers to conn/db, which would not exist in qa",
        "warning unresolved-in-environment qa many definitions/task/m3.yaml:5:9 task/m3 refers to conn/db, which would not exist in qa",
        "error unresolved-in-environment dev many definitions/task/m3.yaml:7:7 task/m3 refers to task/absent (replacing task/m4), which would not exist in dev",
        "warning unresolved-in-environment qa many definitions/task/m4.yaml:5:9 task/m4 refers to conn/db, which would not exist in qa",
        "warning unresolved-in-environment qa many definitions/task/m5.yaml:5:9 task/m5 refers to conn/db, which would not exist in qa",
        "warning unresolved-in-environment qa many definitions/task/m6.yaml:5:9 task/m6 refers to conn/db, which would not exist in qa",
        "warning unresolved-in-environment qa many definitions/task/m7.yaml:5:9 task/m7 refers to conn/db, which would not exist in qa",
        "warning unresolved-in-environment qa many definitions/task/m8.yaml:5:9 task/m8 refers to conn/db, which would not exist in qa",
        "warning unresolved-in-environment qa many definitions/task/m9.yaml:5:9 task/m9 refers to conn/db, which would not exist in qa",
        "warning missing-dependency qa app packages/app.yaml:6:14 app needs base >=1, which is not applied in qa",
        "warning missing-dependency dev late packages/late.yaml:5:14 late needs dup, which is not applied in dev",
        "warning missing-dependency qa late packages/late.yaml:5:14 late needs dup, which is not applied in qa",
        "error locked-item-modified dev lck packages/lck.yaml:1:7 cred/l1 of locked package lck was changed on env/dev outside a promotion",
        "warning missing-dependency qa many packages/many.yaml:15:14 many needs base, which is not applied in qa",
        "error invalid-override dev many packages/many.yaml:22:9 task/m5 in dev does not satisfy the task kind schema after its overrides: spec.bogus is not a known field",
        "error replacement-target-missing dev many packages/many.yaml:24:16 dev replaces task/m4 with task/absent, which does not exist in dev",
      ]
    `)
    const rows = full.plans.map((p) => ({
      plan: `${p.environment} ${p.package}@${p.version} ok=${p.ok} ${JSON.stringify(p.counts)}`,
      changes: p.changes.map((c) => `${c.action} ${c.item}${c.note ? ` (${c.note})` : ''}${c.fields ? ` ${JSON.stringify(c.fields)}` : ''}${c.overrides ? ` ${JSON.stringify(c.overrides)}` : ''}`),
      writes: [...p.writes.keys()].sort(),
      ledger: p.ledger.items,
    }))
    expect(rows).toMatchInlineSnapshot(`
      [
        {
          "changes": [
            "keep task/extract",
          ],
          "ledger": {
            "task/extract": "sha256:3ad7133e747b7b2482313347dd436e61abd374d4a31d83043be5344e01649c9a",
          },
          "plan": "dev app@unreleased ok=true {"add":0,"update":0,"delete":0,"keep":1}",
          "writes": [],
        },
        {
          "changes": [
            "keep cal/holidays (kind policy update: never)",
            "keep conn/db",
            "keep cred/db",
            "keep cred/db-qa",
          ],
          "ledger": {
            "cal/holidays": "sha256:cd62f85b40e1f9679cf85206319604cd3d885d679aaa3485b7a0dbc05bcf0b1d",
            "conn/db": "sha256:779aa7cc82d714f9c2dff61a99bd7866fd05ae2f09144c31ff65c0b8255b90d2",
            "cred/db": "sha256:ceb9241d89f028b4086e7043a3160b25d910d3bae95ce53f98b87150f7756e7e",
            "cred/db-qa": "sha256:44c56c3584dd3b73222cd45815dbbcdd09d42d8c688f8f3aaaded3983a4b43ad",
          },
          "plan": "dev base@unreleased ok=true {"add":0,"update":0,"delete":0,"keep":4}",
          "writes": [],
        },
        {
          "changes": [],
          "ledger": {},
          "plan": "dev dup@unreleased ok=false {"add":0,"update":0,"delete":0,"keep":0}",
          "writes": [],
        },
        {
          "changes": [
            "add task/absent",
          ],
          "ledger": {
            "task/absent": "sha256:7e0af3f27f2345019a2bd3e3fdddc795c837f36d4754581c1292f9dd065deb26",
          },
          "plan": "dev late@unreleased ok=false {"add":1,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/task/absent.yaml",
          ],
        },
        {
          "changes": [
            "keep cred/l1 (unchanged by this version; edits on the branch are kept)",
          ],
          "ledger": {
            "cred/l1": "sha256:2f8176fa75c96f8d0c7c8987af074c1e9add5fe4b39ccfa37faa7b3c3673c21a",
          },
          "plan": "dev lck@unreleased ok=false {"add":0,"update":0,"delete":0,"keep":1}",
          "writes": [],
        },
        {
          "changes": [
            "delete task/m1",
            "add task/m10",
            "update task/m0 [{"path":"spec.command","from":"m0.sh","to":"m0-changed.sh"}]",
            "update task/m2 [{"path":"spec.command","from":"m2.sh","to":"m2-dev.sh"}] [{"path":"spec.command","kind":"set","from":"m2.sh","to":"m2-dev.sh"}]",
            "update task/m3 [{"path":"spec.successors","from":["m4"],"to":["absent"]}] [{"path":"spec.successors.0","kind":"replace","from":"task/m4","to":"task/absent"}]",
            "update task/m5 [{"path":"spec.bogus","to":true}] [{"path":"spec.bogus","kind":"set","to":true}]",
            "keep task/m4",
            "keep task/m6",
            "keep task/m7",
            "keep task/m8",
            "keep task/m9",
          ],
          "ledger": {
            "task/m0": "sha256:9010f26c809dd78d5307f0a9d5712e43346c5e6baa8701fef89280f2b55647f3",
            "task/m10": "sha256:1ff5b5f0a705f6ddc50dedcf43cc2c60b0d60a2450690d37f1e7091fd65f7fc7",
            "task/m2": "sha256:9346560d89c93d4bd733c3a9566774ce3529f3c4d8e2760a2f2ed1ac595dd56c",
            "task/m3": "sha256:f7c1346f837241d28f8ce0a60a2aad84fac58003328b6eaa5fbea60dac1fea33",
            "task/m4": "sha256:87b77b152608b9234db81d312062f2ef5274420eded75b9235e8d8977009c5b3",
            "task/m5": "sha256:3a0f6f38861c62237c2595323cdcd9854491ab50029bb1bb7a2dfc923712e2cf",
            "task/m6": "sha256:2ebfa7e9881392b79dde8fd778e7e636d0744e8175da957dfff2edbaf8866c2f",
            "task/m7": "sha256:07f843915277f9d2b30a04ff2c13cf5ce345b75aa16c6127cceb42ab951d7e63",
            "task/m8": "sha256:a1ee3405fc033fc7761c9bbf409520a04a9526477500a4fa54fee80b7ac73f31",
            "task/m9": "sha256:7829ff7b53f68ab72250ba04e2325a52365dd63cbd0adbce9a0b9a78548baa69",
          },
          "plan": "dev many@unreleased ok=false {"add":1,"update":4,"delete":1,"keep":5}",
          "writes": [
            "definitions/task/m0.yaml",
            "definitions/task/m1.yaml",
            "definitions/task/m10.yaml",
            "definitions/task/m2.yaml",
            "definitions/task/m3.yaml",
            "definitions/task/m5.yaml",
          ],
        },
        {
          "changes": [
            "keep cred/tools",
            "keep task/cleanup",
          ],
          "ledger": {
            "cred/tools": "sha256:3d18c52d505abf2ff2f8e785fdc9e0deed4ec667f0a80f4b7c6169aff6c153f4",
            "task/cleanup": "sha256:ff2c507cd38f11f2c3c2cc1aeb8422a3d948879f036e9b2e4a490da23f426251",
          },
          "plan": "dev tools@unreleased ok=true {"add":0,"update":0,"delete":0,"keep":2}",
          "writes": [],
        },
        {
          "changes": [
            "add task/extract",
          ],
          "ledger": {
            "task/extract": "sha256:3ad7133e747b7b2482313347dd436e61abd374d4a31d83043be5344e01649c9a",
          },
          "plan": "qa app@unreleased ok=false {"add":1,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/task/extract.yaml",
          ],
        },
        {
          "changes": [
            "add cal/holidays",
            "add conn/db [{"path":"spec.credential","kind":"replace","from":"cred/db","to":"cred/db-qa"},{"path":"spec.host","kind":"set","from":"db.dev.example.com","to":"db.qa.example.com"}]",
            "add cred/db",
            "add cred/db-qa",
          ],
          "ledger": {
            "cal/holidays": "sha256:55a6f36e9272334fb87e58fc8c4b2aa1c4605cb4202229a643a1d5ff9367f235",
            "conn/db": "sha256:c73d1922195514c81cf5ea832ed468ad88d8f76418d85385ebd6d702366a08b8",
            "cred/db": "sha256:ceb9241d89f028b4086e7043a3160b25d910d3bae95ce53f98b87150f7756e7e",
            "cred/db-qa": "sha256:44c56c3584dd3b73222cd45815dbbcdd09d42d8c688f8f3aaaded3983a4b43ad",
          },
          "plan": "qa base@unreleased ok=true {"add":4,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/cal/holidays.yaml",
            "definitions/conn/db.yaml",
            "definitions/cred/db-qa.yaml",
            "definitions/cred/db.yaml",
          ],
        },
        {
          "changes": [
            "add cred/tools",
            "add task/dirred",
            "add task/hand",
          ],
          "ledger": {
            "cred/tools": "sha256:3d18c52d505abf2ff2f8e785fdc9e0deed4ec667f0a80f4b7c6169aff6c153f4",
            "task/dirred": "sha256:0c626a365eedcfa5e6524736766c07ce7c6cc0facb1d54d1f84caa790c678310",
            "task/hand": "sha256:a476315ee1ca6597790efa28db30339c539c0d461c8b02f4363dc04aa0214690",
          },
          "plan": "qa dup@unreleased ok=true {"add":3,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/cred/tools.yaml",
            "definitions/task/dirred.yaml",
            "definitions/task/hand.yaml",
          ],
        },
        {
          "changes": [
            "add task/absent",
          ],
          "ledger": {
            "task/absent": "sha256:7e0af3f27f2345019a2bd3e3fdddc795c837f36d4754581c1292f9dd065deb26",
          },
          "plan": "qa late@unreleased ok=false {"add":1,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/task/absent.yaml",
          ],
        },
        {
          "changes": [
            "add cred/l1",
          ],
          "ledger": {
            "cred/l1": "sha256:e89d5448c6834e2868c27df47ab40c5352bf407ff4daf100eeec784a3ac7064a",
          },
          "plan": "qa lck@unreleased ok=true {"add":1,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/cred/l1.yaml",
          ],
        },
        {
          "changes": [
            "add task/m0",
            "add task/m10",
            "add task/m2",
            "add task/m3",
            "add task/m4",
            "add task/m5",
            "add task/m6",
            "add task/m7",
            "add task/m8",
            "add task/m9",
          ],
          "ledger": {
            "task/m0": "sha256:9010f26c809dd78d5307f0a9d5712e43346c5e6baa8701fef89280f2b55647f3",
            "task/m10": "sha256:1ff5b5f0a705f6ddc50dedcf43cc2c60b0d60a2450690d37f1e7091fd65f7fc7",
            "task/m2": "sha256:0483c32450f532a0d6d75f48e6cd95334dafbc8d90fdef3bd1ce85b9df6a67ed",
            "task/m3": "sha256:3c85f3a7b13d6dfc0ecaacd8b880166dfb60b92f1b7cd1fc07e7434acd3a28f6",
            "task/m4": "sha256:87b77b152608b9234db81d312062f2ef5274420eded75b9235e8d8977009c5b3",
            "task/m5": "sha256:6c03410fe700a21d8badca75060c9e731b2b0251d8f263a2f2fadb63d566d984",
            "task/m6": "sha256:2ebfa7e9881392b79dde8fd778e7e636d0744e8175da957dfff2edbaf8866c2f",
            "task/m7": "sha256:07f843915277f9d2b30a04ff2c13cf5ce345b75aa16c6127cceb42ab951d7e63",
            "task/m8": "sha256:a1ee3405fc033fc7761c9bbf409520a04a9526477500a4fa54fee80b7ac73f31",
            "task/m9": "sha256:7829ff7b53f68ab72250ba04e2325a52365dd63cbd0adbce9a0b9a78548baa69",
          },
          "plan": "qa many@unreleased ok=false {"add":10,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/task/m0.yaml",
            "definitions/task/m10.yaml",
            "definitions/task/m2.yaml",
            "definitions/task/m3.yaml",
            "definitions/task/m4.yaml",
            "definitions/task/m5.yaml",
            "definitions/task/m6.yaml",
            "definitions/task/m7.yaml",
            "definitions/task/m8.yaml",
            "definitions/task/m9.yaml",
          ],
        },
        {
          "changes": [
            "add cred/tools",
            "add task/cleanup",
          ],
          "ledger": {
            "cred/tools": "sha256:3d18c52d505abf2ff2f8e785fdc9e0deed4ec667f0a80f4b7c6169aff6c153f4",
            "task/cleanup": "sha256:ff2c507cd38f11f2c3c2cc1aeb8422a3d948879f036e9b2e4a490da23f426251",
          },
          "plan": "qa tools@unreleased ok=true {"add":2,"update":0,"delete":0,"keep":0}",
          "writes": [
            "definitions/cred/tools.yaml",
            "definitions/task/cleanup.yaml",
          ],
        },
      ]
    `)
    // The CLI prints the findings-only result.
    const cli = await cliJson<{ diagnostics: Finding[] }>(repo, ['validate', '--env', 'dev', '--env', 'qa'])
    expect(cli.code).toBe(1)
    expect(cli.json.diagnostics).toEqual(JSON.parse(JSON.stringify(full.diagnostics)))
  })
})

describe('reading item files at a commit: a folder listing answers as the lookups by path did', () => {
  test('files, links, folders, submodules, files where folders go, empty and missing files', async () => {
    const repo = join(temp.dir, `r${++count}`)
    makeSourceRepo(repo)
    const index = join(repo, '.git', 'test-index-listing')
    const env = { GIT_INDEX_FILE: index }
    const blob = (text: string) => git(repo, ['hash-object', '-w', '--stdin'], { input: text })
    const add = (mode: string, sha: string, path: string) => git(repo, ['update-index', '--add', '--cacheinfo', `${mode},${sha},${path}`], { env })
    const here = git(repo, ['rev-parse', 'HEAD'])
    for (let i = 0; i < 10; i++) add('100644', blob(`kind: task\nname: t${i}\n`), `definitions/task/t${i}.yaml`)
    add('100755', blob('kind: task\nname: exec\n'), 'definitions/task/exec.yaml')
    add('100644', blob(''), 'definitions/task/empty.yaml')
    add('120000', blob('t0.yaml'), 'definitions/task/link.yaml')
    add('100644', blob('notes\n'), 'definitions/task/dir.yaml/notes.txt')
    add('160000', here, 'definitions/task/sub-here.yaml')
    add('160000', '1234567890123456789012345678901234567890', 'definitions/task/sub-elsewhere.yaml')
    add('100644', blob('a file where the conn folder goes\n'), 'definitions/conn')
    add('100644', blob('kind: cred\nname: c\n'), 'definitions/cred/c.yaml')
    const tree = git(repo, ['write-tree'], { env })
    const commit = git(repo, ['commit-tree', tree, '-m', 'odd branch'])
    const asked = [
      ...tasks('t', 10),
      ...['exec', 'empty', 'link', 'dir', 'sub-here', 'sub-elsewhere', 'missing', 'missing-too'].map((n) => `task/${n}`),
      ...Array.from({ length: 9 }, (_, i) => `conn/c${i}`),
      'cred/c',
      'cred/gone',
      'cal/nowhere',
    ] as ItemId[]
    const wanted = asked.map((id) => [id, `definitions/${id}.yaml`] as [ItemId, string])
    const gitRepo = new Git(repo)
    const byPath = await readItemFiles(gitRepo, commit, wanted, undefined, Number.POSITIVE_INFINITY)
    const listed = await readItemFiles(gitRepo, commit, wanted, undefined, 1)
    const text = (m: Map<ItemId, Uint8Array>) => [...m].map(([id, b]) => [id, Buffer.from(b).toString('utf8')])
    expect(text(listed.found)).toEqual(text(byPath.found))
    expect([...listed.obstructed]).toEqual([...byPath.obstructed])
    expect([...listed.present]).toEqual([])
    // What the lookups found: the files (a link as its target's name, a file that is empty), and what is in
    // the way of the others.
    expect([...byPath.found.keys()].sort()).toEqual([...tasks('t', 10), 'task/empty', 'task/exec', 'task/link', 'cred/c'].sort())
    expect(Buffer.from(byPath.found.get('task/link' as ItemId)!).toString('utf8')).toBe('t0.yaml')
    expect(Object.fromEntries(byPath.obstructed)).toEqual({
      'task/dir': 'a folder is at definitions/task/dir.yaml',
      // A submodule whose commit is in the repository reads as a folder; one elsewhere, as nothing.
      'task/sub-here': 'a folder is at definitions/task/sub-here.yaml',
      ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`conn/c${i}`, 'a file is at definitions/conn, where a folder is needed'])),
    })
    // Bytes only for the ids asked: the other files listed are only known to be there.
    const some = await readItemFiles(gitRepo, commit, wanted, new Set(['task/t0', 'cred/c'] as ItemId[]), 1)
    expect([...some.found.keys()].sort()).toEqual(['cred/c', 'task/t0'])
    expect([...some.present].sort()).toEqual([...tasks('t', 10).filter((t) => t !== 'task/t0'), 'task/empty', 'task/exec', 'task/link'].sort())
    expect([...some.obstructed]).toEqual([...byPath.obstructed])
  })
})
