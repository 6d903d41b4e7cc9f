import { type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { CacheplaneError, cborSerializer, jsonSerializer } from '@cacheplane/core'
import { entryKeyOf } from '@cacheplane/redis-shared'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisHandle } from '../src/index.js'
import { attachedHandle, connect, entry, uniqueCacheName } from './support.js'

let server: RedisTestServer
let client: Redis

beforeAll(async () => {
  server = await startRedis()
  client = connect(server)
})

afterAll(async () => {
  client?.disconnect()
  await server?.stop()
})

describe('redisHandle: operations', () => {
  it('returns undefined for a missing key and every field of a stored entry', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.get('missing', undefined)).toBeUndefined()
    const stored = entry(
      { name: 'widget', price: 12.5, at: new Date(0) },
      { tags: ['brand:acme', 'ünïcode'] },
    )
    const version = await handle.set('p:1', undefined, stored)
    expect(version).toBe(1)
    expect(await handle.get('p:1', undefined)).toEqual({ ...stored, version: 1 })
  })

  it('add stores only over a missing or logically expired entry', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.add('k', undefined, entry('first'))).toBe(1)
    expect(await handle.add('k', undefined, entry('second'))).toBeUndefined()
    expect((await handle.get('k', undefined))?.value).toBe('first')
    expect(await handle.expire('k', undefined, Date.now())).toBe(true)
    expect(await handle.add('k', undefined, entry('third'))).toBe(2)
    expect((await handle.get('k', undefined))?.value).toBe('third')
  })

  it('expire keeps the value until staleUntil and the physical TTL as it was', async () => {
    const { handle, cacheName } = attachedHandle(client)
    await handle.set('k', 'r', entry('v'))
    const key = entryKeyOf({ prefix: 'cacheplane', cacheName }, 'k', 'r')
    const before = await client.pttl(key)
    const now = Date.now()
    expect(await handle.expire('k', 'r', now)).toBe(true)
    const expired = await handle.get('k', 'r')
    expect(expired?.expiresAt).toBe(now)
    expect(expired?.value).toBe('v')
    expect(await client.pttl(key)).toBeLessThanOrEqual(before)
    expect(await client.pttl(key)).toBeGreaterThan(before - 5_000)
    expect(await handle.expire('missing', 'r', now)).toBe(false)
  })

  it('delete says whether there was an entry', async () => {
    const { handle } = attachedHandle(client)
    await handle.set('k', undefined, entry(1))
    expect(await handle.delete('k', undefined)).toBe(true)
    expect(await handle.get('k', undefined)).toBeUndefined()
    expect(await handle.delete('k', undefined)).toBe(false)
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

  it('renews a fresh sliding entry on get, in the record and in the TTL', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const start = Date.now()
    await handle.set(
      'slide',
      undefined,
      entry('v', { expiresAt: start + 1_000, staleUntil: start + 3_000, sliding: 1_000 }),
    )
    const key = entryKeyOf({ prefix: 'cacheplane', cacheName }, 'slide', undefined)
    await client.pexpire(key, 2_000)
    const read = await handle.get('slide', undefined)
    const after = Date.now()
    expect(read?.expiresAt).toBeGreaterThanOrEqual(start + 1_000)
    expect(read!.staleUntil - read!.expiresAt).toBe(2_000)
    const ttl = await client.pttl(key)
    expect(ttl).toBeGreaterThan(2_500)
    expect(ttl).toBeLessThanOrEqual(read!.staleUntil - start)
    expect(read!.expiresAt).toBeLessThanOrEqual(after + 1_000)
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
    const ttl = await client.pttl(entryKeyOf(layout, 'finite', undefined))
    expect(ttl).toBeGreaterThan(28_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
    expect(await client.pttl(entryKeyOf(layout, 'forever', undefined))).toBe(-1)
    const forever = await handle.get('forever', undefined)
    expect(forever?.expiresAt).toBe(Number.POSITIVE_INFINITY)
    expect(forever?.staleUntil).toBe(Number.POSITIVE_INFINITY)
  })

  it('drops an entry past staleUntil even if the key is still there', async () => {
    const { handle } = attachedHandle(client)
    const now = Date.now()
    // Written with a staleUntil already past: the key lives 1 ms, the check does not wait for it.
    await handle.set('old', undefined, entry('v', { expiresAt: now - 10, staleUntil: now - 5 }))
    expect(await handle.get('old', undefined)).toBeUndefined()
  })
})

