import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  controllableHandle,
  createFleet,
  type Fleet,
  fleetUp,
  isCacheplaneError,
  waitFor,
} from './support.js'

let fleet: Fleet<string> | undefined

afterEach(async () => {
  vi.useRealTimers()
  await fleet?.close()
  fleet = undefined
})

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

describe('fleet-wide stampede protection (fleetLock)', () => {
  it('runs the factory once for concurrent misses on every instance', async () => {
    fleet = createFleet<string>(3, { fleetLock: true })
    await fleetUp(fleet)
    const { opened, open } = gate()
    let calls = 0
    const factory = async () => {
      calls++
      await opened
      return 'value'
    }
    const results = Promise.all(
      fleet.caches.flatMap((cache) =>
        Array.from({ length: 100 }, () => cache.getOrSet('hot', factory)),
      ),
    )
    // Every instance has asked by now: the lock is taken, the others wait.
    await new Promise((resolve) => setImmediate(resolve))
    open()
    expect(new Set(await results)).toEqual(new Set(['value']))
    expect(calls).toBe(1)
    const factoryCalls = fleet.caches.map((cache) => cache.stats().factoryCalls)
    expect(factoryCalls.reduce((sum, count) => sum + count, 0)).toBe(1)
  })

  it('wakes waiters with the backplane news of the write, not by polling', async () => {
    fleet = createFleet<string>(2, { fleetLock: true })
    await fleetUp(fleet)
    const [holder, waiter] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
    const { opened, open } = gate()
    const holding = holder.getOrSet('k', async () => {
      await opened
      return 'from holder'
    })
    // Let the holder take the lock, then freeze the waiter's re-check timers.
    await new Promise((resolve) => setImmediate(resolve))
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let waiterCalls = 0
    const waiting = waiter.getOrSet('k', async () => {
      waiterCalls++
      return 'from waiter'
    })
    await new Promise((resolve) => setImmediate(resolve))
    open()
    // No timer can fire: only the 'changed' frame of the holder's write can wake the waiter.
    expect(await waiting).toBe('from holder')
    expect(await holding).toBe('from holder')
    expect(waiterCalls).toBe(0)
  })

  it('takes over once a crashed holder’s lease runs out', async () => {
    const shared = memoryHandle()
    const cache = createCache<string>({
      name: 'lease',
      handles: [memoryHandle(), shared],
      fleetLock: { lease: 200 },
    })
    try {
      // A holder that took the lock and died: nobody renews or releases it.
      expect(shared.acquireLock!('k', undefined, 'ghost', 200)).toBe(true)
      let calls = 0
      expect(
        await cache.getOrSet('k', () => {
          calls++
          return 'recovered'
        }),
      ).toBe('recovered')
      expect(calls).toBe(1)
      // The lock was released after the write: the next owner gets it at once.
      expect(shared.acquireLock!('k', undefined, 'next', 1_000)).toBe(true)
    } finally {
      await cache.close()
    }
  })

  it('re-checks the source on a backoff, not in a tight loop, while the holder works', async () => {
    const { handle: source, control } = controllableHandle(memoryHandle())
    const attempts: number[] = []
    const acquire = source.acquireLock!
    source.acquireLock = (key, region, owner, lease) => {
      attempts.push(Date.now())
      return acquire(key, region, owner, lease)
    }
    const cache = createCache<string>({
      name: 'backoff',
      handles: [memoryHandle(), source],
      fleetLock: { lease: 60_000, maxWait: 1_600 },
    })
    try {
      expect(await source.acquireLock('k', undefined, 'slow-holder', 60_000)).toBe(true)
      attempts.length = 0
      const value = await cache.getOrSet('k', () => 'ran after maxWait')
      expect(value).toBe('ran after maxWait')
      // 50 + 100 + 200 + 400 + 800 ms of waits fit into 1.6 s: a handful of attempts.
      expect(attempts.length).toBeGreaterThanOrEqual(3)
      expect(attempts.length).toBeLessThanOrEqual(8)
      expect(control.failing).toBe(false)
    } finally {
      await cache.close()
    }
  })

  it('gives the lock to a waiter when the holder’s factory fails', async () => {
    fleet = createFleet<string>(2, { fleetLock: true })
    await fleetUp(fleet)
    const [holder, waiter] = fleet.caches as [(typeof fleet.caches)[0], (typeof fleet.caches)[0]]
    const { opened, open } = gate()
    const failing = holder.getOrSet('k', async () => {
      await opened
      throw new Error('database down')
    })
    await new Promise((resolve) => setImmediate(resolve))
    const waiting = waiter.getOrSet('k', () => 'waiter ran it')
    open()
    await expect(failing).rejects.toThrow('database down')
    expect(await waiting).toBe('waiter ran it')
  })

  it('stops renewing the lease of a factory that never settles after maxWait', async () => {
    const shared = memoryHandle()
    const cache = createCache<string>({
      name: 'hung',
      handles: [memoryHandle(), shared],
      fleetLock: { lease: 100, maxWait: 300 },
    })
    try {
      void cache.getOrSet('k', () => new Promise<string>(() => undefined))
      await waitFor(
        () => shared.acquireLock!('k', undefined, 'probe', 1) === false,
        'the hung factory holds the lock',
      )
      const heldSince = Date.now()
      await waitFor(
        () => shared.acquireLock!('k', undefined, 'next', 60_000) === true,
        'the lease runs out once renewals stop',
        5_000,
      )
      // Renewed for maxWait (300 ms), then one lease (100 ms) more at most.
      expect(Date.now() - heldSince).toBeGreaterThanOrEqual(200)
    } finally {
      await cache.close()
    }
  })

  it('applies the hard timeout to the wait', async () => {
    const shared = memoryHandle()
    const cache = createCache<string>({
      name: 'hard',
      handles: [memoryHandle(), shared],
      fleetLock: { lease: 60_000 },
    })
    try {
      shared.acquireLock!('k', undefined, 'slow-holder', 60_000)
      let calls = 0
      await expect(
        cache.getOrSet(
          'k',
          () => {
            calls++
            return 'v'
          },
          { hardTimeout: 150 },
        ),
      ).rejects.toSatisfy((error) => isCacheplaneError(error, 'E_FACTORY_TIMEOUT'))
      expect(calls).toBe(0)
    } finally {
      await cache.close()
    }
  })

  it('is opt-in per cache and per call, and needs a source that can lock', async () => {
    const shared = memoryHandle()
    const plain = createCache<string>({ name: 'plain', handles: [memoryHandle(), shared] })
    const noLocks = memoryHandle()
    const withoutLocks = {
      ...noLocks,
      capabilities: { ...noLocks.capabilities, locks: false },
      attach: noLocks.attach.bind(noLocks),
      get: noLocks.get.bind(noLocks),
      set: noLocks.set.bind(noLocks),
      add: noLocks.add.bind(noLocks),
      delete: noLocks.delete.bind(noLocks),
      expire: noLocks.expire.bind(noLocks),
      clear: noLocks.clear.bind(noLocks),
      clearRegion: noLocks.clearRegion.bind(noLocks),
      close: noLocks.close.bind(noLocks),
    }
    const unlockable = createCache<string>({ name: 'unlockable', handles: [withoutLocks] })
    try {
      // Off by default: a held lock does not make getOrSet wait.
      shared.acquireLock!('k', undefined, 'someone', 60_000)
      expect(await plain.getOrSet('k', () => 'unlocked')).toBe('unlocked')
      // Per call, on: it waits, and gives up at the hard timeout.
      await expect(
        plain.getOrSet('k2', () => 'x', { fleetLock: true, hardTimeout: 10 }),
      ).resolves.toBe('x')
      shared.acquireLock!('k3', undefined, 'someone', 60_000)
      await expect(
        plain.getOrSet('k3', () => 'x', { fleetLock: true, hardTimeout: 100 }),
      ).rejects.toSatisfy((error) => isCacheplaneError(error, 'E_FACTORY_TIMEOUT'))
      await expect(unlockable.getOrSet('k', () => 'x', { fleetLock: true })).rejects.toSatisfy(
        (error) => isCacheplaneError(error, 'E_UNSUPPORTED'),
      )
      expect(() => createCache({ name: 'x', handles: [withoutLocks], fleetLock: true })).toThrow(
        /fleetLock/,
      )
      expect(() =>
        createCache({ name: 'x', handles: [memoryHandle()], fleetLock: { lease: 0 } }),
      ).toThrow(/fleetLock\.lease/)
      expect(() =>
        createCache({ name: 'x', handles: [memoryHandle()], fleetLock: { wait: 1 } as never }),
      ).toThrow(/fleetLock\.wait/)
    } finally {
      await plain.close()
      await unlockable.close()
    }
  })
})
