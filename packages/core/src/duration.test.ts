import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.js'
import { CacheplaneError } from './errors.js'

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [250, 250],
    [1.4, 1],
    ['250ms', 250],
    ['5s', 5_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5h', 5_400_000],
    [' 5 s ', 5_000],
    ['300', 300],
  ])('%j is %d ms', (input, expected) => {
    expect(parseDuration(input, 'ttl')).toBe(expected)
  })

  it.each([
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['5 parsecs'],
    ['-5s'],
    [''],
    [null],
    [{}],
    ['1e3s'],
  ])('rejects %j naming the option', (input) => {
    expect(() => parseDuration(input, 'defaults.ttl')).toThrow(CacheplaneError)
    expect(() => parseDuration(input, 'defaults.ttl')).toThrow(/Invalid option "defaults.ttl"/)
  })
})
