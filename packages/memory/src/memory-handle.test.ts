import { cborSerializer } from '@cacheplane/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { foreverEntry, makeEntry } from '../test/entries.js'
import { lockTableOf, memoryHandle, regionIndexSizes } from './memory-handle.js'

const context = { cacheName: 'products', serializer: cborSerializer() }

describe('memoryHandle: shape', () => {
  it('declares what it is and what it can do', () => {
    const handle = memoryHandle()
    expect(handle.specificationVersion).toBe('v1')
    expect(handle.kind).toBe('memory')
    expect(handle.capabilities).toEqual({
      distributed: false,
      ttlPrecision: 1,
      cas: true,
      batch: true,
      tags: true,
      locks: true,
    })
    expect(handle.backplaneSource).toBe(false)
    expect(memoryHandle({ backplaneSource: true }).backplaneSource).toBe(true)
  })

  it('answers every call synchronously', () => {
    const handle = memoryHandle()
    handle.attach(context)
    const results: unknown[] = [
      handle.set('k', undefined, makeEntry(1)),
      handle.get('k', undefined),
      handle.peek('k', undefined),
      handle.add('a', undefined, makeEntry(2)),
      handle.compareAndSet('c', undefined, makeEntry(3), 0),
      handle.expire('k', undefined, Date.now()),
      handle.getMany(['k'], undefined),
      handle.setMany([{ key: 'm', entry: makeEntry(4) }], undefined),
      handle.deleteMany(['m'], undefined),
      handle.invalidateTags(['t']),
      handle.tagVersions(['t']),
      handle.acquireLock('k', undefined, 'owner', 1_000),
      handle.releaseLock('k', undefined, 'owner'),
      handle.delete('k', undefined),
      handle.clearRegion('r'),
      handle.clear(),
      handle.close(),
    ]
    for (const result of results) expect(result).not.toBeInstanceOf(Promise)
  })
})

describe('memoryHandle: reads and writes', () => {
  it('keeps the live entry object it was given', () => {
    const handle = memoryHandle()
    const value = { name: 'widget' }
    const entry = makeEntry(value)
    handle.set('p:1', undefined, entry)
    const found = handle.get('p:1', undefined)
    expect(found).toBe(entry)
    expect(found?.value).toBe(value)
  })

  it('returns undefined for a missing key', () => {
    const handle = memoryHandle()
    expect(handle.get('nope', undefined)).toBeUndefined()
    expect(handle.get('nope', 'region')).toBeUndefined()
    expect(handle.peek('nope', undefined)).toBeUndefined()
  })

  it('replaces an entry on set', () => {
    const handle = memoryHandle()
    handle.set('k', 'r', makeEntry('old'))
    handle.set('k', 'r', makeEntry('new'))
    expect(handle.get('k', 'r')?.value).toBe('new')
    expect(handle.size).toBe(1)
  })

  it('deletes and says whether there was an entry', () => {
    const handle = memoryHandle()
    handle.set('k', undefined, makeEntry(1))
    handle.set('k', 'r', makeEntry(2))
    expect(handle.delete('k', undefined)).toBe(true)
    expect(handle.delete('k', undefined)).toBe(false)
    expect(handle.get('k', 'r')?.value).toBe(2)
    expect(handle.delete('k', 'r')).toBe(true)
    expect(handle.delete('k', 'other')).toBe(false)
    expect(handle.size).toBe(0)
  })

  it('adds only when no fresh entry is there', () => {
    vi.useFakeTimers()
    try {
      const handle = memoryHandle()
      expect(handle.add('k', undefined, makeEntry('first', { ttl: 1_000, grace: 10_000 }))).toBe(1)
      expect(handle.add('k', undefined, makeEntry('second'))).toBeUndefined()
      expect(handle.get('k', undefined)?.value).toBe('first')
      vi.advanceTimersByTime(1_000)
      // Logically expired (kept for grace) counts as absent for add.
      expect(handle.add('k', undefined, makeEntry('third'))).toBe(2)
      expect(handle.get('k', undefined)?.value).toBe('third')
    } finally {
      vi.useRealTimers()
    }
  })

  it('gets, sets and deletes many, in order', () => {
    const handle = memoryHandle()
    const versions = handle.setMany(
      [
        { key: 'a', entry: makeEntry('A') },
        { key: 'b', entry: makeEntry('B') },
      ],
      'r',
    )
    expect(versions).toEqual([1, 2])
    expect(handle.getMany(['b', 'x', 'a'], 'r').map((entry) => entry?.value)).toEqual([
      'B',
      undefined,
      'A',
    ])
    expect(handle.getMany(['a'], undefined)).toEqual([undefined])
    expect(handle.deleteMany(['a', 'x', 'b'], 'r')).toBe(2)
    expect(handle.size).toBe(0)
  })

  it('clears everything, and clears one region without touching the others', () => {
    const handle = memoryHandle()
    handle.set('k', undefined, makeEntry('plain'))
    handle.set('k', 'a', makeEntry('in a'))
    handle.set('j', 'a', makeEntry('also in a'))
    handle.set('k', 'b', makeEntry('in b'))
    handle.clearRegion('a')
    expect(handle.get('k', 'a')).toBeUndefined()
    expect(handle.get('j', 'a')).toBeUndefined()
    expect(handle.get('k', 'b')?.value).toBe('in b')
    expect(handle.get('k', undefined)?.value).toBe('plain')
    handle.clearRegion('never-used')
    handle.clear()
    expect(handle.size).toBe(0)
    expect(handle.get('k', 'b')).toBeUndefined()
    expect(regionIndexSizes(handle).size).toBe(0)
  })
})

