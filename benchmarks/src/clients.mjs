// The Redis clients the benchmarks know, each with its raw baseline operations
// and the cacheplane adapter built on it. Adding an adapter is one entry here:
// every Redis measure (L2 hit, propagation, backplane throughput, stampede)
// picks it up.
import { Redis } from 'ioredis'
import { createClient } from 'redis'

/**
 * @typedef {object} RawClient
 * @property {(key: string) => Promise<unknown>} get
 * @property {(key: string, value: string) => Promise<unknown>} set
 * @property {(channel: string, message: string) => Promise<unknown>} publish
 * @property {(key: string, value: string, channel: string, message: string) => Promise<unknown>} setAndPublish
 *   One script call that SETs the key, then PUBLISHes: the floor of a write that announces itself.
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} CacheplaneAdapter
 * @property {(options: { client: unknown }) => import('@cacheplane/core').CacheHandle} redisHandle
 * @property {(options: { client: unknown }) => import('@cacheplane/core').BackplaneTransport} redisBackplane
 */

/**
 * @typedef {object} ClientEntry
 * @property {string} id Used in task names: 'ioredis', 'node-redis'.
 * @property {string} clientPackage The npm package of the client (its version goes into RESULTS.md).
 * @property {string} adapterPackage The cacheplane adapter package.
 * @property {(url: string) => Promise<{ native: unknown, raw: RawClient }>} connect
 * @property {(url: string, channel: string, onMessage: (message: string) => void) => Promise<{ close: () => Promise<void> }>} subscribe
 * @property {() => Promise<CacheplaneAdapter>} adapter Rejects when the adapter is not built or not there yet.
 */

const setAndPublishScript =
  "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('PUBLISH', ARGV[2], ARGV[3])"

/** @type {ClientEntry[]} */
export const clients = [
  {
    id: 'ioredis',
    clientPackage: 'ioredis',
    adapterPackage: '@cacheplane/ioredis',
    async connect(url) {
      const client = new Redis(url, { lazyConnect: true })
      client.on('error', () => {})
      await client.connect()
      return {
        native: client,
        raw: {
          get: (key) => client.get(key),
          set: (key, value) => client.set(key, value),
          publish: (channel, message) => client.publish(channel, message),
          setAndPublish: (key, value, channel, message) =>
            client.eval(setAndPublishScript, 1, key, value, channel, message),
          close: async () => {
            await client.quit()
          },
        },
      }
    },
    async subscribe(url, channel, onMessage) {
      const subscriber = new Redis(url, { lazyConnect: true })
      subscriber.on('error', () => {})
      await subscriber.connect()
      subscriber.on('message', (_channel, message) => onMessage(message))
      await subscriber.subscribe(channel)
      return {
        close: async () => {
          await subscriber.quit()
        },
      }
    },
    adapter: () => loadAdapter('@cacheplane/ioredis'),
  },
  {
    id: 'node-redis',
    clientPackage: 'redis',
    adapterPackage: '@cacheplane/node-redis',
    async connect(url) {
      const client = createClient({ url })
      client.on('error', () => {})
      await client.connect()
      return {
        native: client,
        raw: {
          get: (key) => client.get(key),
          set: (key, value) => client.set(key, value),
          publish: (channel, message) => client.publish(channel, message),
          setAndPublish: (key, value, channel, message) =>
            client.eval(setAndPublishScript, { keys: [key], arguments: [value, channel, message] }),
          close: () => client.close(),
        },
      }
    },
    async subscribe(url, channel, onMessage) {
      const subscriber = createClient({ url })
      subscriber.on('error', () => {})
      await subscriber.connect()
      await subscriber.subscribe(channel, (message) => onMessage(message))
      return { close: () => subscriber.close() }
    },
    adapter: () => loadAdapter('@cacheplane/node-redis'),
  },
]

async function loadAdapter(name) {
  let module
  try {
    module = await import(name)
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND') throw new Error(`${name} is not built (no dist/)`)
    throw error
  }
  if (typeof module.redisHandle !== 'function' || typeof module.redisBackplane !== 'function') {
    throw new Error(`${name} does not export redisHandle and redisBackplane yet`)
  }
  return module
}

/**
 * The clients whose cacheplane adapter loads, with the adapter; the others
 * with the reason (reported in RESULTS.md, so a missing adapter is visible).
 */
export async function availableAdapters() {
  const available = []
  const missing = []
  for (const entry of clients) {
    try {
      available.push({ entry, adapter: await entry.adapter() })
    } catch (error) {
      missing.push({ entry, reason: error instanceof Error ? error.message : String(error) })
    }
  }
  return { available, missing }
}
