import {
  backplaneOptionNames,
  invalidOption,
  type RedisBackplaneSharedOptions,
  type ResolvedRedisBackplaneOptions,
  rejectUnknownOptions,
  resolveRedisBackplaneOptions,
} from '@cacheplane/redis-shared'
import { assertClient, isCluster, type NodeRedisClient } from './client.js'

export type { BackplaneMode } from '@cacheplane/redis-shared'

export interface RedisBackplaneOptions extends RedisBackplaneSharedOptions {
  /**
   * Your node-redis client (`createClient`) or Cluster (`createCluster`),
   * connected. Publishes go through it; the backplane subscribes on a
   * connection of its own, made with `duplicate()`, and never closes yours.
   */
  client: NodeRedisClient
}

/** The options after validation. */
export interface ResolvedBackplaneOptions extends ResolvedRedisBackplaneOptions {
  readonly client: NodeRedisClient
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
