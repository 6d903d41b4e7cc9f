import {
  type CacheEntry,
  type CacheHandle,
  CacheplaneError,
  type HandleCapabilities,
  type HandleContext,
  type Serializer,
  slide,
} from '@cacheplane/core'

/** What several reference handles share, as clients of one Redis server share the server. */
export class ReferenceStore {
  /** Serialized bytes (distributed handles) or live entries, by store key. */
  readonly records = new Map<string, Uint8Array | CacheEntry>()
  /** Kept across deletes, so that versions keep growing. */
  readonly lastVersions = new Map<string, number>()
  /** Tag versions by cache name and tag, apart from the records: clear leaves them. */
  readonly tagVersions = new Map<string, number>()
  /** The last tag version of each cache: one counter for all its tags. */
  readonly lastTagVersions = new Map<string, number>()
  /** Lock holders by store key, apart from the records. */
  readonly locks = new Map<string, { owner: string; until: number }>()
}

export interface ReferenceHandleOptions {
  /** Store serialized bytes and answer with promises, as a distributed handle does. @default false */
  distributed?: boolean
  /** @default true */
  cas?: boolean
  /** @default true */
  batch?: boolean
  /** @default true */
  tags?: boolean
  /** @default true */
  locks?: boolean
  store?: ReferenceStore
}

export interface ReferenceHandle extends CacheHandle {
  /** The physical TTL of a stored entry, as a suite's `inspect.ttl` reports it. */
  physicalTtl(key: string, region: string | undefined): number | undefined
}

/**
 * The smallest handle that keeps the v1 contract, to test the suites
 * themselves. Not for use: a Map for a store and no eviction.
 */
export function referenceHandle(options: ReferenceHandleOptions = {}): ReferenceHandle {
  const store = options.store ?? new ReferenceStore()
  const capabilities: HandleCapabilities = {
    distributed: options.distributed ?? false,
    ttlPrecision: 1,
    cas: options.cas ?? true,
    batch: options.batch ?? true,
    tags: options.tags ?? true,
    locks: options.locks ?? true,
  }
  let cacheName: string | undefined
  let serializer: Serializer | undefined

  const storeKey = (key: string, region: string | undefined) =>
    JSON.stringify([cacheName, region ?? null, key])
  const answer = <T>(value: T): T =>
    capabilities.distributed ? (Promise.resolve(value) as T) : value
  const decode = (record: Uint8Array | CacheEntry): CacheEntry =>
    record instanceof Uint8Array ? (serializer!.deserialize(record) as CacheEntry) : { ...record }
  const read = (key: string, region: string | undefined, now = Date.now()) => {
    const record = store.records.get(storeKey(key, region))
    if (record === undefined) return undefined
    const entry = decode(record)
    if (now < entry.staleUntil) return entry
    store.records.delete(storeKey(key, region))
    return undefined
  }
  const write = (key: string, region: string | undefined, entry: CacheEntry) => {
    const id = storeKey(key, region)
    const last = store.lastVersions.get(id) ?? 0
    const version = entry.version === 0 ? last + 1 : entry.version
    store.lastVersions.set(id, Math.max(version, last))
    const stored = { ...entry, version }
    store.records.set(id, capabilities.distributed ? serializer!.serialize(stored) : stored)
    return version
  }
  const remove = (key: string, region: string | undefined) =>
    read(key, region) !== undefined && store.records.delete(storeKey(key, region))
  const removeWhere = (matches: (name: string, region: string | null) => boolean) => {
    for (const id of [...store.records.keys()]) {
      const [name, region] = JSON.parse(id) as [string, string | null]
      if (matches(name, region)) store.records.delete(id)
    }
  }

  const handle: ReferenceHandle = {
    specificationVersion: 'v1',
    kind: 'reference',
    capabilities,
    attach(context: HandleContext) {
      if (cacheName !== undefined && cacheName !== context.cacheName) {
        throw new CacheplaneError('E_INVALID_OPTION', `Attached to cache "${cacheName}" already.`)
      }
      cacheName = context.cacheName
      serializer = context.serializer
    },
    get(key, region) {
      const now = Date.now()
      const entry = read(key, region, now)
      if (entry !== undefined && entry.sliding > 0 && entry.expiresAt > now) {
        slide(entry, now)
        write(key, region, entry)
      }
      return answer(entry)
    },
    set: (key, region, entry) => answer(write(key, region, entry)),
    add(key, region, entry) {
      const current = read(key, region)
      const fresh = current !== undefined && current.expiresAt > Date.now()
      return answer(fresh ? undefined : write(key, region, entry))
    },
    delete: (key, region) => answer(remove(key, region)),
    expire(key, region, now) {
      const entry = read(key, region)
      if (entry !== undefined)
        write(key, region, { ...entry, expiresAt: Math.min(entry.expiresAt, now) })
      return answer(entry !== undefined)
    },
    clear: () => answer(removeWhere((name) => name === cacheName)),
    clearRegion: (region) =>
      answer(removeWhere((name, stored) => name === cacheName && stored === region)),
    close: () => answer(undefined),
    physicalTtl(key, region) {
      const entry = read(key, region)
      if (entry === undefined) return undefined
      return entry.staleUntil === Number.POSITIVE_INFINITY
        ? entry.staleUntil
        : entry.staleUntil - Date.now()
    },
  }
  // In-process handles offer a synchronous peek: the cache compares versions with it.
  if (!capabilities.distributed) handle.peek = (key, region) => read(key, region)
  if (capabilities.cas) {
    handle.compareAndSet = (key, region, entry, expected) =>
      answer((read(key, region)?.version ?? 0) === expected ? write(key, region, entry) : undefined)
  }
  if (capabilities.batch) {
    handle.getMany = (keys, region) => answer(keys.map((key) => read(key, region)))
    handle.setMany = (items, region) =>
      answer(items.map((item) => write(item.key, region, item.entry)))
    handle.deleteMany = (keys, region) => answer(keys.filter((key) => remove(key, region)).length)
  }
  if (capabilities.tags) {
    const tagKey = (tag: string) => JSON.stringify([cacheName, tag])
    handle.tagVersions = (tags) =>
      answer(tags.map((tag) => store.tagVersions.get(tagKey(tag)) ?? 0))
    handle.invalidateTags = (tags) => {
      const version = (store.lastTagVersions.get(cacheName!) ?? 0) + 1
      store.lastTagVersions.set(cacheName!, version)
      for (const tag of tags) store.tagVersions.set(tagKey(tag), version)
      return answer(version)
    }
  }
  if (capabilities.locks) {
    const holder = (id: string) => {
      const lock = store.locks.get(id)
      return lock !== undefined && Date.now() < lock.until ? lock.owner : undefined
    }
    handle.acquireLock = (key, region, owner, leaseMs) => {
      const id = storeKey(key, region)
      const taken = (holder(id) ?? owner) === owner
      if (taken) store.locks.set(id, { owner, until: Date.now() + leaseMs })
      return answer(taken)
    }
    handle.releaseLock = (key, region, owner) => {
      const id = storeKey(key, region)
      const held = holder(id) === owner
      if (held) store.locks.delete(id)
      return answer(held)
    }
  }
  return handle
}
