// `npm run demo`: three instances of a catalog service on one Redis, and a
// live dashboard of their caches and backplane. `--scenario` runs a scripted
// tour in the terminal instead and exits. See apps/demo/README.md.
import { parseArgs } from 'node:util'
import { createDatabaseFile } from './catalog-database.mjs'
import { chooseBackend } from './choose-backend.mjs'
import { installShutdownHandlers, onExit, onShutdown, shutdown } from './cleanup.mjs'
import { startDashboard } from './dashboard-server.mjs'
import { BACKPLANE_SETTINGS } from './instance.mjs'
import { runScenario } from './scenario.mjs'

const usage = `usage: npm run demo -- [options]

  --scenario     run a scripted tour in the terminal, print what happened, exit
  --memory       no Redis: run every instance in this process on the memory handle and transport
  --port N       dashboard port (default 7070; instances use N+1..N+3; 0 picks free ports)
  --quiet        print only the essentials
  --help

Redis: REDIS_URL when set, else a redis-server the demo starts (and stops), else --memory.`

let options
try {
  options = parseArgs({
    options: {
      scenario: { type: 'boolean', default: false },
      memory: { type: 'boolean', default: false },
      port: { type: 'string', default: '7070' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values
} catch (error) {
  console.error(`${error.message}\n\n${usage}`)
  process.exit(2)
}
if (options.help) {
  console.log(usage)
  process.exit(0)
}
const port = Number(options.port)
if (!Number.isInteger(port) || port < 0 || port > 65_532) {
  console.error(`--port must be a port number, got ${options.port}`)
  process.exit(2)
}

installShutdownHandlers()
const say = (line) => console.log(line)

let backend
try {
  backend = await chooseBackend({ forceMemory: options.memory })
} catch (error) {
  console.error(`[demo] ${error.message}`)
  await shutdown(1)
}
if (backend.kind === 'memory') {
  console.warn(
    `\n[demo] ${backend.description}.\n[demo] Start Redis or set REDIS_URL to see three real processes.\n`,
  )
}
const database = createDatabaseFile()
onExit(database.remove)
const fleet = await backend.startFleet({
  count: 3,
  basePort: port,
  databaseFile: database.file,
  quiet: options.quiet || options.scenario,
})
onShutdown(() => fleet.stop())

if (options.scenario) {
  const passed = await runScenario({ backend, fleet, settings: BACKPLANE_SETTINGS, say })
  await shutdown(passed ? 0 : 1)
} else {
  const dashboard = await startDashboard({
    port,
    backend,
    fleet,
    settings: BACKPLANE_SETTINGS,
  })
  onShutdown(() => dashboard.stop())
  say('')
  say('cacheplane demo: a catalog service (products, prices, stock), 3 instances')
  say(`  ${backend.description}`)
  for (const instance of fleet.instances) {
    say(`  ${instance.name}: ${instance.url}  (pid ${instance.pid})`)
  }
  say('')
  say(`  Dashboard: ${dashboard.url}`)
  say('')
  say('Press Ctrl-C to stop (the instances and any redis-server the demo started stop with it).')
}
