import { CacheplaneError } from '@cacheplane/core'
import { type ServerBackend, urlBackend } from './backend.js'
import { dockerEngineLikely, startContainer } from './container-server.js'
import { processBackend } from './process-backend.js'
import { type RedisAddress, redisCommand } from './resp.js'
import { redisInstallHint } from './server-process.js'
import type { RedisAclUser, RedisTestServer, StartRedisOptions } from './types.js'

const optionNames = new Set(['password', 'users', 'args', 'strategy', 'image', 'startTimeout'])
const strategies = new Set(['auto', 'url', 'container', 'process'])

function invalid(option: string, expected: string): never {
  throw new CacheplaneError(
    'E_INVALID_OPTION',
    `startRedis: option "${option}" must be ${expected}.`,
  )
}

function validate(options: StartRedisOptions): void {
  for (const name of Object.keys(options)) {
    if (!optionNames.has(name)) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        `startRedis: unknown option "${name}". Known options: ${[...optionNames].join(', ')}.`,
      )
    }
  }
  if (
    options.password !== undefined &&
    (typeof options.password !== 'string' || options.password === '')
  ) {
    invalid('password', 'a non-empty string')
  }
  if (options.strategy !== undefined && !strategies.has(options.strategy)) {
    invalid('strategy', "'auto', 'url', 'container' or 'process'")
  }
  if (
    options.args !== undefined &&
    !options.args.every((argument) => typeof argument === 'string')
  ) {
    invalid('args', 'an array of strings')
  }
  for (const user of options.users ?? []) {
    if (
      !/^[^\s>]+$/.test(user.name ?? '') ||
      typeof user.password !== 'string' ||
      user.password === ''
    ) {
      invalid('users', 'an array of { name, password, rules? } with a name without spaces')
    }
  }
  if (
    options.startTimeout !== undefined &&
    (typeof options.startTimeout !== 'number' || !(options.startTimeout > 0))
  ) {
    invalid('startTimeout', 'a positive number of milliseconds')
  }
}

/** Server configuration as `redis-server` arguments (the same for processes and containers). */
function configurationArgs(options: StartRedisOptions): string[] {
  const args: string[] = []
  if (options.password !== undefined) args.push('--requirepass', options.password)
  for (const user of options.users ?? []) args.push(...aclUserArgs(user))
  args.push(...(options.args ?? []))
  return args
}

function aclUserArgs(user: RedisAclUser): string[] {
  return ['--user', user.name, 'on', `>${user.password}`, ...(user.rules ?? ['~*', '&*', '+@all'])]
}

async function startBackend(options: StartRedisOptions): Promise<ServerBackend> {
  const strategy = options.strategy ?? process.env.CACHEPLANE_REDIS_STRATEGY ?? 'auto'
  if (!strategies.has(strategy)) {
    invalid('strategy (from CACHEPLANE_REDIS_STRATEGY)', "'auto', 'url', 'container' or 'process'")
  }
  const redisUrl = process.env.REDIS_URL
  const configures =
    options.password !== undefined ||
    (options.users?.length ?? 0) > 0 ||
    (options.args?.length ?? 0) > 0
  const args = configurationArgs(options)
  const startTimeout = options.startTimeout ?? 10_000
  const local = { args, password: options.password, startTimeout }

  if (strategy === 'url') {
    if (!redisUrl) {
      throw new CacheplaneError(
        'E_INVALID_OPTION',
        'startRedis: strategy "url" needs REDIS_URL to be set.',
      )
    }
    return urlBackend(redisUrl)
  }
  if (strategy === 'process') return processBackend(local)
  const containerOptions = {
    image: options.image ?? 'redis:7.0-alpine',
    args,
    username: undefined,
    password: options.password,
    startTimeout: Math.max(startTimeout, 60_000),
  }
  if (strategy === 'container') return startContainer(containerOptions)

  // auto: a shared server from REDIS_URL cannot be configured, so configured servers are local.
  if (redisUrl && !configures) return urlBackend(redisUrl)
  let containerError: unknown
  if (dockerEngineLikely()) {
    try {
      return await startContainer(containerOptions)
    } catch (error) {
      containerError = error
    }
  }
  try {
    return await processBackend(local)
  } catch (error) {
    if (CacheplaneError.hasCode(error, 'E_UNSUPPORTED') && containerError !== undefined) {
      const reason =
        containerError instanceof Error ? containerError.message : String(containerError)
      throw new CacheplaneError(
        'E_UNSUPPORTED',
        `No Redis server could be started: the container failed (${reason}) and redis-server is not installed. Fix: ${redisInstallHint}.`,
        { cause: error },
      )
    }
    throw error
  }
}

/**
 * Starts a Redis server for tests: `REDIS_URL` when set, else a container
 * when a Docker engine answers, else a throwaway `redis-server` on a free
 * loopback port. Always stop it (or use `await using`); servers left running
 * are killed when the process exits.
 *
 * @example
 * await using server = await startRedis()
 * const client = new Redis(server.url)
 * await server.killClients('pubsub') // a subscriber loses its connection
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisTestServer> {
  if (typeof options !== 'object' || options === null) invalid('options', 'an object')
  validate(options)
  const backend = await startBackend(options)
  const address: RedisAddress = {
    host: backend.host,
    port: backend.port,
    ...(backend.username === undefined ? {} : { username: backend.username }),
    ...(backend.password === undefined ? {} : { password: backend.password }),
  }
  const credentials =
    backend.password === undefined
      ? ''
      : `${encodeURIComponent(backend.username ?? '')}:${encodeURIComponent(backend.password)}@`
  const host = backend.host.includes(':') ? `[${backend.host}]` : backend.host
  const stop = () => backend.stop()
  return {
    strategy: backend.strategy,
    url: `redis://${credentials}${host}:${backend.port}`,
    host: backend.host,
    port: backend.port,
    password: backend.password,
    get pid() {
      return backend.pid()
    },
    stop,
    kill: () => backend.kill(),
    restart: () => backend.restart(),
    pause: () => backend.pause(),
    resume: () => backend.resume(),
    async killClients(type) {
      const killed = await redisCommand(address, ['CLIENT', 'KILL', 'TYPE', type])
      return typeof killed === 'number' ? killed : 0
    },
    async flushAll() {
      await redisCommand(address, ['FLUSHALL', 'SYNC'])
    },
    command: (args) => redisCommand(address, args),
    [Symbol.asyncDispose]: stop,
  }
}
