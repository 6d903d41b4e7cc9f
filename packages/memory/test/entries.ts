import type { CacheEntry } from '@cacheplane/core'

/** An entry written now: fresh for `ttl`, kept `grace` longer; version 0 unless given. */
export function makeEntry(
  value: unknown,
  options: { ttl?: number; grace?: number; isSliding?: boolean } & Partial<CacheEntry> = {},
): CacheEntry {
  const { ttl = 60_000, grace = 0, isSliding = false, ...overrides } = options
  const now = Date.now()
  const expiresAt = now + ttl
  return {
    value,
    version: 0,
    createdAt: now,
    expiresAt,
    staleUntil: expiresAt + grace,
    sliding: isSliding ? ttl : 0,
    tags: [],
    ...overrides,
  }
}

/** An entry that never expires. */
export function foreverEntry(value: unknown, version = 0): CacheEntry {
  return makeEntry(value, {
    version,
    expiresAt: Number.POSITIVE_INFINITY,
    staleUntil: Number.POSITIVE_INFINITY,
  })
}
