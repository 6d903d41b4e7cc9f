// One system's memory per entry, in a fresh process started with --expose-gc:
//   node --expose-gc memory-child.mjs <system> <entries>
// Prints one JSON line: { keyValueBytes, cacheBytes } per entry. Keys and
// values are built first (their size measured on its own), then the cache is
// created and filled; its delta is what the cache adds on top of them.
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { LRUCache } from 'lru-cache'
import { peers } from '../peers.mjs'
import { nullSourceHandle, productValue } from '../systems.mjs'

const [systemName, entriesArgument] = process.argv.slice(2)
const entries = Number(entriesArgument)
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')

function used() {
  for (let pass = 0; pass < 4; pass++) globalThis.gc()
  const usage = process.memoryUsage()
  // lru-cache keeps its index in typed arrays, whose backing stores live outside the JS heap.
  return usage.heapUsed + usage.arrayBuffers
}

const systems = {
  'Map (raw)': () => {
    const map = new Map()
    return { set: (key, value) => map.set(key, value), keep: map }
  },
  'lru-cache (raw)': () => {
    const lru = new LRUCache({ max: entries })
    return { set: (key, value) => lru.set(key, value), keep: lru }
  },
  'cacheplane L1': () => {
    // A source that stores nothing stands in for Redis: only L1 is counted.
    const cache = createCache({
      name: 'memory',
      handles: [memoryHandle({ maxEntries: entries }), nullSourceHandle()],
      defaults: { ttl: '1h' },
    })
    return { set: (key, value) => cache.set(key, value), keep: cache }
  },
}
for (const peer of peers) {
  systems[peer.name] = async () => {
    const cache = await peer.create({ namespace: 'memory', maxEntries: entries, layers: 'memory' })
    return { set: (key, value) => cache.set(key, value), keep: cache }
  }
}

const create = systems[systemName]
if (create === undefined) throw new Error(`unknown system ${systemName}`)

const empty = used()
const keys = Array.from({ length: entries }, (_, index) => `product:${index}`)
const values = keys.map((_, index) => productValue(index))
const withData = used()
const system = await create()
for (let index = 0; index < entries; index++) await system.set(keys[index], values[index])
const filled = used()
// Keep everything reachable until after the last reading.
globalThis.keep = [keys, values, system.keep]
console.log(
  JSON.stringify({
    keyValueBytes: (withData - empty) / entries,
    cacheBytes: (filled - withData) / entries,
  }),
)
process.exit(0)
