import { memoryHandle } from '@cacheplane/memory'
import { describe, expect, it } from 'vitest'
import { createFleet, fleetUp, waitFor } from '../test/support.js'
import { createCache } from './cache.js'
import type { CacheHandle } from './handle.js'

describe('update', () => {
  it('reads, computes and stores; undefined when absent', async () => {
    const cache = createCache<number>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 10 }), memoryHandle({ maxEntries: 10 })],
    })
    expect(await cache.update('n', (current) => (current ?? 0) + 1)).toBe(1)
    expect(await cache.update('n', (current) => (current ?? 0) + 1)).toBe(2)
    expect(await cache.get('n')).toBe(2)
  })

  it('100 concurrent increments lose none', async () => {
    const cache = createCache<number>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 10 }), memoryHandle({ maxEntries: 10 })],
    })
    await cache.set('n', 0)
    await Promise.all(
      Array.from({ length: 100 }, () =>
        cache.update(
          'n',
          async (current) => {
            await new Promise((resolve) => setImmediate(resolve))
            return (current ?? 0) + 1
          },
          { maxRetries: 1_000, retryDelay: 1, timeout: '20s' },
        ),
      ),
    )
    expect(await cache.get('n')).toBe(100)
  })

  it('gives up with E_UPDATE_CONFLICT when retries run out, and the timeout really applies', async () => {
    const source = memoryHandle({ maxEntries: 10 })
    const cache = createCache<number>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 10 }), source],
    })
    await cache.set('n', 0)
    // Another writer changes the key between every read and write of ours.
    const meddle = async (current: number | undefined) => {
      source.set('n', undefined, { ...source.get('n', undefined)!, version: 0 })
      return (current ?? 0) + 1
    }
    await expect(cache.update('n', meddle, { maxRetries: 3, retryDelay: 1 })).rejects.toMatchObject(
      {
        code: 'E_UPDATE_CONFLICT',
        message: expect.stringContaining('after 4 attempts'),
      },
    )
    const started = Date.now()
    await expect(
      cache.update('n', meddle, { maxRetries: 1_000_000, retryDelay: 5, timeout: 200 }),
    ).rejects.toMatchObject({ code: 'E_UPDATE_CONFLICT' })
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('errors of the updater pass through untouched; bad options are typed', async () => {
    const cache = createCache<number>({ name: 'x', handles: [memoryHandle({ maxEntries: 10 })] })
    const failure = new Error('no stock')
    await expect(
      cache.update('n', () => {
        throw failure
      }),
    ).rejects.toBe(failure)
    await expect(cache.update('n', (n) => n ?? 0, { maxRetries: -1 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    })
    await expect(cache.update('n', 5 as never)).rejects.toMatchObject({ code: 'E_INVALID_OPTION' })
  })

  it('a source without compare-and-set says so', async () => {
    const inner = memoryHandle({ maxEntries: 10 })
    const noCas: CacheHandle = {
      specificationVersion: 'v1',
      kind: 'plain',
      capabilities: { ...inner.capabilities, cas: false },
      attach: (context) => inner.attach(context),
      get: (key, region) => inner.get(key, region),
      set: (key, region, entry) => inner.set(key, region, entry),
      add: (key, region, entry) => inner.add(key, region, entry),
      delete: (key, region) => inner.delete(key, region),
      expire: (key, region, now) => inner.expire(key, region, now),
      clear: () => inner.clear(),
      clearRegion: (region) => inner.clearRegion(region),
      close: () => inner.close(),
    }
    const cache = createCache<number>({ name: 'x', handles: [noCas] })
    await expect(cache.update('n', () => 1)).rejects.toMatchObject({ code: 'E_UNSUPPORTED' })
  })

  it('publishes one invalidation on success, which the others apply', async () => {
    const fleet = createFleet<number>(2)
    try {
      await fleetUp(fleet as never)
      const [a, b] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
      await a.set('stock', 10)
      expect(await b.get('stock')).toBe(10)
      await a.update('stock', (stock) => (stock ?? 0) - 1)
      await waitFor(() => b.peek('stock') === undefined, 'b evicted')
      expect(await b.get('stock')).toBe(9)
    } finally {
      await fleet.close()
    }
  })
})
