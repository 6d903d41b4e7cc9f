import { spawnSync } from 'node:child_process'
import { Redis } from 'ioredis'
import { onShutdown } from './cleanup.mjs'
import { memoryBackend } from './memory-backend.mjs'
import { redisAdapter } from './redis-adapter.mjs'
import { redisBackend } from './redis-backend.mjs'

/**
 * Where the demo's L2 and backplane live, in this order: the Redis at
 * `REDIS_URL`; else a `redis-server` that the demo starts on a free loopback
 * port (and stops: on exit, Ctrl-C, and a crash, since the test server's
 * watchdog kills it even when this process is SIGKILLed); else all instances
 * in one process on the memory handle and transport.
 */
export async function chooseBackend({ forceMemory = false } = {}) {
  if (forceMemory) return memoryBackend({ reason: '--memory was given' })
  try {
    await redisAdapter()
  } catch (error) {
    return memoryBackend({ reason: error.message })
  }
  const url = process.env.REDIS_URL
  if (url) {
    await checkReachable(url)
    return redisBackend({ url })
  }
  if (!redisServerInstalled()) {
    return memoryBackend({
      reason:
        'REDIS_URL is not set and redis-server is not installed (e.g. apt-get install redis-server)',
    })
  }
  const { startRedis } = await import('@cacheplane/conformance/redis')
  const server = await startRedis({ strategy: 'process' })
  onShutdown(() => server.stop())
  return redisBackend({ url: server.url, server })
}

function redisServerInstalled() {
  const result = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  return result.error === undefined && result.status === 0
}

/** A REDIS_URL that does not answer is an error to report, not a reason to fall back quietly. */
async function checkReachable(url) {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    throw new Error(
      `REDIS_URL is set (${url.replace(/\/\/[^@]*@/, '//')}) but Redis does not answer (${error.message.replace(/\.$/, '')}). Unset it to let the demo start its own redis-server.`,
    )
  } finally {
    client.disconnect()
  }
}
