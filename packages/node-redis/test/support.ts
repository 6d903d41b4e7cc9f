import type { RedisTestCluster, RedisTestServer } from '@cacheplane/conformance/redis'
import { type CacheEntry, cborSerializer } from '@cacheplane/core'
import type { RedisHandle } from '@cacheplane/redis-shared'
import {
  createClient,
  createCluster,
  type RedisClientOptions,
  type RedisClientType,
  type RedisClusterType,
  type RedisFunctions,
  type RedisModules,
  type RedisScripts,
  type RespVersions,
} from 'redis'
import { type NodeRedisClient, redisHandle } from '../src/index.js'

let counter = 0

/** A cache name no other test uses. */
export function uniqueCacheName(label = 'test'): string {
  counter++
  return `${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

export type Client = RedisClientType
export type Cluster = RedisClusterType

/** A connected client on the test server; every test file closes its clients in afterAll. */
export async function connect(
  server: RedisTestServer,
  options: Omit<
    RedisClientOptions<RedisModules, RedisFunctions, RedisScripts, RespVersions>,
    'url'
  > = {},
): Promise<Client> {
  const client = createClient({ url: server.url, ...options }) as Client
  client.on('error', () => {})
  await client.connect()
  return client
}

/** A connected Cluster client on the test cluster's masters. */
export async function connectCluster(cluster: RedisTestCluster): Promise<Cluster> {
  const masters = await cluster.masters()
  const client = createCluster({
    rootNodes: masters.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
  }) as unknown as Cluster
  client.on('error', () => {})
  await client.connect()
  return client
}

/** Closes a client, whatever state it is in. */
export function disconnect(client: { destroy(): void } | undefined): void {
  try {
    client?.destroy()
  } catch {
    // Already closed.
  }
}

/** A Redis handle attached to a fresh cache name. */
export function attachedHandle(
  client: NodeRedisClient,
  options: Omit<Parameters<typeof redisHandle>[0], 'client'> = {},
  cacheName = uniqueCacheName(),
): { handle: RedisHandle; cacheName: string } {
  const handle = redisHandle({ client, ...options })
  handle.attach({ cacheName, serializer: cborSerializer() })
  return { handle, cacheName }
}

/** An entry fresh for 60 s and kept 60 s longer, version 0. */
export function entry<T>(value: T, fields: Partial<CacheEntry<T>> = {}): CacheEntry<T> {
  const now = Date.now()
  return {
    value,
    version: 0,
    createdAt: now,
    expiresAt: now + 60_000,
    staleUntil: now + 120_000,
    sliding: 0,
    tags: [],
    ...fields,
  }
}

/** Every key of the server's db 0 with its PTTL (-1: none). SCAN is fine in a test. */
export async function keysWithTtl(client: Client): Promise<Map<string, number>> {
  const result = new Map<string, number>()
  let cursor = '0'
  do {
    const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'COUNT', '1000'])) as [
      string,
      string[],
    ]
    cursor = next
    for (const key of keys) result.set(key, await client.pTTL(key))
  } while (cursor !== '0')
  return result
}

/** Keys without a TTL whose name contains `fragment`. */
export async function keysWithoutTtl(client: Client, fragment: string): Promise<string[]> {
  const keys = await keysWithTtl(client)
  return [...keys].filter(([key, ttl]) => key.includes(fragment) && ttl === -1).map(([key]) => key)
}
