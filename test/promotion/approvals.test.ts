import { describe, expect, test } from 'vitest'
import {
  evaluateApprovals,
  parseInstructionChecklist,
  renderInstructionChecklist,
} from '../../src/core/promotion/approvals.js'
import type { ApprovalInput, Permission, ReviewFact } from '../../src/core/promotion/promotion-request.js'

const HEAD = 'c0ffee0000000000000000000000000000000002'
const OLD = 'c0ffee0000000000000000000000000000000001'

let nextId = 1
function review(
  reviewer: string,
  state: ReviewFact['state'],
  minute: number,
  extra: Partial<ReviewFact> = {},
): ReviewFact {
  return {
    id: nextId++,
    reviewer,
    state,
    commitId: HEAD,
    submittedAt: new Date(Date.UTC(2026, 5, 1, 12, minute)).toISOString(),
    ...extra,
  }
}

function input(reviews: ReviewFact[], overrides: Partial<ApprovalInput> = {}): ApprovalInput {
  const permissions = new Map<string, Permission>([
    ['alice', 'write'],
    ['bob', 'maintain'],
    ['carol', 'admin'],
    ['dave', 'write'],
    ['erin', 'write'],
    ['gantry-bot', 'write'],
    ['reader', 'read'],
    ['triager', 'triage'],
  ])
  return {
    reviews,
    headSha: HEAD,
    author: 'gantry-bot',
    bot: 'gantry-bot',
    pushers: [],
    permissions,
    teamMembers: new Map(),
    required: 1,
    instructions: [],
    ...overrides,
  }
}

describe('approvals that count', () => {
  test('an eligible approval on the head meets one required approval', () => {
    const decision = evaluateApprovals(input([review('alice', 'APPROVED', 1)]))
    expect(decision).toEqual({
      approved: true,
      approvers: [{ login: 'alice', sha: HEAD }],
      ignored: [],
      changesRequested: [],
      missingApprovals: 0,
      unticked: [],
    })
  })

  test('the required count: two needed, one given, then two', () => {
    const one = evaluateApprovals(input([review('alice', 'APPROVED', 1)], { required: 2 }))
    expect(one.approved).toBe(false)
    expect(one.missingApprovals).toBe(1)
    const two = evaluateApprovals(
      input([review('alice', 'APPROVED', 1), review('bob', 'APPROVED', 2)], { required: 2 }),
    )
    expect(two.approved).toBe(true)
    expect(two.approvers.map((a) => a.login)).toEqual(['alice', 'bob'])
    expect(two.missingApprovals).toBe(0)
  })

  test('one reviewer approving twice counts once', () => {
    const decision = evaluateApprovals(
      input([review('alice', 'APPROVED', 1), review('alice', 'APPROVED', 2)], { required: 2 }),
    )
    expect(decision.approvers).toEqual([{ login: 'alice', sha: HEAD }])
    expect(decision.missingApprovals).toBe(1)
  })

  test('no approvals required: approved without reviews, but not against a request for changes', () => {
    expect(evaluateApprovals(input([], { required: 0 })).approved).toBe(true)
    const rejected = evaluateApprovals(input([review('alice', 'CHANGES_REQUESTED', 1)], { required: 0 }))
    expect(rejected.approved).toBe(false)
  })

  test('maintain and admin may approve as well as write', () => {
    const decision = evaluateApprovals(
      input([review('bob', 'APPROVED', 1), review('carol', 'APPROVED', 2)], { required: 2 }),
    )
    expect(decision.approved).toBe(true)
  })
})

