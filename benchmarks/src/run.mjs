// `pnpm bench` (via `npm run bench` at the root): runs every measure against
// one Redis and writes benchmarks/RESULTS.md and benchmarks/charts/*.svg.
//
//   node src/run.mjs            full sizes, writes RESULTS.md and the charts
//   node src/run.mjs --smoke    tiny sizes, writes nothing, fails if a measure
//                               crashes or reads nothing (CI runs this)
//   node src/run.mjs --only=l1,l2   a subset (writes nothing)
import { mkdirSync, writeFileSync } from 'node:fs'
import { barChart } from './chart.mjs'
import { availableAdapters, clients } from './clients.mjs'
import { codecBenchmark } from './codec.mjs'
import { findings } from './findings.mjs'
import { formatNumber, machine, table } from './harness.mjs'
import { backplaneMemoryBenchmark } from './measures/backplane-memory.mjs'
import { backplaneRedisBenchmark } from './measures/backplane-redis.mjs'
import { fleetLockBenchmark } from './measures/fleet-lock.mjs'
import { l1Benchmark } from './measures/l1.mjs'
import { l2Benchmark } from './measures/l2.mjs'
import { memoryBenchmark } from './measures/memory.mjs'
import { propagationBenchmark } from './measures/propagation.mjs'
import { stampedeBenchmark } from './measures/stampede.mjs'
import { startBenchRedis } from './redis-server.mjs'
import { versionTable } from './versions.mjs'

/**
 * @typedef {object} MeasureContext
 * @property {boolean} smoke
 * @property {import('./redis-server.mjs').BenchRedis} redis
 * @property {{ available: { entry: import('./clients.mjs').ClientEntry, adapter: import('./clients.mjs').CacheplaneAdapter }[], missing: { entry: import('./clients.mjs').ClientEntry, reason: string }[], clients: import('./clients.mjs').ClientEntry[] }} adapters
 * @property {Record<string, MeasureResult>} results The measures run so far, by id (a measure may quote another's figures).
 */

/**
 * @typedef {object} MeasureResult
 * @property {string} markdown
 * @property {import('./chart.mjs').ChartSpec[]} [charts]
 * @property {ReturnType<typeof import('./harness.mjs').target>[]} [targets]
 */

const measures = [
  { id: 'l1', title: '1. L1 hit: `get` and `peek`', run: l1Benchmark },
  { id: 'l2', title: '2. L2 hit with a cold L1, 50 in flight', run: l2Benchmark },
  { id: 'propagation', title: '3. Cross-process invalidation latency', run: propagationBenchmark },
  { id: 'backplane', title: '4. Backplane throughput over Redis', run: backplaneRedisBenchmark },
  {
    id: 'backplane-memory',
    title: '4b. Backplane throughput through the in-process transport',
    run: backplaneMemoryBenchmark,
  },
  { id: 'memory', title: '5. L1 memory per entry', run: memoryBenchmark },
  {
    id: 'stampede',
    title: '6. Stampede: 1000 concurrent `getOrSet` on one key',
    run: stampedeBenchmark,
  },
  {
    id: 'fleet-lock',
    title: '6b. `getOrSet` with and without fleet-wide locking',
    run: fleetLockBenchmark,
  },
  { id: 'codec', title: 'Backplane codec', run: codecBenchmark },
]

const smoke = process.argv.includes('--smoke')
const onlyArgument = process.argv.find((argument) => argument.startsWith('--only='))
const only = onlyArgument?.slice('--only='.length).split(',')
const selected = only ? measures.filter((entry) => only.includes(entry.id)) : measures
const writeResults = !smoke && only === undefined
const started = Date.now()

const redis = await startBenchRedis()
const stopRedis = () => redis.stop().catch(() => {})
process.once('SIGINT', () => void stopRedis().then(() => process.exit(130)))
process.once('SIGTERM', () => void stopRedis().then(() => process.exit(143)))

