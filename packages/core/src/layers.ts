import type { CacheEntry } from './entry.js'
import { CacheplaneError } from './errors.js'
import { Flights, flightId, type ReadFlight } from './flights.js'
import type { CacheHandle, MaybePromise } from './handle.js'

/** An entry as the cache stores it in a non-source handle: stamped with the stale generation it was read in. */
export interface LocalEntry<T = unknown> extends CacheEntry<T> {
  generation: number
  /** The resolved promise that `get` hands out for this entry, made on the first hit. */
  settled: Promise<T> | undefined
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

  constructor(
    readonly handles: readonly CacheHandle[],
    readonly sourceIndex: number,
    private readonly onLocalError: (error: CacheplaneError) => void,
  ) {
    this.source = handles[sourceIndex]!
    this.hits = handles.map(() => 0)
    this.misses = handles.map(() => 0)
  }

  markAllStale(): void {
    this.generation++
  }

  /** Fresh, and for a non-source handle, read after the last time everything went stale. */
  isUsable(entry: CacheEntry, index: number, now: number): boolean {
    return (
      entry.expiresAt > now &&
      (index === this.sourceIndex || (entry as LocalEntry).generation === this.generation)
    )
  }

  /** Walks the handles from `from` down; concurrent reads of a key share one walk. */
  read(key: string, region: string | undefined, from: number): Promise<CacheEntry | undefined> {
    const id = flightId(key, region)
    const running = this.flights.get(id)
    if (running !== undefined) return running.promise
    return this.flights.start(id, region, this.generation, (flight) =>
      this.walk(key, region, from, flight),
    ).promise
  }

  private async walk(
    key: string,
    region: string | undefined,
    from: number,
    flight: ReadFlight,
  ): Promise<CacheEntry | undefined> {
    for (let index = from; index < this.handles.length; index++) {
      let entry: CacheEntry | undefined
      try {
        entry = await this.handles[index]!.get(key, region)
      } catch (error) {
        if (index === this.sourceIndex) throw sourceError(error, 'get')
        this.onLocalError(localError(error, this.handles[index]!, 'get'))
        continue
      }
      if (entry !== undefined && this.isUsable(entry, index, Date.now())) {
        this.hits[index]!++
        if (index > 0) this.fill(key, region, entry, index, flight)
        return entry
      }
      this.misses[index]!++
    }
    return undefined
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
    const local = this.localCopy(entry, flight.generation)
    for (let index = 0; index < hitIndex; index++) {
      const handle = this.handles[index]!
      this.settle(handle, 'set', () =>
        handle.set(key, region, index === this.sourceIndex ? entry : local),
      )
    }
  }

  /** The entry as a non-source handle keeps it: own object, stamped, capped while degraded. */
  localCopy<T>(entry: CacheEntry<T>, generation: number): LocalEntry<T> {
    let { expiresAt, sliding } = entry
    if (this.degradedTtl !== undefined) {
      expiresAt = Math.min(expiresAt, Date.now() + this.degradedTtl)
      // A sliding renewal would outlive the cap.
      sliding = 0
    }
    return {
      value: entry.value,
      version: entry.version,
      createdAt: entry.createdAt,
      expiresAt,
      staleUntil: Math.max(entry.staleUntil, expiresAt),
      sliding,
      tags: entry.tags,
      generation,
      settled: undefined,
    }
  }

  /** Runs an operation on the source; failures become `E_L2_UNAVAILABLE` (unless already typed). */
  async onSource<R>(operation: string, call: (handle: CacheHandle) => MaybePromise<R>): Promise<R> {
    try {
      return await call(this.source)
    } catch (error) {
      throw sourceError(error, operation)
    }
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

  /** Stores a freshly written entry in every non-source handle. */
  storeLocal(
    key: string,
    region: string | undefined,
    entry: CacheEntry,
  ): Promise<void> | undefined {
    const local = this.localCopy(entry, this.generation)
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
        if (held !== undefined && held.version >= version) return undefined
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
