// A process that creates caches (memory L1, Redis L2, Redis backplane), uses
// them, closes them and quits its clients, many times over; then reports its
// heap and what is still open, and ends by itself. The parent (hygiene test)
// times its exit: anything left open (a socket, a timer, a listener on a
// client) would keep it alive.
//
// node --expose-gc src/hygiene-child.mjs <adapter> <host> <port> <warmup cycles> <cycles>
//
// Two measures of leaks: every cache and client of every cycle must be
// garbage-collected (weak references to them all are checked), and the heap
// must not grow between the first and the second half of the cycles (the first
// half absorbs V8 compiling hot code, which is not a leak).
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { loadAdapter } from './adapters.mjs'
import { backplaneTimings } from './settings.mjs'

const [adapterName, host, port, warmup, cycles] = process.argv.slice(2)
const adapter = await loadAdapter(adapterName)
const target = { kind: 'standalone', host, port: Number(port) }
const created = []

async function cycle(index) {
  const client = await adapter.connect(target)
  const caches = ['hygiene-a', 'hygiene-b'].map((name) =>
    createCache({
      name,
      handles: [memoryHandle({ maxEntries: 1_000 }), adapter.handle(client)],
      backplane: adapter.backplane(client),
      backplaneOptions: backplaneTimings,
    }),
  )
  for (const cache of caches) {
    cache.on('error', () => {})
    cache.on('entrySet', () => {})
  }
  await Promise.all(caches.map((cache) => cache.ready()))
  const [first, second] = caches
  for (let key = 0; key < 20; key++) {
    await first.set(`key:${key}`, { cycle: index, padding: 'x'.repeat(200) })
    await second.getOrSet(`key:${key}`, () => ({ cycle: index }))
    first.peek(`key:${key}`)
    await first.get(`key:${key}`)
  }
  await Promise.all(caches.map((cache) => cache.close()))
  await adapter.quit(client)
  created.push(new WeakRef(client), ...caches.map((cache) => new WeakRef(cache)))
}

/** Collects garbage; weak references are cleared only once the current job has ended. */
async function heapUsed() {
  for (let round = 0; round < 3; round++) {
    globalThis.gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

for (let index = 0; index < Number(warmup); index++) await cycle(index)
const heapAfterWarmup = await heapUsed()
const half = Math.floor(Number(cycles) / 2)
for (let index = 0; index < half; index++) await cycle(index)
const heapAtHalf = await heapUsed()
for (let index = half; index < Number(cycles); index++) await cycle(index)
// A socket that was ended leaves the list a few turns of the event loop later;
// one still there after a second is left open.
const settledBy = Date.now() + 1_000
const open = () => process.getActiveResourcesInfo().filter((kind) => kind !== 'PipeWrap')
while (open().length > 0 && Date.now() < settledBy) {
  await new Promise((resolve) => setTimeout(resolve, 10))
}
const heapAtEnd = await heapUsed()
const retained = created.filter((reference) => reference.deref() !== undefined).length
process.stdout.write(
  `${JSON.stringify({
    heapAfterWarmup,
    heapAtHalf,
    heapAtEnd,
    created: created.length,
    retained,
    cycles: Number(cycles),
    resources: open(),
  })}\n`,
)
