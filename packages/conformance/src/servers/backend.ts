import { CacheplaneError } from '@cacheplane/core'
import type { RedisStrategy } from './types.js'

/** What a strategy provides; start-redis adds the connection-level controls on top. @internal */
export interface ServerBackend {
  readonly strategy: RedisStrategy
  readonly host: string
  readonly port: number
  readonly username: string | undefined
  readonly password: string | undefined
  pid(): number | undefined
  stop(): Promise<void>
  kill(): Promise<void>
  restart(): Promise<void>
  pause(): Promise<void>
  resume(): Promise<void>
}

/** The backend of a server found through `REDIS_URL`: it is shared, so nothing may stop it. */
export function urlBackend(url: string): ServerBackend {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (error) {
    throw new CacheplaneError('E_INVALID_OPTION', `REDIS_URL is not a URL: ${url}`, {
      cause: error,
    })
  }
  if (parsed.protocol !== 'redis:') {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `REDIS_URL must start with redis:// (TLS is not supported by the test servers), got ${parsed.protocol}//`,
    )
  }
  const needsProcess = (control: string) => () =>
    Promise.reject(
      new CacheplaneError(
        'E_UNSUPPORTED',
        `${control}() needs a local Redis server process, but this one comes from REDIS_URL (${parsed.host}). Unset REDIS_URL to use a throwaway redis-server, or skip this test when REDIS_URL is set.`,
      ),
    )
  return {
    strategy: 'url',
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    pid: () => undefined,
    stop: () => Promise.resolve(),
    kill: needsProcess('kill'),
    restart: needsProcess('restart'),
    pause: needsProcess('pause'),
    resume: needsProcess('resume'),
  }
}
