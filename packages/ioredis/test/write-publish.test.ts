import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { type Cache, createCache, decodeFrame, encodeFrame } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisBackplane, redisHandle } from '../src/index.js'
import { attachedHandle, connect, entry, uniqueCacheName } from './support.js'

/** The version of the one `changed` key a frame carries. */
function versionIn(message: Buffer): number | undefined {
  const operation = decodeFrame(message).operations[0]
  return operation?.kind === 'changed' ? operation.versions[0] : undefined
}

let server: RedisTestServer
let client: Redis
let subscriber: Redis
const caches: Cache[] = []
const clients: Redis[] = []

beforeAll(async () => {
  server = await startRedis()
  client = connect(server)
  subscriber = connect(server)
})

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()))
  for (const other of clients.splice(0)) other.disconnect()
})

afterAll(async () => {
  client?.disconnect()
  subscriber?.disconnect()
  await server?.stop()
})

/** The CBOR head of an unsigned integer in its shortest form (PROTOCOL.md). */
function cborUnsigned(value: number): Buffer {
  if (value < 24) return Buffer.from([value])
  if (value < 256) return Buffer.from([24, value])
  if (value < 65_536) return Buffer.from([25, value >> 8, value & 0xff])
  const bytes = Buffer.alloc(value < 2 ** 32 ? 5 : 9)
  if (value < 2 ** 32) {
    bytes[0] = 26
    bytes.writeUInt32BE(value, 1)
  } else {
    bytes[0] = 27
    bytes.writeUInt32BE(Math.floor(value / 2 ** 32), 1)
    bytes.writeUInt32BE(value % 2 ** 32, 5)
  }
  return bytes
}

/** Subscribes `subscriber` to a fresh channel and keeps what arrives there. */
async function listen(channel: string): Promise<Buffer[]> {
  const messages: Buffer[] = []
  subscriber.on('messageBuffer', (from: Buffer, message: Buffer) => {
    if (from.toString() === channel) messages.push(message)
  })
  await subscriber.subscribe(channel)
  return messages
}

/** A cache whose Redis handle and backplane share `on`, as the README sets them up. */
async function cacheOn(on: Redis, name: string): Promise<Cache> {
  const cache = createCache({
    name,
    handles: [memoryHandle(), redisHandle({ client: on })],
    backplane: redisBackplane({ client: on }),
    defaults: { ttl: '1m' },
  })
  caches.push(cache)
  await cache.ready()
  return cache
}

describe('redisHandle.setAndPublish', () => {
  it('publishes the frame followed by the version stored, in CBOR shortest form, at every width', async () => {
    const { handle } = attachedHandle(client)
    const channel = `${uniqueCacheName()}:publish`
    const messages = await listen(channel)
    const versions = [1, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3]
    const sent: Buffer[] = []
    for (const [index, version] of versions.entries()) {
      const frame = encodeFrame({
        senderId: 'writer',
        epoch: 7,
        sequence: index + 1,
        cacheName: 'products',
        operations: [{ kind: 'changed', region: 'r', keys: [`k${index}`], versions: [1] }],
      })
      const prefix = frame.subarray(0, frame.length - 1)
      const stored = await handle.setAndPublish(`k${index}`, 'r', entry('v', { version }), {
        channel,
        frame: prefix,
      })
      expect(stored).toBe(version)
      expect((await handle.get(`k${index}`, 'r'))?.version).toBe(version)
      sent.push(Buffer.concat([prefix, cborUnsigned(version)]))
    }
    await pollUntil(() => messages.length === versions.length, {
      timeout: 5_000,
      description: `${versions.length} messages`,
    })
    expect(messages).toEqual(sent)
    expect(messages.map((message) => decodeFrame(message).operations[0])).toEqual(
      versions.map((version, index) => ({
        kind: 'changed',
        region: 'r',
        keys: [`k${index}`],
        versions: [version],
      })),
    )
  })

  it('assigns versions as set does (stored + 1) and publishes only after the value is readable', async () => {
    const { handle, cacheName } = attachedHandle(client)
    const reader = connect(server)
    clients.push(reader)
    const { handle: readHandle } = attachedHandle(reader, {}, cacheName)
    const channel = `${uniqueCacheName()}:publish`
    const seenAtMessage: (number | undefined)[] = []
    subscriber.on('messageBuffer', (from: Buffer, message: Buffer) => {
      if (from.toString() !== channel) return
      const version = versionIn(message)
      // Read on another connection as soon as the message is in: the write must be there.
      void readHandle.get('k', undefined).then((found) => {
        seenAtMessage.push(
          found === undefined || version === undefined ? undefined : found.version - version,
        )
      })
    })
    await subscriber.subscribe(channel)
    const prefix = encodeFrame({
      senderId: 'writer',
      epoch: 1,
      sequence: 1,
      cacheName: 'products',
      operations: [{ kind: 'changed', region: undefined, keys: ['k'], versions: [1] }],
    }).subarray(0, -1)
    for (let round = 1; round <= 20; round++) {
      expect(
        await handle.setAndPublish('k', undefined, entry(round), { channel, frame: prefix }),
      ).toBe(round)
    }
    await pollUntil(() => seenAtMessage.length === 20, { timeout: 5_000, description: '20 reads' })
    // Each read saw the version its message announced, or a later one; never an older value.
    expect(seenAtMessage.every((difference) => difference !== undefined && difference >= 0)).toBe(
      true,
    )
  })
})

