import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { type Cache, createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisBackplane, redisHandle } from '../src/index.js'
import { type Client, connect, disconnect, uniqueCacheName } from './support.js'

let server: RedisTestServer
let client: Client
let caches: Cache<string>[] = []

beforeAll(async () => {
  // A process of our own, even when REDIS_URL is set: these tests kill, pause and restart it.
  server = await startRedis({ strategy: 'process' })
  client = await connect(server)
})

afterEach(async () => {
  await Promise.all(caches.map((cache) => cache.close()))
  caches = []
})

afterAll(async () => {
  disconnect(client)
  await server?.stop()
})

/** Two caches of one name on the shared client, both subscribed. */
async function twoCaches(): Promise<[Cache<string>, Cache<string>]> {
  const name = uniqueCacheName('faults')
  caches = [0, 1].map(() =>
    createCache<string>({
      name,
      handles: [memoryHandle(), redisHandle({ client })],
      backplane: redisBackplane({ client }),
      backplaneOptions: { heartbeatInterval: 200, heartbeatTimeout: 1_000 },
    }),
  )
  await Promise.all(caches.map((cache) => cache.ready()))
  return caches as [Cache<string>, Cache<string>]
}

const bothUp = () =>
  pollUntil(() => caches.every((cache) => cache.stats().backplane?.state === 'up'), {
    timeout: 10_000,
    description: 'both backplanes up',
  })

/** Writes on `writer` until `reader` serves the value: convergence without a fixed wait. */
async function converge(writer: Cache<string>, reader: Cache<string>, value: string) {
  await pollUntil(
    async () => {
      await writer.set('k', value).catch(() => {})
      return (await reader.get('k').catch(() => undefined)) === value
    },
    { timeout: 10_000, interval: 50, description: `the reader to serve "${value}"` },
  )
}

describe('caches on node-redis under faults', () => {
  it('recover after the subscriber connections are killed', async () => {
    const [writer, reader] = await twoCaches()
    await writer.set('k', 'before')
    expect(await reader.get('k')).toBe('before')
    expect(await server.killClients('pubsub')).toBe(2)
    await bothUp()
    await writer.set('k', 'after')
    await pollUntil(async () => (await reader.get('k')) === 'after', {
      timeout: 5_000,
      description: 'the write after the kill to reach the reader',
    })
  })

  it('converge after the server is killed and restarted', async () => {
    const [writer, reader] = await twoCaches()
    await writer.set('k', 'before')
    expect(await reader.get('k')).toBe('before')
    await server.kill()
    await pollUntil(() => caches.every((cache) => cache.stats().backplane?.state === 'down'), {
      timeout: 5_000,
      description: 'both backplanes down',
    })
    await server.restart()
    await bothUp()
    await converge(writer, reader, 'after restart')
  })

  it('converge after the server is paused and resumed', async () => {
    const [writer, reader] = await twoCaches()
    await writer.set('k', 'before')
    expect(await reader.get('k')).toBe('before')
    await server.pause()
    // Sent while Redis does not answer: node-redis keeps it until the server does.
    const during = writer.set('k', 'during pause')
    await server.resume()
    await during
    await pollUntil(async () => (await reader.get('k')) === 'during pause', {
      timeout: 5_000,
      description: 'the write made during the pause to reach the reader',
    })
    await converge(reader, writer, 'after pause')
  })
})
