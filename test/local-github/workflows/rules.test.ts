// GitHub's rules the workflow runner models, each checked on its own: filter patterns, the reading of the
// example workflows with GitHub's parser, the suppression of GITHUB_TOKEN's events, and the webhook schemas.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { type LocalGitHub, startLocalGitHub } from '../server.js'
import { eventFilter, matchesPatterns } from './filters.js'
import { payloadViolations } from './payloads.js'
import { ACTIONS_BOT, deploymentRefusal, WorkflowRunner } from './runner.js'

const EXAMPLES = join(import.meta.dirname, '../../../examples/workflows')

describe('filter patterns', () => {
  it('follow the cheat sheet: * stops at /, ** does not, ! excludes, the last match wins', () => {
    expect(matchesPatterns('env/qa', ['env/*'])).toBe(true)
    expect(matchesPatterns('env/eu/qa', ['env/*'])).toBe(false)
    expect(matchesPatterns('env/eu/qa', ['env/**'])).toBe(true)
    expect(matchesPatterns('billing@1.1', ['*@*'])).toBe(true)
    expect(matchesPatterns('main', ['*@*'])).toBe(false)
    expect(matchesPatterns('env/prod', ['env/**', '!env/prod'])).toBe(false)
    expect(matchesPatterns('env/prod', ['!env/prod', 'env/**'])).toBe(true)
  })

  it('a push workflow with only tag filters does not run for branches, nor one with only branch filters for tags', () => {
    expect(eventFilter({ push: { tags: ['*@*'] } }, { name: 'push', ref: 'refs/heads/main' }).ok).toBe(false)
    expect(eventFilter({ push: { tags: ['*@*'] } }, { name: 'push', ref: 'refs/tags/jobs@1' }).ok).toBe(true)
    expect(eventFilter({ push: { branches: ['main'] } }, { name: 'push', ref: 'refs/tags/jobs@1' }).ok).toBe(
      false,
    )
    expect(eventFilter({ push: {} }, { name: 'push', ref: 'refs/tags/jobs@1' }).ok).toBe(true)
  })

  it('pull_request takes opened, synchronize and reopened unless types says otherwise; branches are the base', () => {
    const on = { pull_request: { branches: ['main'] } }
    expect(eventFilter(on, { name: 'pull_request', action: 'opened', ref: 'refs/heads/main' }).ok).toBe(true)
    expect(eventFilter(on, { name: 'pull_request', action: 'edited', ref: 'refs/heads/main' }).ok).toBe(false)
    expect(eventFilter(on, { name: 'pull_request', action: 'opened', ref: 'refs/heads/env/qa' }).ok).toBe(
      false,
    )
    expect(
      eventFilter(
        { push: { branches: ['main'], paths: ['packages/**'] } },
        { name: 'push', ref: 'refs/heads/main', files: ['README.md'] },
      ).ok,
    ).toBe(false)
  })
})

describe('the example workflows', () => {
  it('parse without errors with GitHub’s workflow parser', async () => {
    const names = (await readdir(EXAMPLES)).filter((n) => n.endsWith('.yml'))
    expect(names.sort()).toEqual(['promotion.yml', 'pull-request.yml', 'release.yml'])
    for (const name of names) {
      const result = parseWorkflow(
        { name, content: await readFile(join(EXAMPLES, name), 'utf8') },
        new NoOperationTraceWriter(),
      )
      expect(
        result.context.errors.getErrors().map((e) => e.message),
        name,
      ).toEqual([])
    }
  })
})

