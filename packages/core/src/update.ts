import { parseDuration } from './duration.js'
import type { CacheEntry } from './entry.js'
import { CacheplaneError } from './errors.js'
import type { CacheHandle, MaybePromise } from './handle.js'
import type { SetOptions } from './options.js'

/** Options of `cache.update`. */
export interface UpdateOptions extends SetOptions {
  /** Attempts after the first one when another writer got in between. @default 10 */
  maxRetries?: number
  /** First backoff between attempts; doubles each time, with jitter. @default '10ms' */
  retryDelay?: number | string
  /** Gives up (`E_UPDATE_CONFLICT`) when the attempts have taken this long. @default '5s' */
  timeout?: number | string
}

/** @internal */
export interface ResolvedUpdateOptions {
  maxRetries: number
  retryDelay: number
  timeout: number
}

const MAX_BACKOFF = 1_000

/** @internal */
export function resolveUpdateOptions(options: UpdateOptions | undefined): ResolvedUpdateOptions {
  const maxRetries = options?.maxRetries ?? 10
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new CacheplaneError(
      'E_INVALID_OPTION',
      `Invalid option "maxRetries": got ${String(maxRetries)}, expected an integer >= 0.`,
    )
  }
  return {
    maxRetries,
    retryDelay:
      options?.retryDelay === undefined ? 10 : parseDuration(options.retryDelay, 'retryDelay'),
    timeout: options?.timeout === undefined ? 5_000 : parseDuration(options.timeout, 'timeout'),
  }
}

/** What one compare-and-set loop needs from the cache. @internal */
export interface UpdateStep<T> {
  readonly source: CacheHandle
  /** Runs a call on the source, turning its failures into typed errors. */
  readonly onSource: <R>(
    operation: string,
    call: (handle: CacheHandle) => MaybePromise<R>,
  ) => Promise<R>
  readonly key: string
  readonly region: string | undefined
  readonly updater: (current: T | undefined) => T | Promise<T>
  /** A new entry (version 0) for the value. */
  readonly entryFor: (value: T) => CacheEntry<T>
  /** Whether none of an entry's tags was invalidated since it was written. */
  readonly tagsHold: (entry: CacheEntry) => Promise<boolean>
}

/**
 * Read, compute, compare-and-set on the version, and again on conflict, with
 * exponential backoff and jitter, within both `maxRetries` and `timeout`.
 * Resolves with the stored entry (its version set). @internal
 */
export async function compareAndSetLoop<T>(
  step: UpdateStep<T>,
  options: ResolvedUpdateOptions,
): Promise<CacheEntry<T>> {
  const { source, key, region } = step
  if (!source.capabilities.cas || source.compareAndSet === undefined) {
    throw new CacheplaneError(
      'E_UNSUPPORTED',
      `update needs compare-and-set, which the ${source.kind} handle (the backplane source) does not declare.`,
    )
  }
  const deadline = Date.now() + options.timeout
  for (let attempt = 0; ; attempt++) {
    const stored = await step.onSource('get', (handle) => handle.get(key, region))
    // An expired entry still holds the version to compare against, but not a value to update.
    // So is one whose tags were invalidated: like `get`, the updater sees no value.
    const current =
      stored !== undefined &&
      stored.expiresAt > Date.now() &&
      (stored.tags.length === 0 || (await step.tagsHold(stored)))
        ? (stored.value as T)
        : undefined
    const entry = step.entryFor(await step.updater(current))
    const expected = stored?.version ?? 0
    const version = await step.onSource('compareAndSet', (handle) =>
      handle.compareAndSet!(key, region, entry, expected),
    )
    if (version !== undefined) return { ...entry, version }
    const backoff = Math.min(MAX_BACKOFF, options.retryDelay * 2 ** attempt) * (0.5 + Math.random())
    if (attempt >= options.maxRetries || Date.now() + backoff > deadline) {
      throw new CacheplaneError(
        'E_UPDATE_CONFLICT',
        `update of "${key}" gave up after ${attempt + 1} attempts in ${options.timeout - (deadline - Date.now())}ms: other writers kept changing it. Raise maxRetries or timeout, or write less often.`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, backoff))
  }
}
