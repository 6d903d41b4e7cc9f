import { CacheplaneError } from '@cacheplane/core'
import { pollUntil } from '../poll.js'
import {
  type ClusterNodeLine,
  isFailed,
  parseClusterNodes,
  servedSlots,
  slotRange,
} from './cluster-topology.js'
import { releaseDirectory, temporaryDirectory } from './live-processes.js'
import { freeClusterPort } from './ports.js'
import { parseInfo, type RespValue, redisCommand, replyText } from './resp.js'
import { RedisServerProcess } from './server-process.js'

export interface StartRedisClusterOptions {
  /** Masters; the 16384 slots are split evenly between them. @default 3 */
  masters?: number
  /** Replicas per master. Failover tests need at least 1. @default 0 */
  replicas?: number
  /** `cluster-node-timeout` in ms: how soon a silent master counts as failed. @default 2000 */
  nodeTimeout?: number
  /** More `redis-server` arguments for every node. @default [] */
  args?: readonly string[]
  /** How long to wait for the cluster to be ready, in ms. @default 20000 */
  startTimeout?: number
}

/** Where a cluster node listens. */
export interface RedisClusterNode {
  readonly host: string
  readonly port: number
}

/** A Redis Cluster of throwaway `redis-server` processes on loopback. */
export interface RedisTestCluster extends AsyncDisposable {
  /** Every node as started: masters first, then replicas. */
  readonly nodes: readonly RedisClusterNode[]
  /** The live masters that serve slots, ordered by their first slot. */
  masters(): Promise<RedisClusterNode[]>
  /** SIGKILLs master `index` of {@link masters} (for failover tests). Resolves the killed node. */
  killMaster(index: number): Promise<RedisClusterNode>
  /** Waits until every slot is served by a live master and every live node says `cluster_state:ok`. Resolves the masters then. */
  waitForFailover(options?: { timeout?: number }): Promise<RedisClusterNode[]>
  /** Sends one command to one node over a short-lived connection. */
  command(node: RedisClusterNode, args: readonly (string | number)[]): Promise<RespValue>
  /** Stops every node and removes their temp dirs. Idempotent. */
  stop(): Promise<void>
}

const optionNames = new Set(['masters', 'replicas', 'nodeTimeout', 'args', 'startTimeout'])

function integerOption(value: unknown, name: string, minimum: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value >= minimum) return value
  throw new CacheplaneError(
    'E_INVALID_OPTION',
    `startRedisCluster: option "${name}" must be an integer >= ${minimum}.`,
  )
}

const local = (port: number) => ({ host: '127.0.0.1', port })

async function nodeText(port: number, args: readonly (string | number)[]): Promise<string> {
  return replyText(await redisCommand(local(port), args))
}

async function clusterNodes(port: number): Promise<ClusterNodeLine[]> {
  return parseClusterNodes(await nodeText(port, ['CLUSTER', 'NODES']))
}

