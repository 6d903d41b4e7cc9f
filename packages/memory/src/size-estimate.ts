import type { CacheEntry } from '@cacheplane/core'

/** The entry object, its store slot and its key, roughly. */
const ENTRY_OVERHEAD = 128
/** Values visited per estimate; past it, containers count their slots only. */
const VISIT_BUDGET = 256

let budget = 0

/**
 * A cheap guess at the bytes an entry holds, for `maxBytes` when no `sizeOf`
 * is given. It visits at most a few hundred values, so a large object costs a
 * bounded amount to measure (and is underestimated: pass `sizeOf` when sizes
 * matter). Strings count two bytes a character, binary data its byte length.
 */
export function estimateEntrySize(entry: CacheEntry): number {
  budget = VISIT_BUDGET
  let size = ENTRY_OVERHEAD + estimateValueSize(entry.value)
  for (const tag of entry.tags) size += 16 + tag.length * 2
  return size
}

function estimateValueSize(value: unknown): number {
  budget--
  switch (typeof value) {
    case 'string':
      return 16 + value.length * 2
    case 'number':
      return 8
    case 'boolean':
    case 'undefined':
      return 4
    case 'bigint':
      return 16 + Math.ceil(value.toString(16).length / 2)
    case 'object':
      return value === null ? 4 : estimateObjectSize(value)
    default:
      return 32
  }
}

function estimateObjectSize(value: object): number {
  if (ArrayBuffer.isView(value)) return 64 + value.byteLength
  if (value instanceof ArrayBuffer) return 32 + value.byteLength
  if (value instanceof Date) return 24
  if (Array.isArray(value)) {
    let size = 16 + value.length * 8
    for (let index = 0; index < value.length && budget > 0; index++) {
      size += estimateValueSize(value[index])
    }
    return size
  }
  if (value instanceof Map || value instanceof Set) {
    let size = 32 + value.size * 24
    for (const item of value.entries()) {
      if (budget <= 0) break
      size += estimateValueSize(item[0]) + (value instanceof Map ? estimateValueSize(item[1]) : 0)
    }
    return size
  }
  let size = 24
  for (const name in value) {
    if (budget <= 0) break
    if (!Object.hasOwn(value, name)) continue
    size += 8 + name.length * 2 + estimateValueSize((value as Record<string, unknown>)[name])
  }
  return size
}
