// UTF-8 for the wire codec. Short strings are decoded by hand: for the short
// keys a frame mostly holds, that beats TextDecoder's fixed per-call cost.
// TextDecoder must not strip a leading U+FEFF: that would change the key.
const longDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const longEncoder = new TextEncoder()

/** Up to this many bytes, strings are decoded in JavaScript. */
const SHORT_STRING_BYTES = 32
/** Up to this many bytes, strings are encoded in JavaScript: encodeInto has a higher fixed cost. */
const SHORT_WRITE_BYTES = 64

/**
 * The UTF-8 byte length of `text`, or -1 when `text` holds a lone surrogate,
 * which UTF-8 cannot encode (TextEncoder would silently turn it into U+FFFD,
 * and receivers would then evict a different key).
 */
export function utf8Length(text: string): number {
  let length = 0
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index)
    if (unit < 0x80) length += 1
    else if (unit < 0x800) length += 2
    else if (unit < 0xd800 || unit > 0xdfff) length += 3
    else if (unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return -1
      length += 4
      index++
    } else return -1
  }
  return length
}

/**
 * Writes `text` as UTF-8 into `target` at `offset` and returns the offset
 * after it. `text` must have passed {@link utf8Length}, and `byteLength` is
 * what it returned.
 */
export function writeUtf8(
  text: string,
  byteLength: number,
  target: Uint8Array,
  offset: number,
): number {
  if (byteLength > SHORT_WRITE_BYTES) {
    longEncoder.encodeInto(text, target.subarray(offset, offset + byteLength))
    return offset + byteLength
  }
  let position = offset
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index)
    if (unit < 0x80) {
      target[position++] = unit
    } else if (unit < 0x800) {
      target[position++] = 0xc0 | (unit >> 6)
      target[position++] = 0x80 | (unit & 0x3f)
    } else if (unit < 0xd800 || unit > 0xdfff) {
      target[position++] = 0xe0 | (unit >> 12)
      target[position++] = 0x80 | ((unit >> 6) & 0x3f)
      target[position++] = 0x80 | (unit & 0x3f)
    } else {
      const codePoint = ((unit - 0xd800) << 10) + (text.charCodeAt(++index) - 0xdc00) + 0x10000
      target[position++] = 0xf0 | (codePoint >> 18)
      target[position++] = 0x80 | ((codePoint >> 12) & 0x3f)
      target[position++] = 0x80 | ((codePoint >> 6) & 0x3f)
      target[position++] = 0x80 | (codePoint & 0x3f)
    }
  }
  return position
}

/**
 * Decodes `bytes[start, end)` as UTF-8. Returns `undefined` when the bytes
 * are not valid UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequences).
 */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (end - start > SHORT_STRING_BYTES) {
    try {
      return longDecoder.decode(bytes.subarray(start, end))
    } catch {
      return undefined
    }
  }
  const length = end - start
  let position = start
  while (position < end && bytes[position]! < 0x80) position++
  if (position === end) return asciiString(bytes, start, length)
  // At most one UTF-16 unit per byte, so `length` slots always suffice.
  const units: number[] = new Array(length)
  let count = 0
  for (let index = start; index < position; index++) units[count++] = bytes[index]!
  while (position < end) {
    const first = bytes[position++]!
    if (first < 0x80) {
      units[count++] = first
      continue
    }
    let codePoint: number
    let continuation: number
    let minimum: number
    if (first >= 0xc2 && first <= 0xdf) {
      codePoint = first & 0x1f
      continuation = 1
      minimum = 0x80
    } else if (first >= 0xe0 && first <= 0xef) {
      codePoint = first & 0x0f
      continuation = 2
      minimum = 0x800
    } else if (first >= 0xf0 && first <= 0xf4) {
      codePoint = first & 0x07
      continuation = 3
      minimum = 0x10000
    } else return undefined
    if (position + continuation > end) return undefined
    for (let index = 0; index < continuation; index++) {
      const next = bytes[position++]!
      if ((next & 0xc0) !== 0x80) return undefined
      codePoint = (codePoint << 6) | (next & 0x3f)
    }
    if (codePoint < minimum || codePoint > 0x10ffff) return undefined
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) return undefined
    if (codePoint >= 0x10000) {
      codePoint -= 0x10000
      units[count++] = 0xd800 | (codePoint >> 10)
      units[count++] = 0xdc00 | (codePoint & 0x3ff)
    } else units[count++] = codePoint
  }
  return String.fromCharCode.apply(null, count === length ? units : units.slice(0, count))
}

const fromCharCode = String.fromCharCode

/** A string of ASCII bytes. Explicit arguments skip building an array for the shortest ones. */
function asciiString(bytes: Uint8Array, start: number, length: number): string {
  const b = bytes
  const s = start
  switch (length) {
    case 0:
      return ''
    case 1:
      return fromCharCode(b[s]!)
    case 2:
      return fromCharCode(b[s]!, b[s + 1]!)
    case 3:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!)
    case 4:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!)
    case 5:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!)
    case 6:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!)
    case 7:
      return fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!)
    case 8:
      return fromCharCode(
        b[s]!,
        b[s + 1]!,
        b[s + 2]!,
        b[s + 3]!,
        b[s + 4]!,
        b[s + 5]!,
        b[s + 6]!,
        b[s + 7]!,
      )
  }
  // Reused arrays of each exact length: apply() takes the whole array, and
  // trimming or allocating one per string costs more than the copy.
  const units = asciiScratch[length]!
  for (let index = 0; index < length; index++) units[index] = b[s + index]!
  return fromCharCode.apply(null, units)
}

const asciiScratch: number[][] = Array.from({ length: SHORT_STRING_BYTES + 1 }, (_, length) =>
  new Array<number>(length).fill(0),
)
