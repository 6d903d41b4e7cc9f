import { startRedis } from '@cacheplane/conformance/redis'
import { afterAll, expect, it } from 'vitest'

// Fault controls need a server of its own, so 'process' even when REDIS_URL is set.
const server = await startRedis({ strategy: 'process' })
afterAll(() => server.stop())

it('comes back after a kill, and answers again after a pause', async () => {
  // Hand server.url to your client: new Redis(server.url), createClient({ url: server.url }).
  await server.command(['SET', 'greeting', 'hello'])
  await server.kill() // SIGKILL: clients see their connection reset
  await server.restart() // same port, empty
  expect(await server.command(['GET', 'greeting'])).toBeNull()
  await server.pause() // SIGSTOP: connections stay open, nothing answers
  await server.resume()
  expect(await server.killClients('pubsub')).toBe(0) // drops subscribers, say, of a backplane
})
