import { type ValidFixtureDefinition, validFixtureDefinitions } from './fixture-frames.js'
import { canonicalFixtureHex } from './fixtures-hex.js'
import type { Frame } from './frame.js'
import {
  type InvalidFixtureDefinition,
  invalidFixtureDefinitions,
} from './invalid-fixture-frames.js'

/**
 * Golden wire fixtures, published as `@cacheplane/core/protocol-fixtures` so
 * that every adapter, and every implementation in another language (the same
 * bytes are in the package's `fixtures/` folder), tests against the same
 * frames. Treat everything here as read-only.
 *
 * @example
 * import { invalidProtocolFixtures, protocolFixtures } from '@cacheplane/core/protocol-fixtures'
 * for (const fixture of protocolFixtures) expect(decodeFrame(fixture.bytes)).toEqual(fixture.frame)
 */
export interface ProtocolFixture {
  /** Also the file name: `fixtures/<name>.hex`. */
  readonly name: string
  /** The frame's bytes as lowercase hex. */
  readonly hex: string
  readonly bytes: Uint8Array
  /** What `decodeFrame(bytes)` returns. */
  readonly frame: Frame
  readonly description: string
  /**
   * True when `encodeFrame(frame)` gives exactly these bytes. False for frames
   * only another writer produces: a newer minor version, non-shortest integers.
   */
  readonly canonical: boolean
}

/** A frame every decoder must reject (`E_BACKPLANE_DECODE` here). */
export interface InvalidProtocolFixture {
  /** Also the file name: `fixtures/invalid/<name>.hex`. */
  readonly name: string
  readonly hex: string
  readonly bytes: Uint8Array
  /** Why the frame is invalid. */
  readonly reason: string
  /** The message this implementation's decoder gives; other decoders word theirs freely. */
  readonly message: string
}

/** Every valid fixture: each operation kind, several per frame, edge cases, newer minor version. */
export const protocolFixtures: readonly ProtocolFixture[] = validFixtureDefinitions.map(toFixture)

/** Frames a decoder must reject, one rule each. */
export const invalidProtocolFixtures: readonly InvalidProtocolFixture[] =
  invalidFixtureDefinitions.map(toInvalidFixture)

function toFixture(definition: ValidFixtureDefinition): ProtocolFixture {
  // A canonical fixture missing from fixtures-hex.ts gets no bytes; the fixtures test says so.
  const hex = definition.hex ?? canonicalFixtureHex[definition.name] ?? ''
  return Object.freeze({
    name: definition.name,
    hex,
    bytes: hexToBytes(hex),
    frame: deepFreeze(definition.frame),
    description: definition.description,
    canonical: definition.hex === undefined,
  })
}

function toInvalidFixture(definition: InvalidFixtureDefinition): InvalidProtocolFixture {
  return Object.freeze({
    name: definition.name,
    hex: definition.hex,
    bytes: hexToBytes(definition.hex),
    reason: definition.reason,
    message: definition.message,
  })
}

/** Lowercase or uppercase hex, without separators, to bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length >> 1)
  for (let index = 0; index < bytes.length; index++) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16)
  }
  return bytes
}

/** Bytes to lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
