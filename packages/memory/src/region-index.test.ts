import { describe, expect, it, vi } from 'vitest'
import { foreverEntry, makeEntry } from '../test/entries.js'
import { seededRandom } from './chaos.js'
import { memoryHandle, regionIndexSizes } from './memory-handle.js'
import type { MemoryHandle } from './memory-handle-types.js'
import { RegionIndex, RegionKey } from './region-index.js'

/** Every string over `alphabet` of length 0 to `maxLength`. */
function allStrings(alphabet: readonly string[], maxLength: number): string[] {
  const strings = ['']
  let previous = ['']
  for (let length = 1; length <= maxLength; length++) {
    previous = previous.flatMap((prefix) => alphabet.map((character) => prefix + character))
    strings.push(...previous)
  }
  return strings
}

describe('RegionIndex', () => {
  it('interns one store key per pair and finds it without creating one', () => {
    const index = new RegionIndex()
    expect(index.find('r', 'k')).toBeUndefined()
    const storeKey = index.intern('r', 'k')
    expect(storeKey).toBeInstanceOf(RegionKey)
    expect(index.intern('r', 'k')).toBe(storeKey)
    expect(index.find('r', 'k')).toBe(storeKey)
    expect(index.intern('r', 'j')).not.toBe(storeKey)
    expect(index.sizes()).toEqual(new Map([['r', 2]]))
  })

  it('forgets a key, drops an emptied region, and ignores keys it no longer holds', () => {
    const index = new RegionIndex()
    const first = index.intern('r', 'k')
    index.forget(first)
    expect(index.sizes().size).toBe(0)
    const second = index.intern('r', 'k')
    index.forget(first)
    expect(index.find('r', 'k')).toBe(second)
  })

  it('hands over the keys of a region and detaches it', () => {
    const index = new RegionIndex()
    const a = index.intern('r', 'a')
    const b = index.intern('r', 'b')
    index.intern('s', 'a')
    expect([...(index.take('r') ?? [])]).toEqual([a, b])
    expect(index.take('r')).toBeUndefined()
    expect(index.sizes()).toEqual(new Map([['s', 1]]))
  })
})

describe('memoryHandle: (region, key) pairs never collide', () => {
  it('keeps the classic look-alikes apart', () => {
    const handle = memoryHandle()
    const pairs: [string | undefined, string][] = [
      ['a', 'b'],
      [undefined, 'a\u0000b'],
      [undefined, 'a:b'],
      [undefined, '1:ab'],
      ['a\u0000', 'b'],
      ['a', '\u0000b'],
      ['', 'ab'],
      [undefined, 'ab'],
      ['ab', ''],
      ['1:a', 'b'],
      ['a:b', ''],
      ['a', ':b'],
    ]
    pairs.forEach(([region, key], index) => {
      handle.set(key, region, foreverEntry(index))
    })
    expect(handle.size).toBe(pairs.length)
    pairs.forEach(([region, key], index) => {
      expect(handle.get(key, region)?.value).toBe(index)
    })
  })

  it('keeps every pair over a small alphabet apart (exhaustive up to length 3)', () => {
    // Separator-like and digit characters, which is where encodings go wrong.
    const strings = allStrings(['a', '\u0000', ':', '1', '|'], 3)
    const regions: (string | undefined)[] = [undefined, ...strings]
    const handle = memoryHandle({ maxEntries: regions.length * strings.length })
    let value = 0
    for (const region of regions) {
      for (const key of strings) handle.set(key, region, foreverEntry(value++))
    }
    expect(handle.size).toBe(value)
    value = 0
    let mismatches = 0
    for (const region of regions) {
      for (const key of strings) if (handle.get(key, region)?.value !== value++) mismatches++
    }
    expect(mismatches).toBe(0)
    // Clearing one region leaves every other pair, with no region or any other region.
    handle.clearRegion('a\u0000')
    expect(handle.size).toBe(value - strings.length)
    expect(handle.get('', 'a')?.value).toBeDefined()
    expect(handle.get('a\u0000', undefined)).toBeDefined()
  })
})

