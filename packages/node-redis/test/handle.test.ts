import { type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { CacheplaneError, cborSerializer, jsonSerializer } from '@cacheplane/core'
import { BUCKET_COUNT, entryKeyOf, fnv1a32 } from '@cacheplane/redis-shared'
import { RESP_TYPES } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisHandle } from '../src/index.js'
import {
  attachedHandle,
  type Client,
  connect,
  disconnect,
  entry,
  keysWithoutTtl,
  keysWithTtl,
  uniqueCacheName,
} from './support.js'

let server: RedisTestServer
let client: Client

beforeAll(async () => {
  server = await startRedis()
  client = await connect(server)
})

afterAll(async () => {
  disconnect(client)
  await server?.stop()
})

describe('redisHandle: operations', () => {
  it('returns undefined for a missing key and every field of a stored entry', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.get('missing', undefined)).toBeUndefined()
    const stored = entry(
      { name: 'widget', price: 12.5, at: new Date(0), bytes: new Uint8Array([0, 255]) },
      { tags: ['brand:acme', 'ünïcode'] },
    )
    expect(await handle.set('p:1', undefined, stored)).toBe(1)
    expect(await handle.get('p:1', undefined)).toEqual({ ...stored, version: 1 })
  })

  it('add stores only over a missing or logically expired entry', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.add('k', undefined, entry('first'))).toBe(1)
    expect(await handle.add('k', undefined, entry('second'))).toBeUndefined()
    expect(await handle.expire('k', undefined, Date.now())).toBe(true)
    expect(await handle.add('k', undefined, entry('third'))).toBe(2)
    expect((await handle.get('k', undefined))?.value).toBe('third')
  })

  it('getMany, setMany and deleteMany keep the order of the keys', async () => {
    const { handle } = attachedHandle(client)
    const versions = await handle.setMany(
      [
        { key: 'a', entry: entry('A') },
        { key: 'b', entry: entry('B') },
        { key: 'a', entry: entry('A2') },
      ],
      'region',
    )
    expect(versions).toEqual([1, 1, 2])
    const found = await handle.getMany(['b', 'missing', 'a'], 'region')
    expect(found.map((item) => item?.value)).toEqual(['B', undefined, 'A2'])
    expect(await handle.deleteMany(['a', 'missing', 'b'], 'region')).toBe(2)
    expect(await handle.getMany(['a', 'b'], 'region')).toEqual([undefined, undefined])
  })

  it('sets the physical TTL to staleUntil, and none for Infinity', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const now = Date.now()
    await handle.set('finite', undefined, entry(1, { staleUntil: now + 30_000 }))
    await handle.set(
      'forever',
      undefined,
      entry(2, { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }),
    )
    const layout = { prefix: 'cacheplane', cacheName }
    const ttl = await client.pTTL(entryKeyOf(layout, 'finite', undefined))
    expect(ttl).toBeGreaterThan(28_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
    expect(await client.pTTL(entryKeyOf(layout, 'forever', undefined))).toBe(-1)
  })

  it('versions grow across delete, clearRegion and clear', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.set('k', 'r', entry(1))).toBe(1)
    await handle.delete('k', 'r')
    expect(await handle.set('k', 'r', entry(2))).toBe(2)
    await handle.clearRegion('r')
    expect(await handle.get('k', 'r')).toBeUndefined()
    expect(await handle.set('k', 'r', entry(3))).toBe(3)
    await handle.clear()
    expect(await handle.get('k', 'r')).toBeUndefined()
    expect(await handle.set('k', 'r', entry(4))).toBe(4)
  })
})

