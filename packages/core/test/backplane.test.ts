import { memoryHandle } from '@cacheplane/memory'
import { afterEach, describe, expect, it } from 'vitest'
import { createCache } from '../src/cache.js'
import type { CacheEvents } from '../src/events.js'
import {
  controllableHandle,
  createFleet,
  type Fleet,
  fleetUp,
  nextEvent,
  waitFor,
} from './support.js'

let fleet: Fleet<string> | undefined

afterEach(async () => {
  await fleet?.close()
  fleet = undefined
})

async function upFleet(...args: Parameters<typeof createFleet>) {
  fleet = createFleet<string>(...args)
  await fleetUp(fleet as Fleet<unknown>)
  return fleet
}

/** Every cache reads the key once so that it sits in every L1. */
async function warm(caches: Fleet<string>['caches'], key: string, region?: string) {
  for (const cache of caches) await cache.get(key, region ? { region } : undefined)
  for (const cache of caches) expect(cache.peek(key, region ? { region } : undefined)).toBeDefined()
}

describe('invalidations reach the other instances', () => {
  it('set on one evicts the others, which then read the new value', async () => {
    const { caches } = await upFleet(3)
    const [a, b, c] = caches as [(typeof caches)[0], (typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'v1')
    await warm(caches, 'k')
    await b.set('k', 'v2')
    await waitFor(() => a.peek('k') === undefined && c.peek('k') === undefined, 'a and c evicted')
    expect(b.peek('k')).toBe('v2')
    expect(await a.get('k')).toBe('v2')
    expect(await c.get('k')).toBe('v2')
  })

  it.each([
    ['delete', (cache: Fleet<string>['caches'][0]) => cache.delete('k')],
    ['expire', (cache: Fleet<string>['caches'][0]) => cache.expire('k')],
    ['deleteMany', (cache: Fleet<string>['caches'][0]) => cache.deleteMany(['k'])],
    ['clear', (cache: Fleet<string>['caches'][0]) => cache.clear()],
  ])('%s on one evicts the others', async (_name, operation) => {
    const { caches } = await upFleet(3)
    await caches[0]!.set('k', 'v1', { grace: '1m' })
    await warm(caches, 'k')
    await operation(caches[1]!)
    await waitFor(() => caches.every((cache) => cache.peek('k') === undefined), 'every L1 evicted')
    expect(await caches[2]!.get('k')).toBeUndefined()
  })

  it('setMany on one evicts the others', async () => {
    const { caches } = await upFleet(2)
    await caches[0]!.setMany([
      { key: 'a', value: '1' },
      { key: 'b', value: '1' },
    ])
    await warm(caches, 'a')
    await warm(caches, 'b')
    await caches[0]!.setMany([
      { key: 'a', value: '2' },
      { key: 'b', value: '2' },
    ])
    await waitFor(
      () => caches[1]!.peek('a') === undefined && caches[1]!.peek('b') === undefined,
      'evicted',
    )
    expect(await caches[1]!.getMany(['a', 'b'])).toEqual(['2', '2'])
  })

  it('clearRegion on one clears that region in the others, and only that region', async () => {
    const { caches } = await upFleet(3)
    await caches[0]!.set('k', 'in r', { region: 'r' })
    await caches[0]!.set('k', 'in s', { region: 's' })
    await warm(caches, 'k', 'r')
    await warm(caches, 'k', 's')
    await caches[1]!.clearRegion('r')
    await waitFor(
      () => caches.every((cache) => cache.peek('k', { region: 'r' }) === undefined),
      'region r evicted everywhere',
    )
    expect(caches.every((cache) => cache.peek('k', { region: 's' }) === 'in s')).toBe(true)
  })

  it('remote events carry origin remote', async () => {
    const { caches } = await upFleet(2)
    const removed = nextEvent(caches[1]!, 'entryRemoved') as Promise<CacheEvents['entryRemoved']>
    await caches[0]!.set('k', 'v')
    await caches[0]!.delete('k')
    expect(await removed).toEqual({ key: 'k', region: undefined, origin: 'remote' })
  })

  it('skipBackplane keeps the others as they are', async () => {
    const { caches } = await upFleet(2)
    await caches[0]!.set('k', 'v1')
    await warm(caches, 'k')
    await caches[0]!.set('k', 'v2', { skipBackplane: true })
    await caches[0]!.set('marker', 'm')
    await waitFor(
      async () => caches[1]!.peek('k') !== undefined && (await caches[1]!.get('marker')) === 'm',
      'marker',
    )
    expect(caches[1]!.peek('k')).toBe('v1')
  })

  it('own frames are ignored: the writer keeps its fresh L1 copy', async () => {
    const { caches } = await upFleet(2)
    await caches[0]!.set('k', 'v1')
    await waitFor(
      () => (caches[0]!.stats().backplane?.ownFramesIgnored ?? 0) > 0,
      'own frame heard',
    )
    expect(caches[0]!.peek('k')).toBe('v1')
  })

  it('caches with different names never see each other', async () => {
    const { caches, bus, shared } = await upFleet(1, { name: 'alpha' })
    const { memoryTransport } = await import('@cacheplane/memory')
    const other = createCache<string>({
      name: 'beta',
      handles: [memoryHandle({ maxEntries: 10 }), memoryHandle({ maxEntries: 10 })],
      backplane: memoryTransport({ bus }),
      backplaneOptions: { heartbeatInterval: 20, heartbeatTimeout: 100 },
    })
    try {
      await other.set('k', 'beta')
      await caches[0]!.set('k', 'alpha')
      await waitFor(
        () => (other.stats().backplane?.ownFramesIgnored ?? 0) > 2,
        'beta heard its own heartbeats',
      )
      expect(other.peek('k')).toBe('beta')
      expect(other.stats().backplane?.framesReceived).toBe(
        other.stats().backplane?.ownFramesIgnored,
      )
      expect(shared).toBeDefined()
    } finally {
      await other.close()
    }
  })
})

describe('versions decide order', () => {
  it('a changed frame with a version not newer than L1 holds is ignored', async () => {
    const { caches } = await upFleet(2)
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'v1')
    await a.set('k', 'v2')
    expect(await b.get('k')).toBe('v2')
    // b now holds v2; replaying the invalidation of an older version must not evict it.
    const before = b.stats().backplane!.invalidationsReceived
    await a.set('other', 'x')
    await waitFor(() => b.stats().backplane!.invalidationsReceived > before, 'b received the frame')
    expect(b.peek('k')).toBe('v2')
  })
})

