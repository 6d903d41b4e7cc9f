// Fuzzes the decoder: random bytes, valid frames mutated in every way a bad
// network or a hostile publisher could, and valid frames round-tripping.
// Whatever the input, decodeFrame either returns a frame that encodes again,
// or throws E_BACKPLANE_DECODE; never anything else, and never slowly.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CacheplaneError } from '../errors.js'
import { decodeFrame, encodeFrame } from './codec.js'
import { protocolFixtures } from './fixtures.js'
import type { Frame, Operation } from './frame.js'
import { encodedFrameSize } from './frame-size.js'

let decodes = 0
const started = performance.now()

/** Decodes hostile bytes: a frame that re-encodes to itself, or E_BACKPLANE_DECODE. */
function decodeAnything(bytes: Uint8Array): void {
  decodes++
  let frame: Frame
  try {
    frame = decodeFrame(bytes)
  } catch (error) {
    if (!CacheplaneError.hasCode(error, 'E_BACKPLANE_DECODE')) throw error
    return
  }
  // Whatever decodes is a valid frame: it encodes, and decodes back the same.
  expect(decodeFrame(encodeFrame(frame))).toStrictEqual(frame)
}

// Short ASCII strings repeat and hit the string cache; full Unicode covers UTF-8.
const stringArbitrary = fc.oneof(
  fc.constantFrom('p:1', 'catalog', 'brand:acme', ''),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
)
const regionArbitrary = fc.option(stringArbitrary, { nil: undefined })
const keysArbitrary = fc.array(stringArbitrary, { maxLength: 6 })
const versionArbitrary = fc.oneof(
  fc.integer({ min: 1, max: 70_000 }),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
)

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.array(fc.tuple(stringArbitrary, versionArbitrary), { maxLength: 6 }).chain((pairs) =>
    regionArbitrary.map(
      (region): Operation => ({
        kind: 'changed',
        region,
        keys: pairs.map(([key]) => key),
        versions: pairs.map(([, version]) => version),
      }),
    ),
  ),
  fc.record({
    kind: fc.constant('removed' as const),
    region: regionArbitrary,
    keys: keysArbitrary,
  }),
  fc.record({
    kind: fc.constant('expired' as const),
    region: regionArbitrary,
    keys: keysArbitrary,
  }),
  fc.constant({ kind: 'cleared' as const }),
  fc.record({ kind: fc.constant('regionCleared' as const), regions: keysArbitrary }),
  fc.record({ kind: fc.constant('tagsInvalidated' as const), tags: keysArbitrary }),
  fc.constant({ kind: 'heartbeat' as const }),
)

const frameArbitrary: fc.Arbitrary<Frame> = fc.record({
  senderId: fc.oneof(fc.uuid(), fc.string({ unit: 'binary', minLength: 1, maxLength: 60 })),
  epoch: fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  sequence: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  cacheName: fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/),
  operations: fc.array(operationArbitrary, { maxLength: 8 }),
})

/** Bytes that CBOR heads and the header give meaning to. */
const interestingByte = fc.constantFrom(
  0x00,
  0x01,
  0x07,
  0x17,
  0x18,
  0x19,
  0x1a,
  0x1b,
  0x1c,
  0x1f,
  0x20,
  0x43,
  0x50,
  0x5f,
  0x60,
  0x7a,
  0x7b,
  0x7f,
  0x80,
  0x81,
  0x85,
  0x9a,
  0x9b,
  0x9f,
  0xa0,
  0xbf,
  0xc0,
  0xf4,
  0xf6,
  0xf7,
  0xf9,
  0xfb,
  0xff,
)

type Mutation =
  | { readonly type: 'flip'; readonly at: number; readonly bit: number }
  | { readonly type: 'set'; readonly at: number; readonly value: number }
  | { readonly type: 'truncate'; readonly at: number }
  | { readonly type: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly type: 'delete'; readonly at: number; readonly count: number }

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    type: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({
    type: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(interestingByte, fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ type: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    type: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
  }),
  fc.record({
    type: fc.constant('delete' as const),
    at: fc.nat(),
    count: fc.integer({ min: 1, max: 9 }),
  }),
)

function mutate(bytes: Uint8Array, mutation: Mutation): Uint8Array {
  const at = bytes.length === 0 ? 0 : mutation.at % bytes.length
  switch (mutation.type) {
    case 'flip': {
      const copy = bytes.slice()
      if (copy.length > 0) copy[at] = copy[at]! ^ (1 << mutation.bit)
      return copy
    }
    case 'set': {
      const copy = bytes.slice()
      if (copy.length > 0) copy[at] = mutation.value
      return copy
    }
    case 'truncate':
      return bytes.subarray(0, at)
    case 'insert': {
      const copy = new Uint8Array(bytes.length + mutation.bytes.length)
      copy.set(bytes.subarray(0, at))
      copy.set(mutation.bytes, at)
      copy.set(bytes.subarray(at), at + mutation.bytes.length)
      return copy
    }
    case 'delete': {
      const count = Math.min(mutation.count, bytes.length - at)
      const copy = new Uint8Array(bytes.length - count)
      copy.set(bytes.subarray(0, at))
      copy.set(bytes.subarray(at + count), at)
      return copy
    }
  }
}

describe('codec fuzz', () => {
  it('round-trips arbitrary valid frames, with exact sizes', () => {
    fc.assert(
      fc.property(frameArbitrary, (frame) => {
        const bytes = encodeFrame(frame)
        expect(bytes.length).toBe(encodedFrameSize(frame))
        decodes++
        // structuredClone: fast-check's records have no prototype, decoded frames do.
        expect(decodeFrame(bytes)).toStrictEqual(structuredClone(frame))
      }),
      { numRuns: 15_000 },
    )
  })

  it('survives valid frames with random mutations', () => {
    fc.assert(
      fc.property(
        frameArbitrary,
        fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(0, 1),
        (frame, mutations, minor) => {
          let bytes = encodeFrame(frame)
          bytes[3] = minor // half of them in a newer minor version: the skipping path
          for (const mutation of mutations) bytes = mutate(bytes, mutation)
          decodeAnything(bytes)
        },
      ),
      { numRuns: 35_000 },
    )
  })

  it('survives random bytes, with and without a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => decodeAnything(bytes)),
      { numRuns: 15_000 },
    )
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 7),
        fc.array(fc.oneof(interestingByte, fc.integer({ min: 0, max: 255 })), { maxLength: 96 }),
        (minor, body) => decodeAnything(Uint8Array.from([0x43, 0x50, 1, minor, ...body])),
      ),
      { numRuns: 30_000 },
    )
  })

  it('survives every truncation, bit flip and byte deletion of every fixture', () => {
    for (const fixture of protocolFixtures) {
      const bytes = fixture.bytes
      for (let at = 0; at <= bytes.length; at++) {
        decodeAnything(bytes.subarray(0, at))
        if (at === bytes.length) break
        decodeAnything(mutate(bytes, { type: 'delete', at, count: 1 }))
        for (let bit = 0; bit < 8; bit++) decodeAnything(mutate(bytes, { type: 'flip', at, bit }))
      }
    }
  })

  it('ran at least 100,000 decodes', () => {
    const seconds = (performance.now() - started) / 1000
    console.log(`codec fuzz: ${decodes} decodes in ${seconds.toFixed(1)} s`)
    expect(decodes).toBeGreaterThanOrEqual(100_000)
  })
})
