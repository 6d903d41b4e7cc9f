import {
  describeCacheConformance,
  describeHandleConformance,
  describeTransportConformance,
} from '@cacheplane/conformance'
import { pollUntil, type RedisTestCluster, startRedisCluster } from '@cacheplane/conformance/redis'
import {
  type BackplaneTransport,
  createCache,
  type TransportListener,
  type TransportStatus,
} from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { entryKeyOf, lockKeyOf, slotOf, tagKeysOf } from '@cacheplane/redis-shared'
import { createCluster } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisBackplane, redisHandle } from '../src/index.js'
import {
  attachedHandle,
  type Cluster,
  connectCluster,
  disconnect,
  entry,
  uniqueCacheName,
} from './support.js'

let cluster: RedisTestCluster
let client: Cluster

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicas: 1 })
  client = await connectCluster(cluster)
}, 30_000)

afterAll(async () => {
  disconnect(client)
  await cluster?.stop()
})

async function killSubscribers(): Promise<void> {
  for (const node of await cluster.masters()) {
    await cluster.command(node, ['CLIENT', 'KILL', 'TYPE', 'pubsub'])
  }
}

async function pttl(key: string): Promise<number> {
  return (await client.sendCommand(key, false, ['PTTL', key])) as number
}

describeHandleConformance({
  name: 'redis (node-redis, 3-master cluster)',
  create: () => ({ handle: redisHandle({ client }) }),
  inspect: {
    async ttl(key, region, { cacheName }) {
      const ttl = await pttl(entryKeyOf({ prefix: 'cacheplane', cacheName }, key, region))
      if (ttl === -2) return undefined
      return ttl === -1 ? Number.POSITIVE_INFINITY : ttl
    },
  },
})

for (const mode of ['sharded', 'pubsub'] as const) {
  describeTransportConformance({
    name: `redis ${mode} (node-redis, 3-master cluster)`,
    create: () => ({ transport: redisBackplane({ client, mode }) }),
    faults: { cut: killSubscribers, restore: () => {} },
  })
}

describeCacheConformance({
  name: 'node-redis 3-master cluster + memory L1',
  createNode: async ({ cacheName, wrapL2, wrapTransport }) => {
    const cache = createCache({
      name: cacheName,
      handles: [memoryHandle(), wrapL2(redisHandle({ client }))],
      backplane: wrapTransport(redisBackplane({ client })),
    })
    await cache.ready()
    return { cache }
  },
})

/** The master that serves `key`'s slot, as `host:port`. */
function nodeOf(key: string): string | undefined {
  return client.slots[slotOf(key)]?.master.address
}

/** Every key of the cache on every master, with its PTTL (-1: none). */
async function keysOnMasters(cacheName: string): Promise<Map<string, number>> {
  const result = new Map<string, number>()
  for (const master of client.masters) {
    const node = await client.nodeClient(master)
    let cursor = '0'
    do {
      const [next, found] = (await node.sendCommand([
        'SCAN',
        cursor,
        'MATCH',
        `*${cacheName}*`,
        'COUNT',
        '1000',
      ])) as [string, string[]]
      cursor = next
      for (const key of found) result.set(key, (await node.sendCommand(['PTTL', key])) as number)
    } while (cursor !== '0')
  }
  return result
}

describe('redisHandle on a cluster', () => {
  it('spreads keys without a region over the masters and keeps a region on one', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const layout = { prefix: 'cacheplane', cacheName }
    const keys = Array.from({ length: 60 }, (_, index) => `key-${index}`)
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key) })),
      undefined,
    )
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key) })),
      'region',
    )
    expect(new Set(keys.map((key) => nodeOf(entryKeyOf(layout, key, undefined)))).size).toBe(3)
    expect(new Set(keys.map((key) => nodeOf(entryKeyOf(layout, key, 'region')))).size).toBe(1)
    const found = await handle.getMany([...keys, 'missing'], undefined)
    expect(found.map((item) => item?.value)).toEqual([...keys, undefined])
    expect(await handle.deleteMany(keys, 'region')).toBe(60)
  })

  it("routes by the client's keyPrefix, which goes in front of every key", async () => {
    const prefixed = createCluster({
      rootNodes: client.masters.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
      keyPrefix: 'tenant:',
    })
    prefixed.on('error', () => {})
    await prefixed.connect()
    try {
      const { handle, cacheName } = attachedHandle(prefixed as unknown as Cluster)
      const keys = Array.from({ length: 20 }, (_, index) => `key-${index}`)
      await handle.setMany(
        keys.map((key) => ({ key, entry: entry(key) })),
        undefined,
      )
      expect((await handle.getMany(keys, undefined)).map((item) => item?.value)).toEqual(keys)
      const stored = [...(await keysOnMasters(cacheName)).keys()]
      expect(stored.length).toBeGreaterThanOrEqual(20)
      expect(stored.every((key) => key.startsWith('tenant:cacheplane:{'))).toBe(true)
    } finally {
      prefixed.destroy()
    }
  })

  it('clears every bucket on every master and leaves no key without a TTL', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const forever = { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }
    const keys = Array.from({ length: 40 }, (_, index) => `key-${index}`)
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key, forever) })),
      undefined,
    )
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key, forever) })),
      'region',
    )
    const before = await keysOnMasters(cacheName)
    expect([...before.values()].filter((ttl) => ttl === -1).length).toBeGreaterThanOrEqual(80)
    await handle.clear()
    expect((await handle.getMany(keys, undefined)).every((item) => item === undefined)).toBe(true)
    const after = await keysOnMasters(cacheName)
    expect([...after].filter(([, ttl]) => ttl === -1)).toEqual([])
  })
})

