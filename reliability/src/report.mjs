// Turns scenario results into the tables of RESULTS.md and the messages of
// failing tests.

const sum = (counts) => Object.values(counts).reduce((total, count) => total + count, 0)
const milliseconds = (value) => `${value} ms`
const number = (value) => value.toLocaleString('en-US')

function row(cells) {
  return `| ${cells.join(' | ')} |`
}

/** One line per scenario: what the issue asks to report, and the verdict. */
export function formatTable(results) {
  const lines = [
    row([
      'scenario',
      'adapters',
      'reads',
      'writes ok / failed',
      'worst staleness, normal',
      'bound',
      'worst staleness, fault windows',
      'bound',
      'reads past bound',
      'caller errors in faults / outside',
      'processes lost / leaked',
      'verdict',
    ]),
    row(Array.from({ length: 12 }, () => '---')),
  ]
  for (const result of results) {
    const faulted = result.windows.length > 0
    lines.push(
      row([
        result.title,
        result.adapters.join(' + '),
        number(result.reads.total),
        `${number(result.writes.ok)} / ${number(result.writes.failed)}`,
        milliseconds(result.worst.normal),
        milliseconds(result.bounds.normal),
        faulted ? milliseconds(result.worst.fault) : 'no fault',
        faulted ? milliseconds(result.bounds.fault) : '-',
        result.descheduled.reads === 0
          ? number(result.overBound)
          : `${number(result.overBound)} (+${number(result.descheduled.reads)} while descheduled)`,
        `${sum(result.errors.inFault)} / ${sum(result.errors.outside)}`,
        `${result.processes.lost.length} / ${result.processes.leaked.length + result.processes.leakedRedis}`,
        result.verdict,
      ]),
    )
  }
  return lines.join('\n')
}

/** The details of one scenario, for RESULTS.md. */
export function formatDetails(result) {
  const lines = [`### ${result.title}`, '']
  lines.push(
    `- Workers: ${result.workers
      .map(
        (worker) =>
          `${worker.name} (${worker.adapter}${worker.writes ? ', writes' : ''}${worker.reads ? ', reads' : ''})`,
      )
      .join(', ')}; ran ${(result.durationMs / 1000).toFixed(1)} s.`,
  )
  lines.push(
    `- Reads: ${number(result.reads.total)} (get ${number(result.reads.byMethod.get)}, getOrSet ${number(result.reads.byMethod.getOrSet)}, peek ${number(result.reads.byMethod.peek)}), ${number(result.reads.misses)} found nothing, ${number(result.staleReads)} older than the latest completed write.`,
  )
  const { normal, fault } = result.percentiles
  lines.push(
    `- Staleness of those, normal periods: p50 ${normal.p50} ms, p99 ${normal.p99} ms, p99.9 ${normal['p99.9']} ms, worst ${result.worst.normal} ms (bound ${result.bounds.normal} ms).`,
  )
  if (result.windows.length > 0) {
    lines.push(
      `- In fault windows: p50 ${fault.p50} ms, p99 ${fault.p99} ms, p99.9 ${fault['p99.9']} ms, worst ${result.worst.fault} ms (bound ${result.bounds.fault} ms).`,
    )
  }
  for (const note of result.notes) lines.push(`- ${note}`)
  if (result.descheduled.reads > 0) {
    const worst = result.descheduled.worst
    lines.push(
      `- ${number(result.descheduled.reads)} reads were past the bound only counting time when the reader or the writer was not running at all (descheduled by the OS); the worst: ${worst.staleness} ms stale, ${worst.descheduled} ms of it descheduled.`,
    )
  }
  const errorsIn = Object.entries(result.errors.inFault)
  if (errorsIn.length > 0) {
    lines.push(
      `- Errors surfaced to callers during faults: ${errorsIn.map(([name, count]) => `${name} × ${count}`).join(', ')}.`,
    )
  }
  const errorsOut = Object.entries(result.errors.outside)
  lines.push(
    `- Errors outside fault windows: ${errorsOut.length === 0 ? 'none' : errorsOut.map(([name, count]) => `${name} × ${count}`).join(', ')}.`,
  )
  lines.push(
    `- After writes stopped, every reader settled on the last write of every key within ${result.convergence.worst} ms (bound ${result.convergence.bound} ms)${result.convergence.unsettled.length > 0 ? `; ${result.convergence.unsettled.length} did not` : ''}; final get/getOrSet/peek mismatches: ${result.finalMismatches.length}.`,
  )
  const events = Object.entries(result.events)
    .map(
      ([worker, counts]) =>
        `${worker}: ${
          Object.entries(counts)
            .filter(([name]) => name !== 'error')
            .map(([name, count]) => `${name} × ${count}`)
            .join(', ') || 'none'
        }`,
    )
    .join('; ')
  lines.push(`- Backplane events: ${events}.`)
  lines.push(
    `- Longest stalls per worker, descheduled / busy: ${Object.entries(
      result.descheduled.longestStalls,
    )
      .map(([worker, longest]) => `${worker} ${longest.descheduled} / ${longest.busy} ms`)
      .join(', ')}.`,
  )
  lines.push(
    `- Event-loop delay, worst per worker: ${result.closing
      .map((report) => `${report.worker} ${report.eventLoopDelay?.max ?? '?'} ms`)
      .join(
        ', ',
      )}. Each worker closed its cache and exited by itself: ${result.processes.hung.length === 0 ? 'yes' : `no (${result.processes.hung.join(', ')})`}.`,
  )
  if (result.failures.length > 0) lines.push(`- **Failures**: ${result.failures.join('; ')}.`)
  return lines.join('\n')
}

/** Everything needed to investigate a failing scenario. */
export function formatFailure(result) {
  const parts = [`${result.title}: ${result.failures.join('; ')}`]
  if (result.examples.length > 0) {
    parts.push(
      'Stalest reads:',
      ...result.examples.slice(0, 5).map((example) => JSON.stringify(example)),
    )
  }
  if (result.timeline !== undefined) parts.push('Timeline of the stalest read:', ...result.timeline)
  if (result.errors.outsideExamples.length > 0) {
    parts.push(
      'Errors outside fault windows:',
      ...result.errors.outsideExamples.map((error) => JSON.stringify(error)),
    )
  }
  if (result.convergence.unsettled.length > 0) {
    parts.push(
      'Unsettled:',
      ...result.convergence.unsettled.slice(0, 5).map((entry) => JSON.stringify(entry)),
    )
  }
  if (result.finalMismatches.length > 0) {
    parts.push(
      'Final mismatches:',
      ...result.finalMismatches.slice(0, 5).map((entry) => JSON.stringify(entry)),
    )
  }
  parts.push(
    `Longest stalls (descheduled / busy): ${JSON.stringify(result.descheduled.longestStalls)}`,
  )
  parts.push(`Processes: ${JSON.stringify(result.processes)}`)
  parts.push(`Windows: ${JSON.stringify(result.windows)}`)
  return parts.join('\n')
}
