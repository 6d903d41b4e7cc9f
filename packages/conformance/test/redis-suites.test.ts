import { createCache } from '@cacheplane/core'
import { afterAll, beforeAll } from 'vitest'
import { ReferenceStore, referenceHandle } from '../examples/reference-handle.js'
import { describeCacheConformance, describeTransportConformance } from '../src/index.js'
import { startRedis } from '../src/redis.js'
import type { RedisTestServer } from '../src/servers/types.js'
import { RespTransport } from './fixtures/resp-transport.js'

// The transport and cache suites over a real Redis server and real sockets,
// so that their timing, byte and resource checks are proven on more than an
// in-process bus.
let server: RedisTestServer
beforeAll(async () => {
  server = await startRedis({ strategy: 'process' })
})
afterAll(() => server.stop())

describeTransportConformance({
  name: 'RESP pub/sub on redis-server',
  create: () => ({ transport: new RespTransport(server) }),
  faults: {
    cut: () => server.killClients('pubsub'),
    restore: () => {}, // the transport resubscribes by itself
  },
})

const store = new ReferenceStore()
describeCacheConformance({
  name: 'reference L2, RESP pub/sub on redis-server',
  createNode: ({ cacheName, wrapL2, wrapTransport }) => {
    const cache = createCache({
      name: cacheName,
      handles: [referenceHandle(), wrapL2(referenceHandle({ distributed: true, store }))],
      backplane: wrapTransport(new RespTransport(server)),
    })
    return { cache }
  },
  skip: ['protocol'],
})
