import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { CacheplaneError } from '@cacheplane/core'
import { entryKeyOf, HEADER_BYTES, lockKeyOf, slotOf, tagKeysOf } from '@cacheplane/redis-shared'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

async function invalid(promise: Promise<unknown>, code: string, fragment: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(CacheplaneError.hasCode(error, code as never), String(error)).toBe(true)
  expect((error as Error).message).toContain(fragment)
}

describe('redisHandle: stored formats 1 and 2', () => {
  it('writes format 1 without a tagVersion and format 2 with one, and reads both back', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const layout = { prefix: 'cacheplane', cacheName }
    const plain = entry('plain', { tags: ['t'] })
    const tagged = entry('tagged', { tags: ['t'], tagVersion: 7 })
    await handle.set('plain', undefined, plain)
    await handle.set('tagged', 'r', tagged)
    const plainBytes = await client.getBuffer(entryKeyOf(layout, 'plain', undefined))
    const taggedBytes = await client.getBuffer(entryKeyOf(layout, 'tagged', 'r'))
    expect(plainBytes?.[0]).toBe(1)
    expect(taggedBytes?.[0]).toBe(2)
    expect(taggedBytes?.readDoubleBE(HEADER_BYTES)).toBe(7)
    expect(await handle.get('plain', undefined)).toEqual({ ...plain, version: 1 })
    expect(await handle.get('tagged', 'r')).toEqual({ ...tagged, version: 1 })
    const [first, second] = await handle.getMany(['tagged', 'missing'], 'r')
    expect([first?.tagVersion, second]).toEqual([7, undefined])
  })

  it('runs every script over format 2 records: versions, add, CAS, expire, sliding, delete', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const key = entryKeyOf({ prefix: 'cacheplane', cacheName }, 'k', undefined)
    const tagged = (value: string, fields = {}) =>
      entry(value, { tags: ['t'], tagVersion: 3, ...fields })
    expect(await handle.set('k', undefined, tagged('a'))).toBe(1)
    expect(await handle.set('k', undefined, tagged('b'))).toBe(2)
    expect(await handle.add('k', undefined, tagged('c'))).toBeUndefined()
    expect(await handle.compareAndSet('k', undefined, tagged('c'), 2)).toBe(3)
    const now = Date.now()
    expect(await handle.expire('k', undefined, now)).toBe(true)
    expect(await handle.get('k', undefined)).toMatchObject({ expiresAt: now, tagVersion: 3 })
    const start = Date.now()
    await handle.set(
      'k',
      undefined,
      tagged('d', { expiresAt: start + 1_000, staleUntil: start + 3_000, sliding: 1_000 }),
    )
    await client.pexpire(key, 2_000)
    const renewed = await handle.get('k', undefined)
    expect(renewed?.tagVersion).toBe(3)
    expect(renewed!.staleUntil - renewed!.expiresAt).toBe(2_000)
    expect(await client.pttl(key)).toBeGreaterThan(2_500)
    expect(await handle.delete('k', undefined)).toBe(true)
    const tombstone = await client.getBuffer(key)
    expect([tombstone?.[0], tombstone?.[1], tombstone?.length]).toEqual([1, 1, 61])
    expect(await handle.set('k', undefined, tagged('e'))).toBe(5)
    expect(await handle.set('k', undefined, entry('untagged'))).toBe(6)
    expect((await client.getBuffer(key))?.[0]).toBe(1)
  })

  it('treats a record of an unknown format as foreign: get rejects it, a write replaces it', async () => {
    const { handle, cacheName } = attachedHandle(client)
    await handle.set('k', undefined, entry('v', { tagVersion: 2 }))
    const key = entryKeyOf({ prefix: 'cacheplane', cacheName }, 'k', undefined)
    await client.setrange(key, 0, '\x03')
    await invalid(handle.get('k', undefined), 'E_SERIALIZATION', 'format 3')
    expect(await handle.set('k', undefined, entry('w'))).toBe(1)
  })
})