describe('redisHandle: compareAndSet', () => {
  it('lets exactly one of 50 concurrent writers win on the same version', async () => {
    const { handle } = attachedHandle(client)
    const base = await handle.set('counter', undefined, entry(0))
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        handle.compareAndSet('counter', undefined, entry(index + 1), base),
      ),
    )
    expect(results.filter((version) => version !== undefined)).toEqual([base + 1])
  })

  it('increments a counter from 20 concurrent read-modify-write loops without losing one', async () => {
    const { handle } = attachedHandle(client)
    await handle.set('n', undefined, entry(0))
    const increment = async () => {
      for (;;) {
        const current = await handle.get('n', undefined)
        const next = entry((current?.value as number) + 1)
        if ((await handle.compareAndSet('n', undefined, next, current!.version)) !== undefined) {
          return
        }
      }
    }
    await Promise.all(Array.from({ length: 20 }, increment))
    expect((await handle.get('n', undefined))?.value).toBe(20)
  })
})

describe('redisHandle: stored data', () => {
  it('names keys <prefix>:{<cache>.<bucket>}:<region part>:<key>', async () => {
    const { handle, cacheName } = attachedHandle(client, { prefix: 'app' })
    await handle.set('p:1', undefined, entry(1))
    await handle.set('p:1', 'catalog', entry(2))
    const plain = fnv1a32('p:1') % BUCKET_COUNT
    const catalog = fnv1a32('catalog') % BUCKET_COUNT
    const keys = [...(await keysWithTtl(client)).keys()].filter((key) => key.includes(cacheName))
    expect(keys).toEqual(
      expect.arrayContaining([
        `app:{${cacheName}.${plain}}:_:p:1`,
        `app:{${cacheName}.${catalog}}:r7:catalog:p:1`,
        `app:{${cacheName}.${plain}}:meta`,
      ]),
    )
  })

  it("works under the client's keyPrefix, down to the purge of entries without TTL", async () => {
    const prefixed = await connect(server, { keyPrefix: 'tenant:' })
    try {
      const { handle, cacheName } = attachedHandle(prefixed)
      const forever = { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }
      await handle.set('k', 'region', entry('v', forever))
      await handle.set('k', undefined, entry('w', forever))
      const names = [...(await keysWithTtl(client)).keys()].filter((key) => key.includes(cacheName))
      expect(names.length).toBeGreaterThan(0)
      expect(names.every((key) => key.startsWith('tenant:cacheplane:{'))).toBe(true)
      expect((await handle.get('k', 'region'))?.value).toBe('v')
      await handle.clear()
      expect(await keysWithoutTtl(client, cacheName)).toEqual([])
    } finally {
      disconnect(prefixed)
    }
  })

  it('leaves no key without a TTL behind after clearRegion and clear', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const forever = { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }
    await handle.setMany(
      Array.from({ length: 600 }, (_, index) => ({
        key: `f${index}`,
        entry: entry(index, forever),
      })),
      'region',
    )
    await handle.set('forever', undefined, entry(1, forever))
    expect((await keysWithoutTtl(client, cacheName)).length).toBeGreaterThan(600)
    await handle.clearRegion('region')
    const left = await keysWithoutTtl(client, cacheName)
    expect(left.some((key) => key.includes(':r6:region'))).toBe(false)
    expect(left.filter((key) => key.includes(':_:forever'))).toHaveLength(1)
    await handle.clear()
    expect(await keysWithoutTtl(client, cacheName)).toEqual([])
  })

  it('rejects bytes that are not a record with E_SERIALIZATION, and a write replaces them', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const layout = { prefix: 'cacheplane', cacheName }
    await client.set(entryKeyOf(layout, 'garbage', undefined), 'not a record at all, no')
    await client.hSet(entryKeyOf(layout, 'hash', undefined), 'field', 'value')
    for (const key of ['garbage', 'hash']) {
      const error = await handle.get(key, undefined).catch((caught: unknown) => caught)
      expect(CacheplaneError.hasCode(error, 'E_SERIALIZATION')).toBe(true)
    }
    expect(await handle.set('garbage', undefined, entry('fixed'))).toBe(1)
    expect((await handle.get('garbage', undefined))?.value).toBe('fixed')
  })

  it('rejects a record written by another serializer', async () => {
    const cacheName = uniqueCacheName()
    const writer = redisHandle({ client })
    writer.attach({ cacheName, serializer: jsonSerializer() })
    await writer.set('k', undefined, entry({ a: 1 }))
    const reader = redisHandle({ client })
    reader.attach({ cacheName, serializer: cborSerializer() })
    const error = await reader.get('k', undefined).catch((caught: unknown) => caught)
    expect(CacheplaneError.hasCode(error, 'E_SERIALIZATION')).toBe(true)
  })

  it('reloads its scripts after SCRIPT FLUSH', async () => {
    const { handle } = attachedHandle(client)
    await handle.set('k', undefined, entry('v'))
    await client.scriptFlush()
    expect((await handle.get('k', undefined))?.value).toBe('v')
    await client.scriptFlush()
    const [first, second] = await handle.getMany(['k', 'k'], undefined)
    expect([first?.value, second?.value]).toEqual(['v', 'v'])
  })
})

