import { describe, expect, it } from 'vitest'
import { CacheplaneError, type CacheplaneErrorCode } from '../errors.js'
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, decodeFrame, encodeFrame } from './codec.js'
import { bytesToHex, hexToBytes } from './fixtures.js'
import type { Frame, Operation } from './frame.js'
import {
  encodedFrameSize,
  encodedOperationSize,
  frameOverheadBytes,
  MAX_FRAME_OVERHEAD_BYTES,
} from './frame-size.js'

const envelope = { senderId: 'node-a', epoch: 1, sequence: 1, cacheName: 'products' } as const

function frameOf(...operations: Operation[]): Frame {
  return { ...envelope, operations }
}

function errorOf(action: () => unknown): CacheplaneError {
  try {
    action()
  } catch (error) {
    if (CacheplaneError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a CacheplaneError')
}

function expectDecodeError(bytes: Uint8Array, message: string | RegExp, limits?: DecodeLimits) {
  const error = errorOf(() => decodeFrame(bytes, limits))
  expect(error.code).toBe('E_BACKPLANE_DECODE')
  if (typeof message === 'string') expect(error.message).toBe(message)
  else expect(error.message).toMatch(message)
}

function expectEncodeError(frame: unknown, code: CacheplaneErrorCode, message: string | RegExp) {
  const error = errorOf(() => encodeFrame(frame as Frame))
  expect(error.code).toBe(code)
  if (typeof message === 'string') expect(error.message).toBe(message)
  else expect(error.message).toMatch(message)
}

/** Bytes from hex written with spaces for reading. */
function bytesOf(...parts: string[]): Uint8Array {
  return hexToBytes(parts.join('').replace(/\s+/g, ''))
}

/** CBOR text string of a short ASCII `value`, as hex. */
function text(value: string): string {
  return (0x60 + value.length).toString(16) + bytesToHex(new TextEncoder().encode(value))
}

const header = '4350 0100'
const envelopeHex = `85 ${text('node-a')} 01 01 ${text('products')}`

describe('encodeFrame and decodeFrame', () => {
  const operations: Operation[] = [
    { kind: 'changed', region: undefined, keys: ['p:1'], versions: [1] },
    { kind: 'changed', region: 'catalog', keys: ['p:1', 'p:2'], versions: [2, 3] },
    { kind: 'removed', region: undefined, keys: ['p:1'] },
    { kind: 'removed', region: 'catalog', keys: ['p:1', 'p:2'] },
    { kind: 'expired', region: undefined, keys: ['p:1'] },
    { kind: 'expired', region: '', keys: [''] },
    { kind: 'cleared' },
    { kind: 'regionCleared', regions: ['catalog', 'pricing'] },
    { kind: 'tagsInvalidated', tags: ['brand:acme'] },
    { kind: 'heartbeat' },
  ]

  it.each(operations.map((operation) => [operation.kind, operation] as const))(
    'round-trips %s',
    (_kind, operation) => {
      const frame = frameOf(operation)
      expect(decodeFrame(encodeFrame(frame))).toStrictEqual(frame)
    },
  )

  it('round-trips every kind in one frame, in order', () => {
    const frame = frameOf(...operations)
    expect(decodeFrame(encodeFrame(frame))).toStrictEqual(frame)
  })

  it('round-trips characters at every UTF-8 width boundary, short and long strings', () => {
    const boundaries = [
      '\u0000',
      '\u007f',
      '\u0080',
      '\u07ff',
      '\u0800',
      '\uffff',
      '\u{10000}',
      '\u{10ffff}',
    ]
    const keys = [
      ...boundaries,
      boundaries.join(''),
      boundaries.join('').repeat(5), // past the hand-decoded length: TextDecoder's path
      '\ufeffleading byte order mark',
      '\ufeff'.repeat(20),
      '__proto__',
      'constructor',
    ]
    const frame = frameOf({ kind: 'removed', region: 'région 日本', keys })
    expect(decodeFrame(encodeFrame(frame))).toStrictEqual(frame)
  })

  it('is deterministic and writes the shortest integer forms', () => {
    const versions = [
      1,
      23,
      24,
      255,
      256,
      65_535,
      65_536,
      2 ** 32 - 1,
      2 ** 32,
      Number.MAX_SAFE_INTEGER,
    ]
    const frame = frameOf({
      kind: 'changed',
      region: undefined,
      keys: versions.map(String),
      versions,
    })
    const bytes = encodeFrame(frame)
    expect(bytesToHex(encodeFrame(frame))).toBe(bytesToHex(bytes))
    const hex = bytesToHex(bytes)
    const versionsHex = hex.slice(hex.lastIndexOf('8a') + 2)
    expect(versionsHex).toBe(
      [
        '01',
        '17',
        '1818',
        '18ff',
        '190100',
        '19ffff',
        '1a00010000',
        '1affffffff',
        '1b0000000100000000',
        '1b001fffffffffffff',
      ].join(''),
    )
  })

  it('decodes from a Buffer that is a view into a larger allocation', () => {
    const bytes = encodeFrame(frameOf({ kind: 'removed', region: 'catalog', keys: ['p:1'] }))
    const backing = Buffer.alloc(bytes.length + 20, 0xff)
    backing.set(bytes, 10)
    const view = backing.subarray(10, 10 + bytes.length)
    expect(decodeFrame(view)).toStrictEqual(decodeFrame(bytes))
  })

  it('keeps strings apart that the decoder caches, even when they share a slot', () => {
    // Many distinct regions and tags: several must collide in the 256-slot cache.
    for (let round = 0; round < 2; round++) {
      for (let index = 0; index < 2000; index++) {
        const frame = frameOf(
          { kind: 'removed', region: `region-${index}`, keys: ['k'] },
          { kind: 'tagsInvalidated', tags: [`tag-${index}`, `tag-${index + 1}`] },
        )
        expect(decodeFrame(encodeFrame(frame))).toStrictEqual(frame)
      }
    }
  })
})

describe('encodeFrame rejects frames a receiver would reject', () => {
  it('names a lone surrogate in a key, region or tag (E_INVALID_KEY)', () => {
    expectEncodeError(
      frameOf({ kind: 'removed', region: undefined, keys: ['ok', 'bad\ud800'] }),
      'E_INVALID_KEY',
      'Cannot encode the frame: key 1 of operation 0 (removed) holds a lone surrogate, which UTF-8 cannot encode.',
    )
    expectEncodeError(
      frameOf({ kind: 'expired', region: '\udc00', keys: [] }),
      'E_INVALID_KEY',
      /the region of operation 0 \(expired\) holds a lone surrogate/,
    )
    expectEncodeError(
      frameOf({ kind: 'heartbeat' }, { kind: 'tagsInvalidated', tags: ['\ud83d'] }),
      'E_INVALID_KEY',
      /tag 0 of operation 1 \(tagsInvalidated\) holds a lone surrogate/,
    )
    expectEncodeError(
      frameOf({ kind: 'removed', region: undefined, keys: [5 as unknown as string] }),
      'E_INVALID_KEY',
      /key 0 of operation 0 \(removed\) must be a string, got number 5/,
    )
  })

  it.each([
    [
      'an empty sender id',
      { ...frameOf(), senderId: '' },
      /the sender id must be a string of 1-256 UTF-8 bytes, got ""/,
    ],
    [
      'a 257-byte sender id',
      { ...frameOf(), senderId: `${'é'.repeat(128)}x` },
      /the sender id must be a string of 1-256 UTF-8 bytes/,
    ],
    [
      'a sender id with a lone surrogate',
      { ...frameOf(), senderId: '\ud800' },
      /the sender id must be/,
    ],
    [
      'a cache name with a space',
      { ...frameOf(), cacheName: 'my cache' },
      /the cache name must be 1-128 characters of A-Z a-z 0-9 _ \. -, got "my cache"/,
    ],
    ['an empty cache name', { ...frameOf(), cacheName: '' }, /the cache name must be/],
    [
      'a 129-character cache name',
      { ...frameOf(), cacheName: 'c'.repeat(129) },
      /the cache name must be/,
    ],
    [
      'a negative epoch',
      { ...frameOf(), epoch: -1 },
      /the epoch must be an integer from 0 to 2\^53 - 1, got number -1/,
    ],
    ['a fractional epoch', { ...frameOf(), epoch: 1.5 }, /the epoch must be an integer/],
    ['an epoch of 2^53', { ...frameOf(), epoch: 2 ** 53 }, /the epoch must be an integer/],
    [
      'a NaN sequence',
      { ...frameOf(), sequence: Number.NaN },
      /the sequence must be an integer from 1 to 2\^53 - 1, got number NaN/,
    ],
    ['sequence 0', { ...frameOf(), sequence: 0 }, /the sequence must be an integer from 1/],
    [
      'version 0',
      frameOf({ kind: 'changed', region: undefined, keys: ['a'], versions: [0] }),
      /version 0 of operation 0 \(changed\) must be an integer from 1 to 2\^53 - 1, got number 0/,
    ],
    [
      'an infinite version',
      frameOf({
        kind: 'changed',
        region: undefined,
        keys: ['a'],
        versions: [Number.POSITIVE_INFINITY],
      }),
      /version 0 of operation 0 \(changed\) must be an integer/,
    ],
    [
      'keys and versions of different lengths',
      frameOf({ kind: 'changed', region: undefined, keys: ['a', 'b'], versions: [1] }),
      'Cannot encode the frame: operation 0 (changed) has 2 keys but 1 versions.',
    ],
    [
      'an unknown kind',
      frameOf({ kind: 'flushed' } as unknown as Operation),
      /operation 0 has unknown kind "flushed"/,
    ],
    [
      'operations that are not an array',
      { ...frameOf(), operations: 'none' },
      /operations must be an array, got "none"/,
    ],
    [
      'keys that are not an array',
      frameOf({ kind: 'removed', region: undefined, keys: 'p:1' as unknown as string[] }),
      /keys of operation 0 \(removed\) must be an array/,
    ],
  ])('%s (E_INVALID_VALUE)', (_name, frame, message) => {
    expectEncodeError(frame, 'E_INVALID_VALUE', message)
  })
})

describe('frame sizes', () => {
  const frames: Frame[] = [
    frameOf(),
    frameOf({ kind: 'heartbeat' }),
    frameOf(
      {
        kind: 'changed',
        region: 'régión',
        keys: ['日本', 'x'.repeat(300)],
        versions: [2 ** 40, 7],
      },
      {
        kind: 'removed',
        region: undefined,
        keys: Array.from({ length: 30 }, (_, index) => `k${index}`),
      },
      { kind: 'regionCleared', regions: ['a'] },
      { kind: 'tagsInvalidated', tags: ['😀'] },
      { kind: 'cleared' },
    ),
    {
      ...frameOf(...Array.from({ length: 300 }, () => ({ kind: 'heartbeat' }) as const)),
      epoch: 2 ** 52,
      sequence: 70_000,
    },
  ]

  it('encodedFrameSize is the exact encoded length', () => {
    for (const frame of frames) expect(encodedFrameSize(frame)).toBe(encodeFrame(frame).length)
  })

  it('operation sizes add up to the frame size', () => {
    for (const frame of frames) {
      const empty = encodedFrameSize({ ...frame, operations: [] })
      const operationsHead =
        frame.operations.length < 24 ? 1 : frame.operations.length < 256 ? 2 : 3
      const sum = frame.operations.reduce(
        (total, operation) => total + encodedOperationSize(operation),
        0,
      )
      expect(empty - 1 + operationsHead + sum).toBe(encodedFrameSize(frame))
    }
    expect(encodedOperationSize({ kind: 'removed', region: undefined, keys: ['p:1'] })).toBe(8)
  })

  it('frameOverheadBytes bounds everything but the operations, for any epoch and sequence', () => {
    const overhead = frameOverheadBytes(envelope.senderId, envelope.cacheName)
    for (const frame of frames) {
      const sum = frame.operations.reduce(
        (total, operation) => total + encodedOperationSize(operation),
        0,
      )
      const largest = {
        ...frame,
        epoch: Number.MAX_SAFE_INTEGER,
        sequence: Number.MAX_SAFE_INTEGER,
      }
      expect(encodedFrameSize(largest)).toBeLessThanOrEqual(overhead + sum)
    }
    expect(frameOverheadBytes('s'.repeat(256), 'c'.repeat(128))).toBe(MAX_FRAME_OVERHEAD_BYTES)
    expect(MAX_FRAME_OVERHEAD_BYTES).toBe(417)
    expect(() => frameOverheadBytes('', 'products')).toThrow(/sender id/)
  })

  it('encodedOperationSize throws what encodeFrame would', () => {
    expect(
      errorOf(() => encodedOperationSize({ kind: 'removed', region: undefined, keys: ['\ud800'] }))
        .code,
    ).toBe('E_INVALID_KEY')
  })
})

describe('decodeFrame rejects', () => {
  it('anything but a Uint8Array', () => {
    expectDecodeError('4350' as unknown as Uint8Array, 'frame must be a Uint8Array, got "4350"')
    expectDecodeError(
      undefined as unknown as Uint8Array,
      'frame must be a Uint8Array, got undefined',
    )
  })

  it('an oversized frame before parsing anything', () => {
    const frame = new Uint8Array(DEFAULT_DECODE_LIMITS.maxFrameBytes + 1) // no magic either
    expectDecodeError(frame, 'frame is 1048577 bytes, larger than the limit of 1048576')
    const small = encodeFrame(frameOf({ kind: 'heartbeat' }))
    expectDecodeError(small, `frame is ${small.length} bytes, larger than the limit of 10`, {
      maxFrameBytes: 10,
    })
    expect(decodeFrame(small, { maxFrameBytes: small.length }).operations).toHaveLength(1)
  })

  it('more operations than maxOperations, unknown ones included', () => {
    const frame = encodeFrame(
      frameOf({ kind: 'heartbeat' }, { kind: 'heartbeat' }, { kind: 'heartbeat' }),
    )
    expect(decodeFrame(frame, { maxOperations: 3 }).operations).toHaveLength(3)
    expectDecodeError(
      frame,
      'the operations at byte 23: holds 3 operations, more than the limit of 2',
      {
        maxOperations: 2,
      },
    )
    const newer = bytesOf('4350 0101', envelopeHex, '82 81 182a 81 182a')
    expectDecodeError(newer, /holds 2 operations, more than the limit of 1/, { maxOperations: 1 })
  })

  it('more keys, regions and tags than maxKeys, counted over the whole frame', () => {
    const frame = encodeFrame(
      frameOf(
        { kind: 'removed', region: undefined, keys: ['a', 'b'] },
        { kind: 'regionCleared', regions: ['r'] },
        { kind: 'tagsInvalidated', tags: ['t'] },
      ),
    )
    expect(decodeFrame(frame, { maxKeys: 4 }).operations).toHaveLength(3)
    expectDecodeError(
      frame,
      /^tags of operation 2 \(tagsInvalidated\) at byte \d+: holds 1 item, which with the 3 before it is over the limit of 3 keys, regions and tags per frame$/,
      { maxKeys: 3 },
    )
    expectDecodeError(
      frame,
      'keys of operation 0 (removed) at byte 27: holds 2 items, over the limit of 1 keys, regions and tags per frame',
      {
        maxKeys: 1,
      },
    )
  })

  it('keys, regions and tags longer than maxKeyLength UTF-16 code units', () => {
    const limits = { maxKeyLength: 4 }
    const accept = (operation: Operation) =>
      expect(decodeFrame(encodeFrame(frameOf(operation)), limits).operations).toStrictEqual([
        operation,
      ])
    const reject = (operation: Operation, message: RegExp) =>
      expectDecodeError(encodeFrame(frameOf(operation)), message, limits)
    accept({ kind: 'removed', region: 'abcd', keys: ['abcd'] })
    // 4 code units in 12 UTF-8 bytes, and 4 code units (two surrogate pairs) in 8 bytes.
    accept({ kind: 'removed', region: undefined, keys: ['日本語日', '😀😀'] })
    reject(
      { kind: 'removed', region: undefined, keys: ['abcde'] },
      /^key 0 of operation 0 \(removed\) at byte 28: is 5 UTF-16 code units long, more than the limit of 4$/,
    )
    reject({ kind: 'removed', region: undefined, keys: ['日本abc'] }, /is 5 UTF-16 code units long/)
    reject(
      { kind: 'removed', region: undefined, keys: ['x'.repeat(13)] },
      /is 13 UTF-8 bytes long, more than 4 UTF-16 code units can take/,
    )
    reject(
      { kind: 'expired', region: 'abcde', keys: [] },
      /^the region of operation 0 \(expired\) at byte 26: is 5 UTF-16/,
    )
    reject(
      { kind: 'tagsInvalidated', tags: ['ok', 'abcde'] },
      /^tag 1 of operation 0 \(tagsInvalidated\)/,
    )
    reject(
      { kind: 'regionCleared', regions: ['abcde'] },
      /^region 0 of operation 0 \(regionCleared\)/,
    )
    expect(DEFAULT_DECODE_LIMITS.maxKeyLength).toBe(65_536)
    const longest = frameOf({ kind: 'removed', region: undefined, keys: ['x'.repeat(65_536)] })
    expect(decodeFrame(encodeFrame(longest))).toStrictEqual(longest)
    const tooLong = frameOf({ kind: 'removed', region: undefined, keys: ['x'.repeat(65_537)] })
    expectDecodeError(
      encodeFrame(tooLong),
      /is 65537 UTF-16 code units long, more than the limit of 65536$/,
    )
  })

  it('hostile declared lengths at once, without allocating or looping by them', () => {
    const cases = [
      bytesOf(header, '9a ffffffff', '00'.repeat(15)), // envelope of 2^32 - 1 items in 20 bytes
      bytesOf(header, '9b ffffffffffffffff', '00'.repeat(7)), // 2^64 - 1 items
      bytesOf(header, envelopeHex, '9a ffffffff'), // 2^32 - 1 operations
      bytesOf(header, envelopeHex, '81 83 02 f6 9a 7fffffff 61 61'), // 2^31 - 1 keys
      bytesOf(header, envelopeHex, '81 84 01 f6 81 61 61 9a ffffffff 01'), // 2^32 - 1 versions
      bytesOf(header, '85 7b ffffffffffffffff 00'), // a sender id of 2^64 - 1 bytes
      bytesOf('4350 0101', envelopeHex, '81 82 182a 9a ffffffff'), // skipped array of 2^32 - 1 items
      bytesOf('4350 0101', envelopeHex, '81 82 182a 5b ffffffffffffffff'), // skipped bytes of 2^64 - 1
      bytesOf('4350 0101', envelopeHex, '81 8a 182a', '9a ffffffff '.repeat(9)), // nested counts adding up
    ]
    for (const bytes of cases) {
      const started = performance.now()
      expectDecodeError(bytes, /declares|needs|bytes long/)
      expect(performance.now() - started).toBeLessThan(50)
    }
  })

  it('deeply nested arrays in skipped items without exhausting the stack', () => {
    const depth = 200_000
    const bytes = bytesOf('4350 0101', envelopeHex, '81 82 182a', '81'.repeat(depth), '00')
    expect(decodeFrame(bytes).operations).toStrictEqual([])
    expectDecodeError(
      bytesOf('4350 0101', envelopeHex, '81 82 182a', '81'.repeat(depth)),
      /declares 1 more item, more than the 0 bytes left can hold/,
    )
  })

  it.each([
    ['a two-byte sequence cut short', 'c3'],
    ['a lone continuation byte', '80'],
    ['an overlong two-byte form', 'c1bf'],
    ['an overlong three-byte form', 'e080af'],
    ['an overlong four-byte form', 'f08080af'],
    ['a UTF-8 encoded high surrogate', 'eda080'],
    ['a UTF-8 encoded low surrogate', 'edbfbf'],
    ['a code point above U+10FFFF', 'f4908080'],
    ['a byte that never appears in UTF-8', 'ff'],
    ['a four-byte lead with three-byte tail', 'f09f98'],
    ['a bad continuation', 'e228a1'],
  ])('invalid UTF-8: %s, in short and long strings', (_name, sequence) => {
    for (const padding of ['', 'ab'.repeat(40)]) {
      const body = padding + sequence
      const length = body.length / 2
      const head =
        length < 24 ? (0x60 + length).toString(16) : `78${length.toString(16).padStart(2, '0')}`
      const bytes = bytesOf(header, envelopeHex, '81 83 02 f6 81', head, body)
      expectDecodeError(
        bytes,
        'key 0 of operation 0 (removed) at byte 28: is a text string that is not valid UTF-8',
      )
    }
  })

  it('an extra item in a known operation or the envelope, at minor version 0', () => {
    expectDecodeError(
      bytesOf(header, envelopeHex, '81 84 02 f6 81 61 61 00'),
      'operation 0 (removed) at byte 24: has 4 items, expected 3 (more only in a frame of a minor version above 0)',
    )
  })

  it('the map, tag, float, undefined and simple values no item may be', () => {
    const skipped = (item: string) => bytesOf('4350 0101', envelopeHex, '81 82 182a', item)
    expect(decodeFrame(skipped('00')).operations).toStrictEqual([])
    for (const item of ['20', '4100', '6161', '80', 'f4', 'f5', 'f6']) {
      expect(decodeFrame(skipped(item)).operations).toStrictEqual([])
    }
    for (const [item, found] of [
      ['a0', 'a map'],
      ['c1 00', 'tag 1'],
      ['f7', 'undefined'],
      ['f9 3c00', 'a floating-point number'],
      ['fb 3ff0000000000000', 'a floating-point number'],
      ['f0', 'the simple value 16'],
      ['f8 20', 'the simple value 32'],
    ] as const) {
      expectDecodeError(
        skipped(item),
        `an item of operation 0 (opcode 42) at byte 27: expected an item a newer minor version may add, found ${found}`,
      )
    }
    expectDecodeError(
      skipped('ff'),
      /found a "break" byte \(0xff\) outside an indefinite-length item/,
    )
    expectDecodeError(skipped('5f 41 00 ff'), /found an indefinite-length item/)
  })
})

describe('forward compatibility', () => {
  it('accepts a newer minor version, skipping unknown operations and appended items', () => {
    const bytes = bytesOf(
      '4350 01ff', // version 1.255
      '87',
      text('node-a'),
      '01 02',
      text('products'),
      '84',
      '82 1b 0020000000000000 00', // unknown opcode 2^53
      '85 02 f6 81 61 61 82 01 02 f4', // removed with two appended items
      '81 18 63', // unknown opcode 99 with nothing else
      '81 04',
      '00 61 78', // two appended envelope items
    )
    expect(decodeFrame(bytes)).toStrictEqual({
      ...envelope,
      sequence: 2,
      operations: [{ kind: 'removed', region: undefined, keys: ['a'] }, { kind: 'cleared' }],
    })
  })

  it('still checks the known part of a newer frame', () => {
    expectDecodeError(
      bytesOf('4350 0101', envelopeHex, '81 82 02 f6'),
      /operation 0 \(removed\) at byte 24: has 2 items, expected 3$/,
    )
    expectDecodeError(
      bytesOf('4350 0101', envelopeHex, '81 84 02 f6 81 61 61'),
      /declares 1 more item, more than the 0 bytes left can hold/,
    )
  })

  it('rejects any other major version', () => {
    for (const major of [0, 2, 255]) {
      const bytes = encodeFrame(frameOf({ kind: 'heartbeat' }))
      bytes[2] = major
      expectDecodeError(
        bytes,
        `frame has protocol version ${major}.0; this reader speaks major version 1 only`,
      )
    }
  })
})
