import type { CacheEntry } from '@cacheplane/core'
import {
  invalidOption,
  optionsObject,
  positiveInteger,
  rejectUnknownOptions,
} from './option-checks.js'

export interface MemoryHandleOptions {
  /**
   * Most entries kept; past it, one entry is dropped by CLOCK (second
   * chance), an approximation of least recently used: the first entry the
   * sweep finds not read since it last passed, so an entry read since then
   * survives the next eviction (unless every entry was read), and an entry
   * written but never read is never spared. The slot arrays grow with the
   * entries held (doubling, up to this limit), so a generous limit costs
   * nothing up front.
   * @default 10_000
   */
  maxEntries?: number
  /**
   * Most bytes kept, as `sizeOf` counts them; past it, entries are dropped
   * the same way as for `maxEntries` until the rest fits (never the entry
   * just written). An entry larger than this is not kept at all (a `set` of
   * it removes the key).
   * @default undefined (no byte limit; only `maxEntries` bounds the handle)
   */
  maxBytes?: number
  /**
   * The size of an entry in bytes, for `maxBytes`: a positive number (rounded
   * up). Only allowed together with `maxBytes`.
   * @default a rough estimate from the shape of the value (strings two bytes a
   * character, binary data its length, at most a few hundred values visited)
   */
  sizeOf?: (entry: CacheEntry) => number
  /**
   * Marks this handle as the cache's backplane source. Only meaningful for a
   * handle shared by several caches in one process, as a stand-in for Redis in
   * tests; a real fleet uses a distributed handle as its source.
   * @default false
   */
  backplaneSource?: boolean
}

/** @internal */
export interface ResolvedMemoryHandleOptions {
  maxEntries: number
  maxBytes: number | undefined
  sizeOf: ((entry: CacheEntry) => number) | undefined
  backplaneSource: boolean
}

const optionNames = ['maxEntries', 'maxBytes', 'sizeOf', 'backplaneSource'] as const

/** Validates the options once, at construction. @internal */
export function resolveMemoryHandleOptions(
  options: MemoryHandleOptions | undefined,
): ResolvedMemoryHandleOptions {
  const given = optionsObject(options, 'options')
  rejectUnknownOptions(given, optionNames, '')
  const maxEntries =
    given.maxEntries === undefined ? 10_000 : positiveInteger(given.maxEntries, 'maxEntries')
  const maxBytes =
    given.maxBytes === undefined ? undefined : positiveInteger(given.maxBytes, 'maxBytes')
  const sizeOf = given.sizeOf
  if (sizeOf !== undefined) {
    if (typeof sizeOf !== 'function') {
      invalidOption('sizeOf', sizeOf, 'a function (entry) => bytes')
    }
    if (maxBytes === undefined) {
      invalidOption('sizeOf', sizeOf, 'to be given only together with maxBytes')
    }
  }
  const backplaneSource = given.backplaneSource ?? false
  if (typeof backplaneSource !== 'boolean') {
    invalidOption('backplaneSource', backplaneSource, 'a boolean')
  }
  return {
    maxEntries,
    maxBytes,
    sizeOf: sizeOf as ((entry: CacheEntry) => number) | undefined,
    backplaneSource,
  }
}