describe('redisHandle: tags', () => {
  it('reports 0 for tags never invalidated and gives one new version to every tag invalidated', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.tagVersions(['a', 'b'])).toEqual([0, 0])
    expect(await handle.tagVersions([])).toEqual([])
    const first = await handle.invalidateTags(['a', 'b', 'a'])
    expect(first).toBe(1)
    expect(await handle.tagVersions(['b', 'c', 'a'])).toEqual([first, 0, first])
    const second = await handle.invalidateTags(['b'])
    expect(second).toBeGreaterThan(first)
    expect(await handle.tagVersions(['a', 'b'])).toEqual([first, second])
    // An empty invalidation still takes a version: every call returns one greater than before.
    expect(await handle.invalidateTags([])).toBeGreaterThan(second)
  })

  it('keeps the versions in two keys of one slot, without TTL, through clear and clearRegion', async () => {
    const { handle, cacheName } = attachedHandle(client, { prefix: 'app' })
    const keys = tagKeysOf({ prefix: 'app', cacheName })
    expect(keys.counter).toBe(`app:{${cacheName}.tags}:counter`)
    expect(slotOf(keys.counter)).toBe(slotOf(keys.versions))
    await handle.set('k', 'r', entry('v'))
    const version = await handle.invalidateTags(['x', 'y'])
    expect(await client.get(keys.counter)).toBe(String(version))
    expect(await client.hgetall(keys.versions)).toEqual({
      x: String(version),
      y: String(version),
    })
    await handle.clearRegion('r')
    await handle.clear()
    expect(await client.pttl(keys.counter)).toBe(-1)
    expect(await client.pttl(keys.versions)).toBe(-1)
    expect(await handle.tagVersions(['x', 'y'])).toEqual([version, version])
    expect(await handle.invalidateTags(['y'])).toBe(version + 1)
  })

  it('keeps caches apart, a cache named like the other cache tag keys included', async () => {
    const name = uniqueCacheName('tags')
    const { handle: one } = attachedHandle(client, {}, name)
    const { handle: other } = attachedHandle(client, {}, `${name}.tags`)
    await one.invalidateTags(['t'])
    expect(await other.tagVersions(['t'])).toEqual([0])
    expect(await other.invalidateTags(['t'])).toBe(1)
    expect(await one.tagVersions(['t'])).toEqual([1])
  })

  it('gives distinct versions to concurrent invalidations; a shared tag ends at the greatest', async () => {
    const { handle } = attachedHandle(client)
    const versions = await Promise.all(
      Array.from({ length: 30 }, (_, index) => handle.invalidateTags([`own-${index}`, 'shared'])),
    )
    expect(new Set(versions).size).toBe(30)
    const own = await handle.tagVersions(versions.map((_, index) => `own-${index}`))
    expect(own).toEqual(versions)
    expect(await handle.tagVersions(['shared'])).toEqual([Math.max(...versions)])
  })

  it('takes thousands of tags in one call and keeps look-alike tags apart', async () => {
    const { handle } = attachedHandle(client)
    const many = Array.from({ length: 5_000 }, (_, index) => `tag-${index}`)
    const version = await handle.invalidateTags(many)
    expect(await handle.tagVersions(many)).toEqual(many.map(() => version))
    const alike = ['é', 'e\u0301', '{a}', 'a', 'a:b', 'a:b ', '😀']
    await handle.invalidateTags(['é', '{a}', 'a:b'])
    const read = await handle.tagVersions(alike)
    expect(read).toEqual([version + 1, 0, version + 1, 0, version + 1, 0, 0])
  })

  it('rejects bad tags with E_INVALID_OPTION, sending nothing', async () => {
    const { handle, cacheName } = attachedHandle(client)
    await invalid(handle.invalidateTags('t' as never), 'E_INVALID_OPTION', 'Invalid tags')
    await invalid(handle.invalidateTags(['t', '']), 'E_INVALID_OPTION', 'tag at index 1')
    await invalid(handle.tagVersions(['\uD800']), 'E_INVALID_OPTION', 'lone surrogates')
    expect(await client.exists(tagKeysOf({ prefix: 'cacheplane', cacheName }).counter)).toBe(0)
  })
})

describe('redisHandle: tags and locks under a client keyPrefix', () => {
  it('puts the prefix in front of the tag and lock keys', async () => {
    const prefixed = connect(server, { keyPrefix: 'tenant:' })
    try {
      const { handle, cacheName } = attachedHandle(prefixed)
      const layout = { prefix: 'cacheplane', cacheName }
      const version = await handle.invalidateTags(['t'])
      expect(await handle.tagVersions(['t'])).toEqual([version])
      expect(await handle.acquireLock('k', 'r', 'a', 10_000)).toBe(true)
      expect(await client.get(`tenant:${tagKeysOf(layout).counter}`)).toBe(String(version))
      expect(await client.get(`tenant:${lockKeyOf(layout, 'k', 'r')}`)).toBe('a')
      expect(await handle.releaseLock('k', 'r', 'a')).toBe(true)
    } finally {
      prefixed.disconnect()
    }
  })
})

