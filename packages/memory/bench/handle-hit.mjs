// What the memory handle's store does to a cache's L1 hit: `cache.peek` and
// `await cache.get` on 10,000 hot keys, as benchmarks/src/measures/l1.mjs
// measures them, against a raw lru-cache `get` in the same process.
//
//   pnpm --filter @cacheplane/core --filter @cacheplane/memory build
//   node packages/memory/bench/handle-hit.mjs [rounds=31] [repeats=3]
//
// Three L1s, each in processes of its own (one handle class per process, as in
// an application, so core's call into the handle stays monomorphic):
// the memory handle as built in dist/ (on ClockCache, decision 0009), and
// handle-copy.mjs (the handle's read path) over lru-cache, standing in for the
// handle before its own store, and over ClockCache. The L1 sits over a
// source that stores nothing (no Redis: an L1 hit never reaches it). Ratios
// are medians of per-round ratios to the raw get; each L1 runs `repeats`
// times in turns, and the median run is reported.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createCache } from '@cacheplane/core'
import { LRUCache } from 'lru-cache'
import ts from 'typescript'

const here = fileURLToPath(new URL('.', import.meta.url))
const HOT_KEYS = 10_000
const SAMPLE_MS = 25
const systems = ['memory handle (dist)', 'handle copy on lru-cache', 'handle copy on ClockCache']

const [mode, ...rest] = process.argv.slice(2)
if (mode === 'child') await child(rest[0], Number(rest[1]), rest[2])
else main(Number(mode ?? 31), Number(rest[0] ?? 3))

function main(rounds, repeats) {
  const source = readFileSync(join(here, '../src/clock-cache.ts'), 'utf8')
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  })
  const folder = mkdtempSync(join(tmpdir(), 'cacheplane-clock-'))
  const compiled = join(folder, 'clock-cache.mjs')
  writeFileSync(compiled, outputText)
  const runs = new Map(systems.map((system) => [system, []]))
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const system of systems) {
        const output = execFileSync(
          process.execPath,
          [fileURLToPath(import.meta.url), 'child', system, String(rounds), compiled],
          { encoding: 'utf8', timeout: 300_000 },
        )
        runs.get(system).push(JSON.parse(output.trim().split('\n').at(-1)))
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
  const rows = [
    ['L1', 'raw lru-cache get ns', 'peek ns', 'peek vs raw', 'await get ns', 'await get vs raw'],
  ]
  for (const [system, results] of runs) {
    const middle = (field) => median(results.map((result) => result[field]))
    rows.push([
      system,
      middle('rawNs').toFixed(1),
      middle('peekNs').toFixed(1),
      `${middle('peekRatio').toFixed(2)}x`,
      middle('getNs').toFixed(1),
      `${middle('getRatio').toFixed(2)}x`,
    ])
  }
  console.log(`Node ${process.version}, ${rounds} rounds, ${repeats} processes per L1\n`)
  console.log(table(rows))
}

async function child(system, rounds, compiled) {
  const keys = Array.from({ length: HOT_KEYS }, (_, index) => `product:${index}`)
  const values = keys.map((_, index) => ({
    id: index,
    name: `Kettle ${index}`,
    price: 30,
    stock: 1,
  }))
  const raw = new LRUCache({ max: HOT_KEYS * 2 })
  for (let index = 0; index < HOT_KEYS; index++) raw.set(keys[index], values[index])

  const maxEntries = HOT_KEYS * 2
  let l1
  if (system === 'memory handle (dist)') {
    const { memoryHandle } = await import('../dist/index.js')
    l1 = memoryHandle({ maxEntries })
  } else {
    const { handleCopy } = await import('./handle-copy.mjs')
    const regionKeys = (key) => typeof key !== 'string'
    if (system === 'handle copy on lru-cache') {
      l1 = handleCopy(
        new LRUCache({
          max: maxEntries,
          dispose: (_entry, key, reason) => reason !== 'set' && regionKeys(key),
        }),
      )
    } else {
      const { ClockCache } = await import(pathToFileURL(compiled).href)
      l1 = handleCopy(new ClockCache({ maxEntries, onEvict: regionKeys }))
    }
  }
  const cache = createCache({
    name: 'hit',
    handles: [l1, nullSourceHandle()],
    defaults: { ttl: '1h' },
  })
  for (let index = 0; index < HOT_KEYS; index++) await cache.set(keys[index], values[index])

  let misses = 0
  const tasks = {
    raw(operations) {
      for (let index = 0; index < operations; index++) {
        if (raw.get(keys[index % HOT_KEYS]) === undefined) misses++
      }
    },
    peek(operations) {
      for (let index = 0; index < operations; index++) {
        if (cache.peek(keys[index % HOT_KEYS]) === undefined) misses++
      }
    },
    async get(operations) {
      for (let index = 0; index < operations; index++) {
        if ((await cache.get(keys[index % HOT_KEYS])) === undefined) misses++
      }
    },
  }
  const counts = {}
  for (const [name, run] of Object.entries(tasks)) counts[name] = await calibrate(run)
  const samples = { raw: [], peek: [], get: [] }
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(tasks)) {
      const started = process.hrtime.bigint()
      await run(counts[name])
      samples[name].push(Number(process.hrtime.bigint() - started) / counts[name])
    }
  }
  if (misses > 0) throw new Error(`${system}: ${misses} reads missed L1`)
  await cache.close()
  const ratio = (name) => median(samples[name].map((ns, round) => samples.raw[round] / ns))
  console.log(
    JSON.stringify({
      rawNs: median(samples.raw),
      peekNs: median(samples.peek),
      getNs: median(samples.get),
      peekRatio: ratio('peek'),
      getRatio: ratio('get'),
    }),
  )
  process.exit(0)
}

/** A backplane source that stores nothing, standing in for Redis (as in the repository's benchmarks). */
function nullSourceHandle() {
  let version = 0
  return {
    specificationVersion: 'v1',
    kind: 'null',
    capabilities: { distributed: true, ttlPrecision: 1, cas: false, batch: false },
    attach() {},
    get: () => undefined,
    set: () => ++version,
    add: () => ++version,
    delete: () => false,
    expire: () => false,
    clear() {},
    clearRegion() {},
    close() {},
  }
}

async function calibrate(run) {
  let count = 64
  for (let attempt = 0; attempt < 30; attempt++) {
    const started = process.hrtime.bigint()
    await run(count)
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
    if (elapsedMs >= SAMPLE_MS) return Math.max(64, Math.round((count * SAMPLE_MS) / elapsedMs))
    count *= 2
  }
  return count
}

function median(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = (sorted.length - 1) / 2
  return (sorted[Math.floor(middle)] + sorted[Math.ceil(middle)]) / 2
}

function table(rows) {
  const [header, ...body] = rows
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
}
