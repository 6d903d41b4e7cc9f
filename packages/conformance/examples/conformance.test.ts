import {
  describeCacheConformance,
  describeHandleConformance,
  describeTransportConformance,
} from '@cacheplane/conformance'
import { createCache } from '@cacheplane/core'
import { type ReferenceHandle, ReferenceStore, referenceHandle } from './reference-handle.js'
import { ReferenceBus, ReferenceTransport } from './reference-transport.js'

// Stand-ins for your Redis server: every handle and transport below shares them.
const store = new ReferenceStore()
const bus = new ReferenceBus()

describeHandleConformance({
  name: 'reference handle',
  create: () => ({ handle: referenceHandle({ distributed: true, store }) }),
  inspect: {
    ttl: async (key, region, { handle }) => (handle as ReferenceHandle).physicalTtl(key, region),
  },
})

describeTransportConformance({
  name: 'reference transport',
  create: () => ({ transport: new ReferenceTransport(bus) }),
  faults: {
    cut: (transport) => (transport as ReferenceTransport).cut(),
    restore: (transport) => (transport as ReferenceTransport).restore(),
  },
})

describeCacheConformance({
  name: 'reference handle and transport',
  createNode: ({ cacheName, wrapL2, wrapTransport }) => {
    const cache = createCache({
      name: cacheName,
      handles: [referenceHandle(), wrapL2(referenceHandle({ distributed: true, store }))],
      backplane: wrapTransport(new ReferenceTransport(bus)),
    })
    return { cache }
  },
})
