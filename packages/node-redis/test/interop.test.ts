import {
  pollUntil,
  type RedisTestCluster,
  type RedisTestServer,
  startRedis,
  startRedisCluster,
} from '@cacheplane/conformance/redis'
import { type Cache, type CacheEntry, cborSerializer, createCache } from '@cacheplane/core'
import * as ioredisAdapter from '@cacheplane/ioredis'
import { memoryHandle } from '@cacheplane/memory'
import { entryKeyOf, type RedisHandle } from '@cacheplane/redis-shared'
import { Cluster as IoCluster, Redis as IoRedis } from 'ioredis'
import { RESP_TYPES } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as nodeRedisAdapter from '../src/index.js'
import {
  type Client,
  type Cluster,
  connect,
  connectCluster,
  disconnect,
  entry,
  uniqueCacheName,
} from './support.js'

/**
 * One cache on ioredis and one on node-redis, same Redis, same cache name and
 * so the same channel: each must read the other's L2 writes and evict on the
 * other's invalidations, for every operation kind, in both directions.
 */
interface Deployment {
  readonly label: string
  start(): Promise<void>
  stop(): Promise<void>
  /** The raw stored bytes of a key, through each client. */
  rawThroughIoredis(key: string): Promise<Buffer | null>
  rawThroughNodeRedis(key: string): Promise<Buffer | null>
  ioClient(): IoRedis | IoCluster
  nodeClient(): Client | Cluster
}

const bufferReplies = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } }

function standalone(): Deployment {
  let server: RedisTestServer
  let io: IoRedis
  let node: Client
  return {
    label: 'standalone',
    async start() {
      server = await startRedis()
      io = new IoRedis(server.url)
      io.on('error', () => {})
      node = await connect(server)
    },
    async stop() {
      io?.disconnect()
      disconnect(node)
      await server?.stop()
    },
    rawThroughIoredis: (key) => io.getBuffer(key),
    rawThroughNodeRedis: (key) => node.sendCommand(['GET', key], bufferReplies),
    ioClient: () => io,
    nodeClient: () => node,
  }
}

function cluster(): Deployment {
  let servers: RedisTestCluster
  let io: IoCluster
  let node: Cluster
  return {
    label: '3-master cluster',
    async start() {
      servers = await startRedisCluster({ masters: 3 })
      io = new IoCluster((await servers.masters()).map(({ host, port }) => ({ host, port })))
      io.on('error', () => {})
      await io.ping()
      node = await connectCluster(servers)
    },
    async stop() {
      io?.disconnect()
      disconnect(node)
      await servers?.stop()
    },
    rawThroughIoredis: (key) => io.getBuffer(key),
    rawThroughNodeRedis: (key) => node.sendCommand(key, false, ['GET', key], bufferReplies),
    ioClient: () => io,
    nodeClient: () => node,
  }
}

