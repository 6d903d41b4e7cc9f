export type { RedisHandle, RedisHandleSharedOptions } from '@cacheplane/redis-shared'
export type { BackplaneMode, RedisBackplaneOptions } from './backplane-options.js'
export type {
  NodeRedisClient,
  NodeRedisCluster,
  NodeRedisClusterNode,
  NodeRedisCommandOptions,
  NodeRedisConnection,
  NodeRedisStandalone,
} from './client.js'
export { redisBackplane } from './redis-backplane.js'
export { type RedisHandleOptions, redisHandle } from './redis-handle.js'
