// The long form: every scenario for longer (several faults each), then all
// faults mixed in one run, and the results written to RESULTS.md.
//
//   pnpm --filter @cacheplane/reliability long [-- --only <scenario key>]
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { availableAdapters } from './adapters.mjs'
import { formatDetails, formatFailure, formatTable } from './report.mjs'
import { runScenario } from './run-scenario.mjs'
import { scenarios } from './scenarios.mjs'
import {
  backplaneTimings,
  circuitBreaker,
  deliveryAllowance,
  faultBound,
  propagationBound,
} from './settings.mjs'

const resultsFile = fileURLToPath(new URL('../RESULTS.md', import.meta.url))
const onlyIndex = process.argv.indexOf('--only')
const only = onlyIndex === -1 ? undefined : process.argv[onlyIndex + 1]

const all = scenarios('long')
const order = ['convergence', 'restart', 'pause', 'pubsubKill', 'chaos', 'failover', 'mixed']
const selected = order.filter((key) => only === undefined || key === only)
if (selected.length === 0) {
  console.error(`Unknown scenario "${only}". Known: ${order.join(', ')}`)
  process.exit(2)
}

function redisVersion() {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

const adapters = await availableAdapters()
const startedAt = new Date()
const results = []
for (const key of selected) {
  const scenario = all[key]
  const began = Date.now()
  console.log(`\n[long run] ${scenario.title}`)
  const result = await runScenario(scenario, {
    adapters,
    log: (line) => console.log(`  ${((Date.now() - began) / 1000).toFixed(1)} s  ${line}`),
  })
  results.push(result)
  console.log(
    `  ${result.verdict}: ${result.reads.total} reads, worst ${result.worst.normal} ms normal / ${result.worst.fault} ms in faults`,
  )
  if (result.verdict !== 'pass') console.log(formatFailure(result))
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}, ${redisVersion()}`
const lines = [
  '# Reliability results',
  '',
  'Written by the long run; see [README.md](./README.md) for what each scenario does and how to read this.',
  '',
  `- Command: \`pnpm --filter @cacheplane/reliability long${only === undefined ? '' : ` -- --only ${only}`}\``,
  `- Date: ${startedAt.toISOString()} (took ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min)`,
  `- Machine: ${machine}`,
  `- Adapters: ${adapters.join(', ')}${adapters.includes('node-redis') ? '' : ' (node-redis was not available to this run)'}`,
  `- Backplane settings: heartbeatInterval ${backplaneTimings.heartbeatInterval} ms, heartbeatTimeout ${backplaneTimings.heartbeatTimeout} ms, degradedTtl ${backplaneTimings.degradedTtl} ms; circuit breaker ${circuitBreaker.failures} failures, ${circuitBreaker.breakDuration} ms break`,
  `- Bounds: ${propagationBound} ms in normal operation; ${faultBound} ms under faults (heartbeatTimeout + degradedTtl + ${deliveryAllowance} ms allowance: one heartbeatInterval of detection delay and 100 ms for timers on a loaded machine)`,
  '',
  '## Summary',
  '',
  formatTable(results),
  '',
  '## Scenarios',
  '',
  ...results.flatMap((result) => [formatDetails(result), '']),
]
writeFileSync(resultsFile, lines.join('\n'))
console.log(`\n${formatTable(results)}\n\nWritten to ${resultsFile}`)
process.exitCode = results.every((result) => result.verdict === 'pass') ? 0 : 1
