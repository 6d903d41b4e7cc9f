// Measure 6: stampede. 1000 concurrent getOrSet on one missing key, the
// factory a 20 ms "query": factory calls and time until every caller has the
// value. One process for every system; two processes (this one and a fork, on
// the same Redis) for cacheplane, without and with fleet-wide locking (only
// the lock makes that 1 across processes).
import { fork } from 'node:child_process'
import { formatNumber, quantile, table, target } from '../harness.mjs'
import { peers } from '../peers.mjs'
import { cacheplaneOnRedis } from '../systems.mjs'
import { burst } from './stampede-burst.mjs'

const callers = 1_000
const factoryMs = 20

function startChild() {
  const child = fork(new URL('./stampede-child.mjs', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ask = (message) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('stampede child did not answer')), 30_000)
      const onMessage = (answer) => {
        clearTimeout(timer)
        child.off('message', onMessage)
        if (answer.type === 'error') reject(new Error(`stampede child: ${answer.message}`))
        else resolve(answer)
      }
      child.on('message', onMessage)
      child.send(message)
    })
  return {
    ask,
    async close() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** @param {import('../run.mjs').MeasureContext} context */
export async function stampedeBenchmark({ smoke, redis, adapters }) {
  const trials = smoke ? 2 : 7
  const systems = []
  const closers = []
  try {
    for (const adapter of adapters.available) {
      const system = await cacheplaneOnRedis({
        name: `${redis.runId}-stampede-${adapter.entry.id}`,
        redis: adapter,
        url: redis.url,
      })
      closers.push(system.close)
      systems.push({
        name: `cacheplane (${adapter.entry.id}), memory L1 + Redis L2`,
        kind: 'cacheplane',
        processes: 1,
        once: (key) =>
          burst((k, factory) => system.cache.getOrSet(k, factory), {
            key,
            callers,
            factoryMs,
          }),
      })
      const name = `${redis.runId}-stampede2-${adapter.entry.id}`
      const local = await cacheplaneOnRedis({ name, redis: adapter, url: redis.url })
      closers.push(local.close)
      const child = startChild()
      closers.push(child.close)
      await child.ask({ type: 'init', client: adapter.entry.id, name, url: redis.url })
      for (const fleetLock of [false, true]) {
        systems.push({
          name: `cacheplane (${adapter.entry.id}), 2 processes, ${fleetLock ? 'fleetLock' : 'no fleetLock'}`,
          kind: 'cacheplane',
          processes: 2,
          fleetLock,
          client: adapter.entry.id,
          // Each system gets keys of its own: the two share one cache.
          once: async (key) => {
            const options = {
              key: `${key}:${fleetLock ? 'locked' : 'unlocked'}`,
              callers,
              factoryMs,
            }
            const [mine, theirs] = await Promise.all([
              burst((k, factory) => local.cache.getOrSet(k, factory, { fleetLock }), options),
              child.ask({ type: 'go', ...options, fleetLock }),
            ])
            return {
              factoryCalls: mine.factoryCalls + theirs.factoryCalls,
              ms: Math.max(mine.ms, theirs.ms),
              answered: mine.answered + theirs.answered,
            }
          },
        })
      }
    }
    for (const peer of peers) {
      const cache = await peer.create({
        namespace: `${redis.runId}-stampede-${systems.length}`,
        maxEntries: 10_000,
        url: redis.url,
        layers: 'both',
      })
      closers.push(cache.close)
      systems.push({
        name: `${peer.name}, memory L1 + Redis L2`,
        kind: 'peer',
        processes: 1,
        once: (key) =>
          burst((k, factory) => cache.getOrSet(k, factory), { key, callers, factoryMs }),
      })
    }
    for (const system of systems) system.outcomes = []
    for (let trial = 0; trial < trials; trial++) {
      for (const system of systems) {
        system.outcomes.push(await system.once(`missing:${trial}`))
      }
    }
  } finally {
    for (const close of closers.reverse()) await close()
  }

  const rows = [
    [
      'system',
      'processes',
      'factory calls per stampede (worst)',
      'callers answered',
      'time to serve all, median ms',
    ],
  ]
  for (const system of systems) {
    const worst = Math.max(...system.outcomes.map((outcome) => outcome.factoryCalls))
    const answered = Math.min(...system.outcomes.map((outcome) => outcome.answered))
    const expected = callers * system.processes
    if (answered !== expected) {
      throw new Error(`${system.name}: ${answered} of ${expected} callers got the value`)
    }
    system.worst = worst
    system.medianMs = quantile(
      system.outcomes.map((outcome) => outcome.ms).sort((a, b) => a - b),
      0.5,
    )
    rows.push([
      system.kind === 'cacheplane' ? `**${system.name}**` : system.name,
      String(system.processes),
      formatNumber(worst),
      `${formatNumber(answered)} / ${formatNumber(expected)}`,
      formatNumber(system.medianMs, 1),
    ])
  }
  const targets = systems
    .filter((system) => system.kind === 'cacheplane')
    .map((system) => {
      const client = system.name.match(/\((.+?)\)/)[1]
      if (system.processes === 1) {
        return target(`stampede factory calls, 1 process (${client})`, system.worst, '<=', 1, {
          unit: '',
        })
      }
      return system.fleetLock
        ? target(
            `stampede factory calls, 2 processes, fleetLock (${client})`,
            system.worst,
            '<=',
            1,
            { unit: '' },
          )
        : target(
            `stampede factory calls, 2 processes, no fleetLock (${client})`,
            system.worst,
            '<=',
            system.processes,
            {
              unit: '',
              note: 'informative: without the lock each process coalesces its own callers only, one factory call per process',
            },
          )
    })
  return {
    markdown: [
      `${formatNumber(callers)} concurrent \`getOrSet\` on one missing key per process, the factory a ${factoryMs} ms timer standing in for a query; ` +
        `${trials} stampedes per system (a new key each), systems in turns. ` +
        'Two processes: this one and a forked one, same cache name on the same Redis, each starting its burst on the same message, ' +
        'without and with `getOrSet(key, factory, { fleetLock: true })`: with it, the first process to miss takes a lock in Redis and runs the factory, ' +
        "the other waits and is woken by the backplane frame of the holder's write (see 6b for what the lock costs a miss).",
      '',
      table(rows),
    ].join('\n'),
    charts: [
      {
        file: 'stampede.svg',
        title: `Stampede: ${formatNumber(callers)} concurrent getOrSet, one missing key (ms to serve all, lower is better)`,
        unit: 'ms',
        series: ['median ms'],
        digits: 1,
        rows: systems.map((system) => ({
          label: `${system.name.replace(', memory L1 + Redis L2', '')} (${system.worst} call${system.worst === 1 ? '' : 's'})`,
          kind: system.kind,
          values: [system.medianMs],
        })),
        note: `Factory: a ${factoryMs} ms timer. Factory calls per stampede in brackets.`,
      },
    ],
    targets,
    // For measure 6b, which sets the lock's price against what it buys.
    fleetLock: adapters.available.map(({ entry }) => {
      const twoProcesses = (fleetLock) =>
        systems.find(
          (system) =>
            system.client === entry.id && system.processes === 2 && system.fleetLock === fleetLock,
        )
      const figures = (system) => ({ calls: system.worst, ms: system.medianMs })
      return {
        client: entry.id,
        unlocked: figures(twoProcesses(false)),
        locked: figures(twoProcesses(true)),
      }
    }),
  }
}
