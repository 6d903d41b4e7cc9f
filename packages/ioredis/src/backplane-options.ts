import { type Duration, parseDuration } from '@cacheplane/core'
import { invalidOption, rejectUnknownOptions } from '@cacheplane/redis-shared'
import { assertClient, type IoredisClient, isCluster } from './client.js'

/** `pubsub`: SUBSCRIBE/PUBLISH. `sharded`: SSUBSCRIBE/SPUBLISH (Redis 7+), one shard carries the channel. */
export type BackplaneMode = 'pubsub' | 'sharded'

export interface RedisBackplaneOptions {
  /**
   * Your ioredis `Redis` or `Cluster`. Publishes go through it; the backplane
   * subscribes on a connection of its own, made with `duplicate()`, and never
   * quits yours.
   */
  client: IoredisClient
  /**
   * Classic or sharded pub/sub. Sharded keeps a Cluster's messages on the one
   * shard that owns the channel instead of broadcasting them to every node.
   * @default 'sharded' on a Cluster, 'pubsub' on a standalone server
   */
  mode?: BackplaneMode
  /** How long a publish may wait for Redis before it rejects with `E_BACKPLANE_PUBLISH`. @default '1s' */
  publishTimeout?: Duration
  /**
   * How long one attempt to (re)subscribe may take before it is abandoned and
   * retried; also how long `connect` waits before it rejects (and keeps trying).
   * @default '5s'
   */
  subscribeTimeout?: Duration
}

/** The options after validation. */
export interface ResolvedBackplaneOptions {
  readonly client: IoredisClient
  readonly mode: BackplaneMode
  readonly publishTimeout: number
  readonly subscribeTimeout: number
}

const optionNames = ['client', 'mode', 'publishTimeout', 'subscribeTimeout']

function positiveDuration(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  const milliseconds = parseDuration(value, option)
  if (milliseconds <= 0) invalidOption(option, value, 'a duration above 0')
  return milliseconds
}

export function resolveBackplaneOptions(options: RedisBackplaneOptions): ResolvedBackplaneOptions {
  if (typeof options !== 'object' || options === null) {
    invalidOption('options', options, 'an object such as { client }')
  }
  rejectUnknownOptions(options, optionNames, 'redisBackplane')
  assertClient(options.client, 'client')
  const mode = options.mode ?? (isCluster(options.client) ? 'sharded' : 'pubsub')
  if (mode !== 'pubsub' && mode !== 'sharded') {
    invalidOption('mode', mode, "'pubsub' or 'sharded'")
  }
  return {
    client: options.client,
    mode,
    publishTimeout: positiveDuration(options.publishTimeout, 'publishTimeout', 1_000),
    subscribeTimeout: positiveDuration(options.subscribeTimeout, 'subscribeTimeout', 5_000),
  }
}
