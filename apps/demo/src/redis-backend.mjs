import { channelName } from '@cacheplane/core'
import { Redis } from 'ioredis'
import { onExit, onShutdown } from './cleanup.mjs'
import { startProcessFleet } from './process-fleet.mjs'

const CONNECTION_PREFIX = 'cacheplane-demo:'

/**
 * The demo on Redis: three instance processes, a separate subscriber for the
 * dashboard's view of the channel, and the fault controls. `server` is the
 * test server that the demo started (it can be paused), or `undefined` when
 * the Redis comes from `REDIS_URL` (a shared server: only the demo's own
 * connections are touched).
 */
export function redisBackend({ url, server }) {
  const ownServer = server !== undefined
  const where = url.replace(/\/\/[^@]*@/, '//')
  return {
    kind: ownServer ? 'redis-local' : 'redis-url',
    redisUrl: url,
    description: ownServer
      ? `Redis: a redis-server the demo started on ${where} (stopped when the demo stops)`
      : `Redis: REDIS_URL (${where})`,
    faults: {
      pause: ownServer
        ? {
            label: 'Pause Redis (SIGSTOP, then SIGCONT)',
            note: 'Nothing answers, connections stay open: instances notice by their heartbeats.',
          }
        : {
            disabled: 'REDIS_URL points at a server the demo did not start, so it cannot pause it.',
          },
      killSubscribers: {
        label: ownServer
          ? 'Kill subscriber connections (CLIENT KILL TYPE pubsub)'
          : "Kill the demo's subscriber connections (CLIENT KILL ID)",
        note: 'Each instance reconnects, re-subscribes and marks its L1 stale.',
      },
    },

    startFleet: (options) => startProcessFleet({ ...options, redisUrl: url }),

    /** SIGSTOPs the server for `seconds`, then SIGCONTs it. */
    async pause(seconds) {
      if (!ownServer) throw new Error('the demo did not start this Redis server')
      await server.pause()
      const resume = () => server.resume().catch(() => undefined)
      const timer = setTimeout(resume, seconds * 1000)
      onShutdown(async () => {
        clearTimeout(timer)
        await resume()
      })
      return { resumesAt: Date.now() + seconds * 1000 }
    },

    async killSubscribers() {
      if (ownServer) return { killed: await server.killClients('pubsub') }
      // A shared server: kill only this demo's subscribers, found by name.
      const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
      admin.on('error', () => undefined)
      try {
        await admin.connect()
        const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))
        let killed = 0
        for (const line of list.split('\n')) {
          const fields = Object.fromEntries(line.split(' ').map((field) => field.split('=')))
          if (!fields.name?.startsWith(CONNECTION_PREFIX)) continue
          killed += Number(await admin.call('CLIENT', 'KILL', 'ID', fields.id, 'SKIPME', 'yes'))
        }
        return { killed }
      } finally {
        admin.disconnect()
      }
    },

    /**
     * The dashboard's own subscription to the channel, on a connection of its
     * own, so that it sees the frames as any other subscriber does.
     */
    async tap(cacheName, { onFrame, onStatus }) {
      const channel = channelName('cacheplane', cacheName)
      const subscriber = new Redis(url, {
        connectionName: `${CONNECTION_PREFIX}dashboard`,
        retryStrategy: (attempt) => Math.min(50 * attempt, 500),
      })
      subscriber.on('error', () => undefined)
      subscriber.on('messageBuffer', (_channel, message) => onFrame(new Uint8Array(message)))
      subscriber.on('close', () => onStatus('down'))
      subscriber.on('ready', () => onStatus('up'))
      onExit(() => subscriber.disconnect())
      await subscriber.subscribe(channel)
      return { channel, close: () => subscriber.disconnect() }
    },

    async stop() {
      await server?.stop()
    },
  }
}
