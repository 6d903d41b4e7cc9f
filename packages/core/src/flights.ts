import type { CacheEntry } from './entry.js'

/**
 * A read of one key that is on its way through the lower handles. Concurrent
 * reads of the key share it, and invalidations that arrive meanwhile mark it,
 * so that a value read before the invalidation is not stored in L1 as fresh
 * (the load/invalidate race).
 */
export interface ReadFlight {
  readonly region: string | undefined
  /** The cache's stale generation when the read began. */
  readonly generation: number
  /** When the read began: what it finds is at most this old, however late the reply comes. */
  readonly startedAt: number
  /** A result with a lower version was overtaken by an invalidation: do not store it as fresh. */
  minVersion: number
  /** The best entry met on the way that is no longer fresh but still within its grace (for fail-safe). */
  stale: CacheEntry | undefined
  /** The stale entry came from the source, or from a local layer that was not marked stale since. */
  staleTrusted: boolean
  promise: Promise<CacheEntry | undefined>
}

/** What a flight's promise is until its walk has started: one for all, not one per read. */
const NOT_STARTED: Promise<CacheEntry | undefined> = Promise.resolve(undefined)

/** The map key of a (region, key) pair; unambiguous for any strings. */
export function flightId(key: string, region: string | undefined): string {
  return region === undefined ? `k${key}` : `r${region.length}:${region}${key}`
}

/** The reads in flight, by key. @internal */
export class Flights {
  private readonly flights = new Map<string, ReadFlight>()
  /** Callers waiting for news of a key (fleet-wide lock waiters), by flight id. */
  private readonly waiters = new Map<string, Set<() => void>>()

  get(id: string): ReadFlight | undefined {
    return this.flights.get(id)
  }

  start(
    id: string,
    region: string | undefined,
    generation: number,
    /** The walk; it must call `end` when it is over. */
    run: (flight: ReadFlight) => Promise<CacheEntry | undefined>,
  ): ReadFlight {
    const flight: ReadFlight = {
      region,
      generation,
      startedAt: Date.now(),
      minVersion: 0,
      stale: undefined,
      staleTrusted: false,
      promise: NOT_STARTED,
    }
    this.flights.set(id, flight)
    flight.promise = run(flight)
    return flight
  }

  /** The flight's walk is over (`run` calls this last, also when it fails). */
  end(id: string, flight: ReadFlight): void {
    if (this.flights.get(id) === flight) this.flights.delete(id)
  }

  /**
   * Calls `wake` once, the next time the key is written or invalidated, here
   * or (through the backplane) elsewhere. Returns a function that cancels it.
   */
  onChange(id: string, wake: () => void): () => void {
    let set = this.waiters.get(id)
    if (set === undefined) {
      set = new Set()
      this.waiters.set(id, set)
    }
    set.add(wake)
    return () => {
      const current = this.waiters.get(id)
      if (current === undefined) return
      current.delete(wake)
      if (current.size === 0) this.waiters.delete(id)
    }
  }

  /** An invalidation of the key arrived: results older than `version` must not be stored as fresh. */
  invalidate(key: string, region: string | undefined, version: number): void {
    if (this.waiters.size > 0) this.wake(flightId(key, region))
    if (this.flights.size === 0) return
    const flight = this.flights.get(flightId(key, region))
    if (flight !== undefined && flight.minVersion < version) flight.minVersion = version
  }

  invalidateRegion(region: string): void {
    for (const flight of this.flights.values()) {
      if (flight.region === region) flight.minVersion = Number.POSITIVE_INFINITY
    }
  }

  private wake(id: string): void {
    const set = this.waiters.get(id)
    if (set === undefined) return
    this.waiters.delete(id)
    for (const wake of set) wake()
  }
}
