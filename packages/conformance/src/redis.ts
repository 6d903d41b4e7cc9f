/**
 * Real Redis servers for tests, with fault controls: `@cacheplane/conformance/redis`.
 * Nothing here mocks Redis; see the package README.
 */
export { pollUntil } from './poll.js'
export type { RespValue } from './servers/resp.js'
export { startRedis } from './servers/start-redis.js'
export {
  type RedisClusterNode,
  type RedisTestCluster,
  type StartRedisClusterOptions,
  startRedisCluster,
} from './servers/start-redis-cluster.js'
export type {
  RedisAclUser,
  RedisClientType,
  RedisStrategy,
  RedisTestServer,
  StartRedisOptions,
} from './servers/types.js'
