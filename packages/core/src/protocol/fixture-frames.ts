import type { Frame } from './frame.js'

// The definitions behind the golden fixtures (see fixtures.ts). Canonical
// frames get their bytes from encodeFrame, recorded in fixtures-hex.ts; the
// others are written here byte by byte, because no encoder of this version
// produces them.

/** @internal */
export interface ValidFixtureDefinition {
  readonly name: string
  readonly description: string
  readonly frame: Frame
  /** Hand-written bytes for a frame encodeFrame does not produce; absent for canonical frames. */
  readonly hex?: string
}

/** @internal */
export interface InvalidFixtureDefinition {
  readonly name: string
  readonly reason: string
  readonly hex: string
  /** What this implementation's decoder says about it. */
  readonly message: string
}

const sender = { senderId: 'node-a', epoch: 1, cacheName: 'products' } as const

/** CBOR text string, as hex: head and UTF-8 bytes (ASCII only here). */
function text(value: string): string {
  const length = value.length
  const head =
    length < 24
      ? (0x60 + length).toString(16)
      : length < 256
        ? `78${length.toString(16).padStart(2, '0')}`
        : `79${length.toString(16).padStart(4, '0')}`
  let body = ''
  for (let index = 0; index < length; index++) {
    body += value.charCodeAt(index).toString(16).padStart(2, '0')
  }
  return head + body
}

/** Joins hex parts written with spaces for reading. */
function hex(...parts: string[]): string {
  return parts.join('').replace(/\s+/g, '')
}

const header = '4350 0100'
/** Envelope of 5 items, sender node-a, epoch 1, sequence 1, cache products. */
const envelope = hex('85', text('node-a'), '01 01', text('products'))
/** One operation: heartbeat. */
const heartbeatOperations = '81 8107'

