import { createServer } from 'node:net'
import { type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { CacheplaneError } from '@cacheplane/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachedHandle, connect, entry } from './support.js'

let server: RedisTestServer

beforeAll(async () => {
  // A process of our own, even when REDIS_URL is set: these tests kill, pause and restart it.
  server = await startRedis({ strategy: 'process' })
})

afterAll(async () => {
  await server?.stop()
})

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}

async function failure(promise: Promise<unknown>): Promise<CacheplaneError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!CacheplaneError.isInstance(error))
    throw new Error(`expected a CacheplaneError, got ${error}`)
  return error
}

describe('Redis failures', () => {
  it('become E_L2_UNAVAILABLE with the cause when the server is unreachable', async () => {
    const client = new Redis({
      port: await closedPort(),
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    })
    client.on('error', () => {})
    try {
      const { handle } = attachedHandle(client)
      for (const operation of [
        () => handle.get('k', undefined),
        () => handle.set('k', undefined, entry(1)),
        () => handle.getMany(['a', 'b'], 'r'),
        () => handle.clear(),
        () => handle.tagVersions(['t']),
        () => handle.invalidateTags(['t']),
        () => handle.acquireLock('k', undefined, 'owner', 1_000),
        () => handle.releaseLock('k', 'r', 'owner'),
      ]) {
        const error = await failure(operation())
        expect(error.code).toBe('E_L2_UNAVAILABLE')
        expect(error.cause).toBeInstanceOf(Error)
      }
    } finally {
      client.disconnect()
    }
  })

  it('become E_L2_UNAVAILABLE when a paused server lets the command time out', async () => {
    const client = connect(server, { commandTimeout: 200, maxRetriesPerRequest: 0 })
    try {
      const { handle } = attachedHandle(client)
      await handle.set('k', undefined, entry('v'))
      await server.pause()
      try {
        const error = await failure(handle.get('k', undefined))
        expect(error.code).toBe('E_L2_UNAVAILABLE')
        expect(String(error.cause)).toMatch(/timed out/i)
      } finally {
        await server.resume()
      }
      expect((await handle.get('k', undefined))?.value).toBe('v')
    } finally {
      client.disconnect()
    }
  })
})
