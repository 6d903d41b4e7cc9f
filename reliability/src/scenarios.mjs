// The scenarios, in a short form (npm test) and a long form (the long run).
// Times are in ms from the moment every worker started writing and reading.
import { clusterFailover, frameChaos, pubsubKill, redisPause, redisRestart } from './faults.mjs'

const chaosRates = { dropRate: 0.1, duplicateRate: 0.1, reorderRate: 0.1 }

/** @param {'short' | 'long'} form */
export function scenarios(form) {
  const long = form === 'long'
  const scale = (short, longer) => (long ? longer : short)
  return {
    convergence: {
      id: 'convergence',
      title: 'Convergence under concurrent writes, no faults',
      topology: 'standalone',
      layout: 'hot',
      keysPerWriter: 4,
      durationMs: scale(4_000, 30_000),
      tailMs: 1_000,
    },
    restart: {
      id: 'redis-restart',
      title: 'Redis SIGKILL, restart on the same port',
      topology: 'standalone',
      layout: 'mixed',
      keysPerWriter: 6,
      durationMs: scale(5_000, 30_000),
      faults: long
        ? [5_000, 15_000, 24_000].map((at) => ({ at, fault: redisRestart(2_000) }))
        : [{ at: 1_500, fault: redisRestart(1_500) }],
    },
    pause: {
      id: 'redis-pause',
      title: 'Redis SIGSTOP for seconds, then SIGCONT',
      topology: 'standalone',
      layout: 'mixed',
      keysPerWriter: 6,
      durationMs: scale(6_000, 30_000),
      faults: long
        ? [5_000, 17_000].map((at) => ({ at, fault: redisPause(5_000) }))
        : [{ at: 1_500, fault: redisPause(3_000) }],
    },
    pubsubKill: {
      id: 'pubsub-kill',
      title: 'CLIENT KILL TYPE pubsub',
      topology: 'standalone',
      layout: 'mixed',
      keysPerWriter: 6,
      durationMs: scale(4_000, 30_000),
      faults: (long ? [4_000, 10_000, 16_000, 22_000] : [1_500]).map((at) => ({
        at,
        fault: pubsubKill(),
      })),
    },
    chaos: {
      id: 'frame-chaos',
      title: 'Frames dropped, duplicated and reordered',
      topology: 'standalone',
      layout: 'mixed',
      keysPerWriter: 6,
      durationMs: scale(5_000, 30_000),
      faults: [{ at: 500, fault: frameChaos(chaosRates, scale(4_000, 28_000)) }],
    },
    failover: {
      id: 'cluster-failover',
      title: 'Redis Cluster master failover',
      topology: 'cluster',
      layout: 'mixed',
      keysPerWriter: 6,
      durationMs: scale(5_000, 20_000),
      faults: [{ at: 1_500, fault: clusterFailover() }],
    },
    mixed: {
      id: 'mixed-faults',
      title: 'Mixed faults, one after another, with quiet periods between',
      topology: 'standalone',
      layout: 'mixed',
      keysPerWriter: 6,
      durationMs: 90_000,
      faults: [
        { at: 5_000, fault: redisRestart(2_000) },
        { at: 15_000, fault: frameChaos(chaosRates, 5_000) },
        { at: 27_000, fault: redisPause(4_000) },
        { at: 40_000, fault: pubsubKill() },
        { at: 47_000, fault: frameChaos({ dropRate: 0.3 }, 5_000) },
        { at: 58_000, fault: redisRestart(1_000) },
        { at: 66_000, fault: pubsubKill() },
        { at: 72_000, fault: redisPause(2_000) },
        { at: 80_000, fault: frameChaos({ duplicateRate: 0.3, reorderRate: 0.3 }, 5_000) },
      ],
    },
  }
}
