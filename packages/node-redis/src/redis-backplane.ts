import type { BackplaneTransport } from '@cacheplane/core'
import { type BackplaneDriver, createRedisBackplane, slotOf } from '@cacheplane/redis-shared'
import {
  type RedisBackplaneOptions,
  type ResolvedBackplaneOptions,
  resolveBackplaneOptions,
} from './backplane-options.js'
import {
  isCluster,
  type NodeRedisClient,
  type NodeRedisCluster,
  type RedisArgument,
} from './client.js'
import { Subscription } from './subscription.js'

/**
 * The backplane over Redis pub/sub with node-redis: publishes through your
 * client, subscribes on a duplicate of it (on a Cluster, a connection to the
 * master that serves the channel), and reports `down` when that subscription
 * is lost and `up` once Redis has acknowledged it again.
 *
 * Publishing never waits in node-redis' offline queue: while your client (on
 * a Cluster, the connection to the channel's master) is not ready a publish
 * rejects at once with `E_BACKPLANE_PUBLISH`, and one that gets no answer
 * within `publishTimeout` is dropped from the queue and rejects too (the
 * cache keeps the invalidation in its outbox and retries).
 *
 * @example
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const cache = createCache({
 *   name: 'products',
 *   handles: [memoryHandle(), redisHandle({ client })],
 *   backplane: redisBackplane({ client }),
 * })
 */
export function redisBackplane(options: RedisBackplaneOptions): BackplaneTransport {
  const resolved = resolveBackplaneOptions(options)
  return createRedisBackplane(nodeRedisDriver(resolved), resolved)
}

function nodeRedisDriver(options: ResolvedBackplaneOptions): BackplaneDriver {
  const { client, mode, subscribeTimeout } = options
  const command = mode === 'sharded' ? 'SPUBLISH' : 'PUBLISH'
  return {
    ...(mode === 'pubsub' && !isCluster(client) ? { connection: client } : {}),
    publishBlocker: (channel) => publishBlocker(client, channel),
    publish(channel, payload, timeout) {
      const args = [command, channel, payload]
      if (!isCluster(client)) return client.sendCommand(args, { timeout })
      // SPUBLISH routes by its channel; the Cluster client sends a classic PUBLISH
      // to any node instead, and two nodes may forward one publisher's frames out
      // of order: those go to the master of the channel's slot, always the same one.
      if (mode === 'sharded') return client.sendCommand(channel, false, args, { timeout })
      return publishOnOwner(client, channel, args, timeout)
    },
    subscribe(channel, listener) {
      const subscription = new Subscription({ client, channel, mode, subscribeTimeout }, listener)
      subscription.start()
      return subscription
    },
  }
}

async function publishOnOwner(
  cluster: NodeRedisCluster,
  channel: string,
  args: RedisArgument[],
  timeout: number,
): Promise<unknown> {
  const owner = cluster.getSlotMaster(slotOf(channel))
  const node = owner.client?.isReady ? owner.client : await cluster.nodeClient(owner)
  return node.sendCommand(args, { timeout })
}

function publishBlocker(client: NodeRedisClient, channel: string): string | undefined {
  if (!isCluster(client)) {
    if (client.isReady) return undefined
    return client.isOpen
      ? 'the Redis client is reconnecting'
      : 'the Redis client is not connected (call connect()) or closed'
  }
  if (!client.isOpen) return 'the Redis Cluster client is not connected (call connect()) or closed'
  const owner = client.slots[slotOf(channel)]?.master
  // No client yet: node-redis connects it for the command.
  if (owner?.client !== undefined && !owner.client.isReady) {
    return `the connection to ${owner.address}, which serves the channel, is not ready`
  }
  return undefined
}
