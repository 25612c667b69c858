/**
 * Kind schema patterns on JavaScript's own RegExp engine, where that is proven safe (docs/file-formats.md, "Kind
 * schemas"). Patterns arrive in pull requests; RE2 (re2js) runs any of them in linear time but costs a pure
 * JavaScript matcher. A backtracking engine is linear only on patterns that never leave it a real choice, so a
 * pattern runs natively only when all of the following hold, and on RE2 otherwise:
 *
 * 1. Syntax: it parses in a small grammar (literals; `.`; `\d \D \w \W \s \S`; `\t \n \r \f`; escaped
 *    punctuation; classes of characters and ranges; `(...)` and `(?:...)`; `|`; the greedy quantifiers `*`, `+`,
 *    `?`, `{n}`, `{n,}`, `{n,m}` up to 1,000). No backreferences, lookaround, lazy quantifiers, `\b`, `\p{...}`,
 *    `\u` or POSIX classes.
 * 2. Anchored: it starts with `^`, has no other `^` and no `|` outside a group; `$` may only end it. An
 *    unanchored pattern is searched for at every offset, one attempt each.
 * 3. No empty loops: nothing quantified, and no branch of an alternation, can match the empty string.
 * 4. Two characters decide: in the pattern's position automaton (one state per character class, quantifiers
 *    written out), whenever two next states can both take the next character, no state that follows the one can
 *    take a character that a state following the other can take (and not both can end a `$` match). So at every
 *    offset at most one path survives two characters, and a match attempt costs at most input length times the
 *    automaton's edges, which are bounded (MAX_POSITIONS, MAX_EDGES; the proof itself, MAX_PROOF_STEPS).
 *
 * A native match that runs out of V8's backtracking stack (a RangeError on a string of millions of characters,
 * even for a linear pattern) is answered by RE2 for that string (see kind-schema-limits.ts).
 *
 * The native expression is not the pattern's text: it is written from the parsed pattern, each character class
 * spelled out as the code points it matches under RE2's rules, which kind schema patterns have always had
 * (`\s` is space, tab, line feed, form feed and carriage return; `.` is anything but a line feed). Results are
 * therefore the same on either engine.
 */

/** Inclusive ranges of code points, sorted and apart. */
type CharSet = [number, number][]

type Node =
  | { t: 'set'; set: CharSet }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; branches: Node[] }
  | { t: 'rep'; body: Node; min: number; max: number }
  | { t: 'start' }
  | { t: 'end' }

const MAX_CODE_POINT = 0x10ffff
/** States of the position automaton, and edges between them, past which a pattern stays on RE2. */
export const MAX_POSITIONS = 256
export const MAX_EDGES = 4096
/**
 * Steps the proof itself may take (edges linked, ranges compared): a pattern that needs more stays on RE2, so a
 * kind schema of 500 crafted patterns cannot make the proof cost more than RE2's compile of the same patterns.
 */
export const MAX_PROOF_STEPS = 10_000
const MAX_REPEAT = 1000

/** Not provable in this grammar: the pattern stays on RE2. */
class Unproven extends Error {}

function normalise(ranges: CharSet): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0])
  const out: CharSet = []
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1]
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi)
    else out.push([lo, hi])
  }
  return out
}

function complement(set: CharSet): CharSet {
  const out: CharSet = []
  let next = 0
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1])
    next = hi + 1
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT])
  return out
}

function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i]![1] < b[j]![0]) i++
    else if (b[j]![1] < a[i]![0]) j++
    else return true
  }
  return false
}

const single = (c: number): CharSet => [[c, c]]
const code = (c: string): number => c.codePointAt(0)!

