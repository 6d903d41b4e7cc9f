import {
  CborReader,
  decodeError,
  MAJOR_SIMPLE,
  MAJOR_TEXT,
  MAJOR_UNSIGNED,
  plural,
  SIMPLE_NULL,
} from './cbor-reader.js'
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits.js'
import { type Frame, type Operation, PROTOCOL_MAJOR, PROTOCOL_MINOR } from './frame.js'
import {
  ENVELOPE_ITEMS,
  HEADER_BYTES,
  isCacheNameByte,
  MAX_CACHE_NAME_BYTES,
  MAX_SENDER_ID_BYTES,
  OPCODE_CHANGED,
  OPCODE_CLEARED,
  OPCODE_EXPIRED,
  OPCODE_HEARTBEAT,
  OPCODE_REGION_CLEARED,
  OPCODE_REMOVED,
  OPCODE_TAGS_INVALIDATED,
  OPCODES,
} from './wire.js'

// Reads the envelope and operations of a frame whose 4-byte header
// decodeFrame has already checked.

const VERSION_EXPECTED = 'a version from 1 to 2^53 - 1'

/** @internal The CBOR reader with the frame's structure and limits on top. */
export class FrameReader extends CborReader {
  private readonly minor: number
  private readonly forwardCompatible: boolean
  private readonly maxOperations: number
  private readonly maxKeys: number
  private readonly maxKeyLength: number
  /** Keys, regions and tags this frame may still hold. */
  private keysLeft: number

  constructor(bytes: Uint8Array, minor: number, limits: DecodeLimits | undefined) {
    super(bytes, HEADER_BYTES)
    this.minor = minor
    this.forwardCompatible = minor > PROTOCOL_MINOR
    this.maxOperations = limits?.maxOperations ?? DEFAULT_DECODE_LIMITS.maxOperations
    this.maxKeys = limits?.maxKeys ?? DEFAULT_DECODE_LIMITS.maxKeys
    this.maxKeyLength = limits?.maxKeyLength ?? DEFAULT_DECODE_LIMITS.maxKeyLength
    this.keysLeft = this.maxKeys
  }

  readFrame(): Frame {
    this.part = 'the frame envelope'
    const envelopeItems = this.readArrayHead(`an array of ${ENVELOPE_ITEMS} items`)
    this.checkItemCount(envelopeItems, ENVELOPE_ITEMS)

    this.part = 'the sender id'
    const senderIdBytes = this.readTextHead('a text string')
    if (senderIdBytes < 1 || senderIdBytes > MAX_SENDER_ID_BYTES) {
      this.fail(`is ${this.describeArgument()} bytes long, expected 1 to ${MAX_SENDER_ID_BYTES}`)
    }
    const senderId = this.readTextBody(senderIdBytes, true)

    this.part = 'the epoch'
    const epoch = this.readSafeUnsigned('an unsigned integer below 2^53')
    this.part = 'the sequence'
    const sequence = this.readSafeUnsigned('an unsigned integer from 1 to 2^53 - 1')
    if (sequence === 0) this.wrongType(MAJOR_UNSIGNED, 'an unsigned integer from 1 to 2^53 - 1')

    this.part = 'the cache name'
    const cacheName = this.readCacheName()

    this.part = 'the operations'
    const operationCount = this.readArrayHead('an array of operations')
    if (operationCount > this.maxOperations) {
      this.fail(`holds ${operationCount} operations, more than the limit of ${this.maxOperations}`)
    }
    const operations: Operation[] = []
    for (let index = 0; index < operationCount; index++) {
      const operation = this.readOperation(index)
      if (operation !== undefined) operations.push(operation)
    }
    this.operationIndex = -1
    this.operationKind = ''

    if (envelopeItems > ENVELOPE_ITEMS) {
      this.part = 'an item appended to the envelope'
      this.skipItems(envelopeItems - ENVELOPE_ITEMS)
    }
    if (this.position !== this.bytes.length) {
      decodeError(
        `frame has ${plural(this.bytes.length - this.position, 'trailing byte')} after its CBOR item, from byte ${this.position}`,
      )
    }
    return { senderId, epoch, sequence, cacheName, operations }
  }

  private readCacheName(): string {
    const length = this.readTextHead('a text string')
    if (length < 1 || length > MAX_CACHE_NAME_BYTES) {
      this.fail(`is ${this.describeArgument()} bytes long, expected 1 to ${MAX_CACHE_NAME_BYTES}`)
    }
    const end = this.position + length
    for (let offset = this.position; offset < end && offset < this.bytes.length; offset++) {
      const byte = this.bytes[offset]!
      if (!isCacheNameByte(byte)) {
        this.fail(`holds byte ${hex8(byte)} at byte ${offset}; a cache name is A-Z a-z 0-9 _ . -`)
      }
    }
    return this.readTextBody(length, true)
  }

