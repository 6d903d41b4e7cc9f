import { CacheplaneError } from '../errors.js'
import type { Frame } from './frame.js'

/** Limits a decoder enforces on incoming frames. */
export interface DecodeLimits {
  /** Largest frame accepted, in bytes. @default 1048576 */
  maxFrameBytes?: number
}

/** Encodes a frame to its wire form (see PROTOCOL.md). */
export function encodeFrame(_frame: Frame): Uint8Array {
  throw new CacheplaneError('E_UNSUPPORTED', 'encodeFrame: being written (protocol helper)')
}

/**
 * Decodes and validates a frame. Throws `E_BACKPLANE_DECODE` naming what is wrong.
 */
export function decodeFrame(_bytes: Uint8Array, _limits?: DecodeLimits): Frame {
  throw new CacheplaneError('E_UNSUPPORTED', 'decodeFrame: being written (protocol helper)')
}