describe('redisHandle: versions', () => {
  it('grows with each write and keeps growing across delete, clearRegion and clear', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.set('k', 'r', entry(1))).toBe(1)
    expect(await handle.set('k', 'r', entry(2))).toBe(2)
    await handle.delete('k', 'r')
    expect(await handle.set('k', 'r', entry(3))).toBe(3)
    await handle.clearRegion('r')
    expect(await handle.get('k', 'r')).toBeUndefined()
    expect(await handle.set('k', 'r', entry(4))).toBe(4)
    await handle.clear()
    expect(await handle.get('k', 'r')).toBeUndefined()
    expect(await handle.set('k', 'r', entry(5))).toBe(5)
    expect((await handle.get('k', 'r'))?.version).toBe(5)
  })

  it('stores a non-zero version as given', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.set('k', undefined, entry('v', { version: 42 }))).toBe(42)
    expect((await handle.get('k', undefined))?.version).toBe(42)
    expect(await handle.set('k', undefined, entry('w'))).toBe(43)
  })

  it('keeps a tombstone no longer than tombstoneTtl nor the entry would have lived', async () => {
    const { handle, cacheName } = attachedHandle(client, { tombstoneTtl: '10s' })
    const layout = { prefix: 'cacheplane', cacheName }
    await handle.set('long', undefined, entry(1, { staleUntil: Date.now() + 3_600_000 }))
    await handle.set('short', undefined, entry(1, { staleUntil: Date.now() + 2_000 }))
    await handle.deleteMany(['long', 'short'], undefined)
    const longTtl = await client.pttl(entryKeyOf(layout, 'long', undefined))
    const shortTtl = await client.pttl(entryKeyOf(layout, 'short', undefined))
    expect(longTtl).toBeGreaterThan(8_000)
    expect(longTtl).toBeLessThanOrEqual(10_000)
    expect(shortTtl).toBeGreaterThan(0)
    expect(shortTtl).toBeLessThanOrEqual(2_000)
  })

  it('without tombstones, a deleted key starts over', async () => {
    const { handle } = attachedHandle(client, { tombstoneTtl: 0 })
    await handle.set('k', undefined, entry(1))
    await handle.set('k', undefined, entry(2))
    await handle.delete('k', undefined)
    expect(await handle.set('k', undefined, entry(3))).toBe(1)
  })
})

describe('redisHandle: compareAndSet', () => {
  it('stores on the current version, 0 meaning absent, and fails on another', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.compareAndSet('k', undefined, entry('a'), 1)).toBeUndefined()
    expect(await handle.compareAndSet('k', undefined, entry('a'), 0)).toBe(1)
    expect(await handle.compareAndSet('k', undefined, entry('b'), 0)).toBeUndefined()
    expect(await handle.compareAndSet('k', undefined, entry('b'), 1)).toBe(2)
    expect(await handle.compareAndSet('k', undefined, entry('c'), 1)).toBeUndefined()
    await handle.delete('k', undefined)
    expect(await handle.compareAndSet('k', undefined, entry('d'), 0)).toBe(3)
  })

  it('lets exactly one of 50 concurrent writers win on the same version', async () => {
    const { handle } = attachedHandle(client)
    const base = await handle.set('counter', undefined, entry(0))
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        handle.compareAndSet('counter', undefined, entry(index + 1), base),
      ),
    )
    const winners = results.filter((version) => version !== undefined)
    expect(winners).toEqual([base + 1])
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

describe('redisHandle: decoding', () => {
  it('rejects bytes that are not a record with E_SERIALIZATION', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const layout = { prefix: 'cacheplane', cacheName }
    await client.set(entryKeyOf(layout, 'garbage', undefined), 'not a record at all, no')
    await client.hset(entryKeyOf(layout, 'hash', undefined), 'field', 'value')
    for (const key of ['garbage', 'hash']) {
      const error = await handle.get(key, undefined).catch((caught: unknown) => caught)
      expect(CacheplaneError.hasCode(error, 'E_SERIALIZATION')).toBe(true)
    }
    // A write replaces what was there.
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
    expect((error as Error).message).toContain('"json"')
  })

  it('never lets a stored __proto__ reach a prototype', async () => {
    const { handle } = attachedHandle(client)
    const value = JSON.parse('{"__proto__": {"polluted": true}, "plain": 1}')
    await handle.set('proto', undefined, entry(value))
    const read = (await handle.get('proto', undefined))?.value as Record<string, unknown>
    expect(read.plain).toBe(1)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype)
  })

  it('reloads its scripts after SCRIPT FLUSH', async () => {
    const { handle } = attachedHandle(client)
    await handle.set('k', undefined, entry('v'))
    await client.script('FLUSH')
    expect((await handle.get('k', undefined))?.value).toBe('v')
    const [first, second] = await handle.getMany(['k', 'k'], undefined)
    await client.script('FLUSH')
    expect([first?.value, second?.value]).toEqual(['v', 'v'])
    expect(
      await handle.setMany(
        [
          { key: 'x', entry: entry(1) },
          { key: 'y', entry: entry(2) },
        ],
        undefined,
      ),
    ).toEqual([1, 1])
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
    expectInvalid(() => redisHandle({} as never), '"client"')
    expectInvalid(() => redisHandle({ client: 'redis://localhost' as never }), '"client"')
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

  it('accepts the same cache name again, rejects another, and leaves the client open on close', async () => {
    const { handle, cacheName } = attachedHandle(client)
    handle.attach({ cacheName, serializer: cborSerializer() })
    expect(() => handle.attach({ cacheName: 'other', serializer: cborSerializer() })).toThrow(
      /already attached/,
    )
    await handle.close()
    await handle.close()
    expect(client.status).toBe('ready')
    expect(await client.ping()).toBe('PONG')
  })

  it('rejects keys with lone surrogates, which UTF-8 could not keep apart', async () => {
    const { handle } = attachedHandle(client)
    const error = await handle.get('\uD800', undefined).catch((caught: unknown) => caught)
    expect(CacheplaneError.hasCode(error, 'E_INVALID_KEY')).toBe(true)
  })
})

describe('redisHandle: client settings', () => {
  it.each([
    ['RESP2', { protocol: 2 }],
    ['auto-pipelining', { enableAutoPipelining: true }],
    ['resp3 reply mapping', { replyMapping: 'resp3' }],
  ] as const)('works the same over a client with %s', async (_, options) => {
    const other = connect(server, options)
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
      other.disconnect()
    }
  })
})
