import { BackplaneEngine, type BackplaneHost } from './backplane/engine.js'
import type { Cache, CacheStats, FactoryContext } from './cache-types.js'
import { coarseNow } from './clock.js'
import type { CacheEntry } from './entry.js'
import { CacheplaneError, describeValue } from './errors.js'
import { type CacheEventListener, type CacheEventName, Emitter } from './events.js'
import { flightId } from './flights.js'
import { Layers, type LocalEntry, localError } from './layers.js'
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
  private readonly factories = new SingleFlight<T>()
  private readonly defaults: ResolvedEntryOptions
  private readonly maxKeyLength: number
  private factoryCalls = 0
  private staleServed = 0
  private errors = 0
  private closed = false
  private degradedTtl = 0

  constructor(options: ResolvedCacheOptions) {
    this.name = options.name
    this.defaults = options.defaults
    this.maxKeyLength = options.maxKeyLength
    for (const handle of options.handles) {
      handle.attach({ cacheName: options.name, serializer: options.serializer })
    }
    this.layers = new Layers(options.handles, options.sourceIndex, (error) => this.emitError(error))
    this.top = options.handles[0]!
    this.topIsLocal = options.sourceIndex !== 0
    this.instanceId = options.backplaneOptions.instanceId
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
    if (entry !== undefined && !(entry instanceof Promise) && this.usableTop(entry, now)) {
      this.layers.hits[0]!++
      return this.settled(entry)
    }
    return this.readBelow(key, region, entry).then(entryValue<T>)
  }

  peek(key: string, options?: KeyOptions): T | undefined {
    const region = options === undefined ? undefined : options.region
    if (this.closed) throw closedError()
    if (!isValidKey(key, region, this.maxKeyLength))
      throw invalidKeyError(key, region, this.maxKeyLength)
    const now = coarseNow()
    const entry = this.readTop(key, region, now)
    if (entry !== undefined && !(entry instanceof Promise) && this.usableTop(entry, now)) {
      this.layers.hits[0]!++
      return entry.value as T
    }
    return undefined
  }

  async has(key: string, options?: KeyOptions): Promise<boolean> {
    const region = options === undefined ? undefined : options.region
    if (this.closed || !isValidKey(key, region, this.maxKeyLength))
      return this.rejectCall(key, region)
    const now = coarseNow()
    const entry = this.readTop(key, region, now)
    if (entry !== undefined && !(entry instanceof Promise) && this.usableTop(entry, now))
      return true
    return (await this.readBelow(key, region, entry)) !== undefined
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
    if (entry !== undefined && !(entry instanceof Promise) && this.usableTop(entry, now)) {
      this.layers.hits[0]!++
      return this.settled(entry) as Promise<T>
    }
    if (typeof factory !== 'function') {
      return Promise.reject(
        new CacheplaneError(
          'E_INVALID_OPTION',
          `getOrSet needs a factory function; got ${describeValue(factory)}.`,
        ),
      )
    }
    return this.factories.run(flightId(key, region), async () => {
      const found = await this.readBelow(key, region, entry)
      if (found !== undefined) return found.value as T
      const resolved = resolveWriteOptions(options, this.defaults)
      this.factoryCalls++
      const value = await factory({ key, region })
      await this.write(key, region, value, resolved, options?.skipBackplane === true)
      return value
    })
  }

  async getMany(keys: readonly string[], options?: KeyOptions): Promise<(T | undefined)[]> {
    if (!Array.isArray(keys)) throw invalidArgument('keys', keys, 'an array of keys')
    return Promise.all(keys.map((key) => this.get(key, options)))
  }

  // Writes: the source first, then the local layers, then the invalidation is queued.

  async set(key: string, value: T, options?: SetOptions): Promise<void> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    await this.write(
      key,
      region,
      value,
      resolveWriteOptions(options, this.defaults),
      options?.skipBackplane === true,
    )
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
    const stored = await compareAndSetLoop<T>(
      {
        source: this.layers.source,
        onSource: (operation, call) => this.layers.onSource(operation, call),
        key,
        region,
        updater,
        entryFor: (value) => this.newEntry(value, resolved),
      },
      retry,
    )
    await this.afterWrite(key, region, stored, options?.skipBackplane === true)
    return stored.value
  }

  async add(key: string, value: T, options?: SetOptions): Promise<boolean> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    const entry = this.newEntry(value, resolveWriteOptions(options, this.defaults))
    const version = await this.layers.onSource('add', (source) => source.add(key, region, entry))
    if (version === undefined) return false
    await this.afterWrite(key, region, { ...entry, version }, options?.skipBackplane === true)
    return true
  }

  async setMany(items: readonly { key: string; value: T }[], options?: SetOptions): Promise<void> {
    if (!Array.isArray(items)) throw invalidArgument('items', items, 'an array of { key, value }')
    const region = options === undefined ? undefined : options.region
    for (const item of items) this.assertCall(item?.key, region)
    const resolved = resolveWriteOptions(options, this.defaults)
    const entries = items.map((item) => ({
      key: item.key,
      entry: this.newEntry(item.value, resolved),
    }))
    const source = this.layers.source
    if (source.capabilities.batch && source.setMany !== undefined) {
      const versions = await this.layers.onSource('setMany', (handle) =>
        handle.setMany!(entries, region),
      )
      const skip = options?.skipBackplane === true
      await Promise.all(
        entries.map(({ key, entry }, index) =>
          this.afterWrite(key, region, { ...entry, version: versions[index] ?? 0 }, skip),
        ),
      )
      return
    }
    await Promise.all(items.map((item) => this.set(item.key, item.value, options)))
  }

  async delete(key: string, options?: WriteOptions): Promise<boolean> {
    const region = options === undefined ? undefined : options.region
    this.assertCall(key, region)
    const existed = await this.layers.onSource('delete', (source) => source.delete(key, region))
    await this.afterRemove(key, region, 'removed', options?.skipBackplane === true)
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
      await Promise.all(keys.map((key) => this.afterRemove(key, region, 'removed', skip)))
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
    await this.afterRemove(key, region, 'expired', options?.skipBackplane === true)
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
        hits: this.layers.hits[index]!,
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

  /** The value of an L1 hit as a promise: one per L1 entry, reused by every hit, so hits allocate nothing. */
  private settled(entry: CacheEntry): Promise<T | undefined> {
    if (!this.topIsLocal) return Promise.resolve(entry.value as T)
    const local = entry as LocalEntry<T>
    if (local.settled === undefined) local.settled = Promise.resolve(local.value)
    return local.settled
  }

  private usableTop(entry: CacheEntry, now: number): boolean {
    return (
      entry.expiresAt > now &&
      (!this.topIsLocal || (entry as LocalEntry).generation === this.layers.generation)
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

  /** After an L1 miss (or an L1 that answers asynchronously), walk the rest. */
  private async readBelow(
    key: string,
    region: string | undefined,
    top: CacheEntry | Promise<CacheEntry | undefined> | undefined,
  ): Promise<CacheEntry | undefined> {
    if (top instanceof Promise) {
      const entry = await top.catch((error: unknown) => {
        this.emitError(localError(error, this.top, 'get'))
        return undefined
      })
      if (entry !== undefined && this.usableTop(entry, Date.now())) {
        this.layers.hits[0]!++
        return entry
      }
    }
    this.layers.misses[0]!++
    if (this.layers.handles.length === 1) return undefined
    return this.layers.read(key, region, 1)
  }

  private async write(
    key: string,
    region: string | undefined,
    value: T,
    options: ResolvedEntryOptions,
    skipBackplane: boolean,
  ): Promise<void> {
    const entry = this.newEntry(value, options)
    const version = await this.layers.onSource('set', (source) => source.set(key, region, entry))
    await this.afterWrite(key, region, { ...entry, version }, skipBackplane)
  }

  private async afterWrite(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    skipBackplane: boolean,
  ): Promise<void> {
    // A read of this key that began before the write must not store what it found.
    this.layers.flights.invalidate(key, region, entry.version)
    await this.layers.storeLocal(key, region, entry)
    if (!skipBackplane) this.engine?.queueKey('changed', key, region, entry.version)
    this.emitter.emit('entrySet', { key, region, origin: 'local' })
  }

  private async afterRemove(
    key: string,
    region: string | undefined,
    kind: 'removed' | 'expired',
    skipBackplane: boolean,
  ): Promise<void> {
    this.layers.flights.invalidate(key, region, Number.POSITIVE_INFINITY)
    if (kind === 'removed') {
      await this.layers.onLocal('delete', (handle) => handle.delete(key, region))
    } else {
      const now = Date.now()
      await this.layers.onLocal('expire', (handle) => handle.expire(key, region, now))
    }
    if (!skipBackplane) this.engine?.queueKey(kind, key, region, 0)
    this.emitter.emit(kind === 'removed' ? 'entryRemoved' : 'entryExpired', {
      key,
      region,
      origin: 'local',
    })
  }

  private newEntry(value: T, options: ResolvedEntryOptions): CacheEntry<T> {
    if (value === undefined) {
      throw new CacheplaneError(
        'E_INVALID_VALUE',
        'Cannot cache undefined: a get could not tell it from a miss. Store null for "known absent".',
      )
    }
    const now = Date.now()
    const expiresAt = now + options.ttl
    return {
      value,
      version: 0,
      createdAt: now,
      expiresAt,
      staleUntil: expiresAt + options.grace,
      sliding: options.sliding ? options.ttl : 0,
      tags: options.tags,
    }
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

function entryValue<T>(entry: CacheEntry | undefined): T | undefined {
  return entry === undefined ? undefined : (entry.value as T)
}
