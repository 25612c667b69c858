import { describe, expect, test } from 'vitest'
import type { Environment } from '../../src/core/model/source-model.js'
import {
  inFreeze,
  isInsideWindow,
  parseWindow,
  releaseDecision,
} from '../../src/core/schedule/release-schedule.js'

// 2026 clock changes. New York: 02:00 EST -> 03:00 EDT on Sun Mar 8 (07:00Z); 02:00 EDT -> 01:00 EST on
// Sun Nov 1 (06:00Z). Berlin: 02:00 CET -> 03:00 CEST on Sun Mar 29 (01:00Z); 03:00 CEST -> 02:00 CET on
// Sun Oct 25 (01:00Z).
const NY = 'America/New_York'
const BERLIN = 'Europe/Berlin'
const at = (iso: string): Date => new Date(iso)

function env(settings: Partial<Environment> = {}): Environment {
  return { name: 'prod', branch: 'env/prod', ...settings }
}

describe('parseWindow', () => {
  test('a day range and a time range, in minutes after midnight', () => {
    expect(parseWindow('Mon-Thu 00:00-01:00')).toEqual({ days: [1, 2, 3, 4], start: 0, end: 60 })
    expect(parseWindow('Sat 09:30-17:45')).toEqual({ days: [6], start: 570, end: 1065 })
    expect(parseWindow('Sun-Sat 00:00-24:00')).toEqual({ days: [0, 1, 2, 3, 4, 5, 6], start: 0, end: 1440 })
  })

  test('day ranges may wrap round the week', () => {
    expect(parseWindow('Fri-Mon 22:00-24:00')).toEqual({ days: [0, 1, 5, 6], start: 1320, end: 1440 })
    expect(parseWindow('Sat-Sun 10:00-11:00').days).toEqual([0, 6])
    expect(parseWindow('Sun-Sun 10:00-11:00').days).toEqual([0])
  })

  test.each([
    ['', 'not a day or day range'],
    ['Mon', 'not a day or day range'],
    ['Mon 00:00', 'not a day or day range'],
    ['Monday 00:00-01:00', 'not a day or day range'],
    ['mon 00:00-01:00', 'not a day or day range'],
    ['Mon 0:00-1:00', 'not a day or day range'],
    ['Mon-Thu', 'not a day or day range'],
    ['Mon,Tue 00:00-01:00', 'not a day or day range'],
    ['Mon  00:00-01:00', 'not a day or day range'],
    ['Fun 00:00-01:00', 'unknown day "Fun"'],
    ['Mon-Fry 00:00-01:00', 'unknown day "Fry"'],
    ['Mon 25:00-26:00', 'hour 25 is past 23'],
    ['Mon 24:00-24:00', 'hour 24 is past 23'],
    ['Mon 00:60-01:00', 'minute 60 is past 59'],
    ['Mon 00:00-24:01', '24:01 is past 24:00'],
    ['Mon 00:00-25:00', '25:00 is past 24:00'],
    ['Mon 01:00-01:00', 'the end must be after the start'],
    ['Mon 22:00-02:00', 'to cross midnight use two windows'],
  ])('rejects %j: %s', (spec, message) => {
    expect(() => parseWindow(spec)).toThrow(message)
    expect(() => parseWindow(spec)).toThrow(`window "${spec}"`)
  })
})

