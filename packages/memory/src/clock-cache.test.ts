import { describe, expect, it } from 'vitest'
import { seededRandom } from './chaos.js'
import { ClockCache, type ClockCacheOptions } from './clock-cache.js'

interface Item {
  readonly name: string
}

function item(name: string): Item {
  return { name }
}

function clock(options: Partial<ClockCacheOptions<string, Item>> = {}) {
  const evicted: string[] = []
  const cache = new ClockCache<string, Item>({
    maxEntries: 3,
    onEvict: (key, value) => evicted.push(`${key}=${value.name}`),
    ...options,
  })
  return { cache, evicted }
}

/** Keys in the order the hand will reach them. */
function order<K, V>(cache: ClockCache<K, V>): K[] {
  return [...cache.entries()].map(([key]) => key)
}

function fill(cache: ClockCache<string, Item>, keys: readonly string[]): void {
  for (const key of keys) cache.set(key, item(key))
}

describe('ClockCache', () => {
  it('evicts unread entries in the order they were set, each new one behind the hand', () => {
    const { cache, evicted } = clock()
    fill(cache, ['a', 'b', 'c'])
    expect(order(cache)).toEqual(['a', 'b', 'c'])
    expect([...cache.entries()]).toEqual([
      ['a', { name: 'a' }],
      ['b', { name: 'b' }],
      ['c', { name: 'c' }],
    ])
    fill(cache, ['d', 'e'])
    expect(evicted).toEqual(['a=a', 'b=b'])
    expect(order(cache)).toEqual(['c', 'd', 'e'])
    expect(cache.size).toBe(3)
  })

  it('spares an entry read since the hand passed for one sweep, and evicts an unread one first', () => {
    const { cache, evicted } = clock()
    fill(cache, ['a', 'b', 'c'])
    expect(cache.get('a')).toEqual({ name: 'a' })
    cache.set('d', item('d'))
    expect(evicted).toEqual(['b=b'])
    expect(order(cache)).toEqual(['c', 'a', 'd'])
    cache.set('e', item('e'))
    expect(evicted).toEqual(['b=b', 'c=c'])
    // The sweep that spared `a` cleared its mark; not read since, it goes next.
    cache.set('f', item('f'))
    expect(evicted).toEqual(['b=b', 'c=c', 'a=a'])
    expect(order(cache)).toEqual(['d', 'e', 'f'])
  })

  it('peek does not mark an entry as read', () => {
    const { cache, evicted } = clock()
    fill(cache, ['a', 'b', 'c'])
    expect(cache.peek('a')).toEqual({ name: 'a' })
    cache.set('d', item('d'))
    expect(evicted).toEqual(['a=a'])
    expect(cache.get('missing')).toBeUndefined()
    expect(cache.peek('missing')).toBeUndefined()
  })

  it('when every entry was read, clears every mark in one round and evicts at the hand', () => {
    const { cache, evicted } = clock()
    fill(cache, ['a', 'b', 'c'])
    for (const key of ['c', 'a', 'b']) cache.get(key)
    cache.set('d', item('d'))
    expect(evicted).toEqual(['a=a'])
    cache.set('e', item('e'))
    expect(evicted).toEqual(['a=a', 'b=b'])
  })

  it('re-set of a key replaces its value in its slot and keeps its mark: only reads count', () => {
    const { cache, evicted } = clock()
    fill(cache, ['a', 'b', 'c'])
    cache.get('a')
    const replacement = item('a2')
    expect(cache.set('a', replacement)).toBe(true)
    expect(cache.set('b', item('b2'))).toBe(true)
    expect(cache.peek('a')).toBe(replacement)
    expect(order(cache)).toEqual(['a', 'b', 'c'])
    expect(cache.size).toBe(3)
    expect(evicted).toEqual([])
    // `a` is still marked by its read; the replaced `b` was never read.
    cache.set('d', item('d'))
    expect(evicted).toEqual(['b=b2'])
  })

  it('holds a single entry at maxEntries 1', () => {
    const { cache, evicted } = clock({ maxEntries: 1 })
    fill(cache, ['a', 'b'])
    expect(evicted).toEqual(['a=a'])
    expect(cache.get('b')).toEqual({ name: 'b' })
    // Read or not, the only entry goes: the hand clears its mark and comes round to it.
    cache.set('c', item('c'))
    expect(evicted).toEqual(['a=a', 'b=b'])
    expect(order(cache)).toEqual(['c'])
    cache.set('c', item('c2'))
    expect(evicted).toEqual(['a=a', 'b=b'])
    expect(cache.delete('c')).toBe(true)
    fill(cache, ['d'])
    expect(order(cache)).toEqual(['d'])
  })

  it('delete frees the slot, and a new key takes it without evicting', () => {
    const { cache, evicted } = clock()
    fill(cache, ['a', 'b', 'c'])
    expect(cache.delete('b')).toBe(true)
    expect(cache.delete('b')).toBe(false)
    expect(cache.peek('b')).toBeUndefined()
    expect(order(cache)).toEqual(['a', 'c'])
    cache.set('d', item('d'))
    expect(evicted).toEqual([])
    expect(order(cache)).toEqual(['a', 'd', 'c'])
    cache.set('e', item('e'))
    expect(evicted).toEqual(['a=a'])
  })

  it('the hand skips free slots and the entry being set', () => {
    const { cache, evicted } = clock({ maxEntries: 10, maxBytes: 10 })
    for (const key of ['a', 'b', 'c', 'd']) cache.set(key, item(key), 2)
    cache.delete('a')
    cache.delete('b')
    // `f` takes b's slot (the last freed); a's slot stays free, at the hand.
    cache.set('f', item('f'), 8)
    expect(evicted).toEqual(['c=c'])
    expect(order(cache)).toEqual(['d', 'f'])
    expect(cache.bytes).toBe(10)
  })

  it('deletes the only entry and starts again from empty', () => {
    const { cache } = clock()
    fill(cache, ['a'])
    expect(cache.delete('a')).toBe(true)
    expect(cache.size).toBe(0)
    expect(order(cache)).toEqual([])
    fill(cache, ['b', 'c'])
    expect(order(cache)).toEqual(['b', 'c'])
  })

  it('clear empties it without reporting evictions, and it works afterwards', () => {
    const { cache, evicted } = clock({ maxBytes: 10 })
    cache.set('a', item('a'), 4)
    cache.set('b', item('b'), 4)
    cache.get('a')
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
    expect(cache.get('a')).toBeUndefined()
    expect(order(cache)).toEqual([])
    cache.set('c', item('c'), 6)
    cache.set('d', item('d'), 4)
    expect(order(cache)).toEqual(['c', 'd'])
    expect(cache.bytes).toBe(10)
    cache.set('e', item('e'), 1)
    expect(evicted).toEqual(['c=c'])
  })

  it('grows its slot arrays past the initial capacity and keeps the marks', () => {
    const cache = new ClockCache<number, number>({ maxEntries: 100 })
    for (let key = 0; key < 100; key++) cache.set(key, key * 10)
    cache.get(0)
    cache.set(100, 1_000)
    expect(cache.peek(1)).toBeUndefined()
    expect(cache.peek(0)).toBe(0)
    // From the hand on: 2 to 99, then 0 (spared), then 100 in the slot 1 left.
    const expected = [...Array.from({ length: 98 }, (_, index) => index + 2), 0, 100]
    expect(order(cache)).toEqual(expected)
    expect(cache.get(50)).toBe(500)
  })

  describe('byte budget', () => {
    it('sweeps until the sizes fit, sparing entries read since the hand passed once', () => {
      const { cache, evicted } = clock({ maxEntries: 10, maxBytes: 10 })
      cache.set('a', item('a'), 4)
      cache.set('b', item('b'), 4)
      cache.get('a')
      expect(cache.bytes).toBe(8)
      cache.set('c', item('c'), 5)
      expect(evicted).toEqual(['b=b'])
      expect(order(cache)).toEqual(['c', 'a'])
      expect(cache.bytes).toBe(9)
      cache.set('d', item('d'), 10)
      expect(evicted).toEqual(['b=b', 'c=c', 'a=a'])
      expect(order(cache)).toEqual(['d'])
      expect(cache.bytes).toBe(10)
    })

    it('counts a re-set with its new size, and never evicts the entry being set', () => {
      const { cache, evicted } = clock({ maxEntries: 10, maxBytes: 10 })
      cache.set('a', item('a'), 3)
      cache.set('b', item('b'), 3)
      cache.set('a', item('a2'), 7)
      expect(cache.bytes).toBe(10)
      expect(evicted).toEqual([])
      // `a` is unread and at the hand, but it is the one being set.
      cache.set('a', item('a3'), 8)
      expect(evicted).toEqual(['b=b'])
      expect(cache.bytes).toBe(8)
      cache.set('a', item('a4'), 1)
      expect(cache.bytes).toBe(1)
    })

    it('does not keep an entry larger than maxBytes and deletes what its key held', () => {
      const { cache, evicted } = clock({ maxEntries: 10, maxBytes: 10 })
      cache.set('a', item('a'), 4)
      cache.set('b', item('b'), 4)
      expect(cache.set('a', item('huge'), 11)).toBe(false)
      expect(cache.peek('a')).toBeUndefined()
      expect(order(cache)).toEqual(['b'])
      expect(cache.bytes).toBe(4)
      expect(cache.set('c', item('huge'), 11)).toBe(false)
      expect(cache.size).toBe(1)
      expect(evicted).toEqual([])
    })

    it('gives the bytes of a deleted entry back', () => {
      const { cache } = clock({ maxEntries: 10, maxBytes: 10 })
      cache.set('a', item('a'), 6)
      cache.delete('a')
      expect(cache.bytes).toBe(0)
      cache.set('b', item('b'), 10)
      expect(order(cache)).toEqual(['b'])
    })

    it('applies maxEntries too', () => {
      const { cache, evicted } = clock({ maxEntries: 2, maxBytes: 100 })
      cache.set('a', item('a'), 1)
      cache.set('b', item('b'), 1)
      cache.set('c', item('c'), 1)
      expect(evicted).toEqual(['a=a'])
      expect(cache.bytes).toBe(2)
    })
  })

  it('stores the values as given, adding nothing to them', () => {
    const { cache } = clock()
    const value = Object.freeze(item('frozen'))
    cache.set('a', value)
    expect(cache.get('a')).toBe(value)
    expect(Object.keys(value)).toEqual(['name'])
  })

  it.each<[string, number, number, number | undefined]>([
    ['with a byte budget', 9, 64, 400],
    ['at maxEntries only', 2024, 50, undefined],
  ])(
    'matches a reference CLOCK %s over 100k seeded random operations',
    (_name, seed, maxEntries, maxBytes) => {
      const random = seededRandom(seed)
      const evicted: string[] = []
      const cache = new ClockCache<string, number>({
        maxEntries,
        maxBytes,
        onEvict: (key, value) => evicted.push(`${key}=${value}`),
      })
      const model = new ReferenceClock(maxEntries, maxBytes)
      const budget = maxBytes ?? 400
      let refused = 0
      for (let operation = 0; operation < 100_000; operation++) {
        const key = `k${Math.floor(random() * 100)}`
        const choice = random()
        if (choice < 0.35) {
          expect(cache.get(key)).toBe(model.get(key))
        } else if (choice < 0.5) {
          expect(cache.peek(key)).toBe(model.peek(key))
        } else if (choice < 0.85) {
          const size = random() < 0.01 ? budget + 1 : 1 + Math.floor(random() * 40)
          const kept = cache.set(key, operation, size)
          expect(kept).toBe(model.set(key, operation, size))
          if (!kept) refused++
        } else if (choice < 0.99) {
          expect(cache.delete(key)).toBe(model.delete(key))
        } else {
          cache.clear()
          model.clear()
        }
        expect(cache.size).toBe(model.size)
        expect(cache.bytes).toBe(model.bytes)
        if (operation % 1_000 === 0) expect([...cache.entries()]).toEqual(model.entries())
      }
      expect(evicted).toEqual(model.evicted)
      expect(evicted.length).toBeGreaterThan(1_000)
      if (maxBytes !== undefined) expect(refused).toBeGreaterThan(100)
    },
  )
})