describe('a cache whose handle and backplane share a client', () => {
  it('publishes a lone set with its write, and the frames of every kind arrive in sequence', async () => {
    const name = uniqueCacheName()
    const writerClient = connect(server)
    const readerClient = connect(server)
    clients.push(writerClient, readerClient)
    const writer = await cacheOn(writerClient, name)
    const reader = await cacheOn(readerClient, name)
    // A first frame so that the reader knows the writer from its sequence number 1 on.
    await writer.set('warm', 0)
    await pollUntil(() => reader.stats().backplane?.knownSenders === 1, {
      timeout: 5_000,
      description: 'the reader to know the writer',
    })
    const gapsBefore = reader.stats().backplane!.gapsDetected

    // Sequential sets: each one's frame goes out with its write, and the reader drops its copy.
    for (let round = 1; round <= 50; round++) {
      await reader.get('hot')
      await writer.set('hot', round)
      await pollUntil(() => reader.peek('hot') !== round - 1 && true, {
        timeout: 5_000,
        description: `the reader to drop round ${round - 1}`,
      })
      expect(await reader.get('hot')).toBe(round)
    }
    const afterSets = writer.stats().backplane!
    expect(afterSets.framesPublishedWithWrites).toBeGreaterThanOrEqual(50)

    // Concurrent sets, deletes and a batch: some go out with writes, some in batched frames.
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        index % 5 === 4 ? writer.delete(`k${index % 20}`) : writer.set(`k${index % 20}`, index),
      ),
    )
    await writer.set('last', 'done')
    await pollUntil(async () => (await reader.get('last')) === 'done', {
      timeout: 5_000,
      description: 'the last write to reach the reader',
    })
    // What Redis holds, read by a cache with no L1: the reader's L1 must agree with it.
    const direct = createCache({ name, handles: [redisHandle({ client })] })
    caches.push(direct)
    for (let index = 0; index < 20; index++) {
      const stored = await direct.get(`k${index}`)
      expect(await reader.get(`k${index}`)).toBe(stored)
    }
    const stats = reader.stats().backplane!
    expect(stats.gapsDetected).toBe(gapsBefore)
    expect(stats.decodeErrors).toBe(0)
    expect(writer.stats().backplane!.framesPublishedWithWrites).toBeGreaterThan(
      afterSets.framesPublishedWithWrites,
    )
  })

  it('does not publish with writes when the backplane is on another client or in sharded mode', async () => {
    const other = connect(server)
    clients.push(other)
    const handle = redisHandle({ client })
    expect(redisBackplane({ client }).publishesWith?.(handle)).toBe(true)
    expect(redisBackplane({ client: other }).publishesWith?.(handle)).toBe(false)
    expect(redisBackplane({ client, mode: 'sharded' }).publishesWith?.(handle)).toBe(false)
    expect(redisBackplane({ client }).publishesWith?.(memoryHandle())).toBe(false)

    const name = uniqueCacheName()
    const split = createCache({
      name,
      handles: [memoryHandle(), redisHandle({ client })],
      backplane: redisBackplane({ client: other }),
    })
    caches.push(split)
    await split.ready()
    await split.set('k', 1)
    expect(split.stats().backplane!.framesPublishedWithWrites).toBe(0)
    await pollUntil(() => split.stats().backplane!.invalidationsPublished === 1, {
      timeout: 5_000,
      description: 'the set to be published by the backplane',
    })
  })
})
