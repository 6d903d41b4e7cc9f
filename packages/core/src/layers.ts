import type { CircuitBreaker } from './circuit-breaker.js'
import type { CacheEntry } from './entry.js'
import { CacheplaneError } from './errors.js'
import { Flights, flightId, type ReadFlight } from './flights.js'
import type { CacheHandle, MaybePromise } from './handle.js'
import { TagVersions } from './tags.js'

/** An entry as the cache stores it in a non-source handle: stamped with the stale generation it was read in. */
export interface LocalEntry<T = unknown> extends CacheEntry<T> {
  generation: number
  /** The resolved promise that `get` hands out for this entry, made on the first hit. */
  settled: Promise<T> | undefined
  /** Written with `skipL2`: its version is not the source's, so it never outranks an invalidation. */
  localOnly: boolean
}

/** What a walk below L1 found: the entry, or what fail-safe may fall back to. */
export interface Lookup {
  entry: CacheEntry | undefined
  /** The best entry seen past its freshness but within grace. */
  stale: CacheEntry | undefined
  /** `stale` came from the source, or from a local layer not marked stale since. */
  staleTrusted: boolean
  /** The source failed. */
  failure: CacheplaneError | undefined
}

/**
 * The ordered handles of one cache: the walk down on reads (filling the
 * handles above a hit), writes to the source first and the local layers
 * after, and local eviction. Knows nothing of the backplane; the cache tells
 * it when everything local has become stale (`markAllStale`).
 * @internal
 */
export class Layers {
  /** Entries of non-source handles stamped with an older generation are stale. */
  generation = 0
  /** While set, L1 copies live at most this long (the backplane cannot be trusted). */
  degradedTtl: number | undefined
  readonly hits: number[]
  readonly misses: number[]
  readonly flights = new Flights()
  readonly source: CacheHandle
  /** Set when the cache has a circuit breaker for its source. */
  breaker: CircuitBreaker | undefined
  /** The tag versions this instance knows (see `invalidateTags`). */
  readonly tags: TagVersions

  constructor(
    readonly handles: readonly CacheHandle[],
    readonly sourceIndex: number,
    private readonly onLocalError: (error: CacheplaneError) => void,
  ) {
    this.source = handles[sourceIndex]!
    this.hits = handles.map(() => 0)
    this.misses = handles.map(() => 0)
    this.tags = new TagVersions(this)
  }

  markAllStale(): void {
    this.generation++
    this.tags.forgetAll()
  }

  /** Fresh, and for a non-source handle, read after the last time everything went stale. */
  isUsable(entry: CacheEntry, index: number, now: number): boolean {
    return (
      entry.expiresAt > now &&
      (index === this.sourceIndex || (entry as LocalEntry).generation === this.generation)
    )
  }

  /**
   * After an L1 miss (or an L1 that answers asynchronously), walk the rest.
   * Besides the entry, reports what fail-safe may fall back to: the best entry
   * seen that is past its freshness but within grace, and a source failure.
   */
  async lookup(
    key: string,
    region: string | undefined,
    top: CacheEntry | Promise<CacheEntry | undefined> | undefined,
    topIsLocal: boolean,
  ): Promise<Lookup> {
    const found: Lookup = {
      entry: undefined,
      stale: undefined,
      staleTrusted: false,
      failure: undefined,
    }
    let topEntry = top
    if (topEntry instanceof Promise) {
      topEntry = await topEntry.catch((error: unknown) => {
        this.onLocalError(localError(error, this.handles[0]!, 'get'))
        return undefined
      })
    }
    // A fresh L1 entry gets here when it answered asynchronously, or when its tags need the source.
    let tagsInvalidated = false
    if (topEntry !== undefined && this.isUsable(topEntry, 0, Date.now())) {
      if (topEntry.tags.length === 0 || (await this.tagsHold(topEntry, found))) {
        this.hits[0]!++
        found.entry = topEntry
        return found
      }
      tagsInvalidated = found.failure === undefined
    }
    this.misses[0]!++
    if (topEntry !== undefined && isFailSafe(topEntry, Date.now())) {
      found.stale = topEntry
      // An entry whose tags were invalidated serves fail-safe, never stale-while-revalidate.
      found.staleTrusted =
        !tagsInvalidated && (!topIsLocal || (topEntry as LocalEntry).generation === this.generation)
    }
    if (this.handles.length === 1) return found
    const flight = this.read(key, region, 1)
    try {
      found.entry = await flight.promise
    } catch (error) {
      found.failure = error as CacheplaneError
    }
    if (
      flight.stale !== undefined &&
      (found.stale === undefined || (flight.staleTrusted && !found.staleTrusted))
    ) {
      found.stale = flight.stale
      found.staleTrusted = flight.staleTrusted
    }
    return found
  }

