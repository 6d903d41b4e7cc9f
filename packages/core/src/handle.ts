import type { CacheEntry } from './entry.js'
import type { Serializer } from './serializer.js'

/** A result that an in-process handle returns at once and a distributed one as a promise. */
export type MaybePromise<T> = T | Promise<T>

/**
 * What a handle can do, declared on the handle itself. The cache and the
 * conformance suite read these; a handle is tested for exactly what it claims.
 */
export interface HandleCapabilities {
  /** Shared between processes (Redis). Only a distributed handle is a meaningful backplane source across a fleet. */
  readonly distributed: boolean
  /** The smallest TTL step the store honours, in ms: 1 for millisecond precision, 1000 for seconds. */
  readonly ttlPrecision: number
  /** `compareAndSet` is implemented and atomic. */
  readonly cas: boolean
  /** `getMany`, `setMany` and `deleteMany` are implemented natively (one round trip, or one per slot). */
  readonly batch: boolean
  /**
   * `tagVersions` and `invalidateTags` are implemented: the handle can be the
   * source of a cache that uses tags. Absent means false.
   */
  readonly tags?: boolean
  /**
   * `acquireLock` and `releaseLock` are implemented: the handle can be the
   * source of a cache with fleet-wide stampede protection. Absent means false.
   */
  readonly locks?: boolean
}

/** What a handle learns when a cache takes it into use. */
export interface HandleContext {
  /** The cache's name. Distributed handles put it into their keys so that caches never share entries. */
  readonly cacheName: string
  /** Turns values into bytes. In-process handles keep live objects and ignore it. */
  readonly serializer: Serializer
}

/** What {@link CacheHandle.setAndPublish} publishes once the entry is stored. */
export interface WritePublication {
  /** The backplane's channel. */
  readonly channel: string
  /** A frame without its last item: the version, which the handle appends. */
  readonly frame: Uint8Array
}

/**
 * The contract between the cache and a storage layer (adapter authors implement
 * this; `@cacheplane/conformance` tests it).
 *
 * Keys come in two parts, `region` (optional) and `key`; a handle must keep
 * `(region, key)` pairs apart, so that no two pairs share a stored entry.
 * Every method may return its result directly (in-process stores: the cache's
 * hot path then has no promise to wait for) or as a promise.
 */
export interface CacheHandle {
  readonly specificationVersion: 'v1'
  /** A short name for stats and messages, such as `'memory'` or `'redis'`. */
  readonly kind: string
  readonly capabilities: HandleCapabilities
  /**
   * Marks this handle as the backplane source: the layer every instance falls
   * back to, written first. At most one handle of a cache says so; when none
   * does, the last handle is the source.
   */
  readonly backplaneSource?: boolean

  /**
   * Called once by each cache that uses the handle, before any other call. A
   * handle shared by several caches in one process must be attached with the
   * same cache name each time, or throw `E_INVALID_OPTION`. Each cache calls
   * `close` once in turn: a shared handle releases its data on the last one.
   */
  attach(context: HandleContext): void

  /**
   * The entry, or `undefined` when there is none or it is past `staleUntil`.
   * Returns logically expired entries (they serve fail-safe). Renews a sliding
   * entry (see `slide`) in the same operation. `now` is the cache's clock
   * reading: in-process handles use it rather than reading the clock again
   * (the hit path reads it once); distributed handles may ignore it.
   */
  get(key: string, region: string | undefined, now?: number): MaybePromise<CacheEntry | undefined>

  /**
   * The entry, synchronously and without side effects (no sliding renewal), or
   * `undefined`. In-process handles implement it; the cache uses it to compare
   * versions when an invalidation arrives.
   */
  peek?(key: string, region: string | undefined): CacheEntry | undefined

