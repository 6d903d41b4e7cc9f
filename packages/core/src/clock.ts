let cached = 0
let scheduledWith: typeof setTimeout | undefined

function expire(): void {
  cached = 0
}

/**
 * `Date.now()`, read at most once per millisecond: the L1 hit path checks
 * expiry on every read, and a clock read costs as much as the whole lookup.
 * The value is refreshed by a 1 ms timer, so during one long synchronous run
 * it stands still (as lru-cache's `ttlResolution` does); expiry stays exact to
 * the millisecond between turns of the event loop.
 *
 * When the global `setTimeout` is swapped (a test installs fake timers), the
 * cached reading is dropped, so fake clocks are followed at once.
 * @internal
 */
export function coarseNow(): number {
  if (cached !== 0 && globalThis.setTimeout === scheduledWith) return cached
  cached = Date.now()
  scheduledWith = globalThis.setTimeout
  scheduledWith(expire, 1).unref?.()
  return cached
}
