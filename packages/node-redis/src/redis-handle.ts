import {
  createRedisHandle,
  invalidOption,
  type RedisHandle,
  type RedisHandleSharedOptions,
  rejectUnknownOptions,
  resolveRedisHandleOptions,
  sharedOptionNames,
} from '@cacheplane/redis-shared'
import { assertClient, type NodeRedisClient } from './client.js'
import { nodeRedisExecutor } from './node-redis-executor.js'

export interface RedisHandleOptions extends RedisHandleSharedOptions {
  /**
   * Your node-redis client (`createClient`) or Cluster (`createCluster`),
   * connected. The handle sends commands through it and never connects,
   * closes or reconfigures it.
   */
  client: NodeRedisClient
}

const optionNames = ['client', ...sharedOptionNames]

/**
 * The L2 handle over node-redis: one Redis string per entry (see
 * `@cacheplane/redis-shared` for the stored format and key layout, which the
 * ioredis adapter shares byte for byte), written and read by Lua scripts so
 * that versions, `add` and `compareAndSet` are atomic. Gets issued in the
 * same tick share one round trip.
 *
 * @example
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const cache = createCache({ name: 'products', handles: [memoryHandle(), redisHandle({ client })] })
 */
export function redisHandle(options: RedisHandleOptions): RedisHandle {
  if (typeof options !== 'object' || options === null) {
    invalidOption('options', options, 'an object such as { client }')
  }
  rejectUnknownOptions(options, optionNames, 'redisHandle')
  assertClient(options.client, 'client')
  return createRedisHandle(nodeRedisExecutor(options.client), resolveRedisHandleOptions(options))
}
