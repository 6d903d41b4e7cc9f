// Runs one scenario end to end: Redis (a server or a cluster), a fleet of
// worker processes, the faults on their schedule, the checker over every read,
// and a teardown that leaves nothing running, also when something fails.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pollUntil, startRedis, startRedisCluster } from '@cacheplane/conformance/redis'
import { channelName } from '@cacheplane/core'
import { StalenessChecker } from './checker.mjs'
import { Fleet, isAlive } from './fleet.mjs'
import { MISS, methods, PEEK } from './log-format.mjs'
import {
  backplaneTimings,
  circuitBreaker,
  faultBound,
  propagationBound,
  quietAfterFaults,
} from './settings.mjs'

/**
 * The workers of a scenario. `mixed`: two writers that also read, two readers.
 * `hot`: one writer that only writes, as fast as it can, and three readers.
 * Adapters alternate, so with two adapters each plays both roles.
 */
function layout(scenario, adapters) {
  const adapterOf = (index) => adapters[index % adapters.length]
  const keysPerWriter = scenario.keysPerWriter
  if (scenario.layout === 'hot') {
    const keys = Array.from({ length: keysPerWriter }, (_, index) => `hot:${index}`)
    const all = keys.map((_, index) => index)
    const workers = [
      { name: 'writer-0', adapter: adapterOf(0), writeKeys: all, readKeys: [] },
      ...[1, 2, 3].map((index) => ({
        name: `reader-${index}`,
        adapter: adapterOf(index),
        writeKeys: [],
        readKeys: all,
      })),
    ]
    return { keys, workers }
  }
  const keys = []
  for (let writer = 0; writer < 2; writer++) {
    for (let index = 0; index < keysPerWriter; index++) keys.push(`w${writer}:k${index}`)
  }
  const all = keys.map((_, index) => index)
  const owned = (writer) => all.slice(writer * keysPerWriter, (writer + 1) * keysPerWriter)
  return {
    keys,
    workers: [
      { name: 'writer-0', adapter: adapterOf(0), writeKeys: owned(0), readKeys: all },
      { name: 'writer-1', adapter: adapterOf(1), writeKeys: owned(1), readKeys: all },
      { name: 'reader-2', adapter: adapterOf(0), writeKeys: [], readKeys: all },
      { name: 'reader-3', adapter: adapterOf(1), writeKeys: [], readKeys: all },
    ],
  }
}

async function startTopology(scenario) {
  if (scenario.topology === 'cluster') {
    const cluster = await startRedisCluster({ masters: 3, replicas: 1, nodeTimeout: 1_000 })
    return {
      cluster,
      target: { kind: 'cluster', nodes: cluster.nodes.map(({ host, port }) => ({ host, port })) },
      /** Stops every node; resolves how many still accept connections. */
      stop: async () => {
        await cluster.stop()
        const open = await Promise.all(cluster.nodes.map((node) => accepts(node)))
        return open.filter(Boolean).length
      },
    }
  }
  const server = await startRedis({ strategy: 'process' })
  return {
    server,
    target: { kind: 'standalone', host: server.host, port: server.port },
    /** Stops the server; resolves 1 if its process is still alive. */
    stop: async () => {
      const pid = server.pid
      await server.stop()
      return pid !== undefined && isAlive(pid) ? 1 : 0
    },
  }
}

/**
 * Every worker subscribed and reaching L2 again; after a fault that drops
 * subscriptions, also recovered since `before` (else a probe could come back
 * before a worker even noticed the fault).
 */
