import type { RedisTestServer } from '@cacheplane/conformance/redis'
import { type CacheEntry, cborSerializer } from '@cacheplane/core'
import type { RedisHandle } from '@cacheplane/redis-shared'
import { Redis, type RedisOptions } from 'ioredis'
import { type IoredisClient, redisHandle } from '../src/index.js'

let counter = 0

/** A cache name no other test uses. */
export function uniqueCacheName(label = 'test'): string {
  counter++
  return `${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

/** A client on the test server; every test file quits its clients in afterAll. */
export function connect(server: RedisTestServer, options: RedisOptions = {}): Redis {
  const client = new Redis(server.url, options)
  client.on('error', () => {})
  return client
}

/** A Redis handle attached to a fresh cache name. */
export function attachedHandle(
  client: IoredisClient,
  options: Omit<Parameters<typeof redisHandle>[0], 'client'> = {},
  cacheName = uniqueCacheName(),
): { handle: RedisHandle; cacheName: string } {
  const handle = redisHandle({ client, ...options })
  handle.attach({ cacheName, serializer: cborSerializer() })
  return { handle, cacheName }
}

/** An entry fresh for `ttl` ms and kept `grace` ms longer, version 0. */
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
export async function keysWithTtl(client: Redis): Promise<Map<string, number>> {
  const result = new Map<string, number>()
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000)
    cursor = next
    for (const key of keys) result.set(key, await client.pttl(key))
  } while (cursor !== '0')
  return result
}

/** Keys without a TTL whose name contains `fragment`. */
export async function keysWithoutTtl(client: Redis, fragment: string): Promise<string[]> {
  const keys = await keysWithTtl(client)
  return [...keys].filter(([key, ttl]) => key.includes(fragment) && ttl === -1).map(([key]) => key)
}
