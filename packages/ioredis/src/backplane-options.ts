import {
  backplaneOptionNames,
  invalidOption,
  type RedisBackplaneSharedOptions,
  type ResolvedRedisBackplaneOptions,
  rejectUnknownOptions,
  resolveRedisBackplaneOptions,
} from '@cacheplane/redis-shared'
import { assertClient, type IoredisClient, isCluster } from './client.js'

export type { BackplaneMode } from '@cacheplane/redis-shared'

export interface RedisBackplaneOptions extends RedisBackplaneSharedOptions {
  /**
   * Your ioredis `Redis` or `Cluster`. Publishes go through it; the backplane
   * subscribes on a connection of its own, made with `duplicate()`, and never
   * quits yours.
   */
  client: IoredisClient
}

/** The options after validation. */
export interface ResolvedBackplaneOptions extends ResolvedRedisBackplaneOptions {
  readonly client: IoredisClient
}

const optionNames = ['client', ...backplaneOptionNames]

export function resolveBackplaneOptions(options: RedisBackplaneOptions): ResolvedBackplaneOptions {
  if (typeof options !== 'object' || options === null) {
    invalidOption('options', options, 'an object such as { client }')
  }
  rejectUnknownOptions(options, optionNames, 'redisBackplane')
  assertClient(options.client, 'client')
  const shared = resolveRedisBackplaneOptions(options, { isCluster: isCluster(options.client) })
  return { client: options.client, ...shared }
}
