import { type Duration, parseDuration } from '@cacheplane/core'
import { invalidOption } from './options.js'

/** `pubsub`: SUBSCRIBE/PUBLISH. `sharded`: SSUBSCRIBE/SPUBLISH (Redis 7+), one shard carries the channel. */
export type BackplaneMode = 'pubsub' | 'sharded'

/** The options every Redis backplane shares, whatever the client. */
export interface RedisBackplaneSharedOptions {
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

/** The shared backplane options after validation. */
export interface ResolvedRedisBackplaneOptions {
  readonly mode: BackplaneMode
  readonly publishTimeout: number
  readonly subscribeTimeout: number
}

export const backplaneOptionNames = ['mode', 'publishTimeout', 'subscribeTimeout'] as const

function positiveDuration(value: unknown, option: string, fallback: number): number {
  if (value === undefined) return fallback
  const milliseconds = parseDuration(value, option)
  if (milliseconds <= 0) invalidOption(option, value, 'a duration above 0')
  return milliseconds
}

/**
 * Validates the shared backplane options once, at construction. The adapter
 * checks its client first and says whether it is a Cluster (the default mode
 * depends on it).
 */
export function resolveRedisBackplaneOptions(
  options: RedisBackplaneSharedOptions,
  client: { readonly isCluster: boolean },
): ResolvedRedisBackplaneOptions {
  const mode = options.mode ?? (client.isCluster ? 'sharded' : 'pubsub')
  if (mode !== 'pubsub' && mode !== 'sharded') {
    invalidOption('mode', mode, "'pubsub' or 'sharded'")
  }
  return {
    mode,
    publishTimeout: positiveDuration(options.publishTimeout, 'publishTimeout', 1_000),
    subscribeTimeout: positiveDuration(options.subscribeTimeout, 'subscribeTimeout', 5_000),
  }
}
