/**
 * The contract clauses the suites check, one line each. Test titles start
 * with the clause id and failure messages name it, so a red test says which
 * promise of the contract was broken. The README lists the same clauses.
 */

export const handleGroups = [
  'contract',
  'basic',
  'versions',
  'ttl',
  'regions',
  'keys',
  'values',
  'concurrency',
  'cas',
  'batch',
  'tags',
  'locks',
] as const
export type HandleGroup = (typeof handleGroups)[number]

export const handleClauses = {
  H1: 'declares specificationVersion v1, a kind and well-formed capabilities',
  H2: 'implements every method its capabilities promise',
  H3: 'attach accepts the same cache name again and rejects another with E_INVALID_OPTION',
  H4: 'close resolves, after a clear',
  H5: 'get of a missing key returns undefined',
  H6: 'set then get returns the entry with its value and every field intact',
  H7: 'set replaces the entry of the key',
  H8: 'add stores only when no fresh entry is there, and over a logically expired one',
  H9: 'delete removes the entry and says whether there was one',
  H10: 'expire makes the entry stale at once but keeps it until staleUntil',
  H11: 'set with version 0 assigns a positive version, returns it and get reports it',
  H12: 'versions grow with each write of a key',
  H13: 'set with a non-zero version stores that version as given',
  H14: 'after delete, a re-set gets a greater version than the key ever had',
  H15: 'an entry is gone once staleUntil passes (physical expiry), not before',
  H16: 'an entry past expiresAt but before staleUntil is still returned (logical expiry)',
  H17: 'Infinity expiresAt and staleUntil round-trip and never expire',
  H18: 'get renews a sliding entry (expiresAt = now + sliding, grace kept), physically too',
  H19: "the store's physical TTL follows staleUntil (checked through options.inspect)",
  H20: 'the same key in no region and in two regions holds three separate entries',
  H21: 'clearRegion removes that region only',
  H22: "clear removes every entry of this cache and none of another cache's",
  H23: 'unicode keys and regions round-trip, up to 1024 characters',
  H24: 'separators in keys and regions never make two (region, key) pairs share an entry',
  H25: 'a 1 MiB value round-trips, as a string and as bytes',
  H26: 'binary and structured values round-trip (all 256 bytes, NUL, Date, Map, Set, bigint, -0, NaN)',
  H27: 'parallel sets on one key get distinct versions; the last write applied has the greatest',
  H28: 'parallel adds on one absent key: exactly one succeeds',
  H29: 'compareAndSet with expected version 0 stores only on an absent key',
  H30: 'compareAndSet stores on the current version and fails on a stale one',
  H31: 'parallel compareAndSet on the same version: exactly one wins',
  H32: 'getMany returns entries in the order of the keys, undefined for misses',
  H33: 'setMany stores every item and returns the versions in order',
  H34: 'deleteMany removes the keys and returns how many existed',
  H35: 'tagVersion round-trips through set, add, expire, a sliding get, compareAndSet and setMany/getMany',
  H36: 'tagVersions reports 0 for tags never invalidated, in the order asked',
  H37: 'invalidateTags returns a version greater than any tag version before, and only its tags report it',
  H38: 'parallel invalidateTags calls get distinct versions; a tag they share ends at the greatest',
  H39: 'tag versions survive clear and clearRegion, and the next version is still greater',
  H40: "two caches never share tag versions: one's invalidateTags leaves the other's tags alone",
  H41: 'tags that only look alike (separators, braces, unicode, normalization) keep versions of their own',
  H42: 'acquireLock gives a free lock to its owner; another owner is refused while the holder re-acquires',
  H43: 'only the owner releases a lock (releaseLock says whether it did); then another owner can take it',
  H44: 'a lock is free once its lease runs out, not before; re-acquiring moves the lease to leaseMs from then',
  H45: 'parallel acquireLock calls of distinct owners on a free lock: exactly one wins',
  H46: 'locks are per (region, key) and per cache, and neither read nor change the entry of the key',
} as const
export type HandleClause = keyof typeof handleClauses

export const transportGroups = [
  'contract',
  'delivery',
  'bytes',
  'order',
  'faults',
  'close',
] as const
export type TransportGroup = (typeof transportGroups)[number]

export const transportClauses = {
  T1: 'declares specificationVersion v1 and a kind',
  T2: 'connect resolves once subscribed and reports status up',
  T3: 'a frame reaches every subscriber of the channel, the publisher included',
  T4: 'subscribers of another channel receive nothing',
  T5: 'frames are byte-exact: all 256 byte values, zero bytes, one byte',
  T6: 'frames of every size up to maxFrameBytes arrive whole',
  T7: 'frames of one publisher arrive in publish order (1000 frames)',
  T8: 'a cut reports down, a restore reports up again, and delivery resumes',
  T9: 'publish settles promptly while the connection is cut (never hangs)',
  T10: 'after close, nothing is delivered and publish rejects',
  T11: 'close releases every socket and timer the transport opened',
} as const
export type TransportClause = keyof typeof transportClauses

export const cacheGroups = [
  'invalidation',
  'ownFrames',
  'race',
  'recovery',
  'isolation',
  'protocol',
  'features',
] as const
export type CacheGroup = (typeof cacheGroups)[number]

export const cacheClauses = {
  C1: 'the nodes of one cache have distinct instance ids and share the L2',
  C2: 'set on one node: the others drop their L1 copy and get returns the new value',
  C3: 'delete on one node reaches the others',
  C4: 'expire on one node: the others stop treating the value as fresh',
  C5: 'clear on one node empties the L1 of the others',
  C6: "clearRegion on one node empties that region in the others' L1 and nothing else",
  C7: 'setMany and deleteMany reach the others',
  C8: 'remote changes are announced with origin remote',
  C9: 'a node ignores its own frames: its L1 keeps the value it just wrote',
  C10: 'an invalidation that arrives while an L2 read is in flight keeps the read result out of L1 as fresh',
  C11: 'after the backplane is cut and restored, a node serves the value written meanwhile',
  C12: 'two caches with different names never invalidate or see each other',
  C13: 'the golden protocol fixtures decode to their frames (and canonical ones encode to their bytes)',
  C14: 'the invalid protocol fixtures are rejected with E_BACKPLANE_DECODE',
  C15: "invalidateTags on one node makes the tagged entries a miss on every node, and follows an entry's current tags",
  C16: 'getOrSet with fleetLock on every node at once runs the factory once in the fleet',
} as const
export type CacheClause = keyof typeof cacheClauses

/** A clause's test title: its id, then its text. */
export function clauseTitle(clauses: Record<string, string>, id: string): string {
  return `${id} ${clauses[id]}`
}
