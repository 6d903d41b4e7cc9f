// Measure 1: an L1 hit. `get` (awaited) and `peek` on hot keys, against raw
// Map and lru-cache and against the peers' own L1 hit, in interleaved rounds.
import { LRUCache } from 'lru-cache'
import {
  formatNumber,
  formatRatio,
  formatSpread,
  measure,
  pairedRatio,
  table,
  target,
} from '../harness.mjs'
import { peers } from '../peers.mjs'
import { cacheplaneOnRedis, productValue } from '../systems.mjs'

/** @param {import('../run.mjs').MeasureContext} context */
export async function l1Benchmark({ smoke, redis, adapters }) {
  const keyCount = smoke ? 1_000 : 10_000
  const keys = Array.from({ length: keyCount }, (_, index) => `product:${index}`)
  const values = keys.map((_, index) => productValue(index))
  const [primary] = adapters.available
  if (primary === undefined) throw new Error('no cacheplane Redis adapter is available')

  const map = new Map()
  const lru = new LRUCache({ max: keyCount * 2 })
  for (let index = 0; index < keyCount; index++) {
    map.set(keys[index], values[index])
    lru.set(keys[index], values[index])
  }
  const system = await cacheplaneOnRedis({
    name: `${redis.runId}-l1`,
    redis: primary,
    url: redis.url,
    maxEntries: keyCount * 2,
  })
  const cache = system.cache
  for (let index = 0; index < keyCount; index++) await cache.set(keys[index], values[index])

  const peerCaches = []
  for (const peer of peers) {
    const peerCache = await peer.create({
      namespace: `${redis.runId}-l1-${peerCaches.length}`,
      maxEntries: keyCount * 2,
      layers: 'memory',
    })
    for (let index = 0; index < keyCount; index++) await peerCache.set(keys[index], values[index])
    peerCaches.push({ peer, cache: peerCache })
  }

  // The loops of the raw and cacheplane tasks are written out, one per task:
  // a shared loop taking a read function would make its call site megamorphic
  // and slow every task down alike (peers share one loop; their reads cost
  // microseconds, where that does not show).
  let hits = 0
  let misses = 0
  const count = (value) => {
    if (value === undefined || value === null) misses++
    else hits++
  }
  const peerGet = (peerCache) => async (operations) => {
    for (let index = 0; index < operations; index++) {
      count(await peerCache.get(keys[index % keyCount]))
    }
  }
  const peerPeek = (peerCache) => (operations) => {
    for (let index = 0; index < operations; index++) count(peerCache.peek(keys[index % keyCount]))
  }
  const getTasks = [
    {
      name: 'Map.get (raw)',
      kind: 'raw',
      run(operations) {
        for (let index = 0; index < operations; index++) {
          if (map.get(keys[index % keyCount]) === undefined) misses++
          else hits++
        }
      },
    },
    {
      name: 'lru-cache get (raw)',
      kind: 'raw',
      run(operations) {
        for (let index = 0; index < operations; index++) {
          if (lru.get(keys[index % keyCount]) === undefined) misses++
          else hits++
        }
      },
    },
    {
      name: 'cacheplane `await get`',
      kind: 'cacheplane',
      async run(operations) {
        for (let index = 0; index < operations; index++) {
          if ((await cache.get(keys[index % keyCount])) === undefined) misses++
          else hits++
        }
      },
    },
    ...peerCaches.map(({ peer, cache: peerCache }) => ({
      name: `${peer.name} \`await get\``,
      kind: 'peer',
      run: peerGet(peerCache),
    })),
  ]
  const peekTasks = [
    {
      name: 'cacheplane `peek`',
      kind: 'cacheplane',
      run(operations) {
        for (let index = 0; index < operations; index++) {
          if (cache.peek(keys[index % keyCount]) === undefined) misses++
          else hits++
        }
      },
    },
    ...peerCaches
      .filter(({ cache: peerCache }) => peerCache.peek !== undefined)
      .map(({ peer, cache: peerCache }) => ({
        name: `${peer.name} sync L1 read`,
        kind: 'peer',
        run: peerPeek(peerCache),
      })),
  ]
  // cacheplane right after the raw baselines, so that each ratio pairs runs back to back.
  const tasks = [...getTasks.slice(0, 3), peekTasks[0], ...getTasks.slice(3), ...peekTasks.slice(1)]
  const results = await measure(tasks, {
    rounds: smoke ? 3 : 31,
    sampleMs: smoke ? 5 : 25,
  })
  await system.close()
  for (const { cache: peerCache } of peerCaches) await peerCache.close()
  if (hits === 0) throw new Error('L1 benchmark read nothing')
  if (misses > 0) throw new Error(`L1 benchmark missed ${misses} times: not an L1 hit measure`)

  const byName = new Map(results.map((result) => [result.name, result]))
  const lruResult = byName.get('lru-cache get (raw)')
  const get = byName.get('cacheplane `await get`')
  const ratio = (result, baseline) =>
    result === undefined || baseline === undefined ? Number.NaN : pairedRatio(result, baseline)

  const rows = [['task', 'ops/s', 'ns/op', 'spread', 'vs raw lru-cache', 'cacheplane `get` vs it']]
  for (const task of tasks) {
    const result = byName.get(task.name)
    rows.push([
      task.kind === 'cacheplane' ? `**${task.name}**` : task.name,
      formatNumber(result.opsPerSecond),
      formatNumber(result.nsPerOperation, 1),
      formatSpread(result.spread),
      formatRatio(ratio(result, lruResult)),
      task.kind === 'peer' ? formatRatio(ratio(get, result)) : '',
    ])
  }
  const targets = [
    target('L1 `await get` vs raw lru-cache', ratio(get, lruResult), '>=', 0.2),
    target(
      'L1 `await get` vs BentoCache (default, serializing L1)',
      ratio(get, byName.get('bentocache `await get`')),
      '>=',
      40,
    ),
    target(
      'L1 `await get` vs BentoCache (`serialize: false`)',
      ratio(get, byName.get('bentocache (serialize: false) `await get`')),
      '>=',
      40,
      {
        note: 'informative: the target is set against BentoCache as users get it (default options)',
      },
    ),
    target(
      'L1 `peek` vs raw lru-cache',
      ratio(byName.get('cacheplane `peek`'), lruResult),
      '>=',
      0.7,
    ),
  ]
  return {
    markdown: [
      `${formatNumber(keyCount)} hot keys, every read an L1 hit, keys read round-robin. ` +
        `cacheplane is deployed as designed: memory L1 in front of a Redis L2 (${primary.entry.id}) with the Redis backplane. ` +
        'The peers are configured with their in-process memory layer only (their L1 hit path). ' +
        'Interleaved rounds of about 25 ms per task (31 rounds); ops/s from the median round, spread = half the interquartile range; ratios are the median of per-round ratios (each pair ran back to back).',
      '',
      table(rows),
    ].join('\n'),
    charts: [
      {
        file: 'l1-hit.svg',
        title: `L1 hit, ${formatNumber(keyCount)} hot keys (ops/s, higher is better)`,
        unit: 'ops/s',
        series: ['ops/s'],
        rows: tasks.map((task) => ({
          label: task.name.replaceAll('`', ''),
          kind: task.kind,
          values: [byName.get(task.name).opsPerSecond],
        })),
        note: 'Awaited get per call; peek and the sync reads are synchronous. Same process, same keys, interleaved rounds.',
      },
    ],
    targets,
  }
}
