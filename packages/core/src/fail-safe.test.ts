import { memoryHandle } from '@cacheplane/memory'
import { describe, expect, it } from 'vitest'
import { controllableHandle, createFleet, fleetUp, nextEvent, waitFor } from '../test/support.js'
import { createCache } from './cache.js'
import type { CacheEvents } from './events.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A promise the test settles when it chooses: a factory that answers only when told. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

function twoLevel() {
  const l2 = controllableHandle(memoryHandle({ maxEntries: 100 }))
  const cache = createCache<string>({
    name: 'x',
    handles: [memoryHandle({ maxEntries: 100 }), l2.handle],
  })
  return { cache, l2 }
}

/** A cache whose L1 copy of "k" is marked stale (a reconnect) while the L2 no longer has it. */
async function suspectL1() {
  const fleet = createFleet<string>(1)
  await fleetUp(fleet as never)
  const cache = fleet.caches[0]!
  await cache.set('k', 'old', { ttl: '1h', grace: '1h' })
  fleet.shared.delete('k', undefined)
  const recovered = nextEvent(cache, 'backplaneRecovered')
  fleet.transports[0]!.disconnect('test')
  fleet.transports[0]!.reconnect()
  await recovered
  return { fleet, cache }
}

describe('stale-while-revalidate', () => {
  it('serves the aged value at once and refreshes it once in the background', async () => {
    const { cache } = twoLevel()
    await cache.set('k', 'v1', { ttl: 30, grace: '1h' })
    await sleep(40)
    let calls = 0
    const served: CacheEvents['staleServed'][] = []
    cache.on('staleServed', (event) => served.push(event))
    const factory = async () => {
      calls++
      await sleep(20)
      return 'v2'
    }
    const results = await Promise.all(
      Array.from({ length: 50 }, () => cache.getOrSet('k', factory, { ttl: '1h', grace: '1h' })),
    )
    expect(new Set(results)).toEqual(new Set(['v1']))
    expect(served[0]).toEqual({ key: 'k', region: undefined, reason: 'refreshing' })
    await waitFor(async () => (await cache.get('k')) === 'v2', 'the refresh lands')
    expect(calls).toBe(1)
    expect(cache.stats().staleServed).toBeGreaterThan(0)
  })

  it('a failing background refresh keeps the stale value and reports the error', async () => {
    const { cache } = twoLevel()
    await cache.set('k', 'v1', { ttl: 20, grace: '1h' })
    await sleep(30)
    const error = nextEvent(cache, 'error')
    expect(
      await cache.getOrSet('k', () => {
        throw new Error('database down')
      }),
    ).toBe('v1')
    await error
    expect(await cache.getOrSet('k', () => 'v2')).toBe('v1')
  })

  it('without grace there is nothing stale: the factory runs in the foreground', async () => {
    const { cache } = twoLevel()
    await cache.set('k', 'v1', { ttl: 20 })
    await sleep(30)
    expect(await cache.getOrSet('k', () => 'v2')).toBe('v2')
  })
})

describe('fail-safe', () => {
  it('an unreachable L2 serves the value within grace from L1, for get and getOrSet', async () => {
    const { cache, l2 } = twoLevel()
    await cache.set('k', 'v1', { ttl: 20, grace: '1h' })
    await sleep(30)
    l2.control.failing = true
    const served = nextEvent(cache, 'staleServed') as Promise<CacheEvents['staleServed']>
    expect(await cache.get('k')).toBe('v1')
    expect((await served).reason).toBe('l2Unavailable')
    expect(await cache.getOrSet('k', () => 'never')).toBe('v1')
    await expect(cache.get('other')).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' })
  })

  it('an unreachable L2 with nothing stale: getOrSet answers from the factory, uncached', async () => {
    const { cache, l2 } = twoLevel()
    l2.control.failing = true
    const errors: unknown[] = []
    cache.on('error', (error) => errors.push(error))
    expect(await cache.getOrSet('k', () => 'computed')).toBe('computed')
    expect(errors).toHaveLength(1)
    expect(cache.peek('k')).toBeUndefined()
  })

  it('a failing factory serves a suspect stale value instead of the error', async () => {
    const { fleet, cache } = await suspectL1()
    try {
      const served = nextEvent(cache, 'staleServed') as Promise<CacheEvents['staleServed']>
      expect(
        await cache.getOrSet('k', () => {
          throw new Error('database down')
        }),
      ).toBe('old')
      expect((await served).reason).toBe('factoryFailed')
    } finally {
      await fleet.close()
    }
  })
})

describe('factory timeouts', () => {
  it('soft timeout: the stale value after the soft wait; the late result is stored', async () => {
    const { fleet, cache } = await suspectL1()
    try {
      const answer = gate()
      const value = await cache.getOrSet(
        'k',
        async () => {
          await answer.opened
          return 'late'
        },
        { softTimeout: 20 },
      )
      expect(value).toBe('old')
      answer.open()
      await waitFor(async () => (await cache.get('k')) === 'late', 'the late result is stored')
    } finally {
      await fleet.close()
    }
  })

  it('hard timeout without a stale value: E_FACTORY_TIMEOUT; the late result is stored', async () => {
    const { cache } = twoLevel()
    let calls = 0
    const answer = gate()
    const slow = async () => {
      calls++
      await answer.opened
      return 'late'
    }
    await expect(cache.getOrSet('k', slow, { hardTimeout: 20 })).rejects.toMatchObject({
      code: 'E_FACTORY_TIMEOUT',
    })
    answer.open()
    await waitFor(async () => (await cache.get('k')) === 'late', 'the late result is stored')
    expect(calls).toBe(1)
  })

  it('a factory faster than the timeouts is used as is, and bad timeouts are typed errors', async () => {
    const { cache } = twoLevel()
    expect(
      await cache.getOrSet('k', () => 'quick', { softTimeout: 1_000, hardTimeout: 2_000 }),
    ).toBe('quick')
    await expect(
      cache.getOrSet('j', () => 'x', { hardTimeout: 'soon' as never }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    })
  })
})