// RE2's Perl classes (what kind schema patterns have always meant), not JavaScript's wider Unicode ones.
const DIGIT: CharSet = [[0x30, 0x39]]
const WORD: CharSet = normalise([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
])
const SPACE: CharSet = normalise([
  [0x09, 0x0a],
  [0x0c, 0x0d],
  [0x20, 0x20],
])
const DOT: CharSet = complement(single(0x0a))
const CLASS_ESCAPES: Record<string, CharSet> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
}
const CHAR_ESCAPES: Record<string, number> = { t: 0x09, n: 0x0a, r: 0x0d, f: 0x0c }
/** Escaped, these mean themselves in both engines (with the `u` flag, JavaScript refuses other identity escapes). */
const SYNTAX = new Set('^$\\.*+?()[]{}|/')

function parse(pattern: string): Node {
  const chars = Array.from(pattern)
  let i = 0
  const peek = (): string | undefined => chars[i]
  const literal = (c: string): number => {
    const cp = code(c)
    // A lone surrogate is read differently by the two engines.
    if (cp >= 0xd800 && cp <= 0xdfff) throw new Unproven()
    return cp
  }

  const alternation = (): Node => {
    const branches = [sequence()]
    while (peek() === '|') {
      i++
      branches.push(sequence())
    }
    return branches.length === 1 ? branches[0]! : { t: 'alt', branches }
  }

  const sequence = (): Node => {
    const items: Node[] = []
    while (i < chars.length && peek() !== '|' && peek() !== ')') items.push(quantified(atom()))
    return { t: 'seq', items }
  }

  const quantified = (node: Node): Node => {
    const c = peek()
    let min: number
    let max: number
    if (c === '*') [min, max] = [0, Infinity]
    else if (c === '+') [min, max] = [1, Infinity]
    else if (c === '?') [min, max] = [0, 1]
    else if (c === '{') {
      const match = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(chars.slice(i, i + 12).join(''))
      if (!match) throw new Unproven()
      min = Number(match[1])
      max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3])
      i += match[0].length - 1
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT) || min > max || max === 0)
        throw new Unproven()
    } else return node
    i++
    // Lazy quantifiers, and a quantifier on a quantifier or an anchor.
    const after = peek()
    if (after === '?' || after === '*' || after === '+' || after === '{') throw new Unproven()
    if (node.t === 'start' || node.t === 'end') throw new Unproven()
    return { t: 'rep', body: node, min, max }
  }

  const atom = (): Node => {
    const c = chars[i++]!
    switch (c) {
      case '(': {
        if (peek() === '?') {
          if (chars[i + 1] !== ':') throw new Unproven()
          i += 2
        }
        const inner = alternation()
        if (peek() !== ')') throw new Unproven()
        i++
        return inner
      }
      case '[':
        return { t: 'set', set: charClass() }
      case '.':
        return { t: 'set', set: DOT }
      case '^':
        return { t: 'start' }
      case '$':
        return { t: 'end' }
      case '\\': {
        const e = chars[i++]
        if (e === undefined) throw new Unproven()
        const set = CLASS_ESCAPES[e]
        if (set) return { t: 'set', set }
        if (e in CHAR_ESCAPES) return { t: 'set', set: single(CHAR_ESCAPES[e]!) }
        if (SYNTAX.has(e)) return { t: 'set', set: single(code(e)) }
        throw new Unproven()
      }
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
      case ')':
        throw new Unproven()
      default:
        return { t: 'set', set: single(literal(c)) }
    }
  }

  /** After `[`: a class of characters, ranges and escapes; a `-` only first, last or between two characters. */
  const charClass = (): CharSet => {
    let negated = false
    if (peek() === '^') {
      negated = true
      i++
    }
    // `[]` and `[^]` are read differently by the two engines.
    if (peek() === ']') throw new Unproven()
    const ranges: CharSet = []
    const member = (): number | CharSet => {
      const c = chars[i++]
      if (c === undefined || c === '[') throw new Unproven()
      if (c !== '\\') return literal(c)
      const e = chars[i++]
      if (e === undefined) throw new Unproven()
      const set = CLASS_ESCAPES[e]
      if (set) return set
      if (e in CHAR_ESCAPES) return CHAR_ESCAPES[e]!
      if (SYNTAX.has(e) || e === '-') return code(e)
      throw new Unproven()
    }
    let first = true
    while (peek() !== ']') {
      if (i >= chars.length) throw new Unproven()
      const dash = peek() === '-'
      const lo = member()
      // An unescaped `-` means itself only first or last in the class.
      if (dash && !first && peek() !== ']') throw new Unproven()
      if (!dash && peek() === '-' && chars[i + 1] !== ']' && chars[i + 1] !== undefined) {
        i++
        if (peek() === '-') throw new Unproven()
        const hi = member()
        if (typeof lo !== 'number' || typeof hi !== 'number' || lo > hi) throw new Unproven()
        ranges.push([lo, hi])
        // After a range, a `-` that does not close the class is read differently by the two engines.
        if (peek() === '-' && chars[i + 1] !== ']') throw new Unproven()
      } else if (typeof lo === 'number') ranges.push([lo, lo])
      else ranges.push(...lo)
      first = false
    }
    i++
    const set = normalise(ranges)
    return negated ? complement(set) : set
  }

  const root = alternation()
  if (i !== chars.length) throw new Unproven()
  return root
}

