import { afterAll, describe, expect, test } from 'vitest'
import { itemsChangedBy, touchedPackages } from '../../src/action/events/pull-request.js'
import { openRepository } from '../../src/commands/repository.js'
import { git, makeGitRepo, removeTempDirs, writeFiles } from '../support/fixtures.js'
import { baseRepo } from '../validate/base-repo.js'

afterAll(removeTempDirs)

describe('the items a pull request changes', () => {
  test('edited, added and removed definitions, and items a changed manifest names or drops', async () => {
    // A real repository: main as the default branch (origin/main), then the pull request's changes in the tree.
    const dir = baseRepo()
    const main = makeGitRepo(dir)
    git(dir, ['update-ref', 'refs/remotes/origin/main', main])
    writeFiles(dir, {
      'definitions/task/load.yaml': 'kind: task\nname: load\nspec:\n  command: run load --fast\n  agent: linux\n',
      'definitions/task/report.yaml': 'kind: task\nname: report\nspec:\n  command: run report\n  agent: linux\n',
      'packages/etl.yaml': 'name: etl\nitems:\n  - task/load\n  - task/report\ndependencies:\n  - package: base\n    version: ">=1"\n',
    })
    const repository = await openRepository(dir)
    const files = ['definitions/task/load.yaml', 'definitions/task/report.yaml', 'packages/etl.yaml']
    // task/extract is dropped from the manifest, task/report added, task/load edited; base is untouched.
    expect(await itemsChangedBy(dir, 'refs/remotes/origin/main', repository.model, files)).toEqual(['task/extract', 'task/load', 'task/report'])
  })

  test('an item a manifest adds whose definition did not change is still a changed item', async () => {
    const dir = baseRepo()
    git(dir, ['update-ref', 'refs/remotes/origin/main', makeGitRepo(dir)])
    writeFiles(dir, { 'packages/base.yaml': 'name: base\nitems:\n  - agent/linux\n  - credential/db\n  - task/load\n' })
    const repository = await openRepository(dir)
    expect(await itemsChangedBy(dir, 'refs/remotes/origin/main', repository.model, ['packages/base.yaml'])).toEqual(['task/load'])
  })
})

describe('the packages a pull request touches', () => {
  test('those declaring or including a changed definition, and a package file that no longer loads', async () => {
    const dir = baseRepo({
      // inc declares task/extract only; credential/db, agent/linux and task/load come in through its references.
      'packages/inc.yaml': 'name: inc\nincludeReferences: true\nitems:\n  - task/extract\n',
    })
    makeGitRepo(dir)
    const { model } = await openRepository(dir)
    expect(touchedPackages(model, ['definitions/credential/db.yaml'])).toEqual(['base', 'inc'])
    expect(touchedPackages(model, ['definitions/task/load.yaml'])).toEqual(['etl', 'inc'])
    expect(touchedPackages(model, ['packages/etl.yaml', 'packages/gone.yaml', 'README.md'])).toEqual(['etl', 'gone'])
  })
})