describe('memoryHandle: versions', () => {
  it('assigns versions from a counter that survives delete and clear', () => {
    const handle = memoryHandle()
    const first = makeEntry('a')
    expect(handle.set('k', undefined, first)).toBe(1)
    expect(first.version).toBe(1)
    expect(handle.set('k', undefined, makeEntry('b'))).toBe(2)
    handle.delete('k', undefined)
    expect(handle.set('k', undefined, makeEntry('c'))).toBe(3)
    handle.clear()
    expect(handle.set('k', undefined, makeEntry('d'))).toBe(4)
    expect(handle.get('k', undefined)?.version).toBe(4)
  })

  it('stores a given version, and assigns above it afterwards', () => {
    const handle = memoryHandle()
    expect(handle.set('k', undefined, makeEntry('from L2', { version: 41 }))).toBe(41)
    expect(handle.get('k', undefined)?.version).toBe(41)
    // A lower given version is stored as given: ordering is the cache's call.
    expect(handle.set('k', undefined, makeEntry('older', { version: 7 }))).toBe(7)
    expect(handle.set('j', undefined, makeEntry('new'))).toBe(42)
  })

  it('keeps assigning growing versions after a close', () => {
    const handle = memoryHandle()
    handle.set('k', undefined, makeEntry('a'))
    handle.close()
    expect(handle.set('k', undefined, makeEntry('b'))).toBe(2)
  })
})

