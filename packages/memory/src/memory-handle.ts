import {
  type CacheEntry,
  CacheplaneError,
  type HandleCapabilities,
  type HandleContext,
  slide,
} from '@cacheplane/core'
import { ClockCache } from './clock-cache.js'
import { LockTable } from './lock-table.js'
import {
  type MemoryHandleOptions,
  type ResolvedMemoryHandleOptions,
  resolveMemoryHandleOptions,
} from './memory-handle-options.js'
import type { MemoryHandle } from './memory-handle-types.js'
import { describeValue } from './option-checks.js'
import { RegionIndex, type StoreKey } from './region-index.js'
import { estimateEntrySize } from './size-estimate.js'
import { TagVersions } from './tag-versions.js'

const capabilities: HandleCapabilities = Object.freeze({
  distributed: false,
  ttlPrecision: 1,
  cas: true,
  batch: true,
  tags: true,
  locks: true,
})

/**
 * An in-process handle on a CLOCK store of its own (decision 0009): the L1 of a
 * cache. It keeps the entry objects it is given (no copy, no serialization)
 * and answers synchronously, so a cache's L1 hit never waits for a promise.
 *
 * A `set` of an entry with version 0 writes the assigned version into that
 * entry object.
 *
 * @example
 * const cache = createCache({ name: 'products', handles: [memoryHandle({ maxEntries: 10_000 }), redisHandle({ client })] })
 */
export function memoryHandle(options?: MemoryHandleOptions): MemoryHandle {
  return new ClockMemoryHandle(resolveMemoryHandleOptions(options))
}

/*
 * Physical expiry is checked lazily against `entry.staleUntil` on access; the
 * store has no timers and no per-entry TTL (lru-cache's `ttl` doubled its `get`,
 * to ~50 ns, by reading `performance.now()` behind a re-armed timer). Our check
 * costs one `Date.now()` (~45 ns, and V8 boxes the result) and only for entries
 * that can die (finite `staleUntil`, or sliding); a caller that passes `now`
 * pays nothing and allocates nothing. It keeps a single clock (the entries' own
 * `Date.now()` times), follows sliding and `expire` without touching the store,
 * and arms no timers, so fake timers and `vi.setSystemTime` see exactly what
 * the cache sees. Dead entries left unread are pushed out by `maxEntries` like
 * any cold entry.
 */
class ClockMemoryHandle implements MemoryHandle {
  readonly specificationVersion = 'v1'
  readonly kind = 'memory'
  readonly capabilities = capabilities
  readonly backplaneSource: boolean
  readonly #entries: ClockCache<StoreKey, CacheEntry>
  readonly #regions = new RegionIndex()
  readonly #maxBytes: number | undefined
  readonly #sizeOf: (entry: CacheEntry) => number
  readonly #tags = new TagVersions()
  readonly #locks = new LockTable()
  /** Never reset, so a key's versions keep growing across delete and re-set. */
  #lastVersion = 0
  #cacheName: string | undefined
  #attachments = 0

