import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ActionRun } from './action-runner.js'
import { BOT, OWNER, PromotionHub, type PromotionRepo, ledgerFields, tokenOf } from './promotion-harness.js'

// Attacks on the gate by someone with write (or triage) access, and mistakes a new user makes, tried against
// the action from its sources, the example workflows and the local GitHub. Each test is named after the
// attack; a passing test documents that the defence holds.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
  // tess may manage issues and pull requests (close, reopen, labels) but not write.
  hub.github.addUser('tess', { token: tokenOf('tess'), permission: 'triage' })
})
afterAll(async () => {
  await hub?.stop()
})

const GANTRY = { name: 'Gantry', email: 'gantry@users.noreply.local' }

/** Git as a person with a clone, optionally claiming Gantry's identity in commit metadata. */
async function git(cwd: string, args: string[], identity = { name: 'Quinn', email: 'quinn@example.com' }): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  }
  const { stdout } = await promisify(execFile)('git', args, { cwd, env, encoding: 'utf8' })
  return stdout.trim()
}

/** Does what `act` does, then lets the workflows run for the events it produced. */
async function events(repo: PromotionRepo, what: string, act: () => Promise<unknown>, expectSuccess = true): Promise<ActionRun> {
  const mark = repo.runner.mark()
  await act()
  return repo.drive(repo.runner.since(mark), what, expectSuccess)
}

/** Edits a pull request's body as `login` (the `edited` event goes through the relay). */
function editBody(repo: PromotionRepo, login: string, number: number, edit: (body: string) => string): Promise<ActionRun> {
  const body = edit(repo.issue(number).body ?? '')
  return events(repo, `body of #${number} edited by ${login}`, () =>
    repo.octokit(login).rest.pulls.update({ owner: OWNER, repo: repo.name, pull_number: number, body }),
  )
}

const JOBS_WITH_BEFORE =
  'name: jobs\ndescription: Nightly jobs\nnotes: Drains first.\nitems:\n  - task/nightly\n  - connection/jobs-db\ninstructions:\n  - step: Drain the nightly queue\n    when: before\n'

describe('the marker is a cache', () => {
  it('editing "rollback" into the marker does not drop the before-instructions from the gate', async () => {
    const repo = await hub.repository(['jobs'])
    await repo.change({ 'packages/jobs.yaml': JOBS_WITH_BEFORE })
    const dev = repo.openPromotion('dev', 'jobs').number
    expect(repo.marker(dev)).toMatchObject({ version: '1.1', rollback: false })
    expect(repo.issue(dev).labels).toEqual(['gantry:awaiting-instructions'])

    // olga (write) marks the promotion as a rollback in the hidden marker; nothing is ticked.
    await editBody(repo, 'olga', dev, (b) => b.replace('"rollback":false', '"rollback":true'))
    expect(repo.marker(dev).rollback).toBe(true)
    await repo.reconcile()
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1')
    expect(repo.issue(dev).state).toBe('open')

    // Ticked by a person, it applies.
    await editBody(repo, 'olga', dev, (b) => b.replace('- [ ] Drain the nightly queue', '- [x] Drain the nightly queue'))
    expect(ledgerFields(await repo.ledger('dev', 'jobs')).version).toBe('1.1')
  })
})
