// Tags, fleet-wide stampede protection and update, across real processes:
// 3 workers (src/feature-worker.mjs, adapters alternating) on one Redis, each
// a memory L1, a Redis L2 and a Redis backplane.
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { pollUntil, type RedisTestServer, startRedis } from '@cacheplane/conformance/redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { availableAdapters } from '../src/adapters.mjs'
import { Fleet } from '../src/fleet.mjs'
import { backplaneTimings } from '../src/settings.mjs'

const adapters = await availableAdapters()
const script = fileURLToPath(new URL('../src/feature-worker.mjs', import.meta.url))
const processes = 3
/** Short, so that a crashed holder is replaced within a second or two. */
const lease = 500
const propagation = { timeout: 5_000 }
/**
 * Heartbeats as fast as the scenarios', so that a new fleet settles quickly;
 * but no fault here, so a worker descheduled for 300 ms on this 2-core machine
 * must not send the others degraded (which shortens what L1 may keep).
 */
const timings = { ...backplaneTimings, heartbeatTimeout: 3_000, degradedTtl: 5_000 }

type Worker = Fleet['workers'][number]
interface Read {
  key: string
  peek: unknown
  get: unknown
}
interface Stampeded {
  factoryCalls: number
  answered: number
  distinct: string[]
  ms: number
}

let server: RedisTestServer
let fleet: Fleet | undefined
/** What the tests measured, printed at the end. */
const figures: string[] = []

beforeAll(async () => {
  server = await startRedis({ strategy: 'process' })
})

// Every worker a test started is closed (or killed) here, also when the test failed.
afterEach(async () => {
  const current = fleet
  fleet = undefined
  if (current === undefined) return
  try {
    await current.close(10_000)
  } finally {
    await current.kill()
  }
  const { lost, leaked, fatal } = current.accounting()
  expect({ lost, leaked, fatal }).toEqual({ lost: [], leaked: [], fatal: [] })
})

afterAll(async () => {
  await server?.stop()
  if (figures.length > 0) console.log(`\n${figures.join('\n')}\n`)
})

/** Starts the workers, one cache name per test; resolves once every one is subscribed. */
async function startFleet(cacheName: string): Promise<Worker[]> {
  fleet = new Fleet(
    Array.from({ length: processes }, (_, index) => {
      const adapter = adapters[index % adapters.length]!
      return {
        name: `${adapter}-${index + 1}`,
        config: {
          adapter,
          target: { kind: 'standalone', host: server.host, port: server.port },
          cacheName,
          backplaneOptions: timings,
          fleetLock: { lease, maxWait: '20s' },
        },
      }
    }),
    () => {},
    { lifetime: 120_000, script },
  )
  await fleet.configure()
  // The first frame an instance hears from a peer that started before it counts as a gap
  // (the frames before it may have been meant for it), and marks its L1 stale: wait until
  // every worker has heard every other, so that this happens before the test, not in it.
  for (const worker of fleet.workers) {
    await pollUntil(
      async () =>
        (await worker.request({ type: 'stats' }, 'stats')).backplane.knownSenders === processes - 1,
      { ...propagation, description: `${worker.name} to hear from every other worker` },
    )
  }
  return fleet.workers
}

/** Backplane trouble each worker reported with its last read: what explains an L1 miss. */
const troubles = new Map<Worker, string[]>()
const why = (worker: Worker) =>
  `${worker.name}, backplane: ${troubles.get(worker)?.join(', ') || 'no trouble'}`

async function read(worker: Worker, keys: readonly string[]): Promise<Map<string, Read>> {
  const reply = await worker.request({ type: 'read', keys }, 'values')
  troubles.set(worker, reply.troubles)
  return new Map((reply.values as Read[]).map((value) => [value.key, value]))
}

/** Invalidates on one worker; resolves once every other worker heard it. */
async function invalidate(by: Worker, workers: readonly Worker[], tags: string[]) {
  await by.request({ type: 'invalidateTags', tags }, 'done')
  await Promise.all(
    workers
      .filter((worker) => worker !== by)
      .map((worker) => worker.request({ type: 'awaitTags', tags, timeout: 5_000 }, 'tagsHeard')),
  )
}

async function counter(key: string): Promise<number> {
  return Number(String((await server.command(['GET', key])) ?? 0))
}

