import { BackplaneEngine, type BackplaneHost } from './backplane/engine.js'
import type { Cache, CacheStats, FactoryContext } from './cache-types.js'
import { CircuitBreaker } from './circuit-breaker.js'
import { coarseNow } from './clock.js'
import { type CacheEntry, createEntry } from './entry.js'
import { CacheplaneError, describeValue } from './errors.js'
import {
  type CacheEventListener,
  type CacheEventName,
  type CacheEvents,
  Emitter,
} from './events.js'
import {
  acquireOrWait,
  type FleetLockSettings,
  type HeldLock,
  type LockOutcome,
  locksUnsupported,
  tryLock,
} from './fleet-lock.js'
import { flightId } from './flights.js'
import { loadOrCompute } from './get-or-set.js'
import { Layers, type LocalEntry, type Lookup, localError } from './layers.js'
import {
  type CacheOptions,
  type GetOrSetOptions,
  type KeyOptions,
  type ResolvedCacheOptions,
  type ResolvedEntryOptions,
  resolveCacheOptions,
  type SetOptions,
  type WriteOptions,
} from './options.js'
import type { Operation } from './protocol/frame.js'
import { applyRemoteOperation } from './remote-operations.js'
import { SingleFlight } from './single-flight.js'
import { TagVerdict, tagsUnsupported } from './tags.js'
import { compareAndSetLoop, resolveUpdateOptions, type UpdateOptions } from './update.js'
import {
  closedError,
  invalidArgument,
  invalidKeyError,
  isValidKey,
  isValidRegion,
  isWellFormedKey,
  resolveWriteOptions,
} from './validation.js'
import { WritePath } from './write-path.js'

/**
 * Creates a cache: ordered handles (fastest first), the last one (or the one
 * that says so) being the backplane source, and optionally a backplane
 * transport that keeps every instance's local layers consistent.
 *
 * @example
 * const cache = createCache<Product>({
 *   name: 'products',
 *   handles: [memoryHandle({ maxEntries: 10_000 }), redisHandle({ client })],
 *   backplane: redisBackplane({ client }),
 *   defaults: { ttl: '10m' },
 * })
 */
export function createCache<T = unknown>(options: CacheOptions): Cache<T> {
  return new CacheplaneCache<T>(resolveCacheOptions(options))
}

class CacheplaneCache<T> implements Cache<T>, BackplaneHost {
  readonly name: string
  readonly instanceId: string
  private readonly layers: Layers
  private readonly top: NonNullable<CacheOptions['handles'][number]>
  /** L1 is a local layer whose entries need the stale-generation check. */
  private readonly topIsLocal: boolean
  private readonly engine: BackplaneEngine | undefined
  private readonly emitter = new Emitter()
  private readonly writes: WritePath
  private readonly factories = new SingleFlight<T>()
  readonly defaults: ResolvedEntryOptions
  private readonly maxKeyLength: number
  /** Keys whose factory runs in the background (at most one each). @internal */
  readonly refreshing = new Set<string>()
  /** L1 hits of `get` and `peek`, kept apart from `layers.hits` so that a hit touches one field. */
  private l1Hits = 0
  private factoryCalls = 0
  private staleServed = 0
  private errors = 0
  private closed = false
  private degradedTtl = 0
  private readonly fleetLock: ResolvedCacheOptions['fleetLock']

  constructor(options: ResolvedCacheOptions) {
    this.name = options.name
    this.defaults = options.defaults
    this.maxKeyLength = options.maxKeyLength
    this.fleetLock = options.fleetLock
    for (const handle of options.handles) {
      handle.attach({ cacheName: options.name, serializer: options.serializer })
    }
    this.layers = new Layers(options.handles, options.sourceIndex, (error) => this.emitError(error))
    this.top = options.handles[0]!
    this.topIsLocal = options.sourceIndex !== 0
    this.instanceId = options.backplaneOptions.instanceId
    if (options.circuitBreaker !== undefined) {
      const { failures, breakDuration } = options.circuitBreaker
      this.layers.breaker = new CircuitBreaker(failures, breakDuration, (open, count) => {
        if (open)
          this.emitter.emit('circuitOpened', { failures: count, until: Date.now() + breakDuration })
        else this.emitter.emit('circuitClosed', {})
      })
    }
    this.writes = new WritePath(this.layers, this.emitter, () => this.engine)
    if (options.backplane !== undefined) {
      this.engine = new BackplaneEngine(
        options.backplane,
        options.backplaneOptions,
        options.name,
        this,
      )
      this.degradedTtl = options.backplaneOptions.degradedTtl
      this.engine.start()
    }
  }

