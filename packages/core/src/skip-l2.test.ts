import { memoryHandle } from '@cacheplane/memory'
import { describe, expect, it } from 'vitest'
import { controllableHandle, createFleet, fleetUp, waitFor } from '../test/support.js'
import { createCache } from './cache.js'

describe('skipL2', () => {
  function twoLevel() {
    const l2 = controllableHandle(memoryHandle({ maxEntries: 100 }))
    const cache = createCache<string>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 100 }), l2.handle],
    })
    return { cache, l2 }
  }

  it('set, get, getOrSet and delete never touch the L2', async () => {
    const { cache, l2 } = twoLevel()
    l2.control.failing = true
    await cache.set('k', 'local', { skipL2: true })
    expect(await cache.get('k', { skipL2: true })).toBe('local')
    expect(await cache.get('missing', { skipL2: true })).toBeUndefined()
    expect(await cache.getOrSet('j', () => 'computed', { skipL2: true })).toBe('computed')
    expect(cache.peek('j')).toBe('computed')
    expect(await cache.delete('k', { skipL2: true })).toBe(true)
    expect(cache.peek('k')).toBeUndefined()
    expect(l2.control.reads).toBe(0)
  })

  it('a skipL2 write tells no other instance', async () => {
    const fleet = createFleet<string>(2)
    try {
      await fleetUp(fleet as never)
      const [a, b] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
      await a.set('k', 'shared')
      expect(await b.get('k')).toBe('shared')
      await a.set('k', 'mine only', { skipL2: true })
      await a.set('marker', 'm')
      await waitFor(async () => (await b.get('marker')) === 'm', 'b heard a later frame')
      expect(b.peek('k')).toBe('shared')
      expect(a.peek('k')).toBe('mine only')
    } finally {
      await fleet.close()
    }
  })
})

describe('skipL2 versions', () => {
  it('a local-only value never outranks an invalidation from the source', async () => {
    const fleet = createFleet<string>(2)
    try {
      await fleetUp(fleet as never)
      const [a, b] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
      // Make b's L1 version counter run far ahead of the source's versions.
      for (let index = 0; index < 20; index++) await b.set('k', `local ${index}`, { skipL2: true })
      await a.set('k', 'from a')
      await waitFor(() => b.peek('k') === undefined, 'b drops its local-only value')
      expect(await b.get('k')).toBe('from a')
    } finally {
      await fleet.close()
    }
  })
})