describe('the load/invalidate race', () => {
  it('a read in flight when an invalidation arrives does not store the old value as fresh', async () => {
    let hold: (() => () => void) | undefined
    const { caches } = await upFleet(2, {
      sourceFor: (index, shared) => {
        if (index !== 1) return shared
        const controllable = controllableHandle(shared)
        hold = controllable.hold
        return controllable.handle
      },
    })
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'old')
    const release = hold!()
    const slowRead = b.get('k')
    // The read has taken 'old' from L2 and is held; now a writes and b hears of it.
    const changed = nextEvent(b, 'entrySet')
    await a.set('k', 'new')
    await changed
    release()
    expect(await slowRead).toBe('old')
    expect(b.peek('k')).toBeUndefined()
    expect(await b.get('k')).toBe('new')
  })
})

describe('missed messages', () => {
  it('a gap in a sender sequence marks the whole L1 stale', async () => {
    const { caches, transports } = await upFleet(2)
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'v1')
    await warm(caches, 'k')
    const missed = nextEvent(b, 'messagesMissed') as Promise<CacheEvents['messagesMissed']>
    // b's subscription silently loses a's frames for a moment (short of the heartbeat timeout).
    transports[1]!.silence()
    await a.set('k', 'v2')
    await a.set('k', 'v3')
    await new Promise((resolve) => setTimeout(resolve, 5))
    transports[1]!.unsilence()
    expect(await missed).toMatchObject({ reason: 'sequenceGap', senderId: 'node-0' })
    expect(b.peek('k')).toBeUndefined()
    expect(await b.get('k')).toBe('v3')
  })

  it('a silent subscription is found dead by heartbeats: degraded, then recovered', async () => {
    const { caches, transports } = await upFleet(2)
    const [, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    const disconnected = nextEvent(b, 'backplaneDisconnected') as Promise<
      CacheEvents['backplaneDisconnected']
    >
    const started = Date.now()
    transports[1]!.silence()
    expect((await disconnected).reason).toMatch(/heartbeat/)
    // heartbeatTimeout 100ms, checked every heartbeatInterval (20ms), with room for a busy machine.
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(b.stats().backplane?.state).toBe('down')
    const recovered = nextEvent(b, 'backplaneRecovered')
    transports[1]!.unsilence()
    await recovered
    expect(b.stats().backplane?.state).toBe('up')
  })

  it('a transport that goes down and comes back marks the L1 stale', async () => {
    const { caches, transports } = await upFleet(2)
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'v1')
    await warm(caches, 'k')
    const disconnected = nextEvent(b, 'backplaneDisconnected')
    transports[1]!.disconnect('test cut')
    await disconnected
    await a.set('k', 'v2')
    const recovered = nextEvent(b, 'messagesMissed') as Promise<CacheEvents['messagesMissed']>
    transports[1]!.reconnect()
    expect((await recovered).reason).toBe('reconnect')
    expect(b.peek('k')).toBeUndefined()
    expect(await b.get('k')).toBe('v2')
  })

  it('while degraded, L1 entries live at most degradedTtl', async () => {
    const { caches, transports } = await upFleet(2, { backplaneOptions: { degradedTtl: 150 } })
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'v1', { ttl: '1h' })
    expect(await b.get('k')).toBe('v1')
    const disconnected = nextEvent(b, 'backplaneDisconnected')
    transports[1]!.disconnect('test cut')
    await disconnected
    const downAt = Date.now()
    // Filled while degraded: capped at degradedTtl.
    await a.set('j', 'j1', { ttl: '1h' })
    expect(await b.get('j')).toBe('j1')
    await waitFor(
      () => b.peek('k') === undefined && b.peek('j') === undefined,
      'degraded entries expire',
      2_000,
    )
    expect(Date.now() - downAt).toBeGreaterThanOrEqual(140)
  })
})

