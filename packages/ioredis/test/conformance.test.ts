import {
  describeCacheConformance,
  describeHandleConformance,
  describeTransportConformance,
  type HandleInspector,
} from '@cacheplane/conformance'
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { type Cache, createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { entryKeyOf } from '@cacheplane/redis-shared'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { redisBackplane, redisHandle } from '../src/index.js'
import { connect } from './support.js'

let server: RedisTestServer
let client: Redis

beforeAll(async () => {
  server = await startRedis()
  client = connect(server)
})

afterAll(async () => {
  client?.disconnect()
  await server?.stop()
})

function backplaneUp(cache: Cache): Promise<unknown> {
  return pollUntil(() => cache.stats().backplane?.state === 'up', {
    timeout: 5_000,
    description: 'the backplane to be subscribed',
  })
}

const inspect: HandleInspector = {
  async ttl(key, region, { cacheName }) {
    const ttl = await client.pttl(entryKeyOf({ prefix: 'cacheplane', cacheName }, key, region))
    if (ttl === -2) return undefined
    return ttl === -1 ? Number.POSITIVE_INFINITY : ttl
  },
}

describeHandleConformance({
  name: 'redis (ioredis, standalone)',
  create: () => ({ handle: redisHandle({ client }) }),
  inspect,
})

for (const mode of ['pubsub', 'sharded'] as const) {
  describeTransportConformance({
    name: `redis ${mode} (ioredis, standalone)`,
    create: () => ({ transport: redisBackplane({ client, mode }) }),
    faults: {
      cut: () => server.killClients('pubsub'),
      // ioredis reconnects and the backplane subscribes again by itself.
      restore: () => {},
    },
  })
}

describeCacheConformance({
  name: 'ioredis standalone + memory L1',
  createNode: async ({ cacheName, wrapL2, wrapTransport }) => {
    const cache = createCache({
      name: cacheName,
      handles: [memoryHandle(), wrapL2(redisHandle({ client }))],
      backplane: wrapTransport(redisBackplane({ client })),
    })
    // Redis pub/sub delivers only to subscribers: a node counts once it listens.
    await backplaneUp(cache)
    return { cache }
  },
})