/** Whether something still listens on a node's port. */
function accepts({ host, port }) {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

async function waitHealthy(fleet, before) {
  await pollUntil(
    async () => {
      const replies = await fleet.all({ type: 'probe' }, 'health', 3_000)
      return replies.every(
        (reply, index) =>
          reply.state === 'up' &&
          reply.l2 &&
          (before === undefined || reply.recoveries > before[index].recoveries),
      )
    },
    { timeout: 30_000, interval: 50, description: 'every worker to be subscribed and reach L2' },
  )
}

/** Per worker and key: how long after the last write the reads settled on it. */
function convergenceOf(checker, keys, readers) {
  const finals = keys.map((_key, keyIndex) => checker.historyOf(keyIndex).at(-1))
  const tail = new Map()
  for (const read of checker.tail) {
    if (read.counter === MISS && read.method === PEEK) continue
    const id = `${read.worker}\u0000${read.keyIndex}`
    if (!tail.has(id)) tail.set(id, [])
    tail.get(id).push(read)
  }
  let worst = 0
  const unsettled = []
  for (const worker of readers) {
    for (const [keyIndex, key] of keys.entries()) {
      const final = finals[keyIndex]
      const reads = (tail.get(`${worker}\u0000${keyIndex}`) ?? []).sort((a, b) => a.time - b.time)
      let settledAt
      for (const read of reads) {
        if (read.counter !== final[0]) settledAt = undefined
        else if (settledAt === undefined) settledAt = read.time
      }
      const confirmed = new Set(
        reads
          .filter((read) => read.time > final[1] + propagationBound && read.counter === final[0])
          .map((read) => methods[read.method]),
      )
      if (settledAt === undefined || !confirmed.has('get') || !confirmed.has('getOrSet')) {
        unsettled.push({ worker, key, lastRead: reads.at(-1), final })
        continue
      }
      worst = Math.max(worst, settledAt - final[1])
    }
  }
  return { worst, unsettled, bound: propagationBound }
}

/** The events around the worst stale read, to find out why it happened. */
function timelineOf(example, fleet, checker, keys) {
  if (example === undefined) return undefined
  const from = example.newerWrite.end - 2_000
  const to = example.time + 500
  const keyIndex = keys.indexOf(example.key)
  // Every worker's events: whether the others saw the same thing tells a lot.
  const lines = [
    ...fleet.workers.flatMap((worker) =>
      worker.events
        .filter(([time, name]) => time >= from && time <= to && name !== 'error')
        .map(([time, name, detail]) => [time, `${worker.name} ${name} ${detail}`]),
    ),
    ...checker
      .historyOf(keyIndex)
      .filter(([, end]) => end >= example.newerWrite.end - 200 && end <= to)
      .slice(0, 20)
      .map(([counter, end]) => [end, `write ${example.key} #${counter} completed`]),
    ...checker.windows
      .flatMap((window) => [
        [window.start, `fault window opens: ${window.name}`],
        [window.end, `fault window closes: ${window.name}`],
      ])
      .filter(([time]) => time !== undefined),
    [
      example.time,
      `${example.worker} ${example.method} ${example.key} returned #${example.counter}`,
    ],
  ]
  const origin = example.newerWrite.end
  return lines
    .sort((left, right) => left[0] - right[0])
    .map(([time, line]) => `${time - origin >= 0 ? '+' : ''}${time - origin} ms  ${line}`)
}

function summarizeEvents(fleet) {
  const summary = {}
  for (const worker of fleet.workers) {
    const counts = {}
    for (const [, name, detail] of worker.events) {
      const reason = name === 'messagesMissed' ? `(${JSON.parse(detail).reason})` : ''
      counts[`${name}${reason}`] = (counts[`${name}${reason}`] ?? 0) + 1
    }
    summary[worker.name] = counts
  }
  return summary
}

/**
 * @param {object} scenario see scenarios.mjs
 * @param {{ adapters: string[], log?: (line: string) => void }} options
 */
export async function runScenario(scenario, { adapters, log = () => {} }) {
  const started = Date.now()
  const { keys, workers: specs } = layout(scenario, adapters)
  // tmpfs when there is one: a rename on a journaling disk can stall a writer for tens of ms.
  const databaseDirectory = mkdtempSync(
    join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'cacheplane-reliability-'),
  )
  const cacheName = `reliability-${scenario.id}`
  const topology = await startTopology(scenario)
  const notes = []
  let fleet
  try {
    const checker = new StalenessChecker({
      keys,
      workers: specs.map((spec) => spec.name),
      writers: specs.filter((spec) => spec.writeKeys.length > 0).map((spec) => spec.name),
      keyWriters: keys.map(
        (_key, keyIndex) => specs.find((spec) => spec.writeKeys.includes(keyIndex))?.name,
      ),
      normalBound: propagationBound,
      faultBound,
    })
    fleet = new Fleet(
      specs.map((spec, index) => ({
        name: spec.name,
        config: {
          index,
          adapter: spec.adapter,
          target: topology.target,
          cacheName,
          keys,
          writeKeys: spec.writeKeys,
          readKeys: spec.readKeys,
          writeMode: scenario.layout === 'hot' ? 'hot' : 'paced',
          writeIntervalMs: scenario.writeIntervalMs ?? 2,
          readIntervalMs: scenario.readIntervalMs ?? 1,
          databaseDirectory,
          backplaneOptions: backplaneTimings,
          circuitBreaker,
          chaos: { seed: (scenario.seed ?? started) + index },
        },
      })),
      (worker, batch) => {
        worker.events ??= []
        for (const event of batch.events ?? []) worker.events.push(event)
        checker.add(worker.name, batch)
      },
    )
    for (const worker of fleet.workers) worker.events = []
    await fleet.configure()
    await Promise.all(
      fleet.workers
        .filter((worker) => worker.config.writeKeys.length > 0)
        .map((worker) => worker.request({ type: 'seed' }, 'seeded')),
    )
    const context = {
      ...topology,
      fleet,
      notes,
      channel: channelName('cacheplane', cacheName),
    }
    await fleet.all({ type: 'start' }, 'started')
    const runStart = Date.now()
    log(`${scenario.id}: running ${fleet.workers.length} workers on ${adapters.join(' + ')}`)
    for (const { at, fault } of scenario.faults ?? []) {
      const wait = runStart + at - Date.now()
      if (wait > 0) await sleep(wait)
      log(`${scenario.id}: ${fault.name}`)
      const before = fault.dropsSubscriptions
        ? await fleet.all({ type: 'recoveries' }, 'recoveries')
        : undefined
      const window = checker.openWindow(fault.name)
      await fault.inject(context)
      if (fault.holdMs > 0) await sleep(fault.holdMs)
      await fault.lift(context)
      await waitHealthy(fleet, before)
      checker.closeWindow(window)
      notes.push(`${fault.name}: fault window ${window.end - window.start} ms`)
    }
    const remaining = Math.max(
      runStart + scenario.durationMs - Date.now(),
      (scenario.faults?.length ?? 0) > 0 ? quietAfterFaults : 0,
    )
    if (remaining > 0) await sleep(remaining)
    checker.keepTailFrom(Date.now())
    await Promise.all(
      fleet.workers
        .filter((worker) => worker.config.writeKeys.length > 0)
        .map((worker) => worker.request({ type: 'stopWrites' }, 'writesStopped')),
    )
    // Readers go on reading for a while: that tail shows whether everyone settles on the last write.
    await sleep(scenario.tailMs ?? 1_000)
    const readers = fleet.workers.filter((worker) => worker.config.readKeys.length > 0)
    await Promise.all(
      readers.map((worker) => worker.request({ type: 'stopReads' }, 'readsStopped')),
    )
    const finals = Object.fromEntries(
      keys.map((_key, keyIndex) => [keyIndex, checker.historyOf(keyIndex).at(-1)?.[0]]),
    )
    const verified = await Promise.all(
      readers.map(async (worker) => ({
        worker: worker.name,
        mismatches: (await worker.request({ type: 'verify', finals }, 'verified')).mismatches,
      })),
    )
    const closing = await fleet.close(10_000)
    const summary = checker.finish()
    const convergence = convergenceOf(
      checker,
      keys,
      readers.map((worker) => worker.name),
    )
    const accounting = fleet.accounting()
    const leakedRedis = await topology.stop()
    const hung = closing
      .filter((report) => report.exitedInTime === false)
      .map((report) => report.worker)
    const finalMismatches = verified.flatMap((entry) =>
      entry.mismatches.map((mismatch) => ({ worker: entry.worker, ...mismatch })),
    )
    const failures = []
    if (summary.overBound > 0) failures.push(`${summary.overBound} reads staler than the bound`)
    if (summary.reads.invalid > 0) failures.push(`${summary.reads.invalid} invalid values read`)
    if (summary.unwrittenCounters.length > 0) failures.push('counters read that nobody wrote')
    if (summary.orderViolations > 0) failures.push('write log out of order')
    if (Object.keys(summary.errors.outside).length > 0)
      failures.push('errors outside fault windows')
    if (summary.writes.ok === 0 || summary.reads.total === 0) failures.push('no reads or no writes')
    if (convergence.unsettled.length > 0) failures.push('reads did not settle on the last write')
    if (finalMismatches.length > 0) failures.push('final values not returned')
    if (accounting.lost.length > 0) failures.push(`lost workers: ${accounting.lost.join(', ')}`)
    if (accounting.leaked.length > 0 || leakedRedis > 0) failures.push('leaked processes')
    if (hung.length > 0)
      failures.push(`workers that did not exit by themselves: ${hung.join(', ')}`)
    return {
      id: scenario.id,
      title: scenario.title,
      adapters,
      workers: fleet.workers.map((worker) => ({
        name: worker.name,
        adapter: worker.config.adapter,
        writes: worker.config.writeKeys.length > 0,
        reads: worker.config.readKeys.length > 0,
      })),
      durationMs: Date.now() - started,
      ...summary,
      convergence,
      finalMismatches,
      events: summarizeEvents(fleet),
      closing: closing.map(({ worker, closed, exitedInTime }) => ({
        worker,
        exitedInTime,
        heap: closed?.heap,
        eventLoopDelay: closed?.eventLoopDelay,
        chaos: closed?.chaos,
        backplane: closed?.stats?.backplane,
      })),
      processes: {
        lost: accounting.lost,
        leaked: accounting.leaked,
        hung,
        leakedRedis,
        fatal: accounting.fatal,
      },
      timeline: timelineOf(summary.examples[0] ?? summary.worstReads.normal, fleet, checker, keys),
      eventLog: Object.fromEntries(
        fleet.workers.map((worker) => [
          worker.name,
          worker.events.map(([time, name, detail]) => `${time - started} ${name} ${detail}`),
        ]),
      ),
      notes,
      failures,
      verdict: failures.length === 0 ? 'pass' : 'FAIL',
    }
  } finally {
    await fleet?.kill()
    await topology.stop()
    rmSync(databaseDirectory, { recursive: true, force: true })
  }
}
