import { describe, expect, it } from 'vitest'
import { seededRandom } from './chaos.js'
import { CompactLru, type CompactLruOptions } from './compact-lru.js'

interface Item {
  readonly name: string
}

function item(name: string): Item {
  return { name }
}

function lru(options: Partial<CompactLruOptions<string, Item>> = {}) {
  const evicted: string[] = []
  const cache = new CompactLru<string, Item>({
    maxEntries: 3,
    onEvict: (key, value) => evicted.push(`${key}=${value.name}`),
    ...options,
  })
  return { cache, evicted }
}

/** Keys from the most to the least recently used. */
function order<K, V>(cache: CompactLru<K, V>): K[] {
  return [...cache.entries()].map(([key]) => key)
}

function fill(cache: CompactLru<string, Item>, keys: readonly string[]): void {
  for (const key of keys) cache.set(key, item(key))
}

describe('CompactLru', () => {
  it('keeps keys from the most to the least recently set', () => {
    const { cache } = lru()
    fill(cache, ['a', 'b', 'c'])
    expect(order(cache)).toEqual(['c', 'b', 'a'])
    expect(cache.size).toBe(3)
    expect([...cache.entries()]).toEqual([
      ['c', { name: 'c' }],
      ['b', { name: 'b' }],
      ['a', { name: 'a' }],
    ])
  })

  it('get promotes to the most recently used; peek does not', () => {
    const { cache } = lru()
    fill(cache, ['a', 'b', 'c'])
    expect(cache.peek('a')).toEqual({ name: 'a' })
    expect(order(cache)).toEqual(['c', 'b', 'a'])
    expect(cache.get('a')).toEqual({ name: 'a' })
    expect(order(cache)).toEqual(['a', 'c', 'b'])
    expect(cache.get('c')).toEqual({ name: 'c' })
    expect(order(cache)).toEqual(['c', 'a', 'b'])
    expect(cache.get('c')).toEqual({ name: 'c' })
    expect(order(cache)).toEqual(['c', 'a', 'b'])
    expect(cache.get('missing')).toBeUndefined()
    expect(cache.peek('missing')).toBeUndefined()
  })

  it('evicts the least recently used entry at maxEntries and reports it', () => {
    const { cache, evicted } = lru()
    fill(cache, ['a', 'b', 'c'])
    cache.get('a')
    cache.peek('b')
    cache.set('d', item('d'))
    expect(order(cache)).toEqual(['d', 'a', 'c'])
    expect(evicted).toEqual(['b=b'])
    expect(cache.get('b')).toBeUndefined()
    cache.set('e', item('e'))
    expect(evicted).toEqual(['b=b', 'c=c'])
    expect(cache.size).toBe(3)
  })

  it('holds a single entry at maxEntries 1', () => {
    const { cache, evicted } = lru({ maxEntries: 1 })
    fill(cache, ['a', 'b'])
    expect(order(cache)).toEqual(['b'])
    expect(evicted).toEqual(['a=a'])
    expect(cache.get('b')).toEqual({ name: 'b' })
  })

  it('re-set of a key replaces its value in place, promotes it and evicts nothing', () => {
    const { cache, evicted } = lru()
    fill(cache, ['a', 'b', 'c'])
    const replacement = item('a2')
    expect(cache.set('a', replacement)).toBe(true)
    expect(cache.peek('a')).toBe(replacement)
    expect(order(cache)).toEqual(['a', 'c', 'b'])
    expect(cache.size).toBe(3)
    expect(evicted).toEqual([])
    cache.set('c', item('c2'))
    expect(order(cache)).toEqual(['c', 'a', 'b'])
  })

  it.each([
    ['head', 'c', ['b', 'a']],
    ['middle', 'b', ['c', 'a']],
    ['tail', 'a', ['c', 'b']],
  ])('deletes at the %s and keeps the links of the rest', (_place, key, rest) => {
    const { cache, evicted } = lru()
    fill(cache, ['a', 'b', 'c'])
    expect(cache.delete(key)).toBe(true)
    expect(cache.delete(key)).toBe(false)
    expect(order(cache)).toEqual(rest)
    expect(cache.peek(key)).toBeUndefined()
    // The freed slot is reused, and the list still evicts in order.
    fill(cache, ['d', 'e'])
    expect(order(cache)).toEqual(['e', 'd', rest[0]])
    expect(evicted).toEqual([`${rest[1]}=${rest[1]}`])
    expect(evicted).not.toContain(`${key}=${key}`)
  })

  it('deletes the only entry and starts again from empty', () => {
    const { cache } = lru()
    fill(cache, ['a'])
    expect(cache.delete('a')).toBe(true)
    expect(cache.size).toBe(0)
    expect(order(cache)).toEqual([])
    fill(cache, ['b', 'c'])
    expect(order(cache)).toEqual(['c', 'b'])
  })

  it('clear empties it without reporting evictions, and it works afterwards', () => {
    const { cache, evicted } = lru({ maxBytes: 10 })
    cache.set('a', item('a'), 4)
    cache.set('b', item('b'), 4)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.bytes).toBe(0)
    expect(cache.get('a')).toBeUndefined()
    expect(order(cache)).toEqual([])
    cache.set('c', item('c'), 6)
    cache.set('d', item('d'), 4)
    expect(order(cache)).toEqual(['d', 'c'])
    expect(cache.bytes).toBe(10)
    expect(evicted).toEqual([])
  })

  it('grows its slot arrays past the initial capacity without losing order', () => {
    const cache = new CompactLru<number, number>({ maxEntries: 100 })
    for (let key = 0; key < 100; key++) cache.set(key, key * 10)
    cache.get(0)
    expect(order(cache).slice(0, 3)).toEqual([0, 99, 98])
    expect(order(cache).at(-1)).toBe(1)
    cache.set(100, 1_000)
    expect(cache.peek(1)).toBeUndefined()
    expect(cache.get(50)).toBe(500)
  })

  describe('byte budget', () => {
    it('evicts from the least recently used end until the sizes fit', () => {
      const { cache, evicted } = lru({ maxEntries: 10, maxBytes: 10 })
      cache.set('a', item('a'), 4)
      cache.set('b', item('b'), 4)
      cache.get('a')
      expect(cache.bytes).toBe(8)
      cache.set('c', item('c'), 5)
      expect(evicted).toEqual(['b=b'])
      expect(order(cache)).toEqual(['c', 'a'])
      expect(cache.bytes).toBe(9)
      cache.set('d', item('d'), 10)
      expect(evicted).toEqual(['b=b', 'a=a', 'c=c'])
      expect(order(cache)).toEqual(['d'])
      expect(cache.bytes).toBe(10)
    })

    it('counts a re-set with its new size', () => {
      const { cache, evicted } = lru({ maxEntries: 10, maxBytes: 10 })
      cache.set('a', item('a'), 3)
      cache.set('b', item('b'), 3)
      cache.set('a', item('a2'), 7)
      expect(cache.bytes).toBe(10)
      expect(evicted).toEqual([])
      cache.set('a', item('a3'), 8)
      expect(evicted).toEqual(['b=b'])
      expect(cache.bytes).toBe(8)
      cache.set('a', item('a4'), 1)
      expect(cache.bytes).toBe(1)
    })

    it('does not keep an entry larger than maxBytes and deletes what its key held', () => {
      const { cache, evicted } = lru({ maxEntries: 10, maxBytes: 10 })
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
      const { cache } = lru({ maxEntries: 10, maxBytes: 10 })
      cache.set('a', item('a'), 6)
      cache.delete('a')
      expect(cache.bytes).toBe(0)
      cache.set('b', item('b'), 10)
      expect(order(cache)).toEqual(['b'])
    })

    it('applies maxEntries too', () => {
      const { cache, evicted } = lru({ maxEntries: 2, maxBytes: 100 })
      cache.set('a', item('a'), 1)
      cache.set('b', item('b'), 1)
      cache.set('c', item('c'), 1)
      expect(evicted).toEqual(['a=a'])
      expect(cache.bytes).toBe(2)
    })
  })

  it('stores the values as given, adding nothing to them', () => {
    const { cache } = lru()
    const value = Object.freeze(item('frozen'))
    cache.set('a', value)
    expect(cache.get('a')).toBe(value)
    expect(Object.keys(value)).toEqual(['name'])
  })

  it('matches a reference model over 100k seeded random operations', () => {
    const maxEntries = 64
    const maxBytes = 400
    const random = seededRandom(9)
    const evicted: string[] = []
    const cache = new CompactLru<string, number>({
      maxEntries,
      maxBytes,
      onEvict: (key) => evicted.push(key),
    })
    // The reference: a Map's insertion order is the recency order (oldest first).
    const model = new Map<string, { value: number; size: number }>()
    let modelBytes = 0
    let refused = 0
    const modelEvicted: string[] = []
    const touch = (key: string) => {
      const stored = model.get(key)
      if (stored === undefined) return undefined
      model.delete(key)
      model.set(key, stored)
      return stored.value
    }
    const modelDelete = (key: string) => {
      const stored = model.get(key)
      if (stored === undefined) return false
      model.delete(key)
      modelBytes -= stored.size
      return true
    }
    const modelEvict = () => {
      const [oldest] = model.keys()
      modelDelete(oldest!)
      modelEvicted.push(oldest!)
    }

    for (let operation = 0; operation < 100_000; operation++) {
      const key = `k${Math.floor(random() * 100)}`
      const choice = random()
      if (choice < 0.35) {
        expect(cache.get(key)).toBe(touch(key))
      } else if (choice < 0.5) {
        expect(cache.peek(key)).toBe(model.get(key)?.value)
      } else if (choice < 0.85) {
        const size = random() < 0.01 ? maxBytes + 1 : 1 + Math.floor(random() * 40)
        const kept = cache.set(key, operation, size)
        if (size > maxBytes) {
          modelDelete(key)
        } else {
          if (!model.has(key) && model.size >= maxEntries) modelEvict()
          modelDelete(key)
          model.set(key, { value: operation, size })
          modelBytes += size
          while (modelBytes > maxBytes) modelEvict()
        }
        expect(kept).toBe(size <= maxBytes)
        if (!kept) refused++
      } else if (choice < 0.99) {
        expect(cache.delete(key)).toBe(modelDelete(key))
      } else {
        cache.clear()
        model.clear()
        modelBytes = 0
      }
      expect(cache.size).toBe(model.size)
      expect(cache.bytes).toBe(modelBytes)
      if (operation % 1_000 === 0) {
        expect([...cache.entries()]).toEqual(
          [...model].reverse().map(([modelKey, stored]) => [modelKey, stored.value]),
        )
      }
    }
    expect(evicted).toEqual(modelEvicted)
    expect(evicted.length).toBeGreaterThan(1_000)
    expect(refused).toBeGreaterThan(100)
  })

  it('matches the model without a byte budget, at maxEntries, over 100k operations', () => {
    const random = seededRandom(2024)
    const cache = new CompactLru<number, number>({ maxEntries: 50 })
    const model = new Map<number, number>()
    for (let operation = 0; operation < 100_000; operation++) {
      const key = Math.floor(random() * 80)
      const choice = random()
      if (choice < 0.5) {
        const value = model.get(key)
        if (value !== undefined) {
          model.delete(key)
          model.set(key, value)
        }
        expect(cache.get(key)).toBe(value)
      } else if (choice < 0.9) {
        cache.set(key, operation)
        if (!model.has(key) && model.size >= 50) model.delete(model.keys().next().value!)
        model.delete(key)
        model.set(key, operation)
      } else {
        expect(cache.delete(key)).toBe(model.delete(key))
      }
    }
    expect([...cache.entries()]).toEqual([...model].reverse())
  })
})