/** The position automaton of a parsed pattern: what each state matches, what may follow it, where a match may end. */
interface Automaton {
  sets: CharSet[]
  follow: Set<number>[]
  first: Set<number>
  final: Set<number>
  nullable: boolean
}

interface Part {
  nullable: boolean
  first: number[]
  last: number[]
}

/** Counts the proof's steps; past MAX_PROOF_STEPS the pattern stays on RE2. */
class Budget {
  private spent = 0
  spend(steps: number): void {
    this.spent += steps
    if (this.spent > MAX_PROOF_STEPS) throw new Unproven()
  }
}

function automaton(body: Node, budget: Budget): Automaton {
  const sets: CharSet[] = []
  const follow: Set<number>[] = []
  const link = (from: number[], to: number[]): void => {
    budget.spend(from.length * to.length + 1)
    for (const f of from) for (const t of to) follow[f]!.add(t)
  }
  const concat = (a: Part | undefined, b: Part): Part => {
    if (!a) return b
    // The lists below are copied: their lengths count as steps too.
    budget.spend(a.first.length + a.last.length + b.first.length + b.last.length)
    link(a.last, b.first)
    return {
      nullable: a.nullable && b.nullable,
      first: a.nullable ? [...a.first, ...b.first] : a.first,
      last: b.nullable ? [...a.last, ...b.last] : b.last,
    }
  }
  const build = (node: Node): Part => {
    switch (node.t) {
      case 'set': {
        if (sets.length >= MAX_POSITIONS) throw new Unproven()
        sets.push(node.set)
        follow.push(new Set())
        return { nullable: false, first: [sets.length - 1], last: [sets.length - 1] }
      }
      case 'seq': {
        let part: Part | undefined
        for (const item of node.items) part = concat(part, build(item))
        return part ?? { nullable: true, first: [], last: [] }
      }
      case 'alt': {
        const parts = node.branches.map(build)
        // Rule 3: a branch that matches nothing gives a second way through the same text.
        if (parts.some((p) => p.nullable)) throw new Unproven()
        return { nullable: false, first: parts.flatMap((p) => p.first), last: parts.flatMap((p) => p.last) }
      }
      case 'rep': {
        let part: Part | undefined
        for (let n = 0; n < node.min; n++) {
          const copy = build(node.body)
          if (copy.nullable) throw new Unproven()
          part = concat(part, copy)
        }
        if (node.max === Infinity) {
          const loop = build(node.body)
          if (loop.nullable) throw new Unproven()
          link(loop.last, loop.first)
          part = concat(part, { nullable: true, first: loop.first, last: loop.last })
        } else {
          // Optional copies, each reachable only after the one before: x{1,3} is x(x(x)?)?.
          let before = part
          const lasts: number[] = []
          for (let n = node.min; n < node.max; n++) {
            const copy = build(node.body)
            if (copy.nullable) throw new Unproven()
            if (before) link(before.last, copy.first)
            if (n === node.min) part = concat(part, { nullable: true, first: copy.first, last: [] })
            lasts.push(...copy.last)
            before = copy
          }
          part = { nullable: part!.nullable, first: part!.first, last: [...part!.last, ...lasts] }
        }
        return part!
      }
      default:
        // `^` and `$` anywhere but at the two ends.
        throw new Unproven()
    }
  }
  const whole = build(body)
  let edges = whole.first.length
  for (const f of follow) edges += f.size
  if (edges > MAX_EDGES) throw new Unproven()
  return { sets, follow, first: new Set(whole.first), final: new Set(whole.last), nullable: whole.nullable }
}

