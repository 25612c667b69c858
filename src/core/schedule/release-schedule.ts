import type { Environment } from '../model/source-model.js'
import { formatTime } from '../render/time.js'

/** An apply window: on these local weekdays (0 = Sunday), from `start` up to (not including) `end`. */
export interface ApplyWindow {
  days: number[]
  /** Minutes after local midnight. */
  start: number
  /** Minutes after local midnight, at most 1440 (24:00). */
  end: number
}

export type Freeze = NonNullable<Environment['freezes']>[number]

export interface ReleaseDecision {
  due: boolean
  reason: string
  /** The first instant at or after max(now, release date) inside a window and outside every freeze. */
  next?: Date
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const
const MINUTE = 60_000
const DAY = 86_400_000
/** How far ahead `next` is searched for. */
const HORIZON_DAYS = 400

const WINDOW = /^([A-Z][a-z]{2})(?:-([A-Z][a-z]{2}))? (\d{2}):(\d{2})-(\d{2}):(\d{2})$/

/** Parses "Mon-Thu 00:00-01:00": a day or a day range (which may wrap, "Fri-Mon"), then a local time range. */
export function parseWindow(spec: string): ApplyWindow {
  const fail = (why: string): never => {
    throw new Error(`window "${spec}": ${why} (expected e.g. "Mon-Thu 00:00-01:00")`)
  }
  const match = WINDOW.exec(spec.trim())
  if (!match) return fail('not a day or day range followed by HH:MM-HH:MM')
  const [, firstName, lastName, startHour, startMinute, endHour, endMinute] = match
  const day = (name: string): number => {
    const index = (DAY_NAMES as readonly string[]).indexOf(name)
    return index >= 0 ? index : fail(`unknown day "${name}", use one of ${DAY_NAMES.join(', ')}`)
  }
  const first = day(firstName!)
  const last = lastName === undefined ? first : day(lastName)
  const days: number[] = []
  for (let d = first; ; d = (d + 1) % 7) {
    days.push(d)
    if (d === last) break
  }
  const minutes = (hour: string, minute: string, mayBeMidnight: boolean): number => {
    const h = Number(hour)
    const m = Number(minute)
    if (m > 59) return fail(`minute ${minute} is past 59`)
    if (mayBeMidnight && h === 24 && m === 0) return 1440
    if (h > 23) return fail(mayBeMidnight ? `${hour}:${minute} is past 24:00` : `hour ${hour} is past 23`)
    return h * 60 + m
  }
  const start = minutes(startHour!, startMinute!, false)
  const end = minutes(endHour!, endMinute!, true)
  if (end <= start) {
    // A window that crosses midnight is written as two windows, so each day's window stays on that day.
    fail(
      'the end must be after the start; to cross midnight use two windows, e.g. "Fri 22:00-24:00" and "Sat 00:00-02:00"',
    )
  }
  return { days: days.sort((a, b) => a - b), start, end }
}

/** Whether `now` falls in one of the windows, read in the environment's time zone. No windows: always. */
export function isInsideWindow(now: Date, windows: readonly string[] | undefined, timeZone = 'UTC'): boolean {
  if (!windows || windows.length === 0) return true
  return windowAt(localTime(now.getTime(), zone(timeZone)), windows.map(parseWindow)) !== undefined
}

/** The freeze `now` falls in (local dates, both ends inclusive); of overlapping ones, the one ending last. */
export function inFreeze(
  now: Date,
  freezes: readonly Freeze[] | undefined,
  timeZone = 'UTC',
): Freeze | undefined {
  if (!freezes || freezes.length === 0) return undefined
  return freezeOn(dayNumber(localTime(now.getTime(), zone(timeZone))), freezes.map(parseFreeze))?.freeze
}

/**
 * Whether a scheduled promotion may be applied at `now` in this environment: its release date reached,
 * inside a window and outside every freeze. `next` says when it can be, searched up to 400 days ahead.
 */
export function releaseDecision(now: Date, env: Environment, releaseAt?: string): ReleaseDecision {
  const timeZone = env.timezone ?? 'UTC'
  const tz = zone(timeZone)
  const windows = (env.windows ?? []).map(parseWindow)
  const freezes = (env.freezes ?? []).map(parseFreeze)
  const releaseTime = releaseAt === undefined ? undefined : parseReleaseDate(releaseAt)
  const notDue = (reason: string): ReleaseDecision => {
    const from = Math.max(now.getTime(), releaseTime ?? -Infinity)
    const next = nextOpening(from, windows, freezes, tz)
    return next === undefined ? { due: false, reason } : { due: false, reason, next: new Date(next) }
  }

  if (releaseTime !== undefined && now.getTime() < releaseTime) {
    // What the windows and freezes say now does not matter yet: `next` reads them from the release date on.
    // Shown to people (the SCHEDULED note, the check, the dashboard): in the environment's zone, one format.
    return notDue(`release date ${formatTime(new Date(releaseTime), timeZone)} not reached`)
  }
  const local = localTime(now.getTime(), tz)
  const blockers: string[] = []
  const freeze = freezeOn(dayNumber(local), freezes)?.freeze
  if (freeze) blockers.push(`frozen until ${freeze.to}${freeze.reason ? `: ${freeze.reason}` : ''}`)
  const window = windows.length === 0 ? undefined : windowAt(local, windows)
  if (windows.length > 0 && window === undefined) {
    blockers.push(`outside the windows ${(env.windows ?? []).join(', ')} (${timeZone})`)
  }
  if (blockers.length > 0) return notDue(blockers.join('; '))

  const facts: string[] = []
  if (releaseTime !== undefined) facts.push(`release date ${formatTime(new Date(releaseTime), timeZone)} reached`)
  if (window !== undefined) facts.push(`inside the window ${env.windows?.[window]} (${timeZone})`)
  const reason = facts.length > 0 ? facts.join(', ') : 'no release date, window or freeze applies'
  return { due: true, reason, next: new Date(now.getTime()) }
}

// ---- time zones -------------------------------------------------------------------------------------------

/** A time zone, through a formatter that reads an instant's local date and time in it. */
interface Zone {
  format: Intl.DateTimeFormat
}

const zones = new Map<string, Zone>()

function zone(name: string): Zone {
  let found = zones.get(name)
  if (!found) {
    let format: Intl.DateTimeFormat
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })
    } catch (error) {
      throw new Error(`unknown time zone "${name}" (expected an IANA name, e.g. America/New_York)`, {
        cause: error,
      })
    }
    found = { format }
    zones.set(name, found)
  }
  return found
}