  /** Walks the handles from `from` down; concurrent reads of a key share one walk. */
  read(key: string, region: string | undefined, from: number): ReadFlight {
    const id = flightId(key, region)
    const running = this.flights.get(id)
    if (running !== undefined) return running
    return this.flights.start(id, region, this.generation, (flight) =>
      this.walk(key, region, from, flight, id),
    )
  }

  /**
   * Remembers an entry past its freshness (or whose tags were invalidated:
   * `mayTrust` false) but within grace, preferring trusted ones.
   */
  noteStale(
    flight: ReadFlight,
    entry: CacheEntry,
    index: number,
    now: number,
    mayTrust = true,
  ): void {
    if (!isFailSafe(entry, now)) return
    const trusted =
      mayTrust &&
      (index === this.sourceIndex || (entry as LocalEntry).generation === this.generation)
    if (flight.stale === undefined || (trusted && !flight.staleTrusted)) {
      flight.stale = entry
      flight.staleTrusted = trusted
    }
  }

  /** The walk of a read flight; it ends the flight itself (one promise less than a `finally`). */
  private async walk(
    key: string,
    region: string | undefined,
    from: number,
    flight: ReadFlight,
    id: string,
  ): Promise<CacheEntry | undefined> {
    try {
      for (let index = from; index < this.handles.length; index++) {
        let entry: CacheEntry | undefined
        if (index === this.sourceIndex) {
          entry = await this.onSource('get', (source) => source.get(key, region))
        } else {
          try {
            entry = await this.handles[index]!.get(key, region)
          } catch (error) {
            this.onLocalError(localError(error, this.handles[index]!, 'get'))
            continue
          }
        }
        const now = Date.now()
        if (entry !== undefined && this.isUsable(entry, index, now)) {
          if (entry.tags.length === 0 || (await this.tagsOf(entry, index, flight, now))) {
            this.hits[index]!++
            if (index > 0) this.fill(key, region, entry, index, flight)
            return entry
          }
          this.noteStale(flight, entry, index, now, false)
        } else if (entry !== undefined) {
          this.noteStale(flight, entry, index, now)
        }
        this.misses[index]!++
      }
      return undefined
    } finally {
      this.flights.end(id, flight)
    }
  }

  /** Whether an entry's tags still hold; a source that cannot say fails the read (the entry may serve fail-safe). */
  private async tagsOf(
    entry: CacheEntry,
    index: number,
    flight: ReadFlight,
    now: number,
  ): Promise<boolean> {
    try {
      return await this.tags.isValid(entry)
    } catch (error) {
      this.noteStale(flight, entry, index, now, false)
      throw error
    }
  }

  /** `tagsOf` for L1's entry: a failure is recorded in `found` and reads as invalidated. */
  private async tagsHold(entry: CacheEntry, found: Lookup): Promise<boolean> {
    try {
      return await this.tags.isValid(entry)
    } catch (error) {
      found.failure = error as CacheplaneError
      return false
    }
  }

  /** Copies a hit into the handles above it, unless an invalidation overtook the read. */
  private fill(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    hitIndex: number,
    flight: ReadFlight,
  ): void {
    if (flight.generation !== this.generation || entry.version < flight.minVersion) return
    // Capped from when the read began: a slow reply may hold a value older than its arrival.
    const local = this.localCopy(entry, flight.generation, flight.startedAt)
    for (let index = 0; index < hitIndex; index++) {
      const handle = this.handles[index]!
      this.settle(handle, 'set', () =>
        handle.set(key, region, index === this.sourceIndex ? entry : local),
      )
    }
  }

  /**
   * The entry as a non-source handle keeps it: own object, stamped, and while
   * degraded capped at `degradedTtl` after `readAt`, when its value was read.
   */
  localCopy<T>(entry: CacheEntry<T>, generation: number, readAt = Date.now()): LocalEntry<T> {
    let { expiresAt, sliding, staleUntil } = entry
    if (this.degradedTtl !== undefined && readAt + this.degradedTtl < expiresAt) {
      expiresAt = readAt + this.degradedTtl
      // A sliding renewal would outlive the cap.
      sliding = 0
      // The grace period follows the capped expiry: without grace, nothing is left for fail-safe.
      staleUntil = expiresAt + graceOf(entry)
    }
    return {
      value: entry.value,
      version: entry.version,
      createdAt: entry.createdAt,
      expiresAt,
      staleUntil,
      sliding,
      tags: entry.tags,
      tagVersion: entry.tagVersion ?? 0,
      generation,
      settled: undefined,
      localOnly: false,
    }
  }