  /**
   * Stores the entry until `entry.staleUntil`, replacing any entry of the key.
   * When `entry.version` is 0 the handle assigns the next version of the key
   * (greater than any version the key had, including before a delete, for as
   * long as it can remember); otherwise it stores the version it was given.
   * Returns the version stored. An in-process handle may keep the very object
   * (and write the assigned version into it); the cache never reuses it. A
   * local (non-source) handle may decline to keep an entry, e.g. one larger
   * than its byte budget: that only costs a miss.
   */
  set(key: string, region: string | undefined, entry: CacheEntry): MaybePromise<number>

  /**
   * Stores the entry only when the key holds no fresh entry. Returns the stored
   * version, or `undefined` when a fresh entry was there (and is kept).
   */
  add(key: string, region: string | undefined, entry: CacheEntry): MaybePromise<number | undefined>

  /** Removes the entry. Returns whether there was one. */
  delete(key: string, region: string | undefined): MaybePromise<boolean>

  /**
   * Logical expiry: the entry stops being fresh at `now` but is kept until its
   * `staleUntil` for fail-safe. Returns whether there was an entry.
   */
  expire(key: string, region: string | undefined, now: number): MaybePromise<boolean>

  /** Removes every entry of this cache (never other caches' entries). */
  clear(): MaybePromise<void>

  /** Removes every entry of the region, without scanning unrelated keys where the store allows. */
  clearRegion(region: string): MaybePromise<void>

  /**
   * Compare-and-set on the version: stores `entry` only when the key's current
   * version is `expectedVersion` (`0`: the key must be absent). Returns the new
   * version, or `undefined` when the current version differed. Required when
   * `capabilities.cas` is true.
   */
  compareAndSet?(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    expectedVersion: number,
  ): MaybePromise<number | undefined>

  /** Many keys at once, results in the order of `keys`. Required when `capabilities.batch` is true. */
  getMany?(
    keys: readonly string[],
    region: string | undefined,
  ): MaybePromise<(CacheEntry | undefined)[]>
  setMany?(
    items: readonly { key: string; entry: CacheEntry }[],
    region: string | undefined,
  ): MaybePromise<number[]>
  deleteMany?(keys: readonly string[], region: string | undefined): MaybePromise<number>

  /**
   * The current version of each tag, in the order of `tags`: 0 for a tag never
   * invalidated. Required when `capabilities.tags` is true.
   */
  tagVersions?(tags: readonly string[]): MaybePromise<number[]>

  /**
   * Gives every tag in `tags` one new version, greater than any version any tag
   * of this cache has had (a per-cache counter), atomically, and returns it. An
   * entry whose `tagVersion` is lower than the version of one of its tags is
   * invalidated. Never scans entries. Required when `capabilities.tags` is true.
   */
  invalidateTags?(tags: readonly string[]): MaybePromise<number>

  /**
   * Takes the fleet-wide lock of the key for `owner` for `leaseMs`, or, when
   * `owner` already holds it, extends the lease to `leaseMs` from now. Returns
   * whether `owner` holds the lock. A lock whose lease ran out is free. The
   * lock is independent of the entry (it neither reads nor changes it).
   * Required when `capabilities.locks` is true.
   */
  acquireLock?(
    key: string,
    region: string | undefined,
    owner: string,
    leaseMs: number,
  ): MaybePromise<boolean>

  /** Releases the key's lock if `owner` holds it. Returns whether it did. */
  releaseLock?(key: string, region: string | undefined, owner: string): MaybePromise<boolean>

  /**
   * Optional, for a source that shares its server with the backplane (a Redis
   * handle and a Redis backplane on one client): `set`, and in the same atomic
   * step, once the entry is stored, publishes one message to
   * `publication.channel`: the bytes of `publication.frame` followed by the
   * version stored, as a CBOR unsigned integer in its shortest form. Returns
   * the version, like `set`. The cache calls it only when its transport's
   * `publishesWith(handle)` says the message reaches the transport's
   * subscribers, so that a lone write costs one round trip instead of two.
   */
  setAndPublish?(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    publication: WritePublication,
  ): Promise<number>

  /** Releases what the handle opened. Never closes a client the user passed in. */
  close(): MaybePromise<void>
}
