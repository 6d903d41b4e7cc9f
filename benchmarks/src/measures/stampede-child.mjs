// The second process of the 2-process stampede (forked by stampede.mjs): the
// same cache on the same Redis; on `go`, the same burst of getOrSet on the same key
// (with fleet-wide locking when the message says so).
import { availableAdapters } from '../clients.mjs'
import { cacheplaneOnRedis } from '../systems.mjs'
import { burst } from './stampede-burst.mjs'

let system

process.on('message', (message) => {
  const handle = async () => {
    if (message.type === 'init') {
      const { available } = await availableAdapters()
      const adapter = available.find((candidate) => candidate.entry.id === message.client)
      if (adapter === undefined) throw new Error(`adapter ${message.client} not available`)
      system = await cacheplaneOnRedis({ name: message.name, redis: adapter, url: message.url })
      process.send({ type: 'ready' })
    } else if (message.type === 'go') {
      const options = { fleetLock: message.fleetLock }
      const outcome = await burst(
        (key, factory) => system.cache.getOrSet(key, factory, options),
        message,
      )
      process.send({ type: 'done', ...outcome })
    } else if (message.type === 'close') {
      await system?.close()
      process.exit(0)
    }
  }
  handle().catch((error) => {
    process.send({ type: 'error', message: error instanceof Error ? error.stack : String(error) })
  })
})
process.on('disconnect', () => process.exit(0))
