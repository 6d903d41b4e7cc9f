// Redis with a password and ACL users: the adapters take the credentials
// through the client the application builds, for the L2 and for the
// backplane's own subscriber connection, and ACL channel rules decide who may
// publish invalidations.
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { CacheplaneError } from '@cacheplane/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { availableAdapters } from '../src/adapters.mjs'
import { instances } from './support/instances.js'

const adapters = await availableAdapters()
let server: RedisTestServer
let fleet: ReturnType<typeof instances>

const users = {
  app: { username: 'app', password: 'app-secret' },
  // May use its keys but no channel: an L2 without a backplane.
  noChannels: { username: 'no-channels', password: 'no-channels-secret' },
}

beforeAll(async () => {
  server = await startRedis({
    strategy: 'process',
    password: 'default-secret',
    users: [
      {
        name: users.app.username,
        password: users.app.password,
        rules: ['~cacheplane:*', '&cacheplane:*', '+@all'],
      },
      {
        name: users.noChannels.username,
        password: users.noChannels.password,
        rules: ['~cacheplane:*', 'resetchannels', '+@all'],
      },
    ],
  })
  fleet = instances(server)
})

afterAll(async () => {
  await fleet?.closeAll()
  await server?.stop()
})

describe.each(adapters)('on %s', (adapter) => {
  const other = adapters[(adapters.indexOf(adapter) + 1) % adapters.length]!

  for (const [who, credentials] of [
    ['the default user with a password', { password: 'default-secret' }],
    ['an ACL user limited to the cache keys and channels', users.app],
  ] as const) {
    it(`${who}: L2 and backplane both work`, async () => {
      const name = `auth-${adapter}-${credentials.password.length}`
      const writer = await fleet.create<string>(adapter, { name }, credentials)
      const reader = await fleet.create<string>(other, { name }, credentials)
      await Promise.all([writer.ready(), reader.ready()])
      await writer.set('k', 'old')
      expect(await reader.get('k')).toBe('old')
      await writer.set('k', 'new')
      await pollUntil(() => reader.peek('k') === undefined, {
        timeout: 5_000,
        description: 'the invalidation to reach the reader',
      })
      expect(await reader.get('k')).toBe('new')
      expect(reader.stats().backplane?.state).toBe('up')
    })
  }

  it('a user without channel rights: a typed backplane error, and L2 keeps serving', async () => {
    const errors: unknown[] = []
    const cache = await fleet.create<string>(
      adapter,
      { name: `no-channels-${adapter}` },
      users.noChannels,
    )
    cache.on('error', (error) => errors.push(error))
    await pollUntil(() => errors.length > 0, {
      timeout: 10_000,
      description: 'the refused subscription to be reported',
    })
    expect(errors.every((error) => CacheplaneError.isInstance(error))).toBe(true)
    expect(cache.stats().backplane?.state).not.toBe('up')
    await cache.set('k', 'v')
    expect(await cache.get('k')).toBe('v')
  })

  it('a wrong password: calls reject with E_L2_UNAVAILABLE, nothing crashes', async () => {
    const cache = await fleet.create<string>(
      adapter,
      { name: `wrong-password-${adapter}` },
      // node-redis would wait for ever for a login that cannot succeed: hand the client over as it is.
      { username: users.app.username, password: 'wrong', awaitConnect: false },
    )
    const error = await cache.set('k', 'v').then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(CacheplaneError.hasCode(error, 'E_L2_UNAVAILABLE'), String(error)).toBe(true)
    expect(cache.stats().backplane?.state).not.toBe('up')
  })
})
