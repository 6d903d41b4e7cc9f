export {
  type BackplaneMode,
  backplaneOptionNames,
  type RedisBackplaneSharedOptions,
  type ResolvedRedisBackplaneOptions,
  resolveRedisBackplaneOptions,
} from './backplane-options.js'
export {
  decodeEntryRecord,
  encodeEntryRecord,
  HEADER_BYTES,
  STORED_FORMAT,
  TAGGED_HEADER_BYTES,
  TAGGED_STORED_FORMAT,
} from './entry-record.js'
export type { RedisExecutor, ScriptCall } from './executor.js'
export { fnv1a32, slotOf } from './hashing.js'
export {
  BUCKET_COUNT,
  bucketBase,
  bucketMetaKey,
  bucketOf,
  type EntryAddress,
  entryAddress,
  entryKeyOf,
  type KeyLayout,
  lockKeyOf,
  NO_REGION,
  regionPartOf,
  type TagKeys,
  tagKeysOf,
} from './key-layout.js'
export {
  invalidOption,
  type RedisHandleSharedOptions,
  type ResolvedRedisHandleOptions,
  rejectUnknownOptions,
  resolveRedisHandleOptions,
  sharedOptionNames,
} from './options.js'
export {
  type BackplaneDriver,
  type BackplaneSubscription,
  createRedisBackplane,
  MAX_PENDING_PUBLISHES,
  type SubscriptionListener,
} from './redis-backplane.js'
export { createRedisHandle, type RedisHandle } from './redis-handle.js'
export { MAX_ITEMS_PER_CALL, unavailable } from './run-items.js'
export {
  clearBucketScript,
  clearRegionScript,
  purgeScript,
} from './scripts/clear-scripts.js'
export {
  deleteScript,
  expireScript,
  getScript,
  writeScript,
} from './scripts/entry-scripts.js'
export { acquireLockScript, releaseLockScript } from './scripts/lock-scripts.js'
export { defineScript, type LuaScript } from './scripts/lua-script.js'
export { invalidateTagsScript, tagVersionsScript } from './scripts/tag-scripts.js'
export { withTimeout } from './with-timeout.js'
