// Backplane timings for the suite and the staleness bounds derived from them.
// Short settings keep each fault scenario to seconds; the bounds follow the
// core README's consistency promise with these numbers put in.

export const backplaneTimings = {
  heartbeatInterval: 100,
  heartbeatTimeout: 300,
  degradedTtl: 500,
}

/**
 * The L2 circuit breaker, scaled down like the timings above: with the default
 * 5 s break, every fault window would last 5 s past the fault itself.
 */
export const circuitBreaker = { failures: 5, breakDuration: 1_000 }

/** Writers go on this long after the last fault window closed, so that every key ends on a completed write. */
export const quietAfterFaults = 1_500

/**
 * Normal operation: one event-loop turn on the writer, one pub/sub delivery,
 * one eviction on the reader. Well under a millisecond on an idle machine,
 * but here 4-6 busy Node processes and Redis share 2 cores, so a process can
 * wait tens of milliseconds for CPU, and a GC pause adds more. 250 ms is ten
 * times what we see under that load, yet shorter than any recovery path of the
 * backplane (a missed frame is only caught by the next heartbeat and a
 * degraded period), so a read that needed recovery to become fresh fails it.
 */
export const propagationBound = 250

/**
 * What the detection of a dead subscription may add to the README's
 * `heartbeatTimeout + degradedTtl`: the engine checks for silence on its
 * heartbeat tick, so it notices up to one `heartbeatInterval` late, and timers
 * fire late on a loaded 2-core machine (100 ms allowed for that).
 */
export const deliveryAllowance = backplaneTimings.heartbeatInterval + 100

/** Under faults: `heartbeatTimeout + degradedTtl` plus the allowance above. */
export const faultBound =
  backplaneTimings.heartbeatTimeout + backplaneTimings.degradedTtl + deliveryAllowance
