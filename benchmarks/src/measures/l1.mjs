// Measure 1: L1 hit `get` and `peek` on 10k hot keys, against raw Map and lru-cache.
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { LRUCache } from 'lru-cache'
import { formatNumber, measure, table } from './harness.mjs'

export async function l1Benchmark({ smoke }) {
  const keyCount = smoke ? 1_000 : 10_000
  const keys = Array.from({ length: keyCount }, (_, index) => `product:${index}`)
  const value = { id: 1, name: 'Kettle', price: 30 }

  const map = new Map()
  const lru = new LRUCache({ max: keyCount * 2 })
  const cache = createCache({
    name: 'bench',
    handles: [
      memoryHandle({ maxEntries: keyCount * 2 }),
      memoryHandle({ maxEntries: keyCount * 2 }),
    ],
    defaults: { ttl: '1h' },
  })
  for (const key of keys) {
    map.set(key, value)
    lru.set(key, value)
    await cache.set(key, value)
  }

  let sink = 0
  const tasks = [
    {
      name: 'Map.get (raw)',
      run(operations) {
        for (let index = 0; index < operations; index++)
          if (map.get(keys[index % keyCount]) !== undefined) sink++
      },
    },
    {
      name: 'lru-cache get (raw)',
      run(operations) {
        for (let index = 0; index < operations; index++)
          if (lru.get(keys[index % keyCount]) !== undefined) sink++
      },
    },
    {
      name: 'cacheplane peek',
      run(operations) {
        for (let index = 0; index < operations; index++)
          if (cache.peek(keys[index % keyCount]) !== undefined) sink++
      },
    },
    {
      name: 'cacheplane await get',
      async run(operations) {
        for (let index = 0; index < operations; index++) {
          if ((await cache.get(keys[index % keyCount])) !== undefined) sink++
        }
      },
    },
  ]
  const results = await measure(tasks, {
    rounds: smoke ? 3 : 15,
    operations: smoke ? 20_000 : 1_000_000,
  })
  await cache.close()
  if (sink === 0) throw new Error('benchmark read nothing')

  const lruResult = results.find((result) => result.name === 'lru-cache get (raw)')
  const ratio = (name) =>
    results.find((result) => result.name === name).opsPerSecond / lruResult.opsPerSecond
  const rows = [['task', 'ops/s', 'ns/op', 'vs raw lru-cache']]
  for (const result of results) {
    rows.push([
      result.name,
      formatNumber(result.opsPerSecond),
      formatNumber(result.nsPerOperation, 1),
      `${formatNumber(result.opsPerSecond / lruResult.opsPerSecond, 2)}x`,
    ])
  }
  const getRatio = ratio('cacheplane await get')
  const peekRatio = ratio('cacheplane peek')
  return {
    title: 'L1 hit: get and peek on hot keys',
    markdown: [
      `${formatNumber(keyCount)} hot keys, all in L1 (memory L1 over a memory L2), interleaved rounds, median.`,
      '',
      table(rows),
      '',
      `Targets: \`await get\` >= 0.2x raw lru-cache: **${formatNumber(getRatio, 2)}x** (${getRatio >= 0.2 ? 'met' : 'MISSED'}); ` +
        `\`peek\` >= 0.7x: **${formatNumber(peekRatio, 2)}x** (${peekRatio >= 0.7 ? 'met' : 'MISSED'}).`,
    ].join('\n'),
    figures: { getRatio, peekRatio, results },
  }
}
