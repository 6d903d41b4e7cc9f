import { describeCacheConformance } from '@cacheplane/conformance'
import { type CacheHandle, createCache } from '@cacheplane/core'
import {
  createMemoryBus,
  type MemoryTransport,
  memoryHandle,
  memoryTransport,
} from '../src/index.js'

// Several cache instances in one process: own L1s, one shared in-process L2
// per cache name, one bus.
const bus = createMemoryBus()
const sharedL2s = new Map<string, CacheHandle>()

describeCacheConformance({
  name: 'memory',
  createNode: ({ cacheName, wrapL2 }) => {
    let l2 = sharedL2s.get(cacheName)
    if (l2 === undefined) {
      l2 = memoryHandle({ backplaneSource: true })
      sharedL2s.set(cacheName, l2)
    }
    const transport: MemoryTransport = memoryTransport({ bus })
    const cache = createCache({
      name: cacheName,
      handles: [memoryHandle(), wrapL2(l2)],
      backplane: transport,
      backplaneOptions: { heartbeatInterval: 50 },
    })
    return {
      cache,
      faults: {
        cut: () => transport.disconnect('cut by the conformance suite'),
        restore: () => transport.reconnect(),
      },
    }
  },
})
