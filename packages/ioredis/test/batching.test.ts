import { type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachedHandle, connect, entry } from './support.js'

let server: RedisTestServer
let client: Redis
let admin: Redis

beforeAll(async () => {
  server = await startRedis()
  client = connect(server)
  admin = connect(server)
})

afterAll(async () => {
  client?.disconnect()
  admin?.disconnect()
  await server?.stop()
})

/**
 * Top-level commands since `work` started, from INFO commandstats. Commands
 * that scripts run count there too, so only the ones a client sends are kept.
 */
async function measure(
  work: () => Promise<unknown>,
  commands: readonly string[] = ['evalsha', 'eval'],
): Promise<Record<string, number>> {
  await admin.config('RESETSTAT')
  await work()
  const info = await admin.info('commandstats')
  const calls: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) {
    if (commands.includes(match[1]!)) calls[match[1]!] = Number(match[2])
  }
  return calls
}

describe('batching', () => {
  beforeAll(async () => {
    // Loads every script, so that no NOSCRIPT fallback shows in the counts.
    const { handle } = attachedHandle(client)
    await handle.set('warm', 'up', entry(1))
    await handle.set('forever', 'up', entry(1, { staleUntil: Number.POSITIVE_INFINITY }))
    await handle.getMany(['warm', 'warm'], 'up')
    await handle.deleteMany(['warm'], 'up')
    await handle.clear()
  })

  const keys = Array.from({ length: 50 }, (_, index) => `key-${index}`)

  it('sends 50 concurrent gets in calls of 24 keys as they come: 3 calls, not 50', async () => {
    const { handle } = attachedHandle(client)
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key) })),
      undefined,
    )
    let values: unknown[] = []
    const calls = await measure(async () => {
      const found = await Promise.all(keys.map((key) => handle.get(key, undefined)))
      values = found.map((item) => item?.value)
    })
    expect(values).toEqual(keys)
    // ceil(50 / 24): two full calls go before the turn ends, so that Redis
    // runs one while the client decodes another; the last 2 gets at its end.
    expect(calls).toEqual({ evalsha: 3 })
    // Naive reads, one GET per key, for comparison: 50 commands.
    const naive = await measure(
      () => Promise.all(keys.map((key) => client.getBuffer(key))),
      ['get'],
    )
    expect(naive).toEqual({ get: 50 })
  })

  it('joins gets that arrive after a few awaits of their caller', async () => {
    const { handle } = attachedHandle(client)
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key) })),
      'region',
    )
    const calls = await measure(() =>
      Promise.all(
        keys.map(async (key, index) => {
          for (let hop = 0; hop < index % 5; hop++) await Promise.resolve()
          return handle.get(key, 'region')
        }),
      ),
    )
    expect(calls).toEqual({ evalsha: 3 })
  })

  it('sends the gets of a turn as one call when auto-pipelining writes the turn at once', async () => {
    const pipelined = connect(server, { enableAutoPipelining: true })
    try {
      const { handle } = attachedHandle(pipelined)
      await handle.setMany(
        keys.map((key) => ({ key, entry: entry(key) })),
        undefined,
      )
      const calls = await measure(() => Promise.all(keys.map((key) => handle.get(key, undefined))))
      expect(calls).toEqual({ evalsha: 1 })
    } finally {
      pipelined.disconnect()
    }
  })

  it('writes setMany and deleteMany in one call each on a standalone server', async () => {
    const { handle } = attachedHandle(client)
    const written = await measure(() =>
      handle.setMany(
        keys.map((key) => ({ key, entry: entry(key) })),
        undefined,
      ),
    )
    expect(written).toEqual({ evalsha: 1 })
    const deleted = await measure(() => handle.deleteMany(keys, undefined))
    expect(deleted).toEqual({ evalsha: 1 })
  })

  it('clear is one call for all 256 buckets, plus a purge only when entries without TTL wait', async () => {
    const { handle } = attachedHandle(client)
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key) })),
      undefined,
    )
    expect(await measure(() => handle.clear())).toEqual({ evalsha: 1 })
    const forever = { expiresAt: Number.POSITIVE_INFINITY, staleUntil: Number.POSITIVE_INFINITY }
    await handle.setMany(
      keys.map((key) => ({ key, entry: entry(key, forever) })),
      undefined,
    )
    expect(await measure(() => handle.clear())).toEqual({ evalsha: 2 })
  })
})
