import { fork } from 'node:child_process'
import { onExit } from './cleanup.mjs'

const instanceEntry = new URL('./instance-process.mjs', import.meta.url)
const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 3_000

/**
 * Forks `count` instance processes (see instance-process.mjs) and waits until
 * each listens. Each one is killed on this process's exit, whatever the
 * reason; and each exits by itself when this process dies (its IPC channel
 * closes).
 *
 * @returns {Promise<{ instances: { index: number, name: string, port: number, pid: number, url: string }[], stop(): Promise<void> }>}
 */
export async function startProcessFleet({ count, basePort, redisUrl, databaseFile, quiet }) {
  const children = []
  const stop = async () => {
    await Promise.all(children.map(stopChild))
  }
  onExit(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  })
  try {
    const instances = await Promise.all(
      Array.from({ length: count }, async (_, offset) => {
        const index = offset + 1
        const config = {
          index,
          port: basePort === 0 ? 0 : basePort + index,
          redisUrl,
          databaseFile,
          quiet,
        }
        const child = fork(instanceEntry, [JSON.stringify(config)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
        children.push(child)
        const ready = await waitForReady(child, `instance-${index}`)
        return {
          index,
          name: `instance-${index}`,
          port: ready.port,
          pid: ready.pid,
          url: `http://127.0.0.1:${ready.port}`,
        }
      }),
    )
    return { instances, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function waitForReady(child, name) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${name} did not start within ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    )
    const onMessage = (message) => {
      if (message?.type !== 'ready') return
      cleanup()
      resolve(message)
    }
    const onExitEarly = (code, signal) =>
      fail(new Error(`${name} exited before it was ready (${signal ?? `code ${code}`})`))
    const fail = (error) => {
      cleanup()
      reject(error)
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExitEarly)
      child.off('error', fail)
    }
    child.on('message', onMessage)
    child.on('exit', onExitEarly)
    child.on('error', fail)
  })
}

/** Asks the child to stop, then kills it if it has not exited in time. */
function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    if (child.connected) child.send({ type: 'stop' }, () => undefined)
    else child.kill('SIGTERM')
  })
}
