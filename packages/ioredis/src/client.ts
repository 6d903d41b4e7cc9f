import { invalidOption } from '@cacheplane/redis-shared'
import type { Cluster, Redis } from 'ioredis'

/** What the adapter accepts: an ioredis `Redis` or `Cluster` that you built and own. */
export type IoredisClient = Redis | Cluster

export function isCluster(client: IoredisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true
}

/** `host:port` of a Cluster node, as `Cluster.slots` names it. */
export function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`
}

/**
 * ioredis puts a client's `keyPrefix` before keys and before sharded channel
 * names (not classic ones), and routes by the prefixed name.
 */
export function keyPrefixOf(client: IoredisClient): string {
  return (client.options as { keyPrefix?: string }).keyPrefix ?? ''
}

/** Throws `E_INVALID_OPTION` unless `client` looks like an ioredis client (ioredis 5 or 6). */
export function assertClient(client: unknown, option: string): asserts client is IoredisClient {
  const candidate = client as Partial<Record<'evalshaBuffer' | 'pipeline' | 'duplicate', unknown>>
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof candidate.evalshaBuffer !== 'function' ||
    typeof candidate.pipeline !== 'function' ||
    typeof candidate.duplicate !== 'function'
  ) {
    invalidOption(
      option,
      client,
      'an ioredis Redis or Cluster instance (new Redis(...) or new Cluster(...))',
    )
  }
}