/**
 * Rule 4: from every state, two next states that can take the same character have nothing in common after it:
 * the characters that may follow the one (all its next states' classes together) and those that may follow the
 * other do not meet.
 */
function decidedByTwo(a: Automaton, endAnchored: boolean, budget: Budget): boolean {
  const after = a.follow.map((next) => {
    const ranges: CharSet = []
    for (const q of next) ranges.push(...a.sets[q]!)
    budget.spend(ranges.length + 1)
    return normalise(ranges)
  })
  const meet = (x: CharSet, y: CharSet): boolean => {
    budget.spend(x.length + y.length + 1)
    return intersects(x, y)
  }
  const decided = (next: Set<number>): boolean => {
    const states = [...next]
    for (let x = 0; x < states.length; x++) {
      for (let y = x + 1; y < states.length; y++) {
        const p = states[x]!
        const q = states[y]!
        if (!meet(a.sets[p]!, a.sets[q]!)) continue
        // Both may end a match here: with `$`, two ways to the same end of the text.
        if (endAnchored && a.final.has(p) && a.final.has(q)) return false
        if (meet(after[p]!, after[q]!)) return false
      }
    }
    return true
  }
  if (!decided(a.first)) return false
  return a.follow.every(decided)
}

/** The native expression for an automaton's pattern: every character class spelled out as code point ranges. */
function source(node: Node): string {
  switch (node.t) {
    case 'set':
      return `[${node.set.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join('')}]`
    case 'seq':
      return node.items.map(source).join('')
    case 'alt':
      return `(?:${node.branches.map(source).join('|')})`
    case 'rep': {
      const body = `(?:${source(node.body)})`
      if (node.min === 0 && node.max === Infinity) return `${body}*`
      if (node.min === 1 && node.max === Infinity) return `${body}+`
      if (node.min === 0 && node.max === 1) return `${body}?`
      if (node.max === Infinity) return `${body}{${node.min},}`
      return node.min === node.max ? `${body}{${node.min}}` : `${body}{${node.min},${node.max}}`
    }
    case 'start':
      return '^'
    case 'end':
      return '$'
  }
}

const hex = (c: number): string => `\\u{${c.toString(16)}}`

/**
 * The native RegExp for a kind schema pattern when the rules above prove it linear, with RE2's meaning of every
 * class; undefined when the pattern must stay on RE2.
 */
export function nativePattern(pattern: string): RegExp | undefined {
  try {
    const root = parse(pattern)
    // Rule 2: one branch at the top, `^` first, `$` only last.
    const items = root.t === 'seq' ? root.items : [root]
    if (items[0]?.t !== 'start') return undefined
    const endAnchored = items.length > 1 && items[items.length - 1]!.t === 'end'
    const body: Node = { t: 'seq', items: items.slice(1, endAnchored ? -1 : undefined) }
    const budget = new Budget()
    const a = automaton(body, budget)
    if (!decidedByTwo(a, endAnchored, budget)) return undefined
    return new RegExp(`^${source(body)}${endAnchored ? '$' : ''}`, 'u')
  } catch (error) {
    if (error instanceof Unproven || error instanceof SyntaxError) return undefined
    throw error
  }
}