describe('approvals that do not count', () => {
  test('by the pull request author', () => {
    const decision = evaluateApprovals(input([review('dave', 'APPROVED', 1)], { author: 'dave' }))
    expect(decision.approved).toBe(false)
    expect(decision.ignored).toEqual([{ login: 'dave', reason: 'the pull request author' }])
  })

  test('by the bot', () => {
    const decision = evaluateApprovals(input([review('gantry-bot', 'APPROVED', 1)], { author: 'dave' }))
    expect(decision.approved).toBe(false)
    expect(decision.ignored).toEqual([{ login: 'gantry-bot', reason: 'the bot' }])
  })

  test('by someone who pushed to the promotion branch', () => {
    const decision = evaluateApprovals(input([review('erin', 'APPROVED', 1)], { pushers: ['erin'] }))
    expect(decision.approved).toBe(false)
    expect(decision.ignored).toEqual([{ login: 'erin', reason: 'pushed to the promotion branch' }])
  })

  test('by users without write access, or whose access is unknown', () => {
    const decision = evaluateApprovals(
      input([
        review('reader', 'APPROVED', 1),
        review('triager', 'APPROVED', 2),
        review('stranger', 'APPROVED', 3),
      ]),
    )
    expect(decision.approved).toBe(false)
    expect(decision.ignored).toEqual([
      { login: 'reader', reason: 'no write access (read)' },
      { login: 'stranger', reason: 'no write access (none)' },
      { login: 'triager', reason: 'no write access (triage)' },
    ])
  })

  test('on an older head SHA', () => {
    const decision = evaluateApprovals(input([review('alice', 'APPROVED', 1, { commitId: OLD })]))
    expect(decision.approved).toBe(false)
    expect(decision.approvers).toEqual([])
    expect(decision.ignored).toEqual([{ login: 'alice', reason: 'approved an older head' }])
    expect(decision.missingApprovals).toBe(1)
  })

  test('an approval on the old head, then again on the new head, counts', () => {
    const decision = evaluateApprovals(
      input([review('alice', 'APPROVED', 1, { commitId: OLD }), review('alice', 'APPROVED', 2)]),
    )
    expect(decision.approved).toBe(true)
  })

  test("superseded by the same reviewer's later request for changes", () => {
    const decision = evaluateApprovals(
      input([
        review('alice', 'APPROVED', 1),
        review('alice', 'CHANGES_REQUESTED', 2, { body: 'wrong account' }),
      ]),
    )
    expect(decision.approved).toBe(false)
    expect(decision.approvers).toEqual([])
    expect(decision.changesRequested).toEqual([{ login: 'alice', body: 'wrong account' }])
  })

  test("superseded by the same reviewer's dismissed review", () => {
    const decision = evaluateApprovals(
      input([review('alice', 'APPROVED', 1), review('alice', 'DISMISSED', 2)]),
    )
    expect(decision.approved).toBe(false)
    expect(decision.approvers).toEqual([])
    expect(decision.ignored).toEqual([{ login: 'alice', reason: 'review dismissed' }])
    expect(decision.changesRequested).toEqual([])
  })

  test('a dismissed request for changes leaves no vote: neither a rejection nor the earlier approval', () => {
    const decision = evaluateApprovals(
      input([
        review('alice', 'APPROVED', 1),
        review('alice', 'CHANGES_REQUESTED', 2),
        review('alice', 'DISMISSED', 3),
      ]),
    )
    expect(decision.changesRequested).toEqual([])
    expect(decision.approvers).toEqual([])
  })

  test('comments and pending reviews are not decisive: an earlier approval stands', () => {
    const decision = evaluateApprovals(
      input([review('alice', 'APPROVED', 1), review('alice', 'COMMENTED', 2), review('alice', 'PENDING', 3)]),
    )
    expect(decision.approved).toBe(true)
    expect(evaluateApprovals(input([review('bob', 'COMMENTED', 1)])).ignored).toEqual([])
  })

  test('reviews with the same time are ordered by id', () => {
    const later = review('alice', 'CHANGES_REQUESTED', 5, { id: 20 })
    const earlier = review('alice', 'APPROVED', 5, { id: 10 })
    expect(evaluateApprovals(input([later, earlier])).changesRequested).toHaveLength(1)
    const approvedLast = [
      review('alice', 'CHANGES_REQUESTED', 5, { id: 10 }),
      review('alice', 'APPROVED', 5, { id: 20 }),
    ]
    expect(evaluateApprovals(input(approvedLast)).approved).toBe(true)
  })

  test('order is by submission time, not by position in the list', () => {
    const decision = evaluateApprovals(
      input([review('alice', 'CHANGES_REQUESTED', 9, { id: 1 }), review('alice', 'APPROVED', 1, { id: 2 })]),
    )
    expect(decision.changesRequested.map((c) => c.login)).toEqual(['alice'])
  })
})

