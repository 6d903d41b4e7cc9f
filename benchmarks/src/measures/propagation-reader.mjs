// The reader process of the propagation measure (forked by propagation.mjs).
// It holds the old value (in its L1, or as the last raw message), then polls on
// every turn of its event loop until the old value is gone, and reports when
// that happened on the machine-wide monotonic clock (process.hrtime reads
// CLOCK_MONOTONIC on Linux, the same clock in every process).
import { availableAdapters, clients } from '../clients.mjs'
import { cacheplaneOnRedis } from '../systems.mjs'

const pollTimeoutMs = 5_000
const systems = new Map()
const closers = []

function send(message) {
  process.send?.(message)
}

async function init({ url, runId }) {
  const { available } = await availableAdapters()
  for (const adapter of available) {
    const system = await cacheplaneOnRedis({
      name: `${runId}-prop-${adapter.entry.id}`,
      redis: adapter,
      url,
      maxEntries: 1_000,
    })
    closers.push(system.close)
    systems.set(`cacheplane:${adapter.entry.id}`, { kind: 'cacheplane', cache: system.cache })
  }
  for (const entry of clients) {
    const state = { kind: 'raw', latest: undefined }
    const subscription = await entry.subscribe(url, `${runId}:prop:${entry.id}`, (message) => {
      state.latest = message
    })
    closers.push(subscription.close)
    systems.set(`raw:${entry.id}`, state)
  }
}

/** Reads the old value into place and starts polling; answers `armed`, later `seen`. */
async function arm({ system: id, key, old }) {
  const system = systems.get(id)
  if (system === undefined) throw new Error(`unknown system ${id}`)
  let stillOld
  if (system.kind === 'cacheplane') {
    const value = await system.cache.get(key)
    if (value?.n !== old)
      throw new Error(`${id}: L2 holds ${JSON.stringify(value)}, expected n=${old}`)
    if (system.cache.peek(key)?.n !== old) throw new Error(`${id}: the get did not fill L1`)
    stillOld = () => system.cache.peek(key)?.n === old
  } else {
    system.latest = String(old)
    stillOld = () => system.latest === String(old)
  }
  send({ type: 'armed' })
  const deadline = Date.now() + pollTimeoutMs
  while (stillOld()) {
    if (Date.now() > deadline) {
      send({ type: 'seen', ok: false })
      return
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  send({ type: 'seen', ok: true, at: process.hrtime.bigint().toString() })
}

process.on('message', (message) => {
  const handle = async () => {
    if (message.type === 'init') {
      await init(message)
      send({ type: 'ready' })
    } else if (message.type === 'arm') {
      await arm(message)
    } else if (message.type === 'close') {
      for (const close of closers) await close().catch(() => {})
      process.exit(0)
    }
  }
  handle().catch((error) => {
    send({ type: 'error', message: error instanceof Error ? error.stack : String(error) })
  })
})
// Dies with its parent.
process.on('disconnect', () => process.exit(0))