/** The IANA names the runtime lists (Intl.supportedValuesOf), made once. */
let listedZones: Set<string> | undefined

/**
 * Throws for a time zone the runtime does not know, as `zone` does. Checking a configuration need not make a
 * formatter: the first one loads the locale's date formats (about 20 ms), which a command that never reads a
 * time (validate) would pay for every environment with a `timezone`. A listed name is accepted by every
 * formatter (ECMA-402, AvailableNamedTimeZoneIdentifiers); anything else (an alias, other letter case, UTC) is
 * left to the formatter, as before.
 */
function checkZone(name: string): void {
  listedZones ??= new Set(Intl.supportedValuesOf('timeZone'))
  if (!listedZones.has(name)) zone(name)
}

/** The zone's offset from UTC at instant `t`, in milliseconds (local = t + offset). */
function offsetAt(t: number, tz: Zone): number {
  const parts: Record<string, number> = {}
  for (const part of tz.format.formatToParts(new Date(t))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  const local = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  )
  return local - Math.floor(t / 1000) * 1000
}

/**
 * Local wall-clock time as milliseconds on a UTC-based scale (so `Date` UTC arithmetic yields local date and
 * time), for one instant.
 */
function localTime(t: number, tz: Zone): number {
  return t + offsetAt(t, tz)
}