  ready(): Promise<void> {
    return this.engine === undefined ? Promise.resolve() : this.engine.ready
  }

  // Reads. The L1 hit path: no allocation beyond the returned promise, no await.

  get(key: string, options?: KeyOptions): Promise<T | undefined> {
    const region = options === undefined ? undefined : options.region
    if (this.closed || !isValidKey(key, region, this.maxKeyLength))
      return this.rejectCall(key, region)
    const now = coarseNow()
    const entry = this.readTop(key, region, now)
    if (entry !== undefined && this.usableTop(entry, now)) {
      this.l1Hits++
      return this.settled(entry as CacheEntry)
    }
    if (options !== undefined && options.skipL2 === true) return this.readTopOnly(entry)
    return this.lookup(key, region, entry).then((found) => this.settleRead(key, region, found))
  }

  peek(key: string, options?: KeyOptions): T | undefined {
    const region = options === undefined ? undefined : options.region
    if (this.closed) throw closedError()
    if (!isValidKey(key, region, this.maxKeyLength))
      throw invalidKeyError(key, region, this.maxKeyLength)
    const now = coarseNow()
    const entry = this.readTop(key, region, now)
    if (entry !== undefined && this.usableTop(entry, now)) {
      this.l1Hits++
      return (entry as CacheEntry).value as T
    }
    return undefined
  }

  async has(key: string, options?: KeyOptions): Promise<boolean> {
    const region = options === undefined ? undefined : options.region
    if (this.closed || !isValidKey(key, region, this.maxKeyLength))
      return this.rejectCall(key, region)
    const now = coarseNow()
    const entry = this.readTop(key, region, now)
    if (entry !== undefined && this.usableTop(entry, now)) return true
    const found = await this.lookup(key, region, entry)
    if (found.failure !== undefined) throw found.failure
    return found.entry !== undefined
  }

  getOrSet(
    key: string,
    factory: (context: FactoryContext) => T | Promise<T>,
    options?: GetOrSetOptions,
  ): Promise<T> {
    const region = options === undefined ? undefined : options.region
    if (this.closed || !isValidKey(key, region, this.maxKeyLength))
      return this.rejectCall(key, region)
    const now = coarseNow()
    const entry = this.readTop(key, region, now)
    if (entry !== undefined && this.usableTop(entry, now)) {
      this.l1Hits++
      return this.settled(entry as CacheEntry) as Promise<T>
    }
    if (typeof factory !== 'function') {
      return Promise.reject(
        new CacheplaneError(
          'E_INVALID_OPTION',
          `getOrSet needs a factory function; got ${describeValue(factory)}.`,
        ),
      )
    }
    if (options?.skipL2 === true) {
      return this.factories.run(`l${flightId(key, region)}`, async () => {
        const found = await this.readTopOnly(entry)
        if (found !== undefined) return found
        const {
          softTimeout: _soft,
          hardTimeout: _hard,
          fleetLock: _lock,
          ...writeOptions
        } = options
        const resolved = resolveWriteOptions(writeOptions, this.defaults)
        const tagVersion = await this.tagStamp(resolved.tags)
        this.factoryCalls++
        const value = await factory({ key, region })
        await this.writes.writeLocal(key, region, value, resolved, tagVersion)
        return value
      })
    }
    return this.factories.run(flightId(key, region), () =>
      loadOrCompute(this, key, region, entry, factory, options),
    )
  }

  async getMany(keys: readonly string[], options?: KeyOptions): Promise<(T | undefined)[]> {
    if (!Array.isArray(keys)) throw invalidArgument('keys', keys, 'an array of keys')
    return Promise.all(keys.map((key) => this.get(key, options)))
  }

  // Writes: the source first, then the local layers, then the invalidation is queued.