describe('isInsideWindow', () => {
  test('no windows: always inside', () => {
    expect(isInsideWindow(at('2026-07-04T12:00:00Z'), undefined)).toBe(true)
    expect(isInsideWindow(at('2026-07-04T12:00:00Z'), [], NY)).toBe(true)
  })

  test('UTC by default; the start is inside, the end is not', () => {
    const windows = ['Tue 09:00-10:00']
    expect(isInsideWindow(at('2026-06-02T08:59:59Z'), windows)).toBe(false)
    expect(isInsideWindow(at('2026-06-02T09:00:00Z'), windows)).toBe(true)
    expect(isInsideWindow(at('2026-06-02T09:59:59Z'), windows)).toBe(true)
    expect(isInsideWindow(at('2026-06-02T10:00:00Z'), windows)).toBe(false)
    expect(isInsideWindow(at('2026-06-09T09:30:00Z'), windows)).toBe(true)
    expect(isInsideWindow(at('2026-06-03T09:30:00Z'), windows)).toBe(false)
  })

  test('New York, Mon-Thu 00:00-01:00, before and after the spring change', () => {
    const windows = ['Mon-Thu 00:00-01:00']
    // Mon Mar 2: EST, the window is 05:00Z-06:00Z.
    expect(isInsideWindow(at('2026-03-02T05:30:00Z'), windows, NY)).toBe(true)
    expect(isInsideWindow(at('2026-03-02T04:30:00Z'), windows, NY)).toBe(false)
    expect(isInsideWindow(at('2026-03-02T06:00:00Z'), windows, NY)).toBe(false)
    // Mon Mar 9: EDT, the window is 04:00Z-05:00Z.
    expect(isInsideWindow(at('2026-03-09T04:30:00Z'), windows, NY)).toBe(true)
    expect(isInsideWindow(at('2026-03-09T05:30:00Z'), windows, NY)).toBe(false)
    // Thu Mar 12 00:59 EDT inside; Fri Mar 13 00:30 EDT outside (the local day decides, not the UTC day).
    expect(isInsideWindow(at('2026-03-12T04:59:00Z'), windows, NY)).toBe(true)
    expect(isInsideWindow(at('2026-03-13T04:30:00Z'), windows, NY)).toBe(false)
    // Sun Mar 8 20:30 EDT is Mon 00:30 in UTC, but Sunday in New York.
    expect(isInsideWindow(at('2026-03-09T00:30:00Z'), windows, NY)).toBe(false)
  })

  test('New York, around the autumn change', () => {
    const windows = ['Mon-Thu 00:00-01:00']
    // Thu Oct 29 (EDT): 04:00Z-05:00Z. Mon Nov 2 (EST): 05:00Z-06:00Z.
    expect(isInsideWindow(at('2026-10-29T04:15:00Z'), windows, NY)).toBe(true)
    expect(isInsideWindow(at('2026-11-02T04:15:00Z'), windows, NY)).toBe(false)
    expect(isInsideWindow(at('2026-11-02T05:15:00Z'), windows, NY)).toBe(true)
  })

  test('Berlin, Mon-Fri 09:00-17:00, across both changes', () => {
    const windows = ['Mon-Fri 09:00-17:00']
    // Fri Mar 27 (CET): 08:00Z-16:00Z.
    expect(isInsideWindow(at('2026-03-27T08:00:00Z'), windows, BERLIN)).toBe(true)
    expect(isInsideWindow(at('2026-03-27T07:59:00Z'), windows, BERLIN)).toBe(false)
    expect(isInsideWindow(at('2026-03-27T16:30:00Z'), windows, BERLIN)).toBe(false)
    // Mon Mar 30 (CEST): 07:00Z-15:00Z.
    expect(isInsideWindow(at('2026-03-30T07:00:00Z'), windows, BERLIN)).toBe(true)
    expect(isInsideWindow(at('2026-03-30T15:30:00Z'), windows, BERLIN)).toBe(false)
    // Fri Oct 23 (CEST): 07:00Z-15:00Z. Mon Oct 26 (CET): 08:00Z-16:00Z.
    expect(isInsideWindow(at('2026-10-23T07:30:00Z'), windows, BERLIN)).toBe(true)
    expect(isInsideWindow(at('2026-10-26T07:30:00Z'), windows, BERLIN)).toBe(false)
    expect(isInsideWindow(at('2026-10-26T15:30:00Z'), windows, BERLIN)).toBe(true)
  })

  test('a 02:00-03:00 window on the spring-forward day never opens: that hour does not exist', () => {
    for (const [zone, day] of [
      [NY, '2026-03-08T00:00:00Z'],
      [BERLIN, '2026-03-28T12:00:00Z'],
    ] as const) {
      const start = at(day).getTime()
      for (let t = start; t < start + 24 * 3_600_000; t += 60_000) {
        expect(isInsideWindow(new Date(t), ['Sun 02:00-03:00'], zone)).toBe(false)
      }
      // A week later it opens as usual.
      expect(
        isInsideWindow(
          new Date(start + 7 * 86_400_000 + 3_600_000 * (zone === NY ? 6.5 : 12.5)),
          ['Sun 02:00-03:00'],
          zone,
        ),
      ).toBe(true)
    }
  })

  test('during the repeated hour of the autumn change, both passes are inside', () => {
    // New York 01:00-02:00 happens twice on Nov 1: 05:00Z-06:00Z (EDT) and 06:00Z-07:00Z (EST).
    expect(isInsideWindow(at('2026-11-01T05:15:00Z'), ['Sun 01:00-01:30'], NY)).toBe(true)
    expect(isInsideWindow(at('2026-11-01T05:45:00Z'), ['Sun 01:00-01:30'], NY)).toBe(false)
    expect(isInsideWindow(at('2026-11-01T06:15:00Z'), ['Sun 01:00-01:30'], NY)).toBe(true)
    expect(isInsideWindow(at('2026-11-01T06:30:00Z'), ['Sun 01:00-01:30'], NY)).toBe(false)
    // Berlin 02:00-03:00 happens twice on Oct 25: 00:00Z-01:00Z (CEST) and 01:00Z-02:00Z (CET).
    expect(isInsideWindow(at('2026-10-25T00:10:00Z'), ['Sun 02:00-02:30'], BERLIN)).toBe(true)
    expect(isInsideWindow(at('2026-10-25T01:10:00Z'), ['Sun 02:00-02:30'], BERLIN)).toBe(true)
    expect(isInsideWindow(at('2026-10-25T00:40:00Z'), ['Sun 02:00-02:30'], BERLIN)).toBe(false)
  })

  test('wrap-around day ranges and 24:00', () => {
    const windows = ['Fri-Mon 22:00-24:00']
    expect(isInsideWindow(at('2026-06-05T22:00:00Z'), windows)).toBe(true) // Fri
    expect(isInsideWindow(at('2026-06-06T23:59:59Z'), windows)).toBe(true) // Sat
    expect(isInsideWindow(at('2026-06-07T23:00:00Z'), windows)).toBe(true) // Sun
    expect(isInsideWindow(at('2026-06-08T22:30:00Z'), windows)).toBe(true) // Mon
    expect(isInsideWindow(at('2026-06-09T00:00:00Z'), windows)).toBe(false) // Tue 00:00: the window has ended
    expect(isInsideWindow(at('2026-06-09T22:30:00Z'), windows)).toBe(false) // Tue
    expect(isInsideWindow(at('2026-06-11T22:30:00Z'), windows)).toBe(false) // Thu
  })

  test('any of several windows', () => {
    const windows = ['Mon 01:00-02:00', 'Wed 13:00-14:00']
    expect(isInsideWindow(at('2026-06-01T01:30:00Z'), windows)).toBe(true)
    expect(isInsideWindow(at('2026-06-03T13:30:00Z'), windows)).toBe(true)
    expect(isInsideWindow(at('2026-06-03T01:30:00Z'), windows)).toBe(false)
  })

  test('a bad window or time zone is an error, not a closed window', () => {
    expect(() => isInsideWindow(at('2026-06-01T00:00:00Z'), ['Mon 1-2'])).toThrow('window "Mon 1-2"')
    expect(() => isInsideWindow(at('2026-06-01T00:00:00Z'), ['Mon 01:00-02:00'], 'Mars/Olympus')).toThrow(
      'unknown time zone "Mars/Olympus"',
    )
  })
})

