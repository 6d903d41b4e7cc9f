/**
 * How the handle stores a key that has a region. Keys without a region are
 * stored as the key string itself, so the hot read builds nothing.
 * A key with a region is stored under one of these objects, interned per
 * `(region, key)` pair. An object never equals a string, and two pairs never
 * share an object, so no choice of characters in a region or key can make two
 * pairs collide: there is no separator to escape and no length prefix to forge.
 */
export class RegionKey {
  constructor(
    readonly region: string,
    readonly key: string,
  ) {}
}

/** What the handle's entries are keyed by. */
export type StoreKey = string | RegionKey

/**
 * The region keys that exist, grouped by region, so that `clearRegion` visits
 * the keys of that region only. The handle keeps it in step with its entries:
 * a key is interned before it is stored and forgotten when it leaves.
 */
export class RegionIndex {
  readonly #regions = new Map<string, Map<string, RegionKey>>()

  /** The store key of a pair, if it has one. Builds nothing. */
  find(region: string, key: string): RegionKey | undefined {
    return this.#regions.get(region)?.get(key)
  }

  /** The store key of a pair, created on first use. */
  intern(region: string, key: string): RegionKey {
    let keys = this.#regions.get(region)
    if (keys === undefined) {
      keys = new Map()
      this.#regions.set(region, keys)
    }
    let storeKey = keys.get(key)
    if (storeKey === undefined) {
      storeKey = new RegionKey(region, key)
      keys.set(key, storeKey)
    }
    return storeKey
  }

  /** Drops a store key the handle no longer holds. A detached or replaced key is left alone. */
  forget(storeKey: RegionKey): void {
    const keys = this.#regions.get(storeKey.region)
    if (keys === undefined || keys.get(storeKey.key) !== storeKey) return
    keys.delete(storeKey.key)
    if (keys.size === 0) this.#regions.delete(storeKey.region)
  }

  /** Removes a region from the index and returns its store keys, for the caller to delete. */
  take(region: string): Iterable<RegionKey> | undefined {
    const keys = this.#regions.get(region)
    if (keys === undefined) return undefined
    this.#regions.delete(region)
    return keys.values()
  }

  clear(): void {
    this.#regions.clear()
  }

  /** Keys per region, for tests that check the index against the entries held. @internal */
  sizes(): Map<string, number> {
    const sizes = new Map<string, number>()
    for (const [region, keys] of this.#regions) sizes.set(region, keys.size)
    return sizes
  }
}
