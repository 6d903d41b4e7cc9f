import type { CacheplaneError } from './errors.js'

/** Where a change came from: this instance, or another one through the backplane. */
export type Origin = 'local' | 'remote'

/**
 * The events a cache emits, named for what happened. Listen with `cache.on`.
 * Events are emitted only when someone listens: they cost nothing otherwise.
 */
export interface CacheEvents {
  /** A value was written (`set`, `add`, `getOrSet`'s factory, `setMany`). Remote: another instance changed the key. */
  entrySet: { readonly key: string; readonly region: string | undefined; readonly origin: Origin }
  /** An entry was removed (`delete`, `deleteMany`), here or on another instance. */
  entryRemoved: {
    readonly key: string
    readonly region: string | undefined
    readonly origin: Origin
  }
  /** An entry was logically expired (`expire`): stale from now on, kept for grace. */
  entryExpired: {
    readonly key: string
    readonly region: string | undefined
    readonly origin: Origin
  }
  /** The whole cache was cleared. */
  cacheCleared: { readonly origin: Origin }
  /** A region was cleared. */
  regionCleared: { readonly region: string; readonly origin: Origin }
  /** Tags were invalidated (`invalidateTags`): every entry carrying one of them is a miss from now on. */
  tagsInvalidated: { readonly tags: readonly string[]; readonly origin: Origin }
  /** A value past its logical expiry was served because of fail-safe (grace). */
  staleServed: {
    readonly key: string
    readonly region: string | undefined
    readonly reason: string
  }
  /** The backplane subscription is lost or silent; the cache runs degraded (short L1 lifetimes). */
  backplaneDisconnected: { readonly reason: string; readonly cause?: unknown }
  /** The backplane is back; everything L1 held was marked stale, since messages may have been missed. */
  backplaneRecovered: { readonly downtimeMs: number }
  /**
   * Frames were lost: a gap in a sender's sequence, or a reconnect. Every L1
   * entry was marked stale (still usable for grace).
   */
  messagesMissed: {
    readonly reason: 'sequenceGap' | 'reconnect' | 'heartbeatLost'
    readonly senderId?: string
    readonly missed?: number
  }
  /** The L2 failed `failures` times in a row: it is not called until `until` (a probe then decides). */
  circuitOpened: { readonly failures: number; readonly until: number }
  /** The L2 answered again: calls go to it as usual. */
  circuitClosed: Record<string, never>
  /** Failed invalidations overflowed the outbox; a `cleared` is broadcast once publishing works again. */
  outboxOverflowed: { readonly dropped: number }
  /** Something went wrong that no caller can be told of: a bad frame, a failed background publish. */
  error: CacheplaneError
}

export type CacheEventName = keyof CacheEvents
export type CacheEventListener<E extends CacheEventName> = (event: CacheEvents[E]) => void

/**
 * A small typed emitter. Unlike Node's EventEmitter, an `error` event without
 * a listener is dropped (it is counted in stats), never thrown into the process,
 * and a listener that throws never breaks the cache.
 * @internal
 */
export class Emitter {
  private readonly listeners = new Map<CacheEventName, Set<(event: never) => void>>()

  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): void {
    let set = this.listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(event, set)
    }
    set.add(listener as (event: never) => void)
  }

  off<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): void {
    this.listeners.get(event)?.delete(listener as (event: never) => void)
  }

  has(event: CacheEventName): boolean {
    const set = this.listeners.get(event)
    return set !== undefined && set.size > 0
  }

  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    const set = this.listeners.get(event)
    if (set === undefined || set.size === 0) return
    for (const listener of set) {
      try {
        ;(listener as CacheEventListener<E>)(payload)
      } catch {
        // A listener's own failure is the listener's business; the cache keeps going.
      }
    }
  }

  removeAll(): void {
    this.listeners.clear()
  }
}
