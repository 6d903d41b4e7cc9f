import type { FactoryContext } from './cache-types.js'
import { parseDuration } from './duration.js'
import type { CacheEntry } from './entry.js'
import { CacheplaneError } from './errors.js'
import type { CacheEvents } from './events.js'
import { factoryTimeoutError, raceFactory } from './factory-race.js'
import type { FleetLockSettings, HeldLock, LockOutcome } from './fleet-lock.js'
import { flightId } from './flights.js'
import type { Lookup } from './layers.js'
import type { GetOrSetOptions, ResolvedEntryOptions } from './options.js'
import { resolveWriteOptions } from './validation.js'

/** What `getOrSet`'s slow path needs from the cache. @internal */
export interface FactoryHost<T> {
  readonly defaults: ResolvedEntryOptions
  /** Keys whose factory runs in the background: at most one each. */
  readonly refreshing: Set<string>
  lookup(
    key: string,
    region: string | undefined,
    top: CacheEntry | Promise<CacheEntry | undefined> | undefined,
  ): Promise<Lookup>
  write(
    key: string,
    region: string | undefined,
    value: T,
    options: ResolvedEntryOptions,
    skipBackplane: boolean,
    tagVersion: number,
  ): Promise<void>
  serveStale(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    reason: CacheEvents['staleServed']['reason'],
  ): T
  emitError(error: CacheplaneError): void
  countFactoryCall(): void
  /** The `tagVersion` for an entry with these tags, read before its value is computed. */
  tagStamp(tags: readonly string[]): Promise<number>
  /** The fleet-wide lock settings for this call, or `undefined` when it does not lock. */
  fleetLockFor(requested: boolean | undefined): FleetLockSettings | undefined
  acquireOrWait(
    key: string,
    region: string | undefined,
    settings: FleetLockSettings,
    limit: number,
  ): Promise<LockOutcome>
  tryLock(
    key: string,
    region: string | undefined,
    settings: FleetLockSettings,
  ): Promise<HeldLock | undefined>
}

/** getOrSet after an L1 miss: the lower layers, then the factory, with fail-safe, timeouts and the fleet-wide lock. */
export async function loadOrCompute<T>(
  cache: FactoryHost<T>,
  key: string,
  region: string | undefined,
  top: CacheEntry | Promise<CacheEntry | undefined> | undefined,
  factory: (context: FactoryContext) => T | Promise<T>,
  options: GetOrSetOptions | undefined,
): Promise<T> {
  const found = await cache.lookup(key, region, top)
  if (found.entry !== undefined) return found.entry.value as T
  const { softTimeout, hardTimeout, fleetLock, ...writeOptions } = options ?? {}
  const resolved = resolveWriteOptions(writeOptions, cache.defaults)
  const soft = softTimeout === undefined ? undefined : parseDuration(softTimeout, 'softTimeout')
  let hard = hardTimeout === undefined ? undefined : parseDuration(hardTimeout, 'hardTimeout')
  const fleet = cache.fleetLockFor(fleetLock)
  const skipBackplane = options?.skipBackplane === true
  const { stale } = found
  if (found.failure !== undefined) {
    if (stale !== undefined) return cache.serveStale(key, region, stale, 'l2Unavailable')
    // Nothing to fall back to and nowhere to store: the factory answers, uncached.
    cache.emitError(found.failure)
    cache.countFactoryCall()
    return factory({ key, region })
  }
  if (stale !== undefined && found.staleTrusted) {
    // Stale-while-revalidate: the value only aged past its ttl; refresh it behind the caller's back.
    refreshInBackground(cache, key, region, factory, resolved, skipBackplane, fleet)
    return cache.serveStale(key, region, stale, 'refreshing')
  }
  let lock: HeldLock | undefined
  if (fleet !== undefined) {
    const waitFrom = Date.now()
    const limit = hard === undefined ? fleet.maxWait : Math.min(hard, fleet.maxWait)
    const outcome = await cache.acquireOrWait(key, region, fleet, limit)
    if (outcome.kind === 'found') return outcome.entry.value as T
    if (outcome.kind === 'held') lock = outcome.lock
    else if (outcome.timedOut && hard !== undefined && hard <= fleet.maxWait) {
      // The instance holding the lock did not store a value within the hard timeout.
      if (stale !== undefined) return cache.serveStale(key, region, stale, 'hardTimeout')
      throw factoryTimeoutError(key, hard)
    }
    // The hard timeout counts from the call, the wait included.
    if (hard !== undefined) hard = Math.max(1, hard - (Date.now() - waitFrom))
  }
  let tagVersion: number
  try {
    tagVersion = await cache.tagStamp(resolved.tags)
  } catch (error) {
    lock?.release()
    throw error
  }
  cache.countFactoryCall()
  const call = Promise.resolve().then(() => factory({ key, region }))
  if (lock !== undefined) {
    const held = lock
    // Held until the factory settles, also when the caller stopped waiting for it.
    call.then(
      () => undefined,
      () => held.release(),
    )
  }
  const outcome = await raceFactory(call, soft, hard, stale !== undefined)
  switch (outcome.kind) {
    case 'value':
      try {
        await cache.write(key, region, outcome.value, resolved, skipBackplane, tagVersion)
      } finally {
        lock?.release()
      }
      return outcome.value
    case 'failed':
      if (stale !== undefined) return cache.serveStale(key, region, stale, 'factoryFailed')
      throw outcome.error
    case 'softTimeout':
      storeWhenDone(cache, key, region, call, resolved, skipBackplane, tagVersion, lock)
      return cache.serveStale(key, region, stale!, 'softTimeout')
    case 'hardTimeout':
      storeWhenDone(cache, key, region, call, resolved, skipBackplane, tagVersion, lock)
      if (stale !== undefined) return cache.serveStale(key, region, stale, 'hardTimeout')
      throw factoryTimeoutError(key, hard!)
  }
}

