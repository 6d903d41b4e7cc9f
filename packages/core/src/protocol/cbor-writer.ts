import { MAJOR_ARRAY, MAJOR_TEXT, MAJOR_UNSIGNED } from './cbor-reader.js'
import { utf8Length, writeUtf8 } from './utf8.js'

// Writes the CBOR subset frames use, always in the shortest form, into a
// buffer sized exactly beforehand (see frame-size.ts). Inputs are validated
// by the measuring pass, so nothing here checks again.

// A Uint8Array of more than 64 bytes gets its own off-heap store, which costs
// V8 about as much as encoding the frame. Small frames are views into a
// shared slab instead: each slab region is handed out once, never reused.
const SLAB_BYTES = 65_536
const MAX_POOLED_BYTES = 8_192
let slab = new ArrayBuffer(SLAB_BYTES)
let slabOffset = 0

function allocate(size: number): Uint8Array {
  if (size > MAX_POOLED_BYTES) return new Uint8Array(size)
  if (slabOffset + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES)
    slabOffset = 0
  }
  const bytes = new Uint8Array(slab, slabOffset, size)
  slabOffset += size
  return bytes
}

export class CborWriter {
  readonly bytes: Uint8Array
  position = 0

  /** A writer of exactly `size` bytes; `bytes` may be a view into a shared ArrayBuffer. */
  constructor(size: number) {
    this.bytes = allocate(size)
  }

  writeByte(byte: number): void {
    this.bytes[this.position++] = byte
  }

  /** A head with the shortest argument encoding, as deterministic encoding requires. */
  writeHead(major: number, argument: number): void {
    const bytes = this.bytes
    const type = major << 5
    if (argument < 24) {
      bytes[this.position++] = type | argument
    } else if (argument < 0x100) {
      bytes[this.position++] = type | 24
      bytes[this.position++] = argument
    } else if (argument < 0x10000) {
      bytes[this.position++] = type | 25
      bytes[this.position++] = argument >> 8
      bytes[this.position++] = argument & 0xff
    } else if (argument < 0x100000000) {
      bytes[this.position++] = type | 26
      this.writeUint32(argument)
    } else {
      bytes[this.position++] = type | 27
      this.writeUint32(Math.floor(argument / 0x100000000))
      this.writeUint32(argument % 0x100000000)
    }
  }

  writeUnsigned(value: number): void {
    this.writeHead(MAJOR_UNSIGNED, value)
  }

  writeArrayHead(count: number): void {
    this.writeHead(MAJOR_ARRAY, count)
  }

  writeText(text: string): void {
    const length = utf8Length(text)
    this.writeHead(MAJOR_TEXT, length)
    this.position = writeUtf8(text, length, this.bytes, this.position)
  }

  writeNull(): void {
    this.bytes[this.position++] = 0xf6
  }

  private writeUint32(value: number): void {
    const bytes = this.bytes
    bytes[this.position++] = value >>> 24
    bytes[this.position++] = (value >>> 16) & 0xff
    bytes[this.position++] = (value >>> 8) & 0xff
    bytes[this.position++] = value & 0xff
  }
}
