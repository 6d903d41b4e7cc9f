// Micro benchmark for the memory handle's store (docs/decisions/0009):
// lru-cache 11 against ClockCache (src/clock-cache.ts) and against the
// links-on-entry LRU (linked-lru.mjs).
//
//   node packages/memory/bench/lru.mjs [rounds=31] [entries=100000] [memory repeats=3]
//
// Speed: 10,000 hot keys read round-robin, as benchmarks/src/measures/l1.mjs
// does; tasks interleaved round by round (about 25 ms each), so that drift on
// a shared machine hits all alike; per task the median round, and per store
// the median of its per-round ratios to lru-cache (each pair ran back to back).
// Memory: each store filled with `entries` entries in a fresh process with
// --expose-gc, the stores in turns, the median of `memory repeats` runs; the
// heap (plus array buffers) added by the filled store, per entry, measured the
// way benchmarks/src/measures/memory-child.mjs does.
//
// The TypeScript source is transpiled on the fly (no build needed, dist left alone).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { LRUCache } from 'lru-cache'
import ts from 'typescript'
import { LinkedLru } from './linked-lru.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const HOT_KEYS = 10_000
const SAMPLE_MS = 25

/** Transpiles src/clock-cache.ts into a temporary folder; returns the file and a clean-up. */
function compileLru() {
  const source = readFileSync(join(here, '../src/clock-cache.ts'), 'utf8')
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  })
  const folder = mkdtempSync(join(tmpdir(), 'cacheplane-clock-'))
  const file = join(folder, 'clock-cache.mjs')
  writeFileSync(file, outputText)
  return { file, remove: () => rmSync(folder, { recursive: true, force: true }) }
}

const base = Date.now()

/** Shaped like core's L1 entry (`Layers.localCopy`): ten fields, three timestamps as doubles. */
function localEntry(value, index) {
  return {
    value,
    version: index + 1,
    createdAt: base + 0.5,
    expiresAt: base + 3_600_000.5,
    staleUntil: base + 3_660_000.5,
    sliding: 0,
    tags: [],
    generation: 0,
    settled: undefined,
    localOnly: false,
  }
}

/** The same with the links-on-entry fields in the literal, so that every node has one shape. */
function linkedEntry(value, index) {
  return {
    value,
    version: index + 1,
    createdAt: base + 0.5,
    expiresAt: base + 3_600_000.5,
    staleUntil: base + 3_660_000.5,
    sliding: 0,
    tags: [],
    generation: 0,
    settled: undefined,
    localOnly: false,
    lruKey: undefined,
    lruPrev: undefined,
    lruNext: undefined,
    lruSize: 0,
  }
}

function productValue(index) {
  return { id: index, name: `Kettle ${index}`, price: 30 + (index % 70), stock: index % 13 }
}

/** Region keys the eviction callbacks were given; the benchmark's keys are all strings. */
let evictedRegionKeys = 0

/** The stores as the handle would configure them: a callback for what leaves by eviction. */
function stores(ClockCache) {
  return {
    'lru-cache': {
      create: (maxEntries) =>
        new LRUCache({
          max: maxEntries,
          dispose: (_value, key, reason) => {
            if (reason !== 'set' && typeof key !== 'string') evictedRegionKeys++
          },
        }),
      entry: (index) => localEntry(productValue(index), index),
    },
    ClockCache: {
      create: (maxEntries) =>
        new ClockCache({
          maxEntries,
          onEvict: (key) => {
            if (typeof key !== 'string') evictedRegionKeys++
          },
        }),
      entry: (index) => localEntry(productValue(index), index),
    },
    'links on entry': {
      create: (maxEntries) =>
        new LinkedLru({
          maxEntries,
          onEvict: (key) => {
            if (typeof key !== 'string') evictedRegionKeys++
          },
        }),
      entry: (index) => linkedEntry(productValue(index), index),
    },
  }
}

async function main(rounds, entries, memoryRepeats) {
  const compiled = compileLru()
  try {
    const { ClockCache } = await import(pathToFileURL(compiled.file).href)
    console.log(`Node ${process.version}, ${rounds} rounds of ~${SAMPLE_MS} ms per task\n`)
    await speed(ClockCache, rounds)
    console.log()
    memory(compiled.file, entries, memoryRepeats)
  } finally {
    compiled.remove()
  }
}

async function speed(ClockCache, rounds) {
  const operations = [
    ['get', 'get'],
    ['peek', 'peek'],
    ['set, replacing a key', 'setReplace'],
    ['set, evicting', 'setEvict'],
    ['get behind a handle-shaped hit path', 'hitPath'],
  ]
  const byStore = {}
  for (const [name, store] of Object.entries(stores(ClockCache))) {
    const module = await import(`./store-tasks.mjs?store=${encodeURIComponent(name)}`)
    byStore[name] = module.storeTasks({ ...store, keyCount: HOT_KEYS })
  }
  const storeNames = Object.keys(byStore)
  const tasks = []
  // Per operation, the stores back to back, so that each round's ratio pairs neighbours.
  for (const [label, method] of operations) {
    for (const store of storeNames) {
      tasks.push({ label, store, run: byStore[store][method], count: 0, samples: [] })
    }
  }
  for (const task of tasks) task.count = calibrate(task.run)
  for (let round = 0; round < rounds; round++) {
    for (const task of tasks) {
      const started = process.hrtime.bigint()
      task.run(task.count)
      task.samples.push(Number(process.hrtime.bigint() - started) / task.count)
    }
  }
  const misses = storeNames.reduce((total, store) => total + byStore[store].misses(), 0)
  if (misses > 0) throw new Error(`${misses} reads missed: not a hit benchmark`)
  if (evictedRegionKeys > 0) throw new Error('an eviction callback was given a non-string key')

  const rows = [['operation', 'store', 'ns/op', 'ops/s', 'spread', 'vs lru-cache']]
  for (const [label] of operations) {
    const baseline = tasks.find((task) => task.label === label && task.store === 'lru-cache')
    for (const task of tasks.filter((each) => each.label === label)) {
      const sorted = [...task.samples].sort((a, b) => a - b)
      const median = quantile(sorted, 0.5)
      const spread = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2 / median
      const ratios = task.samples
        .map((nanoseconds, round) => baseline.samples[round] / nanoseconds)
        .sort((a, b) => a - b)
      rows.push([
        label,
        task.store,
        median.toFixed(1),
        Math.round(1e9 / median).toLocaleString('en-US'),
        `±${Math.round(spread * 100)}%`,
        `${quantile(ratios, 0.5).toFixed(2)}x`,
      ])
    }
  }
  console.log(table(rows))
}