/**
 * Stale-while-revalidate: runs the factory in the background, at most once
 * per key at a time in this process, and with the fleet-wide lock once in
 * the fleet (an instance that cannot take the lock leaves the refresh to the
 * one that holds it).
 */
function refreshInBackground<T>(
  cache: FactoryHost<T>,
  key: string,
  region: string | undefined,
  factory: (context: FactoryContext) => T | Promise<T>,
  options: ResolvedEntryOptions,
  skipBackplane: boolean,
  fleet: FleetLockSettings | undefined,
): void {
  const id = flightId(key, region)
  if (cache.refreshing.has(id)) return
  cache.refreshing.add(id)
  const refresh = async () => {
    const lock = fleet === undefined ? undefined : await cache.tryLock(key, region, fleet)
    if (fleet !== undefined && lock === undefined) return
    try {
      const tagVersion = await cache.tagStamp(options.tags)
      cache.countFactoryCall()
      const value = await factory({ key, region })
      await cache.write(key, region, value, options, skipBackplane, tagVersion)
    } finally {
      lock?.release()
    }
  }
  refresh()
    .catch((error: unknown) => cache.emitError(backgroundError(key, error)))
    .finally(() => cache.refreshing.delete(id))
}

/** A factory that outlived its caller's timeout: its result is stored when it lands (once per key at a time). */
function storeWhenDone<T>(
  cache: FactoryHost<T>,
  key: string,
  region: string | undefined,
  call: Promise<T>,
  options: ResolvedEntryOptions,
  skipBackplane: boolean,
  tagVersion: number,
  lock: HeldLock | undefined,
): void {
  const id = flightId(key, region)
  if (cache.refreshing.has(id)) {
    call.then(
      () => lock?.release(),
      () => undefined,
    )
    return
  }
  cache.refreshing.add(id)
  call
    .then((value) => cache.write(key, region, value, options, skipBackplane, tagVersion))
    .catch((error: unknown) => cache.emitError(backgroundError(key, error)))
    .finally(() => {
      lock?.release()
      cache.refreshing.delete(id)
    })
}

function backgroundError(key: string, error: unknown): CacheplaneError {
  return CacheplaneError.isInstance(error)
    ? error
    : new CacheplaneError('E_HANDLE', `The background refresh of "${key}" failed.`, {
        cause: error,
      })
}
