// Backplane codec: what encoding and decoding a frame costs, per frame and per
// operation, for frames of 1, 10 and 100 operations. Decoding runs on every
// instance for every frame, so it is the figure that matters most.
//
// Standalone: `node benchmarks/src/codec.mjs [--smoke]` prints a markdown
// table (build @cacheplane/core first). The runner can also import
// `codecBenchmark` like the other measures.
import { pathToFileURL } from 'node:url'
import { decodeFrame, encodeFrame } from '@cacheplane/core'
import { Bench } from 'tinybench'

/** A frame as the engine sends it: coalesced per-key `changed` operations, half in a region. */
function frameOf(operationCount) {
  const operations = []
  for (let index = 0; index < operationCount; index++) {
    operations.push({
      kind: 'changed',
      region: index % 2 === 0 ? undefined : 'catalog',
      keys: [`product:${100_000 + index}`],
      versions: [1_700_000_000 + index],
    })
  }
  return {
    senderId: '8c1e4a2b-1f2d-4c7a-9a3b-0e5d6f7a8b9c',
    epoch: 3_141_592_653,
    sequence: 123_456,
    cacheName: 'products',
    operations,
  }
}

const heartbeat = { ...frameOf(0), operations: [{ kind: 'heartbeat' }] }

function formatNumber(value, digits = 0) {
  return value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  })
}

/** Median nanoseconds per call of `run`, which makes `callsPerSample` calls. */
function nanoseconds(task, callsPerSample) {
  if (task.result.state !== 'completed') {
    throw new Error(`${task.name}: ${task.result.state} ${task.result.error ?? ''}`)
  }
  return (task.result.latency.p50 * 1e6) / callsPerSample
}

export async function codecBenchmark({ smoke = false } = {}) {
  const cases = [
    { label: '1 (heartbeat)', frame: heartbeat },
    { label: '1', frame: frameOf(1) },
    { label: '10', frame: frameOf(10) },
    { label: '100', frame: frameOf(100) },
  ]
  const bench = new Bench({
    time: smoke ? 20 : 1_000,
    warmupTime: smoke ? 10 : 250,
    throws: true,
  })
  let sink = 0
  for (const entry of cases) {
    const bytes = encodeFrame(entry.frame)
    // Loop inside each sample so the timer's own cost stays out of the figure.
    entry.calls = Math.max(1, Math.round(1_000 / entry.frame.operations.length))
    entry.bytes = bytes.length
    bench.add(`encode ${entry.label}`, () => {
      for (let call = 0; call < entry.calls; call++) sink += encodeFrame(entry.frame).length
    })
    bench.add(`decode ${entry.label}`, () => {
      for (let call = 0; call < entry.calls; call++) sink += decodeFrame(bytes).sequence
    })
  }
  await bench.run()
  if (sink === 0) throw new Error('the benchmark did nothing')

  const rows = cases.map((entry) => {
    const encode = nanoseconds(bench.getTask(`encode ${entry.label}`), entry.calls)
    const decode = nanoseconds(bench.getTask(`decode ${entry.label}`), entry.calls)
    const operations = entry.frame.operations.length
    return [
      entry.label,
      formatNumber(entry.bytes),
      formatNumber(encode),
      formatNumber(decode),
      formatNumber(1e9 / decode),
      formatNumber((encode + decode) / operations),
    ]
  })
  const header = [
    'operations per frame',
    'frame bytes',
    'encode ns/frame',
    'decode ns/frame',
    'decoded frames/s',
    'encode + decode ns/operation',
  ]
  const markdown = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    'Each operation is a `changed` of one key (`product:<n>`, half of them in region',
    '`catalog`) with its version; the sender id is a UUID. Decoding validates',
    'everything (types, ranges, UTF-8, limits). Median of tinybench samples.',
  ].join('\n')
  return { title: 'Backplane codec', markdown }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await codecBenchmark({ smoke: process.argv.includes('--smoke') })
  console.log(`## ${result.title}\n\n${result.markdown}`)
}
