// One instance of the application under test, in its own process: a memory
// L1, a Redis L2 and a backplane on the adapter its configuration names. The
// parent (fleet.mjs) drives it over IPC; it writes and reads its keys, and
// sends back what it did in batches, with Date.now() timestamps that every
// process on this machine shares.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { loadAdapter } from './adapters.mjs'
import { chaosTransport } from './chaos-transport.mjs'
import { fileDatabase } from './database.mjs'
import { GET, GET_OR_SET, INVALID, MISS, methods, PEEK, SET } from './log-format.mjs'

const flushInterval = 100
const loopEvents = ['backplaneDisconnected', 'backplaneRecovered', 'messagesMissed']

let config
let adapter
let client
let cache
let chaos
let database
let counters = []
let writing = false
let reading = false
const writerLoops = []
let readerLoop = Promise.resolve()
let closing = false
let reads = []
let writes = []
let errors = []
let events = []
let stalls = []
let flushTimer
let stallTimer
let heapAtStart = 0
let recoveries = 0
// Stalls of this process's event loop: on a busy machine they, not the cache, explain slow propagation.
const loopDelay = monitorEventLoopDelay({ resolution: 10 })

function send(message) {
  if (process.connected) process.send(message)
}

function flush() {
  // Every write that completed before this instant is in this batch.
  send({ type: 'log', watermark: Date.now(), reads, writes, errors, events, stalls })
  reads = []
  writes = []
  errors = []
  events = []
  stalls = []
}

/**
 * Records when this process did not run its event loop for more than 50 ms,
 * with the CPU time it used meanwhile: little CPU means the machine gave its
 * cores to other processes; a lot means it was busy (GC, or slow code).
 */
function watchStalls() {
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  return setInterval(() => {
    const now = performance.now()
    const cpu = process.cpuUsage()
    const gap = now - last
    if (gap > 50) {
      const end = Date.now()
      const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1_000
      stalls.push(Math.round(end - gap), end, Math.round(cpuMs))
    }
    last = now
    lastCpu = cpu
  }, 10)
}

function errorCode(error) {
  return typeof error?.code === 'string' ? error.code : (error?.name ?? 'Error')
}

/** Timed when the call failed: a call that began before a fault fails because of it. */
function recordError(method, keyIndex, error) {
  errors.push([Date.now(), method, keyIndex, errorCode(error), String(error?.message ?? error)])
}

function heapUsed() {
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

async function configure(given) {
  config = given
  database = fileDatabase(config.databaseDirectory)
  counters = config.keys.map(() => 0)
  adapter = await loadAdapter(config.adapter)
  client = await adapter.connect(config.target)
  let backplane = adapter.backplane(client, config.backplaneAdapterOptions)
  if (config.chaos !== undefined) {
    chaos = chaosTransport(backplane, { seed: config.chaos.seed })
    chaos.setRates(config.chaos.rates ?? {})
    backplane = chaos
  }
  cache = createCache({
    name: config.cacheName,
    handles: [memoryHandle({ maxEntries: 10_000 }), adapter.handle(client, config.handleOptions)],
    backplane,
    backplaneOptions: config.backplaneOptions,
    circuitBreaker: config.circuitBreaker,
    defaults: { ttl: '10m' },
  })
  for (const name of loopEvents) {
    cache.on(name, (event) => events.push([Date.now(), name, JSON.stringify(eventDetail(event))]))
  }
  cache.on('backplaneRecovered', () => recoveries++)
  cache.on('outboxOverflowed', (event) =>
    events.push([Date.now(), 'outboxOverflowed', JSON.stringify(event)]),
  )
  cache.on('error', (error) =>
    events.push([
      Date.now(),
      'error',
      JSON.stringify({ code: errorCode(error), message: error.message }),
    ]),
  )
  await withDeadline(cache.ready(), 15_000, 'the backplane to subscribe')
  heapAtStart = heapUsed()
  loopDelay.enable()
  stallTimer = watchStalls()
  flushTimer = setInterval(flush, flushInterval)
  return { type: 'ready', pid: process.pid, instanceId: cache.instanceId, adapter: adapter.name }
}

function eventDetail(event) {
  if (event === undefined) return {}
  const { cause: _cause, ...rest } = event
  return rest
}

async function withDeadline(promise, milliseconds, what) {
  let timer
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), milliseconds)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

async function writeOnce(keyIndex) {
  const counter = ++counters[keyIndex]
  const key = config.keys[keyIndex]
  // The record first, then the cache: what an application does with its database.
  database.write(key, counter)
  const start = Date.now()
  let ok = 1
  try {
    await cache.set(key, { key: keyIndex, counter, writer: config.index })
  } catch (error) {
    // The write may still have reached Redis; the checker never counts it as completed.
    ok = 0
    recordError(SET, keyIndex, error)
  }
  writes.push(keyIndex, counter, start, Date.now(), ok)
}

/** Paced: one write, then a short pause, round the owned keys. */
async function pacedWriter(keyIndexes) {
  while (writing) {
    for (const keyIndex of keyIndexes) {
      if (!writing) return
      await writeOnce(keyIndex)
      await sleep(config.writeIntervalMs)
    }
  }
}

/** Hot: one loop per key, each writing again as soon as its last write returned. */
async function hotWriter(keyIndex) {
  while (writing) await writeOnce(keyIndex)
}