describe('memoryHandle: compareAndSet', () => {
  it('with expected version 0 stores only when the key is absent', () => {
    const handle = memoryHandle()
    expect(handle.compareAndSet('k', 'r', makeEntry('a'), 0)).toBe(1)
    expect(handle.compareAndSet('k', 'r', makeEntry('b'), 0)).toBeUndefined()
    expect(handle.get('k', 'r')?.value).toBe('a')
  })

  it('stores when the current version matches, and refuses a stale one', () => {
    const handle = memoryHandle()
    const version = handle.set('k', undefined, makeEntry(1))
    const next = handle.compareAndSet('k', undefined, makeEntry(2), version)
    expect(next).toBe(version + 1)
    expect(handle.compareAndSet('k', undefined, makeEntry(3), version)).toBeUndefined()
    expect(handle.get('k', undefined)?.value).toBe(2)
    expect(handle.compareAndSet('missing', undefined, makeEntry(4), version)).toBeUndefined()
  })

  it('treats an entry past staleUntil as absent, but a logically expired one as present', () => {
    vi.useFakeTimers()
    try {
      const handle = memoryHandle()
      const version = handle.set('k', undefined, makeEntry('a', { ttl: 1_000, grace: 1_000 }))
      vi.advanceTimersByTime(1_500)
      expect(handle.compareAndSet('k', undefined, makeEntry('b'), 0)).toBeUndefined()
      expect(handle.compareAndSet('k', undefined, makeEntry('b'), version)).toBe(version + 1)
      handle.set('j', undefined, makeEntry('c', { ttl: 1_000 }))
      vi.advanceTimersByTime(1_000)
      expect(handle.compareAndSet('j', undefined, makeEntry('d'), 0)).toBeDefined()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('memoryHandle: expiry', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('returns logically expired entries unchanged until staleUntil, then drops them', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v', { ttl: 1_000, grace: 2_000 })
    handle.set('k', undefined, entry)
    vi.advanceTimersByTime(1_000)
    const expired = handle.get('k', undefined)
    expect(expired).toBe(entry)
    expect(expired?.expiresAt).toBe(entry.createdAt + 1_000)
    vi.advanceTimersByTime(1_999)
    expect(handle.get('k', undefined)).toBe(entry)
    vi.advanceTimersByTime(1)
    expect(handle.peek('k', undefined)).toBeUndefined()
    expect(handle.size).toBe(1)
    expect(handle.get('k', undefined)).toBeUndefined()
    expect(handle.size).toBe(0)
  })

  it('keeps entries with no expiry forever', () => {
    const handle = memoryHandle()
    handle.set('k', 'r', foreverEntry('always'))
    vi.advanceTimersByTime(10 * 365 * 86_400_000)
    expect(handle.get('k', 'r')?.value).toBe('always')
  })

  it('uses the clock reading it is given', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v', { ttl: 1_000 })
    handle.set('k', undefined, entry)
    expect(handle.get('k', undefined, entry.staleUntil - 1)).toBe(entry)
    expect(handle.get('k', undefined, entry.staleUntil)).toBeUndefined()
  })

  it('does not keep an entry that is already past staleUntil', () => {
    const handle = memoryHandle()
    handle.set('k', undefined, makeEntry('live'))
    const dead = makeEntry('dead', { ttl: 1_000 })
    vi.advanceTimersByTime(1_000)
    expect(handle.set('k', undefined, dead)).toBe(2)
    expect(handle.size).toBe(0)
  })

  it('slides a fresh sliding entry on every read, moving staleUntil along', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v', { ttl: 1_000, grace: 500, isSliding: true })
    handle.set('k', undefined, entry)
    for (let step = 0; step < 5; step++) {
      vi.advanceTimersByTime(900)
      expect(handle.get('k', undefined)).toBe(entry)
      expect(entry.expiresAt).toBe(Date.now() + 1_000)
      expect(entry.staleUntil).toBe(Date.now() + 1_500)
    }
    vi.advanceTimersByTime(1_200)
    // Expired but within grace: served as it is, not renewed.
    const stale = handle.get('k', undefined)
    expect(stale?.expiresAt).toBeLessThan(Date.now())
    vi.advanceTimersByTime(300)
    expect(handle.get('k', undefined)).toBeUndefined()
  })

  it('with the clock reading given (the cache hit path), slides, serves grace and drops as without', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v', { ttl: 1_000, grace: 500, isSliding: true })
    handle.set('k', undefined, entry)
    const start = Date.now()
    expect(handle.get('k', undefined, start + 900)).toBe(entry)
    expect(entry.expiresAt).toBe(start + 1_900)
    expect(entry.staleUntil).toBe(start + 2_400)
    // At expiresAt it is no longer fresh: served as it is within grace, not renewed.
    expect(handle.get('k', undefined, start + 1_900)).toBe(entry)
    expect(entry.expiresAt).toBe(start + 1_900)
    expect(handle.get('k', undefined, start + 2_399)).toBe(entry)
    expect(handle.size).toBe(1)
    expect(handle.get('k', undefined, start + 2_400)).toBeUndefined()
    expect(handle.size).toBe(0)
  })

  it('peek neither renews a sliding entry nor drops anything', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v', { ttl: 1_000, isSliding: true })
    handle.set('k', undefined, entry)
    const expiresAt = entry.expiresAt
    vi.advanceTimersByTime(500)
    expect(handle.peek('k', undefined)).toBe(entry)
    expect(entry.expiresAt).toBe(expiresAt)
  })

  it('expire sets expiresAt to now and keeps staleUntil', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v', { ttl: 10_000, grace: 5_000 })
    handle.set('k', 'r', entry)
    const staleUntil = entry.staleUntil
    const now = Date.now()
    expect(handle.expire('k', 'r', now)).toBe(true)
    expect(entry.expiresAt).toBe(now)
    expect(entry.staleUntil).toBe(staleUntil)
    // An earlier expiry is kept.
    expect(handle.expire('k', 'r', now + 1_000)).toBe(true)
    expect(entry.expiresAt).toBe(now)
    expect(handle.get('k', 'r')).toBe(entry)
    expect(handle.expire('missing', 'r', now)).toBe(false)
  })

  it('an expired sliding entry does not come back to life on a read', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v', { ttl: 1_000, grace: 5_000, isSliding: true })
    handle.set('k', undefined, entry)
    const now = Date.now()
    handle.expire('k', undefined, now)
    vi.advanceTimersByTime(1)
    expect(handle.get('k', undefined)?.expiresAt).toBe(now)
  })

  it('expire of an entry past staleUntil says there was none', () => {
    const handle = memoryHandle()
    handle.set('k', undefined, makeEntry('v', { ttl: 1_000 }))
    vi.advanceTimersByTime(1_000)
    expect(handle.expire('k', undefined, Date.now())).toBe(false)
    expect(handle.delete('k', undefined)).toBe(false)
  })
})