  /** Reads one operation; `undefined` for an operation of an unknown opcode, skipped. */
  private readOperation(index: number): Operation | undefined {
    this.part = ''
    this.itemIndex = -1
    this.operationIndex = index
    this.operationKind = ''
    const items = this.readArrayHead('an array')
    const operationOffset = this.headOffset
    if (items === 0) this.fail('is an empty array; an operation starts with its opcode')

    this.part = 'the opcode'
    const major = this.readHead()
    if (major !== MAJOR_UNSIGNED) this.wrongType(major, 'an unsigned integer')
    const opcode = this.argument
    const arity = operationArity(opcode)
    if (arity === 0) {
      if (!this.forwardCompatible) {
        this.fail(
          `unknown opcode ${this.describeArgument()} in a frame of version ${PROTOCOL_MAJOR}.${this.minor}; only frames of a minor version above ${PROTOCOL_MINOR} may carry opcodes this reader does not know`,
        )
      }
      this.operationKind = `opcode ${this.describeArgument()}`
      this.part = 'an item'
      this.skipItems(items - 1)
      return undefined
    }
    this.operationKind = operationKind(opcode)
    this.headOffset = operationOffset
    this.part = ''
    this.checkItemCount(items, arity)

    let operation: Operation
    switch (opcode) {
      case OPCODE_CHANGED: {
        const region = this.readRegion()
        const keys = this.readStrings('keys', 'key', false)
        operation = { kind: 'changed', region, keys, versions: this.readVersions(keys.length) }
        break
      }
      case OPCODE_REMOVED:
        operation = {
          kind: 'removed',
          region: this.readRegion(),
          keys: this.readStrings('keys', 'key', false),
        }
        break
      case OPCODE_EXPIRED:
        operation = {
          kind: 'expired',
          region: this.readRegion(),
          keys: this.readStrings('keys', 'key', false),
        }
        break
      case OPCODE_REGION_CLEARED:
        operation = { kind: 'regionCleared', regions: this.readStrings('regions', 'region', true) }
        break
      case OPCODE_TAGS_INVALIDATED:
        operation = { kind: 'tagsInvalidated', tags: this.readStrings('tags', 'tag', true) }
        break
      case OPCODE_CLEARED:
        operation = { kind: 'cleared' }
        break
      default:
        operation = { kind: 'heartbeat' }
    }
    if (items > arity) {
      this.part = 'an appended item'
      this.itemIndex = -1
      this.skipItems(items - arity)
    }
    return operation
  }

  /** Exactly `expected` items, or more in a frame of a newer minor version. */
  private checkItemCount(items: number, expected: number): void {
    if (items === expected || (items > expected && this.forwardCompatible)) return
    this.fail(
      items > expected
        ? `has ${items} items, expected ${expected} (more only in a frame of a minor version above ${PROTOCOL_MINOR})`
        : `has ${items} items, expected ${expected}`,
    )
  }

  private readRegion(): string | undefined {
    this.part = 'the region'
    this.itemIndex = -1
    const major = this.readHead()
    if (major === MAJOR_SIMPLE && this.additional === SIMPLE_NULL) return undefined
    if (major !== MAJOR_TEXT) this.wrongType(major, 'a text string or null')
    return this.readLimitedText(this.argument, true)
  }

  private readStrings(listName: string, itemName: string, repeated: boolean): string[] {
    this.part = listName
    this.itemIndex = -1
    const count = this.readArrayHead(`an array of ${listName}`)
    if (count > this.keysLeft) {
      const before = this.maxKeys - this.keysLeft
      const which =
        before > 0 ? `, which with the ${before} before ${count === 1 ? 'it' : 'them'} is` : ','
      this.fail(
        `holds ${plural(count, 'item')}${which} over the limit of ${this.maxKeys} keys, regions and tags per frame`,
      )
    }
    this.keysLeft -= count
    const list = new Array<string>(count)
    this.part = itemName
    for (let index = 0; index < count; index++) {
      this.itemIndex = index
      list[index] = this.readLimitedText(this.readTextHead('a text string'), repeated)
    }
    this.itemIndex = -1
    return list
  }

  /** The body of a key, region or tag, checked against `maxKeyLength`. */
  private readLimitedText(length: number, repeated: boolean): string {
    const limit = this.maxKeyLength
    // UTF-16 units never exceed UTF-8 bytes, and are at least a third of them.
    if (length <= limit) return this.readTextBody(length, repeated)
    if (length > 3 * limit) {
      this.fail(`is ${length} UTF-8 bytes long, more than ${limit} UTF-16 code units can take`)
    }
    const text = this.readTextBody(length)
    if (text.length > limit) {
      this.fail(`is ${text.length} UTF-16 code units long, more than the limit of ${limit}`)
    }
    return text
  }

  private readVersions(keyCount: number): number[] {
    this.part = 'versions'
    this.itemIndex = -1
    const count = this.readArrayHead('an array of versions')
    if (count !== keyCount) {
      this.fail(
        `has ${plural(count, 'version')} for ${plural(keyCount, 'key')}; expected one version per key`,
      )
    }
    const versions = new Array<number>(count)
    this.part = 'version'
    for (let index = 0; index < count; index++) {
      this.itemIndex = index
      const version = this.readSafeUnsigned(VERSION_EXPECTED)
      if (version === 0) this.wrongType(MAJOR_UNSIGNED, VERSION_EXPECTED)
      versions[index] = version
    }
    this.itemIndex = -1
    return versions
  }
}

/** Items an operation of `opcode` has, opcode included; 0 for an unknown opcode. */
function operationArity(opcode: number): number {
  switch (opcode) {
    case OPCODE_CHANGED:
      return 4
    case OPCODE_REMOVED:
    case OPCODE_EXPIRED:
      return 3
    case OPCODE_REGION_CLEARED:
    case OPCODE_TAGS_INVALIDATED:
      return 2
    case OPCODE_CLEARED:
    case OPCODE_HEARTBEAT:
      return 1
    default:
      return 0
  }
}

const kindsByOpcode = Object.fromEntries(
  Object.entries(OPCODES).map(([kind, opcode]) => [opcode, kind]),
) as Record<number, string>

function operationKind(opcode: number): string {
  return kindsByOpcode[opcode] ?? `opcode ${opcode}`
}

function hex8(value: number): string {
  return `0x${value.toString(16).padStart(2, '0')}`
}