/**
 * The zone's offsets over a span, as segments: offset `offsets[i]` holds from `starts[i]` until
 * `starts[i + 1]`. Sampled daily, then each change pinned to the second by bisection: zones change offset
 * at most a few times a year and never twice within a day, so this costs about one formatter call per day of
 * the span.
 */
interface OffsetSegments {
  starts: number[]
  offsets: number[]
}

function offsetSegments(from: number, to: number, tz: Zone): OffsetSegments {
  const starts = [-Infinity]
  const offsets = [offsetAt(from, tz)]
  let previousSecond = Math.floor(from / 1000)
  let previousOffset = offsets[0]!
  for (let second = previousSecond + DAY / 1000; previousSecond * 1000 < to; second += DAY / 1000) {
    const offset = offsetAt(second * 1000, tz)
    if (offset !== previousOffset) {
      // Bisect on whole seconds: the formatter reads no finer, and zones change offset on the second.
      let before = previousSecond
      let after = second
      while (after - before > 1) {
        const middle = Math.floor((before + after) / 2)
        if (offsetAt(middle * 1000, tz) === previousOffset) before = middle
        else after = middle
      }
      starts.push(after * 1000)
      offsets.push(offset)
      previousOffset = offset
    }
    previousSecond = second
  }
  return { starts, offsets }
}

function segmentOffset(t: number, segments: OffsetSegments): number {
  let offset = segments.offsets[0]!
  for (let i = 1; i < segments.starts.length && segments.starts[i]! <= t; i++) offset = segments.offsets[i]!
  return offset
}

/**
 * The instants at which the local wall clock reads `wall`: one normally, two when clocks go back (the
 * earlier first). When the time does not exist because clocks go forward, the instant they jump past it:
 * the first moment the wall clock reads `wall` or later.
 */
function instantsAt(wall: number, segments: OffsetSegments): number[] {
  const { starts, offsets } = segments
  const found: number[] = []
  for (let i = 0; i < offsets.length; i++) {
    const t = wall - offsets[i]!
    if (t >= starts[i]! && (i + 1 >= starts.length || t < starts[i + 1]!)) found.push(t)
  }
  if (found.length > 0) return found.sort((a, b) => a - b)
  for (let i = 1; i < starts.length; i++) {
    const change = starts[i]!
    if (change + offsets[i - 1]! <= wall && change + offsets[i]! > wall) return [change]
  }
  return []
}

// ---- windows, freezes and release dates --------------------------------------------------------------------

const dayNumber = (local: number): number => Math.floor(local / DAY)
const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7

/** Index of the window the local time falls in, if any. */
function windowAt(local: number, windows: readonly ApplyWindow[]): number | undefined {
  const day = dayNumber(local)
  const minute = Math.floor((local - day * DAY) / MINUTE)
  const index = windows.findIndex((w) => w.days.includes(weekday(day)) && minute >= w.start && minute < w.end)
  return index >= 0 ? index : undefined
}

interface ParsedFreeze {
  freeze: Freeze
  /** First and last frozen local day, as days since 1970-01-01. */
  from: number
  to: number
}

function parseFreeze(freeze: Freeze): ParsedFreeze {
  const from = parseDate(freeze.from, 'from')
  const to = parseDate(freeze.to, 'to')
  if (to < from) throw new Error(`freeze ${freeze.from}..${freeze.to}: "to" is before "from"`)
  return { freeze, from, to }

  function parseDate(value: string, field: string): number {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
    const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN
    // Date.UTC rolls 2026-02-30 over to March: reading the date back catches it.
    if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
      throw new Error(`freeze ${field} "${value}" is not a date (expected YYYY-MM-DD)`)
    }
    return time / DAY
  }
}

/** The freeze covering a local day; of overlapping ones, the one ending last. */
function freezeOn(day: number, freezes: readonly ParsedFreeze[]): ParsedFreeze | undefined {
  let found: ParsedFreeze | undefined
  for (const freeze of freezes) {
    if (freeze.from <= day && day <= freeze.to && (!found || freeze.to > found.to)) found = freeze
  }
  return found
}

