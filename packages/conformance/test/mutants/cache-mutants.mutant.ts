import { createCache } from '@cacheplane/core'
import { ReferenceStore, referenceHandle } from '../../examples/reference-handle.js'
import { ReferenceBus, ReferenceTransport } from '../../examples/reference-transport.js'
import { describeCacheConformance } from '../../src/index.js'

const store = new ReferenceStore()
const bus = new ReferenceBus()

describeCacheConformance({
  name: 'mutant C2: a backplane that delivers nothing',
  createNode: ({ cacheName, wrapL2 }) => {
    const inner = new ReferenceTransport(bus)
    const cache = createCache({
      name: cacheName,
      handles: [referenceHandle(), wrapL2(referenceHandle({ distributed: true, store }))],
      backplane: {
        specificationVersion: 'v1',
        kind: 'deaf',
        connect: (channel, listener) =>
          inner.connect(channel, {
            onStatus: (status) => listener.onStatus(status),
            onFrame: () => {},
          }),
        publish: (frame) => inner.publish(frame),
        close: () => inner.close(),
      },
    })
    return { cache }
  },
  propagationTimeout: 300,
  only: ['invalidation'],
})

describeCacheConformance({
  name: 'mutant C10: the L2 is not passed through wrapL2',
  createNode: ({ cacheName, wrapTransport }) => {
    const cache = createCache({
      name: cacheName,
      handles: [referenceHandle(), referenceHandle({ distributed: true, store })],
      backplane: wrapTransport(new ReferenceTransport(bus)),
    })
    return { cache }
  },
  only: ['race'],
})
