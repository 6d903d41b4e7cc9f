import { afterEach, describe, expect, it, vi } from 'vitest'
import { coarseNow } from './clock.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('coarseNow', () => {
  it('reads the clock at most once per millisecond within one run', () => {
    const first = coarseNow()
    expect(Math.abs(first - Date.now())).toBeLessThanOrEqual(5)
    const spy = vi.spyOn(Date, 'now')
    for (let index = 0; index < 1_000; index++) coarseNow()
    expect(spy).not.toHaveBeenCalled()
    spy.mockRestore()
  })

  it('moves on after a millisecond', async () => {
    const first = coarseNow()
    const started = Date.now()
    while (Date.now() - started < 3) await new Promise((resolve) => setTimeout(resolve, 1))
    expect(coarseNow()).toBeGreaterThan(first)
  })

  it('follows fake timers as soon as they are installed, and as they advance', () => {
    coarseNow()
    vi.useFakeTimers({ now: 5_000 })
    expect(coarseNow()).toBe(5_000)
    vi.advanceTimersByTime(10_000)
    expect(coarseNow()).toBe(15_000)
  })
})