async function lockKeys(): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = (await server.command(['SCAN', cursor, 'MATCH', '*:lock:*'])) as [
      Buffer,
      Buffer[],
    ]
    cursor = String(next)
    found.push(...keys.map(String))
  } while (cursor !== '0')
  return found
}

/** `total` callers spread over the workers as evenly as can be. */
function share(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0)
}

describe(`across ${processes} processes (${adapters.join(' + ')})`, () => {
  it('invalidateTags: every instance misses the tagged entries, keeps the others; re-tagging moves an entry', async () => {
    const workers = await startFleet('features-tags')
    const [writer, other] = workers as [Worker, Worker, ...Worker[]]
    const entries = [
      { key: 'acme:1', value: 'kettle', tags: ['brand:acme'] },
      { key: 'acme:2', value: 'toaster', tags: ['brand:acme', 'category:kitchen'] },
      { key: 'brewco:1', value: 'grinder', tags: ['brand:brewco', 'category:kitchen'] },
      { key: 'plain', value: 'untagged', tags: undefined },
    ]
    const keys = entries.map((entry) => entry.key)
    for (const entry of entries) await writer.request({ type: 'set', ...entry }, 'done')
    // Every instance reads each entry through L2 into its L1 (peek on the second read proves it).
    for (const worker of workers) {
      await read(worker, keys)
      for (const entry of entries) {
        expect((await read(worker, keys)).get(entry.key), why(worker)).toEqual({
          key: entry.key,
          peek: entry.value,
          get: entry.value,
        })
      }
    }

    await invalidate(writer, workers, ['brand:acme'])
    for (const worker of workers) {
      const seen = await read(worker, keys)
      for (const entry of entries) {
        const gone = entry.tags?.includes('brand:acme') === true
        const expected = gone ? null : entry.value
        expect(seen.get(entry.key), why(worker)).toEqual({
          key: entry.key,
          peek: expected,
          get: expected,
        })
      }
    }

    // Written again with other tags: the old tag no longer reaches it, the new one does.
    await writer.request({ type: 'set', key: 'retag', value: 'v1', tags: ['old'] }, 'done')
    for (const worker of workers)
      expect((await read(worker, ['retag'])).get('retag')?.get).toBe('v1')
    await writer.request({ type: 'set', key: 'retag', value: 'v2', tags: ['new'] }, 'done')
    for (const worker of workers) {
      await pollUntil(async () => (await read(worker, ['retag'])).get('retag')?.peek === 'v2', {
        ...propagation,
        description: `${worker.name} to hold the re-tagged value in L1`,
      })
    }
    await invalidate(writer, workers, ['old'])
    for (const worker of workers) {
      expect((await read(worker, ['retag'])).get('retag'), why(worker)).toEqual({
        key: 'retag',
        peek: 'v2',
        get: 'v2',
      })
    }
    // From a process on the other adapter this time.
    await invalidate(other, workers, ['new'])
    for (const worker of workers) {
      expect((await read(worker, ['retag'])).get('retag'), why(worker)).toEqual({
        key: 'retag',
        peek: null,
        get: null,
      })
    }
  })

  it('stampede with fleetLock: 1,000 concurrent getOrSet over the processes run the factory once', async () => {
    const workers = await startFleet('features-stampede')
    const callers = 1_000
    const replies: Stampeded[] = await Promise.all(
      workers.map((worker, index) =>
        worker.request(
          {
            type: 'stampede',
            key: 'hot',
            callers: share(callers, index, workers.length),
            factoryMs: 250,
            fleetLock: true,
            counterKey: 'factory-calls:locked',
          },
          'stampeded',
        ),
      ),
    )
    expect(await counter('factory-calls:locked')).toBe(1)
    expect(replies.reduce((sum, reply) => sum + reply.factoryCalls, 0)).toBe(1)
    expect(replies.reduce((sum, reply) => sum + reply.answered, 0)).toBe(callers)
    // Every caller in every process got the one value the one factory made.
    expect(new Set(replies.flatMap((reply) => reply.distinct)).size).toBe(1)
    figures.push(
      `stampede with fleetLock: 1 factory call, every caller served within ${Math.max(...replies.map((reply) => reply.ms))} ms`,
    )
    // The holder released its lock (fire-and-forget after its write).
    await pollUntil(async () => (await lockKeys()).length === 0, {
      ...propagation,
      description: 'the lock to be released',
    })
  })

  it('stampede without fleetLock: one factory call per process at most', async () => {
    const workers = await startFleet('features-stampede-unlocked')
    const callers = 1_000
    const replies: Stampeded[] = await Promise.all(
      workers.map((worker, index) =>
        worker.request(
          {
            type: 'stampede',
            key: 'hot',
            callers: share(callers, index, workers.length),
            factoryMs: 250,
            fleetLock: false,
            counterKey: 'factory-calls:unlocked',
          },
          'stampeded',
        ),
      ),
    )
    const calls = await counter('factory-calls:unlocked')
    figures.push(
      `stampede without fleetLock: ${calls} factory calls over ${workers.length} processes`,
    )
    // Usually one per process: each process coalesces its own callers only.
    expect(calls).toBeGreaterThanOrEqual(1)
    expect(calls).toBeLessThanOrEqual(workers.length)
    for (const reply of replies) expect(reply.factoryCalls).toBeLessThanOrEqual(1)
    expect(replies.reduce((sum, reply) => sum + reply.answered, 0)).toBe(callers)
    expect(await lockKeys()).toEqual([])
  })

  it('a holder killed mid-factory: the others take over once its lease runs out', async () => {
    const workers = await startFleet('features-crash')
    const [holder, ...waiters] = workers as [Worker, ...Worker[]]
    const counterKey = 'factory-calls:crash'
    await holder.request({ type: 'hang', key: 'slow', counterKey }, 'hanging')
    const [lock] = await lockKeys()
    expect(String(await server.command(['GET', lock!]))).toMatch(
      new RegExp(`^${holder.instanceId}:`),
    )

    let settled = false
    const waiting = Promise.all(
      waiters.map(
        (worker) =>
          worker.request(
            {
              type: 'stampede',
              key: 'slow',
              callers: 100,
              factoryMs: 50,
              fleetLock: true,
              counterKey,
            },
            'stampeded',
          ) as Promise<Stampeded>,
      ),
    ).finally(() => {
      settled = true
    })
    // Not a wait for propagation: a window in which nothing may happen. The holder renews its
    // lease every third of it, so the others keep waiting well past one lease.
    await sleep(3 * lease)
    expect(settled).toBe(false)
    expect(await counter(counterKey)).toBe(1)

    holder.closing = true
    holder.child.kill('SIGKILL')
    await holder.exit
    const killedAt = Date.now()
    const replies = await waiting
    const takeover = Date.now() - killedAt
    expect(await counter(counterKey)).toBe(2)
    expect(replies.reduce((sum, reply) => sum + reply.factoryCalls, 0)).toBe(1)
    expect(replies.reduce((sum, reply) => sum + reply.answered, 0)).toBe(100 * waiters.length)
    expect(new Set(replies.flatMap((reply) => reply.distinct)).size).toBe(1)
    figures.push(
      `killed lock holder (lease ${lease} ms): every waiter served ${takeover} ms after the kill`,
    )
    // The lease, then at most one re-check interval (1 s at most), then the factory; with room for a busy machine.
    expect(takeover, 'ms from the kill until every waiter had the value').toBeLessThan(
      lease + 1_000 + 2_000,
    )
  })

  it('update: concurrent increments from every process, none lost', async () => {
    const workers = await startFleet('features-update')
    const perProcess = 25
    const total = perProcess * workers.length
    const replies = await Promise.all(
      workers.map((worker) =>
        worker.request(
          {
            type: 'increment',
            key: 'counter',
            count: perProcess,
            retry: { maxRetries: 1_000, retryDelay: '2ms', timeout: '30s' },
          },
          'incremented',
          40_000,
        ),
      ),
    )
    // Each update stored a value no other stored: none read a value another had already replaced.
    const stored = replies.flatMap((reply) => reply.stored as number[]).sort((a, b) => a - b)
    expect(stored).toEqual(Array.from({ length: total }, (_, index) => index + 1))
    figures.push(
      `update: ${total} concurrent increments over ${workers.length} processes, none lost`,
    )
    for (const worker of workers) {
      await pollUntil(async () => (await read(worker, ['counter'])).get('counter')?.get === total, {
        ...propagation,
        description: `${worker.name} to read ${total}`,
      })
    }
  })
})
