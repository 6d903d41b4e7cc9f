import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Every server process this package started and has not stopped yet, so that
 * none outlives the test process: they are killed on `exit`, SIGINT and
 * SIGTERM, and a watchdog kills each one even when this process dies by
 * SIGKILL (where no hook runs).
 */
interface LiveProcess {
  readonly child: ChildProcess
  readonly watchdog: ChildProcess
}

const live = new Map<number, LiveProcess>()
const directories = new Set<string>()
let hooksInstalled = false

function killEverything(): void {
  for (const [pid, entry] of live) {
    killQuietly(pid, 'SIGKILL')
    killQuietly(entry.watchdog.pid, 'SIGKILL')
  }
  live.clear()
  for (const directory of directories) removeDirectory(directory)
  directories.clear()
}

function onSignal(signal: NodeJS.Signals): void {
  killEverything()
  // Our listener replaced the default action; restore it when nobody else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function installHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', killEverything)
  const handler = (signal: NodeJS.Signals) => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
    onSignal(signal)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
}

/**
 * A shell that waits for end-of-file on its stdin, which happens when this
 * process dies however it dies, and then kills the server and removes its dir. `read` is a shell
 * builtin, so it costs a few milliseconds to start and nothing to run.
 */
function startWatchdog(pid: number, directory: string): ChildProcess {
  const script = 'read _ignored; kill -9 "$1" 2>/dev/null; [ -n "$2" ] && rm -rf "$2"'
  const watchdog = spawn('sh', ['-c', script, 'watchdog', `${pid}`, directory], {
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  watchdog.on('error', () => {})
  watchdog.stdin?.on('error', () => {})
  // Neither the watchdog nor its pipe may keep the event loop alive.
  watchdog.unref()
  ;(watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.()
  return watchdog
}

/**
 * Registers a started server; call {@link forget} once it has exited. Its
 * watchdog also removes `directory` should this process die unannounced.
 */
export function track(child: ChildProcess, directory = ''): void {
  if (child.pid === undefined) return
  installHooks()
  live.set(child.pid, { child, watchdog: startWatchdog(child.pid, directory) })
}

/** Creates a temp dir that is removed by {@link releaseDirectory} or, at the latest, on exit. */
export function temporaryDirectory(prefix: string): string {
  installHooks()
  const directory = mkdtempSync(join(tmpdir(), prefix))
  directories.add(directory)
  return directory
}

export function releaseDirectory(directory: string): void {
  directories.delete(directory)
  removeDirectory(directory)
}

/** Drops a process that has exited (or is about to be killed by the caller) from the registry. */
export function forget(child: ChildProcess): void {
  if (child.pid === undefined) return
  const entry = live.get(child.pid)
  if (entry === undefined) return
  live.delete(child.pid)
  killQuietly(entry.watchdog.pid, 'SIGKILL')
}

/** How many tracked server processes are alive. For tests of this package. */
export function liveProcessCount(): number {
  return live.size
}

export function killQuietly(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false
  try {
    return process.kill(pid, signal)
  } catch {
    return false
  }
}

/**
 * True while a process with this pid runs. A zombie (dead, not yet reaped by
 * its parent, as an orphan is where PID 1 does not reap) counts as gone.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    return state !== 'Z' && state !== 'X'
  } catch {
    // No /proc (macOS): kill(pid, 0) is all there is.
    return true
  }
}

function removeDirectory(directory: string): void {
  try {
    rmSync(directory, { recursive: true, force: true })
  } catch {
    // A temp dir that cannot be removed is not worth failing a test run for.
  }
}