describe.each([standalone(), cluster()])('ioredis and node-redis on one $label', (deployment) => {
  beforeAll(() => deployment.start(), 30_000)
  afterAll(() => deployment.stop())

  const handles = () => {
    const cacheName = uniqueCacheName('interop')
    const serializer = cborSerializer()
    const io = ioredisAdapter.redisHandle({ client: deployment.ioClient() as IoRedis })
    const node = nodeRedisAdapter.redisHandle({ client: deployment.nodeClient() })
    io.attach({ cacheName, serializer })
    node.attach({ cacheName, serializer })
    return { io, node, cacheName }
  }

  describe('stored bytes', () => {
    const samples: [string, string | undefined, CacheEntry][] = [
      ['plain', undefined, entry('value', { createdAt: 1 })],
      ['p:1', 'catalog', entry({ name: 'widget', price: 12.5 }, { tags: ['brand:acme', 'ü'] })],
      ['bytes', undefined, entry(new Uint8Array([0, 1, 255]), { sliding: 30_000 })],
      [
        'tagged',
        'catalog',
        entry({ name: 'widget' }, { tags: ['brand:acme', 'ü'], tagVersion: 9, sliding: 30_000 }),
      ],
      [
        'forever',
        'r',
        entry([1, 'two', null], {
          expiresAt: Number.POSITIVE_INFINITY,
          staleUntil: Number.POSITIVE_INFINITY,
        }),
      ],
    ]

    it.each(samples)(
      'are identical for the same entry (%s, region %s)',
      async (key, region, written) => {
        const { io, node, cacheName } = handles()
        const redisKey = entryKeyOf({ prefix: 'cacheplane', cacheName }, key, region)
        const fixed = { ...written, version: 5 }
        await io.set(key, region, fixed)
        const byIoredis = await deployment.rawThroughIoredis(redisKey)
        expect(byIoredis).not.toBeNull()
        expect(await deployment.rawThroughNodeRedis(redisKey)).toEqual(byIoredis)
        await node.set(key, region, fixed)
        const byNodeRedis = await deployment.rawThroughNodeRedis(redisKey)
        expect(byNodeRedis).toEqual(byIoredis)
        // Stored format 2 only for an entry with a tagVersion.
        expect(byNodeRedis?.[0]).toBe(written.tagVersion === undefined ? 1 : 2)
        // Each decodes the other's record (a get renews a sliding entry, so compare without it).
        const renewed = { expiresAt: expect.any(Number), staleUntil: expect.any(Number) }
        const expected = fixed.sliding === 0 ? fixed : { ...fixed, ...renewed }
        expect(await io.get(key, region)).toEqual(expected)
        await io.set(key, region, fixed)
        expect(await node.get(key, region)).toEqual(expected)
      },
    )

    it('keep one version sequence and one tombstone across both adapters', async () => {
      const { io, node } = handles()
      expect(await io.set('k', undefined, entry(1))).toBe(1)
      expect(await node.set('k', undefined, entry(2))).toBe(2)
      expect(await node.delete('k', undefined)).toBe(true)
      expect(await io.get('k', undefined)).toBeUndefined()
      expect(await io.set('k', undefined, entry(3))).toBe(3)
      expect((await node.get('k', undefined))?.value).toBe(3)
    })
  })

  describe('tags through the handles', () => {
    it('share one counter: each sees the versions the other gave, in both directions', async () => {
      const { io, node } = handles()
      expect(await node.tagVersions(['a', 'b'])).toEqual([0, 0])
      const first = await io.invalidateTags(['a', 'b'])
      expect(await node.tagVersions(['b', 'a', 'c'])).toEqual([first, first, 0])
      const second = await node.invalidateTags(['b', 'c'])
      expect(second).toBeGreaterThan(first)
      expect(await io.tagVersions(['a', 'b', 'c'])).toEqual([first, second, second])
      const both = await Promise.all([
        io.invalidateTags(['shared']),
        node.invalidateTags(['shared']),
        io.invalidateTags(['x']),
        node.invalidateTags(['y']),
      ])
      expect(new Set(both).size).toBe(4)
      expect(await io.tagVersions(['shared'])).toEqual([Math.max(both[0], both[1])])
    })

    it('read the tagVersion of entries the other wrote', async () => {
      const { io, node } = handles()
      const version = await node.invalidateTags(['t'])
      await node.set('k', undefined, entry('v', { tags: ['t'], tagVersion: version }))
      expect((await io.get('k', undefined))?.tagVersion).toBe(version)
      await io.set('k', undefined, entry('w', { tags: ['t'], tagVersion: version + 1 }))
      expect((await node.get('k', undefined))?.tagVersion).toBe(version + 1)
    })
  })

  describe('locks through the handles', () => {
    it('refuse a lock the other adapter holds, until its owner releases it', async () => {
      const { io, node } = handles()
      expect(await io.acquireLock('k', 'r', 'io-owner', 10_000)).toBe(true)
      expect(await node.acquireLock('k', 'r', 'node-owner', 10_000)).toBe(false)
      expect(await node.releaseLock('k', 'r', 'node-owner')).toBe(false)
      // The owner, not the adapter, holds the lock: the same owner renews it through either.
      expect(await node.acquireLock('k', 'r', 'io-owner', 10_000)).toBe(true)
      expect(await io.releaseLock('k', 'r', 'io-owner')).toBe(true)
      expect(await node.acquireLock('k', 'r', 'node-owner', 10_000)).toBe(true)
      expect(await io.acquireLock('k', 'r', 'io-owner', 10_000)).toBe(false)
      expect(await node.releaseLock('k', 'r', 'node-owner')).toBe(true)
    })

    it('let exactly one of many owners on both adapters take a free lock', async () => {
      const { io, node } = handles()
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (index % 2 === 0 ? io : node).acquireLock('k', undefined, `owner-${index}`, 10_000),
        ),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
    })
  })

  describe('compare-and-set through the handles', () => {
    it('accepts the version the other adapter wrote and refuses a stale one', async () => {
      const { io, node } = handles()
      expect(await node.compareAndSet('k', 'r', entry('a'), 0)).toBe(1)
      expect(await io.compareAndSet('k', 'r', entry('b'), 0)).toBeUndefined()
      expect(await io.compareAndSet('k', 'r', entry('b'), 1)).toBe(2)
      expect(await node.compareAndSet('k', 'r', entry('c'), 1)).toBeUndefined()
      expect(await node.compareAndSet('k', 'r', entry('c'), 2)).toBe(3)
      expect((await io.get('k', 'r'))?.value).toBe('c')
    })

    it('loses no increment when both adapters race on one counter', async () => {
      const { io, node } = handles()
      await io.set('n', undefined, entry(0))
      const increment = (handle: RedisHandle) => async () => {
        for (;;) {
          const current = await handle.get('n', undefined)
          const next = entry((current?.value as number) + 1)
          if ((await handle.compareAndSet('n', undefined, next, current!.version)) !== undefined) {
            return
          }
        }
      }
      await Promise.all([
        ...Array.from({ length: 10 }, increment(io)),
        ...Array.from({ length: 10 }, increment(node)),
      ])
      expect((await node.get('n', undefined))?.value).toBe(20)
    })
  })

  describe('caches', () => {
    let onIoredis: Cache<unknown>
    let onNodeRedis: Cache<unknown>

    beforeAll(async () => {
      const name = uniqueCacheName('interop-cache')
      onIoredis = createCache({
        name,
        handles: [
          memoryHandle(),
          ioredisAdapter.redisHandle({ client: deployment.ioClient() as IoRedis }),
        ],
        backplane: ioredisAdapter.redisBackplane({ client: deployment.ioClient() as IoRedis }),
      })
      onNodeRedis = createCache({
        name,
        handles: [
          memoryHandle(),
          nodeRedisAdapter.redisHandle({ client: deployment.nodeClient() }),
        ],
        backplane: nodeRedisAdapter.redisBackplane({ client: deployment.nodeClient() }),
      })
      await Promise.all([onIoredis.ready(), onNodeRedis.ready()])
    })

    afterAll(async () => {
      await onIoredis?.close()
      await onNodeRedis?.close()
    })

    const directions = () =>
      [
        ['ioredis', 'node-redis', onIoredis, onNodeRedis],
        ['node-redis', 'ioredis', onNodeRedis, onIoredis],
      ] as const

    /** Waits until the reader's L1 no longer serves `stale` for the key. */
    const evicted = (reader: Cache<unknown>, key: string, region?: string) =>
      pollUntil(() => reader.peek(key, { region }) === undefined, {
        timeout: 5_000,
        description: `"${key}" to leave the reader's L1`,
      })

    /** The writer writes, the reader reads it from L2 into its L1. */
    const shared = async (
      writer: Cache<unknown>,
      reader: Cache<unknown>,
      key: string,
      region?: string,
    ) => {
      await writer.set(key, `old ${key}`, { region })
      expect(await reader.get(key, { region })).toBe(`old ${key}`)
      expect(reader.peek(key, { region })).toBe(`old ${key}`)
    }

    it('set: the other evicts and reads the new value from L2, both ways', async () => {
      for (const [from, , writer, reader] of directions()) {
        const key = `set-${from}`
        await shared(writer, reader, key)
        await writer.set(key, `new ${key}`)
        await evicted(reader, key)
        expect(await reader.get(key)).toBe(`new ${key}`)
      }
    })

    it('add: the other evicts what it held and reads the added value, both ways', async () => {
      for (const [from, , writer, reader] of directions()) {
        const key = `add-${from}`
        await reader.set(key, 'local only', { skipL2: true })
        expect(reader.peek(key)).toBe('local only')
        expect(await writer.add(key, `added ${key}`)).toBe(true)
        await evicted(reader, key)
        expect(await reader.get(key)).toBe(`added ${key}`)
        expect(await reader.add(key, 'again')).toBe(false)
      }
    })

    it('delete: the other evicts and finds nothing in L2, both ways', async () => {
      for (const [from, , writer, reader] of directions()) {
        const key = `delete-${from}`
        await shared(writer, reader, key)
        expect(await writer.delete(key)).toBe(true)
        await evicted(reader, key)
        expect(await reader.get(key)).toBeUndefined()
      }
    })

    it('expire: the other stops treating the value as fresh, both ways', async () => {
      for (const [from, , writer, reader] of directions()) {
        const key = `expire-${from}`
        await shared(writer, reader, key)
        expect(await writer.expire(key)).toBe(true)
        await evicted(reader, key)
        expect(await reader.has(key)).toBe(false)
      }
    })

    it('setMany and deleteMany: the other evicts every key, both ways', async () => {
      for (const [from, , writer, reader] of directions()) {
        const keys = [`many-a-${from}`, `many-b-${from}`, `many-c-${from}`]
        for (const key of keys) await shared(writer, reader, key, 'many')
        await writer.setMany(
          keys.map((key) => ({ key, value: `new ${key}` })),
          { region: 'many' },
        )
        for (const key of keys) await evicted(reader, key, 'many')
        expect(await reader.getMany(keys, { region: 'many' })).toEqual(
          keys.map((key) => `new ${key}`),
        )
        for (const key of keys) expect(reader.peek(key, { region: 'many' })).toBe(`new ${key}`)
        expect(await writer.deleteMany(keys, { region: 'many' })).toBe(3)
        for (const key of keys) await evicted(reader, key, 'many')
        expect(await reader.getMany(keys, { region: 'many' })).toEqual([
          undefined,
          undefined,
          undefined,
        ])
      }
    })

    it('clearRegion: the other drops that region and keeps the rest, both ways', async () => {
      for (const [from, , writer, reader] of directions()) {
        const region = `region-${from}`
        await shared(writer, reader, 'in', region)
        await shared(writer, reader, `out-${from}`)
        await writer.clearRegion(region)
        await evicted(reader, 'in', region)
        expect(await reader.get('in', { region })).toBeUndefined()
        expect(reader.peek(`out-${from}`)).toBe(`old out-${from}`)
      }
    })

    it('clear: the other empties its L1 and finds nothing in L2, both ways', async () => {
      for (const [from, , writer, reader] of directions()) {
        await shared(writer, reader, `clear-${from}`)
        await shared(writer, reader, `clear-${from}`, 'r')
        await writer.clear()
        await evicted(reader, `clear-${from}`)
        await evicted(reader, `clear-${from}`, 'r')
        expect(await reader.get(`clear-${from}`)).toBeUndefined()
        expect(await reader.get(`clear-${from}`, { region: 'r' })).toBeUndefined()
      }
    })

    it('update (compare-and-set): the other sees every increment, both ways', async () => {
      await onIoredis.set('counter', 0)
      expect(await onNodeRedis.get('counter')).toBe(0)
      for (const [, , writer, reader] of directions()) {
        const before = (await reader.get('counter')) as number
        await writer.update('counter', (value) => ((value as number) ?? 0) + 1)
        await evicted(reader, 'counter')
        expect(await reader.get('counter')).toBe(before + 1)
      }
      await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 === 0 ? onIoredis : onNodeRedis).update(
            'counter',
            (value) => ((value as number) ?? 0) + 1,
            { maxRetries: 50 },
          ),
        ),
      )
      await pollUntil(async () => (await onIoredis.get('counter')) === 12, {
        timeout: 5_000,
        description: 'the counter to reach 12 on ioredis',
      })
      await pollUntil(async () => (await onNodeRedis.get('counter')) === 12, {
        timeout: 5_000,
        description: 'the counter to reach 12 on node-redis',
      })
    })
  })
})
