import {
  describeCacheConformance,
  describeHandleConformance,
  describeTransportConformance,
} from '@cacheplane/conformance'
import { pollUntil, type RedisTestCluster, startRedisCluster } from '@cacheplane/conformance/redis'
import {
  type BackplaneTransport,
  type Cache,
  createCache,
  type TransportListener,
  type TransportStatus,
} from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { entryKeyOf, lockKeyOf, slotOf, tagKeysOf } from '@cacheplane/redis-shared'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisBackplane, redisHandle } from '../src/index.js'
import { attachedHandle, entry, uniqueCacheName } from './support.js'

let cluster: RedisTestCluster
let client: Cluster

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicas: 1 })
  client = new Cluster((await cluster.masters()).map(({ host, port }) => ({ host, port })))
  client.on('error', () => {})
  await client.ping()
}, 30_000)

afterAll(async () => {
  client?.disconnect()
  await cluster?.stop()
})

async function killSubscribers(): Promise<void> {
  for (const node of await cluster.masters()) {
    await cluster.command(node, ['CLIENT', 'KILL', 'TYPE', 'pubsub'])
  }
}

function backplaneUp(cache: Cache): Promise<unknown> {
  return pollUntil(() => cache.stats().backplane?.state === 'up', {
    timeout: 5_000,
    description: 'the backplane to be subscribed',
  })
}

describeHandleConformance({
  name: 'redis (ioredis, 3-master cluster)',
  create: () => ({ handle: redisHandle({ client }) }),
  inspect: {
    async ttl(key, region, { cacheName }) {
      const ttl = await client.pttl(entryKeyOf({ prefix: 'cacheplane', cacheName }, key, region))
      if (ttl === -2) return undefined
      return ttl === -1 ? Number.POSITIVE_INFINITY : ttl
    },
  },
})

for (const mode of ['sharded', 'pubsub'] as const) {
  describeTransportConformance({
    name: `redis ${mode} (ioredis, 3-master cluster)`,
    create: () => ({ transport: redisBackplane({ client, mode }) }),
    faults: { cut: killSubscribers, restore: () => {} },
  })
}

describeCacheConformance({
  name: 'ioredis 3-master cluster + memory L1',
  createNode: async ({ cacheName, wrapL2, wrapTransport }) => {
    const cache = createCache({
      name: cacheName,
      handles: [memoryHandle(), wrapL2(redisHandle({ client }))],
      backplane: wrapTransport(redisBackplane({ client })),
    })
    await backplaneUp(cache)
    return { cache }
  },
})

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
    const nodeOf = (key: string) => client.slots[slotOf(key)]?.[0]
    expect(new Set(keys.map((key) => nodeOf(entryKeyOf(layout, key, undefined)))).size).toBe(3)
    expect(new Set(keys.map((key) => nodeOf(entryKeyOf(layout, key, 'region')))).size).toBe(1)
    const found = await handle.getMany([...keys, 'missing'], undefined)
    expect(found.map((item) => item?.value)).toEqual([...keys, undefined])
    expect(await handle.deleteMany(keys, 'region')).toBe(60)
  })

  it('sends concurrent gets per slot, a call per 24 gets of a slot', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const layout = { prefix: 'cacheplane', cacheName }
    const keys = Array.from({ length: 40 }, (_, index) => `key-${index}`)
    for (const region of [undefined, 'region']) {
      await handle.setMany(
        keys.map((key) => ({ key, entry: entry(key) })),
        region,
      )
    }
    // Loads the get script on every master, so that no EVAL fallback shows in the counts.
    await handle.getMany(keys, undefined)
    const masters = client.nodes('master')
    const scriptCalls = async (work: () => Promise<unknown>) => {
      await Promise.all(masters.map((node) => node.config('RESETSTAT')))
      await work()
      let calls = 0
      for (const node of masters) {
        const info = await node.info('commandstats')
        calls += Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(info)?.[1] ?? 0)
      }
      return calls
    }
    const getAll = (region: string | undefined) => () =>
      Promise.all(keys.map((key) => handle.get(key, region)))
    // A region is one slot: ceil(40 / 24) calls.
    expect(await scriptCalls(getAll('region'))).toBe(2)
    // Keys without a region spread: one call per slot, none of them holding 24.
    const spread = new Set(keys.map((key) => slotOf(entryKeyOf(layout, key, undefined)))).size
    expect(spread).toBeGreaterThan(30)
    expect(await scriptCalls(getAll(undefined))).toBe(spread)
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
    await handle.clear()
    expect((await handle.getMany(keys, undefined)).every((item) => item === undefined)).toBe(true)
    for (const master of await cluster.masters()) {
      const node = client
        .nodes('master')
        .find((candidate) => candidate.options.port === master.port)
      let cursor = '0'
      do {
        const [next, found] = await node!.scan(cursor, 'MATCH', `*${cacheName}*`, 'COUNT', 1000)
        cursor = next
        for (const key of found) expect(await node!.pttl(key), key).not.toBe(-1)
      } while (cursor !== '0')
    }
  })
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
    const nodeOf = (key: string) => client.slots[slotOf(key)]?.[0]
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
  it('brings the sharded backplane back on the new master, and the handle with it', async () => {
    const channel = uniqueCacheName('failover')
    const publisher = redisBackplane({ client })
    const subscriber = redisBackplane({ client })
    const transports: BackplaneTransport[] = [publisher, subscriber]
    const heard = new Recorder()
    try {
      await publisher.connect(channel, new Recorder())
      await subscriber.connect(channel, heard)
      const { handle } = attachedHandle(client, {}, uniqueCacheName('failover'))
      await handle.set('k', 'region', entry('before'))

      const owner = client.slots[slotOf(channel)]?.[0]
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
        { timeout: 10_000, interval: 100, description: 'a frame through the new master' },
      )
      await pollUntil(
        async () => (await handle.set('k', 'region', entry('after')).catch(() => 0)) > 0,
        { timeout: 10_000, interval: 100, description: 'writes to work again' },
      )
      expect((await handle.get('k', 'region'))?.value).toBe('after')
    } finally {
      await Promise.all(transports.map((transport) => transport.close()))
    }
  }, 60_000)
})
