import {
  type CacheEntry,
  type CacheHandle,
  CacheplaneError,
  describeValue,
  type HandleCapabilities,
  type HandleContext,
  type Serializer,
  type WritePublication,
} from '@cacheplane/core'
import { hasLoneSurrogate } from './arguments.js'
import { clearCache, clearRegion, type RunScript } from './clear-operations.js'
import { decodeEntryRecord, encodeEntryRecord } from './entry-record.js'
import type { RedisExecutor } from './executor.js'
import { GetBatcher } from './get-batcher.js'
import {
  BucketSlots,
  type EntryAddress,
  entryAddress,
  type KeyLayout,
  lockKeyOf,
} from './key-layout.js'
import { acquireLock, releaseLock } from './lock-operations.js'
import type { ResolvedRedisHandleOptions } from './options.js'
import { runItems, type ScriptItem, settledValue, unavailable } from './run-items.js'
import {
  deleteScript,
  expireScript,
  writePublishScript,
  writeScript,
} from './scripts/entry-scripts.js'
import type { LuaScript } from './scripts/lua-script.js'
import { invalidateTags, readTagVersions } from './tag-operations.js'

/** A Redis handle: every optional method of the contract is there. */
export interface RedisHandle extends CacheHandle {
  readonly backplaneSource: boolean
  get(key: string, region: string | undefined): Promise<CacheEntry | undefined>
  set(key: string, region: string | undefined, entry: CacheEntry): Promise<number>
  add(key: string, region: string | undefined, entry: CacheEntry): Promise<number | undefined>
  delete(key: string, region: string | undefined): Promise<boolean>
  expire(key: string, region: string | undefined, now: number): Promise<boolean>
  clear(): Promise<void>
  clearRegion(region: string): Promise<void>
  compareAndSet(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    expectedVersion: number,
  ): Promise<number | undefined>
  getMany(keys: readonly string[], region: string | undefined): Promise<(CacheEntry | undefined)[]>
  setMany(
    items: readonly { key: string; entry: CacheEntry }[],
    region: string | undefined,
  ): Promise<number[]>
  deleteMany(keys: readonly string[], region: string | undefined): Promise<number>
  tagVersions(tags: readonly string[]): Promise<number[]>
  invalidateTags(tags: readonly string[]): Promise<number>
  acquireLock(
    key: string,
    region: string | undefined,
    owner: string,
    leaseMs: number,
  ): Promise<boolean>
  releaseLock(key: string, region: string | undefined, owner: string): Promise<boolean>
  setAndPublish(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    publication: WritePublication,
  ): Promise<number>
  close(): Promise<void>
}

/**
 * The connection each handle writes through, for a backplane to tell whether
 * a write script's PUBLISH reaches its subscribers (same client object).
 */
const connections = new WeakMap<CacheHandle, object>()

/** The connection `handle` writes through, when it is a Redis handle on one standalone connection. */
export function connectionOf(handle: CacheHandle): object | undefined {
  return connections.get(handle)
}

const capabilities: HandleCapabilities = Object.freeze({
  distributed: true,
  ttlPrecision: 1,
  cas: true,
  batch: true,
  tags: true,
  locks: true,
})

// As core checks cache names: the key layout relies on names without `:`, `{` or `}`.
const cacheNamePattern = /^[A-Za-z0-9_.-]{1,128}$/

type WriteMode = 's' | 'a' | 'c'

/**
 * Builds a Redis handle over any client, through its {@link RedisExecutor}.
 * Adapters call this after validating their own options; users call the
 * adapter's `redisHandle()`.
 */
export function createRedisHandle(
  executor: RedisExecutor,
  options: ResolvedRedisHandleOptions,
): RedisHandle {
  return new SharedRedisHandle(executor, options)
}

class SharedRedisHandle implements RedisHandle {
  readonly specificationVersion = 'v1'
  readonly kind = 'redis'
  readonly capabilities = capabilities
  readonly backplaneSource: boolean
  readonly #executor: RedisExecutor
  readonly #options: ResolvedRedisHandleOptions
  readonly #batcher: GetBatcher
  #layout: KeyLayout | undefined
  #slots: BucketSlots | undefined
  #serializer: Serializer | undefined
  #attachments = 0
  readonly #runner: RunScript = (script, items, headerArgs) => this.#run(script, items, headerArgs)

