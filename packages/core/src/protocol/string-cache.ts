import { readUtf8 } from './utf8.js'

// Sender ids, cache names, regions and tags repeat from frame to frame, and
// comparing a few bytes costs less than building a string. A small
// direct-mapped table, so memory stays bounded whatever arrives; a miss only
// costs the hash and one copy of the bytes.

const SLOTS = 256
const MAX_CACHED_BYTES = 256

interface Slot {
  readonly bytes: Uint8Array
  readonly text: string
}

const slots: (Slot | undefined)[] = new Array(SLOTS).fill(undefined)

/**
 * Decodes `bytes[start, end)` as UTF-8 like {@link readUtf8}, reusing the
 * string decoded last time for the same bytes. Use it for strings that
 * repeat, not for keys, which mostly do not.
 */
export function readRepeatedUtf8(
  bytes: Uint8Array,
  start: number,
  end: number,
): string | undefined {
  const length = end - start
  if (length > MAX_CACHED_BYTES) return readUtf8(bytes, start, end)
  // FNV-1a over the bytes, folded to the table size.
  let hash = 0x811c9dc5
  for (let index = start; index < end; index++) {
    hash = Math.imul(hash ^ bytes[index]!, 0x01000193)
  }
  const slotIndex = (hash ^ (hash >>> 8) ^ (hash >>> 16) ^ (hash >>> 24)) & (SLOTS - 1)
  const slot = slots[slotIndex]
  if (slot !== undefined && slot.bytes.length === length) {
    const cached = slot.bytes
    let index = 0
    while (index < length && cached[index] === bytes[start + index]) index++
    if (index === length) return slot.text
  }
  const text = readUtf8(bytes, start, end)
  if (text !== undefined) slots[slotIndex] = { bytes: bytes.slice(start, end), text }
  return text
}
