import { type CacheHandle, createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { afterEach, describe, expect, it } from 'vitest'
import {
  controllableHandle,
  createFleet,
  type Fleet,
  fleetUp,
  isCacheplaneError,
  nextEvent,
  waitFor,
} from './support.js'

let fleet: Fleet<string> | undefined

afterEach(async () => {
  await fleet?.close()
  fleet = undefined
})

/** A source without the tags capability: the memory handle with its tag methods hidden. */
function untaggedSource(): CacheHandle {
  const inner = memoryHandle()
  return {
    specificationVersion: 'v1',
    kind: 'untagged',
    capabilities: { ...inner.capabilities, tags: false },
    attach: (context) => inner.attach(context),
    get: (key, region) => inner.get(key, region),
    set: (key, region, entry) => inner.set(key, region, entry),
    add: (key, region, entry) => inner.add(key, region, entry),
    delete: (key, region) => inner.delete(key, region),
    expire: (key, region, now) => inner.expire(key, region, now),
    clear: () => inner.clear(),
    clearRegion: (region) => inner.clearRegion(region),
    close: () => inner.close(),
  }
}

describe('invalidateTags', () => {
  it('makes every entry carrying a tag a miss on every instance, and leaves the rest alone', async () => {
    fleet = createFleet<string>(3)
    await fleetUp(fleet)
    const [a, b, c] = fleet.caches as [
      (typeof fleet.caches)[0],
      (typeof fleet.caches)[0],
      (typeof fleet.caches)[0],
    ]
    await a.set('p:1', 'acme widget', { tags: ['brand:acme', 'kind:widget'] })
    await a.set('p:2', 'acme gadget', { tags: ['brand:acme'] })
    await a.set('p:3', 'other', { tags: ['brand:other'] })
    await a.set('p:4', 'untagged')
    // Every instance holds every entry in its L1.
    for (const cache of [b, c]) {
      for (const key of ['p:1', 'p:2', 'p:3', 'p:4']) await cache.get(key)
      expect(cache.peek('p:1')).toBe('acme widget')
    }
    const heardB = nextEvent(b, 'tagsInvalidated')
    const heardC = nextEvent(c, 'tagsInvalidated')
    await a.invalidateTags(['brand:acme'])
    expect(await heardB).toEqual({ tags: ['brand:acme'], origin: 'remote' })
    await heardC
    for (const cache of [a, b, c]) {
      expect(cache.peek('p:1')).toBeUndefined()
      expect(await cache.get('p:1')).toBeUndefined()
      expect(await cache.get('p:2')).toBeUndefined()
      expect(await cache.get('p:3')).toBe('other')
      expect(await cache.get('p:4')).toBe('untagged')
    }
  })

  it('lets a rewrite after the invalidation be a hit again', async () => {
    fleet = createFleet<string>(2)
    await fleetUp(fleet)
    const [a, b] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
    await a.set('p:1', 'old', { tags: ['t'] })
    await a.invalidateTags(['t'])
    await b.set('p:1', 'new', { tags: ['t'] })
    await waitFor(async () => (await a.get('p:1')) === 'new', 'a reads the rewrite')
    expect(await b.get('p:1')).toBe('new')
  })

  it("follows an entry's current tags, not the ones it had before (BentoCache #83)", async () => {
    fleet = createFleet<string>(2)
    await fleetUp(fleet)
    const [a, b] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
    await a.set('k', 'v1', { tags: ['old'] })
    await a.set('k', 'v2', { tags: ['new'] })
    await waitFor(async () => (await b.get('k')) === 'v2', 'b reads v2')
    await a.invalidateTags(['old'])
    await nextEvent(b, 'tagsInvalidated').catch(() => undefined)
    expect(await a.get('k')).toBe('v2')
    expect(await b.get('k')).toBe('v2')
    const heard = nextEvent(b, 'tagsInvalidated')
    await a.invalidateTags(['new'])
    await heard
    expect(await a.get('k')).toBeUndefined()
    expect(await b.get('k')).toBeUndefined()
  })

  it('keeps a factory result that began before the invalidation out of later reads', async () => {
    fleet = createFleet<string>(2)
    await fleetUp(fleet)
    const [a, b] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let started!: () => void
    const factoryStarted = new Promise<void>((resolve) => {
      started = resolve
    })
    const loading = a.getOrSet(
      'p:1',
      async () => {
        started()
        await gate
        return 'read before the change'
      },
      { tags: ['brand:acme'] },
    )
    await factoryStarted
    const heard = nextEvent(a, 'tagsInvalidated')
    await b.invalidateTags(['brand:acme'])
    // Once a has heard of it: before that, a may serve what it knew (the backplane's bound).
    await heard
    release()
    // The caller gets what it waited for; nobody reads it from the cache afterwards.
    expect(await loading).toBe('read before the change')
    expect(await a.get('p:1')).toBeUndefined()
    expect(await b.get('p:1')).toBeUndefined()
  })

  it('runs the factory for an invalidated entry instead of serving it stale, and falls back to it when the factory fails', async () => {
    fleet = createFleet<string>(1)
    await fleetUp(fleet)
    const [cache] = fleet.caches as [(typeof fleet.caches)[0]]
    await cache.set('k', 'v1', { tags: ['t'], ttl: '1m', grace: '1h' })
    await cache.invalidateTags(['t'])
    let calls = 0
    expect(
      await cache.getOrSet(
        'k',
        () => {
          calls++
          return 'v2'
        },
        { tags: ['t'], grace: '1h' },
      ),
    ).toBe('v2')
    expect(calls).toBe(1)
    await cache.invalidateTags(['t'])
    const stale = nextEvent(cache, 'staleServed')
    expect(
      await cache.getOrSet(
        'k',
        () => {
          throw new Error('database down')
        },
        { tags: ['t'], grace: '1h' },
      ),
    ).toBe('v2')
    expect(await stale).toMatchObject({ key: 'k', reason: 'factoryFailed' })
  })

  it('hands update no value when the current one was invalidated', async () => {
    fleet = createFleet<string>(1)
    await fleetUp(fleet)
    const [cache] = fleet.caches as [(typeof fleet.caches)[0]]
    await cache.set('k', 'v1', { tags: ['t'] })
    await cache.invalidateTags(['t'])
    const seen: (string | undefined)[] = []
    await cache.update(
      'k',
      (current) => {
        seen.push(current)
        return 'fresh'
      },
      { tags: ['t'] },
    )
    expect(seen).toEqual([undefined])
    expect(await cache.get('k')).toBe('fresh')
  })

  it('asks the source again when the tag versions it knew may be stale (a lost frame)', async () => {
    fleet = createFleet<string>(2)
    await fleetUp(fleet)
    const [a, b] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
    await a.set('k', 'v', { tags: ['t'] })
    expect(await b.get('k')).toBe('v')
    // b does not hear this one: it sees the gap with a's next frame.
    fleet.transports[1]!.silence()
    const published = a.stats().backplane!.framesPublished
    await a.invalidateTags(['t'])
    await waitFor(() => a.stats().backplane!.framesPublished > published, 'the frame went out')
    fleet.transports[1]!.unsilence()
    const missed = nextEvent(b, 'messagesMissed')
    await a.set('other', 'x')
    await missed
    expect(await b.get('k')).toBeUndefined()
  })

  it('serves an entry whose tags cannot be checked only within grace, when the source is down', async () => {
    const { handle: source, control } = controllableHandle(memoryHandle())
    const cache = createCache<string>({
      name: 'tags-down',
      handles: [memoryHandle(), source],
      circuitBreaker: false,
    })
    try {
      await cache.set('graced', 'g', { tags: ['t'], grace: '1h' })
      await cache.set('bare', 'b', { tags: ['t'] })
      // Tag versions are forgotten (as after a reconnect): the next reads must ask the source.
      ;(cache as unknown as { markAllStale(): void }).markAllStale()
      control.failing = true
      expect(await cache.get('graced')).toBe('g')
      await expect(cache.get('bare')).rejects.toSatisfy((error) =>
        isCacheplaneError(error, 'E_L2_UNAVAILABLE'),
      )
    } finally {
      await cache.close()
    }
  })

  it('refuses bad tags and sources without tag versions with typed errors', async () => {
    const cache = createCache<string>({ name: 'tags-bad', handles: [memoryHandle()] })
    const untagged = createCache<string>({ name: 'tags-none', handles: [untaggedSource()] })
    try {
      for (const bad of [[], [''], 'tag', [1], ['\uD800'], undefined]) {
        await expect(cache.invalidateTags(bad as never)).rejects.toSatisfy((error) =>
          isCacheplaneError(error, 'E_INVALID_OPTION'),
        )
      }
      await expect(untagged.invalidateTags(['t'])).rejects.toSatisfy((error) =>
        isCacheplaneError(error, 'E_UNSUPPORTED'),
      )
      await expect(untagged.set('k', 'v', { tags: ['t'] })).rejects.toSatisfy((error) =>
        isCacheplaneError(error, 'E_UNSUPPORTED'),
      )
      // Untagged writes and reads are fine on such a source.
      await untagged.set('k', 'v')
      expect(await untagged.get('k')).toBe('v')
      expect(() =>
        createCache({ name: 'x', handles: [untaggedSource()], defaults: { tags: ['t'] } }),
      ).toThrow(/defaults\.tags/)
    } finally {
      await cache.close()
      await untagged.close()
    }
  })
})