  constructor(options: ResolvedMemoryHandleOptions) {
    this.backplaneSource = options.backplaneSource
    this.#maxBytes = options.maxBytes
    this.#sizeOf = options.sizeOf ?? estimateEntrySize
    this.#entries = new ClockCache<StoreKey, CacheEntry>({
      maxEntries: options.maxEntries,
      maxBytes: options.maxBytes,
      // Evictions only: the handle's own deletes go through #remove.
      onEvict: (storeKey) => this.#forget(storeKey),
    })
  }

  get size(): number {
    return this.#entries.size
  }

  attach(context: HandleContext): void {
    const cacheName = context.cacheName
    if (this.#cacheName !== undefined && this.#cacheName !== cacheName) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Invalid option "handles": got a memory handle already attached to cache "${this.#cacheName}", expected a handle of its own for cache "${cacheName}" (create one handle per cache).`,
      )
    }
    this.#cacheName = cacheName
    this.#attachments++
  }

  // The hot path: with no region, nothing is allocated or built.
  get(key: string, region: string | undefined, now?: number): CacheEntry | undefined {
    if (region === undefined) return this.#read(key, now)
    const storeKey = this.#regions.find(region, key)
    return storeKey === undefined ? undefined : this.#read(storeKey, now)
  }

  peek(key: string, region: string | undefined): CacheEntry | undefined {
    const storeKey = this.#find(key, region)
    if (storeKey === undefined) return undefined
    const entry = this.#entries.peek(storeKey)
    if (entry === undefined || isDead(entry, Date.now())) return undefined
    return entry
  }

  set(key: string, region: string | undefined, entry: CacheEntry): number {
    const version = this.#stamp(entry)
    this.#store(key, region, entry)
    return version
  }

  add(key: string, region: string | undefined, entry: CacheEntry): number | undefined {
    const now = Date.now()
    const current = this.#current(key, region, now)
    if (current !== undefined && current.expiresAt > now) return undefined
    return this.set(key, region, entry)
  }

  compareAndSet(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    expectedVersion: number,
  ): number | undefined {
    const current = this.#current(key, region, Date.now())
    const currentVersion = current === undefined ? 0 : current.version
    if (currentVersion !== expectedVersion) return undefined
    return this.set(key, region, entry)
  }

  delete(key: string, region: string | undefined): boolean {
    const storeKey = this.#find(key, region)
    if (storeKey === undefined) return false
    const entry = this.#entries.peek(storeKey)
    if (entry === undefined) return false
    this.#remove(storeKey)
    return !isDead(entry, Date.now())
  }

  expire(key: string, region: string | undefined, now: number): boolean {
    const entry = this.#current(key, region, now)
    if (entry === undefined) return false
    if (entry.expiresAt > now) entry.expiresAt = now
    return true
  }

  clear(): void {
    this.#entries.clear()
    this.#regions.clear()
  }

  clearRegion(region: string): void {
    // `take` has dropped the region's keys from the index already.
    const storeKeys = this.#regions.take(region)
    if (storeKeys === undefined) return
    for (const storeKey of storeKeys) this.#entries.delete(storeKey)
  }

  getMany(keys: readonly string[], region: string | undefined): (CacheEntry | undefined)[] {
    const now = Date.now()
    return keys.map((key) => this.get(key, region, now))
  }

  setMany(
    items: readonly { key: string; entry: CacheEntry }[],
    region: string | undefined,
  ): number[] {
    return items.map((item) => this.set(item.key, region, item.entry))
  }

  deleteMany(keys: readonly string[], region: string | undefined): number {
    let deleted = 0
    for (const key of keys) if (this.delete(key, region)) deleted++
    return deleted
  }

  tagVersions(tags: readonly string[]): number[] {
    return this.#tags.versionsOf(tags)
  }

  invalidateTags(tags: readonly string[]): number {
    return this.#tags.invalidate(tags)
  }

  acquireLock(key: string, region: string | undefined, owner: string, leaseMs: number): boolean {
    return this.#locks.acquire(key, region, owner, leaseMs, Date.now())
  }

  releaseLock(key: string, region: string | undefined, owner: string): boolean {
    return this.#locks.release(key, region, owner, Date.now())
  }

  /**
   * A handle shared by several caches keeps its entries, tag versions and
   * locks until the last of them closes it; then it empties and can be
   * attached afresh (its counters go on, so versions never repeat).
   */
  close(): void {
    if (this.#attachments > 1) {
      this.#attachments--
      return
    }
    this.#attachments = 0
    this.#cacheName = undefined
    this.clear()
    this.#tags.forget()
    this.#locks.clear()
  }

  /** @internal */
  regionIndexSizes(): Map<string, number> {
    return this.#regions.sizes()
  }

  /** @internal */
  lockTable(): LockTable {
    return this.#locks
  }

  #read(storeKey: StoreKey, now: number | undefined): CacheEntry | undefined {
    const entry = this.#entries.get(storeKey)
    if (entry === undefined) return undefined
    // The cache's hit: a fresh entry is alive (`staleUntil >= expiresAt`), so only sliding is left to check.
    if (now !== undefined && entry.expiresAt > now) {
      if (entry.sliding > 0) slide(entry, now)
      return entry
    }
    // Entries that can neither die nor slide need no clock.
    if (entry.staleUntil === Number.POSITIVE_INFINITY && entry.sliding <= 0) return entry
    const time = now ?? Date.now()
    if (time >= entry.staleUntil) {
      this.#remove(storeKey)
      return undefined
    }
    // Only a fresh entry slides: an expired one must not come back to life on a read.
    if (entry.sliding > 0 && entry.expiresAt > time) slide(entry, time)
    return entry
  }

  /** The entry if it is alive at `now`, without renewing it; drops a dead one. */
  #current(key: string, region: string | undefined, now: number): CacheEntry | undefined {
    const storeKey = this.#find(key, region)
    if (storeKey === undefined) return undefined
    const entry = this.#entries.peek(storeKey)
    if (entry === undefined) return undefined
    if (isDead(entry, now)) {
      this.#remove(storeKey)
      return undefined
    }
    return entry
  }

  /** Deletes from the store and the region index together (the store reports evictions only). */
  #remove(storeKey: StoreKey): void {
    this.#entries.delete(storeKey)
    this.#forget(storeKey)
  }

  #forget(storeKey: StoreKey): void {
    if (typeof storeKey !== 'string') this.#regions.forget(storeKey)
  }

  #find(key: string, region: string | undefined): StoreKey | undefined {
    return region === undefined ? key : this.#regions.find(region, key)
  }

  #stamp(entry: CacheEntry): number {
    if (entry.version === 0) {
      entry.version = ++this.#lastVersion
    } else if (entry.version > this.#lastVersion) {
      this.#lastVersion = entry.version
    }
    return entry.version
  }

  #store(key: string, region: string | undefined, entry: CacheEntry): void {
    // Already past its physical expiry: keeping it would only push out a live entry.
    if (entry.staleUntil !== Number.POSITIVE_INFINITY && isDead(entry, Date.now())) {
      this.delete(key, region)
      return
    }
    if (this.#maxBytes === undefined) {
      this.#entries.set(region === undefined ? key : this.#regions.intern(region, key), entry)
      return
    }
    const size = this.#measure(entry)
    // Checked before interning, so that a refused entry leaves no region key behind.
    if (size > this.#maxBytes) {
      this.delete(key, region)
      return
    }
    const storeKey = region === undefined ? key : this.#regions.intern(region, key)
    this.#entries.set(storeKey, entry, size)
  }

  #measure(entry: CacheEntry): number {
    const size = this.#sizeOf(entry)
    if (typeof size !== 'number' || !(size > 0) || !Number.isFinite(size)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Invalid option "sizeOf": it returned ${describeValue(size)}, expected a positive number of bytes.`,
      )
    }
    return Math.ceil(size)
  }
}

/** Keys per region in a handle's region index, for tests that check it against the store. @internal */
export function regionIndexSizes(handle: MemoryHandle): Map<string, number> {
  return (handle as ClockMemoryHandle).regionIndexSizes()
}

/** The handle's lock table, for tests that check expired locks are dropped. @internal */
export function lockTableOf(handle: MemoryHandle): LockTable {
  return (handle as ClockMemoryHandle).lockTable()
}

function isDead(entry: CacheEntry, now: number): boolean {
  return now >= entry.staleUntil
}