describe('redisHandle: locks', () => {
  it('gives a free lock to one owner, renews it for that owner only, and lets only it release', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.acquireLock('k', undefined, 'a', 10_000)).toBe(true)
    expect(await handle.acquireLock('k', undefined, 'b', 10_000)).toBe(false)
    expect(await handle.acquireLock('k', undefined, 'a', 10_000)).toBe(true)
    expect(await handle.releaseLock('k', undefined, 'b')).toBe(false)
    expect(await handle.releaseLock('k', undefined, 'a')).toBe(true)
    expect(await handle.releaseLock('k', undefined, 'a')).toBe(false)
    expect(await handle.acquireLock('k', undefined, 'b', 10_000)).toBe(true)
  })

  it('holds the lease as the lock key TTL, renewed to leaseMs from now', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const key = lockKeyOf({ prefix: 'cacheplane', cacheName }, 'k', 'r')
    await handle.acquireLock('k', 'r', 'a', 1_000)
    expect(await client.pttl(key)).toBeLessThanOrEqual(1_000)
    await handle.acquireLock('k', 'r', 'a', 60_000)
    expect(await client.pttl(key)).toBeGreaterThan(50_000)
    expect(await client.get(key)).toBe('a')
  })

  it('frees a lock whose lease ran out', async () => {
    const { handle } = attachedHandle(client)
    expect(await handle.acquireLock('k', undefined, 'a', 50)).toBe(true)
    await pollUntil(() => handle.acquireLock('k', undefined, 'b', 10_000), {
      timeout: 2_000,
      description: 'the lock to be free once its lease ran out',
    })
    expect(await handle.releaseLock('k', undefined, 'a')).toBe(false)
  })

  it('lets exactly one of 20 concurrent owners take a free lock', async () => {
    const { handle } = attachedHandle(client)
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        handle.acquireLock('k', 'r', `owner-${index}`, 10_000),
      ),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('keeps a lock in its entry slot, apart from the entry, its tombstone and clears', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const layout = { prefix: 'cacheplane', cacheName }
    await handle.set('k', 'r', entry('v'))
    expect(await handle.acquireLock('k', 'r', 'a', 10_000)).toBe(true)
    expect(slotOf(lockKeyOf(layout, 'k', 'r'))).toBe(slotOf(entryKeyOf(layout, 'k', 'r')))
    expect(await handle.get('k', 'r')).toMatchObject({ value: 'v', version: 1 })
    expect(await handle.delete('k', 'r')).toBe(true)
    await handle.clearRegion('r')
    await handle.clear()
    expect(await handle.acquireLock('k', 'r', 'b', 10_000)).toBe(false)
    expect(await handle.set('k', 'r', entry('w'))).toBe(2)
    expect(await handle.releaseLock('k', 'r', 'a')).toBe(true)
    expect((await handle.get('k', 'r'))?.value).toBe('w')
  })

  it('keeps the locks of (region, key) pairs and of caches apart', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const { handle: other } = attachedHandle(client)
    const pairs: [string | undefined, string][] = [
      [undefined, 'a'],
      ['', 'a'],
      ['a', ''],
      ['a:b', 'c'],
      ['a', 'b:c'],
      [undefined, 'lock:_:a'],
      [undefined, 'r1:a:b'],
    ]
    for (const [region, key] of pairs) {
      expect(await handle.acquireLock(key, region, `${region}/${key}`, 10_000)).toBe(true)
      expect(await other.acquireLock(key, region, 'other', 10_000)).toBe(true)
    }
    await handle.set('a', undefined, entry('entry'))
    expect((await handle.get('a', undefined))?.value).toBe('entry')
    const layout = { prefix: 'cacheplane', cacheName }
    for (const [region, key] of pairs) {
      expect(await client.get(lockKeyOf(layout, key, region))).toBe(`${region}/${key}`)
    }
  })

  it('rejects a bad owner or lease with E_INVALID_OPTION and a bad key with E_INVALID_KEY', async () => {
    const { handle } = attachedHandle(client)
    await invalid(handle.acquireLock('k', undefined, '', 100), 'E_INVALID_OPTION', 'owner')
    await invalid(handle.acquireLock('k', undefined, 'a', 0), 'E_INVALID_OPTION', 'leaseMs')
    await invalid(handle.acquireLock('k', undefined, 'a', 1.5), 'E_INVALID_OPTION', 'leaseMs')
    await invalid(handle.releaseLock('k', undefined, 3 as never), 'E_INVALID_OPTION', 'owner')
    await invalid(handle.acquireLock('\uD800', undefined, 'a', 100), 'E_INVALID_KEY', 'key')
    await invalid(handle.releaseLock('k', 5 as never, 'a'), 'E_INVALID_KEY', 'region')
  })
})
