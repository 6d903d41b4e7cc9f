import { describe, expect, it } from 'vitest'
import { fnv1a32 } from './hashing.js'
import { BUCKET_COUNT, bucketOf, entryAddress, regionPartOf } from './key-layout.js'

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
})
