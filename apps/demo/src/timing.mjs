// Times that can be compared between the demo's processes: the monotonic clock
// (CLOCK_MONOTONIC on Linux) is shared by every process of a machine, unlike
// `performance.now()`, whose origin is each process's start.

/** Microseconds on the machine's monotonic clock. */
export function monotonicMicros() {
  return Number(process.hrtime.bigint() / 1000n)
}

/** Milliseconds between two `monotonicMicros()` readings, rounded to 0.01 ms. */
export function elapsedMs(fromMicros, toMicros) {
  return Math.round((toMicros - fromMicros) / 10) / 100
}
