import type { CacheEventListener, CacheEventName } from './events.js'
import type { GetOrSetOptions, KeyOptions, SetOptions, WriteOptions } from './options.js'
import type { UpdateOptions } from './update.js'

/** What a `getOrSet` factory is told. */
export interface FactoryContext {
  readonly key: string
  readonly region: string | undefined
}

/** Hits and misses of one handle. */
export interface HandleStats {
  readonly kind: string
  readonly hits: number
  readonly misses: number
}

/** Counters of the backplane engine. */
export interface BackplaneStats {
  readonly state: 'connecting' | 'up' | 'down' | 'closed'
  readonly instanceId: string
  readonly channel: string
  readonly framesPublished: number
  readonly framesReceived: number
  /** Keys (and regions, tags, clears) sent in frames, heartbeats not counted. */
  readonly invalidationsPublished: number
  /** Keys (and regions, tags, clears) received from other instances. */
  readonly invalidationsReceived: number
  readonly ownFramesIgnored: number
  readonly decodeErrors: number
  readonly gapsDetected: number
  readonly publishFailures: number
  readonly outboxSize: number
  /** Other instances heard from recently. */
  readonly knownSenders: number
  /** Known instances not heard from within `heartbeatTimeout` (this instance runs degraded meanwhile). */
  readonly silentSenders: number
  readonly outboxOverflows: number
  /**
   * Frames the source published with the write they announce (one round trip
   * instead of two: a lone `set` while nothing else waits to be sent, with a
   * source and backplane that share a server). Counted in `framesPublished` too.
   */
  readonly framesPublishedWithWrites: number
}

export interface CacheStats {
  /** Per handle, in order (the first is L1). */
  readonly handles: readonly HandleStats[]
  /** `getOrSet` factory calls. */
  readonly factoryCalls: number
  /** Values past their logical expiry served because of fail-safe. */
  readonly staleServed: number
  /** `error` events emitted (also counted when nobody listens). */
  readonly errors: number
  /** `undefined` when the cache has no backplane. */
  readonly backplane: BackplaneStats | undefined
}

/**
 * A multi-level cache. Create one with `createCache`; see the core README.
 */
export interface Cache<T = unknown> {
  readonly name: string
  /** This instance's id on the backplane. */
  readonly instanceId: string

  /**
   * Resolves once the backplane is subscribed (at once without a backplane).
   * Pub/sub delivers only to subscribers that are already there: an instance
   * that writes before its peers are ready may not be heard by them (their
   * first subscription marks their L1 stale anyway). Rejects with `E_CLOSED`
   * if the cache is closed first.
   */
  ready(): Promise<void>

  /** The value, walking the handles top-down and filling the ones above a hit. */
  get(key: string, options?: KeyOptions): Promise<T | undefined>
  /**
   * The value from L1 only, synchronously, or `undefined`. For hot paths that
   * can do without L2: never calls a distributed handle.
   */
  peek(key: string, options?: KeyOptions): T | undefined
  /** The value, or the factory's result stored under the key. One factory call per key at a time in this process. */
  getOrSet(
    key: string,
    factory: (context: FactoryContext) => T | Promise<T>,
    options?: GetOrSetOptions,
  ): Promise<T>
  /** Stores the value in every handle (the source first) and tells the other instances. */
  set(key: string, value: T, options?: SetOptions): Promise<void>
  /**
   * Read-modify-write with compare-and-set on the entry version in the
   * backplane source: `updater` gets the current value (or `undefined`) and
   * returns the new one; if another writer got in between, it runs again, with
   * exponential backoff and jitter, up to `maxRetries` times within `timeout`
   * (then `E_UPDATE_CONFLICT`). The invalidation is published once, on success.
   * `updater` may run several times: keep it free of side effects.
   *
   * @example await cache.update('stock:1', (stock) => (stock ?? 0) - 1, { maxRetries: 20 })
   */
  update(
    key: string,
    updater: (current: T | undefined) => T | Promise<T>,
    options?: UpdateOptions,
  ): Promise<T>
  /** Stores the value only if the key holds no fresh value. Returns whether it was stored. */
  add(key: string, value: T, options?: SetOptions): Promise<boolean>
  /** Removes the key everywhere. Returns whether the source held it. */
  delete(key: string, options?: WriteOptions): Promise<boolean>
  /** Whether a fresh value exists (same walk as `get`). */
  has(key: string, options?: KeyOptions): Promise<boolean>
  /** Logical expiry: the value stops being fresh now, but is kept for its grace period. */
  expire(key: string, options?: WriteOptions): Promise<boolean>
  getMany(keys: readonly string[], options?: KeyOptions): Promise<(T | undefined)[]>
  setMany(items: readonly { key: string; value: T }[], options?: SetOptions): Promise<void>
  /** Returns how many keys the source held. */
  deleteMany(keys: readonly string[], options?: WriteOptions): Promise<number>
  /** Removes every entry of this cache, here and (through the backplane) from every L1. */
  clear(options?: { skipBackplane?: boolean }): Promise<void>
  clearRegion(region: string, options?: { skipBackplane?: boolean }): Promise<void>
  /**
   * Every entry carrying one of the tags becomes a miss, on every instance:
   * the source gives the tags a new version, entries are checked against it
   * when read (nothing is scanned), and other instances hear of it through the
   * backplane. An invalidated entry still serves fail-safe within its grace.
   * Needs a source that keeps tag versions (`capabilities.tags`).
   *
   * @example
   * await cache.set('p:1', product, { tags: ['brand:acme'] })
   * await cache.invalidateTags(['brand:acme'])
   */
  invalidateTags(tags: readonly string[], options?: { skipBackplane?: boolean }): Promise<void>

  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this
  off<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this
  stats(): CacheStats
  /** Stops the backplane and releases the handles. Calls after `close` reject with `E_CLOSED`. */
  close(): Promise<void>
}
