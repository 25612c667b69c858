import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { produce } from './event-helpers.js'
import { BOT, OWNER, PromotionHub, ledgerFields, tokenOf } from './promotion-harness.js'

// Records that must not be lost or faked: the bookkeeping after a merge and the lock check on environment
// branches. The action from its sources against the local GitHub.
let hub: PromotionHub
beforeAll(async () => {
  hub = await PromotionHub.start()
})
afterAll(async () => {
  await hub?.stop()
})

const run = promisify(execFile)
const gitIn = async (cwd: string, ...args: string[]): Promise<string> =>
  (await run('git', ['-c', 'user.name=Olga', '-c', 'user.email=olga@example.com', ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 })).stdout.trim()

describe('a refused push read as a lost lease', () => {
  it('fails the run saying what to configure, and a later run records the promotion once allowed', async () => {
    const repo = await hub.repository(['jobs'])
    const qa = repo.openPromotion('qa', 'jobs').number
    // qa is protected without a way for the bot to push: merges pass (reviews), the bookkeeping push does not.
    hub.github.protectBranch(OWNER, repo.name, 'env/qa', { requiredApprovals: 1 })
    await repo.review('quinn', qa)
    const merged = await repo.reviewRun('quinn', qa, 'approved', { expectSuccess: false })
    expect(repo.issue(qa).pull!.merged).toBe(true)
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({ version: '1' })
    expect(ledgerFields(await repo.ledger('qa', 'jobs')).promotion).toBeUndefined()
    expect(merged.code).not.toBe(0)
    const said = `${merged.stdout}\n${merged.stderr}`
    expect(said).toContain('GH006')
    expect(said).toContain('bypass actor')

    // Still refused: the scheduled run fails the same way and loses nothing.
    const again = await repo.reconcile({ expectSuccess: false })
    expect(again.code).not.toBe(0)
    expect(`${again.stdout}\n${again.stderr}`).toContain('bypass actor')

    // The owner follows the advice: restrict updates on env/** with the bot as the only bypass actor.
    hub.github.unprotectBranch(OWNER, repo.name, 'env/qa')
    hub.github.addRuleset(OWNER, repo.name, { name: 'environments', target: 'branch', include: ['env/**'], bypass: [BOT], restrictUpdates: true })
    await repo.reconcile()
    const ledger = ledgerFields(await repo.ledger('qa', 'jobs'))
    expect(ledger).toMatchObject({ version: '1', promotion: String(qa) })
    expect(ledger.approvers).toEqual(['quinn'])
    expect(hub.github.violations).toEqual([])
  })

  it('a person cannot push to env/** past the ruleset, and the bot’s own work goes on', async () => {
    const repo = await hub.repository(['jobs'])
    hub.github.addRuleset(OWNER, repo.name, { name: 'environments', target: 'branch', include: ['env/**'], bypass: [BOT], restrictUpdates: true })
    const work = await repo.clone('env/dev', tokenOf('olga'))
    await writeFile(join(work, '.gantry/installed/jobs.yaml'), 'package: jobs\nversion: "9"\n')
    await gitIn(work, 'commit', '--quiet', '-am', 'Hand edit')
    const pushed = await gitIn(work, 'push', 'origin', 'HEAD:env/dev').then(
      () => '',
      (error: { stderr?: string }) => error.stderr ?? 'refused',
    )
    expect(pushed).toContain('GH013: Repository rule violations found for refs/heads/env/dev.')
    const qa = repo.openPromotion('qa', 'jobs').number
    await repo.approve('quinn', qa)
    expect(ledgerFields(await repo.ledger('qa', 'jobs'))).toMatchObject({ version: '1', promotion: String(qa) })
  })
})

describe('the lock check is blind past 3,000 files', () => {
  it('finds a ledger change hidden behind 3,000 other files', async () => {
    const repo = await hub.repository(['jobs'])
    const work = await repo.clone('env/dev', tokenOf('olga'))
    await gitIn(work, 'checkout', '--quiet', '-b', 'bulk-import')
    // 3,000 files that sort before .gantry/ in GitHub's file listing, then the ledger.
    for (let i = 0; i < 3000; i++) {
      const path = join(work, '.fill', `${String(i).padStart(4, '0')}.txt`)
      if (i === 0) await mkdir(dirname(path), { recursive: true })
      await writeFile(path, `${i}\n`)
    }
    await writeFile(join(work, '.gantry/installed/jobs.yaml'), 'package: jobs\nversion: "9"\n')
    await gitIn(work, 'add', '--all')
    await gitIn(work, 'commit', '--quiet', '-m', 'Bulk import')
    await gitIn(work, 'push', '--quiet', 'origin', 'bulk-import')
    // Opened, it goes through env/dev's relay; the run it dispatches gives it the lock check.
    const [pr, opened] = await produce(repo, () =>
      hub.github.openPullRequestAs('olga', OWNER, repo.name, { title: 'Bulk import', head: 'bulk-import', base: 'env/dev' }),
    )
    const checked = await repo.drive(opened, `#${pr.number} opened by olga`, false)
    expect(checked.code).not.toBe(0)
    expect(checked.annotations.filter((a) => a.level === 'error')).toContainEqual(
      expect.objectContaining({ file: '.gantry/installed/jobs.yaml' }),
    )
    expect(repo.comments(pr.number).join('\n')).toContain('.gantry/installed/jobs.yaml')
    expect(hub.github.violations).toEqual([])
  })
})