/** Warms a task up and sizes its runs to about SAMPLE_MS. */
function calibrate(run) {
  let count = 64
  for (let attempt = 0; attempt < 30; attempt++) {
    const started = process.hrtime.bigint()
    run(count)
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
    if (elapsedMs >= SAMPLE_MS) return Math.max(64, Math.round((count * SAMPLE_MS) / elapsedMs))
    count *= 2
  }
  return count
}

function memory(compiledFile, entries, repeats) {
  const systems = [
    ['Map', 'values'],
    ['lru-cache', 'values'],
    ['ClockCache', 'values'],
    ['lru-cache', 'entries'],
    ['ClockCache', 'entries'],
    ['links on entry', 'entries'],
  ].map(([store, holds]) => ({ store, holds, samples: [] }))
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const system of systems) {
      const output = execFileSync(
        process.execPath,
        [
          '--expose-gc',
          fileURLToPath(import.meta.url),
          'memory-child',
          `${system.store}/${system.holds}`,
          String(entries),
          compiledFile,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      )
      system.samples.push(JSON.parse(output.trim().split('\n').at(-1)))
    }
  }
  const median = (system, field) =>
    quantile(
      system.samples.map((sample) => sample[field]).sort((a, b) => a - b),
      0.5,
    )
  const find = (store, holds) =>
    systems.find((system) => system.store === store && system.holds === holds)
  const rows = [
    [
      'store',
      'holds',
      'added bytes/entry',
      'vs lru-cache',
      'total with key and value',
      'vs lru-cache',
    ],
  ]
  for (const system of systems) {
    const baseline = find('lru-cache', system.holds)
    const added = median(system, 'addedBytes')
    const total = added + median(system, 'keyValueBytes')
    const baselineAdded = median(baseline, 'addedBytes')
    const baselineTotal = baselineAdded + median(baseline, 'keyValueBytes')
    rows.push([
      system.store,
      system.holds === 'values' ? 'the values' : 'L1-shaped entries',
      added.toFixed(1),
      `${(added / baselineAdded).toFixed(2)}x`,
      total.toFixed(1),
      `${(total / baselineTotal).toFixed(2)}x`,
    ])
  }
  console.log(
    `Memory: ${entries.toLocaleString('en-US')} entries, median of ${repeats} fresh processes per store. ` +
      '"the values": product objects stored as they are; "L1-shaped entries": each wrapped in a ' +
      "ten-field entry like core's (the entry objects count as added bytes).\n",
  )
  console.log(table(rows))
}

async function memoryChild(system, entries, compiledFile) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc')
  const { ClockCache } = await import(pathToFileURL(compiledFile).href)
  const [storeName, holds] = system.split('/')
  const used = () => {
    for (let pass = 0; pass < 4; pass++) globalThis.gc()
    const usage = process.memoryUsage()
    // Typed arrays keep their contents outside the JS heap.
    return usage.heapUsed + usage.arrayBuffers
  }
  const empty = used()
  const keys = Array.from({ length: entries }, (_, index) => `product:${index}`)
  const values = keys.map((_, index) => productValue(index))
  const withData = used()
  let store
  if (storeName === 'Map') store = new Map()
  else if (storeName === 'lru-cache') store = new LRUCache({ max: entries })
  else if (storeName === 'ClockCache') store = new ClockCache({ maxEntries: entries })
  else store = new LinkedLru({ maxEntries: entries })
  const wrap = storeName === 'links on entry' ? linkedEntry : localEntry
  for (let index = 0; index < entries; index++) {
    store.set(keys[index], holds === 'values' ? values[index] : wrap(values[index], index))
  }
  const filled = used()
  if (store.size !== entries) throw new Error(`${system}: holds ${store.size} of ${entries}`)
  globalThis.keep = [keys, values, store]
  console.log(
    JSON.stringify({
      keyValueBytes: (withData - empty) / entries,
      addedBytes: (filled - withData) / entries,
    }),
  )
}

function quantile(sorted, q) {
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower)
}

function table(rows) {
  const [header, ...body] = rows
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
}

const [mode, ...rest] = process.argv.slice(2)
if (mode === 'memory-child') {
  await memoryChild(rest[0], Number(rest[1]), rest[2])
} else {
  await main(Number(mode ?? 31), Number(rest[0] ?? 100_000), Number(rest[1] ?? 3))
}
