import { CacheplaneError, jsonSerializer } from '@cacheplane/core'
import { describe, expect, it } from 'vitest'
import { foreverEntry, makeEntry } from '../test/entries.js'
import { memoryHandle, regionIndexSizes } from './memory-handle.js'
import type { MemoryHandleOptions } from './memory-handle-options.js'

function optionError(options: unknown): CacheplaneError {
  try {
    memoryHandle(options as MemoryHandleOptions)
  } catch (error) {
    expect(CacheplaneError.hasCode(error, 'E_INVALID_OPTION')).toBe(true)
    return error as CacheplaneError
  }
  throw new Error('expected memoryHandle to throw')
}

describe('memoryHandle: options', () => {
  it('takes no options, or known ones', () => {
    expect(() => memoryHandle()).not.toThrow()
    expect(() => memoryHandle({})).not.toThrow()
    expect(() =>
      memoryHandle({ maxEntries: 5, maxBytes: 1_000, sizeOf: () => 1, backplaneSource: true }),
    ).not.toThrow()
  })

  it('rejects unknown options by name', () => {
    expect(optionError({ maxEntry: 5 }).message).toMatch(/Unknown option "maxEntry"/)
    expect(optionError('big').message).toMatch(/"options".*expected an options object/)
  })

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null])(
    'rejects maxEntries %s',
    (value) => {
      expect(optionError({ maxEntries: value }).message).toMatch(
        /^Invalid option "maxEntries": got .*, expected a positive integer\.$/,
      )
    },
  )

  it.each([0, -5, 2.5, '1kb'])('rejects maxBytes %s', (value) => {
    expect(optionError({ maxBytes: value }).message).toMatch(/Invalid option "maxBytes"/)
  })

  it('rejects a sizeOf that is no function, or comes without maxBytes', () => {
    expect(optionError({ maxBytes: 10, sizeOf: 4 }).message).toMatch(/"sizeOf".*a function/)
    expect(optionError({ sizeOf: () => 1 }).message).toMatch(/"sizeOf".*together with maxBytes/)
  })

  it('rejects a backplaneSource that is no boolean', () => {
    expect(optionError({ backplaneSource: 'yes' }).message).toMatch(
      /Invalid option "backplaneSource": got "yes", expected a boolean/,
    )
  })
})

describe('memoryHandle: limits', () => {
  it('past maxEntries, drops an entry not read since the hand passed, not one read since', () => {
    const handle = memoryHandle({ maxEntries: 2 })
    handle.set('a', undefined, makeEntry('A'))
    handle.set('b', undefined, makeEntry('B'))
    handle.get('a', undefined)
    handle.set('c', undefined, makeEntry('C'))
    expect(handle.size).toBe(2)
    expect(handle.get('b', undefined)).toBeUndefined()
    expect(handle.get('a', undefined)?.value).toBe('A')
  })

  it('past maxBytes, as sizeOf counts them, drops entries not read since the hand passed', () => {
    const handle = memoryHandle({ maxBytes: 100, sizeOf: (entry) => entry.value as number })
    handle.set('a', undefined, makeEntry(40))
    handle.set('b', 'r', makeEntry(40))
    handle.set('c', undefined, makeEntry(40))
    // Nothing read yet: the first set goes first.
    expect(handle.get('a', undefined)).toBeUndefined()
    expect(handle.get('b', 'r')?.value).toBe(40)
    // Replacing with a bigger value re-counts the key.
    handle.set('c', undefined, makeEntry(60))
    expect(handle.size).toBe(2)
    // `b` was read since the hand passed and `c` was not: `c` goes.
    handle.set('d', undefined, makeEntry(1))
    expect(handle.get('c', undefined)).toBeUndefined()
    expect(handle.get('d', undefined)?.value).toBe(1)
    // The sweep cleared b's mark and `d` was read since: `b` goes, with its region key.
    handle.set('e', undefined, makeEntry(60))
    expect(handle.get('b', 'r')).toBeUndefined()
    expect(handle.get('d', undefined)?.value).toBe(1)
    expect(handle.get('e', undefined)?.value).toBe(60)
    expect(regionIndexSizes(handle).size).toBe(0)
  })

  it('does not keep an entry bigger than maxBytes, and removes the old value', () => {
    const handle = memoryHandle({ maxBytes: 100, sizeOf: (entry) => entry.value as number })
    handle.set('k', 'r', makeEntry(10))
    expect(handle.set('k', 'r', makeEntry(101))).toBe(2)
    expect(handle.get('k', 'r')).toBeUndefined()
    expect(handle.size).toBe(0)
    expect(regionIndexSizes(handle).size).toBe(0)
  })

  it('rounds fractional sizes up and rejects sizes that are not positive', () => {
    const sizes = [0.5, 0.5, 0]
    const handle = memoryHandle({ maxBytes: 1, sizeOf: () => sizes.shift() ?? 0 })
    handle.set('a', undefined, makeEntry('a'))
    handle.set('b', undefined, makeEntry('b'))
    // 0.5 counts as 1 byte: the second entry pushed the first out.
    expect(handle.size).toBe(1)
    expect(() => handle.set('c', undefined, makeEntry('c'))).toThrow(
      /Invalid option "sizeOf": it returned number 0, expected a positive number of bytes/,
    )
  })

  it('estimates sizes when maxBytes comes without sizeOf', () => {
    const handle = memoryHandle({ maxBytes: 10_000 })
    for (let index = 0; index < 100; index++) {
      handle.set(`k${index}`, undefined, foreverEntry('x'.repeat(500)))
    }
    // Each entry is over 1 KB by the estimate: at most 9 fit.
    expect(handle.size).toBeGreaterThan(0)
    expect(handle.size).toBeLessThan(10)
    expect(handle.get('k99', undefined)).toBeDefined()
  })
})

describe('memoryHandle: attach and close', () => {
  const serializer = jsonSerializer()

  it('may be attached by several caches of the same name, not of another name', () => {
    const handle = memoryHandle()
    handle.attach({ cacheName: 'products', serializer })
    handle.attach({ cacheName: 'products', serializer })
    let thrown: unknown
    try {
      handle.attach({ cacheName: 'users', serializer })
    } catch (error) {
      thrown = error
    }
    expect(CacheplaneError.hasCode(thrown, 'E_INVALID_OPTION')).toBe(true)
    expect((thrown as Error).message).toMatch(
      /already attached to cache "products".*"users".*create one handle per cache/,
    )
  })

  it('keeps its entries until the last cache that attached it closes it', () => {
    const handle = memoryHandle()
    handle.attach({ cacheName: 'products', serializer })
    handle.attach({ cacheName: 'products', serializer })
    handle.set('k', undefined, makeEntry(1))
    handle.close()
    expect(handle.get('k', undefined)?.value).toBe(1)
    handle.close()
    expect(handle.size).toBe(0)
    // Emptied and released: free to serve another cache.
    expect(() => handle.attach({ cacheName: 'users', serializer })).not.toThrow()
  })

  it('empties on close when nothing attached it', () => {
    const handle = memoryHandle()
    handle.set('k', 'r', makeEntry(1))
    handle.close()
    expect(handle.size).toBe(0)
    expect(regionIndexSizes(handle).size).toBe(0)
  })
})
