import type { OperationKind } from './frame.js'

// Constants of the wire format. PROTOCOL.md is the normative description.

/** The first two bytes of every frame: "CP". */
export const MAGIC_HIGH = 0x43
export const MAGIC_LOW = 0x50
/** Magic (2 bytes), major version, minor version. */
export const HEADER_BYTES = 4
/** Items in the envelope array: sender id, epoch, sequence, cache name, operations. */
export const ENVELOPE_ITEMS = 5

export const MAX_SENDER_ID_BYTES = 256
export const MAX_CACHE_NAME_BYTES = 128

export const OPCODE_CHANGED = 1
export const OPCODE_REMOVED = 2
export const OPCODE_EXPIRED = 3
export const OPCODE_CLEARED = 4
export const OPCODE_REGION_CLEARED = 5
export const OPCODE_TAGS_INVALIDATED = 6
export const OPCODE_HEARTBEAT = 7

/** The opcode each operation kind is written with. */
export const OPCODES: Readonly<Record<OperationKind, number>> = {
  changed: OPCODE_CHANGED,
  removed: OPCODE_REMOVED,
  expired: OPCODE_EXPIRED,
  cleared: OPCODE_CLEARED,
  regionCleared: OPCODE_REGION_CLEARED,
  tagsInvalidated: OPCODE_TAGS_INVALIDATED,
  heartbeat: OPCODE_HEARTBEAT,
}

/** True for the bytes a cache name may hold: A-Z a-z 0-9 _ . - */
export function isCacheNameByte(byte: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x5f || // _
    byte === 0x2e || // .
    byte === 0x2d // -
  )
}

/** Bytes of a CBOR head (initial byte plus argument) in its shortest form. */
export function headSize(argument: number): number {
  if (argument < 24) return 1
  if (argument < 0x100) return 2
  if (argument < 0x10000) return 3
  if (argument < 0x100000000) return 5
  return 9
}
