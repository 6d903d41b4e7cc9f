import { CacheplaneError, describeValue } from '@cacheplane/core'
import { RegionIndex, type StoreKey } from './region-index.js'

interface Lock {
  owner: string
  /** The lease runs out at this time (ms since the epoch): from then on the lock is free. */
  until: number
}

/** Below this many locks held, no sweep: a lookup drops an expired lock of its own key anyway. */
const minimumSweepSize = 1_024

/**
 * The locks of the cache a handle is attached to (see `CacheHandle.acquireLock`),
 * apart from the entries: keys with a region are interned in an index of their
 * own, so that no lock ever shares a store key with an entry or with another
 * `(region, key)` pair.
 *
 * Expired locks are dropped when their key is acquired or released, and swept
 * lazily: each time the table has doubled since the last sweep, an `acquire`
 * drops every expired lock (amortized O(1) per call, and no timer).
 */
export class LockTable {
  readonly #keys = new RegionIndex()
  readonly #locks = new Map<StoreKey, Lock>()
  #sweepAt = minimumSweepSize

  /** Locks held, expired ones that nothing has dropped yet included. */
  get size(): number {
    return this.#locks.size
  }

  /** Takes the lock for `owner`, or extends the lease it holds. Returns whether `owner` holds it. */
  acquire(
    key: string,
    region: string | undefined,
    owner: string,
    leaseMs: number,
    now: number,
  ): boolean {
    checkLockArguments(key, region, owner)
    if (!(typeof leaseMs === 'number' && Number.isSafeInteger(leaseMs) && leaseMs > 0)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `Invalid leaseMs: got ${describeValue(leaseMs)}, expected a positive integer number of milliseconds.`,
      )
    }
    const found = this.#find(key, region)
    const held = found === undefined ? undefined : this.#locks.get(found)
    if (held !== undefined) {
      if (held.owner !== owner && now < held.until) return false
      held.owner = owner
      held.until = now + leaseMs
      return true
    }
    if (this.#locks.size >= this.#sweepAt) this.#sweep(now)
    const storeKey = region === undefined ? key : this.#keys.intern(region, key)
    this.#locks.set(storeKey, { owner, until: now + leaseMs })
    return true
  }

  /** Releases the lock if `owner` holds it. Returns whether it did. */
  release(key: string, region: string | undefined, owner: string, now: number): boolean {
    checkLockArguments(key, region, owner)
    const storeKey = this.#find(key, region)
    if (storeKey === undefined) return false
    const held = this.#locks.get(storeKey)
    if (held === undefined) return false
    const expired = now >= held.until
    if (held.owner !== owner && !expired) return false
    this.#drop(storeKey)
    return !expired
  }

  clear(): void {
    this.#locks.clear()
    this.#keys.clear()
    this.#sweepAt = minimumSweepSize
  }

  /** Region keys per region in the lock index, for tests. @internal */
  regionSizes(): Map<string, number> {
    return this.#keys.sizes()
  }

  #find(key: string, region: string | undefined): StoreKey | undefined {
    return region === undefined ? key : this.#keys.find(region, key)
  }

  #drop(storeKey: StoreKey): void {
    this.#locks.delete(storeKey)
    if (typeof storeKey !== 'string') this.#keys.forget(storeKey)
  }

  #sweep(now: number): void {
    for (const [storeKey, lock] of this.#locks) if (now >= lock.until) this.#drop(storeKey)
    this.#sweepAt = Math.max(minimumSweepSize, 2 * this.#locks.size)
  }
}

function checkLockArguments(key: unknown, region: unknown, owner: unknown): void {
  if (typeof key !== 'string' || key === '') {
    throw new CacheplaneError(
      'E_INVALID_KEY',
      `Invalid key: got ${describeValue(key)}, expected a non-empty string.`,
    )
  }
  if (region !== undefined && (typeof region !== 'string' || region === '')) {
    throw new CacheplaneError(
      'E_INVALID_KEY',
      `Invalid region: got ${describeValue(region)}, expected a non-empty string or undefined.`,
    )
  }
  if (typeof owner !== 'string' || owner === '') {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `Invalid owner: got ${describeValue(owner)}, expected a non-empty string that names the lock holder.`,
    )
  }
}