  constructor(executor: RedisExecutor, options: ResolvedRedisHandleOptions) {
    this.#executor = executor
    this.#options = options
    this.backplaneSource = options.backplaneSource
    this.#batcher = new GetBatcher(executor, () => this.#attached())
    if (executor.connection !== undefined && !executor.isCluster) {
      connections.set(this, executor.connection)
    }
  }

  attach(context: HandleContext): void {
    const cacheName = context.cacheName
    if (typeof cacheName !== 'string' || !cacheNamePattern.test(cacheName)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `A Redis handle needs a cache name of 1-128 characters of A-Z a-z 0-9 _ . - (got ${describeValue(cacheName)}).`,
      )
    }
    if (this.#layout !== undefined && this.#layout.cacheName !== cacheName) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Invalid option "handles": got a Redis handle already attached to cache "${this.#layout.cacheName}", expected a handle of its own for cache "${cacheName}" (create one handle per cache).`,
      )
    }
    if (this.#layout === undefined) {
      this.#layout = { prefix: this.#options.prefix, cacheName }
      this.#slots = new BucketSlots(this.#layout)
    }
    this.#serializer = context.serializer
    this.#attachments++
  }

  async get(key: string, region: string | undefined): Promise<CacheEntry | undefined> {
    const reply = await this.#batcher.get(this.#address(key, region))
    return this.#decode(reply)
  }

  set(key: string, region: string | undefined, entry: CacheEntry): Promise<number> {
    return this.#writeOne(key, region, entry, 's', 0) as Promise<number>
  }

  async setAndPublish(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    publication: WritePublication,
  ): Promise<number> {
    return (await this.#writeOne(key, region, entry, 's', 0, publication)) as number
  }

  add(key: string, region: string | undefined, entry: CacheEntry): Promise<number | undefined> {
    return this.#writeOne(key, region, entry, 'a', 0)
  }

  compareAndSet(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    expectedVersion: number,
  ): Promise<number | undefined> {
    return this.#writeOne(key, region, entry, 'c', expectedVersion)
  }

  async delete(key: string, region: string | undefined): Promise<boolean> {
    return (await this.deleteMany([key], region)) === 1
  }

  async expire(key: string, region: string | undefined, now: number): Promise<boolean> {
    const address = this.#address(key, region)
    const item: ScriptItem = {
      bucket: address.bucket,
      keys: [address.entryKey, address.bucketMetaKey],
      args: [address.regionPart],
    }
    const [outcome] = await this.#run(expireScript, [item], [String(now)])
    return settledValue(outcome) === 1
  }

  async clear(): Promise<void> {
    await clearCache(this.#runner, this.#attached().layout)
  }

  async clearRegion(region: string): Promise<void> {
    if (typeof region !== 'string') {
      throw new CacheplaneError('E_INVALID_KEY', 'clearRegion needs a region name (a string).')
    }
    this.#checkText(region, 'region')
    await clearRegion(this.#runner, this.#attached().layout, region)
  }

  async getMany(
    keys: readonly string[],
    region: string | undefined,
  ): Promise<(CacheEntry | undefined)[]> {
    const addresses = keys.map((key) => this.#address(key, region))
    const replies = await Promise.all(addresses.map((address) => this.#batcher.get(address)))
    return replies.map((reply) => this.#decode(reply))
  }

  async setMany(
    items: readonly { key: string; entry: CacheEntry }[],
    region: string | undefined,
  ): Promise<number[]> {
    const scriptItems = items.map((item) =>
      this.#writeItem(this.#address(item.key, region), item.entry, 's', 0),
    )
    const outcomes = await this.#run(writeScript, scriptItems, [String(Date.now())])
    return outcomes.map((outcome) => Number(settledValue(outcome)))
  }

  async deleteMany(keys: readonly string[], region: string | undefined): Promise<number> {
    const items = keys.map((key) => {
      const address = this.#address(key, region)
      return {
        bucket: address.bucket,
        keys: [address.entryKey, address.bucketMetaKey],
        args: [address.regionPart],
      }
    })
    const outcomes = await this.#run(deleteScript, items, [
      String(Date.now()),
      String(this.#options.tombstoneTtl),
    ])
    let deleted = 0
    for (const outcome of outcomes) if (settledValue(outcome) === 1) deleted++
    return deleted
  }

  async tagVersions(tags: readonly string[]): Promise<number[]> {
    return readTagVersions(this.#executor, this.#attached().layout, tags)
  }

  async invalidateTags(tags: readonly string[]): Promise<number> {
    return invalidateTags(this.#executor, this.#attached().layout, tags)
  }

  async acquireLock(
    key: string,
    region: string | undefined,
    owner: string,
    leaseMs: number,
  ): Promise<boolean> {
    return acquireLock(this.#executor, this.#lockKey(key, region), owner, leaseMs)
  }

  async releaseLock(key: string, region: string | undefined, owner: string): Promise<boolean> {
    return releaseLock(this.#executor, this.#lockKey(key, region), owner)
  }

  /** Sends queued gets; the client stays open (it is the user's). */
  async close(): Promise<void> {
    await this.#batcher.flush()
    if (this.#attachments > 1) {
      this.#attachments--
      return
    }
    this.#attachments = 0
    this.#layout = undefined
    this.#slots = undefined
    this.#serializer = undefined
  }

  async #writeOne(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    mode: WriteMode,
    expectedVersion: number,
    /** Also publish, from the script, once the entry is stored (`setAndPublish`). */
    publication?: WritePublication,
  ): Promise<number | undefined> {
    const item = this.#writeItem(this.#address(key, region), entry, mode, expectedVersion)
    const now = String(Date.now())
    const [outcome] =
      publication === undefined
        ? await this.#run(writeScript, [item], [now])
        : await this.#run(writePublishScript, [item], [now, publication.channel, publication.frame])
    const version = Number(settledValue(outcome))
    return version === 0 ? undefined : version
  }

  #writeItem(
    address: EntryAddress,
    entry: CacheEntry,
    mode: WriteMode,
    expectedVersion: number,
  ): ScriptItem {
    const { serializer } = this.#attached()
    const record = encodeEntryRecord(entry, serializer)
    const ttl =
      entry.staleUntil === Number.POSITIVE_INFINITY
        ? -1
        : Math.max(1, Math.ceil(entry.staleUntil - Date.now()))
    return {
      bucket: address.bucket,
      keys: [address.entryKey, address.bucketMetaKey],
      args: [mode, String(expectedVersion), address.regionPart, String(ttl), record],
    }
  }

  async #run(
    script: LuaScript,
    items: readonly ScriptItem[],
    headerArgs: readonly (string | Uint8Array)[],
  ): Promise<PromiseSettledResult<unknown>[]> {
    const { slots } = this.#attached()
    try {
      return await runItems(this.#executor, slots, script, items, headerArgs)
    } catch (error) {
      throw unavailable(script.name, error)
    }
  }

  #decode(reply: unknown): CacheEntry | undefined {
    if (reply === null || reply === undefined) return undefined
    if (!(reply instanceof Uint8Array)) {
      throw new CacheplaneError(
        'E_SERIALIZATION',
        'Redis returned a stored entry of the wrong type.',
      )
    }
    return decodeEntryRecord(reply, this.#attached().serializer)
  }

  #address(key: string, region: string | undefined): EntryAddress {
    this.#checkKey(key, region)
    return entryAddress(this.#attached().layout, key, region)
  }

  #lockKey(key: string, region: string | undefined): string {
    this.#checkKey(key, region)
    return lockKeyOf(this.#attached().layout, key, region)
  }

  #checkKey(key: string, region: string | undefined): void {
    if (typeof key !== 'string') {
      throw new CacheplaneError('E_INVALID_KEY', 'A key must be a string.')
    }
    this.#checkText(key, 'key')
    if (region !== undefined) {
      if (typeof region !== 'string') {
        throw new CacheplaneError('E_INVALID_KEY', 'A region must be a string or undefined.')
      }
      this.#checkText(region, 'region')
    }
  }

  // Redis stores UTF-8: two strings with different lone surrogates would encode alike.
  #checkText(text: string, what: string): void {
    if (hasLoneSurrogate(text)) {
      throw new CacheplaneError(
        'E_INVALID_KEY',
        `The ${what} holds a lone surrogate (not valid Unicode); Redis could not keep it apart from others.`,
      )
    }
  }

  #attached(): { layout: KeyLayout; slots: BucketSlots; serializer: Serializer } {
    if (this.#layout === undefined || this.#slots === undefined || this.#serializer === undefined) {
      throw new CacheplaneError(
        'E_HANDLE',
        'The Redis handle is not attached to a cache (createCache attaches it; after close it needs attaching again).',
      )
    }
    return { layout: this.#layout, slots: this.#slots, serializer: this.#serializer }
  }
}