interface ReferenceSlot {
  key: string
  value: number
  size: number
  referenced: boolean
}

/**
 * CLOCK written the plain way: an array of slots (a hole where one was
 * freed), a reference bit each, a hand. It picks slots as ClockCache does
 * (the slot freed last, else a new one at the end), since that decides where
 * the hand meets an entry.
 */
class ReferenceClock {
  slots: (ReferenceSlot | undefined)[] = []
  free: number[] = []
  hand = 0
  bytes = 0
  readonly evicted: string[] = []

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number | undefined,
  ) {}

  get size(): number {
    return this.slots.filter((slot) => slot !== undefined).length
  }

  get(key: string): number | undefined {
    const slot = this.slots.find((each) => each?.key === key)
    if (slot === undefined) return undefined
    slot.referenced = true
    return slot.value
  }

  peek(key: string): number | undefined {
    return this.slots.find((each) => each?.key === key)?.value
  }

  set(key: string, value: number, size: number): boolean {
    if (this.maxBytes === undefined) size = 0
    else if (size > this.maxBytes) {
      this.delete(key)
      return false
    }
    let index = this.slots.findIndex((each) => each?.key === key)
    if (index === -1) {
      if (this.size >= this.maxEntries) this.evict(-1)
      index = this.free.pop() ?? this.slots.push(undefined) - 1
      this.slots[index] = { key, value, size, referenced: false }
      this.bytes += size
    } else {
      const slot = this.slots[index]!
      this.bytes += size - slot.size
      slot.value = value
      slot.size = size
    }
    while (this.maxBytes !== undefined && this.bytes > this.maxBytes) this.evict(index)
    return true
  }

  delete(key: string): boolean {
    const index = this.slots.findIndex((each) => each?.key === key)
    if (index === -1) return false
    this.remove(index)
    return true
  }

  clear(): void {
    this.slots = []
    this.free = []
    this.hand = 0
    this.bytes = 0
  }

  entries(): [string, number][] {
    const length = this.slots.length
    const found: [string, number][] = []
    for (let step = 0; step < length; step++) {
      const slot = this.slots[(this.hand + step) % length]
      if (slot !== undefined) found.push([slot.key, slot.value])
    }
    return found
  }

  evict(kept: number): void {
    for (;;) {
      const index = this.hand
      this.hand = (this.hand + 1) % this.slots.length
      const slot = this.slots[index]
      if (slot === undefined || index === kept) continue
      if (slot.referenced) {
        slot.referenced = false
        continue
      }
      this.remove(index)
      this.evicted.push(`${slot.key}=${slot.value}`)
      return
    }
  }

  remove(index: number): void {
    this.bytes -= this.slots[index]!.size
    this.slots[index] = undefined
    this.free.push(index)
  }
}