const RELEASE_DATE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/

/** An ISO 8601 date-time with an offset, as epoch milliseconds. Without an offset it would mean nothing fixed. */
function parseReleaseDate(value: string): number {
  const match = RELEASE_DATE.exec(value.trim())
  const fail = (): never => {
    throw new Error(
      `release date "${value}" is not an ISO 8601 date-time with an offset, e.g. 2026-12-01T00:00:00-05:00`,
    )
  }
  if (!match) return fail()
  const [, year, month, day, hour, minute, second, fraction, , sign, offsetHour, offsetMinute] = match
  const y = Number(year)
  const mo = Number(month)
  const d = Number(day)
  const h = Number(hour)
  const mi = Number(minute)
  const s = Number(second ?? 0)
  const local = Date.UTC(y, mo - 1, d, h, mi, s, Math.round(Number(`0${fraction ?? ''}`) * 1000))
  // Date.UTC rolls 2026-02-30 or 24:00 over: reading the fields back catches it.
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, s))
  const valid =
    check.getUTCFullYear() === y &&
    check.getUTCMonth() === mo - 1 &&
    check.getUTCDate() === d &&
    check.getUTCHours() === h &&
    check.getUTCMinutes() === mi &&
    check.getUTCSeconds() === s &&
    Number(offsetHour ?? 0) <= 23 &&
    Number(offsetMinute ?? 0) <= 59
  if (!valid) return fail()
  const offset =
    sign === undefined
      ? 0
      : (sign === '-' ? -1 : 1) * (Number(offsetHour) * 60 + Number(offsetMinute)) * MINUTE
  return local - offset
}

/**
 * The first instant at or after `from` inside a window and outside every freeze. Whether an instant is open
 * changes only where a window starts, a freeze ends or the clocks change, so those instants (and `from`
 * itself) are the only candidates: each is tested in time order, all without a formatter call.
 */
function nextOpening(
  from: number,
  windows: readonly ApplyWindow[],
  freezes: readonly ParsedFreeze[],
  tz: Zone,
): number | undefined {
  const until = from + (HORIZON_DAYS + 1) * DAY
  const segments = offsetSegments(from - 2 * DAY, until + 2 * DAY, tz)
  const local = (t: number): number => t + segmentOffset(t, segments)
  const isOpen = (t: number): boolean =>
    freezeOn(dayNumber(local(t)), freezes) === undefined &&
    (windows.length === 0 || windowAt(local(t), windows) !== undefined)

  const candidates = [from, ...segments.starts.slice(1)]
  const firstDay = dayNumber(local(from)) - 1
  for (let day = firstDay; day <= firstDay + HORIZON_DAYS + 1; day++) {
    if (freezeOn(day, freezes)) continue
    for (const window of windows) {
      if (window.days.includes(weekday(day)))
        candidates.push(...instantsAt(day * DAY + window.start * MINUTE, segments))
    }
  }
  for (const freeze of freezes) candidates.push(...instantsAt((freeze.to + 1) * DAY, segments))

  const inRange = candidates.filter((t) => t >= from && t <= until).sort((a, b) => a - b)
  return inRange.find(isOpen)
}

/**
 * Problems in an environment's schedule policy, found when gantry.yaml is read rather than when a
 * promotion is first evaluated: each with the path of the offending value in the environment.
 */
export function schedulePolicyProblems(env: Environment): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = []
  const attempt = (path: (string | number)[], check: () => unknown) => {
    try {
      check()
    } catch (error) {
      problems.push({ path, message: error instanceof Error ? error.message : String(error) })
    }
  }
  if (env.timezone !== undefined) attempt(['timezone'], () => checkZone(env.timezone!))
  ;(env.windows ?? []).forEach((spec, index) => attempt(['windows', index], () => parseWindow(spec)))
  ;(env.freezes ?? []).forEach((freeze, index) => attempt(['freezes', index], () => parseFreeze(freeze)))
  return problems
}
