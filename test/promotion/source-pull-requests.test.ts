import { describe, expect, test } from 'vitest'
import { parseCommitMessages, pullRequestsOf } from '../../src/core/promotion/source-pull-requests.js'

describe('the pull requests named by the commits GitHub’s merges leave', () => {
  test('merge commits (title in the body), squash merges (number after the title); other commits name none', () => {
    const log = [
      'Merge pull request #12 from acme/archive-invoices\0Archive old invoices\n\x1e',
      '\nTighten the export (#13)\0\x1e',
      '\nA direct push mentioning #14 in passing\0\x1e',
      '\nMerge pull request #12 from acme/archive-invoices\0again\n\x1e',
      '\nMerge branch main into feature\0\x1e',
    ].join('')
    expect(pullRequestsOf(parseCommitMessages(log))).toEqual([
      { number: 12, title: 'Archive old invoices' },
      { number: 13, title: 'Tighten the export' },
    ])
  })

  test('a merge commit without a body still names its number', () => {
    expect(pullRequestsOf([{ subject: 'Merge pull request #7 from acme/x', body: '' }])).toEqual([{ number: 7 }])
  })
})