describe('degraded mode is only for trouble', () => {
  it('in normal operation L1 keeps the full ttl', async () => {
    const { caches } = await upFleet(2, { backplaneOptions: { degradedTtl: 50 } })
    await caches[0]!.set('k', 'v', { ttl: '1h' })
    expect(await caches[1]!.get('k')).toBe('v')
    const stamp = Date.now()
    await waitFor(() => Date.now() - stamp > 200, 'four degradedTtl periods pass')
    expect(caches[1]!.peek('k')).toBe('v')
  })

  it('a sender that goes silent puts the others in degraded mode until it is back', async () => {
    const { caches, transports } = await upFleet(2, { backplaneOptions: { degradedTtl: 100 } })
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'v1', { ttl: '1h' })
    expect(await b.get('k')).toBe('v1')
    await waitFor(() => b.stats().backplane?.knownSenders === 1, 'b has heard from a')
    // a can still write the shared L2 but none of its frames get out.
    transports[0]!.disconnect('publisher cut')
    await a.set('k', 'v2')
    await waitFor(() => b.stats().backplane?.silentSenders === 1, 'b notices that a went silent')
    await waitFor(() => b.peek('k') === undefined, 'b stops trusting its copy', 2_000)
    expect(await b.get('k')).toBe('v2')
    transports[0]!.reconnect()
    await waitFor(() => a.stats().backplane?.outboxSize === 0, 'outbox flushed')
  })
})

