import { describeTransportConformance } from '@cacheplane/conformance'
import { createMemoryBus, type MemoryTransport, memoryTransport } from '../src/index.js'

const bus = createMemoryBus()

describeTransportConformance({
  name: 'memory',
  create: () => ({ transport: memoryTransport({ bus }) }),
  faults: {
    cut: (transport) => (transport as MemoryTransport).disconnect('cut by the conformance suite'),
    restore: (transport) => (transport as MemoryTransport).reconnect(),
  },
})

// Delay and reorder-free chaos must still honour the contract (order per publisher, no loss).
describeTransportConformance({
  name: 'memory (delayed)',
  create: () => ({ transport: memoryTransport({ bus, chaos: { delay: { min: 0, max: 5 } } }) }),
  skip: ['faults'],
})