describe('memoryHandle: tags', () => {
  it('keeps the tagVersion of entries written by set, add, compareAndSet and setMany', () => {
    const handle = memoryHandle()
    handle.set('set', undefined, makeEntry(1, { tags: ['t'], tagVersion: 3 }))
    handle.add('add', 'r', makeEntry(2, { tags: ['t'], tagVersion: 4 }))
    handle.compareAndSet('cas', 'r', makeEntry(3, { tags: ['t'], tagVersion: 5 }), 0)
    handle.setMany([{ key: 'many', entry: makeEntry(4, { tags: ['t'], tagVersion: 6 }) }], 'r')
    expect(handle.get('set', undefined)?.tagVersion).toBe(3)
    expect(handle.peek('add', 'r')?.tagVersion).toBe(4)
    expect(handle.getMany(['cas', 'many'], 'r').map((entry) => entry?.tagVersion)).toEqual([5, 6])
    handle.expire('set', undefined, Date.now())
    expect(handle.get('set', undefined)?.tagVersion).toBe(3)
  })

  it('keeps tag versions through clear and clearRegion, apart from the entries', () => {
    const handle = memoryHandle()
    const version = handle.invalidateTags(['brand:acme', 'sale'])
    handle.set('k', 'r', makeEntry('v', { tags: ['sale'], tagVersion: version }))
    handle.clearRegion('r')
    handle.clear()
    expect(handle.tagVersions(['sale', 'brand:acme', 'other'])).toEqual([version, version, 0])
    expect(handle.invalidateTags(['other'])).toBeGreaterThan(version)
  })

  it('forgets tags and locks when its last cache closes it, and shares them until then', () => {
    const handle = memoryHandle()
    handle.attach(context)
    handle.attach(context)
    const version = handle.invalidateTags(['t'])
    handle.acquireLock('k', 'r', 'A', 60_000)
    handle.close()
    expect(handle.tagVersions(['t'])).toEqual([version])
    expect(handle.acquireLock('k', 'r', 'B', 60_000)).toBe(false)
    handle.close()
    expect(handle.tagVersions(['t'])).toEqual([0])
    expect(handle.acquireLock('k', 'r', 'B', 60_000)).toBe(true)
    // Versions never repeat, even for a handle attached afresh.
    expect(handle.invalidateTags(['t'])).toBeGreaterThan(version)
  })
})

describe('memoryHandle: locks', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('leases by the same clock as the entries (fake timers included)', () => {
    const handle = memoryHandle()
    expect(handle.acquireLock('k', undefined, 'A', 1_000)).toBe(true)
    vi.advanceTimersByTime(999)
    expect(handle.acquireLock('k', undefined, 'B', 1_000)).toBe(false)
    expect(handle.acquireLock('k', undefined, 'A', 1_000)).toBe(true)
    vi.advanceTimersByTime(999)
    expect(handle.acquireLock('k', undefined, 'B', 1_000)).toBe(false)
    vi.advanceTimersByTime(1)
    expect(handle.acquireLock('k', undefined, 'B', 1_000)).toBe(true)
    expect(handle.releaseLock('k', undefined, 'A')).toBe(false)
    expect(handle.releaseLock('k', undefined, 'B')).toBe(true)
    expect(lockTableOf(handle).size).toBe(0)
  })

  it('neither reads nor changes the entry of the key', () => {
    const handle = memoryHandle()
    const entry = makeEntry('v')
    const version = handle.set('k', 'r', entry)
    expect(handle.acquireLock('k', 'r', 'A', 1_000)).toBe(true)
    expect(handle.get('k', 'r')).toBe(entry)
    handle.delete('k', 'r')
    handle.clearRegion('r')
    handle.clear()
    expect(handle.acquireLock('k', 'r', 'B', 1_000)).toBe(false)
    expect(handle.releaseLock('k', 'r', 'A')).toBe(true)
    expect(entry.version).toBe(version)
    expect(handle.size).toBe(0)
    expect(regionIndexSizes(handle).size).toBe(0)
  })

  it('rejects a bad lease or owner with E_INVALID_OPTION', () => {
    const handle = memoryHandle()
    expect(() => handle.acquireLock('k', undefined, 'A', 0)).toThrow(
      'Invalid leaseMs: got number 0, expected a positive integer number of milliseconds.',
    )
    expect(() => handle.releaseLock('k', undefined, '')).toThrow('Invalid owner: got ""')
  })
})
