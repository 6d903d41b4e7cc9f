// How the benchmarks build cacheplane: the deployment the design describes
// (memory L1 in front of a Redis L2, Redis backplane), per Redis adapter.
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'

/**
 * A cache as a user deploys it. Returns the cache, its L1 handle (so a measure
 * can empty L1 alone) and a `close` that also closes the client.
 *
 * @param {object} options
 * @param {string} options.name
 * @param {{ entry: import('./clients.mjs').ClientEntry, adapter: import('./clients.mjs').CacheplaneAdapter }} options.redis
 * @param {string} options.url
 * @param {number} [options.maxEntries]
 * @param {boolean} [options.l1] With a memory L1 (default true).
 * @param {boolean} [options.backplane] With the Redis backplane (default true).
 * @param {object} [options.backplaneOptions]
 */
export async function cacheplaneOnRedis({
  name,
  redis,
  url,
  maxEntries = 10_000,
  l1 = true,
  backplane = true,
  backplaneOptions,
}) {
  const { native, raw } = await redis.entry.connect(url)
  const l1Handle = l1 ? memoryHandle({ maxEntries }) : undefined
  const handles = [...(l1Handle ? [l1Handle] : []), redis.adapter.redisHandle({ client: native })]
  const cache = createCache({
    name,
    handles,
    ...(backplane ? { backplane: redis.adapter.redisBackplane({ client: native }) } : {}),
    ...(backplaneOptions ? { backplaneOptions } : {}),
    defaults: { ttl: '1h' },
  })
  if (backplane) await waitUntilUp(cache)
  return {
    cache,
    l1: l1Handle,
    client: native,
    async close() {
      await cache.close()
      await raw.close()
    },
  }
}

/** Waits (bounded) for the backplane to be subscribed, so measures start on a live channel. */
export async function waitUntilUp(cache, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (cache.stats().backplane?.state !== 'up') {
    if (Date.now() > deadline) throw new Error(`cache ${cache.name}: backplane not up`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * A source handle that stores nothing: it stands in for Redis where a measure
 * wants L1 alone (memory per entry), without a second copy in an in-process L2.
 * @returns {import('@cacheplane/core').CacheHandle}
 */
export function nullSourceHandle() {
  let version = 0
  return {
    specificationVersion: 'v1',
    kind: 'null',
    capabilities: { distributed: true, ttlPrecision: 1, cas: false, batch: false },
    attach() {},
    get: () => undefined,
    set: () => ++version,
    add: () => ++version,
    delete: () => false,
    expire: () => false,
    clear() {},
    clearRegion() {},
    close() {},
  }
}

/** A product-like value, the same shape for every system. */
export function productValue(index) {
  return { id: index, name: `Kettle ${index}`, price: 30 + (index % 70), stock: index % 13 }
}
