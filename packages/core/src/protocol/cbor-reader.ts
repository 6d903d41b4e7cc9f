import { CacheplaneError } from '../errors.js'
import { readRepeatedUtf8 } from './string-cache.js'
import { readUtf8 } from './utf8.js'

// A bounded reader for the small CBOR subset frames use (RFC 8949). It never
// trusts a declared length: every count is checked against the bytes left
// before anything is allocated or looped over, and nothing recurses.

export const MAJOR_UNSIGNED = 0
export const MAJOR_NEGATIVE = 1
export const MAJOR_BYTES = 2
export const MAJOR_TEXT = 3
export const MAJOR_ARRAY = 4
export const MAJOR_MAP = 5
export const MAJOR_TAG = 6
export const MAJOR_SIMPLE = 7

const SIMPLE_FALSE = 20
const SIMPLE_TRUE = 21
export const SIMPLE_NULL = 22

/** Throws the one error every decode rejection uses. */
export function decodeError(message: string): never {
  throw new CacheplaneError('E_BACKPLANE_DECODE', message)
}

/**
 * Reads CBOR heads from a frame. The decoder sets `part`, `itemIndex`,
 * `operationIndex` and `operationKind` as it goes, so that any rejection can
 * say where it happened without building strings on the happy path.
 */
export class CborReader {
  readonly bytes: Uint8Array
  position: number
  /** Argument of the last head: an integer value, a length, a count or a simple value. */
  argument = 0
  /** Additional information (low 5 bits) of the last head. */
  additional = 0
  /** Offset of the last head, for messages. */
  headOffset = 0

  part = 'the frame envelope'
  itemIndex = -1
  operationIndex = -1
  operationKind = ''

  constructor(bytes: Uint8Array, position: number) {
    this.bytes = bytes
    this.position = position
  }

  get remaining(): number {
    return this.bytes.length - this.position
  }

  /** Reads one head and returns its major type; `argument` holds its value. */
  readHead(): number {
    const position = this.position
    this.headOffset = position
    if (position >= this.bytes.length) this.truncated(1)
    const initial = this.bytes[position]!
    const additional = initial & 0x1f
    this.additional = additional
    this.position = position + 1
    // Most heads in a frame carry their argument in the initial byte.
    if (additional < 24) this.argument = additional
    else this.readArgument(initial >> 5, additional)
    return initial >> 5
  }

  private readArgument(major: number, additional: number): void {
    const bytes = this.bytes
    if (additional === 24) {
      this.need(1)
      this.argument = bytes[this.position++]!
    } else if (additional === 25) {
      this.need(2)
      this.argument = (bytes[this.position]! << 8) | bytes[this.position + 1]!
      this.position += 2
    } else if (additional === 26) {
      this.need(4)
      this.argument = this.readUint32(this.position)
      this.position += 4
    } else if (additional === 27) {
      this.need(8)
      // Exact below 2^53; above, the double is still >= 2^53, which every check rejects.
      this.argument =
        this.readUint32(this.position) * 0x100000000 + this.readUint32(this.position + 4)
      this.position += 8
    } else if (additional === 31) {
      this.fail(
        major === MAJOR_SIMPLE
          ? 'found a "break" byte (0xff) outside an indefinite-length item'
          : 'found an indefinite-length item; only definite lengths are allowed',
      )
    } else {
      this.fail(`found reserved additional information ${additional} (not well-formed CBOR)`)
    }
  }

  /** Reads an unsigned integer no larger than 2^53 - 1. */
  readSafeUnsigned(expected: string): number {
    const major = this.readHead()
    if (major !== MAJOR_UNSIGNED || this.argument > Number.MAX_SAFE_INTEGER) {
      this.wrongType(major, expected)
    }
    return this.argument
  }

  /** Reads an array head and returns its count, which the bytes left can hold. */
  readArrayHead(expected: string): number {
    const major = this.readHead()
    if (major !== MAJOR_ARRAY) this.wrongType(major, expected)
    // Every item takes at least one byte: a larger count is a lie, whatever it claims.
    if (this.argument > this.remaining) {
      this.fail(
        `declares ${plural(this.argument, 'item')}, more than the ${plural(this.remaining, 'byte')} left can hold`,
      )
    }
    return this.argument
  }

  /** Reads a text string head and returns its byte length. */
  readTextHead(expected: string): number {
    const major = this.readHead()
    if (major !== MAJOR_TEXT) this.wrongType(major, expected)
    return this.argument
  }