/**
 * Starts a Redis Cluster on loopback ports in 20000-29999 (each node's bus
 * port, +10000, free too) and resolves once every node says
 * `cluster_state:ok` and every replica's link to its master is up. Needs
 * `redis-server` on PATH (`apt-get install -y redis-server`).
 *
 * @example
 * await using cluster = await startRedisCluster({ masters: 3, replicas: 1 })
 * await cluster.killMaster(0)
 * await cluster.waitForFailover()
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisTestCluster> {
  for (const name of Object.keys(options)) {
    if (!optionNames.has(name)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `startRedisCluster: unknown option "${name}". Known options: ${[...optionNames].join(', ')}.`,
      )
    }
  }
  const masterCount = integerOption(options.masters, 'masters', 1, 3)
  const replicaCount = integerOption(options.replicas, 'replicas', 0, 0)
  const nodeTimeout = integerOption(options.nodeTimeout, 'nodeTimeout', 100, 2_000)
  const startTimeout = integerOption(options.startTimeout, 'startTimeout', 1, 20_000)
  const total = masterCount * (1 + replicaCount)

  const directories: string[] = []
  const servers: RedisServerProcess[] = []
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await Promise.all(servers.map((server) => server.kill()))
    for (const directory of directories) releaseDirectory(directory)
  }

  const ports: number[] = []
  try {
    const chosen = new Set<number>()
    for (let index = 0; index < total; index++) {
      const port = await freeClusterPort(chosen)
      chosen.add(port)
      ports.push(port)
    }
    // allSettled: a node that starts after another failed must still be stopped below.
    const started = await Promise.allSettled(
      ports.map(async (port) => {
        const directory = temporaryDirectory('cacheplane-cluster-')
        directories.push(directory)
        servers.push(
          await RedisServerProcess.start({
            port,
            directory,
            credentials: {},
            args: [
              '--cluster-enabled',
              'yes',
              '--cluster-node-timeout',
              `${nodeTimeout}`,
              '--cluster-config-file',
              'nodes.conf',
              '--repl-diskless-sync-delay',
              '0',
              ...(options.args ?? []),
            ],
          }),
        )
      }),
    )
    const failed = started.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
    await formCluster(ports, masterCount, startTimeout)
  } catch (error) {
    await stop()
    throw error
  }

  const serverOn = (port: number) => servers.find((server) => server.port === port)
  const liveMasters = async (): Promise<RedisClusterNode[]> => {
    const alive = servers.filter((server) => server.running)
    let lastError: unknown
    for (const server of alive) {
      try {
        const view = await clusterNodes(server.port)
        return view
          .filter(
            (node) =>
              node.flags.includes('master') &&
              !isFailed(node) &&
              node.slots.length > 0 &&
              serverOn(node.port)?.running === true,
          )
          .sort((left, right) => (left.slots[0]?.[0] ?? 0) - (right.slots[0]?.[0] ?? 0))
          .map((node) => local(node.port))
      } catch (error) {
        lastError = error
      }
    }
    throw new CacheplaneError('E_L2_UNAVAILABLE', 'No cluster node answered CLUSTER NODES.', {
      cause: lastError,
    })
  }

  return {
    nodes: servers
      .map((server) => local(server.port))
      .sort((left, right) => ports.indexOf(left.port) - ports.indexOf(right.port)),
    masters: liveMasters,
    async killMaster(index) {
      const masters = await liveMasters()
      const target = masters[index]
      if (target === undefined) {
        throw new CacheplaneError(
          'E_INVALID_OPTION',
          `killMaster: there are ${masters.length} live masters; index ${index} is out of range.`,
        )
      }
      await serverOn(target.port)?.kill()
      return target
    },
    async waitForFailover({ timeout = 20_000 } = {}) {
      return pollUntil(
        async () => {
          const alive = servers.filter((server) => server.running)
          for (const server of alive) {
            const info = parseInfo(await nodeText(server.port, ['CLUSTER', 'INFO']))
            if (info.get('cluster_state') !== 'ok') return undefined
          }
          const first = alive[0]
          if (first === undefined) return undefined
          const serving = (await clusterNodes(first.port)).filter(
            (node) => node.flags.includes('master') && node.slots.length > 0,
          )
          const allLive = serving.every(
            (node) => !isFailed(node) && serverOn(node.port)?.running === true,
          )
          return allLive && servedSlots(serving) === 16_384 ? liveMasters() : undefined
        },
        {
          timeout,
          interval: 100,
          description: 'the cluster to fail over (every slot on a live master)',
        },
      )
    },
    command: (node, args) => redisCommand(node, args),
    stop,
    [Symbol.asyncDispose]: stop,
  }
}

/**
 * Assigns slots, introduces the nodes to each other and attaches replicas,
 * then waits until the cluster is ok everywhere (what `redis-cli --cluster
 * create` does, without its fixed one-second waits).
 */
async function formCluster(ports: number[], masterCount: number, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout
  const remaining = () => Math.max(1, deadline - Date.now())
  const ids = await Promise.all(ports.map((port) => nodeText(port, ['CLUSTER', 'MYID'])))
  await Promise.all(
    ports.map(async (port, index) => {
      // Distinct epochs up front spare the cluster its epoch-collision rounds.
      await nodeText(port, ['CLUSTER', 'SET-CONFIG-EPOCH', index + 1])
      if (index < masterCount) {
        const [first, last] = slotRange(index, masterCount)
        await nodeText(port, ['CLUSTER', 'ADDSLOTSRANGE', first, last])
      }
    }),
  )
  const [firstPort, ...others] = ports
  if (firstPort === undefined) return
  for (const port of others) await nodeText(firstPort, ['CLUSTER', 'MEET', '127.0.0.1', port])
  await pollUntil(
    async () => {
      for (const port of ports) {
        const view = await clusterNodes(port)
        if (view.length !== ports.length) return false
        if (
          view.some((node) => node.flags.includes('handshake') || node.flags.includes('noaddr'))
        ) {
          return false
        }
      }
      return true
    },
    { timeout: remaining(), interval: 20, description: 'every cluster node to know every other' },
  )
  await Promise.all(
    ports.slice(masterCount).map((port, index) => {
      const masterId = ids[index % masterCount] ?? ''
      return nodeText(port, ['CLUSTER', 'REPLICATE', masterId])
    }),
  )
  const replicaTotal = ports.length - masterCount
  await pollUntil(
    async () => {
      for (const [index, port] of ports.entries()) {
        const info = parseInfo(await nodeText(port, ['CLUSTER', 'INFO']))
        if (info.get('cluster_state') !== 'ok') return false
        const view = await clusterNodes(port)
        if (view.filter((node) => node.flags.includes('slave')).length !== replicaTotal)
          return false
        if (index >= masterCount) {
          const replication = parseInfo(await nodeText(port, ['INFO', 'replication']))
          if (replication.get('master_link_status') !== 'up') return false
        }
      }
      return true
    },
    {
      timeout: remaining(),
      interval: 50,
      description: 'cluster_state:ok on every node and every replica linked',
    },
  )
}
