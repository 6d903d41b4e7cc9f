import type { BackplaneOptions, Cache, CacheOptions } from '@cacheplane/core'
import { type CacheEntry, type CacheHandle, CacheplaneError, createCache } from '@cacheplane/core'
import { createMemoryBus, memoryHandle, memoryTransport } from '@cacheplane/memory'

/** Polls `condition` until it holds or `timeout` ms pass; then fails with `message`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  message: string,
  timeout = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeout}ms waiting for: ${message}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Resolves with the first event of that name. */
export function nextEvent<E extends Parameters<Cache['on']>[0]>(
  cache: Cache,
  event: E,
  timeout = 5_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${event} event within ${timeout}ms`)),
      timeout,
    )
    cache.on(event, function listener(payload) {
      clearTimeout(timer)
      cache.off(event, listener)
      resolve(payload)
    })
  })
}

/** A handle that wraps another and can be told to fail, or to hold its reads until released. */
export function controllableHandle(inner: CacheHandle) {
  const control = {
    failing: false,
    gate: undefined as Promise<void> | undefined,
    reads: 0,
  }
  const fail = () => {
    throw new Error('store unavailable (test)')
  }
  const handle: CacheHandle = {
    specificationVersion: 'v1',
    kind: 'controllable',
    capabilities: inner.capabilities,
    attach: (context) => inner.attach(context),
    async get(key, region) {
      control.reads++
      if (control.failing) fail()
      const entry = inner.get(key, region) as CacheEntry | undefined
      if (control.gate !== undefined) await control.gate
      return entry
    },
    async set(key, region, entry) {
      if (control.failing) fail()
      return inner.set(key, region, entry)
    },
    async add(key, region, entry) {
      if (control.failing) fail()
      return inner.add(key, region, entry)
    },
    async delete(key, region) {
      if (control.failing) fail()
      return inner.delete(key, region)
    },
    async expire(key, region, now) {
      if (control.failing) fail()
      return inner.expire(key, region, now)
    },
    async clear() {
      if (control.failing) fail()
      return inner.clear()
    },
    async clearRegion(region) {
      if (control.failing) fail()
      return inner.clearRegion(region)
    },
    close: () => inner.close(),
  }
  if (inner.tagVersions !== undefined && inner.invalidateTags !== undefined) {
    const { tagVersions, invalidateTags } = inner
    handle.tagVersions = async (tags) => {
      if (control.failing) fail()
      return tagVersions.call(inner, tags)
    }
    handle.invalidateTags = async (tags) => {
      if (control.failing) fail()
      return invalidateTags.call(inner, tags)
    }
  }
  if (inner.acquireLock !== undefined && inner.releaseLock !== undefined) {
    const { acquireLock, releaseLock } = inner
    handle.acquireLock = async (key, region, owner, leaseMs) => {
      if (control.failing) fail()
      return acquireLock.call(inner, key, region, owner, leaseMs)
    }
    handle.releaseLock = async (key, region, owner) => {
      if (control.failing) fail()
      return releaseLock.call(inner, key, region, owner)
    }
  }
  /** Holds every read until the returned function is called. */
  const hold = () => {
    let release!: () => void
    control.gate = new Promise<void>((resolve) => {
      release = resolve
    })
    return () => {
      control.gate = undefined
      release()
    }
  }
  return { handle, control, hold }
}

export interface Fleet<T> {
  caches: Cache<T>[]
  transports: ReturnType<typeof memoryTransport>[]
  shared: ReturnType<typeof memoryHandle>
  bus: ReturnType<typeof createMemoryBus>
  close(): Promise<void>
}

/** `count` caches on one shared in-process L2 (the source) and one in-process bus. */
export function createFleet<T = unknown>(
  count: number,
  options: {
    backplaneOptions?: BackplaneOptions
    chaos?: Parameters<typeof memoryTransport>[0]['chaos']
    name?: string
    sourceFor?: (index: number, shared: CacheHandle) => CacheHandle
  } & Partial<Pick<CacheOptions, 'defaults' | 'fleetLock'>> = {},
): Fleet<T> {
  const bus = createMemoryBus()
  const shared = memoryHandle({ maxEntries: 100_000 })
  const transports: ReturnType<typeof memoryTransport>[] = []
  const caches = Array.from({ length: count }, (_, index) => {
    const transport = memoryTransport({ bus, ...(options.chaos ? { chaos: options.chaos } : {}) })
    transports.push(transport)
    return createCache<T>({
      name: options.name ?? 'fleet',
      handles: [memoryHandle({ maxEntries: 10_000 }), options.sourceFor?.(index, shared) ?? shared],
      backplane: transport,
      backplaneOptions: {
        heartbeatInterval: 20,
        heartbeatTimeout: 100,
        degradedTtl: 200,
        instanceId: `node-${index}`,
        ...options.backplaneOptions,
      },
      ...(options.defaults ? { defaults: options.defaults } : {}),
      ...(options.fleetLock !== undefined ? { fleetLock: options.fleetLock } : {}),
    })
  })
  return {
    caches,
    transports,
    shared,
    bus,
    async close() {
      await Promise.all(caches.map((cache) => cache.close()))
    },
  }
}

/** Resolves once every cache's backplane is up. */
export async function fleetUp(fleet: Fleet<unknown>): Promise<void> {
  await Promise.all(fleet.caches.map((cache) => cache.ready()))
}

export function isCacheplaneError(error: unknown, code: string): boolean {
  return CacheplaneError.isInstance(error) && error.code === code
}
