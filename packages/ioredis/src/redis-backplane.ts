import type { BackplaneTransport } from '@cacheplane/core'
import { type BackplaneDriver, createRedisBackplane, slotOf } from '@cacheplane/redis-shared'
import {
  type RedisBackplaneOptions,
  type ResolvedBackplaneOptions,
  resolveBackplaneOptions,
} from './backplane-options.js'
import { isCluster, nodeKey } from './client.js'
import { Subscription } from './subscription.js'

/**
 * The backplane over Redis pub/sub with ioredis: publishes through your
 * client, subscribes on a duplicate of it (on a Cluster, of the master that
 * serves the channel), and reports `down` when that subscription is lost and
 * `up` once Redis has acknowledged it again.
 *
 * Publishing never waits in ioredis' offline queue: while your client is not
 * `ready` a publish rejects at once with `E_BACKPLANE_PUBLISH`, and one that
 * gets no answer within `publishTimeout` rejects too (the cache keeps the
 * invalidation in its outbox and retries).
 *
 * @example
 * const cache = createCache({
 *   name: 'products',
 *   handles: [memoryHandle(), redisHandle({ client })],
 *   backplane: redisBackplane({ client }),
 * })
 */
export function redisBackplane(options: RedisBackplaneOptions): BackplaneTransport {
  const resolved = resolveBackplaneOptions(options)
  return createRedisBackplane(ioredisDriver(resolved), resolved)
}

function ioredisDriver(options: ResolvedBackplaneOptions): BackplaneDriver {
  const { client, mode, subscribeTimeout } = options
  return {
    ...(mode === 'pubsub' && !isCluster(client) ? { connection: client } : {}),
    publishBlocker() {
      // Not ready means ioredis would queue the command until it reconnects: refuse instead.
      // ('wait' is a lazyConnect client never used yet: the command connects it.)
      if (client.status !== 'ready' && client.status !== 'wait') {
        return `the Redis client is ${client.status}`
      }
      return undefined
    },
    publish: (channel, payload) => send(options, channel, payload),
    subscribe(channel, listener) {
      const subscription = new Subscription({ client, channel, mode, subscribeTimeout }, listener)
      subscription.start()
      return subscription
    },
  }
}

/**
 * A Cluster sends a keyless PUBLISH to any node, and two nodes may forward
 * one publisher's frames out of order: classic publishes go to the master
 * of the channel's slot instead, always the same one.
 */
function send(
  options: ResolvedBackplaneOptions,
  channel: string,
  payload: Buffer,
): Promise<unknown> {
  const { client, mode } = options
  if (mode === 'sharded') return client.spublish(channel, payload)
  if (!isCluster(client)) return client.publish(channel, payload)
  const owner = client.slots[slotOf(channel)]?.[0]
  const node = client.nodes('master').find((candidate) => nodeKey(candidate) === owner)
  if (node === undefined) {
    return Promise.reject(new Error('the Cluster client knows no master for the channel yet'))
  }
  if (node.status !== 'ready' && node.status !== 'wait') {
    return Promise.reject(new Error(`the connection to ${owner} is ${node.status}`))
  }
  return node.publish(channel, payload)
}
