import { memoryHandle } from '@cacheplane/memory'
import { describe, expect, it } from 'vitest'
import { controllableHandle, nextEvent, waitFor } from '../test/support.js'
import { createCache } from './cache.js'
import { CircuitBreaker } from './circuit-breaker.js'

describe('CircuitBreaker', () => {
  it('opens after the threshold, probes once after the break, closes on success', () => {
    const changes: boolean[] = []
    const breaker = new CircuitBreaker(3, 100, (open) => changes.push(open))
    for (let index = 0; index < 2; index++) breaker.failure(0)
    expect(breaker.allow(0)).toBe(true)
    breaker.failure(0)
    expect(changes).toEqual([true])
    expect(breaker.allow(50)).toBe(false)
    expect(breaker.allow(100)).toBe(true)
    expect(breaker.allow(100), 'only one probe at a time').toBe(false)
    breaker.failure(100)
    expect(breaker.allow(150)).toBe(false)
    expect(breaker.allow(200)).toBe(true)
    breaker.success()
    expect(changes).toEqual([true, false])
    expect(breaker.allow(200)).toBe(true)
  })

  it('a success resets the count', () => {
    const breaker = new CircuitBreaker(2, 100, () => {})
    breaker.failure(0)
    breaker.success()
    breaker.failure(0)
    expect(breaker.isOpen).toBe(false)
  })
})

describe('the cache with a failing L2', () => {
  it('stops calling it, serves from L1 meanwhile, and closes when it answers again', async () => {
    const l2 = controllableHandle(memoryHandle({ maxEntries: 100 }))
    const cache = createCache<string>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 100 }), l2.handle],
      circuitBreaker: { failures: 3, breakDuration: 50 },
    })
    await cache.set('k', 'v1', { ttl: 1, grace: '1h' })
    await waitFor(() => cache.peek('k') === undefined, 'k ages past its ttl')
    l2.control.failing = true
    const opened = nextEvent(cache, 'circuitOpened')
    for (let index = 0; index < 3; index++) {
      await expect(cache.get('missing')).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' })
    }
    expect(await opened).toMatchObject({ failures: 3 })
    const readsWhenOpened = l2.control.reads
    await expect(cache.get('missing')).rejects.toMatchObject({
      code: 'E_L2_UNAVAILABLE',
      message: expect.stringContaining('circuit breaker'),
    })
    expect(await cache.get('k'), 'fail-safe from L1').toBe('v1')
    expect(l2.control.reads).toBe(readsWhenOpened)
    l2.control.failing = false
    const closed = nextEvent(cache, 'circuitClosed')
    await waitFor(
      async () => (await cache.get('missing').catch(() => 'failed')) === undefined,
      'a probe gets through',
    )
    await closed
  })

  it('the breaker can be turned off, and bad settings are typed errors', async () => {
    const l2 = controllableHandle(memoryHandle({ maxEntries: 100 }))
    const cache = createCache<unknown>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 100 }), l2.handle],
      circuitBreaker: false,
    })
    l2.control.failing = true
    for (let index = 0; index < 10; index++) {
      await expect(cache.get('k')).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' })
    }
    expect(l2.control.reads).toBe(10)
    expect(() =>
      createCache({
        name: 'x',
        handles: [memoryHandle({ maxEntries: 1 })],
        circuitBreaker: { failures: 0 },
      }),
    ).toThrow(/circuitBreaker.failures/)
  })
})
