import { CacheplaneError } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { LockTable } from './lock-table.js'

const lease = 1_000

function failureOf(attempt: () => unknown): unknown {
  try {
    attempt()
  } catch (error) {
    return error
  }
  return undefined
}

describe('LockTable', () => {
  it('gives a free lock to one owner, refuses others and extends the holder', () => {
    const locks = new LockTable()
    expect(locks.acquire('k', undefined, 'A', lease, 0)).toBe(true)
    expect(locks.acquire('k', undefined, 'B', lease, 10)).toBe(false)
    expect(locks.acquire('k', undefined, 'A', lease, 500)).toBe(true)
    // The first lease would have run out at 1000; the extension runs to 1500.
    expect(locks.acquire('k', undefined, 'B', lease, 1_499)).toBe(false)
    expect(locks.acquire('k', undefined, 'B', lease, 1_500)).toBe(true)
  })

  it('releases for the owner only, and says whether it did', () => {
    const locks = new LockTable()
    locks.acquire('k', 'r', 'A', lease, 0)
    expect(locks.release('k', 'r', 'B', 1)).toBe(false)
    expect(locks.acquire('k', 'r', 'B', lease, 2)).toBe(false)
    expect(locks.release('k', 'r', 'A', 3)).toBe(true)
    expect(locks.release('k', 'r', 'A', 4)).toBe(false)
    expect(locks.release('missing', 'r', 'A', 4)).toBe(false)
    expect(locks.acquire('k', 'r', 'B', lease, 5)).toBe(true)
    expect(locks.size).toBe(1)
  })

  it('keeps (region, key) pairs apart', () => {
    const locks = new LockTable()
    const pairs: [string | undefined, string][] = [
      [undefined, 'a:b'],
      ['a', 'b'],
      ['a:b', 'c'],
      ['a', 'b:c'],
      [undefined, 'a'],
    ]
    for (const [index, [region, key]] of pairs.entries()) {
      expect(locks.acquire(key, region, `owner ${index}`, lease, 0)).toBe(true)
    }
    for (const [region, key] of pairs) {
      expect(locks.acquire(key, region, 'intruder', lease, 1)).toBe(false)
    }
    expect(locks.regionSizes()).toEqual(
      new Map([
        ['a', 2],
        ['a:b', 1],
      ]),
    )
  })

  it('drops an expired lock when its key is released or acquired', () => {
    const locks = new LockTable()
    locks.acquire('k', 'r', 'A', lease, 0)
    // The lease ran out: the owner no longer holds it, and nothing is left behind.
    expect(locks.release('k', 'r', 'B', lease)).toBe(false)
    expect(locks.size).toBe(0)
    expect(locks.regionSizes().size).toBe(0)
    locks.acquire('k', 'r', 'A', lease, 0)
    expect(locks.release('k', 'r', 'A', lease)).toBe(false)
    expect(locks.size).toBe(0)
    locks.acquire('j', undefined, 'A', lease, 0)
    expect(locks.acquire('j', undefined, 'B', lease, lease)).toBe(true)
    expect(locks.size).toBe(1)
  })

  it('sweeps expired locks of keys nobody touches again, so they cannot pile up', () => {
    const locks = new LockTable()
    for (let index = 0; index < 10_000; index++) {
      locks.acquire(`key-${index}`, index % 2 === 0 ? undefined : 'r', 'A', lease, index)
    }
    // At most the last 1000 are alive at any time; a sweep runs whenever the
    // table has doubled since the last one (and at 1024 locks at the least).
    expect(locks.size).toBeLessThanOrEqual(2_048)
    // Much later every one of them has expired: new locks push them out.
    for (let index = 0; index < 5_000; index++) {
      locks.acquire(`late-${index}`, undefined, 'A', lease, 100_000)
    }
    expect(locks.size).toBe(5_000)
    expect(locks.regionSizes().size).toBe(0)
  })

  it('rejects bad arguments with typed errors naming what was expected', () => {
    const locks = new LockTable()
    const cases: [() => unknown, string, RegExp][] = [
      [() => locks.acquire('', undefined, 'A', lease, 0), 'E_INVALID_KEY', /Invalid key: got ""/],
      [() => locks.acquire('k', '', 'A', lease, 0), 'E_INVALID_KEY', /Invalid region: got ""/],
      [() => locks.release(1 as never, undefined, 'A', 0), 'E_INVALID_KEY', /got number 1/],
      [() => locks.acquire('k', undefined, '', lease, 0), 'E_INVALID_OPTION', /Invalid owner/],
      [() => locks.release('k', undefined, null as never, 0), 'E_INVALID_OPTION', /got null/],
    ]
    for (const leaseMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      cases.push([
        () => locks.acquire('k', undefined, 'A', leaseMs as never, 0),
        'E_INVALID_OPTION',
        /Invalid leaseMs: got .*, expected a positive integer number of milliseconds/,
      ])
    }
    for (const [attempt, code, message] of cases) {
      const failure = failureOf(attempt)
      expect(CacheplaneError.hasCode(failure, code as never), String(failure)).toBe(true)
      expect((failure as Error).message).toMatch(message)
    }
    expect(locks.size).toBe(0)
  })
})
