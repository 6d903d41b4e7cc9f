import type { LuaScript } from './scripts/lua-script.js'

/** One script call: `EVALSHA sha1 keys.length ...keys ...args`. */
export interface ScriptCall {
  readonly script: LuaScript
  readonly keys: readonly string[]
  readonly args: readonly (string | Uint8Array)[]
}

/**
 * What the shared handle needs from a Redis client. An adapter implements it
 * in a few dozen lines over its client (see `@cacheplane/ioredis`).
 *
 * Replies must come back binary-safe: bulk strings as `Uint8Array` (a
 * `Buffer` is fine), integers as numbers, nil as `null`, arrays as arrays.
 */
export interface RedisExecutor {
  /**
   * A Redis Cluster: the handle then puts only keys of one hash slot into a
   * call. On a standalone server, one call may span every bucket.
   */
  readonly isCluster: boolean
  /**
   * The client writes each command to the socket as it is issued (ioredis),
   * not the commands of a turn of the event loop together (node-redis, or
   * ioredis with `enableAutoPipelining`). The handle then sends concurrent
   * gets in calls of a few keys as they come, so that Redis runs one call
   * while the client decodes the replies to another; a client that writes
   * once per turn would send those calls together and only pay for more.
   * @default false
   */
  readonly writesImmediately?: boolean
  /**
   * The client object, when it is one connection to one standalone server
   * (omit it for a Cluster). A Redis backplane over the same object then lets
   * the cache publish a lone `set`'s invalidation from the write script
   * (`setAndPublish`): one round trip instead of two.
   */
  readonly connection?: object
  /**
   * Runs the calls, pipelined where the client can (one round trip per node),
   * with `EVALSHA` and a fallback to `EVAL` on `NOSCRIPT`. Settles with one
   * outcome per call, in order; a failed call does not fail the others.
   */
  run(calls: readonly ScriptCall[]): Promise<PromiseSettledResult<unknown>[]>
}
