import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { type Cache, createCache, decodeFrame, encodeFrame } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisBackplane, redisHandle } from '../src/index.js'
import {
  attachedHandle,
  type Client,
  connect,
  disconnect,
  entry,
  uniqueCacheName,
} from './support.js'

/** The version of the one `changed` key a frame carries. */
function versionIn(message: Buffer): number | undefined {
  const operation = decodeFrame(message).operations[0]
  return operation?.kind === 'changed' ? operation.versions[0] : undefined
}

let server: RedisTestServer
const clients: Client[] = []
const caches: Cache[] = []

beforeAll(async () => {
  server = await startRedis()
})

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()))
  for (const client of clients.splice(0)) disconnect(client)
})

afterAll(async () => {
  await server?.stop()
})

async function client(): Promise<Client> {
  const connected = await connect(server)
  clients.push(connected)
  return connected
}

describe('node-redis: a set published from the write script', () => {
  it('reaches the reader in one message whose version is the one stored (wide versions too)', async () => {
    const writerClient = await client()
    const listener = await client()
    const { handle } = attachedHandle(writerClient)
    const channel = `${uniqueCacheName()}:publish`
    const messages: Buffer[] = []
    await listener.subscribe(
      channel,
      (message: Buffer) => {
        messages.push(message)
      },
      true,
    )
    for (const version of [300, 70_000, 2 ** 33 + 5]) {
      const prefix = encodeFrame({
        senderId: 'w',
        epoch: 1,
        sequence: 1,
        cacheName: 'c',
        operations: [{ kind: 'changed', region: undefined, keys: ['k'], versions: [1] }],
      }).subarray(0, -1)
      const stored = await handle.setAndPublish('k', undefined, entry('v', { version }), {
        channel,
        frame: prefix,
      })
      expect(stored).toBe(version)
    }
    await pollUntil(() => messages.length === 3, { timeout: 5_000, description: '3 messages' })
    expect(messages.map((message) => versionIn(message))).toEqual([300, 70_000, 2 ** 33 + 5])
  })

  it('a cache over one client publishes lone sets with their writes; the reader sees each, no gap', async () => {
    const name = uniqueCacheName()
    const make = async () => {
      const shared = await client()
      const cache = createCache({
        name,
        handles: [memoryHandle(), redisHandle({ client: shared })],
        backplane: redisBackplane({ client: shared }),
        defaults: { ttl: '1m' },
      })
      caches.push(cache)
      await cache.ready()
      return cache
    }
    const writer = await make()
    const reader = await make()
    await writer.set('warm', 0)
    await pollUntil(() => reader.stats().backplane?.knownSenders === 1, {
      timeout: 5_000,
      description: 'the reader to know the writer',
    })
    const gapsBefore = reader.stats().backplane!.gapsDetected
    for (let round = 1; round <= 30; round++) {
      await reader.get('hot')
      await writer.set('hot', round)
      await pollUntil(() => reader.peek('hot') !== round - 1 && true, {
        timeout: 5_000,
        description: `the reader to drop round ${round - 1}`,
      })
      expect(await reader.get('hot')).toBe(round)
    }
    expect(writer.stats().backplane!.framesPublishedWithWrites).toBeGreaterThanOrEqual(30)
    expect(reader.stats().backplane!.gapsDetected).toBe(gapsBefore)
    const [one, two] = [await client(), await client()]
    expect(redisBackplane({ client: one }).publishesWith?.(redisHandle({ client: one }))).toBe(true)
    expect(redisBackplane({ client: one }).publishesWith?.(redisHandle({ client: two }))).toBe(
      false,
    )
    expect(
      redisBackplane({ client: one, mode: 'sharded' }).publishesWith?.(
        redisHandle({ client: one }),
      ),
    ).toBe(false)
  })
})
