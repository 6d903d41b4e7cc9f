// A small, honest harness: every task runs its own loop of `operations` calls,
// tasks are interleaved round by round (so machine drift hits all alike), and
// the median round is reported. No per-call timer overhead in the figures.
import os from 'node:os'

/**
 * @param {{ name: string, run: (operations: number) => unknown }[]} tasks
 * @param {{ rounds: number, operations: number }} options
 * @returns {Promise<{ name: string, opsPerSecond: number, nsPerOperation: number }[]>}
 */
export async function measure(tasks, { rounds, operations }) {
  const samples = new Map(tasks.map((task) => [task.name, []]))
  // Warm-up: let the JIT settle on every task before timing.
  for (const task of tasks) await task.run(Math.min(operations, 50_000))
  for (let round = 0; round < rounds; round++) {
    for (const task of tasks) {
      const started = process.hrtime.bigint()
      await task.run(operations)
      const elapsed = Number(process.hrtime.bigint() - started)
      samples.get(task.name).push(elapsed / operations)
    }
  }
  return tasks.map((task) => {
    const sorted = samples.get(task.name).sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]
    return { name: task.name, nsPerOperation: median, opsPerSecond: 1e9 / median }
  })
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu'
  return `${os.cpus().length} × ${cpu.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`
}

export function formatNumber(value, digits = 0) {
  return value.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  })
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
