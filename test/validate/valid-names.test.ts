import { describe, expect, it } from 'vitest'
import { NAME_PATTERN, isValidName, isWindowsDeviceName } from '../../src/core/names.js'

// The rule as SPEC.md states it, checked in full for every value: isValidName must give the same answers.
const byTheRule = (value: string): boolean =>
  NAME_PATTERN.test(value) && !value.includes('..') && !value.endsWith('.lock') && !isWindowsDeviceName(value)

describe('isValidName', () => {
  it('answers as the full rule for every short value over the letters of device names, dots and dashes', () => {
    const letters = ['c', 'o', 'n', 'm', 'p', 'r', 'l', 't', 'a', 'u', 'x', '1', '0', '.', '-']
    let values = ['']
    const differ: string[] = []
    for (let length = 1; length <= 5; length++) {
      values = values.flatMap((v) => letters.map((l) => v + l))
      for (const v of values) for (const value of [v, `${v}.yaml`, `${v}.x`]) if (isValidName(value) !== byTheRule(value)) differ.push(value)
    }
    expect(differ).toEqual([])
  })

  it('refuses device names alone and before a dot, and takes longer names that start like them', () => {
    for (const device of ['con', 'prn', 'aux', 'nul', 'com1', 'com9', 'lpt1', 'lpt9', 'con.yaml', 'com1.a.b', 'nul.x'])
      expect(isValidName(device)).toBe(false)
    for (const name of ['cons', 'com0', 'com10', 'con-1', 'aux1', 'lpt1x', 'auxiliary', 'null', 'prn2.a'])
      expect(isValidName(name)).toBe(true)
  })
})
