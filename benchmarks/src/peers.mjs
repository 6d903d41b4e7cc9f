// The peers, each configured the way its documentation sets up an in-process
// L1 and a Redis L2, behind one small interface so that every measure treats
// them alike:
//   get(key) -> Promise<value | undefined>, set(key, value), getOrSet(key, factory),
//   peek?(key) (a synchronous L1 read where the peer has one), close().
import KeyvRedis from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Cacheable, CacheableMemory } from 'cacheable'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'
import { Loader, RedisCache } from 'layered-loader'

const ttlMs = 3_600_000

/**
 * @typedef {object} PeerCache
 * @property {(key: string) => Promise<unknown>} get
 * @property {(key: string, value: unknown) => Promise<unknown>} set
 * @property {(key: string, factory: () => Promise<unknown>) => Promise<unknown>} getOrSet
 * @property {(key: string) => unknown} [peek]
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} PeerOptions
 * @property {string} namespace Unique per cache and run (goes into Redis keys).
 * @property {number} maxEntries L1 size.
 * @property {string} [url] Redis, for the layers that need it.
 * @property {'memory' | 'redis' | 'both'} layers L1 only, L2 only, or L1 in front of L2.
 */

/**
 * @typedef {object} Peer
 * @property {string} name
 * @property {string} packageName Whose version RESULTS.md names.
 * @property {string} setup One line: how it is configured.
 * @property {(options: PeerOptions) => Promise<PeerCache>} create
 */

function ioredisFor(url) {
  const client = new Redis(url)
  client.on('error', () => {})
  return client
}

/** @param {{ serialize: boolean }} options */
function bentocachePeer({ serialize }) {
  return {
    name: serialize ? 'bentocache' : 'bentocache (serialize: false)',
    packageName: 'bentocache',
    setup: `bentostore().useL1Layer(memoryDriver({ maxItems${serialize ? '' : ', serialize: false'} })).useL2Layer(redisDriver(...))`,
    async create({ namespace, maxEntries, url, layers }) {
      let store = bentostore()
      if (layers !== 'redis')
        store = store.useL1Layer(memoryDriver({ maxItems: maxEntries, serialize }))
      if (layers !== 'memory') {
        const { hostname, port } = new URL(url)
        store = store.useL2Layer(
          redisDriver({ connection: { host: hostname, port: Number(port) } }),
        )
      }
      const bento = new BentoCache({ default: 'store', prefix: namespace, stores: { store } })
      return {
        get: (key) => bento.get({ key }),
        set: (key, value) => bento.set({ key, value, ttl: ttlMs }),
        getOrSet: (key, factory) => bento.getOrSet({ key, factory, ttl: ttlMs }),
        close: () => bento.disconnectAll(),
      }
    },
  }
}

const cacheManagerPeer = {
  name: 'cache-manager',
  packageName: 'cache-manager',
  setup:
    'createCache({ stores: [new Keyv({ store: new CacheableMemory({ lruSize }) }), new Keyv({ store: new KeyvRedis(url) })] })',
  async create({ namespace, maxEntries, url, layers }) {
    const stores = []
    if (layers !== 'redis') {
      stores.push(new Keyv({ store: new CacheableMemory({ lruSize: maxEntries }), namespace }))
    }
    if (layers !== 'memory') stores.push(new Keyv({ store: new KeyvRedis(url), namespace }))
    const cache = createCacheManager({ stores, ttl: ttlMs })
    return {
      get: (key) => cache.get(key),
      set: (key, value) => cache.set(key, value, ttlMs),
      getOrSet: (key, factory) => cache.wrap(key, factory, ttlMs),
      close: async () => {
        await cache.disconnect()
      },
    }
  },
}

const cacheablePeer = {
  name: 'cacheable',
  packageName: 'cacheable',
  setup:
    'new Cacheable({ primary: new Keyv({ store: new CacheableMemory({ lruSize }) }), secondary: new Keyv({ store: new KeyvRedis(url) }) })',
  async create({ namespace, maxEntries, url, layers }) {
    const memory = () => new Keyv({ store: new CacheableMemory({ lruSize: maxEntries }) })
    const redis = () => new Keyv({ store: new KeyvRedis(url), namespace })
    const options =
      layers === 'memory'
        ? { primary: memory() }
        : layers === 'redis'
          ? { primary: redis() }
          : { primary: memory(), secondary: redis() }
    const cache = new Cacheable({ ...options, namespace, ttl: ttlMs })
    return {
      get: (key) => cache.get(key),
      set: (key, value) => cache.set(key, value, ttlMs),
      getOrSet: (key, factory) => cache.getOrSet(key, factory, { ttl: ttlMs }),
      close: () => cache.disconnect(),
    }
  },
}

const layeredLoaderPeer = {
  name: 'layered-loader',
  packageName: 'layered-loader',
  setup:
    "new Loader({ inMemoryCache: { cacheType: 'lru-object', maxItems }, asyncCache: new RedisCache(ioredis), dataSources })",
  async create({ namespace, maxEntries, url, layers }) {
    let client
    // The factory of getOrSet: layered-loader loads through data sources fixed at
    // construction, so the data source calls the factory registered for the key.
    const factories = new Map()
    const config = {
      dataSources: [
        {
          name: 'factory',
          get: (key) => {
            const factory = factories.get(key)
            return factory === undefined ? Promise.resolve(undefined) : factory()
          },
          getMany: async () => [],
        },
      ],
    }
    if (layers !== 'redis') {
      config.inMemoryCache = { cacheType: 'lru-object', maxItems: maxEntries, ttlInMsecs: ttlMs }
    }
    if (layers !== 'memory') {
      client = ioredisFor(url)
      config.asyncCache = new RedisCache(client, {
        prefix: namespace,
        json: true,
        ttlInMsecs: ttlMs,
      })
    }
    const loader = new Loader(config)
    return {
      get: (key) => loader.get(key),
      set: (key, value) => loader.forceSetValue(key, value),
      getOrSet: (key, factory) => {
        factories.set(key, factory)
        return loader.get(key)
      },
      peek: layers === 'redis' ? undefined : (key) => loader.getInMemoryOnly(key),
      close: async () => {
        await client?.quit()
      },
    }
  },
}

/** @type {Peer[]} */
export const peers = [
  bentocachePeer({ serialize: true }),
  bentocachePeer({ serialize: false }),
  cacheManagerPeer,
  cacheablePeer,
  layeredLoaderPeer,
]