describe('inFreeze', () => {
  const freezes = [{ from: '2026-12-20', to: '2027-01-03', reason: 'year-end' }]

  test('inclusive on both ends, in local dates', () => {
    // New York: Dec 20 00:00 EST is 05:00Z; Jan 3 23:59 EST is Jan 4 04:59Z.
    expect(inFreeze(at('2026-12-20T04:59:00Z'), freezes, NY)).toBeUndefined()
    expect(inFreeze(at('2026-12-20T05:00:00Z'), freezes, NY)).toEqual(freezes[0])
    expect(inFreeze(at('2027-01-04T04:59:59Z'), freezes, NY)).toEqual(freezes[0])
    expect(inFreeze(at('2027-01-04T05:00:00Z'), freezes, NY)).toBeUndefined()
    // Berlin: Dec 20 00:00 CET is Dec 19 23:00Z; Jan 3 23:59 CET is 22:59Z.
    expect(inFreeze(at('2026-12-19T22:59:00Z'), freezes, BERLIN)).toBeUndefined()
    expect(inFreeze(at('2026-12-19T23:00:00Z'), freezes, BERLIN)).toEqual(freezes[0])
    expect(inFreeze(at('2027-01-03T22:59:00Z'), freezes, BERLIN)).toEqual(freezes[0])
    expect(inFreeze(at('2027-01-03T23:00:00Z'), freezes, BERLIN)).toBeUndefined()
    // UTC by default.
    expect(inFreeze(at('2027-01-03T23:59:59Z'), freezes)).toEqual(freezes[0])
    expect(inFreeze(at('2027-01-04T00:00:00Z'), freezes)).toBeUndefined()
  })

  test('a one-day freeze, and none at all', () => {
    const oneDay = [{ from: '2026-07-04', to: '2026-07-04' }]
    expect(inFreeze(at('2026-07-04T12:00:00Z'), oneDay)).toEqual(oneDay[0])
    expect(inFreeze(at('2026-07-05T00:00:00Z'), oneDay)).toBeUndefined()
    expect(inFreeze(at('2026-07-04T12:00:00Z'), undefined)).toBeUndefined()
    expect(inFreeze(at('2026-07-04T12:00:00Z'), [])).toBeUndefined()
  })

  test('of overlapping freezes, the one ending last', () => {
    const overlapping = [
      { from: '2026-12-01', to: '2026-12-24' },
      { from: '2026-12-20', to: '2027-01-03', reason: 'year-end' },
    ]
    expect(inFreeze(at('2026-12-21T12:00:00Z'), overlapping)).toEqual(overlapping[1])
    expect(inFreeze(at('2026-12-10T12:00:00Z'), overlapping)).toEqual(overlapping[0])
  })

  test('bad dates are errors', () => {
    const now = at('2026-07-04T12:00:00Z')
    expect(() => inFreeze(now, [{ from: '2026-02-30', to: '2026-03-01' }])).toThrow(
      'freeze from "2026-02-30"',
    )
    expect(() => inFreeze(now, [{ from: '2026-12-20', to: '20270103' }])).toThrow('freeze to "20270103"')
    expect(() => inFreeze(now, [{ from: '2027-01-03', to: '2026-12-20' }])).toThrow('"to" is before "from"')
  })
})

