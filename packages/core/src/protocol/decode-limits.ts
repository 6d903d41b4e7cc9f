/** Limits a decoder enforces on incoming frames. Each rejection is an `E_BACKPLANE_DECODE`. */
export interface DecodeLimits {
  /** Largest frame accepted, in bytes, checked before anything is parsed. @default 1048576 */
  maxFrameBytes?: number
  /** Most operations in one frame, those of unknown opcodes included. @default 100000 */
  maxOperations?: number
  /** Most keys, regions and tags in one frame, all operations together. @default 100000 */
  maxKeys?: number
  /** Longest key, region or tag, in UTF-16 code units (as `string.length` counts). @default 65536 */
  maxKeyLength?: number
}

/** The limits {@link decodeFrame} applies where `limits` says nothing. */
export const DEFAULT_DECODE_LIMITS: Readonly<Required<DecodeLimits>> = Object.freeze({
  maxFrameBytes: 1_048_576,
  maxOperations: 100_000,
  maxKeys: 100_000,
  maxKeyLength: 65_536,
})
