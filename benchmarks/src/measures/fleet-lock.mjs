// Measure 6b: what fleet-wide locking costs a miss. `getOrSet` on a key that
// nobody holds (a fresh one each call), the factory answering at once, with
// `fleetLock: false` and `fleetLock: true` on the same cache in interleaved
// rounds, 1 and 50 calls in flight. A hit never takes the lock, so this is
// the whole price; the gain is the stampede of measure 6.
import {
  formatNumber,
  formatRatio,
  formatSpread,
  inFlight,
  measure,
  pairedRatio,
  table,
  target,
} from '../harness.mjs'
import { cacheplaneOnRedis, productValue } from '../systems.mjs'

const concurrencies = [1, 50]

const taskName = (client, concurrency, fleetLock) =>
  `cacheplane (${client}), ${concurrency} in flight, fleetLock ${fleetLock ? 'on' : 'off'}`

/** @param {import('../run.mjs').MeasureContext} context */
export async function fleetLockBenchmark({ smoke, redis, adapters, results: earlier }) {
  const tasks = []
  const closers = []
  let calls = 0
  let factoryCalls = 0
  let wrong = 0
  let results
  try {
    for (const adapter of adapters.available) {
      const system = await cacheplaneOnRedis({
        name: `${redis.runId}-fleetlock-${adapter.entry.id}`,
        redis: adapter,
        url: redis.url,
      })
      closers.push(system.close)
      for (const concurrency of concurrencies) {
        for (const fleetLock of [false, true]) {
          const prefix = `miss:${concurrency}:${fleetLock ? 'locked' : 'unlocked'}:`
          const options = { fleetLock }
          let next = 0
          const missOnce = async () => {
            const index = next++
            calls++
            const value = await system.cache.getOrSet(
              `${prefix}${index}`,
              () => {
                factoryCalls++
                return productValue(index)
              },
              options,
            )
            if (value?.id !== index) wrong++
          }
          tasks.push({
            name: taskName(adapter.entry.id, concurrency, fleetLock),
            client: adapter.entry.id,
            concurrency,
            fleetLock,
            run: (operations) => inFlight(concurrency, operations, missOnce),
          })
        }
      }
    }
    results = await measure(tasks, {
      rounds: smoke ? 2 : 9,
      sampleMs: smoke ? 10 : 150,
      maxOperations: smoke ? 200 : undefined,
    })
  } finally {
    for (const close of closers) await close()
  }
  if (calls === 0) throw new Error('fleet-lock benchmark made no call')
  if (factoryCalls !== calls) {
    throw new Error(`fleet-lock benchmark: ${factoryCalls} factory calls for ${calls} misses`)
  }
  if (wrong > 0) throw new Error(`fleet-lock benchmark: ${wrong} calls returned another value`)

  const byName = new Map(results.map((result) => [result.name, result]))
  const rows = [['task', 'misses/s', 'µs per miss (throughput)', 'spread', 'vs fleetLock off']]
  const ratios = []
  for (const task of tasks) {
    const result = byName.get(task.name)
    const unlocked = byName.get(taskName(task.client, task.concurrency, false))
    const ratio = pairedRatio(result, unlocked)
    if (task.fleetLock) ratios.push({ client: task.client, concurrency: task.concurrency, ratio })
    rows.push([
      task.fleetLock ? `**${task.name}**` : task.name,
      formatNumber(result.opsPerSecond),
      formatNumber(result.nsPerOperation / 1000, 1),
      formatSpread(result.spread),
      formatRatio(ratio),
    ])
  }

  const stampede = earlier?.stampede?.fleetLock ?? []
  const stampedeRows = [
    [
      'client',
      'factory calls, no fleetLock (worst)',
      'factory calls, fleetLock (worst)',
      'ms to serve all, no fleetLock',
      'ms to serve all, fleetLock',
    ],
    ...stampede.map((item) => [
      item.client,
      formatNumber(item.unlocked.calls),
      formatNumber(item.locked.calls),
      formatNumber(item.unlocked.ms, 1),
      formatNumber(item.locked.ms, 1),
    ]),
  ]

  const targets = ratios.map((item) =>
    target(
      `getOrSet miss with fleetLock vs without (${item.client}, ${item.concurrency} in flight)`,
      item.ratio,
      '>=',
      0.5,
      { note: 'informative: the price of the lock, paid on a miss only' },
    ),
  )
  return {
    markdown: [
      'The cost of a miss: `getOrSet` on a key nobody holds (a fresh key each call), the factory answering at once with a small object, ' +
        'memory L1 over Redis L2 with the Redis backplane, `fleetLock` off and on for the same cache in interleaved rounds. ' +
        'A miss without the lock reads the L2, runs the factory and writes the entry (one script), then publishes; ' +
        'with the lock it also takes the lock (one script), reads the L2 again (the value may have landed meanwhile), and releases the lock after the write (one script, not awaited). ' +
        'Hits never take the lock.',
      '',
      table(rows),
      '',
      stampede.length > 0
        ? `What the lock buys, from measure 6: 1,000 concurrent \`getOrSet\` per process on one missing key, 2 processes, the factory a 20 ms timer.\n\n${table(stampedeRows)}`
        : 'The stampede figures (measure 6) were not part of this run (`--only`).',
    ].join('\n'),
    charts: [
      {
        file: 'fleet-lock.svg',
        title: 'getOrSet miss, fleetLock off and on (misses/s, higher is better)',
        unit: 'misses/s',
        series: ['fleetLock off', 'fleetLock on'],
        rows: tasks
          .filter((task) => !task.fleetLock)
          .map((task) => ({
            label: `${task.client}, ${task.concurrency} in flight`,
            kind: 'cacheplane',
            values: [false, true].map(
              (fleetLock) =>
                byName.get(taskName(task.client, task.concurrency, fleetLock)).opsPerSecond,
            ),
          })),
        note: 'A fresh key each call, the factory answering at once; memory L1, Redis L2, Redis backplane.',
      },
    ],
    targets,
    ratios,
  }
}