const sections = []
const failures = []
let adapters
try {
  adapters = { ...(await availableAdapters()), clients }
  if (adapters.available.length === 0) {
    throw new Error(
      `no cacheplane Redis adapter loads (${adapters.missing.map((missing) => missing.reason).join('; ')}); build the packages first`,
    )
  }
  for (const { entry, reason } of adapters.missing) {
    console.log(`[bench] ${entry.adapterPackage} skipped: ${reason}`)
  }
  /** @type {MeasureContext} */
  const context = { smoke, redis, adapters, results: {} }
  for (const entry of selected) {
    const measureStarted = Date.now()
    console.log(`\n[bench] ${entry.title} ...`)
    try {
      const result = await entry.run(context)
      const seconds = (Date.now() - measureStarted) / 1000
      console.log(`\n## ${entry.title}\n\n${result.markdown}\n`)
      for (const item of result.targets ?? []) {
        // An informative figure has no goal: its threshold only frames it.
        const verdict = item.note?.startsWith('informative')
          ? 'info  '
          : item.met
            ? 'met   '
            : 'MISSED'
        console.log(`  ${verdict} ${item.name}: ${item.text}`)
      }
      console.log(`[bench] ${entry.id} took ${formatNumber(seconds, 1)} s`)
      sections.push({ ...entry, result })
      context.results[entry.id] = result
    } catch (error) {
      console.error(`[bench] ${entry.id} FAILED:`, error)
      failures.push(entry.id)
    }
  }
} finally {
  await stopRedis()
}

if (writeResults && failures.length === 0) writeReport()
console.log(`\n[bench] done in ${formatNumber((Date.now() - started) / 1000, 1)} s`)
// One closing line in the form test summaries read: each measure is one check.
console.log(`benchmarks: ${sections.length} passed, ${failures.length} failed`)
if (failures.length > 0) {
  console.error(`[bench] failed: ${failures.join(', ')}`)
  process.exit(1)
}
// Clients and children are closed; anything left (a peer's timer) must not keep the run alive.
process.exit(0)

function writeReport() {
  const chartsDirectory = new URL('../charts/', import.meta.url)
  mkdirSync(chartsDirectory, { recursive: true })
  const allTargets = sections.flatMap((section) =>
    (section.result.targets ?? []).map((item) => ({ ...item, section })),
  )
  const summary = table([
    ['measure', 'target', 'measured', 'verdict'],
    ...allTargets.map((item) => [
      item.section.title.replace(/^[\d.b]+\s*/, '').split(':')[0],
      item.name,
      item.text,
      item.note?.startsWith('informative') ? 'informative' : item.met ? 'met' : '**missed**',
    ]),
  ])
  const body = sections.map((section) => {
    const charts = (section.result.charts ?? []).map((spec) => {
      writeFileSync(new URL(spec.file, chartsDirectory), barChart(spec))
      return `![${spec.title}](charts/${spec.file})`
    })
    const verdicts = (section.result.targets ?? []).map(
      (item) =>
        `- ${item.note?.startsWith('informative') ? 'Informative' : item.met ? 'Met' : '**Missed**'}: ${item.name}: ${item.text}.${item.note ? ` (${item.note.replace(/^informative: /, '')})` : ''}`,
    )
    const missed = (section.result.targets ?? []).some(
      (item) => !item.met && !item.note?.startsWith('informative'),
    )
    const notes = findings[section.id]?.({ missed, result: section.result })
    return [
      `## ${section.title}`,
      '',
      ...charts.flatMap((chart) => [chart, '']),
      section.result.markdown,
      '',
      ...(verdicts.length > 0 ? ['Targets:', '', ...verdicts, ''] : []),
      ...(notes ? [notes, ''] : []),
    ].join('\n')
  })
  const missingAdapters = adapters.missing.map(
    ({ entry, reason }) => `- ${entry.adapterPackage}: not measured (${reason}).`,
  )
  const report = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}; the whole run took ${formatNumber((Date.now() - started) / 60_000, 1)} minutes.`,
    '',
    `Machine: ${machine()}. Redis ${redis.serverVersion} on loopback (${redis.strategy === 'url' ? 'REDIS_URL' : 'a throwaway redis-server started by the run'}), shared by every system.`,
    '',
    '> These figures were taken on a 2-core machine while other test suites ran on it, so they are noisy;',
    '> the ratios (each against a raw baseline measured in the same interleaved rounds) are the figures to read.',
    '> The lead re-takes them on a quiet machine before a release.',
    '',
    '## Summary',
    '',
    summary,
    '',
    ...(missingAdapters.length > 0 ? ['Adapters not measured:', '', ...missingAdapters, ''] : []),
    '## Versions',
    '',
    versionTable([
      '@cacheplane/core',
      '@cacheplane/memory',
      ...clients.map((entry) => entry.adapterPackage),
      ...clients.map((entry) => entry.clientPackage),
      'lru-cache',
      'cbor-x',
      'bentocache',
      'cache-manager',
      'cacheable',
      'keyv',
      '@keyv/redis',
      'layered-loader',
    ]),
    '',
    ...body,
  ].join('\n')
  writeFileSync(new URL('../RESULTS.md', import.meta.url), `${report}\n`)
  console.log('\n[bench] wrote benchmarks/RESULTS.md and benchmarks/charts/*.svg')
}
