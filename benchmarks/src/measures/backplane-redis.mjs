// Measure 4: backplane throughput over Redis. One cache writes N keys, another
// (own connections, same process) counts the invalidations it receives. The
// caches share an in-process memory source, so the figure is the backplane's,
// not the L2's. Baseline: one PUBLISH per invalidation through the same client.
import { createCache } from '@cacheplane/core'
import { memoryHandle } from '@cacheplane/memory'
import { formatNumber, formatRatio, inFlight, quantile, table, target } from '../harness.mjs'
import { waitUntilUp } from '../systems.mjs'

const quietMs = 2_000
const overallMs = 120_000

/**
 * Waits until `received()` reaches `expected`, or stops growing for `quietMs`.
 * @returns {Promise<{ received: number, lastAt: bigint }>}
 */
async function drain(received, expected) {
  let last = received()
  let lastAt = process.hrtime.bigint()
  let changedAt = Date.now()
  const deadline = Date.now() + overallMs
  while (last < expected && Date.now() - changedAt < quietMs && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve))
    const now = received()
    if (now !== last) {
      last = now
      lastAt = process.hrtime.bigint()
      changedAt = Date.now()
    }
  }
  return { received: last, lastAt }
}

export async function rawRun({ entry, url, channel, invalidations, concurrency }) {
  const { raw } = await entry.connect(url)
  let received = 0
  const subscription = await entry.subscribe(url, channel, () => {
    received++
  })
  try {
    const started = process.hrtime.bigint()
    await inFlight(concurrency, invalidations, (index) => raw.publish(channel, `k${index}`))
    const { lastAt } = await drain(() => received, invalidations)
    return result(invalidations, received, invalidations, started, lastAt)
  } finally {
    await subscription.close()
    await raw.close()
  }
}

export async function cacheplaneRun({ adapter, url, name, invalidations, concurrency }) {
  const shared = memoryHandle({ maxEntries: invalidations * 2 })
  const connections = []
  const make = async (id) => {
    const { native, raw } = await adapter.entry.connect(url)
    connections.push(raw)
    return createCache({
      name,
      handles: [memoryHandle({ maxEntries: 1_000 }), shared],
      backplane: adapter.adapter.redisBackplane({ client: native }),
      backplaneOptions: { instanceId: `${name}-${id}` },
    })
  }
  const writer = await make('writer')
  const reader = await make('reader')
  try {
    await waitUntilUp(writer)
    await waitUntilUp(reader)
    const received = () => reader.stats().backplane.invalidationsReceived
    const started = process.hrtime.bigint()
    await inFlight(concurrency, invalidations, (index) => writer.set(`k${index}`, index))
    const { lastAt } = await drain(received, invalidations)
    return result(
      invalidations,
      received(),
      writer.stats().backplane.framesPublished,
      started,
      lastAt,
    )
  } finally {
    await writer.close()
    await reader.close()
    for (const connection of connections) await connection.close()
  }
}

function result(invalidations, received, frames, started, lastAt) {
  const seconds = Number(lastAt - started) / 1e9
  return { perSecond: received / seconds, received, lost: invalidations - received, frames }
}

/** @param {import('../run.mjs').MeasureContext} context */
export async function backplaneRedisBenchmark({ smoke, redis, adapters }) {
  const invalidations = smoke ? 2_000 : 50_000
  const repeats = smoke ? 1 : 3
  const runs = []
  for (const concurrency of [1, 100]) {
    for (const entry of adapters.clients) {
      runs.push({
        name: `raw ${entry.id}: one PUBLISH per invalidation, ${concurrency} in flight`,
        kind: 'raw',
        client: entry.id,
        concurrency,
        run: (repeat, count = invalidations) =>
          rawRun({
            entry,
            url: redis.url,
            channel: `${redis.runId}:bp:${entry.id}:${concurrency}:${repeat}`,
            invalidations: count,
            concurrency,
          }),
      })
    }
    for (const adapter of adapters.available) {
      runs.push({
        name: `cacheplane (${adapter.entry.id}), ${concurrency} in flight`,
        kind: 'cacheplane',
        client: adapter.entry.id,
        concurrency,
        run: (repeat, count = invalidations) =>
          cacheplaneRun({
            adapter,
            url: redis.url,
            name: `${redis.runId}-bp-${adapter.entry.id}-${concurrency}-${repeat}`,
            invalidations: count,
            concurrency,
          }),
      })
    }
  }
  // An untimed warm-up run of each system first (the first run of a system is
  // up to 2x slower while the JIT settles), then interleaved repeats; median shown.
  for (const run of runs) await run.run('warmup', Math.round(invalidations / 5))
  for (const run of runs) run.results = []
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const run of runs) run.results.push(await run.run(repeat))
  }
  for (const run of runs) {
    const sorted = run.results.map((item) => item.perSecond).sort((a, b) => a - b)
    run.perSecond = quantile(sorted, 0.5)
    run.lost = Math.max(...run.results.map((item) => item.lost))
    run.frames = run.results.at(-1).frames
    if (run.results.every((item) => item.received === 0)) {
      throw new Error(`${run.name} received nothing`)
    }
  }
  const rawOf = (client, concurrency) =>
    runs.find(
      (run) => run.kind === 'raw' && run.client === client && run.concurrency === concurrency,
    )
  const rows = [
    [
      'run',
      'invalidations/s',
      'messages or frames',
      'lost (worst run)',
      'vs raw, same client and in-flight',
    ],
  ]
  for (const run of runs) {
    rows.push([
      run.kind === 'cacheplane' ? `**${run.name}**` : run.name,
      formatNumber(run.perSecond),
      formatNumber(run.frames),
      formatNumber(run.lost),
      formatRatio(run.perSecond / rawOf(run.client, run.concurrency).perSecond),
    ])
  }
  const targets = runs
    .filter((run) => run.kind === 'cacheplane')
    .flatMap((run) => [
      target(
        `backplane throughput, ${run.concurrency} in flight (${run.client}) vs raw`,
        run.perSecond / rawOf(run.client, run.concurrency).perSecond,
        '>=',
        3,
      ),
      target(
        `lost invalidations, ${run.concurrency} in flight (${run.client})`,
        run.lost,
        '<=',
        0,
        {
          unit: '',
        },
      ),
    ])
  return {
    markdown: [
      `${formatNumber(invalidations)} invalidations (\`set\` on distinct keys) per run, after one untimed warm-up run of each system (10k), each system run ${repeats} time(s) in turn, median shown. ` +
        'Writer and reader are two caches in this process with their own Redis connections; they share an in-process memory source, ' +
        "so the figure is the backplane's (batching, coalescing, encode, PUBLISH, decode, apply), not the L2's. " +
        'Timed from the first `set` until the reader has received the last invalidation; "lost" is what had not arrived after 2 s of silence. ' +
        'The raw rows send one PUBLISH per invalidation with the same client and count messages on a SUBSCRIBE connection.',
      '',
      table(rows),
    ].join('\n'),
    charts: [
      {
        file: 'backplane-throughput.svg',
        title: 'Backplane throughput over Redis (invalidations/s, higher is better)',
        unit: '/s',
        series: ['invalidations/s'],
        rows: runs.map((run) => ({
          label: run.name.replace(': one PUBLISH per invalidation', ''),
          kind: run.kind,
          values: [run.perSecond],
        })),
        note: `${formatNumber(invalidations)} invalidations per run, Redis ${redis.serverVersion} on loopback.`,
      },
    ],
    targets,
  }
}