describe('requests for changes', () => {
  test('stand across new pushes until the same reviewer approves again', () => {
    const stale = evaluateApprovals(
      input([review('alice', 'CHANGES_REQUESTED', 1, { commitId: OLD }), review('bob', 'APPROVED', 2)]),
    )
    expect(stale.approved).toBe(false)
    expect(stale.changesRequested).toEqual([{ login: 'alice', body: '' }])
    const withdrawn = evaluateApprovals(
      input([review('alice', 'CHANGES_REQUESTED', 1, { commitId: OLD }), review('alice', 'APPROVED', 2)]),
    )
    expect(withdrawn.approved).toBe(true)
    expect(withdrawn.changesRequested).toEqual([])
  })

  test('from someone who may not review are ignored like their approvals', () => {
    const decision = evaluateApprovals(
      input([
        review('reader', 'CHANGES_REQUESTED', 1),
        review('gantry-bot', 'CHANGES_REQUESTED', 2),
        review('alice', 'APPROVED', 3),
      ]),
    )
    expect(decision.approved).toBe(true)
    expect(decision.changesRequested).toEqual([])
    expect(decision.ignored.map((i) => i.login)).toEqual(['gantry-bot', 'reader'])
  })
})

describe('the environment’s reviewers', () => {
  const reviewers = ['alice', '@acme/release-managers']
  const teamMembers = new Map([['@acme/release-managers', ['bob', 'Carol']]])

  test('listed users and members of listed teams may approve; others with write access may not', () => {
    const decision = evaluateApprovals(
      input([review('alice', 'APPROVED', 1), review('carol', 'APPROVED', 2), review('dave', 'APPROVED', 3)], {
        reviewers,
        teamMembers,
        required: 3,
      }),
    )
    expect(decision.approvers.map((a) => a.login)).toEqual(['alice', 'carol'])
    expect(decision.ignored).toEqual([{ login: 'dave', reason: 'not an eligible reviewer' }])
    expect(decision.missingApprovals).toBe(1)
  })

  test('team names compare case-insensitively, with or without the @', () => {
    const decision = evaluateApprovals(
      input([review('bob', 'APPROVED', 1)], {
        reviewers: ['@ACME/Release-Managers'],
        teamMembers: new Map([['acme/release-managers', ['BOB']]]),
      }),
    )
    expect(decision.approved).toBe(true)
  })

  test('a team whose members are unknown lets no one in', () => {
    const decision = evaluateApprovals(
      input([review('bob', 'APPROVED', 1)], { reviewers: ['@acme/other'], teamMembers }),
    )
    expect(decision.approved).toBe(false)
    expect(decision.ignored).toEqual([{ login: 'bob', reason: 'not an eligible reviewer' }])
  })

  test('being listed does not replace write access', () => {
    const decision = evaluateApprovals(
      input([review('reader', 'APPROVED', 1)], { reviewers: ['reader'], teamMembers }),
    )
    expect(decision.ignored).toEqual([{ login: 'reader', reason: 'no write access (read)' }])
  })

  test('an empty list lets no one approve', () => {
    const decision = evaluateApprovals(input([review('alice', 'APPROVED', 1)], { reviewers: [] }))
    expect(decision.approved).toBe(false)
  })
})

describe('instructions', () => {
  test('an unticked before-instruction holds an otherwise approved request', () => {
    const instructions = [
      { step: 'Back up the price lists', ticked: true },
      { step: 'Tell support', ticked: false },
    ]
    const decision = evaluateApprovals(input([review('alice', 'APPROVED', 1)], { instructions }))
    expect(decision.approved).toBe(false)
    expect(decision.unticked).toEqual(['Tell support'])
    expect(decision.missingApprovals).toBe(0)
    const ticked = instructions.map((i) => ({ ...i, ticked: true }))
    expect(
      evaluateApprovals(input([review('alice', 'APPROVED', 1)], { instructions: ticked })).approved,
    ).toBe(true)
  })
})

