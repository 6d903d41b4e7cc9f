// One instance of the catalog service in a process of its own, on Redis: the
// fleet forks three of these. It tells its parent its port over the IPC
// channel, and it stops when the parent says so, on SIGINT/SIGTERM, or when
// the IPC channel closes (the parent died, however it died).
import { Redis } from 'ioredis'
import { CatalogDatabase } from './catalog-database.mjs'
import { startInstance } from './instance.mjs'
import { redisAdapter } from './redis-adapter.mjs'

const config = JSON.parse(process.argv[2] ?? '{}')
const name = `instance-${config.index}`
const log = (line) => {
  if (!config.quiet) console.log(`[${name}] ${line}`)
}

const { redisBackplane, redisHandle } = await redisAdapter()
const client = new Redis(config.redisUrl, {
  // The backplane's subscriber is a duplicate of this client and so carries
  // the name too: the dashboard finds the demo's connections by it.
  connectionName: `cacheplane-demo:${name}`,
  // Reconnect quickly after a fault, so that recovery shows within a second.
  retryStrategy: (attempt) => Math.min(50 * attempt, 500),
})
let lastError = ''
let stopping
client.on('error', (error) => {
  // On Ctrl-C the whole process group stops at once, Redis too: not news.
  if (stopping === undefined && error.message !== lastError) log(`redis: ${error.message}`)
  lastError = error.message
})

let instance
function stop() {
  stopping ??= (async () => {
    const deadline = setTimeout(() => process.exit(0), 2_000)
    try {
      await instance?.close()
      client.disconnect()
    } finally {
      clearTimeout(deadline)
      process.exit(0)
    }
  })()
  return stopping
}

// Registered before starting: a parent that dies meanwhile must not leave us behind.
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
process.on('disconnect', stop)
process.on('message', (message) => {
  if (message?.type === 'stop') void stop()
})
if (!process.connected) void stop()

instance = await startInstance({
  index: config.index,
  port: config.port ?? 0,
  l2: redisHandle({ client }),
  transport: redisBackplane({ client }),
  database: new CatalogDatabase(config.databaseFile),
  log,
})
if (stopping === undefined) process.send?.({ type: 'ready', port: instance.port, pid: process.pid })
