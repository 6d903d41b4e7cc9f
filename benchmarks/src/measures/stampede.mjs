// Measure 6: stampede. 1000 concurrent getOrSet on one missing key, the
// factory a 20 ms "query": factory calls and time until every caller has the
// value. One process for every system; two processes (this one and a fork, on
// the same Redis) for cacheplane, which needs fleet-wide locking to make that 1.
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
      systems.push({
        name: `cacheplane (${adapter.entry.id}), 2 processes`,
        kind: 'cacheplane',
        processes: 2,
        client: adapter.entry.id,
        once: async (key) => {
          const options = { key, callers, factoryMs }
          const [mine, theirs] = await Promise.all([
            burst((k, factory) => local.cache.getOrSet(k, factory), options),
            child.ask({ type: 'go', ...options }),
          ])
          return {
            factoryCalls: mine.factoryCalls + theirs.factoryCalls,
            ms: Math.max(mine.ms, theirs.ms),
            answered: mine.answered + theirs.answered,
          }
        },
      })
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
    .map((system) =>
      target(
        `stampede factory calls, ${system.processes} process${system.processes > 1 ? 'es' : ''} (${system.name.match(/\((.+?)\)/)[1]})`,
        system.worst,
        '<=',
        1,
        {
          unit: '',
          note:
            system.processes > 1
              ? 'informative until fleet-wide locking (one factory per key across the fleet, a lock in Redis) exists; then the target'
              : undefined,
        },
      ),
    )
  return {
    markdown: [
      `${formatNumber(callers)} concurrent \`getOrSet\` on one missing key per process, the factory a ${factoryMs} ms timer standing in for a query; ` +
        `${trials} stampedes per system (a new key each), systems in turns. ` +
        'Two processes: this one and a forked one, same cache name on the same Redis, each starting its burst on the same message. ' +
        'Fleet-wide locking does not exist yet, so the 2-process case shows today\'s behaviour (one factory call per process); the target "1 call across 2 processes" awaits that feature.',
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
  }
}
