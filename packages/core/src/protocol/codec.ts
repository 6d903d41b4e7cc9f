import { CacheplaneError, describeValue } from '../errors.js'
import { decodeError } from './cbor-reader.js'
import { CborWriter } from './cbor-writer.js'
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits.js'
import { type Frame, type Operation, PROTOCOL_MAJOR, PROTOCOL_MINOR } from './frame.js'
import { FrameReader } from './frame-reader.js'
import { encodedFrameSize } from './frame-size.js'
import { ENVELOPE_ITEMS, HEADER_BYTES, MAGIC_HIGH, MAGIC_LOW, OPCODES } from './wire.js'

export { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './decode-limits.js'

// Why not cbor-x here: frames use a small fixed subset of CBOR, and cbor-x
// decodes more than the subset allows and less strictly than a receiver must
// (it replaces invalid UTF-8, accepts indefinite lengths, and hands back 1.0
// as 1, so floats cannot be told from integers). A pass to re-check its output
// would cost about what reading the subset directly costs, so the codec reads
// and writes the subset itself (see cbor-reader.ts, cbor-writer.ts).

/**
 * Encodes a frame to its wire form (see PROTOCOL.md). Deterministic: the same
 * frame always gives the same bytes, every integer and length in its
 * shortest form, written with this implementation's major and minor version.
 *
 * Throws `E_INVALID_KEY` for a key, region or tag that is not a string or
 * holds a lone surrogate (UTF-8 cannot carry it), and `E_INVALID_VALUE` for
 * anything else a receiver would reject: an empty or oversized sender id, a
 * cache name outside `[A-Za-z0-9_.-]{1,128}`, an epoch, sequence or version
 * that is not a safe integer in range, or keys and versions of different
 * lengths. It does not enforce receivers' {@link DecodeLimits}: the sender
 * keeps frames under its byte cap with `encodedFrameSize` and splits batches.
 *
 * The result may be a view into a larger, shared ArrayBuffer (allocating a
 * buffer per small frame costs more than encoding it): honour `byteOffset`
 * and `byteLength`, or copy, when handing it to an API that takes a buffer.
 *
 * @example
 * const bytes = encodeFrame({
 *   senderId: 'a', epoch: 1, sequence: 1, cacheName: 'products',
 *   operations: [{ kind: 'removed', region: undefined, keys: ['p:1'] }],
 * })
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const writer = new CborWriter(encodedFrameSize(frame))
  writer.writeByte(MAGIC_HIGH)
  writer.writeByte(MAGIC_LOW)
  writer.writeByte(PROTOCOL_MAJOR)
  writer.writeByte(PROTOCOL_MINOR)
  writer.writeArrayHead(ENVELOPE_ITEMS)
  writer.writeText(frame.senderId)
  writer.writeUnsigned(frame.epoch)
  writer.writeUnsigned(frame.sequence)
  writer.writeText(frame.cacheName)
  writer.writeArrayHead(frame.operations.length)
  for (const operation of frame.operations) writeOperation(writer, operation)
  if (writer.position !== writer.bytes.length) {
    // Measuring and writing disagree: a bug, and never worth sending.
    throw new CacheplaneError(
      'E_INVALID_VALUE',
      `Cannot encode the frame: wrote ${writer.position} bytes of the ${writer.bytes.length} measured.`,
    )
  }
  return writer.bytes
}

function writeOperation(writer: CborWriter, operation: Operation): void {
  const opcode = OPCODES[operation.kind]
  switch (operation.kind) {
    case 'changed':
      writer.writeArrayHead(4)
      writer.writeUnsigned(opcode)
      writeRegion(writer, operation.region)
      writeStrings(writer, operation.keys)
      writer.writeArrayHead(operation.versions.length)
      for (const version of operation.versions) writer.writeUnsigned(version)
      return
    case 'removed':
    case 'expired':
      writer.writeArrayHead(3)
      writer.writeUnsigned(opcode)
      writeRegion(writer, operation.region)
      writeStrings(writer, operation.keys)
      return
    case 'regionCleared':
      writer.writeArrayHead(2)
      writer.writeUnsigned(opcode)
      writeStrings(writer, operation.regions)
      return
    case 'tagsInvalidated':
      writer.writeArrayHead(2)
      writer.writeUnsigned(opcode)
      writeStrings(writer, operation.tags)
      return
    case 'cleared':
    case 'heartbeat':
      writer.writeArrayHead(1)
      writer.writeUnsigned(opcode)
      return
  }
}

function writeRegion(writer: CborWriter, region: string | undefined): void {
  if (region === undefined) writer.writeNull()
  else writer.writeText(region)
}

function writeStrings(writer: CborWriter, list: readonly string[]): void {
  writer.writeArrayHead(list.length)
  for (const text of list) writer.writeText(text)
}

/**
 * Decodes and validates a frame (see PROTOCOL.md). Every rejection throws a
 * `CacheplaneError` with code `E_BACKPLANE_DECODE` and a message that says
 * what is wrong and at which byte; nothing else is thrown, whatever the
 * bytes. Work and memory are bounded by the frame's length: declared counts
 * are checked against the bytes left before anything is allocated.
 *
 * A frame of a newer minor version of the same major is accepted: its
 * operations of unknown opcodes, and items appended to known operations or
 * to the envelope, are skipped. A frame of another major version is rejected.
 *
 * @example
 * transport.onFrame = (bytes) => {
 *   try { apply(decodeFrame(bytes, { maxFrameBytes: 65_536 })) }
 *   catch (error) { report(error) } // E_BACKPLANE_DECODE
 * }
 */
export function decodeFrame(bytes: Uint8Array, limits?: DecodeLimits): Frame {
  if (!(bytes instanceof Uint8Array)) {
    decodeError(`frame must be a Uint8Array, got ${describeValue(bytes)}`)
  }
  const maxFrameBytes = limits?.maxFrameBytes ?? DEFAULT_DECODE_LIMITS.maxFrameBytes
  if (bytes.length > maxFrameBytes) {
    decodeError(`frame is ${bytes.length} bytes, larger than the limit of ${maxFrameBytes}`)
  }
  if (bytes.length < HEADER_BYTES) {
    decodeError(
      `frame is truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`,
    )
  }
  const magic = (bytes[0]! << 8) | bytes[1]!
  if (magic !== ((MAGIC_HIGH << 8) | MAGIC_LOW)) {
    decodeError(`frame has magic ${hex16(magic)}, expected ${hex16((MAGIC_HIGH << 8) | MAGIC_LOW)}`)
  }
  const major = bytes[2]!
  const minor = bytes[3]!
  if (major !== PROTOCOL_MAJOR) {
    decodeError(
      `frame has protocol version ${major}.${minor}; this reader speaks major version ${PROTOCOL_MAJOR} only`,
    )
  }
  const reader = new FrameReader(bytes, minor, limits)
  return reader.readFrame()
}

function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, '0')}`
}