class Recorder implements TransportListener {
  readonly frames: string[] = []
  readonly statuses: TransportStatus[] = []
  onFrame(frame: Uint8Array): void {
    this.frames.push(Buffer.from(frame).toString())
  }
  onStatus(status: TransportStatus): void {
    this.statuses.push(status)
  }
}

describe('master failover', () => {
  it('brings the sharded backplane back on the new master, and the handle and caches with it', async () => {
    const channel = uniqueCacheName('failover')
    const publisher = redisBackplane({ client })
    const subscriber = redisBackplane({ client })
    const transports: BackplaneTransport[] = [publisher, subscriber]
    const heard = new Recorder()
    const cacheName = uniqueCacheName('failover')
    const caches = [0, 1].map(() =>
      createCache<string>({
        name: cacheName,
        handles: [memoryHandle(), redisHandle({ client })],
        backplane: redisBackplane({ client }),
      }),
    )
    try {
      await Promise.all(caches.map((cache) => cache.ready()))
      await publisher.connect(channel, new Recorder())
      await subscriber.connect(channel, heard)
      const { handle } = attachedHandle(client, {}, uniqueCacheName('failover'))
      await handle.set('k', 'region', entry('before'))
      const [writer, reader] = caches as [(typeof caches)[0], (typeof caches)[0]]
      await writer.set('p', 'before')
      expect(await reader.get('p')).toBe('before')

      const owner = nodeOf(channel)
      const masters = await cluster.masters()
      const index = masters.findIndex(({ host, port }) => `${host}:${port}` === owner)
      expect(index).toBeGreaterThanOrEqual(0)
      await cluster.killMaster(index)
      await pollUntil(() => heard.statuses.some((status) => status.state === 'down'), {
        timeout: 5_000,
        description: 'the subscriber to report down',
      })
      await cluster.waitForFailover({ timeout: 20_000 })
      await pollUntil(() => heard.statuses.at(-1)?.state === 'up', {
        timeout: 15_000,
        description: 'the subscriber to report up on the new master',
      })
      await pollUntil(
        async () => {
          await publisher.publish(Buffer.from('after failover')).catch(() => {})
          return heard.frames.includes('after failover')
        },
        { timeout: 15_000, interval: 100, description: 'a frame through the new master' },
      )
      await pollUntil(
        async () => (await handle.set('k', 'region', entry('after')).catch(() => 0)) > 0,
        { timeout: 15_000, interval: 100, description: 'writes to work again' },
      )
      expect((await handle.get('k', 'region'))?.value).toBe('after')

      // The caches converge: a write on one reaches the other's L1 once both backplanes are back.
      await pollUntil(
        async () => {
          await writer.set('p', 'after').catch(() => {})
          return (await reader.get('p').catch(() => undefined)) === 'after'
        },
        { timeout: 20_000, interval: 100, description: 'the caches to converge' },
      )
      await pollUntil(() => caches.every((cache) => cache.stats().backplane?.state === 'up'), {
        timeout: 15_000,
        description: 'both cache backplanes up',
      })
      await writer.set('q', 'fresh')
      await pollUntil(async () => (await reader.get('q')) === 'fresh', {
        timeout: 5_000,
        description: 'a new write to propagate',
      })
    } finally {
      await Promise.all(caches.map((cache) => cache.close()))
      await Promise.all(transports.map((transport) => transport.close()))
    }
  }, 60_000)
})

describe('tags and locks on a cluster', () => {
  it('keeps the tag keys in one slot and invalidates 500 tags in one atomic call', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const keys = tagKeysOf({ prefix: 'cacheplane', cacheName })
    expect(slotOf(keys.counter)).toBe(slotOf(keys.versions))
    const tags = Array.from({ length: 500 }, (_, index) => `tag-${index}`)
    const version = await handle.invalidateTags(tags)
    expect(await handle.tagVersions([...tags, 'never'])).toEqual([...tags.map(() => version), 0])
    await handle.clear()
    expect(await handle.tagVersions(['tag-0'])).toEqual([version])
    expect(await handle.invalidateTags(['tag-0'])).toBe(version + 1)
  })

  it('takes each lock in the slot of its entry, on every master', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const layout = { prefix: 'cacheplane', cacheName }
    const keys = Array.from({ length: 30 }, (_, index) => `key-${index}`)
    for (const key of keys) {
      expect(slotOf(lockKeyOf(layout, key, undefined))).toBe(
        slotOf(entryKeyOf(layout, key, undefined)),
      )
    }
    expect(new Set(keys.map((key) => nodeOf(lockKeyOf(layout, key, undefined)))).size).toBe(3)
    const take = (owner: string) =>
      Promise.all(keys.map((key) => handle.acquireLock(key, undefined, owner, 10_000)))
    expect(await take('a')).toEqual(keys.map(() => true))
    expect(await take('b')).toEqual(keys.map(() => false))
    const released = await Promise.all(keys.map((key) => handle.releaseLock(key, undefined, 'a')))
    expect(released).toEqual(keys.map(() => true))
    expect(await take('b')).toEqual(keys.map(() => true))
  })
})