describe('logins compare case-insensitively', () => {
  test('the author, the bot, pushers, permissions and reviewers, whatever the case', () => {
    const decision = evaluateApprovals(
      input(
        [
          review('Gantry-Bot', 'APPROVED', 1),
          review('DAVE', 'APPROVED', 2),
          review('Erin', 'APPROVED', 3),
          review('ALICE', 'APPROVED', 4),
        ],
        {
          author: 'Dave',
          pushers: ['ERIN'],
          permissions: new Map<string, Permission>([
            ['Alice', 'write'],
            ['dave', 'write'],
            ['erin', 'write'],
          ]),
          reviewers: ['alice', 'dave', 'erin'],
        },
      ),
    )
    expect(decision.approvers).toEqual([{ login: 'ALICE', sha: HEAD }])
    expect(decision.ignored).toEqual([
      { login: 'DAVE', reason: 'the pull request author' },
      { login: 'Erin', reason: 'pushed to the promotion branch' },
      { login: 'Gantry-Bot', reason: 'the bot' },
    ])
  })

  test("one reviewer's reviews under different cases are one reviewer", () => {
    const decision = evaluateApprovals(
      input([review('alice', 'APPROVED', 1), review('Alice', 'CHANGES_REQUESTED', 2)], { required: 1 }),
    )
    expect(decision.approvers).toEqual([])
    expect(decision.changesRequested).toEqual([{ login: 'Alice', body: '' }])
  })

  test('the head SHA compares case-insensitively', () => {
    const decision = evaluateApprovals(
      input([review('alice', 'APPROVED', 1, { commitId: HEAD.toUpperCase() })]),
    )
    expect(decision.approved).toBe(true)
  })
})

