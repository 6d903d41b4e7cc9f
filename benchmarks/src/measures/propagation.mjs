// Measure 3: cross-process invalidation latency. This process writes; a forked
// reader process holds the old value and polls until it is gone. Latency runs
// from just before the writer's call to the first poll that no longer sees the
// old value, on the machine-wide monotonic clock. Systems take turns trial by
// trial, so machine drift hits all alike.
import { fork } from 'node:child_process'
import { clients } from '../clients.mjs'
import { formatNumber, formatRatio, latencyStats, table, target } from '../harness.mjs'
import { cacheplaneOnRedis } from '../systems.mjs'

const answerTimeoutMs = 10_000

/** The reader child, with a request/answer helper over IPC. */
function startReader() {
  const child = fork(new URL('./propagation-reader.mjs', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const waiting = []
  let failure
  child.on('message', (message) => {
    if (message.type === 'error') failure = new Error(`reader: ${message.message}`)
    const next = waiting.shift()
    if (next === undefined) return
    if (failure) next.reject(failure)
    else next.resolve(message)
  })
  child.on('exit', (code) => {
    failure ??= new Error(`reader exited with ${code}`)
    for (const next of waiting.splice(0)) next.reject(failure)
  })
  /** The next message from the reader, bounded in time. */
  const next = () =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure)
      const timer = setTimeout(
        () => reject(new Error('reader did not answer in time')),
        answerTimeoutMs,
      )
      waiting.push({
        resolve: (message) => {
          clearTimeout(timer)
          resolve(message)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
    })
  return {
    child,
    /** Sends a message and resolves the first answer. */
    ask(message) {
      const answer = next()
      child.send(message)
      return answer
    },
    next,
    async close() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** @param {import('../run.mjs').MeasureContext} context */
export async function propagationBenchmark({ smoke, redis, adapters }) {
  const trials = smoke ? 30 : 1_000
  const warmup = smoke ? 5 : 50
  const closers = []
  const reader = startReader()
  const systems = []
  let lost = 0
  try {
    for (const entry of clients) {
      const { raw } = await entry.connect(redis.url)
      closers.push(raw.close)
      const channel = `${redis.runId}:prop:${entry.id}`
      const key = `${redis.runId}:prop-raw:${entry.id}`
      systems.push({
        id: `raw:${entry.id}`,
        name: `raw ${entry.id} PUBLISH → message`,
        kind: 'raw',
        client: entry.id,
        write: (n) => raw.publish(channel, String(n)),
      })
      systems.push({
        id: `raw:${entry.id}`,
        name: `raw ${entry.id} one script: SET + PUBLISH`,
        kind: 'raw',
        client: entry.id,
        write: (n) => raw.setAndPublish(key, String(n), channel, String(n)),
      })
      systems.push({
        id: `raw:${entry.id}`,
        name: `raw ${entry.id} SET, then PUBLISH`,
        kind: 'raw',
        client: entry.id,
        write: async (n) => {
          await raw.set(key, String(n))
          await raw.publish(channel, String(n))
        },
      })
    }
    for (const adapter of adapters.available) {
      const system = await cacheplaneOnRedis({
        name: `${redis.runId}-prop-${adapter.entry.id}`,
        redis: adapter,
        url: redis.url,
        maxEntries: 1_000,
      })
      closers.push(system.close)
      systems.push({
        id: `cacheplane:${adapter.entry.id}`,
        name: `cacheplane (${adapter.entry.id}) set → reader's peek`,
        kind: 'cacheplane',
        client: adapter.entry.id,
        cache: system.cache,
        write: (n) => system.cache.set('hot', { n }),
      })
    }
    const ready = await reader.ask({ type: 'init', url: redis.url, runId: redis.runId })
    if (ready.type !== 'ready') throw new Error(`reader answered ${JSON.stringify(ready)}`)

    for (const system of systems) {
      system.samples = []
      system.n = 1
      if (system.cache) await system.cache.set('hot', { n: 1 })
    }
    for (let trial = 0; trial < warmup + trials; trial++) {
      for (const system of systems) {
        const old = system.n
        const armed = await reader.ask({ type: 'arm', system: system.id, key: 'hot', old })
        if (armed.type !== 'armed') throw new Error(`reader answered ${JSON.stringify(armed)}`)
        const seenPromise = reader.next()
        const started = process.hrtime.bigint()
        await system.write(old + 1)
        const seen = await seenPromise
        system.n = old + 1
        if (trial < warmup) continue
        if (!seen.ok) {
          lost++
          continue
        }
        system.samples.push(Number(BigInt(seen.at) - started) / 1000)
      }
    }
  } finally {
    await reader.close()
    for (const close of closers) await close()
  }
  if (systems.some((system) => system.samples.length === 0)) {
    throw new Error('propagation benchmark measured nothing for a system')
  }

  const stats = new Map(systems.map((system) => [system.name, latencyStats(system.samples)]))
  const rawPublish = (client) => stats.get(`raw ${client} PUBLISH → message`)
  const rows = [
    ['system', 'trials', 'p50 µs', 'p90 µs', 'p99 µs', 'max µs', 'p50 vs raw', 'p99 vs raw'],
  ]
  for (const system of systems) {
    const own = stats.get(system.name)
    const baseline = rawPublish(system.client)
    rows.push([
      system.kind === 'cacheplane' ? `**${system.name}**` : system.name,
      formatNumber(own.count),
      formatNumber(own.p50, 0),
      formatNumber(own.p90, 0),
      formatNumber(own.p99, 0),
      formatNumber(own.max, 0),
      formatRatio(own.p50 / baseline.p50),
      formatRatio(own.p99 / baseline.p99),
    ])
  }
  const targets = adapters.available.flatMap(({ entry }) => {
    const own = stats.get(`cacheplane (${entry.id}) set → reader's peek`)
    const baseline = rawPublish(entry.id)
    const floor = stats.get(`raw ${entry.id} one script: SET + PUBLISH`)
    return [
      target(
        `propagation p50 (${entry.id}) vs raw PUBLISH→message`,
        own.p50 / baseline.p50,
        '<=',
        1.1,
      ),
      target(
        `propagation p99 (${entry.id}) vs raw PUBLISH→message`,
        own.p99 / baseline.p99,
        '<=',
        1.5,
      ),
      target(
        `propagation p50 (${entry.id}) vs raw SET + PUBLISH in one script`,
        own.p50 / floor.p50,
        '<=',
        1.1,
        {
          note: "informative: one round trip that stores a value and announces it, as cacheplane's set does",
        },
      ),
    ]
  })
  if (lost > 0) {
    targets.push(
      target('trials where the reader never saw the change (5 s)', lost, '<=', 0, { unit: '' }),
    )
  }
  return {
    markdown: [
      `${formatNumber(trials)} trials per system (after ${warmup} warm-up trials), systems taking turns trial by trial. ` +
        'Writer: this process. Reader: a forked Node process that first holds the old value (for cacheplane: `get` fills its L1, checked with `peek`), ' +
        'then polls on every turn of its event loop (`setImmediate`): cacheplane with `peek`, raw with the last message its subscriber received. ' +
        'Latency: from just before the writer calls `set` (or `publish`) to the first poll that no longer sees the old value, on CLOCK_MONOTONIC, which both processes share. ' +
        "cacheplane's `set` stores the value and publishes its invalidation in one script call (decision 0011: the handle and the backplane share the client, and nothing else waits to be sent); " +
        '"raw one script: SET + PUBLISH" is that round trip done by hand with a two-line script, "raw SET, then PUBLISH" the two round trips a write-then-publish takes.',
      '',
      table(rows),
      '',
      `Lost (reader never saw the change within 5 s): ${lost}.`,
    ].join('\n'),
    charts: [
      {
        file: 'propagation.svg',
        title: 'Cross-process invalidation latency (µs, lower is better)',
        unit: 'µs',
        series: ['p50', 'p99'],
        rows: systems.map((system) => ({
          label: system.name,
          kind: system.kind,
          values: [stats.get(system.name).p50, stats.get(system.name).p99],
        })),
        note: `${formatNumber(trials)} trials each; writer and reader are separate Node processes on one Redis ${redis.serverVersion}.`,
      },
    ],
    targets,
  }
}
