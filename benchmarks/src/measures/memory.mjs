// Measure 5: L1 memory per entry. Each system fills 100k entries in a fresh
// process started with --expose-gc (memory-child.mjs); repeated in turns, the
// median kept.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { formatNumber, formatRatio, quantile, table, target } from '../harness.mjs'
import { peers } from '../peers.mjs'

const run = promisify(execFile)
const child = fileURLToPath(new URL('./memory-child.mjs', import.meta.url))

async function measureOne(system, entries) {
  const { stdout } = await run(process.execPath, ['--expose-gc', child, system, String(entries)], {
    timeout: 120_000,
    maxBuffer: 1 << 20,
  })
  const line = stdout.trim().split('\n').at(-1)
  return JSON.parse(line)
}

/** @param {import('../run.mjs').MeasureContext} context */
export async function memoryBenchmark({ smoke }) {
  // Large enough in the smoke run too for the heap delta to stand clear of GC noise.
  const entries = smoke ? 20_000 : 100_000
  const repeats = smoke ? 1 : 3
  const systems = [
    { name: 'Map (raw)', kind: 'raw' },
    { name: 'lru-cache (raw)', kind: 'raw' },
    { name: 'cacheplane L1', kind: 'cacheplane' },
    ...peers.map((peer) => ({ name: peer.name, kind: 'peer' })),
  ]
  for (const system of systems) system.samples = []
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const system of systems) system.samples.push(await measureOne(system.name, entries))
  }
  for (const system of systems) {
    const median = (field) =>
      quantile(
        system.samples.map((sample) => sample[field]).sort((a, b) => a - b),
        0.5,
      )
    system.cacheBytes = median('cacheBytes')
    system.keyValueBytes = median('keyValueBytes')
    system.totalBytes = system.cacheBytes + system.keyValueBytes
    if (!(system.cacheBytes > 0)) throw new Error(`${system.name}: measured no memory`)
  }
  const lru = systems.find((system) => system.name === 'lru-cache (raw)')
  const cacheplane = systems.find((system) => system.name === 'cacheplane L1')
  const rows = [
    [
      'system',
      'cache bytes/entry',
      'key + value bytes/entry',
      'total bytes/entry',
      'total vs raw lru-cache',
      'cache bytes vs raw lru-cache',
    ],
  ]
  for (const system of systems) {
    rows.push([
      system.kind === 'cacheplane' ? `**${system.name}**` : system.name,
      formatNumber(system.cacheBytes),
      formatNumber(system.keyValueBytes),
      formatNumber(system.totalBytes),
      formatRatio(system.totalBytes / lru.totalBytes),
      formatRatio(system.cacheBytes / lru.cacheBytes),
    ])
  }
  return {
    markdown: [
      `${formatNumber(entries)} entries (\`product:<n>\` keys, product objects of 4 fields as values), each system in a fresh Node process with \`--expose-gc\`, ` +
        `${repeats} run(s) each in turns, median. "key + value": the heap the keys and values take by themselves (built before the cache); ` +
        '"cache bytes": what filling the cache added to the JS heap plus array buffers, divided by the entries. ' +
        'cacheplane is measured as an L1 (memory handle over a source that stores nothing, standing in for Redis). ' +
        'Peers: memory layer only; BentoCache serializes values to JSON strings in its L1 by default, so its "cache bytes" include the copies.',
      '',
      table(rows),
    ].join('\n'),
    charts: [
      {
        file: 'memory-per-entry.svg',
        title: `L1 memory per entry, ${formatNumber(entries)} entries (bytes, lower is better)`,
        unit: 'B',
        series: ['cache bytes/entry', 'total with key and value'],
        rows: systems.map((system) => ({
          label: system.name,
          kind: system.kind,
          values: [system.cacheBytes, system.totalBytes],
        })),
        note: 'Heap used plus array buffers after a full GC, fresh process per system.',
      },
    ],
    targets: [
      target(
        'L1 bytes per entry (key and value included) vs raw lru-cache',
        cacheplane.totalBytes / lru.totalBytes,
        '<=',
        1.1,
      ),
      target(
        'L1 cache overhead per entry (without key and value) vs raw lru-cache',
        cacheplane.cacheBytes / lru.cacheBytes,
        '<=',
        1.1,
        {
          note: 'informative: the stricter reading, the structure alone',
        },
      ),
    ],
  }
}
