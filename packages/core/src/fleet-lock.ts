import type { CacheEntry } from './entry.js'
import { CacheplaneError } from './errors.js'
import { flightId } from './flights.js'
import type { CacheHandle } from './handle.js'
import type { Layers } from './layers.js'

/** Fleet-wide stampede protection, resolved. @internal */
export interface FleetLockSettings {
  /** How long a lock outlives a holder that stopped renewing it (crashed, or cut off). */
  readonly lease: number
  /** How long a caller waits for another instance's factory before running its own. */
  readonly maxWait: number
}

/** The first re-check of the source while waiting; it doubles up to `MAX_RECHECK`. */
const FIRST_RECHECK = 50
const MAX_RECHECK = 1_000

let owners = 0

/**
 * A lock held by this instance: its lease is renewed until it is released,
 * but not past `maxWait`: by then the waiters run their own factories anyway,
 * and a factory that never settles must not hold the key forever.
 * @internal
 */
export class HeldLock {
  private readonly renewTimer: NodeJS.Timeout
  private released = false

  constructor(
    private readonly layers: Layers,
    private readonly key: string,
    private readonly region: string | undefined,
    private readonly owner: string,
    lease: number,
    maxWait: number,
    private readonly onError: (error: CacheplaneError) => void,
  ) {
    const renewUntil = Date.now() + maxWait
    this.renewTimer = setInterval(
      () => {
        if (Date.now() >= renewUntil) {
          clearInterval(this.renewTimer)
          return
        }
        takeLock(this.layers, key, region, owner, lease).catch((error: unknown) =>
          this.onError(lockError(error, 'renew')),
        )
      },
      Math.max(1, Math.floor(lease / 3)),
    )
    this.renewTimer.unref()
  }

  /** Lets the waiting instances in; a failure only means they wait for the lease to run out. */
  release(): void {
    if (this.released) return
    this.released = true
    clearInterval(this.renewTimer)
    this.layers
      .onSource('releaseLock', (source) => source.releaseLock!(this.key, this.region, this.owner))
      .catch((error: unknown) => this.onError(lockError(error, 'release')))
  }
}

/** What waiting for the fleet-wide lock came to. @internal */
export type LockOutcome =
  | { readonly kind: 'held'; readonly lock: HeldLock }
  /** Another instance's factory stored the value meanwhile. */
  | { readonly kind: 'found'; readonly entry: CacheEntry }
  /** Waited `limit` in vain (`timedOut`), or the source could not lock: run the factory unlocked. */
  | { readonly kind: 'gaveUp'; readonly timedOut: boolean }

/**
 * Takes the key's lock in the source, or waits for the instance that holds it
 * to store the value. A waiter is woken by the backplane's invalidation of
 * the key (the holder's write), and re-checks the source on a backoff from
 * 50 ms to 1 s in case that news is lost; once a crashed holder's lease runs
 * out, the next re-check takes the lock.
 * @internal
 */
export async function acquireOrWait(
  layers: Layers,
  instanceId: string,
  key: string,
  region: string | undefined,
  settings: FleetLockSettings,
  limit: number,
  onError: (error: CacheplaneError) => void,
): Promise<LockOutcome> {
  const owner = `${instanceId}:${++owners}`
  const id = flightId(key, region)
  const startedAt = Date.now()
  for (let delay = FIRST_RECHECK; ; delay = Math.min(delay * 2, MAX_RECHECK)) {
    let wake: () => void = () => undefined
    const woken = new Promise<void>((resolve) => {
      wake = resolve
    })
    // Listening before asking: a write that lands while the lock is refused still wakes us.
    const cancel = layers.flights.onChange(id, wake)
    try {
      let acquired: boolean
      try {
        acquired = await takeLock(layers, key, region, owner, settings.lease)
      } catch (error) {
        onError(lockError(error, 'acquire'))
        return { kind: 'gaveUp', timedOut: false }
      }
      if (acquired) {
        const lock = new HeldLock(
          layers,
          key,
          region,
          owner,
          settings.lease,
          settings.maxWait,
          onError,
        )
        // The value may have landed between this caller's miss and its lock.
        const entry = await readBelowTop(layers, key, region)
        if (entry !== undefined) {
          lock.release()
          return { kind: 'found', entry }
        }
        return { kind: 'held', lock }
      }
      const left = limit - (Date.now() - startedAt)
      if (left <= 0) return { kind: 'gaveUp', timedOut: true }
      await wakeOrTimeout(woken, Math.min(delay, left))
    } finally {
      cancel()
    }
    const entry = await readBelowTop(layers, key, region)
    if (entry !== undefined) return { kind: 'found', entry }
  }
}

/** Takes the lock once, without waiting: for a background refresh, which another instance may be doing. @internal */
export async function tryLock(
  layers: Layers,
  instanceId: string,
  key: string,
  region: string | undefined,
  settings: FleetLockSettings,
  onError: (error: CacheplaneError) => void,
): Promise<HeldLock | undefined> {
  const owner = `${instanceId}:${++owners}`
  try {
    const acquired = await takeLock(layers, key, region, owner, settings.lease)
    return acquired
      ? new HeldLock(layers, key, region, owner, settings.lease, settings.maxWait, onError)
      : undefined
  } catch (error) {
    onError(lockError(error, 'acquire'))
    // Refreshing unlocked beats not refreshing: the value is stale already.
    return undefined
  }
}

/** Takes the lock for `owner`, or renews its lease when `owner` holds it already. */
function takeLock(
  layers: Layers,
  key: string,
  region: string | undefined,
  owner: string,
  lease: number,
): Promise<boolean> {
  return layers.onSource('acquireLock', (source) => source.acquireLock!(key, region, owner, lease))
}

/** The error for a fleet-wide lock asked of a source that cannot lock. */
export function locksUnsupported(source: CacheHandle): CacheplaneError {
  return new CacheplaneError(
    'E_UNSUPPORTED',
    `fleetLock needs a backplane source that can lock (capabilities.locks); the ${source.kind} handle cannot.`,
  )
}

/** A fresh read of the layers below L1 (the source included); a failure reads as a miss. */
async function readBelowTop(
  layers: Layers,
  key: string,
  region: string | undefined,
): Promise<CacheEntry | undefined> {
  const from = layers.handles.length === 1 ? 0 : 1
  try {
    return await layers.read(key, region, from).promise
  } catch {
    return undefined
  }
}

function wakeOrTimeout(woken: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
  })
  return Promise.race([woken, timeout]).finally(() => clearTimeout(timer))
}

function lockError(error: unknown, step: 'acquire' | 'renew' | 'release'): CacheplaneError {
  if (CacheplaneError.isInstance(error)) return error
  return new CacheplaneError('E_L2_UNAVAILABLE', `The fleet-wide lock could not ${step}.`, {
    cause: error,
  })
}