describe('redisHandle: options and attach', () => {
  it('validates options at construction', () => {
    const expectInvalid = (build: () => unknown, fragment: string) => {
      let caught: unknown
      try {
        build()
      } catch (error) {
        caught = error
      }
      expect(CacheplaneError.hasCode(caught, 'E_INVALID_OPTION')).toBe(true)
      expect((caught as Error).message).toContain(fragment)
    }
    expectInvalid(() => redisHandle(undefined as never), '"options"')
    expectInvalid(() => redisHandle({} as never), '"client"')
    expectInvalid(() => redisHandle({ client: 'redis://localhost' as never }), '"client"')
    expectInvalid(() => redisHandle({ client: client.createPool() as never }), '"client"')
    expectInvalid(() => redisHandle({ client, prefix: 'a{b}' }), '"prefix"')
    expectInvalid(() => redisHandle({ client, tombstoneTtl: -1 }), '"tombstoneTtl"')
    expectInvalid(
      () => redisHandle({ client, backplaneSource: 'yes' as never }),
      '"backplaneSource"',
    )
    expectInvalid(() => redisHandle({ client, url: 'x' } as never), '"url"')
  })

  it('declares its capabilities and is the backplane source by default', () => {
    const handle = redisHandle({ client })
    expect(handle.specificationVersion).toBe('v1')
    expect(handle.kind).toBe('redis')
    expect(handle.capabilities).toEqual({
      distributed: true,
      ttlPrecision: 1,
      cas: true,
      batch: true,
      tags: true,
      locks: true,
    })
    expect(handle.backplaneSource).toBe(true)
    expect(redisHandle({ client, backplaneSource: false }).backplaneSource).toBe(false)
  })

  it('leaves the client open and untouched on close', async () => {
    const { handle } = attachedHandle(client)
    await handle.set('k', undefined, entry(1))
    await handle.close()
    expect(client.isReady).toBe(true)
    expect(await client.ping()).toBe('PONG')
  })
})

describe('redisHandle: client settings', () => {
  it.each([
    ['RESP2', { RESP: 2 }],
    ['RESP3', { RESP: 3 }],
    ['a string type mapping for bulk strings', { commandOptions: { typeMapping: {} } }],
  ] as const)('works the same over a client with %s', async (_, options) => {
    const other = await connect(server, options)
    try {
      const { handle } = attachedHandle(other)
      await handle.setMany([{ key: 'a', entry: entry(new Uint8Array([0, 255])) }], 'r')
      expect(await handle.set('b', undefined, entry('b'))).toBe(1)
      const [a, b] = await Promise.all([handle.get('a', 'r'), handle.get('b', undefined)])
      expect(a?.value).toEqual(new Uint8Array([0, 255]))
      expect(b?.value).toBe('b')
      expect(await handle.compareAndSet('b', undefined, entry('c'), 1)).toBe(2)
      await handle.clear()
      expect(await handle.getMany(['a', 'b'], undefined)).toEqual([undefined, undefined])
    } finally {
      disconnect(other)
    }
  })

  it('works over a client proxy made by withTypeMapping', async () => {
    const mapped = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: String })
    const { handle } = attachedHandle(mapped)
    await handle.set('k', undefined, entry(new Uint8Array([1, 2, 255])))
    expect((await handle.get('k', undefined))?.value).toEqual(new Uint8Array([1, 2, 255]))
  })
})
