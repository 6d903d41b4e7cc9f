import { memoryHandle } from '@cacheplane/memory'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { controllableHandle, isCacheplaneError } from '../test/support.js'
import { createCache } from './cache.js'
import type { Duration } from './duration.js'
import { CacheplaneError } from './errors.js'

function twoLevel<T = unknown>(defaults?: { ttl?: Duration; grace?: Duration }) {
  const l1 = memoryHandle({ maxEntries: 1_000 })
  const l2 = memoryHandle({ maxEntries: 1_000 })
  const cache = createCache<T>({
    name: 'test',
    handles: [l1, l2],
    ...(defaults ? { defaults } : {}),
  })
  return { cache, l1, l2 }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('createCache options', () => {
  const handle = () => memoryHandle({ maxEntries: 10 })

  it.each([
    [{ name: 'x', handles: [] }, /handles.*non-empty array/],
    [{ name: '', handles: [handle()] }, /"name"/],
    [{ name: 'has space', handles: [handle()] }, /"name"/],
    [{ name: 'x', handles: [handle()], colour: 'red' }, /Unknown option "colour"/],
    [
      { name: 'x', handles: [handle()], defaults: { ttl: '5 parsecs' } },
      /"defaults.ttl".*duration/,
    ],
    [{ name: 'x', handles: [handle()], defaults: { ttl: -1 } }, /"defaults.ttl"/],
    [{ name: 'x', handles: [handle()], defaults: { tags: 'a' } }, /"defaults.tags"/],
    [{ name: 'x', handles: [handle()], defaults: { sliding: 'yes' } }, /"defaults.sliding"/],
    [{ name: 'x', handles: [{}] }, /handles\[0\]\.specificationVersion/],
    [{ name: 'x', handles: [handle()], backplaneSource: 3 }, /"backplaneSource"/],
    [{ name: 'x', handles: [handle()], maxKeyLength: 0 }, /"maxKeyLength"/],
    [{ name: 'x', handles: [handle()], serializer: {} }, /"serializer"/],
    [{ name: 'x', handles: [handle()], backplane: { specificationVersion: 'v0' } }, /"backplane"/],
  ])('rejects %j with E_INVALID_OPTION', (options, message) => {
    const call = () => createCache(options as never)
    expect(call).toThrow(CacheplaneError)
    expect(call).toThrow(message)
    try {
      call()
    } catch (error) {
      expect(isCacheplaneError(error, 'E_INVALID_OPTION')).toBe(true)
    }
  })

  it('rejects two handles that both say they are the source', () => {
    const a = memoryHandle({ maxEntries: 10, backplaneSource: true })
    const b = memoryHandle({ maxEntries: 10, backplaneSource: true })
    expect(() => createCache({ name: 'x', handles: [a, b] })).toThrow(
      /both say they are the backplane source/,
    )
  })

  it('rejects a source that is not last unless confirmed', () => {
    const source = memoryHandle({ maxEntries: 10, backplaneSource: true })
    const below = memoryHandle({ maxEntries: 10 })
    expect(() => createCache({ name: 'x', handles: [source, below] })).toThrow(
      /is not the last handle/,
    )
    expect(() =>
      createCache({ name: 'x', handles: [source, below], backplaneSource: 0 }),
    ).not.toThrow()
  })

  it('rejects the same handle object twice', () => {
    const one = memoryHandle({ maxEntries: 10 })
    expect(() => createCache({ name: 'x', handles: [one, one] })).toThrow(/appears twice/)
  })

  it('rejects backplane options that cannot work', () => {
    const make = (backplaneOptions: object) => () =>
      createCache({
        name: 'x',
        handles: [memoryHandle({ maxEntries: 10 })],
        backplane: {
          specificationVersion: 'v1',
          kind: 'none',
          connect: async () => {},
          publish: async () => {},
          close: async () => {},
        },
        backplaneOptions,
      })
    expect(make({ heartbeatInterval: '1s', heartbeatTimeout: '1s' })).toThrow(/heartbeatTimeout/)
    expect(make({ degradedTtl: 'soon' })).toThrow(/degradedTtl/)
    expect(make({ outboxSize: 0 })).toThrow(/outboxSize/)
    expect(make({ maxFrameBytes: 100 })).toThrow(/maxFrameBytes/)
    expect(make({ channelPrefix: 'a b' })).toThrow(/channelPrefix/)
    expect(make({ heartbeat: 1 })).toThrow(/Unknown option "backplaneOptions.heartbeat"/)
  })
})

describe('operations', () => {
  it('set then get, has, peek', async () => {
    const { cache } = twoLevel<{ name: string }>()
    await cache.set('p:1', { name: 'one' })
    expect(await cache.get('p:1')).toEqual({ name: 'one' })
    expect(cache.peek('p:1')).toEqual({ name: 'one' })
    expect(await cache.has('p:1')).toBe(true)
    expect(await cache.has('p:2')).toBe(false)
    expect(await cache.get('p:2')).toBeUndefined()
    expect(cache.peek('p:2')).toBeUndefined()
  })

  it('keeps live objects in L1 (no serialization on the hit path)', async () => {
    const { cache } = twoLevel<{ list: number[] }>()
    const value = { list: [1, 2] }
    await cache.set('k', value)
    expect(await cache.get('k')).toBe(value)
  })

  it('add stores only when absent', async () => {
    const { cache } = twoLevel<number>()
    expect(await cache.add('k', 1)).toBe(true)
    expect(await cache.add('k', 2)).toBe(false)
    expect(await cache.get('k')).toBe(1)
  })

  it('delete removes from every layer', async () => {
    const { cache, l1, l2 } = twoLevel<number>()
    await cache.set('k', 1)
    expect(await cache.delete('k')).toBe(true)
    expect(await cache.delete('k')).toBe(false)
    expect(l1.get('k', undefined)).toBeUndefined()
    expect(l2.get('k', undefined)).toBeUndefined()
    expect(await cache.get('k')).toBeUndefined()
  })

  it('regions are separate namespaces, and clearRegion clears one', async () => {
    const { cache } = twoLevel<string>()
    await cache.set('k', 'plain')
    await cache.set('k', 'in a', { region: 'a' })
    await cache.set('k', 'in b', { region: 'b' })
    expect(await cache.get('k', { region: 'a' })).toBe('in a')
    await cache.clearRegion('a')
    expect(await cache.get('k', { region: 'a' })).toBeUndefined()
    expect(await cache.get('k', { region: 'b' })).toBe('in b')
    expect(await cache.get('k')).toBe('plain')
  })

  it('clear removes everything', async () => {
    const { cache } = twoLevel<number>()
    await cache.set('a', 1)
    await cache.set('b', 2, { region: 'r' })
    await cache.clear()
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined])
    expect(await cache.get('b', { region: 'r' })).toBeUndefined()
  })

  it('getMany, setMany, deleteMany', async () => {
    const { cache } = twoLevel<number>()
    await cache.setMany([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ])
    expect(await cache.getMany(['a', 'x', 'b'])).toEqual([1, undefined, 2])
    expect(await cache.deleteMany(['a', 'x'])).toBe(1)
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, 2])
  })

  it('stores null but refuses undefined', async () => {
    const { cache } = twoLevel<null | undefined>()
    await cache.set('k', null)
    expect(await cache.get('k')).toBeNull()
    await expect(cache.set('k', undefined)).rejects.toMatchObject({ code: 'E_INVALID_VALUE' })
  })

  it('rejects bad keys, regions and options with typed errors', async () => {
    const { cache } = twoLevel<number>()
    await expect(cache.get('')).rejects.toMatchObject({ code: 'E_INVALID_KEY' })
    await expect(cache.get(42 as never)).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      message: expect.stringContaining('number 42'),
    })
    await expect(cache.get('x'.repeat(1025))).rejects.toMatchObject({ code: 'E_INVALID_KEY' })
    await expect(cache.get('k', { region: '' })).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      message: expect.stringContaining('region'),
    })
    await expect(cache.set('k', 1, { ttl: 'forever' as never })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      message: expect.stringContaining('"ttl"'),
    })
    await expect(cache.set('k', 1, { tll: 5 } as never)).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      message: expect.stringContaining('Unknown option "tll"'),
    })
    expect(() => cache.peek(null as never)).toThrow(CacheplaneError)
    await expect(cache.getOrSet('k', 'not a function' as never)).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    })
  })

  it('after close, calls reject with E_CLOSED', async () => {
    const { cache } = twoLevel<number>()
    await cache.close()
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(cache.set('k', 1)).rejects.toMatchObject({ code: 'E_CLOSED' })
    expect(() => cache.peek('k')).toThrow(/closed/)
    await cache.close()
  })

  it('emits local events, only to listeners', async () => {
    const { cache } = twoLevel<number>()
    const seen: string[] = []
    const listener = (event: { key: string; origin: string }) =>
      seen.push(`set ${event.key} ${event.origin}`)
    cache.on('entrySet', listener)
    cache.on('entryRemoved', (event) => seen.push(`removed ${event.key} ${event.origin}`))
    cache.on('entryExpired', (event) => seen.push(`expired ${event.key}`))
    cache.on('regionCleared', (event) => seen.push(`region ${event.region}`))
    cache.on('cacheCleared', () => seen.push('cleared'))
    await cache.set('a', 1)
    await cache.delete('a')
    await cache.set('b', 1)
    await cache.expire('b')
    await cache.clearRegion('r')
    await cache.clear()
    cache.off('entrySet', listener)
    await cache.set('c', 1)
    expect(seen).toEqual([
      'set a local',
      'removed a local',
      'set b local',
      'expired b',
      'region r',
      'cleared',
    ])
  })

  it('a throwing listener does not break the cache', async () => {
    const { cache } = twoLevel<number>()
    cache.on('entrySet', () => {
      throw new Error('listener bug')
    })
    await cache.set('a', 1)
    expect(await cache.get('a')).toBe(1)
  })
})

