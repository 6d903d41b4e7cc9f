import { fnv1a32, slotOf } from './hashing.js'

/**
 * Buckets per cache. Every key of a cache lives in one of these hash-tag
 * groups, so that a Lua script can reach an entry and its bucket's bookkeeping
 * keys on one Cluster node, and `clear()` visits a fixed number of groups.
 * Part of the stored layout: changing it moves every key.
 */
export const BUCKET_COUNT = 256

/** The region part of keys without a region. Region parts of regions start with `r`. */
export const NO_REGION = '_'

/** Where a cache's keys live: `<prefix>:{<cacheName>.<bucket>}:...`. */
export interface KeyLayout {
  readonly prefix: string
  readonly cacheName: string
}

/** The keys one entry operation touches, and its bucket. */
export interface EntryAddress {
  readonly bucket: number
  /** `<prefix>:{<cacheName>.<bucket>}:<region part>:<key>` */
  readonly entryKey: string
  /** `<prefix>:{<cacheName>.<bucket>}:meta` */
  readonly bucketMetaKey: string
  /** `_` without a region, `r<UTF-8 byte length>:<region>` with one. */
  readonly regionPart: string
}

/**
 * The bucket of an entry: FNV-1a of the region when there is one (a region
 * lives in one bucket, so `clearRegion` is one script on one node), else of
 * the key (keys without a region spread over all buckets).
 */
export function bucketOf(key: string, region: string | undefined): number {
  return fnv1a32(region ?? key) % BUCKET_COUNT
}

/** `_`, or `r<byte length>:<region>`: the length prefix keeps every (region, key) pair apart. */
export function regionPartOf(region: string | undefined): string {
  return region === undefined ? NO_REGION : `r${Buffer.byteLength(region, 'utf8')}:${region}`
}

/** `<prefix>:{<cacheName>.<bucket>}`, the start of every key of the bucket. */
export function bucketBase(layout: KeyLayout, bucket: number): string {
  return `${layout.prefix}:{${layout.cacheName}.${bucket}}`
}

export function bucketMetaKey(layout: KeyLayout, bucket: number): string {
  return `${bucketBase(layout, bucket)}:meta`
}

export function entryAddress(
  layout: KeyLayout,
  key: string,
  region: string | undefined,
): EntryAddress {
  const bucket = bucketOf(key, region)
  const base = bucketBase(layout, bucket)
  const regionPart = regionPartOf(region)
  return {
    bucket,
    entryKey: `${base}:${regionPart}:${key}`,
    bucketMetaKey: `${base}:meta`,
    regionPart,
  }
}

/**
 * The key of an entry's fleet-wide lock: `<bucket base>:lock:<region part>:<key>`,
 * in the entry's bucket (so in its slot). After the base, entry keys go on with
 * `_:` or `r<n>:` and bookkeeping keys with `meta`, `persist` or `purge`: the
 * `lock:` part keeps locks apart from all of them, and the region part (which
 * says where it ends) keeps the locks of two (region, key) pairs apart.
 */
export function lockKeyOf(layout: KeyLayout, key: string, region: string | undefined): string {
  return `${bucketBase(layout, bucketOf(key, region))}:lock:${regionPartOf(region)}:${key}`
}

/** The two keys of a cache's tags, in one hash slot of their own. */
export interface TagKeys {
  /** `<prefix>:{<cacheName>.tags}:counter`: a string, the last version given to any tag (INCR). */
  readonly counter: string
  /** `<prefix>:{<cacheName>.tags}:versions`: a hash, tag to its version (tags never invalidated are absent). */
  readonly versions: string
}

/**
 * The keys of a cache's tags. Their hash tag `{<cacheName>.tags}` cannot be a
 * bucket's of any cache: cache names hold no `:`, `{` or `}`, a bucket's hash
 * tag ends in `.<digits>`, and the last `.` of `<cacheName>.tags` is followed by
 * `tags`. So the hash tag names its cache (cache `a`'s tags are `{a.tags}`,
 * cache `a.tags` has `{a.tags.0}` to `{a.tags.255}` and `{a.tags.tags}`).
 */
export function tagKeysOf(layout: KeyLayout): TagKeys {
  const base = `${layout.prefix}:{${layout.cacheName}.tags}`
  return { counter: `${base}:counter`, versions: `${base}:versions` }
}

/** The Redis key of an entry, for tools and tests that inspect the store. */
export function entryKeyOf(layout: KeyLayout, key: string, region: string | undefined): string {
  return entryAddress(layout, key, region).entryKey
}

/** Cluster hash slots of a layout's buckets, computed once per layout. */
export class BucketSlots {
  readonly #slots: number[]

  constructor(layout: KeyLayout) {
    this.#slots = Array.from({ length: BUCKET_COUNT }, (_, bucket) =>
      slotOf(bucketBase(layout, bucket)),
    )
  }

  of(bucket: number): number {
    return this.#slots[bucket] ?? 0
  }
}
