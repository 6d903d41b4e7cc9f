import { createServer } from 'node:net'
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { CacheplaneError } from '@cacheplane/core'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachedHandle, connect, disconnect, entry } from './support.js'

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
  if (!CacheplaneError.isInstance(error)) {
    throw new Error(`expected a CacheplaneError, got ${String(error)}`)
  }
  return error
}

describe('Redis failures', () => {
  it('become E_L2_UNAVAILABLE with the cause when the client cannot connect', async () => {
    const client = createClient({
      socket: { host: '127.0.0.1', port: await closedPort(), reconnectStrategy: false },
    })
    client.on('error', () => {})
    await client.connect().catch(() => {})
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
  })

  it('become E_L2_UNAVAILABLE when a paused server lets the socket time out', async () => {
    // node-redis' per-command timeout ends when the command is written: an unanswered
    // command is bounded by socketTimeout, and the default reconnectStrategy gives up then.
    const client = await connect(server, {
      socket: { socketTimeout: 200, reconnectStrategy: () => 50 },
    })
    try {
      const { handle } = attachedHandle(client)
      await handle.set('k', undefined, entry('v'))
      await server.pause()
      try {
        const started = performance.now()
        const error = await failure(handle.get('k', undefined))
        expect(error.code).toBe('E_L2_UNAVAILABLE')
        expect(String(error.cause)).toMatch(/timeout/i)
        expect(performance.now() - started).toBeLessThan(1_000)
      } finally {
        await server.resume()
      }
      const value = await pollUntil(() => handle.get('k', undefined), {
        timeout: 5_000,
        description: 'reads to work after the pause',
      })
      expect(value.value).toBe('v')
    } finally {
      disconnect(client)
    }
  })

  it('fail at once while the server is down with disableOfflineQueue, and recover after', async () => {
    const client = await connect(server, {
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 50 },
    })
    try {
      const { handle } = attachedHandle(client)
      await server.kill()
      try {
        const started = performance.now()
        const error = await failure(handle.set('k', undefined, entry('lost')))
        expect(error.code).toBe('E_L2_UNAVAILABLE')
        expect(performance.now() - started).toBeLessThan(500)
      } finally {
        await server.restart()
      }
      await pollUntil(
        async () => (await handle.set('k', undefined, entry('back')).catch(() => 0)) > 0,
        { timeout: 5_000, description: 'writes to work after the restart' },
      )
      expect((await handle.get('k', undefined))?.value).toBe('back')
    } finally {
      disconnect(client)
    }
  })
})