describe('the handle walk', () => {
  it('a hit in L2 fills L1 with the remaining TTL and the same version', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const { cache, l1, l2 } = twoLevel<string>({ ttl: 10_000 })
    const version = l2.set('k', undefined, {
      value: 'from l2',
      version: 0,
      createdAt: Date.now(),
      expiresAt: Date.now() + 4_000,
      staleUntil: Date.now() + 4_000,
      sliding: 0,
      tags: [],
    })
    vi.advanceTimersByTime(1_000)
    expect(await cache.get('k')).toBe('from l2')
    const filled = l1.get('k', undefined)
    expect(filled?.value).toBe('from l2')
    expect(filled?.expiresAt).toBe(1_000_000 + 4_000)
    expect(filled?.version).toBe(version)
    expect(cache.stats().handles).toEqual([
      { kind: 'memory', hits: 0, misses: 1 },
      { kind: 'memory', hits: 1, misses: 0 },
    ])
    expect(await cache.get('k')).toBe('from l2')
    expect(cache.stats().handles[0]).toEqual({ kind: 'memory', hits: 1, misses: 1 })
  })

  it('writes go to the source first and assign a version', async () => {
    const order: string[] = []
    const l1 = memoryHandle({ maxEntries: 10 })
    const l2 = memoryHandle({ maxEntries: 10 })
    const spy = (name: string, handle: typeof l1) => {
      const set = handle.set.bind(handle)
      handle.set = (key, region, entry) => {
        order.push(name)
        return set(key, region, entry)
      }
    }
    spy('l1', l1)
    spy('l2', l2)
    const cache = createCache<number>({ name: 'x', handles: [l1, l2] })
    await cache.set('k', 1)
    await cache.set('k', 2)
    expect(order).toEqual(['l2', 'l1', 'l2', 'l1'])
    const first = l2.get('k', undefined)!.version
    expect(first).toBeGreaterThan(0)
    expect(l1.get('k', undefined)!.version).toBe(first)
  })

  it('a source failure surfaces as E_L2_UNAVAILABLE with the cause', async () => {
    const { handle, control } = controllableHandle(memoryHandle({ maxEntries: 10 }))
    const cache = createCache<number>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 10 }), handle],
    })
    control.failing = true
    const error = await cache.get('k').catch((caught: unknown) => caught)
    expect(isCacheplaneError(error, 'E_L2_UNAVAILABLE')).toBe(true)
    expect((error as Error).cause).toBeInstanceOf(Error)
    await expect(cache.set('k', 1)).rejects.toMatchObject({ code: 'E_L2_UNAVAILABLE' })
  })

  it('a failing L1 is reported as an error event and skipped', async () => {
    const { handle, control } = controllableHandle(memoryHandle({ maxEntries: 10 }))
    const cache = createCache<number>({
      name: 'x',
      handles: [handle, memoryHandle({ maxEntries: 10 })],
    })
    const errors: CacheplaneError[] = []
    cache.on('error', (error) => errors.push(error))
    await cache.set('k', 1)
    control.failing = true
    expect(await cache.get('k')).toBe(1)
    expect(errors.map((error) => error.code)).toContain('E_HANDLE')
  })
})

