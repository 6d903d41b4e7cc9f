import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { CacheplaneError } from '@cacheplane/core'
import { pollUntil } from '../poll.js'
import type { ServerBackend } from './backend.js'
import { freePort } from './ports.js'
import { answersPing, type RedisAddress } from './resp.js'

/**
 * A cheap guess whether a Docker engine could answer: an endpoint is
 * configured or a socket file exists. Avoids importing testcontainers (~0.5 s)
 * on machines without one.
 */
export function dockerEngineLikely(): boolean {
  if (process.env.DOCKER_HOST) return true
  const runtime = process.env.XDG_RUNTIME_DIR
  const sockets = [
    '/var/run/docker.sock',
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    ...(runtime ? [join(runtime, 'docker.sock'), join(runtime, 'podman', 'podman.sock')] : []),
  ]
  return sockets.some((socket) => existsSync(socket))
}

function withTimeout<T>(promise: Promise<T>, milliseconds: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), milliseconds)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export interface ContainerOptions {
  readonly image: string
  readonly args: readonly string[]
  readonly username: string | undefined
  readonly password: string | undefined
  readonly startTimeout: number
}

/**
 * A Redis container with a fixed host port (so that `restart` keeps it),
 * removed by testcontainers' reaper if this process dies. Fault controls go
 * through the engine: the server is PID 1 in its container, which ignores
 * signals sent from inside.
 */
export async function startContainer(options: ContainerOptions): Promise<ServerBackend> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers')
  // A socket file with no engine behind it must not cost a long timeout.
  const runtime = await withTimeout(
    getContainerRuntimeClient(),
    5_000,
    'The Docker engine did not answer within 5s',
  )
  const hostPort = await freePort()
  const started = await new GenericContainer(options.image)
    .withCommand([
      'redis-server',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      // Connections come through the engine's network, never "local".
      '--enable-debug-command',
      'yes',
      ...options.args,
    ])
    .withExposedPorts({ container: 6379, host: hostPort })
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(options.startTimeout)
    .start()
  const container = runtime.container.getById(started.getId())
  const address: RedisAddress = {
    host: started.getHost(),
    port: started.getMappedPort(6379),
    ...(options.password === undefined ? {} : { password: options.password }),
  }
  let stopped = false
  const failWhenStopped = () => {
    if (stopped) {
      throw new CacheplaneError('E_UNSUPPORTED', 'The Redis container was stopped.')
    }
  }
  return {
    strategy: 'container',
    host: address.host,
    port: address.port,
    username: options.username,
    password: options.password,
    pid: () => undefined,
    async stop() {
      if (stopped) return
      stopped = true
      // The engine refuses to stop a paused container.
      await container.unpause().catch(() => {})
      await started.stop({ timeout: 0 })
    },
    async kill() {
      failWhenStopped()
      await container.kill({ signal: 'SIGKILL' })
    },
    async restart() {
      failWhenStopped()
      await started.restart({ timeout: 0 })
      await pollUntil(() => answersPing(address), {
        timeout: options.startTimeout,
        interval: 20,
        description: 'the restarted Redis container to answer PING',
      })
    },
    async pause() {
      failWhenStopped()
      await container.pause()
    },
    async resume() {
      failWhenStopped()
      await container.unpause()
    },
  }
}
