// The faults a scenario injects. Each has `inject` and `lift`; the time
// between them is the fault's duration (a timer on purpose, not a wait for
// propagation). The scenario counts from `inject` until every worker is
// healthy again as the fault window.
import { pollUntil } from '@cacheplane/conformance/redis'

const text = (value) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value))

/** SIGKILL the server, and start a new, empty one on the same port after `holdMs`. */
export function redisRestart(holdMs) {
  return {
    name: 'redis SIGKILL + restart',
    dropsSubscriptions: true,
    holdMs,
    inject: ({ server }) => server.kill(),
    lift: ({ server }) => server.restart(),
  }
}

/** SIGSTOP for `holdMs`, then SIGCONT: connections stay open, nothing answers. */
export function redisPause(holdMs) {
  return {
    name: 'redis SIGSTOP + SIGCONT',
    dropsSubscriptions: true,
    holdMs,
    inject: ({ server }) => server.pause(),
    lift: ({ server }) => server.resume(),
  }
}

/** CLIENT KILL TYPE pubsub: every subscriber connection, of every worker, is dropped. */
export function pubsubKill() {
  return {
    name: 'CLIENT KILL TYPE pubsub',
    dropsSubscriptions: true,
    holdMs: 0,
    inject: async (context) => {
      context.notes.push(
        `subscriber connections killed: ${await context.server.killClients('pubsub')}`,
      )
    },
    lift: async () => {},
  }
}

/** Every worker's chaos wrapper drops, duplicates and reorders received frames for `holdMs`. */
export function frameChaos(rates, holdMs) {
  return {
    name: `frames: ${describeRates(rates)}`,
    holdMs,
    inject: ({ fleet }) => fleet.all({ type: 'chaos', rates }, 'chaosSet'),
    lift: ({ fleet }) => fleet.all({ type: 'chaos', rates: {} }, 'chaosSet'),
  }
}

export function describeRates(rates) {
  const percent = (rate) => `${Math.round((rate ?? 0) * 100)}%`
  return `${percent(rates.dropRate)} dropped, ${percent(rates.duplicateRate)} duplicated, ${percent(rates.reorderRate)} reordered`
}

/**
 * SIGKILL the master that owns the backplane channel's slot, and wait for its
 * replica to take over. Redis replicates asynchronously, so a write
 * acknowledged just before the kill can be lost, which the core README puts
 * outside the promise ("caches converge on what the L2 holds"). To measure the
 * backplane and not that, writes on the master are paused and the replica
 * allowed to catch up before the kill.
 */
export function clusterFailover() {
  return {
    name: 'cluster master failover (channel owner)',
    dropsSubscriptions: true,
    holdMs: 0,
    inject: async (context) => {
      const { cluster, channel } = context
      const masters = await cluster.masters()
      const entry = masters[0]
      const slot = Number(await cluster.command(entry, ['CLUSTER', 'KEYSLOT', channel]))
      const ranges = await cluster.command(entry, ['CLUSTER', 'SLOTS'])
      const range = ranges.find(([first, last]) => first <= slot && slot <= last)
      const ownerPort = Number(range[2][1])
      const index = masters.findIndex((master) => master.port === ownerPort)
      const owner = masters[index]
      await cluster.command(owner, ['CLIENT', 'PAUSE', '20000', 'WRITE'])
      await pollUntil(
        async () => {
          const info = text(await cluster.command(owner, ['INFO', 'replication']))
          const offset = /master_repl_offset:(\d+)/.exec(info)?.[1]
          const replicas = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((match) => match[1])
          return replicas.length > 0 && replicas.every((replica) => replica === offset)
        },
        { timeout: 10_000, interval: 10, description: 'the replica to catch up with its master' },
      )
      await cluster.killMaster(index)
      context.notes.push(`killed master 127.0.0.1:${ownerPort} (slot ${slot} of ${channel})`)
    },
    lift: async ({ cluster }) => {
      await cluster.waitForFailover({ timeout: 30_000 })
    },
  }
}