export const validFixtureDefinitions: readonly ValidFixtureDefinition[] = [
  {
    name: 'heartbeat',
    description: 'A heartbeat: the smallest frame an instance sends.',
    frame: { ...sender, sequence: 1, operations: [{ kind: 'heartbeat' }] },
  },
  {
    name: 'changed-null-region',
    description: 'One key changed outside any region (region is null), with its version.',
    frame: {
      ...sender,
      sequence: 2,
      operations: [{ kind: 'changed', region: undefined, keys: ['p:1'], versions: [1] }],
    },
  },
  {
    name: 'changed-region',
    description: 'Two keys of region "catalog" changed, each with its version.',
    frame: {
      ...sender,
      sequence: 3,
      operations: [
        { kind: 'changed', region: 'catalog', keys: ['p:1', 'p:2'], versions: [5, 1000] },
      ],
    },
  },
  {
    name: 'removed-null-region',
    description: 'One key removed outside any region.',
    frame: {
      ...sender,
      sequence: 4,
      operations: [{ kind: 'removed', region: undefined, keys: ['p:1'] }],
    },
  },
  {
    name: 'removed-region',
    description: 'Two keys of region "catalog" removed.',
    frame: {
      ...sender,
      sequence: 5,
      operations: [{ kind: 'removed', region: 'catalog', keys: ['p:1', 'p:2'] }],
    },
  },
  {
    name: 'expired',
    description:
      'Keys logically expired (kept for grace), one operation without and one with a region.',
    frame: {
      ...sender,
      sequence: 6,
      operations: [
        { kind: 'expired', region: undefined, keys: ['p:1'] },
        { kind: 'expired', region: 'catalog', keys: ['p:2'] },
      ],
    },
  },
  {
    name: 'cleared',
    description: 'The whole cache cleared.',
    frame: { ...sender, sequence: 7, operations: [{ kind: 'cleared' }] },
  },
  {
    name: 'region-cleared',
    description: 'Two regions cleared.',
    frame: {
      ...sender,
      sequence: 8,
      operations: [{ kind: 'regionCleared', regions: ['catalog', 'pricing'] }],
    },
  },
  {
    name: 'tags-invalidated',
    description: 'Every entry carrying either tag invalidated.',
    frame: {
      ...sender,
      sequence: 9,
      operations: [{ kind: 'tagsInvalidated', tags: ['brand:acme', 'category:shoes'] }],
    },
  },
  {
    name: 'multi-operation',
    description: 'One frame with an operation of every kind, in the order they were queued.',
    frame: {
      ...sender,
      sequence: 10,
      operations: [
        { kind: 'changed', region: 'catalog', keys: ['p:1'], versions: [2] },
        { kind: 'removed', region: undefined, keys: ['session:9'] },
        { kind: 'expired', region: 'catalog', keys: ['p:7', 'p:8'] },
        { kind: 'regionCleared', regions: ['pricing'] },
        { kind: 'tagsInvalidated', tags: ['brand:acme'] },
        { kind: 'cleared' },
        { kind: 'heartbeat' },
      ],
    },
  },
  {
    name: 'unicode',
    description:
      'Keys, region and tag beyond ASCII: accents, CJK, an emoji (4 UTF-8 bytes, a surrogate pair in JavaScript), a leading U+FEFF that must not be stripped, and a NUL.',
    frame: {
      ...sender,
      sequence: 11,
      operations: [
        {
          kind: 'changed',
          region: 'région',
          keys: ['café', '日本語', 'emoji:😀', '\uFEFFbom', 'nul:\u0000'],
          versions: [1, 2, 3, 4, 5],
        },
        { kind: 'tagsInvalidated', tags: ['marque:éà'] },
      ],
    },
  },
  {
    name: 'large-numbers',
    description:
      'Every CBOR integer width: versions at each boundary from 23 to 2^53 - 1, and the largest epoch and sequence.',
    frame: {
      senderId: 'node-a',
      epoch: Number.MAX_SAFE_INTEGER,
      sequence: Number.MAX_SAFE_INTEGER,
      cacheName: 'products',
      operations: [
        {
          kind: 'changed',
          region: undefined,
          keys: ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'],
          versions: [
            1,
            23,
            24,
            255,
            256,
            65_535,
            65_536,
            4_294_967_295,
            4_294_967_296,
            Number.MAX_SAFE_INTEGER,
          ],
        },
      ],
    },
  },
  {
    name: 'long-strings',
    description:
      'The longest sender id (256 bytes) and cache name (128 characters), and a 300-byte key: longer length heads.',
    frame: {
      senderId: 's'.repeat(256),
      epoch: 0,
      sequence: 1,
      cacheName: `c${'-'.repeat(126)}c`,
      operations: [{ kind: 'removed', region: undefined, keys: [`key:${'x'.repeat(296)}`] }],
    },
  },
  {
    name: 'empty-strings-and-lists',
    description:
      'An empty key in the empty-named region (not the same as no region), and operations with empty lists, which change nothing.',
    frame: {
      ...sender,
      sequence: 12,
      operations: [
        { kind: 'removed', region: '', keys: [''] },
        { kind: 'changed', region: undefined, keys: [], versions: [] },
        { kind: 'regionCleared', regions: [] },
      ],
    },
  },
  {
    name: 'no-operations',
    description: 'A frame with no operations: valid, and it still takes a sequence number.',
    frame: { ...sender, sequence: 13, operations: [] },
  },
  {
    name: 'worked-example',
    description: 'The frame PROTOCOL.md walks through byte by byte.',
    frame: {
      ...sender,
      sequence: 300,
      operations: [
        { kind: 'changed', region: 'catalog', keys: ['p:1', 'p:2'], versions: [7, 1000] },
        { kind: 'removed', region: undefined, keys: ['p:3'] },
      ],
    },
  },
  {
    name: 'forward-compatible-minor',
    description:
      'A frame of version 1.1, as a newer writer could send it: an operation of unknown opcode 42 (skipped), a known operation with an appended item (ignored), and an appended envelope item (ignored).',
    frame: {
      ...sender,
      sequence: 1,
      operations: [{ kind: 'removed', region: undefined, keys: ['p:1'] }, { kind: 'heartbeat' }],
    },
    hex: hex(
      '4350 0101', // version 1.1
      '86', // envelope of 6 items: one more than 1.0 has
      text('node-a'),
      '01 01',
      text('products'),
      '83', // three operations
      // [42, h'00ff', -5, [1, ["x"]], true, null, "future"]
      '87 182a 4200ff 24 8201 8161 78 f5 f6',
      text('future'),
      // [2, null, ["p:1"], 0]: removed, with an appended item
      '84 02 f6 81',
      text('p:1'),
      '00',
      '81 07',
      text('appended'), // the sixth envelope item
    ),
  },
  {
    name: 'non-shortest-integers',
    description:
      'Integers and lengths in longer forms than needed. Encoders must not write them; decoders accept them.',
    frame: {
      ...sender,
      sequence: 1,
      operations: [{ kind: 'changed', region: undefined, keys: ['p:1'], versions: [5] }],
    },
    hex: hex(
      header,
      '98 05', // envelope count 5 in one extra byte
      '78 06 6e6f64652d61', // "node-a", length in one extra byte
      '1b 0000000000000001', // epoch 1 in eight bytes
      '19 0001', // sequence 1 in two bytes
      text('products'),
      '99 0001', // one operation, count in two bytes
      '84 18 01 f6', // opcode 1 in one extra byte, region null
      '81',
      text('p:1'),
      '81 1a 00000005', // version 5 in four bytes
    ),
  },
]

