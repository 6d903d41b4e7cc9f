// The timed loops for one store. lru.mjs imports this module once per store
// (with a different `?store=` query, so each import is a module of its own):
// every loop and the hit path then see a single store class, as they would in
// the handle, instead of one call site shared by all stores (megamorphic,
// which would slow them all down alike and hide the difference).

/**
 * @param {{ create: (maxEntries: number) => any, entry: (index: number) => object, keyCount: number }} options
 */
export function storeTasks({ create, entry, keyCount }) {
  const keys = Array.from({ length: keyCount }, (_, index) => `product:${index}`)
  // The L1 benchmark's capacity: twice the hot keys.
  const hot = create(keyCount * 2)
  for (let index = 0; index < keyCount; index++) hot.set(keys[index], entry(index))

  // Two sets of entries used in turns, pass by pass: a links-on-entry node can
  // be stored once at a time, so a replacement needs another object.
  const replacing = create(keyCount * 2)
  const pools = [0, 1].map(() => keys.map((_, index) => entry(index)))
  for (let index = 0; index < keyCount; index++) replacing.set(keys[index], pools[1][index])
  let replaced = 0

  // Twice as many keys as room: every set inserts and evicts one.
  const evicting = create(keyCount)
  const evictKeys = Array.from({ length: keyCount * 2 }, (_, index) => `other:${index}`)
  const evictEntries = evictKeys.map((_, index) => entry(index))
  let inserted = 0

  const path = new HitPath(hot)
  let misses = 0
  return {
    get(operations) {
      for (let index = 0; index < operations; index++) {
        if (hot.get(keys[index % keyCount]) === undefined) misses++
      }
    },
    peek(operations) {
      for (let index = 0; index < operations; index++) {
        if (hot.peek(keys[index % keyCount]) === undefined) misses++
      }
    },
    setReplace(operations) {
      for (let index = 0; index < operations; index++, replaced++) {
        const slot = replaced % keyCount
        replacing.set(keys[slot], pools[Math.floor(replaced / keyCount) & 1][slot])
      }
    },
    setEvict(operations) {
      for (let index = 0; index < operations; index++, inserted++) {
        const slot = inserted % evictKeys.length
        evicting.set(evictKeys[slot], evictEntries[slot])
      }
    },
    hitPath(operations) {
      for (let index = 0; index < operations; index++) {
        if (path.peek(keys[index % keyCount]) === undefined) misses++
      }
    },
    misses: () => misses,
  }
}

/**
 * The shape of an L1 hit today: core's `peek` → `readTop` (in a try/catch) →
 * the handle's `get` → `#read` → the store's `get`, with the handle's expiry
 * check. Stands in for the calls around the store, whose depth is what stops
 * lru-cache's `get` from being inlined.
 */
class HitPath {
  #store
  hits = 0
  /** Core reads a coarse clock once per turn and passes it down. */
  #now = Date.now()

  constructor(store) {
    this.#store = store
  }

  peek(key) {
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('bad key')
    const entry = this.#readTop(key)
    if (entry === undefined || entry.generation !== 0) return undefined
    this.hits++
    return entry.value
  }

  #readTop(key) {
    try {
      return this.get(key, undefined, this.#now)
    } catch {
      return undefined
    }
  }

  get(key, region, now) {
    if (region === undefined) return this.#read(key, now)
    return undefined
  }

  #read(key, now) {
    const entry = this.#store.get(key)
    if (entry === undefined) return undefined
    if (entry.staleUntil === Number.POSITIVE_INFINITY && entry.sliding <= 0) return entry
    const time = now ?? Date.now()
    if (time >= entry.staleUntil) {
      this.#store.delete(key)
      return undefined
    }
    return entry
  }
}
