// One application instance for the feature tests (tags, fleet-wide locking,
// update), in its own process: a memory L1, a Redis L2 and a Redis backplane
// on the adapter its configuration names. The parent (fleet.mjs, with this
// script) asks it to do one thing at a time over IPC and gets back what it saw.
import { setTimeout as sleep } from 'node:timers/promises'
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { loadAdapter } from './adapters.mjs'

let adapter
let client
let cache
let closing = false
/** Tags this instance heard invalidated by another one, in order. */
const heardTags = []
const tagWaiters = new Set()
/** Backplane trouble that makes L1 drop what it holds: a test that sees L1 miss says why. */
const troubles = []

function send(message) {
  if (process.connected) process.send(message)
}

async function configure(config) {
  adapter = await loadAdapter(config.adapter)
  client = await adapter.connect(config.target)
  cache = createCache({
    name: config.cacheName,
    handles: [memoryHandle({ maxEntries: 10_000 }), adapter.handle(client)],
    backplane: adapter.backplane(client),
    backplaneOptions: config.backplaneOptions,
    fleetLock: config.fleetLock,
    defaults: { ttl: '10m' },
  })
  cache.on('tagsInvalidated', (event) => {
    if (event.origin !== 'remote') return
    heardTags.push(...event.tags)
    for (const waiter of tagWaiters) waiter()
  })
  for (const name of ['messagesMissed', 'backplaneDisconnected']) {
    cache.on(name, (event) => troubles.push(`${name} (${event.reason})`))
  }
  cache.on('error', (error) => troubles.push(`error ${error.code}: ${error.message}`))
  await cache.ready()
  return { type: 'ready', pid: process.pid, instanceId: cache.instanceId, adapter: adapter.name }
}

/** Resolves once every tag of `tags` was heard from another instance, or rejects after `timeout` ms. */
function awaitTags(tags, timeout) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!tags.every((tag) => heardTags.includes(tag))) return
      tagWaiters.delete(check)
      clearTimeout(timer)
      resolve({ type: 'tagsHeard', heard: [...heardTags] })
    }
    const timer = setTimeout(() => {
      tagWaiters.delete(check)
      reject(
        new Error(`tags ${tags.join(', ')} not heard within ${timeout} ms (heard: ${heardTags})`),
      )
    }, timeout)
    tagWaiters.add(check)
    check()
  })
}

/** What L1 alone holds (`peek`), then what a full read returns (`get`), for each key. */
async function read(keys) {
  const values = []
  for (const key of keys) {
    const peeked = cache.peek(key)
    values.push({ key, peek: peeked ?? null, get: (await cache.get(key)) ?? null })
  }
  return { type: 'values', values, troubles }
}

/** Counts a factory call in Redis, where every process's calls add up. */
function countCall(counterKey) {
  return client.incr(counterKey)
}

/**
 * `callers` concurrent getOrSet of one key; the factory counts its call in
 * Redis, then takes `factoryMs`. Resolves the distinct values the callers got.
 */
async function stampede({ key, callers, factoryMs, fleetLock, counterKey }) {
  let factoryCalls = 0
  const factory = async () => {
    factoryCalls++
    await countCall(counterKey)
    await sleep(factoryMs)
    return { key, loadedBy: process.pid }
  }
  const started = performance.now()
  const results = await Promise.all(
    Array.from({ length: callers }, () => cache.getOrSet(key, factory, { fleetLock })),
  )
  const distinct = [...new Set(results.map((value) => JSON.stringify(value)))]
  return {
    type: 'stampeded',
    factoryCalls,
    answered: results.filter((value) => value?.key === key).length,
    distinct,
    ms: Math.round(performance.now() - started),
  }
}

/** A getOrSet whose factory never returns: replies once the factory runs (the lock is held). */
function hang({ key, counterKey }) {
  return new Promise((resolve, reject) => {
    cache
      .getOrSet(
        key,
        async () => {
          await countCall(counterKey)
          resolve({ type: 'hanging', pid: process.pid })
          // The parent kills this process meanwhile.
          await sleep(120_000)
          return { key, loadedBy: process.pid }
        },
        { fleetLock: true },
      )
      .catch(reject)
  })
}

/** `count` concurrent increments of `key` through `update`; resolves the value each one stored. */
async function increment({ key, count, retry }) {
  const stored = await Promise.all(
    Array.from({ length: count }, () => cache.update(key, (current) => (current ?? 0) + 1, retry)),
  )
  return { type: 'incremented', stored }
}

async function close() {
  if (closing) return
  closing = true
  await cache?.close()
  if (client !== undefined) await adapter.quit(client)
  return { type: 'closed' }
}

function fail(error) {
  send({ type: 'fatal', message: String(error?.stack ?? error) })
  process.exit(1)
}

const handlers = {
  configure: (message) => configure(message.config),
  set: async ({ key, value, tags }) => {
    await cache.set(key, value, tags === undefined ? undefined : { tags })
    return { type: 'done' }
  },
  invalidateTags: async ({ tags }) => {
    await cache.invalidateTags(tags)
    return { type: 'done' }
  },
  awaitTags: ({ tags, timeout }) => awaitTags(tags, timeout),
  read: ({ keys }) => read(keys),
  stats: () => ({ type: 'stats', backplane: cache.stats().backplane }),
  stampede,
  hang,
  increment,
  close,
}

process.on('message', (message) => {
  const handler = handlers[message?.type]
  if (handler === undefined) return fail(new Error(`unknown message ${message?.type}`))
  Promise.resolve()
    .then(() => handler(message))
    .then(
      (reply) => {
        if (reply === undefined) return
        send({ ...reply, id: message.id })
        // After the last reply nothing else may keep this process alive: the parent times its exit.
        if (reply.type === 'closed') process.disconnect()
      },
      // A failed request is the test's business, not a reason to die.
      (error) => send({ type: 'failed', id: message.id, message: String(error?.stack ?? error) }),
    )
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