describe('the outbox', () => {
  it('failed publishes are retried once the transport is back', async () => {
    const { caches, transports } = await upFleet(2)
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('k', 'v1')
    await warm(caches, 'k')
    transports[0]!.disconnect('publisher cut')
    await a.set('k', 'v2')
    await waitFor(
      () => (a.stats().backplane?.outboxSize ?? 0) > 0,
      'invalidation kept in the outbox',
    )
    expect(b.peek('k')).toBe('v1')
    transports[0]!.reconnect()
    await waitFor(() => a.stats().backplane?.outboxSize === 0, 'outbox flushed')
    await waitFor(() => b.peek('k') === undefined, 'b evicted')
    expect(b.stats().backplane?.gapsDetected, 'the failed frame left no gap').toBe(0)
    expect(await b.get('k')).toBe('v2')
  })

  it('overflow is reported and answered with a cleared once publishing works', async () => {
    const { caches, transports } = await upFleet(2, { backplaneOptions: { outboxSize: 3 } })
    const [a, b] = caches as [(typeof caches)[0], (typeof caches)[0]]
    await a.set('untouched', 'u', { skipBackplane: true })
    expect(await b.get('untouched')).toBe('u')
    const overflowed = nextEvent(a, 'outboxOverflowed')
    transports[0]!.disconnect('publisher cut')
    for (let index = 0; index < 10; index++) await a.set(`k${index}`, 'v')
    await overflowed
    const cleared = nextEvent(b, 'cacheCleared') as Promise<CacheEvents['cacheCleared']>
    transports[0]!.reconnect()
    expect(await cleared).toEqual({ origin: 'remote' })
    expect(b.peek('untouched')).toBeUndefined()
    expect(a.stats().backplane?.outboxOverflows).toBe(1)
  })
})

describe('bad frames', () => {
  it('garbage on the channel is counted and reported, never thrown', async () => {
    const { caches, transports } = await upFleet(2)
    const errors: unknown[] = []
    caches[1]!.on('error', (error) => errors.push(error))
    await transports[0]!.publish(new Uint8Array([1, 2, 3]))
    await transports[0]!.publish(new Uint8Array([0x43, 0x50, 9, 0, 0x80]))
    await waitFor(
      () => (caches[1]!.stats().backplane?.decodeErrors ?? 0) >= 2,
      'decode errors counted',
    )
    expect(errors.every((error) => (error as { code: string }).code === 'E_BACKPLANE_DECODE')).toBe(
      true,
    )
    await caches[0]!.set('k', 'still works')
    expect(await caches[1]!.get('k')).toBe('still works')
  })
})

describe('ready()', () => {
  it('resolves once subscribed, and rejects with E_CLOSED when closed first', async () => {
    const { createMemoryBus, memoryTransport } = await import('@cacheplane/memory')
    const bus = createMemoryBus()
    const make = () =>
      createCache<string>({
        name: 'ready',
        handles: [memoryHandle({ maxEntries: 10 })],
        backplane: memoryTransport({ bus }),
      })
    const cache = make()
    await cache.ready()
    expect(cache.stats().backplane?.state).toBe('up')
    await cache.close()
    const early = createCache<string>({
      name: 'ready',
      handles: [memoryHandle({ maxEntries: 10 })],
      // A transport whose subscription never comes up.
      backplane: {
        specificationVersion: 'v1',
        kind: 'never',
        connect: () => new Promise<void>(() => {}),
        publish: async () => {},
        close: async () => {},
      },
    })
    const ready = early.ready()
    await early.close()
    await expect(ready).rejects.toMatchObject({ code: 'E_CLOSED' })
    const local = createCache({ name: 'plain', handles: [memoryHandle({ maxEntries: 1 })] })
    await expect(local.ready()).resolves.toBeUndefined()
  })
})
