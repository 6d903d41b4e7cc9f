/**
 * The cached reading. Kept in a `const` object: module-level `let` bindings
 * cost a hole check on every read, which shows on the L1 hit path.
 */
const clock: { cached: number; scheduledWith: typeof setTimeout | undefined } = {
  cached: 0,
  scheduledWith: undefined,
}

function expire(): void {
  clock.cached = 0
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
  if (clock.cached !== 0 && globalThis.setTimeout === clock.scheduledWith) return clock.cached
  const now = Date.now()
  clock.cached = now
  clock.scheduledWith = globalThis.setTimeout
  clock.scheduledWith(expire, 1).unref?.()
  return now
}