describe('releaseDecision', () => {
  const prod = env({
    timezone: NY,
    windows: ['Mon-Thu 00:00-01:00'],
    freezes: [{ from: '2026-12-20', to: '2027-01-03', reason: 'year-end' }],
  })

  test('no release date, windows or freezes: due now', () => {
    const now = at('2026-06-01T12:34:56Z')
    expect(releaseDecision(now, env())).toEqual({
      due: true,
      reason: 'no release date, window or freeze applies',
      next: now,
    })
  })

  test('inside the window: due, and the reason names the window', () => {
    const now = at('2026-06-02T04:30:00Z') // Tue 00:30 EDT
    expect(releaseDecision(now, prod)).toEqual({
      due: true,
      reason: 'inside the window Mon-Thu 00:00-01:00 (America/New_York)',
      next: now,
    })
  })

  test('outside the windows: not due, next is the next window start', () => {
    const decision = releaseDecision(at('2026-06-05T12:00:00Z'), prod) // Fri
    expect(decision).toEqual({
      due: false,
      reason: 'outside the windows Mon-Thu 00:00-01:00 (America/New_York)',
      next: at('2026-06-08T04:00:00Z'), // Mon 00:00 EDT
    })
  })

  test('release date with an offset, not reached: next is the release date when it falls in a window', () => {
    const decision = releaseDecision(at('2026-11-20T12:00:00Z'), prod, '2026-12-01T00:00:00-05:00')
    expect(decision).toEqual({
      due: false,
      reason: 'release date 2026-12-01 00:00 America/New_York not reached',
      next: at('2026-12-01T05:00:00Z'), // Tue 00:00 EST
    })
  })

  test('release date reached: due from that instant, not a millisecond before', () => {
    const releaseAt = '2026-12-01T00:00:00-05:00'
    expect(releaseDecision(at('2026-12-01T04:59:59.999Z'), prod, releaseAt).due).toBe(false)
    expect(releaseDecision(at('2026-12-01T05:00:00Z'), prod, releaseAt)).toEqual({
      due: true,
      reason:
        'release date 2026-12-01 00:00 America/New_York reached, inside the window Mon-Thu 00:00-01:00 (America/New_York)',
      next: at('2026-12-01T05:00:00Z'),
    })
  })

  test('release date in the middle of a window: next is the release date itself', () => {
    const decision = releaseDecision(at('2026-11-30T12:00:00Z'), prod, '2026-12-01T06:30:00+01:00')
    expect(decision.next).toEqual(at('2026-12-01T05:30:00Z'))
  })

  test('release date outside the windows: next is the first window after it', () => {
    // Fri Dec 4 10:00 Berlin time is Fri 04:00 EST; New York's next window is Mon Dec 7 00:00 EST.
    const decision = releaseDecision(at('2026-11-30T12:00:00Z'), prod, '2026-12-04T10:00:00+01:00')
    expect(decision.next).toEqual(at('2026-12-07T05:00:00Z'))
  })

  test('release dates in Z, with fractions, and without the colon in the offset', () => {
    const open = env()
    expect(releaseDecision(at('2026-12-01T00:00:00Z'), open, '2026-12-01T00:00:00Z').due).toBe(true)
    expect(releaseDecision(at('2026-12-01T00:00:00.499Z'), open, '2026-12-01T00:00:00.5Z').due).toBe(false)
    expect(releaseDecision(at('2026-12-01T00:00:00Z'), open, '2026-12-01T05:30:00+0530').due).toBe(true)
    expect(releaseDecision(at('2026-11-30T23:59:00Z'), open, '2026-12-01T05:30:00+05:30').next).toEqual(
      at('2026-12-01T00:00:00Z'),
    )
  })

  test.each([
    '2026-12-01',
    '2026-12-01T00:00:00',
    '2026-02-30T00:00:00Z',
    '2026-12-01T24:00:00Z',
    'tomorrow',
  ])('a release date without an offset or not a date-time is an error: %j', (releaseAt) => {
    expect(() => releaseDecision(at('2026-11-20T12:00:00Z'), prod, releaseAt)).toThrow(
      `release date "${releaseAt}" is not an ISO 8601 date-time with an offset`,
    )
  })

  test('in a freeze: the reason says until when and why; next is the first window after it', () => {
    const decision = releaseDecision(at('2026-12-22T05:30:00Z'), prod) // Tue 00:30 EST, in the freeze
    expect(decision).toEqual({
      due: false,
      reason: 'frozen until 2027-01-03: year-end',
      next: at('2027-01-04T05:00:00Z'), // Mon Jan 4 00:00 EST
    })
    const both = releaseDecision(at('2026-12-25T17:00:00Z'), prod)
    expect(both.reason).toBe(
      'frozen until 2027-01-03: year-end; outside the windows Mon-Thu 00:00-01:00 (America/New_York)',
    )
    const noReason = releaseDecision(
      at('2026-07-04T12:00:00Z'),
      env({ freezes: [{ from: '2026-07-04', to: '2026-07-04' }] }),
    )
    expect(noReason).toEqual({
      due: false,
      reason: 'frozen until 2026-07-04',
      next: at('2026-07-05T00:00:00Z'),
    })
  })

  test('a release date inside a freeze waits for the freeze to end', () => {
    const decision = releaseDecision(at('2026-12-01T12:00:00Z'), prod, '2026-12-24T00:00:00-05:00')
    expect(decision.reason).toBe('release date 2026-12-24 00:00 America/New_York not reached')
    expect(decision.next).toEqual(at('2027-01-04T05:00:00Z'))
  })

  test('back-to-back freezes are passed over together; no windows means the day after the last', () => {
    const freezes = [
      { from: '2026-12-20', to: '2026-12-31' },
      { from: '2027-01-01', to: '2027-01-03' },
    ]
    const decision = releaseDecision(at('2026-12-22T12:00:00Z'), env({ timezone: BERLIN, freezes }))
    expect(decision.reason).toBe('frozen until 2026-12-31')
    expect(decision.next).toEqual(at('2027-01-03T23:00:00Z')) // Jan 4 00:00 CET
  })

  test('a 02:00-03:00 window on the spring-forward day is skipped; next is the week after', () => {
    const ny = releaseDecision(
      at('2026-03-07T12:00:00Z'),
      env({ timezone: NY, windows: ['Sun 02:00-03:00'] }),
    )
    expect(ny.next).toEqual(at('2026-03-15T06:00:00Z')) // Sun Mar 15 02:00 EDT
    const berlin = releaseDecision(
      at('2026-03-28T12:00:00Z'),
      env({ timezone: BERLIN, windows: ['Sun 02:00-03:00'] }),
    )
    expect(berlin.next).toEqual(at('2026-04-05T00:00:00Z')) // Sun Apr 5 02:00 CEST
  })

  test('a window starting in the skipped hour opens when the clocks jump past its start', () => {
    const ny = releaseDecision(
      at('2026-03-08T05:00:00Z'),
      env({ timezone: NY, windows: ['Sun 02:30-04:00'] }),
    )
    expect(ny.next).toEqual(at('2026-03-08T07:00:00Z')) // 03:00 EDT, the first moment at or after 02:30
    const berlin = releaseDecision(
      at('2026-03-28T12:00:00Z'),
      env({ timezone: BERLIN, windows: ['Sun 02:15-03:30'] }),
    )
    expect(berlin.next).toEqual(at('2026-03-29T01:00:00Z')) // 03:00 CEST
  })

  test('a window in the repeated hour: the earlier pass first, then the later one', () => {
    const windows = ['Sun 01:00-01:30']
    const nyEnv = env({ timezone: NY, windows })
    expect(releaseDecision(at('2026-10-31T12:00:00Z'), nyEnv).next).toEqual(at('2026-11-01T05:00:00Z')) // EDT
    expect(releaseDecision(at('2026-11-01T05:45:00Z'), nyEnv).next).toEqual(at('2026-11-01T06:00:00Z')) // EST
    expect(releaseDecision(at('2026-11-01T06:30:00Z'), nyEnv).next).toEqual(at('2026-11-08T06:00:00Z'))
    const berlinEnv = env({ timezone: BERLIN, windows: ['Sun 02:00-02:30'] })
    expect(releaseDecision(at('2026-10-24T12:00:00Z'), berlinEnv).next).toEqual(at('2026-10-25T00:00:00Z')) // CEST
    expect(releaseDecision(at('2026-10-25T00:45:00Z'), berlinEnv).next).toEqual(at('2026-10-25T01:00:00Z')) // CET
  })

  test('asked between the two passes of the repeated hour: next is the second pass', () => {
    // Sun 01:15-01:45 New York: the first pass (EDT) is 05:15Z-05:45Z, the second (EST) 06:15Z-06:45Z.
    const nyEnv = env({ timezone: NY, windows: ['Sun 01:15-01:45'] })
    expect(releaseDecision(at('2026-11-01T05:50:00Z'), nyEnv)).toMatchObject({
      due: false,
      next: at('2026-11-01T06:15:00Z'),
    })
    expect(releaseDecision(at('2026-11-01T06:20:00Z'), nyEnv).due).toBe(true)
    expect(releaseDecision(at('2026-11-01T06:45:00Z'), nyEnv).next).toEqual(at('2026-11-08T06:15:00Z'))
  })

  test('when the clocks go back into a window, it opens again at the change', () => {
    // 00:30-01:30: left at 01:30 EDT (05:30Z); at 06:00Z the clock reads 01:00 EST, inside again.
    const decision = releaseDecision(
      at('2026-11-01T05:40:00Z'),
      env({ timezone: NY, windows: ['Sun 00:30-01:30'] }),
    )
    expect(decision.next).toEqual(at('2026-11-01T06:00:00Z'))
  })

  test('wrap-around windows', () => {
    const decision = releaseDecision(at('2026-06-09T12:00:00Z'), env({ windows: ['Fri-Mon 22:00-24:00'] })) // Tue
    expect(decision.next).toEqual(at('2026-06-12T22:00:00Z')) // Fri
    const sunday = releaseDecision(at('2026-06-07T10:00:00Z'), env({ windows: ['Fri-Mon 22:00-24:00'] }))
    expect(sunday.next).toEqual(at('2026-06-07T22:00:00Z'))
  })

  test('no opening within 400 days: not due and no next', () => {
    const decision = releaseDecision(
      at('2026-06-01T12:00:00Z'),
      env({
        windows: ['Mon 00:00-01:00'],
        freezes: [{ from: '2026-01-01', to: '2028-12-31', reason: 'closed' }],
      }),
    )
    expect(decision).toEqual({
      due: false,
      reason: 'frozen until 2028-12-31: closed; outside the windows Mon 00:00-01:00 (UTC)',
    })
  })

  test('an opening found far ahead, past a long freeze', () => {
    const decision = releaseDecision(
      at('2026-01-01T12:00:00Z'),
      env({
        timezone: BERLIN,
        windows: ['Wed 10:00-10:01'],
        freezes: [{ from: '2026-01-01', to: '2026-12-31' }],
      }),
    )
    expect(decision.next).toEqual(at('2027-01-06T09:00:00Z')) // Wed Jan 6 2027 10:00 CET
  })

  test('a bad window or freeze in the environment is an error', () => {
    expect(() => releaseDecision(at('2026-06-01T00:00:00Z'), env({ windows: ['Mon 02:00-01:00'] }))).toThrow(
      'window "Mon 02:00-01:00"',
    )
    expect(() => releaseDecision(at('2026-06-01T00:00:00Z'), env({ timezone: 'Nowhere/Special' }))).toThrow(
      'unknown time zone',
    )
  })
})

