import { describe, expect, it } from 'vitest'
import { fnv1a32, slotOf } from './hashing.js'
import {
  BUCKET_COUNT,
  bucketBase,
  bucketOf,
  entryAddress,
  lockKeyOf,
  regionPartOf,
  tagKeysOf,
} from './key-layout.js'

const layout = { prefix: 'cacheplane', cacheName: 'products' }

describe('key layout', () => {
  it('spreads keys without a region by key and keeps a region in one bucket', () => {
    expect(bucketOf('p:1', undefined)).toBe(fnv1a32('p:1') % BUCKET_COUNT)
    expect(bucketOf('p:1', 'catalog')).toBe(bucketOf('p:2', 'catalog'))
    expect(bucketOf('p:1', 'catalog')).toBe(fnv1a32('catalog') % BUCKET_COUNT)
  })

  it('length-prefixes the region in UTF-8 bytes', () => {
    expect(regionPartOf(undefined)).toBe('_')
    expect(regionPartOf('')).toBe('r0:')
    expect(regionPartOf('catalog')).toBe('r7:catalog')
    expect(regionPartOf('ünï')).toBe('r5:ünï')
  })

  it('builds every key of an entry inside its bucket hash tag', () => {
    const address = entryAddress(layout, 'p:1', 'catalog')
    const bucket = fnv1a32('catalog') % BUCKET_COUNT
    expect(address).toEqual({
      bucket,
      entryKey: `cacheplane:{products.${bucket}}:r7:catalog:p:1`,
      bucketMetaKey: `cacheplane:{products.${bucket}}:meta`,
      regionPart: 'r7:catalog',
    })
  })

  it('never gives two (region, key) pairs one key name', () => {
    const pairs: [string | undefined, string][] = [
      [undefined, 'a'],
      ['', 'a'],
      ['a', ''],
      ['a:b', 'c'],
      ['a', 'b:c'],
      [undefined, 'r1:a:b'],
      [undefined, '_:x'],
      ['_', 'x'],
      [undefined, 'meta'],
    ]
    const names = pairs.map(([region, key]) => entryAddress(layout, key, region).entryKey)
    expect(new Set(names).size).toBe(pairs.length)
  })

  it('puts a lock in its entry bucket, under lock:', () => {
    const bucket = fnv1a32('catalog') % BUCKET_COUNT
    const lock = lockKeyOf(layout, 'p:1', 'catalog')
    expect(lock).toBe(`cacheplane:{products.${bucket}}:lock:r7:catalog:p:1`)
    expect(lockKeyOf(layout, 'p:1', undefined)).toBe(
      `cacheplane:{products.${fnv1a32('p:1') % BUCKET_COUNT}}:lock:_:p:1`,
    )
    expect(slotOf(lock)).toBe(slotOf(entryAddress(layout, 'p:1', 'catalog').entryKey))
  })

  it('never gives a lock the name of an entry, a tombstone, a bookkeeping key or another lock', () => {
    const pairs: [string | undefined, string][] = [
      [undefined, 'a'],
      ['', 'a'],
      ['a', ''],
      [undefined, ''],
      ['a:b', 'c'],
      ['a', 'b:c'],
      [undefined, 'lock:_:a'],
      [undefined, 'lock'],
      ['lock', 'a'],
      ['lock:_', 'a'],
      [undefined, 'meta'],
      [undefined, 'purge'],
      ['_', 'x'],
      [undefined, '_:x'],
    ]
    const names = new Set<string>()
    const add = (name: string) => {
      expect(names.has(name), name).toBe(false)
      names.add(name)
    }
    // Bookkeeping keys are per bucket and per region, shared by that bucket's or region's entries.
    const bookkeeping = new Set<string>()
    for (const [region, key] of pairs) {
      const address = entryAddress(layout, key, region)
      add(address.entryKey) // a tombstone takes the entry's key
      add(lockKeyOf(layout, key, region))
      const base = bucketBase(layout, address.bucket)
      for (const suffix of ['meta', 'purge', 'persist-regions', `persist:${address.regionPart}`]) {
        bookkeeping.add(`${base}:${suffix}`)
      }
      if (region !== undefined) bookkeeping.add(`${base}:meta:${address.regionPart}`)
    }
    for (const name of bookkeeping) add(name)
  })

  it('keeps the tag keys of a cache in one slot, apart from every bucket of every cache', () => {
    const keys = tagKeysOf(layout)
    expect(keys).toEqual({
      counter: 'cacheplane:{products.tags}:counter',
      versions: 'cacheplane:{products.tags}:versions',
    })
    expect(slotOf(keys.counter)).toBe(slotOf(keys.versions))
    // Names that end like another cache's hash tags: each hash tag still has one owner.
    const caches = ['a', 'a.tags', 'a.tags.tags', 'tags', 'a.1', '1', 'a.255', 'a.tags.0']
    const owners = new Map<string, string>()
    const own = (key: string, cacheName: string) => {
      const hashTag = key.slice(key.indexOf('{'), key.indexOf('}') + 1)
      expect(owners.get(hashTag) ?? cacheName, hashTag).toBe(cacheName)
      owners.set(hashTag, cacheName)
    }
    for (const cacheName of caches) {
      const cacheLayout = { prefix: 'cacheplane', cacheName }
      own(tagKeysOf(cacheLayout).counter, cacheName)
      for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
        own(bucketBase(cacheLayout, bucket), cacheName)
      }
    }
    expect(owners.size).toBe(caches.length * (BUCKET_COUNT + 1))
  })
})