describe('reviews over several pages', () => {
  // 40 reviewers, 8 reviews each (320 reviews, more than three pages of 100): each reviewer's last review
  // decides, whatever order the pages arrive in.
  const logins = Array.from({ length: 40 }, (_, i) => `reviewer-${String(i).padStart(2, '0')}`)
  const permissions = new Map<string, Permission>(logins.map((login) => [login, 'write']))
  const finalState = (i: number): ReviewFact['state'] =>
    i % 10 === 3 ? 'CHANGES_REQUESTED' : i % 10 === 7 ? 'DISMISSED' : 'APPROVED'
  const reviews: ReviewFact[] = []
  for (let round = 0; round < 8; round++) {
    logins.forEach((login, i) => {
      const last = round === 7
      const state: ReviewFact['state'] = last
        ? finalState(i)
        : (['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED'] as const)[(i + round) % 3]!
      // Approvals before the last round are on an older head; the last round is on the current one.
      reviews.push(
        review(login, state, round * 50 + i, { commitId: last ? HEAD : OLD, body: `round ${round}` }),
      )
    })
  }
  // A comment after everything does not change any vote.
  logins.forEach((login, i) => reviews.push(review(login, 'COMMENTED', 1000 + i)))

  function shuffled<T>(items: readonly T[], seed: number): T[] {
    const out = [...items]
    let state = seed
    for (let i = out.length - 1; i > 0; i--) {
      state = (state * 1103515245 + 12345) % 2 ** 31
      const j = state % (i + 1)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }

  test('every reviewer’s latest decisive review decides', () => {
    expect(reviews.length).toBeGreaterThan(250)
    const decision = evaluateApprovals(input(reviews, { permissions, required: 28 }))
    expect(decision.approvers).toHaveLength(32)
    expect(decision.changesRequested).toHaveLength(4)
    expect(decision.changesRequested.every((c) => c.body === 'round 7')).toBe(true)
    expect(decision.ignored).toEqual(
      logins.filter((_, i) => i % 10 === 7).map((login) => ({ login, reason: 'review dismissed' })),
    )
    expect(decision.approved).toBe(false)
  })

  test('the decision does not depend on the order of the reviews', () => {
    const expected = evaluateApprovals(input(reviews, { permissions, required: 28 }))
    for (const seed of [1, 2, 3, 42, 2026]) {
      expect(evaluateApprovals(input(shuffled(reviews, seed), { permissions, required: 28 }))).toEqual(
        expected,
      )
    }
    expect(evaluateApprovals(input([...reviews].reverse(), { permissions, required: 28 }))).toEqual(expected)
  })
})

describe('instruction checklist', () => {
  const steps = [
    'Back up the price lists',
    'Run `migrate --all` on *every* node',
    'Ask @alice and #ops; check <b>bold</b> & [links](http://x) | pipes',
    'Paths like C:\\temp\\new and ${{ secrets.TOKEN }}',
    '- [x] looks like a task',
  ]

  test('rendered unticked and read back unticked, for every step', () => {
    const body = `## Before\n${renderInstructionChecklist(steps)}\n\nPlan follows.`
    expect(parseInstructionChecklist(body, steps)).toEqual(steps.map((step) => ({ step, ticked: false })))
  })

  test('ticking a box in the rendered body ticks that step only', () => {
    const lines = renderInstructionChecklist(steps).split('\n')
    lines[1] = lines[1]!.replace('- [ ]', '- [x]')
    lines[2] = lines[2]!.replace('- [ ]', '- [X]')
    const result = parseInstructionChecklist(lines.join('\r\n'), steps)
    expect(result.map((r) => r.ticked)).toEqual([false, true, true, false, false])
  })

  test('each rendered line is inert: no mention, HTML or expression survives', () => {
    const rendered = renderInstructionChecklist(steps)
    expect(rendered).not.toMatch(/@alice|<b>|\$\{\{/)
    expect(rendered.split('\n')).toHaveLength(steps.length)
    expect(rendered.split('\n').every((line) => line.startsWith('- [ ] '))).toBe(true)
  })

  test('a step written plainly or with backslash escapes is found', () => {
    const body = ['- [x] Back up the price lists', '* [x] Run \\`migrate --all\\` on \\*every\\* node'].join(
      '\n',
    )
    expect(parseInstructionChecklist(body, steps.slice(0, 2))).toEqual([
      { step: steps[0], ticked: true },
      { step: steps[1], ticked: true },
    ])
  })

  test('surrounding whitespace and a multi-line step', () => {
    const step = 'Restart the workers\nthen check the queue'
    const rendered = renderInstructionChecklist([step])
    expect(rendered.split('\n')).toHaveLength(1)
    expect(parseInstructionChecklist(rendered.replace('[ ]', '[x]') + '   ', [step])).toEqual([
      { step, ticked: true },
    ])
  })

  test('a missing step is unticked', () => {
    expect(parseInstructionChecklist('- [x] Something else', ['Back up the price lists'])).toEqual([
      { step: 'Back up the price lists', ticked: false },
    ])
    expect(parseInstructionChecklist('', ['x'])).toEqual([{ step: 'x', ticked: false }])
  })

  test('a step shown twice is ticked only when both lines are', () => {
    const step = 'Back up the price lists'
    expect(parseInstructionChecklist(`- [x] ${step}\n- [ ] ${step}`, [step])[0]!.ticked).toBe(false)
    expect(parseInstructionChecklist(`- [x] ${step}\n- [x] ${step}`, [step])[0]!.ticked).toBe(true)
  })

  test('lines in fenced code blocks, quotes or prose are not task lines', () => {
    const step = 'Back up the price lists'
    const body = [
      '```yaml',
      `- [x] ${step}`,
      '```',
      `> - [x] ${step}`,
      `Text - [x] ${step}`,
      '~~~~',
      `- [x] ${step}`,
      '~~~',
      '~~~~',
      `- [ ] ${step}`,
    ].join('\n')
    expect(parseInstructionChecklist(body, [step])[0]!.ticked).toBe(false)
    expect(parseInstructionChecklist(body.replace(`- [ ] ${step}`, `- [x] ${step}`), [step])[0]!.ticked).toBe(
      true,
    )
  })

  test('a task line inside a fence neither ticks a step nor holds one back', () => {
    const step = 'Back up the price lists'
    const fenced = (line: string) => ['```', line, '```'].join('\n')
    // Ticked only inside a fence: the step is missing from the body, so it is not ticked.
    expect(parseInstructionChecklist(fenced(`- [x] ${step}`), [step])).toEqual([{ step, ticked: false }])
    // An unticked copy quoted in a fence does not undo the real, ticked task line.
    expect(parseInstructionChecklist(`${fenced(`- [ ] ${step}`)}\n- [x] ${step}`, [step])).toEqual([{ step, ticked: true }])
  })

  test('a similar but different line does not tick a step', () => {
    const step = 'Back up the price lists'
    expect(parseInstructionChecklist(`- [x] ${step} later`, [step])[0]!.ticked).toBe(false)
    expect(parseInstructionChecklist(`- [x] back up the price lists`, [step])[0]!.ticked).toBe(false)
  })

  test('an empty list renders nothing', () => {
    expect(renderInstructionChecklist([])).toBe('')
    expect(parseInstructionChecklist('- [x] a', [])).toEqual([])
  })
})