describe('deployment environments', () => {
  const gantry = { branches: ['main'], tags: ['*@*'] }

  it('deployment branches and tags are matched against GITHUB_REF: branch rules for branches, tag rules for tags', () => {
    expect(deploymentRefusal('gantry', gantry, 'refs/heads/main')).toBeNull()
    expect(deploymentRefusal('gantry', gantry, 'refs/tags/billing@1.1')).toBeNull()
    expect(deploymentRefusal('gantry', gantry, 'refs/heads/tooling')).toBe(
      'Branch "tooling" is not allowed to deploy to gantry due to environment protection rules.',
    )
    // A tag named like the branch is not the branch, a branch named like a version is not a tag.
    expect(deploymentRefusal('gantry', gantry, 'refs/tags/main')).toMatch(/^Tag "main" is not allowed/)
    expect(deploymentRefusal('gantry', gantry, 'refs/heads/billing@9')).toMatch(/^Branch "billing@9"/)
    expect(deploymentRefusal('gantry', gantry, 'refs/heads/main/x')).toMatch(/^Branch "main\/x"/)
  })

  it('a pull_request run (GITHUB_REF refs/pull/<n>/merge) deploys only through a branch rule for that ref', () => {
    expect(deploymentRefusal('gantry', gantry, 'refs/pull/7/merge')).toMatch(/^Branch "refs\/pull\/7\/merge"/)
    expect(deploymentRefusal('ci', { branches: ['refs/pull/*/merge'] }, 'refs/pull/7/merge')).toBeNull()
  })

  it('no deployment branches or tags: every ref deploys', () => {
    expect(deploymentRefusal('open', {}, 'refs/heads/anything')).toBeNull()
    expect(deploymentRefusal('open', { secrets: { KEY: 'k' } }, 'refs/pull/1/merge')).toBeNull()
  })

  it('every job of the example workflows that reads the App’s key names the gantry environment; validation reads no secret', async () => {
    const readers: string[] = []
    for (const name of (await readdir(EXAMPLES)).filter((n) => n.endsWith('.yml'))) {
      const text = await readFile(join(EXAMPLES, name), 'utf8')
      const doc = parseYaml(text) as { jobs: Record<string, { environment?: unknown }> }
      for (const [id, job] of Object.entries(doc.jobs)) {
        if (!JSON.stringify(job).includes('secrets.')) continue
        readers.push(`${name}:${id}`)
        expect(job.environment, `${name}: job ${id}`).toBe('gantry')
      }
    }
    expect(readers.sort()).toEqual(['promotion.yml:promote', 'release.yml:release'])
  })
})

describe('events and schemas', () => {
  let github: LocalGitHub
  let work: string
  beforeAll(async () => {
    github = await startLocalGitHub()
    work = await mkdtemp(join(tmpdir(), 'gantry-rules-'))
    github.addUser('alice', { token: 'alice-token', permission: 'write' })
    github.addUser(ACTIONS_BOT, { token: 'ghs-token', permission: 'write', type: 'Bot' })
  })
  afterAll(async () => {
    await github.stop()
    await rm(work, { recursive: true, force: true })
  })

  it('a push made with GITHUB_TOKEN starts no workflow; the same push by a person does', async () => {
    const release = await readFile(join(EXAMPLES, 'release.yml'), 'utf8')
    await github.createRepository('acme', 'suppressed', {
      files: { '.github/workflows/release.yml': release },
    })
    const runner = new WorkflowRunner(github, { owner: 'acme', repo: 'suppressed', work, appToken: 'x' })
    const push = async (author: string) => {
      const mark = runner.mark()
      await github.commitFiles('acme', 'suppressed', {
        branch: 'main',
        files: { [`${author}.txt`]: author },
        message: author,
        author,
      })
      const [report] = runner.since(mark)
      await runner.triggerNow(report!)
      return report!
    }
    const byToken = await push(ACTIONS_BOT)
    expect(byToken.runs).toEqual([])
    expect(byToken.note).toMatch(/GITHUB_TOKEN/)
    const byAlice = await push('alice')
    expect(byAlice.runs.map((r) => r.path)).toEqual(['.github/workflows/release.yml'])
    expect(runner.violations).toEqual([])
    runner.stop()
  })

  it('the schema check finds a payload GitHub would not send', () => {
    expect(payloadViolations('workflow_dispatch$event', { inputs: {}, ref: 'refs/heads/main' })).not.toEqual(
      [],
    )
  })
})
