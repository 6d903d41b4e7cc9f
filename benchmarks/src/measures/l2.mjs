// Measure 2: an L2 hit with a cold L1, 50 gets in flight. cacheplane with no
// L1 and with an L1 emptied before every round, against raw GET on each Redis
// client at the same concurrency and against the peers with a Redis L2.
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
import { peers } from '../peers.mjs'
import { cacheplaneOnRedis, productValue } from '../systems.mjs'

const concurrency = 50

/** @param {import('../run.mjs').MeasureContext} context */
export async function l2Benchmark({ smoke, redis, adapters }) {
  const keyCount = smoke ? 500 : 10_000
  const keys = Array.from({ length: keyCount }, (_, index) => `product:${index}`)
  const values = keys.map((_, index) => productValue(index))
  const closers = []
  let hits = 0
  let misses = 0
  const count = (value) => {
    if (value === undefined || value === null) misses++
    else hits++
  }
  // Every round reads each key once, so an L1 emptied before the round stays cold.
  const readAll = (read) => (operations) =>
    inFlight(concurrency, operations, async (index) => count(await read(keys[index % keyCount])))

  const tasks = []
  for (const entry of adapters.clients) {
    const { raw } = await entry.connect(redis.url)
    closers.push(raw.close)
    const prefix = `${redis.runId}:raw:${entry.id}:`
    for (let index = 0; index < keyCount; index++) {
      await raw.set(`${prefix}${keys[index]}`, JSON.stringify(values[index]))
    }
    tasks.push({
      name: `raw ${entry.id} GET`,
      kind: 'raw',
      client: entry.id,
      run: readAll((key) => raw.get(`${prefix}${key}`)),
    })
    // This client's cacheplane tasks right after its raw GET: each ratio pairs runs back to back.
    for (const adapter of adapters.available.filter((item) => item.entry === entry)) {
      for (const withL1 of [false, true]) {
        const system = await cacheplaneOnRedis({
          name: `${redis.runId}-l2-${adapter.entry.id}-${withL1 ? 'l1' : 'nol1'}`,
          redis: adapter,
          url: redis.url,
          maxEntries: keyCount * 2,
          l1: withL1,
          backplane: false,
        })
        closers.push(system.close)
        for (let index = 0; index < keyCount; index++) {
          await system.cache.set(keys[index], values[index])
        }
        tasks.push({
          name: withL1
            ? `cacheplane (${adapter.entry.id}), L1 emptied each round`
            : `cacheplane (${adapter.entry.id}), no L1`,
          kind: 'cacheplane',
          client: adapter.entry.id,
          beforeRound: withL1 ? () => system.l1.clear() : undefined,
          run: readAll((key) => system.cache.get(key)),
        })
      }
    }
  }
  for (const peer of peers) {
    const peerCache = await peer.create({
      namespace: `${redis.runId}-l2-${tasks.length}`,
      maxEntries: keyCount * 2,
      url: redis.url,
      layers: 'redis',
    })
    closers.push(peerCache.close)
    for (let index = 0; index < keyCount; index++) await peerCache.set(keys[index], values[index])
    tasks.push({
      name: `${peer.name}, Redis layer only`,
      kind: 'peer',
      run: readAll((key) => peerCache.get(key)),
    })
  }

  let results
  try {
    for (const task of tasks) task.operations = keyCount
    results = await measure(tasks, { rounds: smoke ? 2 : 9 })
  } finally {
    for (const close of closers) await close()
  }
  if (hits === 0) throw new Error('L2 benchmark read nothing')
  if (misses > 0) throw new Error(`L2 benchmark missed ${misses} times: not an L2 hit measure`)

  const byName = new Map(results.map((result) => [result.name, result]))
  const rawOf = (client) => byName.get(`raw ${client} GET`)
  const rows = [
    ['task', 'gets/s', 'µs/get (throughput)', 'spread', 'vs raw GET (same client; peers: ioredis)'],
  ]
  for (const task of tasks) {
    const result = byName.get(task.name)
    const baseline = task.client === undefined ? undefined : rawOf(task.client)
    rows.push([
      task.kind === 'cacheplane' ? `**${task.name}**` : task.name,
      formatNumber(result.opsPerSecond),
      formatNumber(result.nsPerOperation / 1000, 2),
      formatSpread(result.spread),
      baseline === undefined
        ? formatRatio(pairedRatio(result, rawOf('ioredis')))
        : formatRatio(pairedRatio(result, baseline)),
    ])
  }
  const targets = adapters.available.flatMap(({ entry }) => {
    const noL1 = pairedRatio(byName.get(`cacheplane (${entry.id}), no L1`), rawOf(entry.id))
    const coldL1 = pairedRatio(
      byName.get(`cacheplane (${entry.id}), L1 emptied each round`),
      rawOf(entry.id),
    )
    return [
      target(`L2 hit, no L1 (${entry.id}) vs raw ${entry.id} GET, 50 in flight`, noL1, '>=', 1.2),
      target(
        `L2 hit, cold L1 (${entry.id}) vs raw ${entry.id} GET, 50 in flight`,
        coldL1,
        '>=',
        1.2,
      ),
    ]
  })
  return {
    markdown: [
      `${formatNumber(keyCount)} keys in Redis, each read once per round with ${concurrency} reads in flight; ` +
        'a round is timed from the first call to the last answer. Raw GET reads a JSON string of the same value without parsing it; ' +
        'cacheplane and the peers decode their stored format. "L1 emptied each round": a memory L1 in front, cleared (untimed) before each round, ' +
        'so every get misses L1, hits L2 and fills L1. The peers are configured with their Redis layer only.',
      '',
      table(rows),
    ].join('\n'),
    charts: [
      {
        file: 'l2-hit.svg',
        title: `L2 hit, cold L1, ${concurrency} in flight (gets/s, higher is better)`,
        unit: 'gets/s',
        series: ['gets/s'],
        rows: tasks.map((task) => ({
          label: task.name,
          kind: task.kind,
          values: [byName.get(task.name).opsPerSecond],
        })),
        note: `${formatNumber(keyCount)} keys, one Redis ${redis.serverVersion} on loopback shared by all, interleaved rounds.`,
      },
    ],
    targets,
  }
}
