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

/** The map key of a (region, key) pair; unambiguous for any strings. */
export function flightId(key: string, region: string | undefined): string {
  return region === undefined ? `k${key}` : `r${region.length}:${region}${key}`
}

/** The reads in flight, by key. @internal */
export class Flights {
  private readonly flights = new Map<string, ReadFlight>()

  get(id: string): ReadFlight | undefined {
    return this.flights.get(id)
  }

  start(
    id: string,
    region: string | undefined,
    generation: number,
    run: (flight: ReadFlight) => Promise<CacheEntry | undefined>,
  ): ReadFlight {
    const flight: ReadFlight = {
      region,
      generation,
      startedAt: Date.now(),
      minVersion: 0,
      stale: undefined,
      staleTrusted: false,
      promise: Promise.resolve(undefined),
    }
    this.flights.set(id, flight)
    flight.promise = run(flight).finally(() => {
      if (this.flights.get(id) === flight) this.flights.delete(id)
    })
    return flight
  }

  /** An invalidation of the key arrived: results older than `version` must not be stored as fresh. */
  invalidate(key: string, region: string | undefined, version: number): void {
    if (this.flights.size === 0) return
    const flight = this.flights.get(flightId(key, region))
    if (flight !== undefined && flight.minVersion < version) flight.minVersion = version
  }

  invalidateRegion(region: string): void {
    for (const flight of this.flights.values()) {
      if (flight.region === region) flight.minVersion = Number.POSITIVE_INFINITY
    }
  }
}
