import { describe, expect, it } from 'vitest'
import { PendingOperations } from './pending-operations.js'

describe('PendingOperations', () => {
  it('keeps the latest operation per key and groups by kind and region', () => {
    const pending = new PendingOperations()
    pending.addKey('changed', 'a', undefined, 1)
    pending.addKey('changed', 'a', undefined, 2)
    pending.addKey('changed', 'b', undefined, 5)
    pending.addKey('removed', 'c', 'r', 0)
    pending.addKey('changed', 'a', 'r', 3)
    expect(pending.size).toBe(4)
    expect(pending.drain()).toEqual([
      { kind: 'changed', region: undefined, keys: ['a', 'b'], versions: [2, 5] },
      { kind: 'removed', region: 'r', keys: ['c'] },
      { kind: 'changed', region: 'r', keys: ['a'], versions: [3] },
    ])
    expect(pending.isEmpty).toBe(true)
  })

  it('region and key ids never collide', () => {
    const pending = new PendingOperations()
    pending.addKey('removed', 'b', 'a', 0)
    pending.addKey('removed', 'ab', undefined, 0)
    pending.addKey('removed', '1:ab', undefined, 0)
    expect(pending.size).toBe(3)
  })

  it('cleared swallows what came before it, not what comes after', () => {
    const pending = new PendingOperations()
    pending.addKey('changed', 'a', undefined, 1)
    pending.addRegion('r')
    pending.addTags(['t'])
    pending.addCleared()
    pending.addKey('removed', 'b', undefined, 0)
    expect(pending.drain()).toEqual([
      { kind: 'cleared' },
      { kind: 'removed', region: undefined, keys: ['b'] },
    ])
  })

  it('restore puts failed operations back before newer ones', () => {
    const pending = new PendingOperations()
    pending.addKey('changed', 'a', undefined, 9)
    pending.restore([
      { kind: 'changed', region: undefined, keys: ['a', 'b'], versions: [1, 2] },
      { kind: 'regionCleared', regions: ['r'] },
      { kind: 'heartbeat' },
    ])
    expect(pending.drain()).toEqual([
      { kind: 'regionCleared', regions: ['r'] },
      { kind: 'changed', region: undefined, keys: ['b', 'a'], versions: [2, 9] },
    ])
  })
})
