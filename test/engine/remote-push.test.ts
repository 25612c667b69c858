import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { pushTags, pushWithLease, TagPushError } from '../../src/adapters/git/remote.js'
import { git, tempDir } from './helpers.js'

/*
 * The pushes the action makes, against a real bare repository as origin (no GitHub needed: a lease and a
 * refused tag are git's own answers). GitHub's protection refusal is played by a pre-receive hook that prints
 * what GitHub prints (GH006) and declines, as GitHub's own pre-receive hook does.
 */

const temp = tempDir('gantry-remote-')
afterAll(() => temp.cleanup())

let round = 0
let origin: string
let work: string
let first: string
let second: string

beforeEach(() => {
  round++
  origin = join(temp.dir, `origin-${round}.git`)
  work = join(temp.dir, `work-${round}`)
  git(temp.dir, ['init', '-q', '--bare', origin])
  git(temp.dir, ['init', '-q', '-b', 'main', work])
  git(work, ['remote', 'add', 'origin', origin])
  git(work, ['commit', '-q', '--allow-empty', '-m', 'first'])
  first = git(work, ['rev-parse', 'HEAD'])
  git(work, ['commit', '-q', '--allow-empty', '-m', 'second'])
  second = git(work, ['rev-parse', 'HEAD'])
  git(work, ['fetch', '-q', 'origin'])
})

const onOrigin = (ref: string) => git(origin, ['for-each-ref', '--format=%(objectname)', ref])

// The environment a run may have: npm sets EDITOR for what it runs, runners and shells set PAGER or VISUAL.
// None of them may stop a fetch or a push.
beforeEach(() => {
  vi.stubEnv('EDITOR', 'vi')
  vi.stubEnv('VISUAL', 'vi')
  vi.stubEnv('PAGER', 'less')
})
afterEach(() => {
  vi.unstubAllEnvs()
})

describe('pushWithLease', () => {
  test('creates a branch that must not exist, then moves it only from the head it was read at', async () => {
    expect(await pushWithLease(work, first, 'env/dev', null)).toEqual({ status: 'pushed' })
    expect(onOrigin('refs/heads/env/dev')).toBe(first)
    expect(await pushWithLease(work, second, 'env/dev', first)).toEqual({ status: 'pushed' })
    expect(onOrigin('refs/heads/env/dev')).toBe(second)
  })

  test('a branch that moved since it was read is not overwritten: moved', async () => {
    git(work, ['push', '-q', 'origin', `${second}:refs/heads/env/dev`])
    // Read at `first`, but someone pushed `second` since.
    expect(await pushWithLease(work, first, 'env/dev', first)).toEqual({ status: 'moved' })
    expect(onOrigin('refs/heads/env/dev')).toBe(second)
    // Expected not to exist, but it does.
    expect(await pushWithLease(work, first, 'env/dev', null)).toEqual({ status: 'moved' })
    expect(onOrigin('refs/heads/env/dev')).toBe(second)
  })

  test('a push refused by the server’s protection is protected, with GitHub’s lines, not moved', async () => {
    const hook = join(origin, 'hooks', 'pre-receive')
    writeFileSync(
      hook,
      '#!/bin/sh\necho "error: GH006: Protected branch update failed for refs/heads/env/qa." >&2\necho "error: Changes must be made through a pull request." >&2\nexit 1\n',
    )
    chmodSync(hook, 0o755)
    expect(await pushWithLease(work, first, 'env/qa', null)).toEqual({
      status: 'protected',
      branch: 'env/qa',
      detail: 'error: GH006: Protected branch update failed for refs/heads/env/qa. error: Changes must be made through a pull request.',
    })
    expect(onOrigin('refs/heads/env/qa')).toBe('')
  })
})

describe('pushTags', () => {
  test('pushes all tags at once; a tag origin already has differently is reported refused, the others land', async () => {
    git(work, ['tag', 'a@1', first])
    git(work, ['tag', 'b@1', first])
    git(work, ['tag', 'c@1', first])
    git(work, ['push', '-q', 'origin', `${second}:refs/tags/b@1`])
    expect(await pushTags(work, ['a@1', 'b@1', 'c@1'])).toEqual([
      { tag: 'a@1', status: 'pushed' },
      { tag: 'b@1', status: 'exists' },
      { tag: 'c@1', status: 'pushed' },
    ])
    expect(onOrigin('refs/tags/a@1')).toBe(first)
    expect(onOrigin('refs/tags/b@1')).toBe(second)
    expect(onOrigin('refs/tags/c@1')).toBe(first)
    expect(await pushTags(work, [])).toEqual([])
  })

  test('a tag the remote declines (a ruleset, a hook) is refused with the reason, not reported as existing', async () => {
    git(work, ['tag', 'a@1', first])
    git(work, ['tag', 'b@1', first])
    const hook = join(origin, 'hooks', 'pre-receive')
    // Declines for b@1 as GitHub's tag rulesets do (GH013); a pre-receive hook's refusal is for the whole push.
    writeFileSync(
      hook,
      '#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = refs/tags/b@1 ]; then\n    echo "error: GH013: Repository rule violations found for refs/tags/b@1." >&2\n    echo "- Cannot create ref due to creations being restricted." >&2\n    exit 1\n  fi\ndone\nexit 0\n',
    )
    chmodSync(hook, 0o755)
    const outcome = await pushTags(work, ['a@1', 'b@1'])
    expect(outcome.map((o) => o.status)).toEqual(['refused', 'refused'])
    const detail = outcome[1]!.status === 'refused' ? outcome[1]!.detail : ''
    expect(detail).toContain('[remote rejected]')
    expect(detail).toContain('GH013: Repository rule violations found for refs/tags/b@1.')
    expect(onOrigin('refs/tags/b@1')).toBe('')
  })

  test('a push that fails as a whole (unreachable remote) throws git’s message; no tag is called existing', async () => {
    git(work, ['tag', 'a@1', first])
    git(work, ['remote', 'set-url', 'origin', join(temp.dir, 'nowhere.git')])
    const failure = await pushTags(work, ['a@1']).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(TagPushError)
    expect((failure as Error).message).toContain('cannot push the tags a@1 to origin')
    expect((failure as Error).message).toMatch(/does not appear to be a git repository|not found|Could not read/i)
    expect((failure as Error).message).toContain('check that the remote can be reached')
  })
})
