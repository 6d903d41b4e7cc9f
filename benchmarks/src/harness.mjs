// A small, honest harness. Every task runs its own loop of calls (no timer
// around each call), tasks are interleaved round by round so that machine
// drift hits all alike, and the median round is reported with its spread.
import os from 'node:os'

/**
 * @typedef {object} Task
 * @property {string} name
 * @property {(operations: number) => unknown} run Makes `operations` calls; may return a promise.
 * @property {() => unknown} [beforeRound] Untimed set-up before each timed run (e.g. clearing an L1).
 * @property {number} [operations] A fixed count for this task (overrides calibration).
 */

/**
 * @typedef {object} TaskResult
 * @property {string} name
 * @property {number} opsPerSecond From the median round.
 * @property {number} nsPerOperation From the median round.
 * @property {number} spread Half the interquartile range of the rounds, relative to the median (0.05 = ±5%).
 * @property {number} operations Calls per round.
 * @property {number[]} samples ns per operation of each round, in round order.
 */

/**
 * Interleaved rounds. With `sampleMs`, each task's calls per round are
 * calibrated during warm-up so that a round takes about that long (fast and
 * slow tasks then get the same time budget); otherwise `operations` is used.
 *
 * @param {Task[]} tasks
 * @param {{ rounds: number, operations?: number, sampleMs?: number, maxOperations?: number }} options
 * @returns {Promise<TaskResult[]>}
 */
export async function measure(tasks, { rounds, operations = 10_000, sampleMs, maxOperations }) {
  const counts = new Map()
  for (const task of tasks) {
    counts.set(task.name, task.operations ?? (await calibrate(task, operations, sampleMs)))
  }
  const samples = new Map(tasks.map((task) => [task.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const task of tasks) {
      const count = Math.min(counts.get(task.name), maxOperations ?? Number.POSITIVE_INFINITY)
      await task.beforeRound?.()
      const started = process.hrtime.bigint()
      await task.run(count)
      const elapsed = Number(process.hrtime.bigint() - started)
      samples.get(task.name).push(elapsed / count)
    }
  }
  return tasks.map((task) => {
    const sorted = [...samples.get(task.name)].sort((a, b) => a - b)
    const median = quantile(sorted, 0.5)
    const spread = (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2 / median
    return {
      name: task.name,
      nsPerOperation: median,
      opsPerSecond: 1e9 / median,
      spread,
      operations: counts.get(task.name),
      samples: samples.get(task.name),
    }
  })
}

/**
 * How many times faster `result` is than `baseline` (ops/s ratio): the median
 * of the per-round ratios. Each round's pair ran back to back, so a burst of
 * load from elsewhere on the machine cancels out of its ratio.
 * @param {TaskResult} result
 * @param {TaskResult} baseline
 */
export function pairedRatio(result, baseline) {
  const ratios = result.samples
    .map((nanoseconds, round) => baseline.samples[round] / nanoseconds)
    .sort((a, b) => a - b)
  return quantile(ratios, 0.5)
}

/**
 * Warms the task up (doubling its calls until one run takes `sampleMs`, so the
 * JIT has settled on it) and, with `sampleMs`, sizes its rounds from the last run.
 */
async function calibrate(task, operations, sampleMs) {
  if (sampleMs === undefined) {
    await task.beforeRound?.()
    await task.run(Math.min(operations, 50_000))
    return operations
  }
  let count = 64
  for (let attempt = 0; attempt < 30; attempt++) {
    await task.beforeRound?.()
    const started = process.hrtime.bigint()
    await task.run(count)
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
    if (elapsedMs >= sampleMs) {
      return Math.max(64, Math.round((count * sampleMs) / elapsedMs))
    }
    count *= 2
  }
  return count
}

/** The q-quantile of sorted numbers (nearest rank, interpolated). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower)
}

/**
 * p50/p99/max/mean of latency samples (any unit).
 * @param {number[]} values
 */
export function latencyStats(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const sum = sorted.reduce((total, value) => total + value, 0)
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sum / sorted.length,
  }
}

/**
 * Runs `operations` calls of `call(index)` with `concurrency` of them in flight at any time.
 * @param {number} concurrency
 * @param {number} operations
 * @param {(index: number) => Promise<unknown>} call
 */
export async function inFlight(concurrency, operations, call) {
  let next = 0
  const worker = async () => {
    while (next < operations) await call(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, operations) }, worker))
}

/** Polls `condition` on every turn of the event loop until it holds; throws after `timeoutMs`. */
export async function until(condition, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out waiting for ${what}`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Resolves after `ms` (used only to let a pub/sub stream drain, never to wait for a result). */
export function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu'
  return `${os.cpus().length} × ${cpu.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`
}

export function formatNumber(value, digits = 0) {
  if (!Number.isFinite(value)) return String(value)
  return value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  })
}

/** A ratio such as `1.23x`, with more digits for small ones. */
export function formatRatio(value) {
  if (!Number.isFinite(value)) return 'n/a'
  return `${formatNumber(value, value < 0.1 ? 3 : 2)}x`
}

/** ±n% from a relative spread. */
export function formatSpread(spread) {
  return Number.isFinite(spread) ? `±${formatNumber(spread * 100, 0)}%` : ''
}

/** A markdown table: rows of cells, the first row the header. */
export function table(rows) {
  const [header, ...body] = rows
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
}

/**
 * A target verdict for the results summary.
 * @param {string} name What is compared, e.g. '`get` vs raw lru-cache'.
 * @param {number} value The measured ratio (or figure).
 * @param {'>=' | '<='} comparison
 * @param {number} goal
 * @param {{ unit?: string, note?: string }} [extra]
 */
export function target(name, value, comparison, goal, extra = {}) {
  const met = comparison === '>=' ? value >= goal : value <= goal
  const unit = extra.unit ?? 'x'
  const show = (number) => (unit === 'x' ? formatRatio(number) : `${formatNumber(number)}${unit}`)
  return {
    name,
    value,
    goal,
    comparison,
    met: Number.isFinite(value) && met,
    // An informative figure has no goal; its threshold is only a point of reference.
    text: extra.note?.startsWith('informative')
      ? `${show(value)} (for reference: ${comparison} ${show(goal)})`
      : `${show(value)} (goal ${comparison} ${show(goal)})`,
    note: extra.note,
  }
}
