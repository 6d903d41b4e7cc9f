import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { describe, expect, it } from 'vitest'
import { controllableHandle } from './support.js'

describe('an L1 that answers with promises', () => {
  it('serves hits through the slow path, never mistaking the promise for an entry', async () => {
    const { handle: asyncTop } = controllableHandle(memoryHandle())
    const cache = createCache<string>({ name: 'async-l1', handles: [asyncTop, memoryHandle()] })
    try {
      await cache.set('k', 'v', { tags: ['t'] })
      expect(await cache.get('k')).toBe('v')
      expect(await cache.has('k')).toBe(true)
      expect(await cache.getOrSet('k', () => 'factory')).toBe('v')
      expect(cache.stats().factoryCalls).toBe(0)
      // peek is synchronous: a promise from L1 is no answer.
      expect(cache.peek('k')).toBeUndefined()
      expect(cache.stats().handles[0]!.hits).toBeGreaterThanOrEqual(3)
      await cache.invalidateTags(['t'])
      expect(await cache.get('k')).toBeUndefined()
    } finally {
      await cache.close()
    }
  })

  it('works as the only handle (the source answers with promises)', async () => {
    const { handle: source } = controllableHandle(memoryHandle())
    const cache = createCache<string>({ name: 'async-only', handles: [source] })
    try {
      expect(await cache.get('k')).toBeUndefined()
      await cache.set('k', 'v')
      expect(await cache.get('k')).toBe('v')
      expect(await cache.getOrSet('k', () => 'factory')).toBe('v')
      expect(cache.stats().factoryCalls).toBe(0)
    } finally {
      await cache.close()
    }
  })
})
