import {
  createRedisHandle,
  invalidOption,
  type RedisHandle,
  type RedisHandleSharedOptions,
  rejectUnknownOptions,
  resolveRedisHandleOptions,
  sharedOptionNames,
} from '@cacheplane/redis-shared'
import { assertClient, type IoredisClient } from './client.js'
import { ioredisExecutor } from './ioredis-executor.js'

export interface RedisHandleOptions extends RedisHandleSharedOptions {
  /**
   * Your ioredis `Redis` or `Cluster`. The handle sends commands through it
   * and never connects, quits or reconfigures it.
   */
  client: IoredisClient
}

const optionNames = ['client', ...sharedOptionNames]

/**
 * The L2 handle over ioredis: one Redis string per entry (see
 * `@cacheplane/redis-shared` for the stored format and key layout), written
 * and read by Lua scripts so that versions, `add` and `compareAndSet` are
 * atomic. Gets issued in the same tick share one round trip.
 *
 * @example
 * const client = new Redis(process.env.REDIS_URL)
 * const cache = createCache({ name: 'products', handles: [memoryHandle(), redisHandle({ client })] })
 */
export function redisHandle(options: RedisHandleOptions): RedisHandle {
  if (typeof options !== 'object' || options === null) {
    invalidOption('options', options, 'an object such as { client }')
  }
  rejectUnknownOptions(options, optionNames, 'redisHandle')
  assertClient(options.client, 'client')
  return createRedisHandle(ioredisExecutor(options.client), resolveRedisHandleOptions(options))
}
