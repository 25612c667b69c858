import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { validateRepository } from '../../src/commands/validate.js'
import { APP, BASE, apply, build, expectExit, makeSourceRepo } from './fixture.js'
import { git, gitProcesses, tempDir } from './helpers.js'

// validate --env reads the environment branch (its ledger folder, ledgers, item folders and files, once its
// head is resolved) through one `git cat-file` process: each process started from a command holding the whole model costs it
// more than the reading does. Ledgers Gantry wrote are read without the YAML parser; any other text is read
// in full, and what it finds is reported as before.

const temp = tempDir('gantry-env-check-')
afterAll(() => temp.cleanup())

async function appliedRepo(name: string): Promise<string> {
  const repo = join(temp.dir, name)
  makeSourceRepo(repo)
  expectExit(await build(repo), 0)
  expectExit(await apply(repo, BASE.name, 'dev'), 0)
  expectExit(await apply(repo, APP.name, 'dev'), 0)
  return repo
}

const check = (repo: string) => validateRepository({ repo, environments: ['dev'], plansFor: () => [] })

/** A commit on env/dev replacing one file, made with git's plumbing (the branch is not checked out). */
function commitOnBranch(repo: string, path: string, text: string): void {
  const blob = git(repo, ['hash-object', '-w', '--stdin'], { input: text })
  const env = { GIT_INDEX_FILE: join(repo, '.git/env-index') }
  git(repo, ['read-tree', 'env/dev'], { env })
  git(repo, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env })
  const tree = git(repo, ['write-tree'], { env })
  const commit = git(repo, ['commit-tree', tree, '-p', 'env/dev', '-m', 'by hand'])
  git(repo, ['update-ref', 'refs/heads/env/dev', commit])
}

describe('validate --env against a branch with packages applied', () => {
  test('reads the branch through one git process besides the listing of refs and the branch resolved', async () => {
    const repo = await appliedRepo('processes')
    const { result, argv } = await gitProcesses(temp.dir, () => check(repo))
    expect(result.errors).toBe(0)
    const commands = argv.map((args) => args.find((a) => ['for-each-ref', 'symbolic-ref', 'rev-parse', 'ls-tree', 'cat-file'].includes(a)))
    expect(commands.sort()).toEqual(['cat-file', 'for-each-ref', 'rev-parse', 'symbolic-ref'])
  })

  test('a ledger written another way is read in full: the same findings; a broken one is refused as before', async () => {
    const repo = await appliedRepo('ledgers')
    const before = await check(repo)
    const ledger = git(repo, ['cat-file', 'blob', 'env/dev:.gantry/installed/app.yaml'])
    // A comment: the same ledger to a YAML reader, not the form Gantry writes.
    commitOnBranch(repo, '.gantry/installed/app.yaml', `# kept by hand\n${ledger}\n`)
    const commented = await check(repo)
    expect(commented.diagnostics).toEqual(before.diagnostics)
    // The package's name changed: not the ledger of its file.
    commitOnBranch(repo, '.gantry/installed/app.yaml', `${ledger.replace(/^package: app$/m, 'package: base')}\n`)
    await expect(check(repo)).rejects.toMatchObject({ name: 'LedgerError', diagnostics: [expect.objectContaining({ code: 'invalid-ledger', file: '.gantry/installed/app.yaml' })] })
  })
})
