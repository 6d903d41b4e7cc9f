import { describe, expect, it } from 'vitest'
import { foreverEntry } from '../test/entries.js'
import { estimateEntrySize } from './size-estimate.js'

const size = (value: unknown) => estimateEntrySize(foreverEntry(value))

describe('estimateEntrySize', () => {
  it('grows with strings, binary data and tags', () => {
    expect(size('x'.repeat(1_000))).toBeGreaterThan(size('x') + 1_900)
    expect(size(new Uint8Array(4_096))).toBeGreaterThan(4_096)
    expect(size(Buffer.alloc(100))).toBeGreaterThan(100)
    expect(size(new ArrayBuffer(64))).toBeGreaterThan(64)
    const tagged = { ...foreverEntry('v'), tags: ['brand:acme', 'color:red'] }
    expect(estimateEntrySize(tagged)).toBeGreaterThan(size('v'))
  })

  it('counts objects, arrays, maps and sets by their contents', () => {
    const small = size({ id: 1 })
    const bigger = size({ id: 1, name: 'widget', tags: ['a', 'b'], price: { amount: 3 } })
    expect(bigger).toBeGreaterThan(small)
    expect(size([1, 2, 3, 4])).toBeGreaterThan(size([1]))
    expect(size(new Map([['k', 'v'.repeat(100)]]))).toBeGreaterThan(200)
    expect(size(new Set(['a', 'b']))).toBeGreaterThan(size(new Set()))
  })

  it('is positive for every kind of value', () => {
    for (const value of [null, undefined, 0, true, 10n, Symbol('s'), () => 1, new Date(), '']) {
      expect(size(value)).toBeGreaterThan(0)
    }
  })

  it('stays cheap on huge and cyclic values', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    expect(size(cyclic)).toBeGreaterThan(0)
    let reads = 0
    const huge = new Proxy(
      Array.from({ length: 1_000_000 }, (_, index) => index),
      {
        get(target, property, receiver) {
          if (typeof property === 'string' && /^\d+$/.test(property)) reads++
          return Reflect.get(target, property, receiver)
        },
      },
    )
    // Counts every slot of the array, but visits only a bounded number of them.
    expect(size(huge)).toBeGreaterThan(8_000_000)
    expect(reads).toBeLessThanOrEqual(256)
  })
})
