import { type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attachedHandle, type Client, connect, disconnect, entry } from './support.js'

let server: RedisTestServer
let client: Client
let admin: Client

beforeAll(async () => {
  server = await startRedis()
  client = await connect(server)
  admin = await connect(server)
})

afterAll(async () => {
  disconnect(client)
  disconnect(admin)
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
  await admin.configResetStat()
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

  it('sends 50 concurrent gets as one script call, since node-redis writes a turn at once', async () => {
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
    // Calls of 24 (as over ioredis) would leave in the same write and only cost more.
    expect(calls).toEqual({ evalsha: 1 })
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
    expect(calls).toEqual({ evalsha: 1 })
  })

  it('writes setMany and deleteMany in one call each, and clear in one', async () => {
    const { handle } = attachedHandle(client)
    const written = await measure(() =>
      handle.setMany(
        keys.map((key) => ({ key, entry: entry(key) })),
        undefined,
      ),
    )
    expect(written).toEqual({ evalsha: 1 })
    expect(await measure(() => handle.deleteMany(keys, undefined))).toEqual({ evalsha: 1 })
    expect(await measure(() => handle.clear())).toEqual({ evalsha: 1 })
  })

  it('falls back to EVAL once per call when the server lost its scripts', async () => {
    const { handle } = attachedHandle(client)
    await handle.set('k', undefined, entry('v'))
    await admin.scriptFlush()
    const calls = await measure(() => handle.get('k', undefined))
    expect(calls).toEqual({ evalsha: 1, eval: 1 })
    expect(await measure(() => handle.get('k', undefined))).toEqual({ evalsha: 1 })
  })
})
