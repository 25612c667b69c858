import { describe, expect, test } from 'vitest'
import { releaseDecision, schedulePolicyProblems } from '../../src/core/schedule/release-schedule.js'

// Checking a configuration's time zone looks the name up in the runtime's list before it makes a formatter:
// the outcome must be the formatter's, for listed names and for every other spelling it accepts or refuses.
const problems = (timezone: string) => schedulePolicyProblems({ name: 'prod', branch: 'env/prod', timezone })

describe('time zone names in the configuration', () => {
  test('every name the runtime lists is accepted, and a formatter accepts it too', () => {
    const listed = Intl.supportedValuesOf('timeZone')
    expect(listed.length).toBeGreaterThan(100)
    for (const name of listed) {
      expect(problems(name)).toEqual([])
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: name })).not.toThrow()
    }
  })

  test('names the list leaves out are decided by the formatter: aliases and other letter cases are accepted', () => {
    for (const name of ['UTC', 'Etc/UTC', 'US/Eastern', 'Etc/GMT+5', 'america/new_york', 'Asia/Calcutta']) {
      expect(problems(name), name).toEqual([])
    }
  })

  test('an unknown name is refused with the same message, and a release decision in it still fails', () => {
    for (const name of ['Mars/Olympus', 'America/Nowhere', '', 'New York']) {
      expect(problems(name)).toEqual([{ path: ['timezone'], message: expect.stringContaining(`unknown time zone "${name}"`) }])
    }
    expect(() => releaseDecision(new Date(), { name: 'prod', branch: 'env/prod', timezone: 'Mars/Olympus', windows: ['Mon 00:00-01:00'] })).toThrow(/unknown time zone/)
  })
})
