import { describe, expect, it } from 'vitest'
import { protectionRefusal } from '../../src/adapters/git/remote.js'
import { releasedOnDefaultBranch, type ReleasedVersion } from '../../src/core/model/released-version.js'

// What git prints when GitHub refuses a push, read as GitHub's rules or as a lost lease.
describe('protectionRefusal', () => {
  it('reads branch protection (GH006) and rulesets (GH013) as refusals, with their lines', () => {
    const gh006 = [
      'remote: error: GH006: Protected branch update failed for refs/heads/env/qa.',
      'remote: error: Changes must be made through a pull request.',
      'To https://github.com/acme/defs.git',
      ' ! [remote rejected] abc -> env/qa (protected branch hook declined)',
      "error: failed to push some refs to 'https://github.com/acme/defs.git'",
    ].join('\n')
    expect(protectionRefusal(gh006)).toBe('error: GH006: Protected branch update failed for refs/heads/env/qa. error: Changes must be made through a pull request.')
    const gh013 = [
      'remote: error: GH013: Repository rule violations found for refs/heads/env/dev.',
      'remote: Review all repository rules at https://github.com/acme/defs/rules?ref=refs%2Fheads%2Fenv%2Fdev',
      'remote:',
      'remote: - Cannot update this protected ref.',
      ' ! [remote rejected] abc -> env/dev (push declined due to repository rule violations)',
    ].join('\n')
    expect(protectionRefusal(gh013)).toContain('GH013')
    expect(protectionRefusal(gh013)).toContain('- Cannot update this protected ref.')
  })

  it('leaves a stale lease and a non-fast-forward to the caller', () => {
    expect(protectionRefusal(' ! [rejected]        abc -> env/qa (stale info)')).toBeUndefined()
    expect(protectionRefusal(' ! [rejected]        abc -> env/qa (fetch first)')).toBeUndefined()
  })
})

describe('releasedOnDefaultBranch', () => {
  it('keeps only the versions whose tag the default branch contains', () => {
    const version = (tag: string): ReleasedVersion => ({ package: 'jobs', version: tag.split('@')[1]!, tag, commit: tag })
    const all = [version('jobs@1'), version('jobs@1.1')]
    expect(releasedOnDefaultBranch(all, new Set(['jobs@1'])).map((r) => r.tag)).toEqual(['jobs@1'])
  })
})
