import { type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { BUCKET_COUNT, fnv1a32 } from '@cacheplane/redis-shared'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachedHandle, connect, entry, keysWithoutTtl, keysWithTtl } from './support.js'

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

describe('key layout', () => {
  it('names keys <prefix>:{<cache>.<bucket>}:<region part>:<key>', async () => {
    const { handle, cacheName } = attachedHandle(client, { prefix: 'app' })
    await handle.set('p:1', undefined, entry(1))
    await handle.set('p:1', 'catalog', entry(2))
    await handle.set('p:1', 'ünï', entry(3))
    const plain = fnv1a32('p:1') % BUCKET_COUNT
    const catalog = fnv1a32('catalog') % BUCKET_COUNT
    const unicode = fnv1a32('ünï') % BUCKET_COUNT
    const keys = [...(await keysWithTtl(client)).keys()].filter((key) => key.includes(cacheName))
    expect(keys).toEqual(
      expect.arrayContaining([
        `app:{${cacheName}.${plain}}:_:p:1`,
        `app:{${cacheName}.${catalog}}:r7:catalog:p:1`,
        `app:{${cacheName}.${unicode}}:r5:ünï:p:1`,
        `app:{${cacheName}.${plain}}:meta`,
        `app:{${cacheName}.${catalog}}:meta:r7:catalog`,
      ]),
    )
  })

  it('never lets two (region, key) pairs share an entry', async () => {
    const { handle } = attachedHandle(client)
    const pairs: [string | undefined, string][] = [
      [undefined, 'a'],
      ['', 'a'],
      ['a', ''],
      [undefined, ''],
      ['', ''],
      ['a:b', 'c'],
      ['a', 'b:c'],
      [undefined, 'r1:a:b'],
      ['a', 'b'],
      [undefined, '_:x'],
      ['_', 'x'],
      ['r1:a', 'b'],
      [undefined, 'meta'],
      [undefined, '{x}'],
      ['{x}', ''],
      ['a}', 'b'],
      ['😀', 'k'],
      ['😀:k', ''],
    ]
    await Promise.all(pairs.map(([region, key], index) => handle.set(key, region, entry(index))))
    const read = await Promise.all(pairs.map(([region, key]) => handle.get(key, region)))
    expect(read.map((item) => item?.value)).toEqual(pairs.map((_, index) => index))
    await handle.clearRegion('a')
    const after = await Promise.all(pairs.map(([region, key]) => handle.get(key, region)))
    expect(after.map((item) => item?.value)).toEqual(
      pairs.map(([region], index) => (region === 'a' ? undefined : index)),
    )
  })

  it("works under the client's keyPrefix, down to the purge of entries without TTL", async () => {
    const prefixed = connect(server, { keyPrefix: 'tenant:' })
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
      prefixed.disconnect()
    }
  })

  it('round-trips keys and regions of 1024 characters', async () => {
    const { handle } = attachedHandle(client)
    const key = `${'k'.repeat(1023)}é`
    const region = 'ř'.repeat(1024)
    await handle.set(key, region, entry('long'))
    expect((await handle.get(key, region))?.value).toBe('long')
  })
})

describe('regions and clear', () => {
  it('clearRegion removes that region only', async () => {
    const { handle } = attachedHandle(client)
    await handle.set('k', 'one', entry('one'))
    await handle.set('k', 'two', entry('two'))
    await handle.set('k', undefined, entry('none'))
    await handle.clearRegion('one')
    expect(await handle.get('k', 'one')).toBeUndefined()
    expect((await handle.get('k', 'two'))?.value).toBe('two')
    expect((await handle.get('k', undefined))?.value).toBe('none')
    await handle.set('k', 'one', entry('again'))
    expect((await handle.get('k', 'one'))?.value).toBe('again')
  })

  it('clear removes every entry of this cache and none of another one', async () => {
    const { handle } = attachedHandle(client)
    const { handle: other } = attachedHandle(client)
    const keys = Array.from({ length: 300 }, (_, index) => `key-${index}`)
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key) })),
      undefined,
    )
    await handle.set('k', 'region', entry('r'))
    await other.setMany(
      keys.map((key) => ({ key, entry: entry(key) })),
      undefined,
    )
    await handle.clear()
    expect((await handle.getMany(keys, undefined)).every((item) => item === undefined)).toBe(true)
    expect(await handle.get('k', 'region')).toBeUndefined()
    const kept = await other.getMany(keys, undefined)
    expect(kept.map((item) => item?.value)).toEqual(keys)
  })

  it('leaves no key without a TTL behind after clearRegion', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const forever = { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }
    await handle.setMany(
      Array.from({ length: 1200 }, (_, index) => ({
        key: `f${index}`,
        entry: entry(index, forever),
      })),
      'region',
    )
    await handle.set('finite', 'region', entry(1))
    await handle.set('forever', 'other', entry(1, forever))
    await handle.set('forever', undefined, entry(1, forever))
    expect((await keysWithoutTtl(client, cacheName)).length).toBeGreaterThan(1200)
    await handle.clearRegion('region')
    const left = await keysWithoutTtl(client, cacheName)
    expect(left.some((key) => key.includes(':r6:region'))).toBe(false)
    expect(left.filter((key) => key.includes(':r5:other:'))).toHaveLength(1)
    await handle.clear()
    expect(await keysWithoutTtl(client, cacheName)).toEqual([])
    expect(await handle.get('forever', undefined)).toBeUndefined()
  })

  it('drops the pins of entries without TTL that are deleted or overwritten', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const forever = { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }
    await handle.set('a', 'region', entry(1, forever))
    await handle.set('b', undefined, entry(1, forever))
    await handle.set('c', undefined, entry(1))
    await handle.delete('a', 'region')
    await handle.set('b', undefined, entry(2))
    expect(await keysWithoutTtl(client, cacheName)).toEqual([])
    expect((await handle.get('b', undefined))?.value).toBe(2)
    expect((await handle.get('c', undefined))?.value).toBe(1)
  })

  it('keeps an entry rewritten without TTL after a clear', async () => {
    const { handle } = attachedHandle(client)
    const forever = { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }
    await handle.set('k', undefined, entry('old', forever))
    await handle.clear()
    await handle.set('k', undefined, entry('new', forever))
    await handle.clear()
    await handle.set('k', undefined, entry('newer', forever))
    expect((await handle.get('k', undefined))?.value).toBe('newer')
  })
})
