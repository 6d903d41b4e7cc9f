import { CacheplaneError } from './errors.js'

/**
 * An entry as the handles store it: the value and what the cache needs to know
 * about it. A distributed handle writes all of it in one command (see the Redis
 * adapters' stored format) so that it can compare-and-set on `version` later.
 *
 * Times are milliseconds since the Unix epoch, read from `Date.now()` of the
 * process that wrote the entry. They decide expiry only; ordering between
 * writes is decided by `version`, never by clocks.
 */
export interface CacheEntry<T = unknown> {
  /** The value. In-process handles keep the live object; distributed ones serialize it. */
  value: T
  /**
   * Assigned by the backplane source on every write: a positive integer that
   * grows with each write of the key. `0` means "not written to the source
   * yet": a handle given version 0 assigns the next version itself.
   */
  version: number
  /** When the value was written. */
  createdAt: number
  /** Fresh until this time (logical expiry). `Infinity`: never expires. */
  expiresAt: number
  /**
   * Kept until this time (physical expiry), and served as stale by fail-safe
   * between `expiresAt` and then. Always `>= expiresAt`. `Infinity`: kept forever.
   */
  staleUntil: number
  /** Sliding window in ms: each read hit moves `expiresAt` to now + `sliding`. `0`: absolute expiry. */
  sliding: number
  /** Tags of the entry, for `invalidateTags`. */
  tags: readonly string[]
  /**
   * The highest version among `tags` when the write began (see
   * `CacheHandle.tagVersions`): the entry counts as invalidated once one of its
   * tags has a higher version. Handles store it with the entry and return it.
   * Absent (or 0) for entries without tags: an entry with tags and no
   * `tagVersion` is invalidated by any invalidation of its tags.
   */
  tagVersion?: number
}

/**
 * A new entry for `value` written at `now` (version 0: the source assigns it),
 * `tagVersion` read before the value was (see `CacheEntry.tagVersion`).
 * Throws `E_INVALID_VALUE` for `undefined`, which a get could not tell from a miss.
 */
export function createEntry<T>(
  value: T,
  options: { ttl: number; grace: number; sliding: boolean; tags: readonly string[] },
  now: number,
  tagVersion = 0,
): CacheEntry<T> {
  if (value === undefined) {
    throw new CacheplaneError(
      'E_INVALID_VALUE',
      'Cannot cache undefined: a get could not tell it from a miss. Store null for "known absent".',
    )
  }
  const expiresAt = now + options.ttl
  return {
    value,
    version: 0,
    createdAt: now,
    expiresAt,
    staleUntil: expiresAt + options.grace,
    sliding: options.sliding ? options.ttl : 0,
    tags: options.tags,
    tagVersion,
  }
}

/** True when `entry` is fresh at `now`. */
export function isFresh(entry: CacheEntry, now: number): boolean {
  return entry.expiresAt > now
}

/** Milliseconds until `time`, at least 1, or `Infinity`. Used to turn an expiry into a TTL. */
export function remaining(time: number, now: number): number {
  return time === Number.POSITIVE_INFINITY ? time : Math.max(1, time - now)
}

/**
 * Renews a sliding entry in place at `now`, moving its physical expiry by as
 * much as its logical one. Handles call this from `get`. An entry that is no
 * longer fresh (expired, or `expire`d) is left alone: a read must not bring it
 * back to life.
 */
export function slide(entry: CacheEntry, now: number): void {
  if (entry.sliding <= 0 || entry.expiresAt <= now) return
  const grace = entry.staleUntil - entry.expiresAt
  entry.expiresAt = now + entry.sliding
  entry.staleUntil = entry.expiresAt + grace
}
