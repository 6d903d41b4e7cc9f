import { describeHandleConformance, type HandleInspector } from '@cacheplane/conformance'
import { type MemoryHandle, memoryHandle } from '../src/index.js'

// Physical expiry is lazy: an entry is unreachable from its staleUntil on.
const inspect: HandleInspector = {
  ttl: async (key, region, { handle }) => {
    const entry = (handle as MemoryHandle).peek(key, region)
    if (entry === undefined) return undefined
    return entry.staleUntil === Number.POSITIVE_INFINITY
      ? entry.staleUntil
      : entry.staleUntil - Date.now()
  },
}

describeHandleConformance({
  name: 'memory',
  create: () => ({ handle: memoryHandle() }),
  inspect,
})

describeHandleConformance({
  name: 'memory (maxBytes)',
  create: () => ({ handle: memoryHandle({ maxBytes: 64 * 1024 * 1024 }) }),
  inspect,
})
