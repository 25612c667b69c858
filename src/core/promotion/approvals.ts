import { inert } from '../render/markdown.js'
import type { ApprovalDecision, ApprovalInput, Permission, ReviewFact } from './promotion-request.js'

const DECISIVE: ReadonlySet<ReviewFact['state']> = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'])
const MAY_APPROVE: ReadonlySet<Permission> = new Set(['write', 'maintain', 'admin'])

/** GitHub logins and team slugs are case-insensitive. */
const key = (login: string): string => login.trim().toLowerCase()

/**
 * Decides whether a promotion pull request is approved, from its reviews and the environment's policy.
 * Every review that does not count is reported with the reason, so the pull request can say why it waits.
 */
export function evaluateApprovals(input: ApprovalInput): ApprovalDecision {
  const headSha = input.headSha.toLowerCase()
  const permissions = new Map<string, Permission>()
  for (const [login, permission] of input.permissions) permissions.set(key(login), permission)
  const pushers = new Set(input.pushers.map(key))
  const eligible = eligibleReviewers(input.reviewers, input.teamMembers)

  const approvers: ApprovalDecision['approvers'] = []
  const ignored: ApprovalDecision['ignored'] = []
  const changesRequested: ApprovalDecision['changesRequested'] = []

  // Sorted by login so the decision does not depend on the order the reviews were listed (or paged) in.
  const latest = [...latestDecisiveReviews(input.reviews)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (const [reviewerKey, review] of latest) {
    const login = review.reviewer
    const notEligible = whyNotEligible(reviewerKey, input, pushers, permissions, eligible)
    if (notEligible) {
      ignored.push({ login, reason: notEligible })
      continue
    }
    if (review.state === 'DISMISSED') {
      ignored.push({ login, reason: 'review dismissed' })
    } else if (review.state === 'CHANGES_REQUESTED') {
      // A request for changes stands across new pushes until the same reviewer approves again.
      changesRequested.push({ login, body: review.body ?? '' })
    } else if (review.commitId.toLowerCase() !== headSha) {
      ignored.push({ login, reason: 'approved an older head' })
    } else {
      approvers.push({ login, sha: review.commitId })
    }
  }

  const unticked = input.instructions.filter((instruction) => !instruction.ticked).map(({ step }) => step)
  const required = Math.max(0, input.required)
  return {
    approved: approvers.length >= required && unticked.length === 0 && changesRequested.length === 0,
    approvers,
    ignored,
    changesRequested,
    missingApprovals: Math.max(0, required - approvers.length),
    unticked,
  }
}

/** Each reviewer's latest decisive review, by submission time and then id (ids grow with time on GitHub). */
function latestDecisiveReviews(reviews: readonly ReviewFact[]): Map<string, ReviewFact> {
  const latest = new Map<string, ReviewFact>()
  for (const review of reviews) {
    if (!DECISIVE.has(review.state)) continue
    const reviewerKey = key(review.reviewer)
    const current = latest.get(reviewerKey)
    if (!current || compareReviews(review, current) > 0) latest.set(reviewerKey, review)
  }
  return latest
}

function compareReviews(a: ReviewFact, b: ReviewFact): number {
  const at = Date.parse(a.submittedAt)
  const bt = Date.parse(b.submittedAt)
  if (!Number.isNaN(at) && !Number.isNaN(bt) && at !== bt) return at - bt
  if (Number.isNaN(at) !== Number.isNaN(bt)) return Number.isNaN(at) ? -1 : 1
  return a.id - b.id
}

/** Logins allowed by the environment's `reviewers`, lowercased; undefined when anyone with write access may. */
function eligibleReviewers(
  reviewers: readonly string[] | undefined,
  teamMembers: ReadonlyMap<string, readonly string[]>,
): ReadonlySet<string> | undefined {
  if (reviewers === undefined) return undefined
  const teams = new Map<string, readonly string[]>()
  for (const [team, members] of teamMembers) teams.set(key(team).replace(/^@/, ''), members)
  const eligible = new Set<string>()
  for (const entry of reviewers) {
    const name = key(entry).replace(/^@/, '')
    if (name.includes('/')) {
      // A team nobody could read the members of grants no one: failing closed keeps approval a person's act.
      for (const member of teams.get(name) ?? []) eligible.add(key(member))
    } else {
      eligible.add(name)
    }
  }
  return eligible
}

function whyNotEligible(
  reviewerKey: string,
  input: ApprovalInput,
  pushers: ReadonlySet<string>,
  permissions: ReadonlyMap<string, Permission>,
  eligible: ReadonlySet<string> | undefined,
): string | undefined {
  if (reviewerKey === '') return 'unknown user'
  if (reviewerKey === key(input.bot)) return 'the bot'
  if (reviewerKey === key(input.author)) return 'the pull request author'
  if (pushers.has(reviewerKey)) return 'pushed to the promotion branch'
  const permission = permissions.get(reviewerKey) ?? 'none'
  if (!MAY_APPROVE.has(permission)) return `no write access (${permission})`
  if (eligible && !eligible.has(reviewerKey)) return 'not an eligible reviewer'
  return undefined
}

const TASK_LINE = /^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\]\s+(.*)$/
const FENCE = /^\s{0,3}(`{3,}|~{3,})/

/** The `before` instructions as an unticked markdown task list, each step rendered inert. */
export function renderInstructionChecklist(steps: readonly string[]): string {
  return steps.map((step) => `- [ ] ${renderStep(step)}`).join('\n')
}

/**
 * Reads which instruction steps are ticked in a pull request body. A step counts as ticked only when every
 * task line showing it is ticked, and not at all when it is missing: an edited body never ticks a step by
 * accident. Lines inside fenced code blocks are not task lines.
 */
export function parseInstructionChecklist(
  body: string,
  steps: readonly string[],
): { step: string; ticked: boolean }[] {
  const tasks: { text: string; ticked: boolean }[] = []
  let fence: string | undefined
  for (const line of body.split(/\r\n|\r|\n/)) {
    const opening = FENCE.exec(line)?.[1]
    if (opening) {
      if (fence === undefined) fence = opening
      else if (opening[0] === fence[0] && opening.length >= fence.length) fence = undefined
      continue
    }
    if (fence !== undefined) continue
    const match = TASK_LINE.exec(line)
    if (match) tasks.push({ ticked: match[1] !== ' ', text: match[2]! })
  }
  return steps.map((step) => {
    const lines = tasks.filter((task) => showsStep(task.text, step))
    return { step, ticked: lines.length > 0 && lines.every((task) => task.ticked) }
  })
}

function renderStep(step: string): string {
  return inert(step, Number.POSITIVE_INFINITY)
}

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim()
const unescapeMarkdown = (text: string): string => text.replace(/\\([!-/:-@[-`{-~])/g, '$1')
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&#124;': '|' }

/**
 * Whether a task line's text shows the step: as written, backslash-escaped, or as `renderStep` made it
 * (compared both exactly and by undoing its escapes, so bodies rendered by an earlier release still match).
 */
function showsStep(text: string, step: string): boolean {
  const want = collapse(step)
  const line = collapse(text)
  if (line === want || line === collapse(renderStep(step)) || collapse(unescapeMarkdown(line)) === want)
    return true
  const undone = unescapeMarkdown(line)
    .replace(/\u200d/g, '')
    .replace(/&(?:amp|lt|gt|#124);/g, (entity) => ENTITIES[entity] ?? entity)
  return collapse(undone) === want.replace(/\u200d/g, '')
}