describe('next agrees with a minute-by-minute search', () => {
  // An independent answer, sharing no code with the module: step a minute at a time, read the local wall
  // clock through Intl.DateTimeFormat, and match windows and freezes written out naively here.
  const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  function wallClock(instant: Date, zone: string): { date: string; weekday: number; minutes: number } {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        weekday: 'short',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      })
        .formatToParts(instant)
        .map((p) => [p.type, p.value]),
    )
    return {
      date: `${parts.year}-${parts.month}-${parts.day}`,
      weekday: WEEKDAYS.indexOf(parts.weekday!),
      minutes: Number(parts.hour) * 60 + Number(parts.minute),
    }
  }
  function naiveInside(clock: ReturnType<typeof wallClock>, window: string): boolean {
    const [days, times] = window.split(' ') as [string, string]
    const [first, last = first] = days.split('-').map((d) => WEEKDAYS.indexOf(d))
    const onDay =
      first! <= last!
        ? clock.weekday >= first! && clock.weekday <= last!
        : clock.weekday >= first! || clock.weekday <= last!
    const [start, end] = times.split('-').map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3))) as [
      number,
      number,
    ]
    return onDay && clock.minutes >= start && clock.minutes < end
  }
  function firstOpenMinute(from: Date, environment: Environment, days: number): Date | undefined {
    const zone = environment.timezone ?? 'UTC'
    const start = Math.ceil(from.getTime() / 60_000) * 60_000
    for (let t = start; t < start + days * 86_400_000; t += 60_000) {
      const clock = wallClock(new Date(t), zone)
      const windows = environment.windows ?? []
      const open = windows.length === 0 || windows.some((w) => naiveInside(clock, w))
      const frozen = (environment.freezes ?? []).some((f) => f.from <= clock.date && clock.date <= f.to)
      if (open && !frozen) return new Date(t)
    }
    return undefined
  }

  const cases: [string, string, Partial<Environment>][] = [
    [
      'New York spring',
      '2026-03-06T00:00:00Z',
      { timezone: NY, windows: ['Sun 02:00-03:00', 'Sun 02:45-05:00'] },
    ],
    [
      'New York autumn',
      '2026-10-31T00:00:00Z',
      { timezone: NY, windows: ['Sun 00:30-01:30', 'Mon-Thu 00:00-01:00'] },
    ],
    ['New York autumn late', '2026-11-01T05:31:00Z', { timezone: NY, windows: ['Sun 00:30-01:30'] }],
    [
      'Berlin spring',
      '2026-03-27T00:00:00Z',
      { timezone: BERLIN, windows: ['Sun 02:10-02:20', 'Sun 02:50-03:10'] },
    ],
    [
      'New York autumn, the second pass of the repeated hour',
      '2026-11-01T05:50:00Z',
      { timezone: NY, windows: ['Sun 01:15-01:45'] },
    ],
    ['Berlin autumn', '2026-10-25T00:31:00Z', { timezone: BERLIN, windows: ['Sun 02:00-02:30'] }],
    [
      'freeze ending on a Sunday',
      '2026-12-20T00:00:00Z',
      {
        timezone: BERLIN,
        windows: ['Sat-Mon 00:00-24:00'],
        freezes: [{ from: '2026-12-19', to: '2027-01-03' }],
      },
    ],
    [
      'Auckland, the other hemisphere',
      '2026-04-04T00:00:00Z',
      { timezone: 'Pacific/Auckland', windows: ['Sun 02:00-03:00'] },
    ],
    [
      'Lord Howe, a half-hour change',
      '2026-04-04T00:00:00Z',
      { timezone: 'Australia/Lord_Howe', windows: ['Sun 01:40-01:50'] },
    ],
  ]

  test.each(cases)('%s', (_name, from, settings) => {
    const environment = env(settings)
    const expected = firstOpenMinute(at(from), environment, 16)
    expect(expected).toBeDefined()
    expect(releaseDecision(at(from), environment).next).toEqual(expected)
  })
})
