import type { RespValue } from './resp.js'

/** The connection kinds `CLIENT KILL TYPE` knows. */
export type RedisClientType = 'normal' | 'pubsub' | 'master' | 'replica'

/** How the server was obtained. */
export type RedisStrategy = 'url' | 'container' | 'process'

/** An ACL user to create on the server (for tests of `AUTH username password`). */
export interface RedisAclUser {
  readonly name: string
  readonly password: string
  /** ACL rules. @default ['~*', '&*', '+@all'] */
  readonly rules?: readonly string[]
}

export interface StartRedisOptions {
  /** `requirepass` of the default user; `url` then carries it. @default none */
  password?: string
  /** Extra ACL users (`user <name> on ><password> <rules>`). @default [] */
  users?: readonly RedisAclUser[]
  /** More `redis-server` arguments, such as `['--maxmemory', '10mb']`. @default [] */
  args?: readonly string[]
  /**
   * Where the server comes from. `'auto'` takes `REDIS_URL` when set (and
   * nothing above asks to configure the server), else a container when a
   * Docker engine answers, else a `redis-server` process.
   * @default process.env.CACHEPLANE_REDIS_STRATEGY ?? 'auto'
   */
  strategy?: 'auto' | RedisStrategy
  /** Container image for the container strategy. @default 'redis:7.0-alpine' */
  image?: string
  /** How long to wait for the server to answer, in ms (containers add image pulls). @default 10000 */
  startTimeout?: number
}

/**
 * A Redis server for tests, with fault controls. Fault controls that need the
 * server's process (`kill`, `restart`, `pause`, `resume`) throw `E_UNSUPPORTED`
 * on a server taken from `REDIS_URL`; `killClients` and `flushAll` work on any.
 */
export interface RedisTestServer extends AsyncDisposable {
  readonly strategy: RedisStrategy
  /** `redis://[:password@]host:port`, ready for a client constructor. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** The default user's password, when one was set. */
  readonly password: string | undefined
  /** The server's process id (process strategy only; a restart changes it). */
  readonly pid: number | undefined
  /** Stops the server and removes its temp dir. Idempotent. */
  stop(): Promise<void>
  /** SIGKILL: the server vanishes mid-flight, connections see a reset. */
  kill(): Promise<void>
  /** Starts the server again on the same port (after `kill`, or killing it now); resolves once it answers. Data is gone. */
  restart(): Promise<void>
  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): Promise<void>
  /** SIGCONT after `pause`. */
  resume(): Promise<void>
  /** `CLIENT KILL TYPE <type>` from a short-lived connection of its own. Resolves how many were killed. */
  killClients(type: RedisClientType): Promise<number>
  /** `FLUSHALL SYNC`. */
  flushAll(): Promise<void>
  /** Sends one command over a short-lived admin connection, such as `['INFO', 'clients']`. */
  command(args: readonly (string | number | Uint8Array)[]): Promise<RespValue>
}
