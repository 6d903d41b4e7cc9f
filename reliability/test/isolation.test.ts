// Two caches (two names) and two tenants (two key and channel prefixes) on one
// Redis: each hears only its own frames and reads only its own values.
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { type Cache, decodeFrame } from '@cacheplane/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { availableAdapters } from '../src/adapters.mjs'
import { instances } from './support/instances.js'

const adapters = await availableAdapters()
let server: RedisTestServer
let fleet: ReturnType<typeof instances>
let listener: Redis

beforeAll(async () => {
  server = await startRedis({ strategy: 'process' })
  fleet = instances(server)
  listener = new Redis(server.url)
  listener.on('error', () => {})
})

afterAll(async () => {
  await fleet?.closeAll()
  listener?.disconnect()
  await server?.stop()
})

/** Who is who: same cache name across tenants, same prefixes across the two names. */
const scopes = [
  { id: 'name-a', name: 'iso-a', prefix: undefined },
  { id: 'name-b', name: 'iso-b', prefix: undefined },
  { id: 'tenant-1', name: 'iso-a', prefix: 'tenant1' },
  { id: 'tenant-2', name: 'iso-a', prefix: 'tenant2' },
] as const

const keys = Array.from({ length: 10 }, (_, index) => `key:${index}`)

it('no frame and no value crosses between cache names or tenants', async () => {
  // Every frame on every channel, to count who published what where.
  const frames = new Map<
    string,
    { senders: Set<string>; cacheNames: Set<string>; changed: number }
  >()
  await listener.psubscribe('*')
  listener.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, payload: Buffer) => {
    const frame = decodeFrame(payload)
    const seen = frames.get(channel.toString()) ?? {
      senders: new Set(),
      cacheNames: new Set(),
      changed: 0,
    }
    seen.senders.add(frame.senderId)
    seen.cacheNames.add(frame.cacheName)
    for (const operation of frame.operations) {
      if (operation.kind === 'changed') seen.changed += operation.keys.length
    }
    frames.set(channel.toString(), seen)
  })

  const pairs: { scope: (typeof scopes)[number]; writer: Cache<string>; reader: Cache<string> }[] =
    []
  for (const [index, scope] of scopes.entries()) {
    const options = {
      name: scope.name,
      handlePrefix: scope.prefix,
      backplaneOptions: scope.prefix === undefined ? {} : { channelPrefix: scope.prefix },
    }
    const adapter = (offset: number) => adapters[(index + offset) % adapters.length]!
    pairs.push({
      scope,
      writer: await fleet.create<string>(adapter(0), options),
      reader: await fleet.create<string>(adapter(1), options),
    })
  }
  await Promise.all(pairs.flatMap(({ writer, reader }) => [writer.ready(), reader.ready()]))

  // Readers first hold an old value in L1, so that a stray invalidation would show.
  for (const { scope, writer, reader } of pairs) {
    for (const key of keys) await writer.set(key, `${scope.id}:old`)
    for (const key of keys) expect(await reader.get(key)).toBe(`${scope.id}:old`)
  }
  for (const { scope, writer } of pairs) {
    for (const key of keys) await writer.set(key, `${scope.id}:new`)
  }
  for (const { scope, reader } of pairs) {
    await pollUntil(
      async () => {
        for (const key of keys) if ((await reader.get(key)) !== `${scope.id}:new`) return false
        return true
      },
      { timeout: 5_000, description: `${scope.id}'s reader to see its own new values` },
    )
  }

  for (const { scope, writer, reader } of pairs) {
    const channel = `${scope.prefix ?? 'cacheplane'}:${scope.name}:v1`
    const seen = frames.get(channel)
    expect(seen?.cacheNames, channel).toEqual(new Set([scope.name]))
    // The writer's frames, and perhaps the reader's heartbeats: nobody else's.
    expect(seen?.senders.has(writer.instanceId), channel).toBe(true)
    const strangers = [...(seen?.senders ?? [])].filter(
      (sender) => sender !== writer.instanceId && sender !== reader.instanceId,
    )
    expect(strangers, `${channel}: frames from another scope's instances`).toEqual([])
    expect(seen?.changed, channel).toBe(2 * keys.length)
    const stats = reader.stats().backplane!
    // Each key changed twice, by this scope's writer only.
    expect(stats.invalidationsReceived, `${scope.id} invalidations received`).toBe(2 * keys.length)
    expect(stats.decodeErrors).toBe(0)
    expect(stats.knownSenders).toBe(1)
  }
  expect(frames.size, 'one channel per scope').toBe(scopes.length)

  // Stored keys: ten per scope, under its own prefix and name.
  const stored = new Map<string, number>()
  let cursor = '0'
  do {
    const [next, found] = (await server.command(['SCAN', cursor, 'COUNT', 1000])) as [
      Buffer,
      Buffer[],
    ]
    cursor = next.toString()
    for (const key of found.map(String)) {
      if (key.includes(':meta')) continue
      const scope = `${key.split(':')[0]}:${/\{([^.}]+)\./.exec(key)?.[1]}`
      stored.set(scope, (stored.get(scope) ?? 0) + 1)
    }
  } while (cursor !== '0')
  expect(stored).toEqual(
    new Map([
      ['cacheplane:iso-a', keys.length],
      ['cacheplane:iso-b', keys.length],
      ['tenant1:iso-a', keys.length],
      ['tenant2:iso-a', keys.length],
    ]),
  )

  // A clear is one scope's business too.
  const [first, ...others] = pairs
  await first!.writer.clear()
  await pollUntil(async () => (await first!.reader.get('key:0')) === undefined, {
    timeout: 5_000,
    description: 'the cleared scope to read nothing',
  })
  for (const { scope, reader } of others) {
    expect(reader.peek('key:0'), `${scope.id} keeps its L1`).toBe(`${scope.id}:new`)
    expect(await reader.get('key:1')).toBe(`${scope.id}:new`)
  }
})
