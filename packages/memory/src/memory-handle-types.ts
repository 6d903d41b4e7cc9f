import type { CacheEntry, CacheHandle } from '@cacheplane/core'

/**
 * A {@link CacheHandle} that answers synchronously: every method returns its
 * result, never a promise.
 */
export interface MemoryHandle extends CacheHandle {
  readonly kind: 'memory'
  readonly backplaneSource: boolean
  /** Entries held, counting ones past `staleUntil` that no read has dropped yet. */
  readonly size: number
  /**
   * As {@link CacheHandle.get}. `now` lets a caller that has read the clock
   * already spare the handle another `Date.now()`.
   */
  get(key: string, region: string | undefined, now?: number): CacheEntry | undefined
  peek(key: string, region: string | undefined): CacheEntry | undefined
  set(key: string, region: string | undefined, entry: CacheEntry): number
  add(key: string, region: string | undefined, entry: CacheEntry): number | undefined
  delete(key: string, region: string | undefined): boolean
  expire(key: string, region: string | undefined, now: number): boolean
  clear(): void
  clearRegion(region: string): void
  compareAndSet(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    expectedVersion: number,
  ): number | undefined
  getMany(keys: readonly string[], region: string | undefined): (CacheEntry | undefined)[]
  setMany(
    items: readonly { key: string; entry: CacheEntry }[],
    region: string | undefined,
  ): number[]
  deleteMany(keys: readonly string[], region: string | undefined): number
  tagVersions(tags: readonly string[]): number[]
  invalidateTags(tags: readonly string[]): number
  acquireLock(key: string, region: string | undefined, owner: string, leaseMs: number): boolean
  releaseLock(key: string, region: string | undefined, owner: string): boolean
  close(): void
}