describe('expiry', () => {
  it('ttl as a string, absolute', async () => {
    vi.useFakeTimers()
    const { cache } = twoLevel<number>()
    await cache.set('k', 1, { ttl: '5s' })
    vi.advanceTimersByTime(4_999)
    expect(await cache.get('k')).toBe(1)
    vi.advanceTimersByTime(1)
    expect(await cache.get('k')).toBeUndefined()
  })

  it('defaults apply when the call says nothing', async () => {
    vi.useFakeTimers()
    const { cache } = twoLevel<number>({ ttl: '1m' })
    await cache.set('k', 1)
    vi.advanceTimersByTime(59_999)
    expect(cache.peek('k')).toBe(1)
    vi.advanceTimersByTime(1)
    expect(cache.peek('k')).toBeUndefined()
  })

  it('sliding expiry renews on every read', async () => {
    vi.useFakeTimers()
    const { cache } = twoLevel<number>()
    await cache.set('k', 1, { ttl: 1_000, sliding: true })
    for (let step = 0; step < 5; step++) {
      vi.advanceTimersByTime(800)
      expect(await cache.get('k')).toBe(1)
    }
    vi.advanceTimersByTime(1_000)
    expect(await cache.get('k')).toBeUndefined()
  })

  it('grace keeps the value past its ttl in the store, and expire() is logical', async () => {
    vi.useFakeTimers()
    const { cache, l1, l2 } = twoLevel<number>()
    await cache.set('k', 1, { ttl: 1_000, grace: '1h' })
    vi.advanceTimersByTime(1_500)
    expect(await cache.get('k')).toBeUndefined()
    expect(l2.get('k', undefined)?.value).toBe(1)
    await cache.set('j', 2, { ttl: '1h', grace: '1h' })
    expect(await cache.expire('j')).toBe(true)
    expect(await cache.get('j')).toBeUndefined()
    expect(l1.get('j', undefined)?.value).toBe(2)
    expect(l2.get('j', undefined)?.value).toBe(2)
    vi.advanceTimersByTime(2 * 3_600_000)
    expect(l2.get('j', undefined)).toBeUndefined()
  })

  it('Infinity ttl never expires', async () => {
    vi.useFakeTimers()
    const { cache } = twoLevel<number>()
    await cache.set('k', 1, { ttl: Number.POSITIVE_INFINITY })
    vi.advanceTimersByTime(365 * 86_400_000)
    expect(await cache.get('k')).toBe(1)
  })
})

