import { type ChildProcess, spawn } from 'node:child_process'
import { CacheplaneError } from '@cacheplane/core'
import { delay } from '../poll.js'
import { forget, killQuietly, track } from './live-processes.js'
import { answersPing, type RedisAddress } from './resp.js'

/** The fix every "no Redis here" error names. */
export const redisInstallHint = 'apt-get install -y redis-server, or set REDIS_URL'

export interface ServerProcessOptions {
  readonly port: number
  /** The server's working directory (`--dir`), owned by the caller. */
  readonly directory: string
  /** Configuration after the fixed throwaway settings, as `--name value` pairs. */
  readonly args: readonly string[]
  /** How to log in for the readiness check. */
  readonly credentials: Pick<RedisAddress, 'username' | 'password'>
  /** @default 10000 */
  readonly startTimeout?: number
}

/** Tells "port taken" apart from other start failures, so that the caller can pick another port. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError'
}

const outputLimit = 8_192

/**
 * One `redis-server` process on loopback: no persistence, its own temp dir,
 * killed on exit of this process (see live-processes). `restart` brings a new
 * process up on the same port and dir.
 */
export class RedisServerProcess {
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()
  private output = ''

  private constructor(private readonly options: ServerProcessOptions) {}

  /** Starts the server and resolves once it answers PING. */
  static async start(options: ServerProcessOptions): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(options)
    await server.spawnAndWait()
    return server
  }

  get port(): number {
    return this.options.port
  }

  /** The current process id; a restart changes it. `undefined` when not running. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  get running(): boolean {
    return this.child !== undefined
  }

  /** The server's last log lines, for error messages. */
  get recentOutput(): string {
    return this.output
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child === undefined) {
      throw new CacheplaneError(
        'E_UNSUPPORTED',
        `The Redis server on port ${this.port} is not running (killed or stopped); restart() it first.`,
      )
    }
    killQuietly(this.child.pid, signal)
  }

  /** SIGKILL, then waits for the process to be gone. Works on a paused (SIGSTOP) server too. */
  async kill(): Promise<void> {
    const child = this.child
    if (child === undefined) return
    // An unreferenced child would let the process exit before its exit event arrives.
    child.ref()
    killQuietly(child.pid, 'SIGKILL')
    await this.exited
  }

  async restart(): Promise<void> {
    await this.kill()
    await this.spawnAndWait()
  }

  private async spawnAndWait(): Promise<void> {
    const { port, directory, args } = this.options
    const child = spawn(
      'redis-server',
      [
        '--port',
        `${port}`,
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        directory,
        '--enable-debug-command',
        'local',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.output = ''
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve))
    const remember = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-outputLimit)
    }
    child.stdout?.on('data', remember)
    child.stderr?.on('data', remember)
    // A forgotten server must not keep a script alive: the exit hook kills it instead.
    child.unref()
    for (const stream of [child.stdout, child.stderr]) {
      ;(stream as unknown as { unref?: () => void } | null)?.unref?.()
    }
    let exitedEarly = false
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exitedEarly = true
        forget(child)
        if (this.child === child) this.child = undefined
        resolve()
      })
    })
    if (child.pid === undefined) {
      const error = await spawnError
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      throw new CacheplaneError(
        'E_UNSUPPORTED',
        missing
          ? `redis-server was not found on PATH. Fix: ${redisInstallHint}.`
          : `redis-server could not be started: ${error.message}`,
        { cause: error },
      )
    }
    this.child = child
    track(child, directory)
    const deadline = Date.now() + (this.options.startTimeout ?? 10_000)
    for (;;) {
      if (exitedEarly) {
        if (this.output.includes('Address already in use')) {
          throw new PortInUseError(`Port ${port} is already in use`)
        }
        throw new CacheplaneError(
          'E_L2_UNAVAILABLE',
          `redis-server on port ${port} exited during start-up. Its output:\n${this.output}`,
        )
      }
      if (await answersPing({ host: '127.0.0.1', port, ...this.options.credentials })) return
      if (Date.now() > deadline) {
        await this.kill()
        throw new CacheplaneError(
          'E_L2_UNAVAILABLE',
          `redis-server on port ${port} did not answer PING within ${this.options.startTimeout ?? 10_000}ms. Its output:\n${this.output}`,
        )
      }
      await delay(10)
    }
  }
}
