/**
 * The two hash functions of the stored format. Both run over the UTF-8 bytes
 * of a string without allocating them, so that the hot path of a get builds
 * no buffer.
 */

/** Calls `visit` with each UTF-8 byte of `text` (lone surrogates encode as U+FFFD, as Buffer does). */
function forEachUtf8Byte(text: string, visit: (byte: number) => void): void {
  for (let index = 0; index < text.length; index++) {
    let code = text.charCodeAt(index)
    if (code < 0x80) {
      visit(code)
      continue
    }
    if (code < 0x800) {
      visit(0xc0 | (code >> 6))
      visit(0x80 | (code & 0x3f))
      continue
    }
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const low = text.charCodeAt(index + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
        index++
        visit(0xf0 | (code >> 18))
        visit(0x80 | ((code >> 12) & 0x3f))
        visit(0x80 | ((code >> 6) & 0x3f))
        visit(0x80 | (code & 0x3f))
        continue
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd
    visit(0xe0 | (code >> 12))
    visit(0x80 | ((code >> 6) & 0x3f))
    visit(0x80 | (code & 0x3f))
  }
}

/** 32-bit FNV-1a of the UTF-8 bytes of `text`: picks an entry's bucket. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5
  // Most keys are ASCII: hash them in a plain loop, without a callback per byte.
  let index = 0
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code >= 0x80) break
    hash = Math.imul(hash ^ code, 0x01000193)
  }
  if (index === text.length) return hash >>> 0
  forEachUtf8Byte(text.slice(index), (byte) => {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  })
  return hash >>> 0
}

function crc16(text: string): number {
  let crc = 0
  forEachUtf8Byte(text, (byte) => {
    crc ^= byte << 8
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    }
  })
  return crc
}

/**
 * The Redis Cluster hash slot of a key (CRC16-XMODEM mod 16384), honouring a
 * `{hash tag}` as Redis does: the first `{` followed later by a `}` with
 * something in between.
 */
export function slotOf(key: string): number {
  const open = key.indexOf('{')
  if (open !== -1) {
    const close = key.indexOf('}', open + 1)
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % 16384
  }
  return crc16(key) % 16384
}
