// Backplane throughput through the in-process transport: how many invalidations
// per second one instance can push to another, batched by the engine, against
// the same transport carrying one hand-made frame per publish.
import { createCache, encodeFrame } from '@cacheplane/core'
import { createMemoryBus, memoryHandle, memoryTransport } from '@cacheplane/memory'
import { formatNumber, table } from '../harness.mjs'

async function until(condition, what, timeout = 30_000) {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

async function engineRun(invalidations, inFlight) {
  const bus = createMemoryBus()
  const shared = memoryHandle({ maxEntries: invalidations * 2 })
  const make = (id) =>
    createCache({
      name: 'bench',
      handles: [memoryHandle({ maxEntries: 1_000 }), shared],
      backplane: memoryTransport({ bus }),
      backplaneOptions: { instanceId: id, heartbeatInterval: '1s' },
    })
  const writer = make('writer')
  const reader = make('reader')
  await until(
    () => writer.stats().backplane.state === 'up' && reader.stats().backplane.state === 'up',
    'up',
  )
  const started = process.hrtime.bigint()
  let next = 0
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < invalidations) await writer.set(`k${next++}`, 1)
    }),
  )
  await until(
    () => reader.stats().backplane.invalidationsReceived >= invalidations,
    'all invalidations received',
  )
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const stats = { writer: writer.stats().backplane, reader: reader.stats().backplane }
  await Promise.all([writer.close(), reader.close()])
  return {
    perSecond: invalidations / seconds,
    frames: stats.writer.framesPublished,
    received: stats.reader.invalidationsReceived,
  }
}

async function rawRun(invalidations) {
  const bus = createMemoryBus()
  const sender = memoryTransport({ bus })
  const receiver = memoryTransport({ bus })
  let received = 0
  await receiver.connect('raw', { onFrame: () => received++, onStatus: () => {} })
  await sender.connect('raw', { onFrame: () => {}, onStatus: () => {} })
  const started = process.hrtime.bigint()
  for (let index = 0; index < invalidations; index++) {
    await sender.publish(
      encodeFrame({
        senderId: 'raw',
        epoch: 1,
        sequence: index + 1,
        cacheName: 'bench',
        operations: [
          { kind: 'changed', region: undefined, keys: [`k${index}`], versions: [index + 1] },
        ],
      }),
    )
  }
  await until(() => received >= invalidations, 'raw frames received')
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  await Promise.all([sender.close(), receiver.close()])
  return { perSecond: invalidations / seconds, frames: invalidations, received }
}

export async function backplaneMemoryBenchmark({ smoke }) {
  const invalidations = smoke ? 2_000 : 50_000
  const raw = await rawRun(invalidations)
  const one = await engineRun(invalidations, 1)
  const hundred = await engineRun(invalidations, 100)
  const rows = [
    ['run', 'invalidations/s', 'frames', 'received', 'lost', 'vs raw'],
    [
      'raw: one frame per publish',
      formatNumber(raw.perSecond),
      formatNumber(raw.frames),
      formatNumber(raw.received),
      '0',
      '1.00x',
    ],
    ...[
      ['cacheplane, 1 in flight', one],
      ['cacheplane, 100 in flight', hundred],
    ].map(([name, run]) => [
      name,
      formatNumber(run.perSecond),
      formatNumber(run.frames),
      formatNumber(run.received),
      formatNumber(invalidations - run.received),
      `${formatNumber(run.perSecond / raw.perSecond, 2)}x`,
    ]),
  ]
  return {
    markdown: [
      `${formatNumber(invalidations)} \`set\` calls on distinct keys on one instance, until the other has received every invalidation. ` +
        'The raw row publishes one pre-built frame per key through the same transport. The transport copies bytes and delivers asynchronously, as a network transport would.',
      '',
      table(rows),
    ].join('\n'),
    charts: [
      {
        file: 'backplane-memory.svg',
        title: 'Backplane throughput, in-process transport (invalidations/s, higher is better)',
        unit: '/s',
        series: ['invalidations/s'],
        rows: [
          { label: 'raw: one frame per publish', kind: 'raw', values: [raw.perSecond] },
          { label: 'cacheplane, 1 in flight', kind: 'cacheplane', values: [one.perSecond] },
          { label: 'cacheplane, 100 in flight', kind: 'cacheplane', values: [hundred.perSecond] },
        ],
        note: `${formatNumber(invalidations)} invalidations; no network: the engine's own cost.`,
      },
    ],
  }
}
