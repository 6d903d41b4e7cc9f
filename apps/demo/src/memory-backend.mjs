import { channelName } from '@cacheplane/core'
import { createMemoryBus, memoryHandle, memoryTransport } from '@cacheplane/memory'
import { CatalogDatabase } from './catalog-database.mjs'
import { startInstance } from './instance.mjs'

/**
 * The fallback without Redis: the three instances run in this one process,
 * each on its own port, sharing one memory handle as their L2 and a memory
 * bus as their backplane. The backplane still moves encoded frames (the
 * dashboard decodes the same bytes), but nothing here is distributed, and the
 * Redis faults are stood in for by the memory transport's own controls.
 */
export function memoryBackend({ reason }) {
  const bus = createMemoryBus()
  const sharedL2 = memoryHandle({ maxEntries: 10_000 })
  let fleet
  const each = (path, body) =>
    Promise.all(
      fleet.instances.map((instance) =>
        fetch(`${instance.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then((response) => response.json()),
      ),
    )

  return {
    kind: 'memory',
    redisUrl: undefined,
    description: `No Redis (${reason}): all 3 instances run in ONE process, with a shared memory handle as L2 and the in-process memory transport as backplane`,
    faults: {
      pause: {
        label: 'Backplane outage (memory transport disconnected)',
        note: 'Without Redis there is nothing to SIGSTOP: every subscription drops for the time given instead.',
      },
      killSubscribers: {
        label: 'Drop subscriptions (memory transport disconnect, reconnect after 300 ms)',
        note: 'Stands in for CLIENT KILL TYPE pubsub.',
      },
    },

    async startFleet({ count, basePort, databaseFile, quiet }) {
      const database = new CatalogDatabase(databaseFile)
      const started = []
      try {
        for (let index = 1; index <= count; index++) {
          started.push(
            await startInstance({
              index,
              port: basePort === 0 ? 0 : basePort + index,
              l2: sharedL2,
              transport: memoryTransport({ bus }),
              database,
              log: quiet ? undefined : (line) => console.log(`[demo] ${line}`),
            }),
          )
        }
      } catch (error) {
        await Promise.all(started.map((instance) => instance.close()))
        throw error
      }
      fleet = {
        instances: started.map((instance, offset) => ({
          index: offset + 1,
          name: instance.name,
          port: instance.port,
          pid: process.pid,
          url: `http://127.0.0.1:${instance.port}`,
        })),
        stop: () => Promise.all(started.map((instance) => instance.close())),
      }
      return fleet
    },

    async pause(seconds) {
      await each('/_demo/disconnect', { seconds })
      return { resumesAt: Date.now() + seconds * 1000 }
    },

    async killSubscribers() {
      await each('/_demo/disconnect', { seconds: 0.3 })
      return { killed: fleet.instances.length }
    },

    async tap(cacheName, { onFrame, onStatus }) {
      const channel = channelName('cacheplane', cacheName)
      const transport = memoryTransport({ bus })
      await transport.connect(channel, {
        onFrame,
        onStatus: (status) => onStatus(status.state),
      })
      onStatus('up')
      return { channel, close: () => transport.close() }
    },

    async stop() {},
  }
}