/** Checks the region index against what the store really holds, over a known set of pairs. */
function expectIndexConsistent(
  handle: MemoryHandle,
  regions: readonly string[],
  keys: readonly string[],
): void {
  let plainHeld = 0
  for (const key of keys) if (handle.peek(key, undefined) !== undefined) plainHeld++
  const held = new Map<string, number>()
  for (const region of regions) {
    let count = 0
    for (const key of keys) if (handle.peek(key, region) !== undefined) count++
    if (count > 0) held.set(region, count)
  }
  expect(regionIndexSizes(handle)).toEqual(held)
  const regionHeld = [...held.values()].reduce((sum, count) => sum + count, 0)
  expect(handle.size).toBe(plainHeld + regionHeld)
}

describe('memoryHandle: the region index follows the store', () => {
  it('drops keys the store evicted', () => {
    const handle = memoryHandle({ maxEntries: 4 })
    for (let index = 0; index < 10; index++) {
      handle.set(`k${index}`, index % 2 === 0 ? 'even' : 'odd', foreverEntry(index))
    }
    expect(handle.size).toBe(4)
    expect(regionIndexSizes(handle)).toEqual(
      new Map([
        ['even', 2],
        ['odd', 2],
      ]),
    )
    handle.clearRegion('even')
    expect(handle.size).toBe(2)
    expect(handle.get('k9', 'odd')?.value).toBe(9)
  })

  // The store reports evictions only: every delete of the handle forgets its key itself.
  it('forgets the keys of deletes, of entries found dead, and of refused writes', () => {
    vi.useFakeTimers()
    try {
      const handle = memoryHandle({ maxBytes: 100, sizeOf: (entry) => entry.value as number })
      const dying = () => makeEntry(1, { ttl: 1_000 })
      for (const key of ['get', 'getMany', 'add', 'cas', 'expire', 'set']) {
        handle.set(key, 'r', dying())
      }
      handle.set('deleted', 'r', foreverEntry(1))
      handle.set('deletedMany', 'r', foreverEntry(1))
      handle.set('kept', 'r', foreverEntry(1))
      expect(regionIndexSizes(handle)).toEqual(new Map([['r', 9]]))
      vi.advanceTimersByTime(1_000)
      expect(handle.get('get', 'r')).toBeUndefined()
      expect(handle.getMany(['getMany'], 'r')).toEqual([undefined])
      expect(handle.add('add', 'r', foreverEntry(1))).toBeGreaterThan(0)
      expect(handle.compareAndSet('cas', 'r', foreverEntry(1), 0)).toBeGreaterThan(0)
      expect(handle.expire('expire', 'r', Date.now())).toBe(false)
      handle.set('set', 'r', makeEntry(1, { ttl: -1 }))
      handle.set('big', 'r', foreverEntry(101))
      expect(handle.delete('deleted', 'r')).toBe(true)
      expect(handle.deleteMany(['deletedMany'], 'r')).toBe(1)
      expect(regionIndexSizes(handle)).toEqual(new Map([['r', 3]]))
      expect(handle.size).toBe(3)
      handle.delete('add', 'r')
      handle.delete('cas', 'r')
      handle.delete('kept', 'r')
      expect(regionIndexSizes(handle).size).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it.each([
    ['maxEntries', { maxEntries: 8 }],
    ['maxBytes', { maxBytes: 60, sizeOf: (entry: { value: unknown }) => entry.value as number }],
  ])('stays consistent through random operations under %s pressure', (_name, options) => {
    const random = seededRandom(20_240_601)
    const handle = memoryHandle(options)
    const regions = ['a', 'b', 'a\u0000', '']
    const keys = ['x', 'y', 'z', 'x\u0000', '']
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    for (let step = 0; step < 3_000; step++) {
      const key = pick(keys)
      const region = random() < 0.2 ? undefined : pick(regions)
      const size = 1 + Math.floor(random() * 20)
      const roll = random()
      if (roll < 0.45) handle.set(key, region, foreverEntry(size))
      else if (roll < 0.55) handle.add(key, region, foreverEntry(size))
      else if (roll < 0.65) handle.compareAndSet(key, region, foreverEntry(size), 0)
      else if (roll < 0.8) handle.delete(key, region)
      else if (roll < 0.88) handle.get(key, region)
      else if (roll < 0.95) handle.clearRegion(pick(regions))
      else handle.deleteMany([key, pick(keys)], region)
      if (step % 50 === 0) expectIndexConsistent(handle, regions, keys)
    }
    expectIndexConsistent(handle, regions, keys)
  })
})