function observed(keyIndex, value) {
  if (value === undefined) return MISS
  if (typeof value !== 'object' || value === null || value.key !== keyIndex) return INVALID
  return Number.isInteger(value.counter) ? value.counter : INVALID
}

function factoryFor(keyIndex) {
  const key = config.keys[keyIndex]
  return () => ({ key: keyIndex, counter: database.read(key), writer: -1 })
}

async function readOne(method, keyIndex) {
  const key = config.keys[keyIndex]
  const time = Date.now()
  try {
    const value =
      method === GET ? await cache.get(key) : await cache.getOrSet(key, factoryFor(keyIndex))
    reads.push(time, keyIndex, observed(keyIndex, value), method)
  } catch (error) {
    recordError(method, keyIndex, error)
  }
}

/** Rounds over every key, cycling get, getOrSet and peek. */
async function reader() {
  let round = 0
  while (reading) {
    const method = round++ % 3
    if (method === PEEK) {
      for (const keyIndex of config.readKeys) {
        const time = Date.now()
        try {
          reads.push(time, keyIndex, observed(keyIndex, cache.peek(config.keys[keyIndex])), PEEK)
        } catch (error) {
          recordError(PEEK, keyIndex, error)
        }
      }
    } else {
      await Promise.all(config.readKeys.map((keyIndex) => readOne(method, keyIndex)))
    }
    await sleep(config.readIntervalMs)
  }
}

async function seed() {
  for (const keyIndex of config.writeKeys) await writeOnce(keyIndex)
  return { type: 'seeded' }
}

function start() {
  if (config.writeKeys.length > 0) {
    writing = true
    if (config.writeMode === 'hot') {
      for (const keyIndex of config.writeKeys) writerLoops.push(hotWriter(keyIndex))
    } else {
      writerLoops.push(pacedWriter(config.writeKeys))
    }
  }
  if (config.readKeys.length > 0) {
    reading = true
    readerLoop = reader()
  }
}

async function stopWrites() {
  writing = false
  await Promise.all(writerLoops)
  flush()
  const finals = {}
  for (const keyIndex of config.writeKeys) finals[keyIndex] = counters[keyIndex]
  // Readers go on until told: the tail of the run shows whether everyone converges.
  return { type: 'writesStopped', finals }
}

async function probe() {
  const state = cache.stats().backplane?.state
  try {
    await cache.get('probe:health')
    return { type: 'health', state, recoveries, l2: true }
  } catch (error) {
    return { type: 'health', state, recoveries, l2: false, error: errorCode(error) }
  }
}

/** Each final value must come back from get and getOrSet (peek too, once L1 holds it). */
async function verify(finals) {
  const mismatches = []
  for (const [index, expected] of Object.entries(finals)) {
    const keyIndex = Number(index)
    const key = config.keys[keyIndex]
    for (const method of [GET, GET_OR_SET, PEEK]) {
      try {
        const value =
          method === GET
            ? await cache.get(key)
            : method === GET_OR_SET
              ? await cache.getOrSet(key, factoryFor(keyIndex))
              : cache.peek(key)
        const counter = observed(keyIndex, value)
        if (counter !== expected)
          mismatches.push({ key, method: methods[method], counter, expected })
      } catch (error) {
        mismatches.push({ key, method: methods[method], error: errorCode(error), expected })
      }
    }
  }
  return { type: 'verified', mismatches }
}

async function close() {
  if (closing) return
  closing = true
  writing = false
  reading = false
  await Promise.all([...writerLoops, readerLoop])
  clearInterval(flushTimer)
  clearInterval(stallTimer)
  flush()
  loopDelay.disable()
  const heapAtEnd = heapUsed()
  const stats = cache?.stats()
  await cache?.close()
  if (client !== undefined) await adapter.quit(client)
  return {
    type: 'closed',
    stats,
    chaos: chaos?.counters,
    heap: { start: heapAtStart, end: heapAtEnd },
    eventLoopDelay: {
      p99: Math.round(loopDelay.percentile(99) / 1e6),
      max: Math.round(loopDelay.max / 1e6),
    },
  }
}

function fail(error) {
  send({ type: 'fatal', message: String(error?.stack ?? error) })
  process.exit(1)
}

const handlers = {
  configure: (message) => configure(message.config),
  seed,
  start: () => {
    start()
    return { type: 'started' }
  },
  stopWrites,
  stopReads: async () => {
    reading = false
    await readerLoop
    flush()
    return { type: 'readsStopped' }
  },
  chaos: (message) => {
    chaos?.setRates(message.rates)
    return { type: 'chaosSet' }
  },
  probe,
  recoveries: () => ({ type: 'recoveries', recoveries }),
  verify: (message) => verify(message.finals),
  close,
}

process.on('message', (message) => {
  const handler = handlers[message?.type]
  if (handler === undefined) return fail(new Error(`unknown message ${message?.type}`))
  Promise.resolve()
    .then(() => handler(message))
    .then((reply) => {
      if (reply === undefined) return
      send({ ...reply, id: message.id })
      // After the last reply nothing else may keep this process alive: the parent times its exit.
      if (reply.type === 'closed') process.disconnect()
    })
    .catch(fail)
})
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)
// The parent is gone (crashed or killed): nobody will ever ask this worker to stop.
process.on('disconnect', () => {
  if (!closing) process.exit(2)
})
// A bound on every worker's life, whatever happens to the parent's teardown.
setTimeout(
  () => process.exit(3),
  Number(process.env.RELIABILITY_WORKER_LIFETIME ?? 600_000),
).unref()
