// A short tour of cacheplane in one process: two instances of one app share an
// L2 and a backplane (the in-process ones from @cacheplane/memory), and one
// instance's writes evict the other's L1. Run with `npm run demo`.
import { createCache } from '@cacheplane/core'
import { createMemoryBus, memoryHandle, memoryTransport } from '@cacheplane/memory'

const quiet = process.argv.includes('--quiet')
const say = (message) => {
  if (!quiet) console.log(message)
}

const bus = createMemoryBus()
const sharedL2 = memoryHandle({ maxEntries: 1_000 })
const instance = (id) =>
  createCache({
    name: 'products',
    handles: [memoryHandle({ maxEntries: 100 }), sharedL2],
    backplane: memoryTransport({ bus }),
    backplaneOptions: { instanceId: id },
    defaults: { ttl: '10m' },
  })

const a = instance('instance-a')
const b = instance('instance-b')
const until = async (condition, what) => {
  const deadline = Date.now() + 2_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}
await until(
  () => a.stats().backplane.state === 'up' && b.stats().backplane.state === 'up',
  'backplanes',
)
say('Two instances (a, b) of the "products" cache: memory L1 each, one shared L2, one backplane.\n')

let loads = 0
const loadFromDatabase = async () => {
  loads++
  await new Promise((resolve) => setTimeout(resolve, 20))
  return { id: 1, name: 'Kettle', price: 30 }
}

let started = performance.now()
const first = await a.getOrSet('p:1', loadFromDatabase)
say(
  `a.getOrSet('p:1')  -> ${JSON.stringify(first)}  (factory ran, ${(performance.now() - started).toFixed(1)} ms)`,
)
started = performance.now()
const fromL2 = await b.get('p:1')
say(
  `b.get('p:1')       -> price ${fromL2.price}  (L1 miss, L2 hit, ${(performance.now() - started).toFixed(2)} ms)`,
)
started = performance.now()
await b.get('p:1')
say(
  `b.get('p:1')       -> price ${b.peek('p:1').price}  (L1 hit, ${((performance.now() - started) * 1000).toFixed(0)} µs)`,
)

started = performance.now()
await a.set('p:1', { ...first, price: 25 })
await until(() => b.peek('p:1') === undefined, "b's L1 eviction")
say(
  `\na.set('p:1', price 25): b's L1 copy evicted by the backplane in ${(performance.now() - started).toFixed(2)} ms`,
)
say(`b.get('p:1')       -> price ${(await b.get('p:1')).price}  (fresh from L2)`)

await a.clearRegion('catalog')
const stats = b.stats()
say(
  `\nfactory calls: ${loads}; b: L1 ${stats.handles[0].hits} hits / ${stats.handles[0].misses} misses, ` +
    `L2 ${stats.handles[1].hits} hits; frames received by b: ${stats.backplane.framesReceived}`,
)

await Promise.all([a.close(), b.close()])
if (loads !== 1 || stats.handles[0].hits < 1) {
  console.error('The tour did not go as expected.')
  process.exit(1)
}
say('\nDone. The Redis-backed multi-process demo comes with apps/demo (see its README).')