  /**
   * Runs an operation on the source; failures become `E_L2_UNAVAILABLE`
   * (unless already typed). One `then` rather than an async frame: every L2
   * read passes through here.
   */
  onSource<R>(operation: string, call: (handle: CacheHandle) => MaybePromise<R>): Promise<R> {
    const breaker = this.breaker
    if (breaker !== undefined && !breaker.allow(Date.now())) {
      return Promise.reject(breaker.openError(operation))
    }
    let result: MaybePromise<R>
    try {
      result = call(this.source)
    } catch (error) {
      return Promise.reject(this.sourceFailed(error, operation))
    }
    if (!(result instanceof Promise)) {
      breaker?.success()
      return Promise.resolve(result)
    }
    return result.then(
      (value) => {
        breaker?.success()
        return value
      },
      (error: unknown) => {
        throw this.sourceFailed(error, operation)
      },
    )
  }

  private sourceFailed(error: unknown, operation: string): CacheplaneError {
    const typed = sourceError(error, operation)
    // Only unavailability opens the circuit: a bad value or a lost race says nothing about the L2.
    if (typed.code === 'E_L2_UNAVAILABLE') this.breaker?.failure(Date.now())
    else this.breaker?.success()
    return typed
  }

  /** Runs an operation on every non-source handle; failures are reported, not thrown. */
  onLocal(
    operation: string,
    call: (handle: CacheHandle) => MaybePromise<unknown>,
  ): Promise<void> | undefined {
    let pending: Promise<unknown>[] | undefined
    for (let index = 0; index < this.handles.length; index++) {
      if (index === this.sourceIndex) continue
      const handle = this.handles[index]!
      const result = this.settle(handle, operation, () => call(handle))
      if (result === undefined) continue
      if (pending === undefined) pending = []
      pending.push(result)
    }
    return pending === undefined ? undefined : Promise.all(pending).then(() => undefined)
  }

  /** Stores a freshly written entry in every non-source handle (`localOnly`: a `skipL2` write). */
  storeLocal(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
    localOnly = false,
  ): Promise<void> | undefined {
    const local = this.localCopy(entry, this.generation)
    local.localOnly = localOnly
    return this.onLocal('set', (handle) => handle.set(key, region, local))
  }

  /**
   * Drops the key from every non-source handle, unless a handle already holds
   * `version` or newer (then the invalidation is old news).
   */
  evictLocal(key: string, region: string | undefined, version: number): Promise<void> | undefined {
    this.flights.invalidate(key, region, version)
    return this.onLocal('delete', (handle) => {
      if (version !== Number.POSITIVE_INFINITY && handle.peek !== undefined) {
        const held = handle.peek(key, region)
        if (held !== undefined && !(held as LocalEntry).localOnly && held.version >= version) {
          return undefined
        }
      }
      return handle.delete(key, region)
    })
  }

  private settle(
    handle: CacheHandle,
    operation: string,
    call: () => MaybePromise<unknown>,
  ): Promise<unknown> | undefined {
    try {
      const result = call()
      if (result instanceof Promise) {
        return result.catch((error: unknown) =>
          this.onLocalError(localError(error, handle, operation)),
        )
      }
    } catch (error) {
      this.onLocalError(localError(error, handle, operation))
    }
    return undefined
  }
}

/** How long past its expiry the entry was written to be kept for fail-safe. */
function graceOf(entry: CacheEntry): number {
  return Number.isFinite(entry.expiresAt) ? entry.staleUntil - entry.expiresAt : 0
}

/**
 * Fail-safe may fall back to an entry within its grace period. One written
 * without grace has none: not even when it was marked stale (a lost message,
 * a reconnect) before its expiry, else a value the backplane could not vouch
 * for would be served for the rest of its ttl whenever the L2 fails.
 */
function isFailSafe(entry: CacheEntry, now: number): boolean {
  return entry.staleUntil > now && graceOf(entry) > 0
}

function sourceError(error: unknown, operation: string): CacheplaneError {
  if (CacheplaneError.isInstance(error)) return error
  return new CacheplaneError(
    'E_L2_UNAVAILABLE',
    `The backplane source handle failed on ${operation}: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  )
}

/** A non-source handle's failure, as reported in `error` events. */
export function localError(
  error: unknown,
  handle: CacheHandle,
  operation: string,
): CacheplaneError {
  if (CacheplaneError.isInstance(error)) return error
  return new CacheplaneError(
    'E_HANDLE',
    `The ${handle.kind} handle failed on ${operation}; the cache went on without it.`,
    { cause: error },
  )
}
