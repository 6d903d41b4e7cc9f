// Everything the demo starts is stopped by it: on a normal end, on Ctrl-C or
// SIGTERM, and on a crash. Async stops run in reverse order of registration
// (with a deadline); sync ones also run in the `exit` hook, the last chance
// when something called `process.exit` directly.

const stops = []
const lastResorts = []
let shuttingDown

/** Registers an async stop, run on shutdown (last registered, first run). */
export function onShutdown(stop) {
  stops.push(stop)
}

/** Registers a synchronous kill, run on shutdown and in the `exit` hook whatever happens. */
export function onExit(kill) {
  lastResorts.push(kill)
}

function runLastResorts() {
  for (const kill of lastResorts.splice(0).reverse()) {
    try {
      kill()
    } catch {
      // Nothing more can be done this late.
    }
  }
}

/** Stops everything registered, then exits with `code`. */
export function shutdown(code = 0, deadlineMs = 5_000) {
  shuttingDown ??= (async () => {
    const deadline = setTimeout(() => {
      console.error(`[demo] stopping took longer than ${deadlineMs} ms; killing what is left`)
      runLastResorts()
      process.exit(code || 1)
    }, deadlineMs)
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop()
      } catch (error) {
        console.error(`[demo] while stopping: ${error instanceof Error ? error.message : error}`)
      }
    }
    clearTimeout(deadline)
    runLastResorts()
    process.exit(code)
  })()
  return shuttingDown
}

/** Ctrl-C and SIGTERM stop the demo cleanly; a second Ctrl-C stops it at once; crashes stop it too. */
export function installShutdownHandlers(log = console.error) {
  process.on('exit', runLastResorts)
  let signals = 0
  const onSignal = (signal) => {
    signals++
    if (signals > 1) {
      runLastResorts()
      process.exit(130)
    }
    log(`[demo] ${signal}: stopping the instances and Redis...`)
    void shutdown(signal === 'SIGINT' ? 130 : 143)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', onSignal)
  const onCrash = (error) => {
    log(`[demo] crashed: ${error instanceof Error ? (error.stack ?? error.message) : error}`)
    void shutdown(1)
  }
  process.on('uncaughtException', onCrash)
  process.on('unhandledRejection', onCrash)
}