export const invalidFixtureDefinitions: readonly InvalidFixtureDefinition[] = [
  {
    name: 'wrong-magic',
    reason: 'The first two bytes are not "CP" (0x43 0x50).',
    hex: hex('4351 0100', envelope, heartbeatOperations),
    message: 'frame has magic 0x4351, expected 0x4350',
  },
  {
    name: 'major-version-2',
    reason: 'Protocol major version 2: a version 1 reader must reject it.',
    hex: hex('4350 0200', envelope, heartbeatOperations),
    message: 'frame has protocol version 2.0; this reader speaks major version 1 only',
  },
  {
    name: 'major-version-0',
    reason: 'Protocol major version 0 does not exist.',
    hex: hex('4350 0000', envelope, heartbeatOperations),
    message: 'frame has protocol version 0.0; this reader speaks major version 1 only',
  },
  {
    name: 'truncated-header',
    reason: 'Shorter than the 4-byte header.',
    hex: '435001',
    message: 'frame is truncated: 3 bytes, shorter than the 4-byte header',
  },
  {
    name: 'header-only',
    reason: 'A header and no CBOR item.',
    hex: hex(header),
    message: 'frame is truncated: the frame envelope at byte 4 needs 1 more byte, 0 bytes remain',
  },
  {
    name: 'truncated-body',
    reason: 'A heartbeat frame missing its last byte.',
    hex: hex(header, envelope, '81 81'),
    message: 'operation 0 at byte 24: declares 1 item, more than the 0 bytes left can hold',
  },
  {
    name: 'trailing-byte',
    reason: 'One byte after the CBOR item.',
    hex: hex(header, envelope, heartbeatOperations, '00'),
    message: 'frame has 1 trailing byte after its CBOR item, from byte 26',
  },
  {
    name: 'map-envelope',
    reason: 'The envelope is a CBOR map: maps are not allowed anywhere.',
    hex: hex(header, 'a1', text('senderId'), text('node-a')),
    message: 'the frame envelope at byte 4: expected an array of 5 items, found a map',
  },
  {
    name: 'map-operation',
    reason: 'An operation is a map instead of an array.',
    hex: hex(header, envelope, '81 a1 01 07'),
    message: 'operation 0 at byte 24: expected an array, found a map',
  },
  {
    name: 'envelope-of-4',
    reason: 'The envelope has 4 items (no operations).',
    hex: hex(header, '84', text('node-a'), '01 01', text('products')),
    message: 'the frame envelope at byte 4: has 4 items, expected 5',
  },
  {
    name: 'envelope-of-6-same-minor',
    reason: 'An appended envelope item in a frame of minor version 0, which has none.',
    hex: hex(header, '86', text('node-a'), '01 01', text('products'), heartbeatOperations, '00'),
    message:
      'the frame envelope at byte 4: has 6 items, expected 5 (more only in a frame of a minor version above 0)',
  },
  {
    name: 'indefinite-length-array',
    reason: 'An indefinite-length array: only definite lengths are allowed.',
    hex: hex(header, '9f', text('node-a'), '01 01', text('products'), heartbeatOperations, 'ff'),
    message:
      'the frame envelope at byte 4: found an indefinite-length item; only definite lengths are allowed',
  },
  {
    name: 'empty-sender-id',
    reason: 'The sender id is the empty string.',
    hex: hex(header, '85 60 01 01', text('products'), heartbeatOperations),
    message: 'the sender id at byte 5: is 0 bytes long, expected 1 to 256',
  },
  {
    name: 'sender-id-too-long',
    reason: 'A sender id of 257 bytes.',
    hex: hex(header, '85', text('s'.repeat(257)), '01 01', text('products'), heartbeatOperations),
    message: 'the sender id at byte 5: is 257 bytes long, expected 1 to 256',
  },
  {
    name: 'sender-id-not-text',
    reason: 'The sender id is a byte string.',
    hex: hex(header, '85 42 6e6f 01 01', text('products'), heartbeatOperations),
    message: 'the sender id at byte 5: expected a text string, found a byte string',
  },
  {
    name: 'negative-epoch',
    reason: 'The epoch is -1.',
    hex: hex(header, '85', text('node-a'), '20 01', text('products'), heartbeatOperations),
    message:
      'the epoch at byte 12: expected an unsigned integer below 2^53, found a negative integer',
  },
  {
    name: 'float-epoch',
    reason: 'The epoch is the double 1.0: floats are not integers on this wire.',
    hex: hex(
      header,
      '85',
      text('node-a'),
      'fb 3ff0000000000000 01',
      text('products'),
      heartbeatOperations,
    ),
    message:
      'the epoch at byte 12: expected an unsigned integer below 2^53, found a floating-point number',
  },
  {
    name: 'epoch-too-large',
    reason: 'The epoch is 2^53, above the largest safe integer.',
    hex: hex(
      header,
      '85',
      text('node-a'),
      '1b 0020000000000000 01',
      text('products'),
      heartbeatOperations,
    ),
    message:
      'the epoch at byte 12: expected an unsigned integer below 2^53, found the unsigned integer 2^53 or more',
  },
  {
    name: 'sequence-zero',
    reason: 'Sequence numbers start at 1.',
    hex: hex(header, '85', text('node-a'), '01 00', text('products'), heartbeatOperations),
    message:
      'the sequence at byte 13: expected an unsigned integer from 1 to 2^53 - 1, found the unsigned integer 0',
  },
  {
    name: 'half-float-sequence',
    reason: 'The sequence is the half-precision float 1.0.',
    hex: hex(header, '85', text('node-a'), '01 f93c00', text('products'), heartbeatOperations),
    message:
      'the sequence at byte 13: expected an unsigned integer from 1 to 2^53 - 1, found a floating-point number',
  },
  {
    name: 'empty-cache-name',
    reason: 'The cache name is empty.',
    hex: hex(header, '85', text('node-a'), '01 01 60', heartbeatOperations),
    message: 'the cache name at byte 14: is 0 bytes long, expected 1 to 128',
  },
  {
    name: 'cache-name-bad-character',
    reason: 'The cache name holds a space.',
    hex: hex(header, '85', text('node-a'), '01 01', text('my cache'), heartbeatOperations),
    message:
      'the cache name at byte 14: holds byte 0x20 at byte 17; a cache name is A-Z a-z 0-9 _ . -',
  },
  {
    name: 'cache-name-too-long',
    reason: 'A cache name of 129 characters.',
    hex: hex(header, '85', text('node-a'), '01 01', text('c'.repeat(129)), heartbeatOperations),
    message: 'the cache name at byte 14: is 129 bytes long, expected 1 to 128',
  },
  {
    name: 'operations-not-array',
    reason: 'The operations item is null.',
    hex: hex(header, envelope, 'f6'),
    message: 'the operations at byte 23: expected an array of operations, found null',
  },
  {
    name: 'empty-operation',
    reason: 'An operation with no opcode.',
    hex: hex(header, envelope, '81 80'),
    message: 'operation 0 at byte 24: is an empty array; an operation starts with its opcode',
  },
  {
    name: 'unknown-opcode-same-minor',
    reason: 'Opcode 9 in a frame of minor version 0, which does not define it.',
    hex: hex(header, envelope, '81 8109'),
    message:
      'the opcode of operation 0 at byte 25: unknown opcode 9 in a frame of version 1.0; only frames of a minor version above 0 may carry opcodes this reader does not know',
  },
  {
    name: 'opcode-zero',
    reason: 'Opcode 0 is not defined.',
    hex: hex(header, envelope, '81 8100'),
    message:
      'the opcode of operation 0 at byte 25: unknown opcode 0 in a frame of version 1.0; only frames of a minor version above 0 may carry opcodes this reader does not know',
  },
  {
    name: 'opcode-not-integer',
    reason: 'The opcode is a text string.',
    hex: hex(header, envelope, '81 81', text('heartbeat')),
    message:
      'the opcode of operation 0 at byte 25: expected an unsigned integer, found a text string',
  },
  {
    name: 'heartbeat-with-item',
    reason: 'A heartbeat with an appended item in a frame of minor version 0.',
    hex: hex(header, envelope, '81 82 07 00'),
    message:
      'operation 0 (heartbeat) at byte 24: has 2 items, expected 1 (more only in a frame of a minor version above 0)',
  },
  {
    name: 'removed-without-keys',
    reason: 'A removed operation with a region but no keys.',
    hex: hex(header, envelope, '81 82 02 f6'),
    message: 'operation 0 (removed) at byte 24: has 2 items, expected 3',
  },
  {
    name: 'keys-versions-mismatch',
    reason: 'A changed operation with 2 keys but 1 version.',
    hex: hex(header, envelope, '81 84 01 f6 82', text('p:1'), text('p:2'), '81 05'),
    message:
      'versions of operation 0 (changed) at byte 36: has 1 version for 2 keys; expected one version per key',
  },
  {
    name: 'version-zero',
    reason: 'Versions start at 1.',
    hex: hex(header, envelope, '81 84 01 f6 81', text('p:1'), '81 00'),
    message:
      'version 0 of operation 0 (changed) at byte 33: expected a version from 1 to 2^53 - 1, found the unsigned integer 0',
  },
  {
    name: 'version-too-large',
    reason: 'A version of 2^64 - 1.',
    hex: hex(header, envelope, '81 84 01 f6 81', text('p:1'), '81 1b ffffffffffffffff'),
    message:
      'version 0 of operation 0 (changed) at byte 33: expected a version from 1 to 2^53 - 1, found the unsigned integer 2^53 or more',
  },
  {
    name: 'version-float',
    reason: 'A version written as the single-precision float 5.0.',
    hex: hex(header, envelope, '81 84 01 f6 81', text('p:1'), '81 fa 40a00000'),
    message:
      'version 0 of operation 0 (changed) at byte 33: expected a version from 1 to 2^53 - 1, found a floating-point number',
  },
  {
    name: 'region-not-text',
    reason: 'The region is an integer.',
    hex: hex(header, envelope, '81 83 02 05 81', text('p:1')),
    message:
      'the region of operation 0 (removed) at byte 26: expected a text string or null, found the unsigned integer 5',
  },
  {
    name: 'region-undefined',
    reason: 'The region is CBOR undefined (0xf7); only null means no region.',
    hex: hex(header, envelope, '81 83 02 f7 81', text('p:1')),
    message:
      'the region of operation 0 (removed) at byte 26: expected a text string or null, found undefined',
  },
  {
    name: 'key-null',
    reason: 'A key is null.',
    hex: hex(header, envelope, '81 83 02 f6 81 f6'),
    message: 'key 0 of operation 0 (removed) at byte 28: expected a text string, found null',
  },
  {
    name: 'key-byte-string',
    reason: 'A key is a byte string.',
    hex: hex(header, envelope, '81 83 02 f6 81 43 703a31'),
    message:
      'key 0 of operation 0 (removed) at byte 28: expected a text string, found a byte string',
  },
  {
    name: 'key-tagged',
    reason: 'A key wrapped in CBOR tag 0: tags are not allowed.',
    hex: hex(header, envelope, '81 83 02 f6 81 c0', text('p:1')),
    message: 'key 0 of operation 0 (removed) at byte 28: expected a text string, found tag 0',
  },
  {
    name: 'key-invalid-utf8',
    reason: 'A key whose bytes (0xc3 0x28) are not UTF-8.',
    hex: hex(header, envelope, '81 83 02 f6 81 62 c328'),
    message: 'key 0 of operation 0 (removed) at byte 28: is a text string that is not valid UTF-8',
  },
  {
    name: 'key-overlong-utf8',
    reason: 'A key holding "/" in an overlong two-byte form (0xc0 0xaf).',
    hex: hex(header, envelope, '81 83 02 f6 81 62 c0af'),
    message: 'key 0 of operation 0 (removed) at byte 28: is a text string that is not valid UTF-8',
  },
  {
    name: 'key-utf8-surrogate',
    reason: 'A key holding the UTF-8 form of the lone surrogate U+D800 (0xed 0xa0 0x80).',
    hex: hex(header, envelope, '81 83 02 f6 81 63 eda080'),
    message: 'key 0 of operation 0 (removed) at byte 28: is a text string that is not valid UTF-8',
  },
  {
    name: 'hostile-operation-count',
    reason: 'The operations array claims 2^32 - 1 items in a 28-byte frame.',
    hex: hex(header, envelope, '9a ffffffff', '8107'),
    message:
      'the operations at byte 23: declares 4294967295 items, more than the 2 bytes left can hold',
  },
  {
    name: 'hostile-key-length',
    reason: 'A key claims to be 2^32 - 1 bytes long.',
    hex: hex(header, envelope, '81 83 02 f6 81 7a ffffffff 703a31'),
    message:
      'key 0 of operation 0 (removed) at byte 28: is 4294967295 UTF-8 bytes long, more than 65536 UTF-16 code units can take',
  },
  {
    name: 'reserved-additional-information',
    reason: 'A head with additional information 28, which CBOR reserves.',
    hex: hex(header, envelope, '81 81 1c'),
    message:
      'the opcode of operation 0 at byte 25: found reserved additional information 28 (not well-formed CBOR)',
  },
  {
    name: 'map-in-skipped-operation',
    reason:
      'A map inside an operation of unknown opcode in a frame of minor version 1: skipped items may not be maps either.',
    hex: hex('4350 0101', envelope, '81 82 182a a0'),
    message:
      'an item of operation 0 (opcode 42) at byte 27: expected an item a newer minor version may add, found a map',
  },
]