  /**
   * Decodes the `length` bytes after a text head as UTF-8. `repeated` says
   * that the string likely came in earlier frames too, so a cached copy helps.
   */
  readTextBody(length: number, repeated = false): string {
    this.need(length)
    const start = this.position
    const text = repeated
      ? readRepeatedUtf8(this.bytes, start, start + length)
      : readUtf8(this.bytes, start, start + length)
    if (text === undefined) this.fail('is a text string that is not valid UTF-8')
    this.position = start + length
    return text
  }

  /**
   * Skips `count` items without building them, as a forward-compatible
   * reader must for what a newer minor version added. Iterative, so deep
   * nesting cannot exhaust the stack; bounded, because every pending item
   * needs at least one of the bytes left.
   */
  skipItems(count: number): void {
    let pending = count
    while (pending > 0) {
      if (pending > this.remaining) {
        this.fail(
          `declares ${plural(pending, 'more item')}, more than the ${plural(this.remaining, 'byte')} left can hold`,
        )
      }
      const major = this.readHead()
      pending--
      switch (major) {
        case MAJOR_UNSIGNED:
        case MAJOR_NEGATIVE:
          break
        case MAJOR_BYTES:
        case MAJOR_TEXT:
          this.need(this.argument)
          this.position += this.argument
          break
        case MAJOR_ARRAY:
          pending += this.argument
          break
        case MAJOR_SIMPLE:
          if (
            this.additional !== SIMPLE_FALSE &&
            this.additional !== SIMPLE_TRUE &&
            this.additional !== SIMPLE_NULL
          ) {
            this.wrongType(major, 'an item a newer minor version may add')
          }
          break
        default:
          this.wrongType(major, 'an item a newer minor version may add')
      }
    }
  }

  /** Where the reader is, in words: "key 2 of operation 0 (removed)". */
  location(): string {
    let location = this.part
    if (this.itemIndex >= 0) location += ` ${this.itemIndex}`
    if (this.operationIndex >= 0) {
      if (location !== '') location += ' of '
      location += `operation ${this.operationIndex}`
      if (this.operationKind !== '') location += ` (${this.operationKind})`
    }
    return location
  }

  /** Rejects the frame at the last head: "<location> at byte <n>: <problem>". */
  fail(problem: string): never {
    decodeError(`${this.location()} at byte ${this.headOffset}: ${problem}`)
  }

  wrongType(major: number, expected: string): never {
    this.fail(`expected ${expected}, found ${this.describeHead(major)}`)
  }

  /** Names what the last head is, for messages. */
  describeHead(major: number): string {
    switch (major) {
      case MAJOR_UNSIGNED:
        return `the unsigned integer ${this.describeArgument()}`
      case MAJOR_NEGATIVE:
        return 'a negative integer'
      case MAJOR_BYTES:
        return 'a byte string'
      case MAJOR_TEXT:
        return 'a text string'
      case MAJOR_ARRAY:
        return 'an array'
      case MAJOR_MAP:
        return 'a map'
      case MAJOR_TAG:
        return `tag ${this.describeArgument()}`
      default:
        return this.describeSimple()
    }
  }

  private describeSimple(): string {
    switch (this.additional) {
      case SIMPLE_FALSE:
        return 'false'
      case SIMPLE_TRUE:
        return 'true'
      case SIMPLE_NULL:
        return 'null'
      case 23:
        return 'undefined'
      case 25:
      case 26:
      case 27:
        return 'a floating-point number'
      default:
        return `the simple value ${this.argument}`
    }
  }

  describeArgument(): string {
    return this.argument > Number.MAX_SAFE_INTEGER ? '2^53 or more' : String(this.argument)
  }

  private need(count: number): void {
    if (count > this.bytes.length - this.position) this.truncated(count)
  }

  private truncated(count: number): never {
    decodeError(
      `frame is truncated: ${this.location()} at byte ${this.headOffset} needs ${plural(count, 'more byte')}, ${bytesRemain(this.bytes.length - this.position)}`,
    )
  }

  private readUint32(offset: number): number {
    const bytes = this.bytes
    return (
      bytes[offset]! * 0x1000000 +
      ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!)
    )
  }
}

function bytesRemain(count: number): string {
  return count === 1 ? '1 byte remains' : `${count} bytes remain`
}

/** "1 byte", "2 bytes". */
export function plural(count: number, noun: string): string {
  const number = count > Number.MAX_SAFE_INTEGER ? '2^53 or more' : String(count)
  return `${number} ${noun}${count === 1 ? '' : 's'}`
}
