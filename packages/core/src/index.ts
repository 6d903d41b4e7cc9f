export { channelName } from './backplane/channel.js'
export { createCache } from './cache.js'
export type {
  BackplaneStats,
  Cache,
  CacheStats,
  FactoryContext,
  HandleStats,
} from './cache-types.js'
export { type Duration, type DurationUnit, parseDuration } from './duration.js'
export { type CacheEntry, isFresh, remaining, slide } from './entry.js'
export {
  CacheplaneError,
  type CacheplaneErrorCode,
  type CacheplaneErrorOptions,
  describeValue,
  invalidOption,
} from './errors.js'
export type {
  CacheEventListener,
  CacheEventName,
  CacheEvents,
  Origin,
} from './events.js'
export type {
  CacheHandle,
  HandleCapabilities,
  HandleContext,
  MaybePromise,
  WritePublication,
} from './handle.js'
export type {
  BackplaneOptions,
  CacheOptions,
  EntryOptions,
  FleetLockOptions,
  GetOrSetOptions,
  KeyOptions,
  SetOptions,
  WriteOptions,
} from './options.js'
export { type DecodeLimits, decodeFrame, encodeFrame } from './protocol/codec.js'
export {
  type Frame,
  type Operation,
  type OperationKind,
  PROTOCOL_MAJOR,
  PROTOCOL_MINOR,
} from './protocol/frame.js'
export { cborSerializer, jsonSerializer, type Serializer } from './serializer.js'
export type { BackplaneTransport, TransportListener, TransportStatus } from './transport.js'
export type { UpdateOptions } from './update.js'
