// The Redis every Redis measure shares: `REDIS_URL` when set, else a throwaway
// redis-server on a free loopback port (through @cacheplane/conformance, which
// also kills it if this process dies). Keys are namespaced per run, so a shared
// server from REDIS_URL is cleaned of this run's keys only.
import { randomUUID } from 'node:crypto'
import { startRedis } from '@cacheplane/conformance/redis'
import { Redis } from 'ioredis'

/**
 * @typedef {object} BenchRedis
 * @property {string} url
 * @property {string} runId A prefix for every key and channel of this run.
 * @property {string} serverVersion
 * @property {string} strategy 'url' (REDIS_URL) or 'process'.
 * @property {() => Promise<void>} stop Removes this run's keys (shared server) or stops the server. Idempotent.
 */

/** @returns {Promise<BenchRedis>} */
export async function startBenchRedis() {
  const server = await startRedis(process.env.REDIS_URL ? {} : { strategy: 'process' })
  const url = server.url
  const host = new URL(url).hostname
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1' && host !== '[::1]') {
    await server.stop()
    throw new Error(`benchmarks run against a loopback Redis only; REDIS_URL points at ${host}`)
  }
  const runId = `bench-${randomUUID().slice(0, 8)}`
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  admin.on('error', () => {})
  await admin.connect()
  const info = await admin.info('server')
  const serverVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
  await admin.quit()
  let stopped = false
  return {
    url,
    runId,
    serverVersion,
    strategy: server.strategy,
    async stop() {
      if (stopped) return
      stopped = true
      if (server.strategy === 'url') await removeKeys(url, runId)
      await server.stop()
    },
  }
}

/** Deletes the keys of this run (peers put the run id somewhere in theirs), a bounded SCAN. */
async function removeKeys(url, runId) {
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  try {
    let cursor = '0'
    for (let pass = 0; pass < 100_000; pass++) {
      const [next, keys] = await client.scan(cursor, 'MATCH', `*${runId}*`, 'COUNT', 1000)
      if (keys.length > 0) await client.unlink(...keys)
      cursor = next
      if (cursor === '0') break
    }
  } finally {
    client.disconnect()
  }
}
