import { CacheplaneError } from '@cacheplane/core'
import type { ServerBackend } from './backend.js'
import { releaseDirectory, temporaryDirectory } from './live-processes.js'
import { freePort } from './ports.js'
import { PortInUseError, RedisServerProcess } from './server-process.js'

export interface ProcessBackendOptions {
  readonly args: readonly string[]
  readonly password: string | undefined
  readonly startTimeout: number
}

/** A throwaway `redis-server` on a free loopback port, in a temp dir of its own. */
export async function processBackend(options: ProcessBackendOptions): Promise<ServerBackend> {
  const directory = temporaryDirectory('cacheplane-redis-')
  let server: RedisServerProcess | undefined
  try {
    // The port was free when probed; another process may take it before the server binds.
    for (let attempt = 0; server === undefined; attempt++) {
      try {
        server = await RedisServerProcess.start({
          port: await freePort(),
          directory,
          args: options.args,
          credentials: options.password === undefined ? {} : { password: options.password },
          startTimeout: options.startTimeout,
        })
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= 4) throw error
      }
    }
  } catch (error) {
    releaseDirectory(directory)
    throw error
  }
  const running = server
  let stopped = false
  const open = () => {
    if (stopped) {
      throw new CacheplaneError(
        'E_CLOSED',
        `The Redis test server on port ${running.port} was stopped.`,
      )
    }
    return running
  }
  return {
    strategy: 'process',
    host: '127.0.0.1',
    port: running.port,
    username: undefined,
    password: options.password,
    pid: () => running.pid,
    async stop() {
      if (stopped) return
      stopped = true
      await running.kill()
      releaseDirectory(directory)
    },
    kill: async () => open().kill(),
    restart: async () => open().restart(),
    pause: async () => open().signal('SIGSTOP'),
    resume: async () => open().signal('SIGCONT'),
  }
}
