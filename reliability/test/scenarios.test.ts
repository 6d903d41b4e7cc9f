// The short form of every scenario: 4 worker processes (memory L1, Redis L2,
// Redis backplane each), one fault at a time, every read checked against the
// write history. The long form (`pnpm long`) runs the same code for longer.
import { afterAll, expect, it } from 'vitest'
import { availableAdapters } from '../src/adapters.mjs'
import { formatFailure, formatTable } from '../src/report.mjs'
import { runScenario } from '../src/run-scenario.mjs'
import { scenarios } from '../src/scenarios.mjs'

const adapters = await availableAdapters()
const short = scenarios('short')
const results: Awaited<ReturnType<typeof runScenario>>[] = []

afterAll(() => {
  if (results.length > 0) console.log(`\n${formatTable(results)}\n`)
})

const order = ['convergence', 'restart', 'pause', 'pubsubKill', 'chaos', 'failover'] as const

for (const id of order) {
  const scenario = short[id]
  it(`${scenario.title}: no read staler than the bound (${adapters.join(' + ')})`, async () => {
    const result = await runScenario(scenario, { adapters })
    results.push(result)
    expect(result.failures, formatFailure(result)).toEqual([])
  })
}
