// The Redis adapters a worker can run on. Each one builds the client from a
// target (a standalone server or a cluster, with optional credentials), and
// wraps it into the adapter's handle and backplane. Workers name the adapter in
// their configuration, so the same scenario runs on either client library.

/**
 * `awaitConnect: false` hands over a client that is still connecting (node-redis
 * retries a refused login forever; ioredis always connects in the background).
 * @typedef {{ kind: 'standalone', host: string, port: number, username?: string, password?: string, awaitConnect?: boolean }
 *   | { kind: 'cluster', nodes: { host: string, port: number }[] }} RedisTarget
 */

// Short client timeouts: a test that waits 20 retries for a killed server
// measures the client's patience, not the cache.
const commandTimeout = 1_000

async function loadIoredis() {
  const { Redis, Cluster } = await import('ioredis')
  const { redisBackplane, redisHandle } = await import('@cacheplane/ioredis')
  return {
    name: 'ioredis',
    /** @param {RedisTarget} target */
    async connect(target) {
      const common = {
        commandTimeout,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt) => Math.min(20 * attempt, 200),
      }
      const client =
        target.kind === 'cluster'
          ? new Cluster(target.nodes, {
              redisOptions: common,
              clusterRetryStrategy: (attempt) => Math.min(50 * attempt, 500),
            })
          : new Redis({
              host: target.host,
              port: target.port,
              username: target.username,
              password: target.password,
              ...common,
            })
      // Errors reach callers as typed cache errors; the client's own event would only be logged.
      client.on('error', () => {})
      return client
    },
    handle: (client, options = {}) => redisHandle({ client, ...options }),
    backplane: (client, options = {}) => redisBackplane({ client, ...options }),
    async quit(client) {
      await client.quit().catch(() => client.disconnect())
    },
  }
}

async function loadNodeRedis() {
  const { createClient, createCluster } = await import('redis')
  const { redisBackplane, redisHandle } = await import('@cacheplane/node-redis')
  return {
    name: 'node-redis',
    /** @param {RedisTarget} target */
    async connect(target) {
      const reconnectStrategy = (attempt) => Math.min(20 * (attempt + 1), 200)
      const client =
        target.kind === 'cluster'
          ? createCluster({
              rootNodes: target.nodes.map((node) => ({ socket: node })),
              defaults: {
                socket: { reconnectStrategy },
                commandOptions: { timeout: commandTimeout },
              },
            })
          : createClient({
              socket: { host: target.host, port: target.port, reconnectStrategy },
              username: target.username,
              password: target.password,
              commandOptions: { timeout: commandTimeout },
            })
      client.on('error', () => {})
      // A client that cannot log in retries forever: callers that expect that do not wait for it.
      const connected = client.connect()
      if (target.awaitConnect === false) connected.catch(() => {})
      else await connected
      return client
    },
    handle: (client, options = {}) => redisHandle({ client, ...options }),
    backplane: (client, options = {}) => redisBackplane({ client, ...options }),
    async quit(client) {
      // close() waits for the connection; one that never logged in is destroyed.
      if (!client.isReady) return client.destroy()
      await client.close().catch(() => client.destroy())
    },
  }
}

const loaders = { ioredis: loadIoredis, 'node-redis': loadNodeRedis }

/** @param {string} name */
export function loadAdapter(name) {
  const load = loaders[name]
  if (load === undefined) throw new Error(`Unknown adapter "${name}"`)
  return load()
}

/**
 * The adapters that can run here: ioredis always; node-redis once its package
 * is built and installed as a dependency of this one.
 */
export async function availableAdapters() {
  const names = ['ioredis']
  try {
    const nodeRedis = await import('@cacheplane/node-redis')
    if (typeof nodeRedis.redisHandle === 'function') names.push('node-redis')
  } catch {
    // Not installed (yet): the suite runs on ioredis alone and says so in its results.
  }
  return names
}