describe('getOrSet', () => {
  it('1000 concurrent calls on one key run the factory once', async () => {
    const { cache } = twoLevel<number>()
    let calls = 0
    const factory = async () => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 10))
      return 42
    }
    const results = await Promise.all(
      Array.from({ length: 1_000 }, () => cache.getOrSet('k', factory)),
    )
    expect(calls).toBe(1)
    expect(new Set(results)).toEqual(new Set([42]))
    expect(cache.stats().factoryCalls).toBe(1)
    expect(await cache.get('k')).toBe(42)
  })

  it('a failing factory rejects every waiter and caches nothing', async () => {
    const { cache } = twoLevel<number>()
    let calls = 0
    const failure = new Error('database down')
    const factory = async () => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 10))
      throw failure
    }
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => cache.getOrSet('k', factory)),
    )
    expect(calls).toBe(1)
    expect(
      results.every((result) => result.status === 'rejected' && result.reason === failure),
    ).toBe(true)
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.getOrSet('k', () => 7)).toBe(7)
  })

  it('different keys and regions run separately; a hit skips the factory', async () => {
    const { cache } = twoLevel<string>()
    const calls: string[] = []
    const factory = ({ key, region }: { key: string; region: string | undefined }) => {
      calls.push(`${region ?? '-'}/${key}`)
      return `${region ?? '-'}/${key}`
    }
    await Promise.all([
      cache.getOrSet('a', factory),
      cache.getOrSet('b', factory),
      cache.getOrSet('a', factory, { region: 'r' }),
    ])
    expect(await cache.getOrSet('a', factory)).toBe('-/a')
    expect(calls.sort()).toEqual(['-/a', '-/b', 'r/a'])
  })

  it('uses the per-call ttl', async () => {
    vi.useFakeTimers()
    const { cache } = twoLevel<number>()
    await cache.getOrSet('k', () => 1, { ttl: '2s' })
    vi.advanceTimersByTime(2_000)
    expect(await cache.get('k')).toBeUndefined()
  })
})