  async set(key: string, value: T, options?: SetOptions): Promise<void> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    const resolved = resolveWriteOptions(options, this.defaults)
    if (options?.skipL2 === true) return this.writes.writeLocal(key, region, value, resolved)
    await this.write(key, region, value, resolved, options?.skipBackplane === true)
  }

  async update(
    key: string,
    updater: (current: T | undefined) => T | Promise<T>,
    options?: UpdateOptions,
  ): Promise<T> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    if (typeof updater !== 'function') {
      throw invalidArgument('updater', updater, 'a function from the current value to the new one')
    }
    const { maxRetries, retryDelay, timeout, ...writeOptions } = options ?? {}
    const retry = resolveUpdateOptions({ maxRetries, retryDelay, timeout })
    const resolved = resolveWriteOptions(writeOptions, this.defaults)
    const tagVersion = await this.tagStamp(resolved.tags)
    const stored = await compareAndSetLoop<T>(
      {
        source: this.layers.source,
        onSource: (operation, call) => this.layers.onSource(operation, call),
        key,
        region,
        updater,
        entryFor: (value) => createEntry(value, resolved, Date.now(), tagVersion),
        tagsHold: (entry) => this.layers.tags.isValid(entry),
      },
      retry,
    )
    await this.writes.afterWrite(key, region, stored, options?.skipBackplane === true)
    return stored.value
  }

  async add(key: string, value: T, options?: SetOptions): Promise<boolean> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    const resolved = resolveWriteOptions(options, this.defaults)
    const tagVersion = await this.tagStamp(resolved.tags)
    const entry = createEntry(value, resolved, Date.now(), tagVersion)
    const version = await this.layers.onSource('add', (source) => source.add(key, region, entry))
    if (version === undefined) return false
    await this.writes.afterWrite(
      key,
      region,
      { ...entry, version },
      options?.skipBackplane === true,
    )
    return true
  }

  async setMany(items: readonly { key: string; value: T }[], options?: SetOptions): Promise<void> {
    if (!Array.isArray(items)) throw invalidArgument('items', items, 'an array of { key, value }')
    const region = options === undefined ? undefined : options.region
    for (const item of items) this.assertCall(item?.key, region)
    const resolved = resolveWriteOptions(options, this.defaults)
    const tagVersion = await this.tagStamp(resolved.tags)
    const entries = items.map((item) => ({
      key: item.key,
      entry: createEntry(item.value, resolved, Date.now(), tagVersion),
    }))
    const source = this.layers.source
    if (source.capabilities.batch && source.setMany !== undefined) {
      const versions = await this.layers.onSource('setMany', (handle) =>
        handle.setMany!(entries, region),
      )
      const skip = options?.skipBackplane === true
      await Promise.all(
        entries.map(({ key, entry }, index) =>
          this.writes.afterWrite(key, region, { ...entry, version: versions[index] ?? 0 }, skip),
        ),
      )
      return
    }
    await Promise.all(items.map((item) => this.set(item.key, item.value, options)))
  }

  async delete(key: string, options?: WriteOptions): Promise<boolean> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    if (options?.skipL2 === true) {
      const held = this.peekTop(key, region) !== undefined
      await this.writes.removeLocal(key, region)
      return held
    }
    const existed = await this.layers.onSource('delete', (source) => source.delete(key, region))
    await this.writes.afterRemove(key, region, 'removed', options?.skipBackplane === true)
    return existed
  }

  async deleteMany(keys: readonly string[], options?: WriteOptions): Promise<number> {
    if (!Array.isArray(keys)) throw invalidArgument('keys', keys, 'an array of keys')
    const region = options === undefined ? undefined : options.region
    for (const key of keys) this.assertCall(key, region)
    const source = this.layers.source
    if (source.capabilities.batch && source.deleteMany !== undefined) {
      const count = await this.layers.onSource('deleteMany', (handle) =>
        handle.deleteMany!(keys, region),
      )
      const skip = options?.skipBackplane === true
      await Promise.all(keys.map((key) => this.writes.afterRemove(key, region, 'removed', skip)))
      return count
    }
    const results = await Promise.all(keys.map((key) => this.delete(key, options)))
    return results.filter(Boolean).length
  }

  async expire(key: string, options?: WriteOptions): Promise<boolean> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    const now = Date.now()
    const existed = await this.layers.onSource('expire', (source) =>
      source.expire(key, region, now),
    )
    await this.writes.afterRemove(key, region, 'expired', options?.skipBackplane === true)
    return existed
  }

  async clear(options?: { skipBackplane?: boolean }): Promise<void> {
    if (this.closed) throw closedError()
    await this.layers.onSource('clear', (source) => source.clear())
    this.layers.markAllStale()
    await this.layers.onLocal('clear', (handle) => handle.clear())
    if (options?.skipBackplane !== true) this.engine?.queueCleared()
    this.emitter.emit('cacheCleared', { origin: 'local' })
  }

  async clearRegion(region: string, options?: { skipBackplane?: boolean }): Promise<void> {
    if (this.closed) throw closedError()
    if (!isValidRegion(region, this.maxKeyLength) || !isWellFormedKey('-', region)) {
      throw invalidKeyError('-', region, this.maxKeyLength)
    }
    await this.layers.onSource('clearRegion', (source) => source.clearRegion(region))
    this.layers.flights.invalidateRegion(region)
    await this.layers.onLocal('clearRegion', (handle) => handle.clearRegion(region))
    if (options?.skipBackplane !== true) this.engine?.queueRegionCleared(region)
    this.emitter.emit('regionCleared', { region, origin: 'local' })
  }

  async invalidateTags(
    tags: readonly string[],
    options?: { skipBackplane?: boolean },
  ): Promise<void> {
    if (this.closed) throw closedError()
    if (
      !Array.isArray(tags) ||
      tags.length === 0 ||
      tags.some(
        (tag) =>
          typeof tag !== 'string' ||
          !isValidRegion(tag, this.maxKeyLength) ||
          !isWellFormedKey(tag, undefined),
      )
    ) {
      throw invalidArgument(
        'tags',
        tags,
        `a non-empty array of non-empty, well-formed strings of at most ${this.maxKeyLength} characters`,
      )
    }
    if (!this.layers.tags.supported) throw tagsUnsupported(this.layers.source)
    const unique = [...new Set(tags)]
    await this.layers.tags.invalidate(unique)
    if (options?.skipBackplane !== true) this.engine?.queueTagsInvalidated(unique)
    this.emitter.emit('tagsInvalidated', { tags: unique, origin: 'local' })
  }

  // Events, stats, lifecycle

  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this {
    this.emitter.on(event, listener)
    return this
  }

  off<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this {
    this.emitter.off(event, listener)
    return this
  }

  stats(): CacheStats {
    return {
      handles: this.layers.handles.map((handle, index) => ({
        kind: handle.kind,
        hits: this.layers.hits[index]! + (index === 0 ? this.l1Hits : 0),
        misses: this.layers.misses[index]!,
      })),
      factoryCalls: this.factoryCalls,
      staleServed: this.staleServed,
      errors: this.errors,
      backplane: this.engine?.stats(),
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.engine?.close()
    } finally {
      await Promise.allSettled(this.layers.handles.map(async (handle) => handle.close()))
      this.emitter.removeAll()
    }
  }

  // The backplane host: invalidations from other instances

  applyRemote(operation: Operation): void {
    applyRemoteOperation(operation, this.layers, this.emitter)
  }

  markAllStale(): void {
    this.layers.markAllStale()
  }

  setDegraded(degraded: boolean): void {
    this.layers.degradedTtl = degraded ? this.degradedTtl : undefined
  }

  emitError(error: CacheplaneError): void {
    this.errors++
    this.emitter.emit('error', error)
  }

  emitDisconnected(reason: string, cause: unknown): void {
    this.emitter.emit('backplaneDisconnected', { reason, cause })
  }

  emitRecovered(downtimeMs: number): void {
    this.emitter.emit('backplaneRecovered', { downtimeMs })
  }

  emitMessagesMissed(
    reason: 'sequenceGap' | 'reconnect' | 'heartbeatLost',
    senderId?: string,
    missed?: number,
  ): void {
    this.emitter.emit('messagesMissed', { reason, senderId, missed })
  }

  emitOutboxOverflowed(dropped: number): void {
    this.emitter.emit('outboxOverflowed', { dropped })
  }

  // Internals

  /** L1's answer alone (`skipL2`). */
  private async readTopOnly(
    top: CacheEntry | Promise<CacheEntry | undefined> | undefined,
  ): Promise<T | undefined> {
    const entry = top instanceof Promise ? await top.catch(() => undefined) : top
    if (
      entry !== undefined &&
      this.layers.isUsable(entry, 0, Date.now()) &&
      (await this.layers.tags.isValid(entry).catch(() => false))
    ) {
      this.layers.hits[0]!++
      return entry.value as T
    }
    this.layers.misses[0]!++
    return undefined
  }

  private peekTop(key: string, region: string | undefined): CacheEntry | undefined {
    return this.top.peek?.(key, region)
  }

  /** @internal */
  countFactoryCall(): void {
    this.factoryCalls++
  }

  /** After an L1 miss, the rest of the walk (see `Layers.lookup`). @internal */
  lookup(
    key: string,
    region: string | undefined,
    top: CacheEntry | Promise<CacheEntry | undefined> | undefined,
  ): Promise<Lookup> {
    return this.layers.lookup(key, region, top, this.topIsLocal)
  }

  /** The value of an L1 hit as a promise: one per L1 entry, reused by every hit, so hits allocate nothing. */
  private settled(entry: CacheEntry): Promise<T | undefined> {
    if (!this.topIsLocal) return Promise.resolve(entry.value as T)
    const local = entry as LocalEntry<T>
    if (local.settled === undefined) local.settled = Promise.resolve(local.value)
    return local.settled
  }

  /**
   * Fresh, not marked stale, and (for an entry with tags) known here not to be
   * invalidated. An L1 that answered with a promise is not usable yet: a
   * promise has no `expiresAt`, so the first test fails without an
   * `instanceof` on the hit path, and `lookup` waits for it.
   */
  private usableTop(entry: CacheEntry | Promise<CacheEntry | undefined>, now: number): boolean {
    return (
      (entry as CacheEntry).expiresAt > now &&
      (!this.topIsLocal || (entry as LocalEntry).generation === this.layers.generation) &&
      ((entry as CacheEntry).tags.length === 0 ||
        this.layers.tags.check(entry as CacheEntry, now) === TagVerdict.Valid)
    )
  }

  /** L1's answer; a failing L1 is reported and read as a miss. */
  private readTop(
    key: string,
    region: string | undefined,
    now: number,
  ): CacheEntry | Promise<CacheEntry | undefined> | undefined {
    try {
      return this.top.get(key, region, now)
    } catch (error) {
      this.emitError(localError(error, this.top, 'get'))
      return undefined
    }
  }

  /** A plain read's answer: the entry, else on a source failure a value within grace, else the failure. */
  private settleRead(key: string, region: string | undefined, found: Lookup): T | undefined {
    if (found.entry !== undefined) return found.entry.value as T
    if (found.failure === undefined) return undefined
    if (found.stale !== undefined) return this.serveStale(key, region, found.stale, 'l2Unavailable')
    throw found.failure
  }

  /** @internal */
  serveStale(key: string, region: string | undefined, entry: CacheEntry, reason: StaleReason): T {
    this.staleServed++
    this.emitter.emit('staleServed', { key, region, reason })
    return entry.value as T
  }

  /** @internal */
  write(
    key: string,
    region: string | undefined,
    value: T,
    options: ResolvedEntryOptions,
    skipBackplane: boolean,
    tagVersion?: number,
  ): Promise<void> {
    return this.writes.write(key, region, value, options, skipBackplane, tagVersion)
  }

  /** @internal */
  tagStamp(tags: readonly string[]): Promise<number> {
    return tags.length === 0 ? Promise.resolve(0) : this.layers.tags.stampFor(tags)
  }

  /** @internal */
  fleetLockFor(requested: boolean | undefined): FleetLockSettings | undefined {
    if (requested === false || (requested === undefined && !this.fleetLock.byDefault)) {
      return undefined
    }
    if (requested !== undefined && typeof requested !== 'boolean') {
      throw invalidArgument('fleetLock', requested, 'a boolean')
    }
    const source = this.layers.source
    if (source.capabilities.locks !== true) throw locksUnsupported(source)
    return this.fleetLock
  }

  /** @internal */
  acquireOrWait(
    key: string,
    region: string | undefined,
    settings: FleetLockSettings,
    limit: number,
  ): Promise<LockOutcome> {
    return acquireOrWait(this.layers, this.instanceId, key, region, settings, limit, (error) =>
      this.emitError(error),
    )
  }

  /** @internal */
  tryLock(
    key: string,
    region: string | undefined,
    settings: FleetLockSettings,
  ): Promise<HeldLock | undefined> {
    return tryLock(this.layers, this.instanceId, key, region, settings, (error) =>
      this.emitError(error),
    )
  }

  /** Checks a write: writes publish the key, so it must also be well-formed UTF-16. */
  private assertCall(key: unknown, region: unknown): void {
    if (this.closed) throw closedError()
    if (
      !isValidKey(key, region, this.maxKeyLength) ||
      !isWellFormedKey(key as string, region as string | undefined)
    ) {
      throw invalidKeyError(key, region, this.maxKeyLength)
    }
  }

  private rejectCall(key: unknown, region: unknown): Promise<never> {
    return Promise.reject(
      this.closed ? closedError() : invalidKeyError(key, region, this.maxKeyLength),
    )
  }
}

type StaleReason = CacheEvents['staleServed']['reason']
