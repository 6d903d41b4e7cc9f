// The parent's side of the worker processes: forks them, talks to them over
// IPC, and makes sure none outlives the run: each is asked to close and must
// exit by itself within a deadline, anything still alive after that is killed
// and counted, and every child is killed when this process exits, however it
// exits.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const scenarioWorker = fileURLToPath(new URL('./worker.mjs', import.meta.url))
const live = new Set()

function killQuietly(pid, signal = 'SIGKILL') {
  try {
    process.kill(pid, signal)
  } catch {
    // Already gone.
  }
}

process.on('exit', () => {
  for (const child of live) killQuietly(child.pid)
})

/** True while a process with this id exists (a zombie counts until reaped). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

class Worker {
  constructor(name, config, onLog, lifetime, script) {
    this.name = name
    this.config = config
    this.closing = false
    /** @type {string | undefined} Set by `Fleet.configure`. */
    this.instanceId = undefined
    this.lost = false
    this.waiters = new Map()
    this.nextRequest = 0
    this.output = ''
    this.child = fork(script, [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, RELIABILITY_WORKER_LIFETIME: String(lifetime) },
    })
    this.pid = this.child.pid
    live.add(this.child)
    const keep = (chunk) => {
      this.output = (this.output + chunk).slice(-4_000)
    }
    this.child.stdout.on('data', keep)
    this.child.stderr.on('data', keep)
    this.exit = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child)
        if (!this.closing) this.lost = true
        this.exitInfo = { code, signal }
        for (const waiter of this.waiters.values()) {
          waiter.reject(new Error(`worker ${name} exited (${code ?? signal}): ${this.output}`))
        }
        this.waiters.clear()
        resolve(this.exitInfo)
      })
    })
    this.child.on('message', (message) => {
      if (message.type === 'log') return onLog(this, message)
      if (message.type === 'fatal') this.fatal = message.message
      const waiter = this.waiters.get(message.id)
      if (waiter === undefined) return
      this.waiters.delete(message.id)
      if (message.type === waiter.reply) waiter.resolve(message)
      else {
        const detail = typeof message.message === 'string' ? `: ${message.message}` : ''
        waiter.reject(
          new Error(`worker ${name}: "${message.type}" instead of "${waiter.reply}"${detail}`),
        )
      }
    })
    // A worker that died makes send fail; its exit is what gets reported.
    this.child.on('error', () => {})
  }

  send(message) {
    if (this.child.connected) this.child.send(message)
  }

  /** Sends `message` and resolves the worker's reply of type `reply`. */
  request(message, reply, timeout = 30_000) {
    const id = ++this.nextRequest
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id)
        reject(new Error(`worker ${this.name}: no "${reply}" within ${timeout}ms`))
      }, timeout)
      this.waiters.set(id, {
        reply,
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      this.send({ ...message, id })
    })
  }
}

export class Fleet {
  /**
   * @param {{ name: string, config: object }[]} specs
   * @param {(worker: Worker, batch: object) => void} onLog
   * @param {{ lifetime?: number, script?: string }} [options] `script`: the worker's module (default: the scenario worker).
   */
  constructor(specs, onLog, { lifetime = 600_000, script = scenarioWorker } = {}) {
    this.workers = specs.map((spec) => new Worker(spec.name, spec.config, onLog, lifetime, script))
  }

  /** Configures every worker; resolves once all are subscribed to the backplane. */
  async configure() {
    const replies = await Promise.all(
      this.workers.map((worker) =>
        worker.request({ type: 'configure', config: worker.config }, 'ready'),
      ),
    )
    replies.forEach((reply, index) => {
      this.workers[index].instanceId = reply.instanceId
    })
  }

  all(message, reply, timeout) {
    return Promise.all(this.workers.map((worker) => worker.request(message, reply, timeout)))
  }

  broadcast(message) {
    for (const worker of this.workers) worker.send(message)
  }

  /**
   * Asks every worker to close and waits for each to exit by itself within
   * `deadline` ms. Resolves what each reported, and who had to be killed.
   */
  async close(deadline = 10_000) {
    const reports = await Promise.all(
      this.workers.map(async (worker) => {
        if (worker.exitInfo !== undefined) return { worker: worker.name, closed: undefined }
        worker.closing = true
        let closed
        try {
          closed = await worker.request({ type: 'close' }, 'closed', deadline)
        } catch (error) {
          closed = { error: String(error) }
        }
        let timer
        const exitedInTime = await Promise.race([
          worker.exit.then(() => true),
          new Promise((resolve) => {
            timer = setTimeout(() => resolve(false), deadline)
          }),
        ])
        clearTimeout(timer)
        if (!exitedInTime) {
          killQuietly(worker.pid)
          await worker.exit
        }
        return { worker: worker.name, closed, exitedInTime }
      }),
    )
    return reports
  }

  /** Teardown on failure: SIGKILL whatever is left. Idempotent. */
  async kill() {
    await Promise.all(
      this.workers.map(async (worker) => {
        worker.closing = true
        if (worker.exitInfo === undefined) killQuietly(worker.pid)
        await worker.exit
      }),
    )
  }

  /** Workers that died without being asked to, and processes still alive after teardown. */
  accounting() {
    return {
      lost: this.workers.filter((worker) => worker.lost).map((worker) => worker.name),
      leaked: this.workers.filter((worker) => isAlive(worker.pid)).map((worker) => worker.name),
      fatal: this.workers
        .filter((worker) => worker.fatal !== undefined)
        .map((worker) => ({ worker: worker.name, message: worker.fatal })),
    }
  }
}