describe('the L1 hit path', () => {
  it('get answers from a synchronous L1 without touching L2', async () => {
    const { handle, control } = controllableHandle(memoryHandle({ maxEntries: 10 }))
    const cache = createCache<number>({
      name: 'x',
      handles: [memoryHandle({ maxEntries: 10 }), handle],
    })
    await cache.set('k', 1)
    const readsBefore = control.reads
    for (let index = 0; index < 100; index++) expect(await cache.get('k')).toBe(1)
    expect(control.reads).toBe(readsBefore)
  })

  it('a single-handle cache works (the handle is its own source)', async () => {
    const cache = createCache<number>({ name: 'x', handles: [memoryHandle({ maxEntries: 10 })] })
    await cache.set('k', 1)
    expect(await cache.get('k')).toBe(1)
    expect(cache.peek('k')).toBe(1)
    expect(await cache.get('missing')).toBeUndefined()
  })
})

describe('keys that cannot travel', () => {
  it('a lone surrogate in a written key, region or tag is E_INVALID_KEY / E_INVALID_OPTION, and reads still work', async () => {
    const { cache } = twoLevel<number>()
    await expect(cache.set('bad\ud800', 1)).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
      message: expect.stringContaining('lone UTF-16 surrogate'),
    })
    await expect(cache.set('k', 1, { region: '\udc00' })).rejects.toMatchObject({
      code: 'E_INVALID_KEY',
    })
    await expect(cache.set('k', 1, { tags: ['\ud800'] })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    })
    await expect(cache.clearRegion('\ud800')).rejects.toMatchObject({ code: 'E_INVALID_KEY' })
    expect(await cache.get('bad\ud800')).toBeUndefined()
  })

  it('maxKeyLength cannot exceed what receivers accept', () => {
    expect(() =>
      createCache({ name: 'x', handles: [memoryHandle({ maxEntries: 1 })], maxKeyLength: 100_000 }),
    ).toThrow(/maxKeyLength.*protocol/)
  })
})
