import type { FactoryContext } from './cache-types.js'
import { parseDuration } from './duration.js'
import type { CacheEntry } from './entry.js'
import { CacheplaneError } from './errors.js'
import type { CacheEvents } from './events.js'
import { factoryTimeoutError, raceFactory } from './factory-race.js'
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
  ): Promise<void>
  serveStale(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    reason: CacheEvents['staleServed']['reason'],
  ): T
  emitError(error: CacheplaneError): void
  countFactoryCall(): void
}

/** getOrSet after an L1 miss: the lower layers, then the factory, with fail-safe and timeouts. */
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
  const { softTimeout, hardTimeout, ...writeOptions } = options ?? {}
  const resolved = resolveWriteOptions(writeOptions, cache.defaults)
  const soft = softTimeout === undefined ? undefined : parseDuration(softTimeout, 'softTimeout')
  const hard = hardTimeout === undefined ? undefined : parseDuration(hardTimeout, 'hardTimeout')
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
    refreshInBackground(
      cache,
      key,
      region,
      Promise.resolve().then(() => factory({ key, region })),
      resolved,
      skipBackplane,
    )
    return cache.serveStale(key, region, stale, 'refreshing')
  }
  cache.countFactoryCall()
  const call = Promise.resolve().then(() => factory({ key, region }))
  const outcome = await raceFactory(call, soft, hard, stale !== undefined)
  switch (outcome.kind) {
    case 'value':
      await cache.write(key, region, outcome.value, resolved, skipBackplane)
      return outcome.value
    case 'failed':
      if (stale !== undefined) return cache.serveStale(key, region, stale, 'factoryFailed')
      throw outcome.error
    case 'softTimeout':
      refreshInBackground(cache, key, region, call, resolved, skipBackplane, true)
      return cache.serveStale(key, region, stale!, 'softTimeout')
    case 'hardTimeout':
      refreshInBackground(cache, key, region, call, resolved, skipBackplane, true)
      if (stale !== undefined) return cache.serveStale(key, region, stale, 'hardTimeout')
      throw factoryTimeoutError(key, hard!)
  }
}

/**
 * Stores a factory result when it lands, at most one per key at a time.
 * `started` says the call already runs (a timed-out factory); otherwise it
 * is counted here.
 */
function refreshInBackground<T>(
  cache: FactoryHost<T>,
  key: string,
  region: string | undefined,
  call: Promise<T>,
  options: ResolvedEntryOptions,
  skipBackplane: boolean,
  started = false,
): void {
  const id = flightId(key, region)
  if (cache.refreshing.has(id)) {
    call.catch(() => undefined)
    return
  }
  if (!started) cache.countFactoryCall()
  cache.refreshing.add(id)
  call
    .then((value) => cache.write(key, region, value, options, skipBackplane))
    .catch((error: unknown) =>
      cache.emitError(
        CacheplaneError.isInstance(error)
          ? error
          : new CacheplaneError('E_HANDLE', `The background refresh of "${key}" failed.`, {
              cause: error,
            }),
      ),
    )
    .finally(() => cache.refreshing.delete(id))
}
