import {
  describeCacheConformance,
  describeHandleConformance,
  describeTransportConformance,
  type HandleInspector,
} from '@cacheplane/conformance'
import { type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { entryKeyOf } from '@cacheplane/redis-shared'
import { afterAll, beforeAll } from 'vitest'
import { redisBackplane, redisHandle } from '../src/index.js'
import { type Client, connect, disconnect } from './support.js'

let server: RedisTestServer
let client: Client

beforeAll(async () => {
  server = await startRedis()
  client = await connect(server)
})

afterAll(async () => {
  disconnect(client)
  await server?.stop()
})

const inspect: HandleInspector = {
  async ttl(key, region, { cacheName }) {
    const ttl = await client.pTTL(entryKeyOf({ prefix: 'cacheplane', cacheName }, key, region))
    if (ttl === -2) return undefined
    return ttl === -1 ? Number.POSITIVE_INFINITY : ttl
  },
}

describeHandleConformance({
  name: 'redis (node-redis, standalone)',
  create: () => ({ handle: redisHandle({ client }) }),
  inspect,
})

for (const mode of ['pubsub', 'sharded'] as const) {
  describeTransportConformance({
    name: `redis ${mode} (node-redis, standalone)`,
    create: () => ({ transport: redisBackplane({ client, mode }) }),
    faults: {
      cut: () => server.killClients('pubsub'),
      // The backplane makes a new subscriber connection by itself.
      restore: () => {},
    },
  })
}

describeCacheConformance({
  name: 'node-redis standalone + memory L1',
  createNode: async ({ cacheName, wrapL2, wrapTransport }) => {
    const cache = createCache({
      name: cacheName,
      handles: [memoryHandle(), wrapL2(redisHandle({ client }))],
      backplane: wrapTransport(redisBackplane({ client })),
    })
    // Redis pub/sub delivers only to subscribers: a node counts once it listens.
    await cache.ready()
    return { cache }
  },
})
